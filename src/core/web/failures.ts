// Why a web tool call failed, as a short sentence the model and the user both understand: the cause
// and what to do. A tool result is read by the model, not by opencode's retry logic, so these may
// name statuses freely. Kimi's 403 means three things (client gate, used-up quota, blocked account):
// they are told apart by the message, and identity advice goes with the gate alone. A used-up quota
// is worded as chat's (wire/quota-answer.ts): the window, its reset from /usages, where to buy more.
import { LOGIN_HINT, formatSeconds, serverError } from "../support/errors.ts";
import { describeQuotaExhaustion, type QuotaWindow } from "../usage/usage.ts";
import { classifyKimiError } from "../wire/kimi-errors.ts";
import { quotaVerdict } from "../wire/quota-answer.ts";

export type WebService = "search" | "fetch";

const SERVICE_NAME: Record<WebService, string> = { search: "Kimi web search", fetch: "Kimi URL fetch" };

/** What a failure sentence may need to know. */
export interface FailureContext {
  service: WebService;
  identity: { name: string; description: string };
  credentialType: "oauth" | "api";
  /** The 401 came after a forced refresh and a retry. */
  retried: boolean;
}

function quoted(message: string): string {
  const m = message.trim().slice(0, 300);
  return m ? `: "${m}"` : "";
}

/** Kimi's gate wording (landscape.md §5): "…only available for Coding Agents such as Kimi CLI…". */
function isClientGate(message: string): boolean {
  return /coding agents/i.test(message);
}

function isQuota(message: string): boolean {
  return /quota|usage limit|limit (?:reached|exceeded)|exhausted|used up/i.test(message);
}

/** A 403 that says a quota is used up (a quota row of Kimi's table, or quota words): /usages tells its reset. */
export function isQuotaRefusal(status: number, body: unknown): boolean {
  if (status !== 403) return false;
  const kimi = classifyKimiError(status, body);
  return kimi.class.startsWith("quota-") || (kimi.class === "forbidden" && isQuota(kimi.message));
}

/** A sentence for an HTTP error answer of /search or /fetch. */
export function httpFailure(status: number, body: unknown, ctx: FailureContext, extra: { retryAfterSec?: number; quota?: readonly QuotaWindow[]; now?: Date } = {}): string {
  const name = SERVICE_NAME[ctx.service];
  const server = serverError(body);
  switch (status) {
    case 401:
      if (ctx.credentialType === "api") {
        return `${name} failed: Kimi Code rejected the API key (HTTP 401${quoted(server.message)}). Check the key, then run \`opencode auth login\` again.`;
      }
      return ctx.retried
        ? `${name} failed: Kimi Code rejected the login even after a token refresh (HTTP 401). ${LOGIN_HINT}`
        : `${name} failed: the Kimi Code login is no longer valid (HTTP 401). ${LOGIN_HINT}`;
    case 402:
      return `${name} failed: the Kimi Code membership has expired (HTTP 402${quoted(server.message)}). Renew the plan at https://www.kimi.com/code.`;
    case 403:
      if (isClientGate(server.message)) {
        return (
          `${name} failed: Kimi refused this client (HTTP 403${quoted(server.message)}). ` +
          `The request went out as ${ctx.identity.description} (identity "${ctx.identity.name}"). ` +
          (ctx.identity.name === "kimi-cli"
            ? `Switch back to the default identity "opencode", or update opencode-kimi-code.`
            : `Update opencode-kimi-code; the opt-in identity "kimi-cli" makes requests look like kimi-cli, at your own risk (Kimi's rules forbid altering the client identifier).`)
        );
      }
      if (isQuotaRefusal(status, body)) {
        // Always final here: a tool result is read by the model, and opencode never retries a tool.
        const now = (extra.now ?? new Date()).getTime();
        const verdict = quotaVerdict({ kimi: classifyKimiError(status, body), status, windows: extra.quota, retryAfterMs: undefined, now });
        return `${name} failed: ${verdict.message}`;
      }
      return `${name} failed: Kimi refused the request for this account (HTTP 403${quoted(server.message)}).`;
    case 429:
      return rateLimited(name, server.message, extra);
    default:
      if (status >= 500) return `${name} failed: Kimi's service had an error (HTTP ${status}). Try again in a moment.`;
      return `${name} failed: Kimi answered HTTP ${status}${quoted(server.message)}.`;
  }
}

function rateLimited(name: string, serverMessage: string, extra: { retryAfterSec?: number; quota?: readonly QuotaWindow[]; now?: Date }): string {
  const quota = extra.quota ? describeQuotaExhaustion(extra.quota, extra.now ?? new Date()) : undefined;
  const wait = extra.retryAfterSec !== undefined ? ` Kimi asks to wait ${formatSeconds(extra.retryAfterSec)}.` : "";
  const why = quota ? ` ${quota}` : "";
  return `${name} failed: Kimi Code's rate limit is reached (HTTP 429${quoted(serverMessage)}).${why}${wait}`.trim();
}

export function timeoutFailure(service: WebService, timeoutMs: number): string {
  return `${SERVICE_NAME[service]} failed: Kimi did not answer within ${Number((timeoutMs / 1000).toFixed(1))} s. Try again, or a narrower ${service === "search" ? "query" : "page"}.`;
}

export function networkFailure(service: WebService, host: string, detail: string): string {
  return `${SERVICE_NAME[service]} failed: could not reach ${host} (${detail}).`;
}

export function cancelled(service: WebService): string {
  return `${SERVICE_NAME[service]} was cancelled.`;
}

/** The keeper could not give a credential (no login stored, refresh refused, …): its own sentence. */
export function credentialFailure(service: WebService, detail: string): string {
  return `${SERVICE_NAME[service]} failed: ${detail}`;
}

export function malformedFailure(service: WebService, detail: string): string {
  return `${SERVICE_NAME[service]} failed: Kimi's answer was not usable (${detail}). Try again in a moment.`;
}
