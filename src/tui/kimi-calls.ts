// The TUI's calls to Kimi Code, assembled from the core: options (plugin options + env, as the server
// plugin resolves them), the identity, and a TokenKeeper over opencode's auth.json that refreshes a
// due token only inside the shared cross-process lock (AGENTS.md contract 9). No UI here.
import { oauthHostFor, resolveOptions, type ResolvedOptions } from "../core/config/options.ts";
import { gatherStatus, type StatusFacts } from "../core/account/status.ts";
import { readStoredLogin, refreshLockPath, writeStoredLogin } from "../core/account/stored-login.ts";
import { OAuthClient } from "../core/login/oauth-client.ts";
import { KimiError, messages } from "../core/support/errors.ts";
import { HttpError } from "../core/support/http.ts";
import type { Credential } from "../core/tokens/credential.ts";
import { TokenKeeper } from "../core/tokens/keeper.ts";
import { fetchUsageReport } from "../core/usage/report.ts";
import type { UsageReport } from "../core/usage/usage-view.ts";
import { createIdentity, type Identity } from "../core/wire/identity/identity.ts";

/** A /usages lookup from the TUI gives up after this long (the dialog shows "cannot reach"). */
export const TUI_USAGE_TIMEOUT_MS = 15_000;

export interface KimiCalls {
  options: ResolvedOptions;
  identity: Identity;
  usage(): Promise<UsageOutcome>;
  status(): Promise<StatusFacts>;
}

export type UsageOutcome =
  | { kind: "ok"; report: UsageReport; apiBase: string }
  | { kind: "not-logged-in"; detail: string }
  | { kind: "login-required"; message: string }
  | { kind: "api-key-without-usage"; message: string }
  | { kind: "unreachable"; message: string }
  | { kind: "failed"; message: string };

export interface CallsSeams {
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
}

const tokenOf = (c: Credential) => (c.type === "oauth" ? c.access : c.key);

export function createKimiCalls(rawOptions: unknown, seams: CallsSeams = {}): KimiCalls {
  const options = resolveOptions(rawOptions, seams.env ?? process.env);
  const fetchImpl = seams.fetch ?? fetch;
  const now = seams.now ?? Date.now;
  const identity = createIdentity(options.identity, { kimiShareDir: options.kimiShareDir, kimiCodeHome: options.kimiCodeHome });
  /** The login server of logins for apiBase; a KimiError when none is known (the refresh token stays home). */
  const oauthFor = (apiBase: string) => {
    const host = oauthHostFor(apiBase, options);
    if (!host) throw new KimiError("refresh-refused", messages.unknownLoginServer(apiBase, options.apiBase));
    return new OAuthClient({ oauthHost: host, headers: identity.headers, fetch: fetchImpl });
  };
  const dataDir = options.opencodeDataDir;
  const keeper = new TokenKeeper({
    load: async () => {
      const login = await readStoredLogin(dataDir, options.apiBase);
      return login.state === "present" ? login.credential : undefined;
    },
    persist: (credential) => writeStoredLogin(dataDir, credential),
    refreshGrant: async (refreshToken, apiBase) => oauthFor(apiBase).refresh(refreshToken),
    lockPath: refreshLockPath(dataDir),
    now,
  });

  const ask = async (c: Credential) =>
    fetchUsageReport({
      apiBase: c.apiBase,
      token: tokenOf(c),
      headers: await identity.headers("api"),
      fetch: fetchImpl,
      timeoutMs: TUI_USAGE_TIMEOUT_MS,
      now: new Date(now()),
    });

  async function usage(): Promise<UsageOutcome> {
    const login = await readStoredLogin(dataDir, options.apiBase);
    if (login.state === "none") return { kind: "not-logged-in", detail: `no Kimi Code login in ${login.path}` };
    if (login.state === "damaged") return { kind: "not-logged-in", detail: `${login.path}: ${login.problem}` };
    let credential = login.credential;
    try {
      credential = await keeper.credential();
      try {
        return { kind: "ok", report: await ask(credential), apiBase: credential.apiBase };
      } catch (error) {
        // One forced refresh and one retry after a 401, as the request path does (contract 11).
        if (!(error instanceof HttpError && error.kind === "unauthorized" && credential.type === "oauth")) throw error;
        credential = await keeper.forceRefresh(credential.access);
        return { kind: "ok", report: await ask(credential), apiBase: credential.apiBase };
      }
    } catch (error) {
      return failure(error, credential);
    }
  }

  return { options, identity, usage, status: () => gatherStatus(options, identity, now()) };
}

function failure(error: unknown, credential: Credential): UsageOutcome {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof KimiError && error.kind === "login-required") return { kind: "login-required", message };
  if (error instanceof KimiError && (error.kind === "refresh-unavailable" || error.kind === "refresh-no-answer")) return { kind: "unreachable", message };
  if (error instanceof HttpError) {
    if (credential.type === "api" && (error.status === 401 || error.status === 403 || error.status === 404)) {
      return { kind: "api-key-without-usage", message };
    }
    if (error.kind === "network" || error.kind === "timeout") return { kind: "unreachable", message };
  }
  return { kind: "failed", message };
}
