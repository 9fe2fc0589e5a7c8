// Kimi's documented errors, one row each: what live Kimi answers, with the exact message text where a
// public capture has it. Source of the list: Kimi Code docs "Error Reference"
// (https://www.kimi.com/code/docs/en/kimi-code/error-reference.html, quick-lookup table), summarised
// with its captures in /work/shared/reference/kimi-code-official.md. Several rows share one `type`
// (three 403s are `access_terminated_error`): a client must tell them apart by the message.
//
// Tests iterate over KIMI_ERRORS; `state.failNextChat(id)` answers a chat with a row.

/** The route `state.failNextChat` answers on by default. */
export const CHAT_COMPLETIONS_PATH = "/coding/v1/chat/completions";

export type KimiErrorId =
  | "auth-invalid-key"
  | "auth-invalid"
  | "membership-unverified"
  | "client-gate"
  | "quota-billing-cycle"
  | "quota-weekly"
  | "quota-monthly"
  | "account-blocked"
  | "too-many-requests"
  | "engine-overloaded"
  | "quota-5h"
  | "quota-monthly-429"
  | "quota-exceeded-code"
  | "context-overflow"
  | "reasoning-missing"
  | "message-too-large"
  | "unsupported-image"
  | "duplicate-function"
  | "high-risk"
  | "model-not-found";

export interface KimiErrorRow {
  id: KimiErrorId;
  status: number;
  /** `error.type` of the OpenAI-style body `{"error":{"message","type"}}`. */
  type: string;
  /** Exact text, as captured (see `source`); `exact: false` marks the emulator's completion of a keyword. */
  message: string;
  exact: boolean;
  /** What it means for the user. */
  meaning: string;
  /** Where the status, type and text come from. */
  source: string;
}

/** Both weekly-quota captures end with this link (openclaw/openclaw PR #142656). */
const QUOTA_URL = "https://www.kimi.com/membership/subscription?tab=quota";
/** The billing-cycle capture ends with this link (NanmiCoder/cc-haha#1208). */
const PRICING_URL = "https://www.kimi.com/code/#pricing";

