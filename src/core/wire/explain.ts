// Kimi's error answers (401/402/403/429) reworded into an OpenAI-style error whose `error.message`
// opencode shows: what happened and what to do. Our own error types (`kimi_*`), never Kimi's, and no
// words that make opencode retry a final error (support/errors.ts OPENCODE_RETRY_PATTERNS).
import { errorResponse, messages, serverError } from "../support/errors.ts";
import { readBody } from "../support/http.ts";
import { log } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { describeQuotaExhaustion, pickQuotaWindow, type QuotaWindow } from "../usage/usage.ts";

export interface ExplainContext {
  identity: { name: string; description: string };
  /** The quota windows from /usages, to explain a 429; undefined when they cannot be had. */
  quota?: (credential: Credential) => Promise<readonly QuotaWindow[] | undefined>;
  now?: () => number;
}

/**
 * An exhausted quota window that resets later than this is reported as a final error at once; a
 * sooner reset stays a 429 with Retry-After, which opencode waits out and retries by itself.
 */
export const QUOTA_WAIT_LIMIT_MS = 5 * 60_000;

const PASS_THROUGH_HEADERS = ["retry-after", "x-trace-id", "x-request-id", "msh-request-id"];


export async function explainError(
  response: Response,
  credential: Credential,
  retried: boolean,
  ctx: ExplainContext,
): Promise<Response> {
  const status = response.status;
  if (status !== 401 && status !== 402 && status !== 403 && status !== 429) return response;
  const server = serverError(await readBody(response));
  const keep = new Headers();
  for (const name of PASS_THROUGH_HEADERS) {
    const v = response.headers.get(name);
    if (v !== null) keep.set(name, v);
  }
  // Our own error types: Kimi's (e.g. access_terminated_error) can contain words that make opencode
  // retry a final error for a minute (errors.ts OPENCODE_RETRY_PATTERNS).
  let message: string;
  let type: string;
  let outStatus = status;
  switch (status) {
    case 401:
      type = "kimi_unauthorized";
      message =
        credential.type === "api"
          ? messages.rejectedKey(server.message)
          : retried
            ? messages.unauthorizedAfterRetry()
            : messages.loginRequired(server.message || "HTTP 401");
      break;
    case 402:
      type = "kimi_membership_expired";
      message = messages.membershipExpired(server.message);
      break;
    case 403:
      if (server.type === "access_terminated_error" || /coding agents/i.test(server.message)) {
        type = "kimi_client_not_allowed";
        message = messages.accessTerminated(server.message, ctx.identity.description, ctx.identity.name);
      } else {
        type = "kimi_forbidden";
        message = messages.forbidden(server.message);
      }
      break;
    default:
      ({ status: outStatus, type, message } = await explainRateLimit(response, credential, server.message, keep, ctx));
  }
  log("warn", `Kimi Code answered HTTP ${status}`, { type: server.type, message: server.message });
  return errorResponse(outStatus, message, type, keep);
}

/** 429: a quota window exhausted until much later is final; anything else stays a retryable 429. */
async function explainRateLimit(
  response: Response,
  credential: Credential,
  serverMessage: string,
  keep: Headers,
  ctx: ExplainContext,
): Promise<{ status: number; type: string; message: string }> {
  const now = (ctx.now ?? Date.now)();
  let windows: readonly QuotaWindow[] | undefined;
  try {
    windows = await ctx.quota?.(credential);
  } catch {
    windows = undefined;
  }
  const picked = windows ? pickQuotaWindow(windows) : undefined;
  const resetAt = picked?.window.resetAt?.getTime();
  if (windows && picked?.exhausted && (resetAt === undefined || resetAt - now > QUOTA_WAIT_LIMIT_MS)) {
    // 403, not 429: opencode would otherwise retry for a minute (or wait out a Retry-After of hours).
    keep.delete("retry-after");
    const sentence = describeQuotaExhaustion(windows, new Date(now), { counts: false }) ?? "Kimi Code quota exhausted.";
    return { status: 403, type: "kimi_quota_exhausted", message: messages.quotaExhausted(sentence) };
  }
  // Kimi's own Retry-After: a wait longer than the limit would stall opencode silently (it honours
  // any Retry-After), so it too becomes a final error, even when /usages cannot say why.
  const waitMs = retryAfterMs(response.headers.get("retry-after"), now);
  if (waitMs !== undefined && waitMs > QUOTA_WAIT_LIMIT_MS) {
    keep.delete("retry-after");
    return { status: 403, type: "kimi_wait_required", message: messages.longWait(waitMs / 1000, new Date(now + waitMs), serverMessage) };
  }
  let retryAfter = waitMs !== undefined ? Math.ceil(waitMs / 1000) : Number.NaN;
  if (!Number.isFinite(retryAfter) && resetAt !== undefined && picked?.exhausted) {
    retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
    keep.set("retry-after", String(retryAfter));
  }
  const sentence = windows ? describeQuotaExhaustion(windows, new Date(now)) : undefined;
  return {
    status: 429,
    type: "kimi_rate_limited",
    message: messages.rateLimited(sentence, Number.isFinite(retryAfter) ? retryAfter : undefined, serverMessage),
  };
}

/** A Retry-After header (seconds or an HTTP date) as milliseconds from now; undefined if absent or invalid. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
