// Every literal the plugin shares with Kimi's servers or with opencode, in one place.

/** Keep equal to package.json "version" (test/constants.test.ts guards it). */
export const PLUGIN_VERSION = "0.1.0";
export const PLUGIN_NAME = "opencode-kimi-code";
/** User-Agent of the plugin's own calls (OAuth, /models, /usages) under the default identity. */
export const PLUGIN_USER_AGENT = `${PLUGIN_NAME}/${PLUGIN_VERSION}`;

/**
 * Our provider id. Never `kimi-for-coding`, `kimi-code-plan-cn` or `kimi-code-plan-global`:
 * those are catalog ids, and sharing one merges two login entries under one provider
 * (opencode-plugin-api.md §9; lemon07r/opencode-kimi-full AGENTS.md rule 8).
 */
export const PROVIDER_ID = "kimi-for-coding-oauth";
export const PROVIDER_NAME = "Kimi Code";

/** Login method labels; `opencode providers login -m <label>` matches them. */
export const DEVICE_LOGIN_LABEL = "Kimi Code (device login)";
export const API_KEY_LABEL = "Kimi Code API key";

/** kimi-cli src/kimi_cli/auth/oauth.py:50-59: public client, no secret. */
export const OAUTH_CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
export const DEVICE_AUTHORIZATION_PATH = "/api/oauth/device_authorization";
export const TOKEN_PATH = "/api/oauth/token";

/** Regions: kimi-code packages/oauth/src/region.ts:49-64. */
export const REGIONS = {
  cn: { oauthHost: "https://auth.kimi.com", apiBase: "https://api.kimi.com/coding/v1" },
  global: { oauthHost: "https://auth.kimi.ai", apiBase: "https://api.kimi.ai/coding/v1" },
} as const;
export type Region = keyof typeof REGIONS;

/** kimi-cli oauth.py:62-66: refresh when less than max(300 s, half the lifetime) remains. */
export const REFRESH_MIN_THRESHOLD_MS = 300_000;
export const REFRESH_THRESHOLD_RATIO = 0.5;
/** kimi-cli oauth.py:525-546: 3 attempts, sleeping 2**attempt s (1 s, 2 s) between them. */
export const REFRESH_ATTEMPTS = 3;
/**
 * After a refresh round that could not reach the login server (network trouble, no answer), requests
 * that need a refresh fail at once with the same message for this long instead of running the three
 * tries again (a hanging server costs ~93 s per round). 60 s covers the first four of opencode's five
 * silent retries of a 503 (2, 4, 8, 16 s apart, +25 % jitter: test/e2e/NOTES.md §4), so one message
 * costs at most two rounds; and it is short enough that a user who fixed the network and sends again a
 * minute later is tried at once. Per process, per refresh token; another process's refresh is adopted.
 */
export const REFRESH_COOLDOWN_MS = 60_000;
/**
 * While the login server cannot be reached, a due access token is still used until this long before it
 * expires (kimi-cli only logs such refresh failures and keeps its token: oauth.py:1021-1054). The margin
 * leaves a request sent with it time to be accepted by Kimi.
 */
export const REFRESH_GRACE_MARGIN_MS = 30_000;
/**
 * While a token is fresh the store is not read on the request path; at most this often a background
 * read notices a logout (`opencode auth logout` in another terminal) and retries a failed save.
 */
export const STORE_RECHECK_MS = 30_000;

/** The longest token lifetime believed (Kimi's access tokens live 900 s); a longer expires_in or JWT exp is capped. */
export const MAX_TOKEN_LIFETIME_S = 30 * 24 * 3600;

/** RFC 8628 §3.5: slow_down raises the polling interval by 5 s for the rest of the flow. */
export const SLOW_DOWN_STEP_MS = 5_000;
/** kimi-cli oauth.py:467-474: interval defaults to 5 s when the server omits it. */
export const DEFAULT_POLL_INTERVAL_S = 5;
/** Used only when the server omits expires_in (Kimi sends ~900 s). */
export const DEFAULT_DEVICE_CODE_LIFETIME_S = 900;
/** Bounds on the device authorization answer's timers (a larger interval or lifetime is capped). */
export const MAX_POLL_INTERVAL_S = 60;
export const MAX_DEVICE_CODE_LIFETIME_S = 3600;

/** Timeout of the plugin's own HTTP calls (OAuth, /models, /usages). */
export const OWN_CALL_TIMEOUT_MS = 30_000;

/** The most the plugin reads of a JSON answer (/models, /usages; real ones are a few KiB). */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;
/** The most the plugin reads of an error body (it quotes a sentence of it at most). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** The most models taken from /models (Kimi Code plans list a handful); the rest are ignored. */
export const MAX_MODELS = 200;
/** The largest model cache file read at startup; a bigger one counts as corrupt. */
export const MAX_MODEL_CACHE_BYTES = 4 * 1024 * 1024;
/**
 * opencode's auth.json as the plugin reads it itself at start (opencode reads it whole; real ones are a
 * few KB): beyond this it counts as unreadable there, and opencode's own reader serves the loader.
 */
export const MAX_AUTH_FILE_BYTES = 64 * 1024 * 1024;

/** Headers the plugin's hooks may use to talk to its own fetch; stripped before anything leaves. */
export const PRIVATE_HEADER_PREFIX = "x-opencode-kimi-";

/** The one model every Kimi Code plan has; used before the first discovery (kimi-cli-wire.md §5). */
export const DEFAULT_MODEL = {
  id: "kimi-for-coding",
  displayName: "Kimi for Coding",
  contextLength: 262_144,
  outputLimit: 32_768,
} as const;
export const DEFAULT_OUTPUT_LIMIT = 32_768;

/** Where API keys come from, for the message shown when a key is rejected. */
export const API_KEY_HELP_URL = "https://www.kimi.com/code/console";
export const API_KEY_PREFIX = "sk-kimi-";

/** Where Kimi's weekly-quota answer sends the user to buy extra usage or upgrade (openclaw/openclaw PR #142656). */
export const KIMI_QUOTA_URL = "https://www.kimi.com/membership/subscription?tab=quota";
/** Kimi Code's home: plans, console, support and the Community Guidelines are linked from there. */
export const KIMI_CODE_URL = "https://www.kimi.com/code";
