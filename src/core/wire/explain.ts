// Kimi's error answers reworded into an OpenAI-style error whose `error.message` opencode shows: what
// happened, what to do, and (through the status) whether opencode retries. The class comes from
// kimi-errors.ts (THE table); this module does the I/O around it (reading the body, /usages for the
// reset time, the busy streak). Our own error types (`kimi_*`), never Kimi's, and no words that make
// opencode retry a final error (support/errors.ts OPENCODE_RETRY_PATTERNS).
import { MAX_ERROR_BODY_BYTES } from "../config/constants.ts";
import { errorResponse, messages, type BusyCause } from "../support/errors.ts";
import { jsonOrText } from "../support/http.ts";
import { readHead } from "../support/body-head.ts";
import { log } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { describeQuotaExhaustion, pickQuotaWindow, type QuotaWindow } from "../usage/usage.ts";
import { BUSY_DEFAULT_RETRY_AFTER_S, type BusyStreak } from "./busy-streak.ts";
import { classifyKimiError, REWORDED_STATUS, type KimiErrorClassification } from "./kimi-errors.ts";
import { blockedContact, QUOTA_WAIT_LIMIT_MS, quotaVerdict, type Verdict } from "./quota-answer.ts";

export interface ExplainContext {
  identity: { name: string; description: string };
  /** The quota windows from /usages, for the reset of a used-up quota; undefined when they cannot be had. */
  quota?: (credential: Credential, signal?: AbortSignal) => Promise<readonly QuotaWindow[] | undefined>;
  now?: () => number;
  /** The request's abort signal: an aborted request does not wait for the /usages lookup. */
  signal?: AbortSignal;
  /** Shared by the requests of one process (request.ts ends it on success). */
  busy?: BusyStreak;
}

export { QUOTA_WAIT_LIMIT_MS } from "./quota-answer.ts";

const PASS_THROUGH_HEADERS = ["retry-after", "x-trace-id", "x-request-id", "msh-request-id"];

function secretsOf(credential: Credential): string[] {
  return credential.type === "oauth" ? [credential.access, credential.refresh] : [credential.key];
}


/**
 * The answer opencode gets for a Kimi error. Statuses outside REWORDED_STATUS (400, 5xx, …) are the
 * very Response fetch produced (400 "exceeded model token limit" must reach opencode's overflow
 * detection as it is); a read 404 that is not Kimi's "model not found" goes back byte for byte.
 */
export async function explainError(
  response: Response,
  credential: Credential,
  retried: boolean,
  ctx: ExplainContext,
  messagesRoute = false,
): Promise<Response> {
  const status = response.status;
  if (!REWORDED_STATUS.has(status)) return response;
  const { head, rest } = await readHead(response, MAX_ERROR_BODY_BYTES);
  const kimi = classifyKimiError(status, jsonOrText(new TextDecoder().decode(head)), secretsOf(credential));
  if (kimi.retry === "pass-through") {
    return new Response(rest ?? head, { status, statusText: response.statusText, headers: response.headers });
  }
  await rest?.cancel().catch(() => {});
  log("warn", `Kimi Code answered HTTP ${status}`, { class: kimi.class, type: kimi.type, code: kimi.code, message: kimi.message });
  const keep = new Headers();
  for (const name of PASS_THROUGH_HEADERS) {
    const v = response.headers.get(name);
    if (v !== null) keep.set(name, v);
  }
  const verdict = await decide(kimi, status, response.headers.get("retry-after"), credential, retried, ctx, messagesRoute);
  if (verdict.retryAfterS === undefined) keep.delete("retry-after");
  else keep.set("retry-after", String(verdict.retryAfterS));
  return errorResponse(verdict.status, verdict.message, verdict.type, keep);
}

async function decide(
  kimi: KimiErrorClassification,
  status: number,
  retryAfterHeader: string | null,
  credential: Credential,
  retried: boolean,
  ctx: ExplainContext,
  messagesRoute: boolean,
): Promise<Verdict> {
  const now = (ctx.now ?? Date.now)();
  switch (kimi.class) {
    case "unauthorized":
      return {
        status: 401,
        type: "kimi_unauthorized",
        message:
          credential.type === "api"
            ? messages.rejectedKey(kimi.message)
            : retried
              ? messages.unauthorizedAfterRetry()
              : messages.loginRequired(kimi.message || "HTTP 401"),
      };
    case "membership":
      return { status: 402, type: "kimi_membership_expired", message: messages.membershipExpired(kimi.message) };
    case "client-gate":
      return { status: 403, type: "kimi_client_not_allowed", message: messages.clientGate(kimi.message, ctx.identity.description, ctx.identity.name, honestAlternative(messagesRoute)) };
    case "account-blocked":
      return { status: 403, type: "kimi_account_blocked", message: messages.accountBlocked(blockedContact(kimi.message), ctx.identity) };
    case "model-not-found":
      return { status: 404, type: "kimi_model_not_found", message: messages.modelNotFound(kimi.message) };
    case "forbidden":
      return { status: 403, type: "kimi_forbidden", message: messages.forbidden(kimi.message, kimi.type === "access_terminated_error") };
    case "quota-weekly":
    case "quota-monthly":
    case "quota-billing-cycle":
    case "quota-5h":
    case "quota-exceeded": {
      const windows = await lookUpQuota(credential, ctx);
      return quotaVerdict({ kimi, status, windows, ...afterLookUp(retryAfterHeader, now, ctx) });
    }
    case "concurrency":
    case "overloaded":
      return busyVerdict(kimi.class, kimi.message, retryAfterHeader, now, ctx);
    default:
      return rateLimitVerdict(kimi, retryAfterHeader, credential, now, ctx);
  }
}

