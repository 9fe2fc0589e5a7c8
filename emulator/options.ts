// Emulator options, their defaults, and the default model list.
// Kimi parity facts come from /work/shared/reference/kimi-cli-wire.md, landscape.md §5, §6 and
// kimi-code-official.md.
import type { KimiErrorId } from "./kimi-errors.ts";
import type { WindowName } from "./quota.ts";
import type { BoosterWalletForm } from "./usages-body.ts";

/** kimi-cli oauth.py:50-59 (kimi-cli-wire.md §4): the public client id, no secret. */
export const KIMI_CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";

/** One entry of `GET /coding/v1/models`, in Kimi's field names (landscape.md §6). */
export interface ModelSpec {
  id: string;
  display_name: string;
  context_length: number;
  supports_reasoning: boolean;
  supports_image_in: boolean;
  supports_video_in: boolean;
  /** "only": thinking always on; "both": client chooses (default on); "no": never thinks. */
  supports_thinking_type: "only" | "both" | "no";
  think_efforts: { support: boolean; valid_efforts: string[]; default_effort?: string };
  supports_tool_use: boolean;
  /**
   * kimi-code 2.1.0 routes a model with "anthropic" over `{base}/messages` and "response" over the
   * Responses API; absent = chat completions (kimi-code-official.md "/models", dist/main.mjs 61523-61526).
   */
  protocol?: "anthropic" | "response";
}

const EFFORTS = { support: true, valid_efforts: ["low", "high", "max"], default_effort: "high" };
const NO_EFFORTS = { support: false, valid_efforts: [] };

export const DEFAULT_MODELS: readonly ModelSpec[] = [
  {
    id: "kimi-for-coding",
    display_name: "Kimi K2.8 Preview",
    context_length: 262_144,
    supports_reasoning: true,
    supports_image_in: true,
    supports_video_in: true,
    supports_thinking_type: "both",
    think_efforts: EFFORTS,
    supports_tool_use: true,
  },
  {
    id: "kimi-for-coding-highspeed",
    display_name: "Kimi K2.8 Highspeed",
    context_length: 262_144,
    supports_reasoning: true,
    supports_image_in: true,
    supports_video_in: false,
    supports_thinking_type: "only",
    think_efforts: NO_EFFORTS,
    supports_tool_use: true,
  },
  {
    id: "k3",
    display_name: "Kimi K3",
    context_length: 1_048_576,
    supports_reasoning: true,
    supports_image_in: true,
    supports_video_in: true,
    supports_thinking_type: "both",
    think_efforts: EFFORTS,
    supports_tool_use: true,
  },
  {
    id: "k3-256k",
    display_name: "Kimi K3 256K",
    context_length: 262_144,
    supports_reasoning: true,
    supports_image_in: true,
    supports_video_in: true,
    supports_thinking_type: "only",
    think_efforts: EFFORTS,
    supports_tool_use: true,
  },
];

/**
 * The client gate on /chat/completions (landscape.md §5): the User-Agent must start with one of
 * these. Adding a client is one line here or one entry in `allowedUserAgentPrefixes`.
 */
export const DEFAULT_ALLOWED_USER_AGENT_PREFIXES: readonly string[] = [
  "KimiCLI/",
  "kimi-code-cli/",
  "claude-code/",
  "claude-cli/",
  "Kilo-Code/",
  "RooCode/",
  "opencode/",
];

/**
 * `X-Msh-Platform`, when sent, must be one of these and match the User-Agent's client (chat-limits.ts).
 * kimi-code#636 (landscape.md §5) saw `kimi_code_cli` refused on 2026-06-10; today kimi-code 2.1.0,
 * Kimi's official client, sends it and is served (kimi-code-official.md).
 */
export const DEFAULT_ALLOWED_PLATFORMS: readonly string[] = ["kimi_cli", "kimi_code_cli"];

export interface EmulatorOptions {
  /** Port of the OAuth host listener; 0 = OS picks. */
  oauthPort?: number;
  /** Port of the coding API listener; 0 = OS picks. */
  apiPort?: number;

  // --- OAuth ---
  /** Accepted `client_id` values. Default: Kimi's public client id only. */
  clientIds?: string[];
  /** Device-flow `interval` in seconds (fractions allowed, for fast tests). Default 5. */
  pollIntervalSec?: number;
  /** Device-flow `expires_in` in seconds (fractions allowed). Default 900. */
  deviceCodeLifetimeSec?: number;
  /** Answer `slow_down` (and grow the interval by 5 s) when polled faster than the interval. Default true. */
  enforcePollInterval?: boolean;
  /** HTTP status of `authorization_pending` / `slow_down` answers: both seen from Kimi. Default 400. */
  pendingStatus?: 400 | 200;
  /** Approve a login by itself once it has answered this many pending polls; null = never. Default null. */
  autoApproveAfterPolls?: number | null;
  /** Access token lifetime (`expires_in`, JWT `exp - iat`). Default 900 (landscape.md §6). */
  accessTokenLifetimeSec?: number;
  /** Refresh token lifetime. Default 30 days (landscape.md §6). */
  refreshTokenLifetimeSec?: number;
  /** A refresh token works once; reusing it answers 401 invalid_grant. Default true. */
  singleUseRefreshTokens?: boolean;
  /**
   * How far the emulated server's clock is from this machine's, in seconds (negative: behind). Shifts
   * the JWT's `iat`/`exp` as a real server's clock would; `expires_in` and validity are unaffected.
   * Default 0. Clocks of client machines drift by hours in the field (issue 8 F5).
   */
  clockOffsetSec?: number;
  /** JWT `region` claim. Default "cn". */
  region?: string;
  /** JWT `sub` claim. Default "emulator-user". */
  userId?: string;
  /** Called once for every new device login (the CLI prints the user code). */
  onDeviceLogin?: (login: { userCode: string; verificationUriComplete: string }) => void;

