// Client identity as DATA: which User-Agent and which X-Msh-* headers each kind of call carries. This
// table is the one place that decides it; adding an official client or following a change of Kimi's
// allowlist means editing PROFILES, not adding a code path.
//
// Policy (Kimi's rules: tampering with the client identifier can suspend a membership):
// - "opencode" (default, honest): chat keeps opencode's own User-Agent and gets no X-Msh-*; the plugin's
//   own calls (OAuth, /models, /usages, /search, /fetch) say `opencode-kimi-code/<version>`, no X-Msh-*.
// - "kimi-cli" (explicit opt-in): byte-for-byte what kimi-cli 1.49.0 sends (kimi-cli-wire.md §1–§2.3).
// - "kimi-code" (explicit opt-in): what kimi-code 2.1.0, Kimi's current official client, sends
//   (kimi-code-official.md "Wire"; recorded from kimi-code itself: test/fixtures/kimi-code-2.1.0-wire.json).
import { PLUGIN_USER_AGENT } from "../../config/constants.ts";
import type { IdentityName } from "../../config/options.ts";

/**
 * chat: POST /chat/completions. oauth: device authorization, token polling, refresh. api: /models.
 * usage: /usages. web: POST /search and /fetch (the web tools).
 */
export type CallKind = "chat" | "oauth" | "api" | "usage" | "web";
export const CALL_KINDS: readonly CallKind[] = ["chat", "oauth", "api", "usage", "web"];
/** The headers an identity puts on a call of a kind (`Identity.headers`), as callers depend on it. */
export type HeaderSource = (kind: CallKind) => Promise<Record<string, string>>;

/** kimi-cli release we reproduce (pyproject.toml:3 at the 1.49.0 release commit). */
export const KIMI_CLI_VERSION = "1.49.0";
/** kimi-cli's chat User-Agent: `KimiCLI/<version>` (constant.py `get_user_agent`). */
export const KIMI_CLI_USER_AGENT = `KimiCLI/${KIMI_CLI_VERSION}`;
/**
 * aiohttp's default User-Agent, `Python/<major>.<minor> aiohttp/<version>` (aiohttp/http.py
 * SERVER_SOFTWARE), which kimi-cli's OAuth, /models and /usages calls carry because they set none.
 * kimi-cli pins aiohttp==3.13.3 and its release builds use Python 3.14 (.python-version); a pip install
 * on another Python would say e.g. `Python/3.12`.
 */
export const KIMI_CLI_AIOHTTP_USER_AGENT = "Python/3.14 aiohttp/3.13.3";

/** What the X-Msh set claims to be (`X-Msh-Platform`, `X-Msh-Version`). */
/**
 * How an X-Msh set is computed. Each scheme is a module under this folder, loaded only when a profile
 * that uses it sends X-Msh headers (identity.ts MSH_SCHEMES).
 */
export type MshScheme = "kimi-cli" | "kimi-code";

/** What the X-Msh set claims to be (`X-Msh-Platform`, `X-Msh-Version`) and how it is computed. */
export interface MshClient {
  platform: string;
  version: string;
  scheme: MshScheme;
}

/** How one kind of call goes out. */
export interface CallRule {
  /** The User-Agent to set, or KEEP_CALLER_USER_AGENT to leave the caller's (opencode's) untouched. */
  userAgent: string | typeof KEEP_CALLER_USER_AGENT;
  /** Whether the six X-Msh-* headers of the profile's `client` are added. */
  msh: boolean;
  /** web only: send the model's tool call id as `X-Msh-Tool-Call-Id` (kimi-cli search.py, fetch.py). */
  toolCallId?: boolean;
}

export const KEEP_CALLER_USER_AGENT = null;

export interface Profile {
  /** Completes "requests went out as …", e.g. in error messages and diagnostics. */
  description: string;
  /** Identity claimed by the X-Msh set; required when any call kind has `msh: true`. */
  client?: MshClient;
  calls: Readonly<Record<CallKind, Readonly<CallRule>>>;
}

export const KIMI_CLI_CLIENT: MshClient = { platform: "kimi_cli", version: KIMI_CLI_VERSION, scheme: "kimi-cli" };