export const KIMI_ERRORS: readonly KimiErrorRow[] = [
  {
    id: "auth-invalid-key",
    status: 401,
    type: "invalid_authentication_error",
    message: "The API Key appears to be invalid or may have expired.",
    exact: true,
    meaning: "bad or expired API key / token",
    source: "Error Reference (quick lookup); rendered literal quoted in a public error catalogue",
  },
  {
    id: "auth-invalid",
    status: 401,
    type: "invalid_authentication_error",
    message: "Invalid Authentication",
    exact: true,
    meaning: "bad or expired key / token",
    source: "Error Reference; platform.kimi.ai/docs/api/errors (401 invalid_authentication_error)",
  },
  {
    id: "membership-unverified",
    status: 402,
    type: "membership_error",
    message: "We're unable to verify your membership benefits at this time.",
    exact: true,
    meaning: "membership missing or expired (or not verifiable right now)",
    source: "Error Reference (quick lookup: \"unable to verify your membership benefits\"); type is the emulator's choice",
  },
  {
    id: "client-gate",
    status: 403,
    type: "access_terminated_error",
    message: "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.",
    exact: true,
    meaning: "the client is not on Kimi's allowlist",
    source: "Error Reference; landscape.md §5, §8 (captured body)",
  },
  {
    id: "quota-billing-cycle",
    status: 403,
    type: "access_terminated_error",
    message: `You've reached your usage limit for this billing cycle. Your quota will be refreshed in the next cycle. To continue now, purchase extra usage or upgrade your plan: ${PRICING_URL}`,
    exact: true,
    meaning: "plan quota used up for the billing cycle",
    source: "Error Reference (quick lookup, 403); full text NanmiCoder/cc-haha#1208 (there on /messages as permission_error); Kilo-Org/kilocode#11403",
  },
  {
    id: "quota-weekly",
    status: 403,
    type: "access_terminated_error",
    message: `You've reached your weekly (7-day) usage limit. Your quota will reset when the current 7-day window ends. To continue now, purchase extra usage or upgrade your plan: ${QUOTA_URL}`,
    exact: true,
    meaning: "weekly (7-day) quota used up",
    source: "openclaw/openclaw PR #142656 (captured body); MoonshotAI/kimi-code#3951",
  },
  {
    id: "quota-monthly",
    status: 403,
    type: "access_terminated_error",
    message: "You've reached your monthly usage limit for this billing cycle.",
    exact: true,
    meaning: "monthly quota used up",
    source: "can1357/oh-my-pi PR #11827 (quoted 403 access_terminated_error)",
  },
  {
    id: "account-blocked",
    status: 403,
    type: "access_terminated_error",
    // The public capture masks the link and the address; the emulator fills in plausible ones.
    message:
      "Access terminated. Review our Community Guidelines(https://www.kimi.com/code/docs/en/kimi-code/community-guidelines.html) or contact support@moonshot.cn for assistance.",
    exact: false,
    meaning: "account blocked by Kimi's risk control (one known trigger: a fake User-Agent rule); appeal to Kimi support",
    source: "Error Reference (\"Access terminated\", 403); Kimi forum \"Quota exceeded, please upgrade your plan or retry later\" (body with link and e-mail masked)",
  },
  {
    id: "too-many-requests",
    status: 429,
    type: "rate_limit_reached_error",
    message: "We're receiving too many requests at the moment. Please wait a moment and try again.",
    exact: true,
    meaning: "concurrency (about 30 parallel requests) or short-term throughput",
    source: "Error Reference; MoonshotAI/kimi-cli#901, #907; Kimi forum thread 191",
  },
  {
    id: "engine-overloaded",
    status: 429,
    type: "rate_limit_error",
    message: "The engine is currently overloaded, please try again later",
    exact: true,
    meaning: "overload / plan throughput; retrying for minutes did not help in one report",
    source: "Error Reference; Astro-Han/pawwork#740; MoonshotAI/kimi-cli#1695",
  },
  {
    id: "quota-5h",
    status: 429,
    type: "rate_limit_reached_error",
    message: "You've reached your usage limit for this period. Your quota will be refreshed in the next period.",
    exact: true,
    meaning: "the 5-hour window is used up",
    source: "Error Reference (429, rendered literal); type as Kimi forum thread 191 names quota 429s",
  },
  {
    id: "quota-monthly-429",
    status: 429,
    type: "rate_limit_reached_error",
    message: "You've reached kimi monthly usage limit for this billing cycle. Your quota will be refreshed in the next cycle.",
    exact: true,
    meaning: "monthly quota used up",
    source: "Error Reference (429, rendered literal); type is the emulator's choice",
  },
  {
    id: "quota-exceeded-code",
    status: 429,
    type: "exceeded_current_quota_error",
    message: "You exceeded your current quota, please check your plan and billing details.",
    exact: false,
    meaning: "quota exhausted, told by the error code",
    source: "kimi-code 2.1.0 dist/main.mjs 188972-189000 (classifyKimiQuotaError: a 429 whose code/type is exceeded_current_quota_error or whose text matches /exceeded your current (token )?quota/); text is the emulator's choice",
  },
  {
    id: "context-overflow",
    status: 400,
    type: "invalid_request_error",
    message: "Invalid request: Your request exceeded model token limit: 262144 (requested: 558009)",
    exact: true,
    meaning: "context overflow; opencode's overflow detection matches it and compacts",
    source: "Error Reference; MoonshotAI/kimi-cli#2011 (captured body)",
  },
  {
    id: "reasoning-missing",
    status: 400,
    type: "invalid_request_error",
    message: "thinking is enabled but reasoning_content is missing in assistant tool call message at index 2",
    exact: false,
    meaning: "the history lost the reasoning of a tool turn",
    source: "Error Reference (keyword \"thinking is enabled but reasoning_content is missing\")",
  },
  {
    id: "message-too-large",
    status: 400,
    type: "invalid_request_error",
    message: "total message size 5943865 exceeds limit 2097152",
    exact: true,
    meaning: "request body too large",
    source: "Error Reference (rendered literal)",
  },
  {
    id: "unsupported-image",
    status: 400,
    type: "invalid_request_error",
    message: "unsupported image url",
    exact: true,
    meaning: "an image the server cannot fetch or read",
    source: "Error Reference",
  },
  {
    id: "duplicate-function",
    status: 400,
    type: "invalid_request_error",
    message: "function name bash is duplicated",
    exact: false,
    meaning: "two tools with one name",
    source: "Error Reference (keyword \"function name ... is duplicated\")",
  },
  {
    id: "high-risk",
    status: 400,
    type: "content_filter",
    message: "The request was rejected because it was considered high risk",
    exact: true,
    meaning: "content filter",
    source: "Error Reference; platform.kimi.ai/docs/api/errors (400 content_filter)",
  },
  {
    id: "model-not-found",
    status: 404,
    type: "resource_not_found_error",
    message: "Not found the model kimi-for-coding or Permission denied",
    exact: true,
    meaning: "the model is not in the plan",
    source: "Error Reference",
  },
];

export const KIMI_ERROR_IDS: readonly KimiErrorId[] = KIMI_ERRORS.map((r) => r.id);

/** The row with that id; throws on an unknown id (a test typo should fail loudly). */
export function kimiError(id: KimiErrorId): KimiErrorRow {
  const row = KIMI_ERRORS.find((r) => r.id === id);
  if (!row) throw new Error(`unknown Kimi error "${id}"; known: ${KIMI_ERROR_IDS.join(", ")}`);
  return row;
}

/** The JSON body live Kimi sends for a row: `{"error":{"message":…,"type":…}}`. */
export function kimiErrorBody(id: KimiErrorId): { error: { message: string; type: string } } {
  const { message, type } = kimiError(id);
  return { error: { message, type } };
}