  // --- Coding API ---
  /** Static API keys accepted as bearer, e.g. ["sk-kimi-test"]. Default none. */
  apiKeys?: string[];
  /** Entitled models served by /models and accepted by /chat/completions. */
  models?: ModelSpec[];
  allowedUserAgentPrefixes?: string[];
  allowedPlatforms?: string[];
  /** Client gate of /messages, independent of the chat one: allowed UA prefixes; null = not gated. */
  messagesAllowedUserAgentPrefixes?: string[] | null;
  /** /messages with thinking on rejects assistant tool-call turns without a thinking block. Default true. */
  messagesRequireReasoningHistory?: boolean;
  /** Every chat request answers 402 membership_expired_error. Default false. */
  membershipExpired?: boolean;
  /** Bearer values (API keys or access tokens) whose membership has expired (402). */
  expiredMembershipKeys?: string[];
  /** Served chat requests allowed per 5-hour window. Default 300 (landscape.md §6: ~300–1200). */
  fiveHourRequestLimit?: number;
  /** Served chat requests allowed per week. Default 2000. */
  weeklyRequestLimit?: number;
  /** Served chat requests allowed per 30 days (only shown by the "usages" shape). Default 6000. */
  monthlyRequestLimit?: number;
  /** Length of the short window in seconds. Default 18000 (5 h); tests may shorten it. */
  fiveHourWindowSec?: number;
  /** Chats answered at once; one more gets 429 "too many requests". Also `parallel.limit` in /usages. Default 30. */
  parallelLimit?: number;
  /**
   * Shape of `GET /usages`; see README. Default "production" (both shapes + boosterWallet);
   * "usage" / "usages" serve one shape alone; "contradictory" = kimi-code#3951 (weekly used up per
   * `usage`, ratio 0 per `usages`; chats get the weekly 403).
   */
  usageShape?: "production" | "usage" | "usages" | "contradictory";
  /** Production body: add `usages.limit_month_total` / `limit_month_code`. Default false. */
  usagesMonthly?: boolean;
  /** Production body: `boosterWallet` funded, zero-balance `STATUS_DISABLED`, or absent. Default "disabled". */
  boosterWallet?: BoosterWalletForm;
  /** How a used-up window answers: "kimi" (live Kimi's 429/403 rows) or "retry-after" (429 + Retry-After). Default "kimi". */
  quotaErrors?: "kimi" | "retry-after";
  /** The error row each used-up window answers with under quotaErrors "kimi". */
  quotaErrorRows?: Partial<Record<WindowName, KimiErrorId>>;
  /** Kimi's risk control blocked the account: every chat gets 403 "Access terminated…". Default false. */
  accountBlocked?: boolean;
  /** Every chat gets 429 "The engine is currently overloaded…". Default false. */
  engineOverloaded?: boolean;
  /** Pause between SSE chunks. Default 0. */
  chunkDelayMs?: number;
  /**
   * Apply the chat's client gate to /search and /fetch too. Default false: not known for Kimi, and
   * public clients of /search send no allowlisted User-Agent (see README "Web services").
   */
  webToolsGated?: boolean;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, "onDeviceLogin">> &
  Pick<EmulatorOptions, "onDeviceLogin">;

export const DEFAULT_OPTIONS: ResolvedOptions = {
  oauthPort: 0,
  apiPort: 0,
  clientIds: [KIMI_CLIENT_ID],
  pollIntervalSec: 5,
  deviceCodeLifetimeSec: 900,
  enforcePollInterval: true,
  pendingStatus: 400,
  autoApproveAfterPolls: null,
  accessTokenLifetimeSec: 900,
  refreshTokenLifetimeSec: 30 * 24 * 3600,
  singleUseRefreshTokens: true,
  clockOffsetSec: 0,
  region: "cn",
  userId: "emulator-user",
  apiKeys: [],
  models: [...DEFAULT_MODELS],
  allowedUserAgentPrefixes: [...DEFAULT_ALLOWED_USER_AGENT_PREFIXES],
  allowedPlatforms: [...DEFAULT_ALLOWED_PLATFORMS],
  messagesAllowedUserAgentPrefixes: null,
  messagesRequireReasoningHistory: true,
  membershipExpired: false,
  expiredMembershipKeys: [],
  fiveHourRequestLimit: 300,
  weeklyRequestLimit: 2000,
  monthlyRequestLimit: 6000,
  fiveHourWindowSec: 5 * 3600,
  parallelLimit: 30,
  usageShape: "production",
  usagesMonthly: false,
  boosterWallet: "disabled",
  quotaErrors: "kimi",
  quotaErrorRows: {},
  accountBlocked: false,
  engineOverloaded: false,
  chunkDelayMs: 0,
  webToolsGated: false,
};

/** Defaults overlaid with the given options; `undefined` values keep the default. */
export function resolveOptions(base: ResolvedOptions, patch: EmulatorOptions): ResolvedOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ ...base, ...patch })) {
    const chosen = value === undefined ? base[key as keyof ResolvedOptions] : value;
    out[key] = Array.isArray(chosen) ? [...chosen] : chosen; // never share lists between instances
  }
  return out as ResolvedOptions;
}
