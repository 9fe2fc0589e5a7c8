// Every failure a user can see, worded once: the cause and the next step. The request path turns
// them into OpenAI-style error responses, whose `error.message` opencode shows as it is.
import { API_KEY_HELP_URL, API_KEY_PREFIX, DEVICE_LOGIN_LABEL, KIMI_CODE_URL, PROVIDER_ID, PROVIDER_NAME } from "../config/constants.ts";
import { redact } from "./log.ts";

/**
 * opencode 1.18.33 retries a failed request (5 times, about 75 s of backoff, silently) when its status
 * is 408/409/429/>=500 OR its message or raw body matches one of these (the bundled SessionRetry
 * patterns, measured in test/e2e/NOTES.md §4). A final error must avoid them to be shown at once, so
 * the messages below never contain them, and quoted server text that does is left out.
 */
export const OPENCODE_RETRY_PATTERNS: readonly RegExp[] = [
  /429|500|502|503|504|524/i,
  /rate increased too quickly|rate limit|rate-limit|rate_limit|too many requests/i,
  /overloaded|service unavailable|service_unavailable|service-unavailable|internal error|internal_error|internal server error|server error|server_error|server-error|provider returned error|provider_returned_error|provider-returned-error/i,
  /terminated|fetch failed|failed to fetch|network[-_\s]error|upstream connect|connection error|connection refused|connection lost|socket connection was closed|socket hang up|reset before headers|getaddrinfo|enotfound|eai_again|econnrefused|econnreset|etimedout/i,
  /^timeout$|\b(?:request|response|connection|network|stream|read) (?:timeout|timed out|time out)\b/i,
  /try your request again|retry your request|resource exhausted|resource_exhausted/i,
  /\btry again (?:later|in\b)|\b(?:currently|temporarily) at capacity\b/i,
];

export function triggersOpencodeRetry(text: string): boolean {
  return OPENCODE_RETRY_PATTERNS.some((p) => p.test(text));
}

/** Server text quoted into an error is cut to this many characters. */
export const SERVER_TEXT_MAX = 300;
/** Our own messages are bounded too (the longest, the client gate, is about 1,000 characters). */
const MESSAGE_MAX = 2_000;

// Control characters (C0, DEL, C1: terminal escapes, CR/LF) become spaces; format characters
// (zero-width, bidi overrides, BOM) and line/paragraph separators vanish.
const CONTROL = /\p{Cc}+/gu;
// Terminal escape sequences go whole (CSI such as colours, OSC such as window titles and links).
const ESCAPES = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?/g;
const FORMAT = /[\p{Cf}\u2028\u2029]+/gu;

/**
 * Server text made safe to show (issue 8 F11): the request's own secrets and anything token-shaped
 * redacted, control and format characters removed, whitespace collapsed, at most `max` characters.
 */
export function cleanServerText(text: string, secrets: readonly string[] = [], max = SERVER_TEXT_MAX): string {
  const hide = (t: string) => secrets.reduce((acc, sec) => (sec.length >= 8 ? acc.split(sec).join("[redacted]") : acc), t);
  let t = hide(hide(text).replace(ESCAPES, "").replace(FORMAT, "").replace(CONTROL, " "));
  t = redact(t).replace(/\s+/g, " ").trim();
  const chars = Array.from(t);
  return chars.length > max ? `${chars.slice(0, max - 1).join("").trimEnd()}…` : t;
}

/** Our own detail text, in parentheses, left out when it would make opencode retry. */
function safeDetail(detail: string): string {
  return detail && !triggersOpencodeRetry(detail) ? ` (${detail})` : "";
}

/** Server text safe to quote in a final error: empty when it would make opencode retry. */
function quote(serverMessage: string): string {
  return serverMessage && !triggersOpencodeRetry(serverMessage) ? `: "${serverMessage}"` : "";
}

export const LOGIN_HINT = `Run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "${DEVICE_LOGIN_LABEL}".`;

export { KimiError, type KimiErrorKind } from "./kimi-error.ts";