/** On the OpenAI route the gate's way out is the Anthropic route, which Kimi does not gate by client. */
function honestAlternative(messagesRoute: boolean): string {
  return messagesRoute ? "" : messages.anthropicRouteHint();
}

async function lookUpQuota(credential: Credential, ctx: ExplainContext): Promise<readonly QuotaWindow[] | undefined> {
  try {
    return await ctx.quota?.(credential, ctx.signal);
  } catch (error) {
    log("warn", "could not read Kimi's /usages to explain a quota answer", { error: (error as Error)?.message ?? String(error) });
    return undefined;
  }
}

/**
 * The clock and Kimi's Retry-After as of the answer, which comes after the /usages lookup: a wait
 * until a window's reset counts from then, and Kimi's Retry-After counted from its own answer.
 */
function afterLookUp(retryAfterHeader: string | null, answeredAt: number, ctx: ExplainContext): { now: number; retryAfterMs: number | undefined } {
  const now = Math.max(answeredAt, (ctx.now ?? Date.now)());
  const asked = retryAfterMs(retryAfterHeader, answeredAt);
  return { now, retryAfterMs: asked === undefined ? undefined : asked - (now - answeredAt) };
}

/**
 * A 429 that names no cause: /usages may show a used-up window (a quota answer then); a Retry-After
 * beyond QUOTA_WAIT_LIMIT_MS is final; otherwise Kimi is busy.
 */
async function rateLimitVerdict(
  kimi: KimiErrorClassification,
  retryAfterHeader: string | null,
  credential: Credential,
  now: number,
  ctx: ExplainContext,
): Promise<Verdict> {
  const windows = await lookUpQuota(credential, ctx);
  const picked = windows ? pickQuotaWindow(windows) : undefined;
  if (windows && picked?.exhausted) {
    return quotaVerdict({ kimi: { ...kimi, window: "any" }, status: 429, windows, ...afterLookUp(retryAfterHeader, now, ctx) });
  }
  // e.g. "Kimi Code quota almost exhausted: 5h limit used 97/100, …" (retryable, so counts may show).
  const sentence = windows ? describeQuotaExhaustion(windows, new Date(now)) : undefined;
  return busyVerdict("unknown", kimi.message, retryAfterHeader, now, ctx, sentence);
}

/** Concurrency, overload or an unexplained 429: retryable within the busy streak's budget, then final. */
function busyVerdict(
  cause: BusyCause,
  serverMessage: string,
  retryAfterHeader: string | null,
  now: number,
  ctx: ExplainContext,
  quotaSentence?: string,
): Verdict {
  const waitMs = retryAfterMs(retryAfterHeader, now);
  if (waitMs !== undefined && waitMs > QUOTA_WAIT_LIMIT_MS) {
    // opencode honours any Retry-After silently: a wait this long must be said at once.
    return { status: 403, type: "kimi_wait_required", message: messages.longWait(waitMs / 1000, new Date(now + waitMs), serverMessage) };
  }
  const streak = ctx.busy?.note(now) ?? { elapsedMs: 0, leftMs: Number.POSITIVE_INFINITY };
  if (streak.leftMs <= 0) {
    return { status: 403, type: "kimi_busy", message: messages.busyGaveUp(cause, streak.elapsedMs / 1000) };
  }
  const asked = waitMs !== undefined ? Math.ceil(waitMs / 1000) : BUSY_DEFAULT_RETRY_AFTER_S;
  const retryAfterS = Math.max(1, Math.min(asked, Math.ceil(streak.leftMs / 1000)));
  return { status: 429, type: "kimi_rate_limited", retryAfterS, message: messages.busyRetrying(cause, serverMessage, retryAfterS, quotaSentence) };
}

/** A Retry-After header (seconds or an HTTP date) as milliseconds from now; undefined if absent or invalid. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