/** kimi-code release we reproduce (npm @moonshot-ai/kimi-code, pinned as a devDependency). */
export const KIMI_CODE_VERSION = "2.1.0";
/** kimi-code's User-Agent on every call it makes with its identity (`createKimiUserAgent`, dist/main.mjs 61171-61176). */
export const KIMI_CODE_USER_AGENT = `kimi-code-cli/${KIMI_CODE_VERSION}`;
export const KIMI_CODE_CLIENT: MshClient = { platform: "kimi_code_cli", version: KIMI_CODE_VERSION, scheme: "kimi-code" };
/**
 * kimi-code's /usages call sets no User-Agent, so it carries its runtime's default: `Bun/<version>` under
 * bun (what opencode runs on), `node` under Node (dist/main.mjs 61394-61405; recorded in the fixture).
 */
export const RUNTIME_DEFAULT_USER_AGENT = process.versions.bun ? `Bun/${process.versions.bun}` : "node";

/**
 * THE identity table. One row per identity; one rule per kind of call.
 * kimi-code 2.1.0 puts its User-Agent and X-Msh set on OAuth, /models and chat; its /usages call
 * carries neither (only `Authorization`, `Accept` and the runtime's default User-Agent).
 */
export const PROFILES: Readonly<Record<IdentityName, Readonly<Profile>>> = {
  opencode: {
    description: "opencode's own User-Agent",
    calls: {
      chat: { userAgent: KEEP_CALLER_USER_AGENT, msh: false },
      oauth: { userAgent: PLUGIN_USER_AGENT, msh: false },
      api: { userAgent: PLUGIN_USER_AGENT, msh: false },
      usage: { userAgent: PLUGIN_USER_AGENT, msh: false },
      web: { userAgent: PLUGIN_USER_AGENT, msh: false },
    },
  },
  "kimi-cli": {
    description: `kimi-cli ${KIMI_CLI_VERSION}`,
    client: KIMI_CLI_CLIENT,
    calls: {
      chat: { userAgent: KIMI_CLI_USER_AGENT, msh: true },
      oauth: { userAgent: KIMI_CLI_AIOHTTP_USER_AGENT, msh: true },
      api: { userAgent: KIMI_CLI_AIOHTTP_USER_AGENT, msh: false },
      // src/kimi_cli/tools/web/search.py:77-83, fetch.py:139-146: User-Agent, Authorization,
      // (Accept,) X-Msh-Tool-Call-Id, then the common X-Msh set.
      web: { userAgent: KIMI_CLI_USER_AGENT, msh: true, toolCallId: true },
      usage: { userAgent: KIMI_CLI_AIOHTTP_USER_AGENT, msh: false },
    },
  },
  "kimi-code": {
    description: `kimi-code ${KIMI_CODE_VERSION}`,
    client: KIMI_CODE_CLIENT,
    calls: {
      chat: { userAgent: KIMI_CODE_USER_AGENT, msh: true },
      oauth: { userAgent: KIMI_CODE_USER_AGENT, msh: true },
      api: { userAgent: KIMI_CODE_USER_AGENT, msh: true },
      usage: { userAgent: RUNTIME_DEFAULT_USER_AGENT, msh: false },
      // kimi-code packages/agent-core-v2/src/app/auth/webSearch/webSearchService.ts: the identity's
      // request headers plus X-Msh-Tool-Call-Id (providers/moonshot-web-search.ts).
      web: { userAgent: KIMI_CODE_USER_AGENT, msh: true, toolCallId: true },
    },
  },
};


/**
 * Headers of one call kind for a profile, User-Agent first (as kimi-cli's dicts), then the X-Msh set.
 * `msh` is needed only when the rule adds it.
 */
export function profileHeaders(profile: Profile, kind: CallKind, msh?: Record<string, string>): Record<string, string> {
  const rule = profile.calls[kind];
  const headers: Record<string, string> = {};
  if (rule.userAgent !== KEEP_CALLER_USER_AGENT) headers["User-Agent"] = rule.userAgent;
  if (rule.msh) {
    if (!msh) throw new Error(`identity: the X-Msh headers are required for ${kind} calls`);
    Object.assign(headers, msh);
  }
  return headers;
}