export const messages = {
  loginRequired: (detail: string) =>
    `Kimi Code login is no longer valid${triggersOpencodeRetry(detail) ? "" : ` (${detail})`}. ${LOGIN_HINT}`,
  refreshUnavailable: (detail: string) =>
    `Kimi Code could not refresh your login token (${detail}). Check your network connection; the stored login is kept. ` +
    `Requests in the next minute get this answer at once; after that the next request tries again.`,
  /** Final (a 400): no answer in time from the login server; opencode would retry a 503 silently for minutes. */
  refreshNoAnswer: (detail: string) =>
    `Kimi Code's login server did not answer the token refresh in time${safeDetail(detail)}. Your stored login is kept. ` +
    `Check your network connection, VPN or proxy, then send your message again in a minute ` +
    `(until then the plugin answers this at once instead of waiting for the login server again).`,
  loggedOut: () => `You are not logged in to ${PROVIDER_NAME} (no login is stored for it). ${LOGIN_HINT}`,
  /** The login server does not know the plugin's client: a new login would be refused the same way. */
  refreshClientRefused: (detail: string) =>
    `Kimi Code's login server refused to refresh your login because it does not accept this client${safeDetail(detail)}. ` +
    `Update opencode-kimi-code and opencode; if you set the plugin's "oauthHost" (or KIMI_CODE_OAUTH_HOST / KIMI_OAUTH_HOST), ` +
    `check that it is Kimi's login server. The stored login is kept.`,
  /** The login server says the refresh request itself is malformed: a plugin out of step with Kimi. */
  refreshRequestRefused: (detail: string) =>
    `Kimi Code's login server rejected the plugin's refresh request as invalid${safeDetail(detail)}. ` +
    `Update opencode-kimi-code; if that does not help, log in again. ${LOGIN_HINT}`,
  /** A 200 answer without usable tokens: the refresh token may be spent already, so it is not sent again. */
  refreshAnswerUnusable: (detail: string) =>
    `Kimi Code's login server answered the token refresh without usable tokens${safeDetail(detail)}. ${LOGIN_HINT} ` +
    `If this keeps happening, update opencode-kimi-code.`,
  /** Any other final refusal (a 4xx that is neither a rejected token nor a known OAuth error). */
  refreshRefused: (detail: string) =>
    `Kimi Code's login server refused to refresh your login${safeDetail(detail)}. ${LOGIN_HINT} ` +
    `If the plugin's "oauthHost" (or KIMI_CODE_OAUTH_HOST / KIMI_OAUTH_HOST) is set, check it.`,
  /** A login for a non-Kimi API base that is no longer configured: its refresh token is not sent anywhere. */
  unknownLoginServer: (loginBase: string, configuredBase: string) =>
    `This Kimi Code login belongs to ${loginBase}, whose login server is not configured (the plugin is set up for ${configuredBase}), ` +
    `so its refresh token is not sent anywhere. Set "baseURL" and "oauthHost" (or KIMI_CODE_BASE_URL and KIMI_CODE_OAUTH_HOST) back to that ` +
    `server, or log in again. ${LOGIN_HINT}`,
  /** Not Kimi's answer: the plugin failed. Final (opencode would retry a 500 silently for a minute). */
  pluginError: (detail: string) =>
    `opencode-kimi-code failed unexpectedly${safeDetail(detail)}. Send the message again; if this keeps happening, ` +
    `opencode's log has the details (search it for opencode-kimi-code); please report them to the plugin's maintainers.`,
  unauthorizedAfterRetry: () =>
    `Kimi Code rejected the access token even after a refresh (HTTP 401). ${LOGIN_HINT}`,
  badKey: () =>
    `The stored ${PROVIDER_NAME} API key does not look like a Kimi Code key (those start with "${API_KEY_PREFIX}"). ` +
    `Create one at ${API_KEY_HELP_URL}, then run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "Kimi Code API key".`,
  wrongBase: (credentialBase: string, requestBase: string) =>
    `This Kimi Code login belongs to ${credentialBase}, but opencode is sending requests to ${requestBase}; the token is never sent elsewhere. ` +
    `Set the plugin's "region" (or KIMI_CODE_REGION / KIMI_CODE_BASE_URL) to match the login, or log in again. ${LOGIN_HINT}`,
  /** A stored key or token holding a character no bearer token has (the detail names it, never the value). */
  invalidCredential: (type: "api" | "oauth", problem: string) =>
    `The stored ${PROVIDER_NAME} ${type === "api" ? "API key" : "login"} contains an invisible or invalid character` +
    `${triggersOpencodeRetry(problem) ? "" : `, ${problem},`} so it cannot be sent. ` +
    (type === "api"
      ? `Paste the key again, without extra characters: run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "Kimi Code API key".`
      : `Log in again. ${LOGIN_HINT}`),
  /** An identity header whose value HTTP cannot carry (the detail names the character, never the value). */
  refreshNotSent: (detail: string) =>
    `Kimi Code could not refresh your login: ${detail}. Log in again (${LOGIN_HINT.replace(/\.$/, "")}); if you chose the kimi-cli identity, also check its device_id file.`,
  invalidIdentityHeader: (header: string, problem: string, identityName: string) =>
    `The ${header} header of the identity profile "${identityName}" contains ${triggersOpencodeRetry(problem) ? "a character" : problem} that HTTP cannot carry, so the request was not sent.` +
    (/device-id/i.test(header)
      ? ` It comes from kimi-cli's device_id file ($KIMI_SHARE_DIR/device_id or ~/.kimi/device_id): remove the stray character from it, or delete the file to get a new id.`
      : ` Switch back to the default identity "opencode" or report it.`),
  /** A redirect from the API base: never followed, so the token and the prompt stay where they were sent. */
  /** The honest way out of the client gate on the OpenAI route (issue 11), said before the identity options. */
  anthropicRouteHint: () =>
    `The honest way out: Kimi's Anthropic-compatible route is not restricted to allowlisted clients; set the plugin option protocol: "anthropic" (or KIMI_CODE_PROTOCOL=anthropic) and restart opencode.`,
  redirected: (status: number, target: string) =>
    `${PROVIDER_NAME} answered with a redirect (HTTP ${status}${target && !triggersOpencodeRetry(target) ? ` to ${target}` : ""}), which is not followed: ` +
    `the login token and the prompt are only sent to the configured API base. Check the plugin's "baseURL" / KIMI_CODE_BASE_URL and any proxy in between.`,
  // The client gate (kimi-errors.ts "client-gate"): the ONLY message with identity advice. Kimi's error
  // type here is access_terminated_error; the word "terminated" would make opencode retry for a
  // minute, so the message describes it instead of naming it.
  // `honestAlternative`: the slot for one sentence naming an honest way out before the identity options
  // (issue 11: Kimi's Anthropic-compatible route, plugin option protocol: "anthropic"); empty today.
  clientGate: (serverMessage: string, identityDescription: string, identityName: string, honestAlternative = "") =>
    `Kimi Code refused this client (HTTP 403, client not on Kimi's allowlist${quote(serverMessage)}). ` +
    (honestAlternative ? `${honestAlternative.trim()} ` : "") +
    `The request went out as ${identityDescription} (identity profile "${identityName}"). ` +
    `Kimi serves this endpoint only to clients on its allowlist. What you can do: ` +
    `(1) update opencode-kimi-code and opencode, in case Kimi changed its allowlist; ` +
    `(2) log in with a Kimi Code API key ("Kimi Code API key" method); ` +
    (identityName === "kimi-cli"
      ? `(3) the "kimi-cli" identity was refused too: switch back to the default identity "opencode". `
      : `(3) the opt-in identity "kimi-cli" (plugin option identity or KIMI_CODE_IDENTITY=kimi-cli) makes requests look like kimi-cli; ` +
        `Kimi's rules forbid altering the client identifier and memberships have been suspended for it, so it is at your own risk. `) +
    `If official clients are refused too, it is an incident on Kimi's side and passes.`,
  membershipExpired: (serverMessage: string) =>
    `Your Kimi Code membership has expired or could not be verified (HTTP 402${quote(serverMessage)}). ` +
    `Renew or upgrade your plan at ${KIMI_CODE_URL}, then retry. If your plan is active, Kimi's membership check is failing for the moment: send the message again in a few minutes.`,
  /** A 403 none of Kimi's documented texts matches. No identity advice: it may be a quota or a block. */
  forbidden: (serverMessage: string, sharedType: boolean) =>
    `Kimi Code refused the request (HTTP 403${quote(serverMessage) || ", Kimi's wording is in opencode's log"}).` +
    (sharedType
      ? ` Kimi answers this way for a client refusal, a used-up quota and a blocked account; its text matched none of them. ` +
        `Check your plan and usage at ${KIMI_CODE_URL}; the README's "When Kimi refuses" section lists each case.`
      : ""),
  /** Retryable: a used-up window of a 429 that resets within minutes; opencode waits Retry-After. */
  quotaResetsSoon: (window: string, reset: string) =>
    `Kimi Code's ${window} is used up; it resets ${reset}. opencode waits until then and retries by itself.`,
  /** Final: a used-up quota window (kimi-errors.ts quota-*). Never identity advice. */
  quotaUsedUp: (window: string, reset: string | undefined, usagesRead: boolean, buyUrl: string) =>
    `Kimi Code's ${window} is used up for this account. ` +
    (reset
      ? `It resets ${reset}. `
      : usagesRead
        ? "Kimi's usage page does not say when it resets. "
        : "When it resets is unknown (Kimi's usage page could not be read). ") +
    `Requests fail until then. To continue now, buy extra usage or upgrade your plan: ${buyUrl}`,
  /** Final: Kimi's risk control blocked the account. Never the identity options. */
  accountBlocked: (contact: { url?: string; email?: string }, identity: { name: string; description: string }) =>
    `Kimi has blocked this Kimi Code account (HTTP 403, access ended by Kimi's risk control). Neither a retry nor this plugin can undo it. ` +
    `To appeal, contact Kimi support${contact.email ? ` (${contact.email})` : ` (linked from ${KIMI_CODE_URL})`} and review Kimi's Community Guidelines` +
    `${contact.url ? ` (${contact.url})` : ""}.` +
    (identity.name === "opencode"
      ? ""
      : ` The requests went out as ${identity.description} (identity profile "${identity.name}"); imitating another client is one known trigger, so set the identity back to the default "opencode" before appealing.`),
  /** Retryable: Kimi is busy (concurrency or load); opencode waits Retry-After and tries again. */
  busyRetrying: (cause: BusyCause, serverMessage: string, retryAfterSeconds: number, quotaSentence?: string) =>
    `${quotaSentence ? `${quotaSentence} ` : ""}${BUSY_WHAT[cause]} (HTTP 429${serverMessage ? `: "${serverMessage}"` : ""}). This is temporary: opencode retries by itself ` +
    `in ${formatSeconds(retryAfterSeconds)}, for up to about a minute. ${BUSY_TODO[cause]}`,
  /** Final: the same temporary refusal lasted longer than opencode should sit silent. */
  busyGaveUp: (cause: BusyCause, seconds: number) =>
    `${BUSY_WHAT_FINAL[cause]} for ${formatSeconds(seconds)}, so the plugin stopped waiting instead of letting opencode sit silent. ${BUSY_TODO[cause]}`,
  modelNotFound: (serverMessage: string) =>
    `Kimi Code does not serve this model to this account (HTTP 404${quote(serverMessage)}): it is not in your plan, or its name is wrong. ` +
    `\`opencode models ${PROVIDER_ID}\` lists the models your login has; check your plan at ${KIMI_CODE_URL}.`,
  /** For the doctor and the log: Kimi's 400s reach opencode untouched (opencode handles some itself). */
  passThrough: (what: PassThroughClass) => PASS_THROUGH_TODO[what],
  rejectedKey: (serverMessage: string) =>
    `Kimi Code rejected the API key (HTTP 401${quote(serverMessage)}). Check that it is a current Kimi Code key from ${API_KEY_HELP_URL}, ` +
    `then run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "Kimi Code API key".`,
  /** Final: Kimi asked to wait longer than opencode should sit silent (no quota details at hand). */
  longWait: (seconds: number, until: Date, serverMessage: string) =>
    `Kimi Code is refusing requests from this account for now${quote(serverMessage)} and asks to wait ${formatSeconds(seconds)} ` +
    `(until ${until.toTimeString().slice(0, 5)}). Requests fail until then; check your plan's usage at https://www.kimi.com/code.`,
};

