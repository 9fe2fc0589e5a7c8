// Kimi's error answers, classified the way Kimi documents them: ONE table, read by the request path
// (explain.ts), the CLI doctor and the tests. Several answers share one HTTP status and one error
// type (three different 403s are all `access_terminated_error`: the client gate, a used-up quota and
// a blocked account), so a row matches on the status AND the message text (or the error code).
//
// Source of the rows: Kimi Code docs, "Error Reference" (kimi-code/error-reference.html, quick-lookup
// table) and the public captures named per row; summarised in shared/reference/kimi-code-official.md
// ("Kimi's errors, as Kimi's own Error Reference lists them").
import { serverError } from "../support/errors.ts";

export type KimiErrorClass =
  | "unauthorized"
  | "membership"
  | "client-gate"
  | "account-blocked"
  | "quota-weekly"
  | "quota-monthly"
  | "quota-billing-cycle"
  | "quota-5h"
  | "quota-exceeded"
  | "concurrency"
  | "overloaded"
  | "context-overflow"
  | "thinking-history"
  | "request-shape"
  | "content-filter"
  | "model-not-found"
  // Fallbacks: the status is known, the text is not.
  | "forbidden"
  | "rate-limited"
  | "other";

/** The quota window a quota answer is about (`any`: the answer does not say which). */
export type QuotaWindowKind = "5h" | "weekly" | "monthly" | "billing-cycle" | "any";

/**
 * What opencode should do with the answer:
 * - `final`: shown at once; the plugin answers with a status and words opencode does not retry.
 * - `final-unless-reset-soon`: a used-up quota; final, unless the window resets within
 *   QUOTA_WAIT_LIMIT_MS, then a 429 with Retry-After until the reset (opencode waits it out).
 * - `retry-bounded`: temporary; a 429 opencode retries, within a time budget, then final.
 * - `pass-through`: Kimi's answer goes to opencode untouched (its own handling applies).
 */
export type RetryDecision = "final" | "final-unless-reset-soon" | "retry-bounded" | "pass-through";

export interface KimiErrorRow {
  class: KimiErrorClass;
  status: readonly number[];
  /** Matched against `error.message` (case-insensitive); absent = any message. */
  message?: RegExp;
  /** Matched against `error.type` or `error.code`; a row with both matches on either. */
  code?: string;
  retry: RetryDecision;
  window?: QuotaWindowKind;
  /** Kimi's wording, as documented or captured (for the reader; tests send the exact texts). */
  kimiSays: string;
  source: string;
}

const QUOTA_STATUS = [403, 429] as const;

