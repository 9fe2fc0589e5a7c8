// Kimi's documented error answers, exactly as the reference gives them (shared/reference/
// kimi-code-official.md "Kimi's errors, as Kimi's own Error Reference lists them"; texts as captured,
// the same as emulator/kimi-errors.ts KIMI_ERRORS, kept apart so the plugin's unit tests need no
// emulator; test/integration/kimi-errors.test.ts checks the emulator's rows against the plugin's table.

export interface KimiAnswer {
  /** The reference row this answer stands for. */
  row: string;
  status: number;
  type: string;
  message: string;
  /** `error.code`, where Kimi's answer is told by its code. */
  code?: string;
}

const QUOTA_URL = "https://www.kimi.com/membership/subscription?tab=quota";
const PRICING_URL = "https://www.kimi.com/code/#pricing";

export const GATE_TEXT = "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.";
export const WEEKLY_TEXT = `You've reached your weekly (7-day) usage limit. Your quota will reset when the current 7-day window ends. To continue now, purchase extra usage or upgrade your plan: ${QUOTA_URL}`;
export const BLOCKED_TEXT =
  "Access terminated. Review our Community Guidelines(https://www.kimi.com/code/docs/en/kimi-code/community-guidelines.html) or contact support@moonshot.cn for assistance.";

export const KIMI_ANSWERS: readonly KimiAnswer[] = [
  { row: "401 invalid key", status: 401, type: "invalid_authentication_error", message: "The API Key appears to be invalid or may have expired." },
  { row: "401 invalid authentication", status: 401, type: "invalid_authentication_error", message: "Invalid Authentication" },
  { row: "402 membership", status: 402, type: "membership_error", message: "We're unable to verify your membership benefits at this time." },
  { row: "403 client gate", status: 403, type: "access_terminated_error", message: GATE_TEXT },
  {
    row: "403 billing cycle",
    status: 403,
    type: "access_terminated_error",
    message: `You've reached your usage limit for this billing cycle. Your quota will be refreshed in the next cycle. To continue now, purchase extra usage or upgrade your plan: ${PRICING_URL}`,
  },
  { row: "403 weekly", status: 403, type: "access_terminated_error", message: WEEKLY_TEXT },
  { row: "403 monthly", status: 403, type: "access_terminated_error", message: "You've reached your monthly usage limit for this billing cycle." },
  { row: "403 blocked", status: 403, type: "access_terminated_error", message: BLOCKED_TEXT },
  { row: "429 concurrency", status: 429, type: "rate_limit_reached_error", message: "We're receiving too many requests at the moment. Please wait a moment and try again." },
  { row: "429 overloaded", status: 429, type: "rate_limit_error", message: "The engine is currently overloaded, please try again later" },
  { row: "429 5-hour", status: 429, type: "rate_limit_reached_error", message: "You've reached your usage limit for this period. Your quota will be refreshed in the next period." },
  { row: "429 monthly", status: 429, type: "rate_limit_reached_error", message: "You've reached kimi monthly usage limit for this billing cycle. Your quota will be refreshed in the next cycle." },
  {
    row: "429 exceeded_current_quota_error",
    status: 429,
    type: "exceeded_current_quota_error",
    code: "exceeded_current_quota_error",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
  { row: "400 context overflow", status: 400, type: "invalid_request_error", message: "Invalid request: Your request exceeded model token limit: 262144 (requested: 558009)" },
  { row: "400 thinking history", status: 400, type: "invalid_request_error", message: "thinking is enabled but reasoning_content is missing in assistant tool call message at index 2" },
  { row: "400 message size", status: 400, type: "invalid_request_error", message: "total message size 5943865 exceeds limit 2097152" },
  { row: "400 image url", status: 400, type: "invalid_request_error", message: "unsupported image url" },
  { row: "400 duplicate function", status: 400, type: "invalid_request_error", message: "function name bash is duplicated" },
  { row: "400 high risk", status: 400, type: "content_filter", message: "The request was rejected because it was considered high risk" },
  { row: "404 model", status: 404, type: "resource_not_found_error", message: "Not found the model kimi-for-coding or Permission denied" },
];

/** The JSON body live Kimi sends for an answer. */
export function bodyOf(a: KimiAnswer): { error: Record<string, string> } {
  return { error: { message: a.message, type: a.type, ...(a.code ? { code: a.code } : {}) } };
}

export function answer(row: string): KimiAnswer {
  const a = KIMI_ANSWERS.find((x) => x.row === row);
  if (!a) throw new Error(`no Kimi answer "${row}"`);
  return a;
}

/** The markers of identity advice (the offer of the kimi-cli identity); only the client gate may carry them. */
export const IDENTITY_ADVICE = [/KIMI_CODE_IDENTITY/, /identity "kimi-cli"/, /look like kimi-cli/];
export const hasIdentityAdvice = (text: string) => IDENTITY_ADVICE.some((p) => p.test(text));