export type BusyCause = "concurrency" | "overloaded" | "unknown";
// Retryable wording may say anything; the final wording avoids opencode's retry patterns
// ("too many requests", "overloaded", "rate limit", "try again later", …).
const BUSY_WHAT: Record<BusyCause, string> = {
  concurrency: "Kimi Code is refusing requests from this account for now: more at once than Kimi serves in parallel",
  overloaded: "Kimi Code's servers are overloaded",
  unknown: "Kimi Code is refusing requests from this account for now",
};
const BUSY_WHAT_FINAL: Record<BusyCause, string> = {
  concurrency: "Kimi Code kept refusing requests from this account (more at once than Kimi serves in parallel)",
  overloaded: "Kimi Code's servers stayed under heavy load",
  unknown: "Kimi Code kept refusing requests from this account",
};
const BUSY_TODO: Record<BusyCause, string> = {
  concurrency: "If it keeps happening, run fewer opencode sessions or subagents at the same time.",
  overloaded: "Send your message again in a few minutes; if it persists, check your plan's throughput at " + KIMI_CODE_URL + ".",
  unknown: "Send your message again in a few minutes; check your plan's usage at " + KIMI_CODE_URL + ".",
};

export type PassThroughClass = "context-overflow" | "thinking-history" | "request-shape" | "content-filter";
const PASS_THROUGH_TODO: Record<PassThroughClass, string> = {
  "context-overflow": "The conversation is longer than the model's context window; opencode compacts it by itself (or run /compact).",
  "thinking-history": "The history lost the reasoning of an earlier tool call while thinking is on; start a new session, or use the variant \"off\" in this one.",
  "request-shape": "Kimi rejected the request's shape (too large, an image it cannot read, or two tools with one name); remove the attachment or the duplicate tool and send again.",
  "content-filter": "Kimi's content filter rejected the request; rephrase it.",
};

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** An OpenAI-compatible error response carrying our message (opencode shows `error.message`). */
export function errorResponse(status: number, message: string, type: string, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  // Last line of defence for every message (some quote server text): no token, no control character.
  // `type: "error"` makes the same body an Anthropic-style error too (what @ai-sdk/anthropic parses on
  // the /messages route); the OpenAI-compatible SDK ignores it.
  const safe = cleanServerText(message, [], MESSAGE_MAX);
  return new Response(JSON.stringify({ type: "error", error: { message: safe, type, code: type } }), { status, headers: h });
}

/**
 * The `error.message` / `error.type` of an OpenAI-style (or Anthropic-style) error body, if any, or a
 * text body; cleaned with cleanServerText (`secrets`: the request's own credential, redacted wherever echoed).
 */
export function serverError(body: unknown, secrets: readonly string[] = []): { message: string; type: string } {
  const clean = (v: unknown, max = SERVER_TEXT_MAX) => (typeof v === "string" ? cleanServerText(v, secrets, max) : "");
  if (body && typeof body === "object") {
    const e = (body as Record<string, unknown>).error;
    if (e && typeof e === "object") {
      const r = e as Record<string, unknown>;
      return { message: clean(r.message), type: clean(r.type, 80) };
    }
    if (typeof e === "string") return { message: clean(e), type: "" };
  }
  return { message: clean(body), type: "" };
}