/** In match order: the first row whose status and text match wins. */
export const KIMI_ERROR_TABLE: readonly KimiErrorRow[] = [
  { class: "unauthorized", status: [401], retry: "final", kimiSays: "The API Key appears to be invalid or may have expired. / Invalid Authentication", source: "Error Reference" },
  { class: "membership", status: [402], retry: "final", kimiSays: "We're unable to verify your membership benefits at this time.", source: "Error Reference" },
  { class: "client-gate", status: [403], message: /coding agents/i, retry: "final", kimiSays: "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.", source: "Error Reference; landscape.md §5 (captured body)" },
  { class: "account-blocked", status: [403], message: /\baccess terminated\b|community guidelines/i, retry: "final", kimiSays: "Access terminated. Review our Community Guidelines … or contact … for assistance.", source: "Error Reference; Kimi forum \"Quota exceeded, please upgrade your plan or retry later\"" },
  // Weekly and monthly before billing cycle: "monthly usage limit for this billing cycle" names both.
  { class: "quota-weekly", status: QUOTA_STATUS, message: /\b(weekly|7-day)\b.*usage limit|usage limit.*\b(weekly|7-day)\b/i, retry: "final-unless-reset-soon", window: "weekly", kimiSays: "You've reached your weekly (7-day) usage limit. Your quota will reset when the current 7-day window ends. To continue now, purchase extra usage or upgrade your plan: …", source: "openclaw/openclaw PR #142656; MoonshotAI/kimi-code#3951" },
  { class: "quota-monthly", status: QUOTA_STATUS, message: /monthly usage limit/i, retry: "final-unless-reset-soon", window: "monthly", kimiSays: "You've reached your monthly usage limit for this billing cycle. (403) / You've reached kimi monthly usage limit (429)", source: "can1357/oh-my-pi PR #11827; Error Reference" },
  { class: "quota-billing-cycle", status: QUOTA_STATUS, message: /usage limit for this billing cycle/i, retry: "final-unless-reset-soon", window: "billing-cycle", kimiSays: "You've reached your usage limit for this billing cycle. Your quota will be refreshed in the next cycle. To continue now, purchase extra usage or upgrade your plan: …", source: "Error Reference; NanmiCoder/cc-haha#1208" },
  { class: "quota-5h", status: QUOTA_STATUS, message: /usage limit for this period/i, retry: "final-unless-reset-soon", window: "5h", kimiSays: "You've reached your usage limit for this period.", source: "Error Reference (429)" },
  // kimi-code 2.1.0 dist/main.mjs 188972-189000 (classifyKimiQuotaError): the code, or this text.
  { class: "quota-exceeded", status: QUOTA_STATUS, code: "exceeded_current_quota_error", message: /exceeded your current (token )?quota/i, retry: "final-unless-reset-soon", window: "any", kimiSays: "error code exceeded_current_quota_error", source: "kimi-code 2.1.0 dist/main.mjs 188972-189000" },
  { class: "concurrency", status: [429], message: /too many requests/i, retry: "retry-bounded", kimiSays: "We're receiving too many requests at the moment. Please wait a moment and try again.", source: "Error Reference; MoonshotAI/kimi-cli#901" },
  { class: "overloaded", status: [429], message: /overloaded/i, retry: "retry-bounded", kimiSays: "The engine is currently overloaded, please try again later", source: "Error Reference; Astro-Han/pawwork#740" },
  // opencode's overflow detection matches this text and compacts the session: never reword it.
  { class: "context-overflow", status: [400], message: /exceeded model token limit/i, retry: "pass-through", kimiSays: "Your request exceeded model token limit: 262144", source: "Error Reference; MoonshotAI/kimi-cli#2011" },
  { class: "thinking-history", status: [400], message: /reasoning_content is missing/i, retry: "pass-through", kimiSays: "thinking is enabled but reasoning_content is missing in assistant tool call message at index N", source: "Error Reference" },
  { class: "request-shape", status: [400], message: /total message size|unsupported image|function name .* is duplicated/i, retry: "pass-through", kimiSays: "total message size N exceeds limit 2097152 / unsupported image url / function name … is duplicated", source: "Error Reference" },
  { class: "content-filter", status: [400], message: /high risk/i, retry: "pass-through", kimiSays: "The request was rejected because it was considered high risk", source: "Error Reference" },
  { class: "model-not-found", status: [404], message: /not found the model/i, retry: "final", kimiSays: "Not found the model kimi-for-coding or Permission denied", source: "Error Reference" },
  { class: "forbidden", status: [403], retry: "final", kimiSays: "(any other 403)", source: "fallback" },
  { class: "rate-limited", status: [429], retry: "retry-bounded", kimiSays: "(any other 429)", source: "fallback" },
];

/** Statuses the request path reads and rewords; every other error goes to opencode untouched. */
export const REWORDED_STATUS: ReadonlySet<number> = new Set([401, 402, 403, 404, 429]);

export interface KimiErrorClassification {
  class: KimiErrorClass;
  retry: RetryDecision;
  window?: QuotaWindowKind;
  /** Kimi's `error.message` / `error.type` / `error.code`, sanitised (redacted, no control characters, bounded). */
  message: string;
  type: string;
  code: string;
}

function codeOf(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  const e = (body as Record<string, unknown>).error;
  const code = e && typeof e === "object" ? (e as Record<string, unknown>).code : undefined;
  return typeof code === "string" ? code : "";
}

function matches(row: KimiErrorRow, message: string, type: string, code: string): boolean {
  const byCode = row.code !== undefined && (type === row.code || code === row.code);
  const byText = row.message !== undefined && row.message.test(message);
  if (row.code === undefined && row.message === undefined) return true;
  return byCode || byText;
}

/**
 * The class of a Kimi error answer: status + parsed body (OpenAI-style `{error:{message,type,code}}`,
 * Anthropic-style `{type:"error", error:{…}}`, or plain text). Pure; never throws.
 */
export function classifyKimiError(status: number, body: unknown, secrets: readonly string[] = []): KimiErrorClassification {
  const { message, type } = serverError(body, secrets);
  const code = codeOf(body);
  const row = KIMI_ERROR_TABLE.find((r) => r.status.includes(status) && matches(r, message, type, code));
  if (!row) return { class: "other", retry: "pass-through", message, type, code };
  return { class: row.class, retry: row.retry, ...(row.window ? { window: row.window } : {}), message, type, code };
}
