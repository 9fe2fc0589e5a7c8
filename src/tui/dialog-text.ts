// The text of the TUI's dialogs: a title and a plain message (opencode's DialogAlert shows it as
// is). Pure; the usage and status facts themselves are worded in the core so every front door says
// the same thing.
import { statusLines, type StatusFacts } from "../core/account/status.ts";
import { LOGIN_HINT } from "../core/support/errors.ts";
import { usageLines } from "../core/usage/usage-view.ts";
import type { UsageOutcome } from "./kimi-calls.ts";

export interface DialogText {
  title: string;
  message: string;
}

export const USAGE_TITLE = "Kimi Code usage";
export const STATUS_TITLE = "Kimi Code status";

export const usageLoading = (): DialogText => ({ title: USAGE_TITLE, message: "Asking Kimi Code for your usage…" });

export function usageText(outcome: UsageOutcome, now: number): DialogText {
  const t = (message: string): DialogText => ({ title: USAGE_TITLE, message });
  switch (outcome.kind) {
    case "ok":
      return t(usageLines(outcome.report, now).join("\n"));
    case "not-logged-in":
      return t(`Not logged in to Kimi Code (${outcome.detail}).\n${LOGIN_HINT}`);
    case "login-required":
      return t(outcome.message);
    case "api-key-without-usage":
      return t(
        `Kimi Code does not show usage for this API key (${outcome.message}).\n` +
          "Usage is shown for device logins; the key's plan is on https://www.kimi.com/code.",
      );
    case "unreachable":
      return t(`Cannot reach Kimi Code: ${outcome.message}.\nCheck your network connection and try /kimi-usage again.`);
    case "failed":
      return t(`Kimi Code's usage lookup failed: ${outcome.message}.`);
  }
}

export function statusText(facts: StatusFacts, now: number): DialogText {
  return { title: STATUS_TITLE, message: statusLines(facts, now).join("\n") };
}

/** What a dialog says when the plugin itself failed (a bug, never a Kimi answer). */
export function internalErrorText(title: string, error: unknown): DialogText {
  const detail = error instanceof Error ? error.message : String(error);
  return { title, message: `The Kimi Code plugin failed: ${detail}` };
}
