// What the user is told about a used-up Kimi quota (kimi-errors.ts quota-* rows) and a blocked account:
// which window, when it resets (from /usages, in local time and "in 2 d 5 h"), where to buy extra usage
// or upgrade, and whether opencode should wait (a 429 whose window resets within QUOTA_WAIT_LIMIT_MS)
// or show it at once (everything else). Pure: /usages is looked up by the caller.
import { KIMI_QUOTA_URL } from "../config/constants.ts";
import { messages } from "../support/errors.ts";
import { describeReset, pickQuotaWindow, type QuotaWindow } from "../usage/usage.ts";
import type { KimiErrorClassification, QuotaWindowKind } from "./kimi-errors.ts";

export interface Verdict {
  status: number;
  type: string;
  message: string;
  /** Set only on a retryable 429: the Retry-After opencode waits (any Kimi sent is dropped otherwise). */
  retryAfterS?: number;
}

/**
 * A used-up window that resets later than this is reported as a final error at once; a sooner reset
 * of a 429 stays a 429 with Retry-After, which opencode waits out and retries by itself.
 */
export const QUOTA_WAIT_LIMIT_MS = 5 * 60_000;

const KIND_LABELS: Record<Exclude<QuotaWindowKind, "any" | "billing-cycle">, RegExp> = {
  "5h": /^5h limit$/i,
  weekly: /^weekly limit$/i,
  monthly: /^monthly/i,
};

const exhausted = (w: QuotaWindow) => w.remaining <= 0 || w.used >= w.limit;

/** The /usages window a quota answer is about: by label for a named window, else the binding one. */
export function windowFor(kind: QuotaWindowKind, windows: readonly QuotaWindow[]): QuotaWindow | undefined {
  if (kind === "any" || kind === "billing-cycle") {
    const picked = pickQuotaWindow(windows);
    return picked?.exhausted ? picked.window : undefined;
  }
  const label = KIND_LABELS[kind];
  const candidates = windows.filter((w) => label.test(w.label));
  return candidates.find(exhausted) ?? candidates[0];
}

/** How the window is named to the user. */
export function windowName(kind: QuotaWindowKind, window: QuotaWindow | undefined): string {
  switch (kind) {
    case "weekly":
      return "weekly (7-day) usage limit";
    case "monthly":
      return "monthly usage limit";
    case "5h":
      return "5-hour usage limit";
    case "billing-cycle":
      return "usage limit for this billing cycle";
    case "any":
      if (!window) return "usage quota";
      if (/^weekly limit$/i.test(window.label)) return "weekly (7-day) usage limit";
      if (/^5h limit$/i.test(window.label)) return "5-hour usage limit";
      if (/^monthly limit$/i.test(window.label)) return "monthly usage limit";
      if (/^monthly coding limit$/i.test(window.label)) return "monthly coding usage limit";
      return `usage limit "${window.label}"`;
  }
}

/** Kimi's own link in its quota answer when it points at Kimi, else the one its weekly answer carries. */
export function buyUrl(serverMessage: string): string {
  for (const m of serverMessage.matchAll(/https:\/\/[^\s)"'<>]+/g)) {
    try {
      const host = new URL(m[0]).hostname;
      if (/(^|\.)(kimi\.com|kimi\.ai|moonshot\.cn|moonshot\.ai)$/.test(host)) return m[0].replace(/[.,;]+$/, "");
    } catch {
      // not a URL: keep looking
    }
  }
  return KIMI_QUOTA_URL;
}

/** The appeal contacts in Kimi's "Access terminated" answer (only Kimi's own addresses). */
export function blockedContact(serverMessage: string): { url?: string; email?: string } {
  const url = buyUrl(serverMessage);
  const email = /[\w.+-]+@((?:[\w-]+\.)*(?:kimi\.com|kimi\.ai|moonshot\.cn|moonshot\.ai))\b/.exec(serverMessage)?.[0];
  return { ...(url !== KIMI_QUOTA_URL ? { url } : {}), ...(email ? { email } : {}) };
}

export interface QuotaFacts {
  kimi: KimiErrorClassification;
  /** Kimi's HTTP status: only a 429 may stay retryable. */
  status: number;
  /** From /usages; undefined when it could not be read. */
  windows: readonly QuotaWindow[] | undefined;
  /** Kimi's Retry-After, if it sent one. */
  retryAfterMs: number | undefined;
  now: number;
}

/** A used-up quota: final (403 kimi_quota_exhausted), unless a 429's window resets within the wait limit. */
export function quotaVerdict({ kimi, status, windows, retryAfterMs, now }: QuotaFacts): Verdict {
  const kind = kimi.window ?? "any";
  const window = windows ? windowFor(kind, windows) : undefined;
  let resetAt = window?.resetAt?.getTime();
  if ((resetAt === undefined || resetAt <= now) && retryAfterMs !== undefined) resetAt = now + retryAfterMs;
  const name = windowName(kind, window);
  if (status === 429 && resetAt !== undefined && resetAt - now <= QUOTA_WAIT_LIMIT_MS) {
    const retryAfterS = Math.max(1, Math.ceil((resetAt - now) / 1000));
    return { status: 429, type: "kimi_rate_limited", retryAfterS, message: messages.quotaResetsSoon(name, describeReset(new Date(resetAt), new Date(now))) };
  }
  const reset = resetAt !== undefined && resetAt > now ? describeReset(new Date(resetAt), new Date(now)) : undefined;
  // 403, not 429: opencode would retry for a minute, or sit out a Retry-After of hours, silently.
  return { status: 403, type: "kimi_quota_exhausted", message: messages.quotaUsedUp(name, reset, windows !== undefined, buyUrl(kimi.message)) };
}
