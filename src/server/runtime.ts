// The plugin's long-lived parts for one opencode process, assembled from the core: resolved options,
// the identity, the token keeper (persisting through opencode's auth store), model discovery with its
// cache, and the request path's fetch. hooks.ts turns them into opencode hooks.
import { join } from "node:path";
import type { PluginInput } from "@opencode-ai/plugin";
import { PLUGIN_NAME, PROVIDER_ID } from "../core/config/constants.ts";
import { oauthHostFor, resolveOptions, type ResolvedOptions } from "../core/config/options.ts";
import { OAuthClient } from "../core/login/oauth-client.ts";
import { fetchModels } from "../core/models/discovery.ts";
import { readModelCache, writeModelCache } from "../core/models/model-cache.ts";
import { KimiError, messages } from "../core/support/errors.ts";
import { forwardLogsTo, log } from "../core/support/log.ts";
import { readRegularFile } from "../core/support/read-file.ts";
import { credentialFromStore, credentialToStore, type Credential, type OAuthCredential } from "../core/tokens/credential.ts";
import { TokenKeeper } from "../core/tokens/keeper.ts";
import { withFileLock } from "../core/tokens/refresh-lock.ts";
import { fetchUsage } from "../core/usage/usage.ts";
import { createIdentity, type Identity } from "../core/wire/identity/identity.ts";
import { createRequestFetch } from "../core/wire/request.ts";
import { WebClient } from "../core/web/client.ts";

/** Seams for tests; opencode never passes these. */
export interface PluginOverrides {
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

const QUOTA_LOOKUP_TIMEOUT_MS = 5_000;

export interface Runtime {
  options: ResolvedOptions;
  identity: Identity;
  keeper: TokenKeeper;
  requestFetch: ReturnType<typeof createRequestFetch>;
  /** Kimi's /search and /fetch with the keeper's credential (the web tools). */
  webClient: WebClient;
  /** Whether opencode's auth store holds a Kimi Code login now (read from auth.json; never throws). */
  hasStoredLogin(): Promise<boolean>;
  oauthFor(apiBase: string): OAuthClient;
  /** The cached model list of an API base, read from disk once per start (config hook and loader share it). */
  cachedModels(apiBase: string): ReturnType<typeof readModelCache>;
  /** GET /models with this credential and cache the answer. */
  discover(credential: Credential, timeoutMs?: number): Promise<void>;
  discoverInBackground(credential: Credential): void;
  /** Writes a new login to opencode's store under the refresh lock (before opencode writes it too). */
  storeLogin(credential: OAuthCredential): Promise<void>;
  /** The loader hands over opencode's reader of this provider's stored auth entry. */
  setAuthSource(read: () => Promise<unknown>): void;
}

/** Sends the plugin's log lines to opencode's logger when opencode offers one. */
function forwardLogsToOpencode(input: PluginInput): void {
  const app = (input.client as { app?: { log?: (args: unknown) => unknown } } | undefined)?.app;
  if (typeof app?.log !== "function") return;
  const send = app.log.bind(app);
  forwardLogsTo((level, message, extra) => send({ body: { service: PLUGIN_NAME, level, message, ...(extra ? { extra } : {}) } }));
}

export function createRuntime(input: PluginInput, rawOptions: unknown, overrides: PluginOverrides): Runtime {
  forwardLogsToOpencode(input);
  const options = resolveOptions(rawOptions, overrides.env ?? process.env);
  const fetchImpl = overrides.fetch ?? fetch;
  const identity = createIdentity(options.identity, { kimiShareDir: options.kimiShareDir, kimiCodeHome: options.kimiCodeHome });
  const oauthAt = (oauthHost: string) => new OAuthClient({ oauthHost, headers: identity.headers, fetch: fetchImpl });
  /** The login server of logins for apiBase; a KimiError when none is known (the refresh token stays home). */
  const oauthFor = (apiBase: string) => {
    const host = oauthHostFor(apiBase, options);
    if (!host) throw new KimiError("refresh-refused", messages.unknownLoginServer(apiBase, options.apiBase));
    return oauthAt(host);
  };
  const tokenOf = (c: Credential) => (c.type === "oauth" ? c.access : c.key);

  const cacheReads = new Map<string, ReturnType<typeof readModelCache>>();
  const cachedModels = (apiBase: string) => {
    let read = cacheReads.get(apiBase);
    if (!read) cacheReads.set(apiBase, (read = readModelCache(options.cacheDir, apiBase)));
    return read;
  };

  async function discover(credential: Credential, timeoutMs?: number): Promise<void> {
    const models = await fetchModels({
      apiBase: credential.apiBase,
      token: tokenOf(credential),
      headers: await identity.headers("api"),
      fetch: fetchImpl,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    await writeModelCache(options.cacheDir, credential.apiBase, models);
    cacheReads.delete(credential.apiBase);
    log("debug", `discovered ${models.length} Kimi Code models`, { models: models.map((m) => m.id) });
  }
  const discoverInBackground = (credential: Credential) => {
    discover(credential).catch((error: unknown) => log("warn", "model discovery failed", { error: (error as Error).message }));
  };

  let readAuth: (() => Promise<unknown>) | undefined;
  const persist = async (credential: OAuthCredential) => {
    const result = (await input.client.auth.set({
      path: { id: PROVIDER_ID },
      body: credentialToStore(credential) as never,
    })) as { error?: unknown } | undefined;
    if (result && result.error) throw new Error(`auth.set failed: ${JSON.stringify(result.error)}`);
  };
  const lockPath = join(options.opencodeDataDir, `auth.json.${PROVIDER_ID}.lock`);
  // Until opencode runs the loader (and hands over its reader), read auth.json the way it stores it.
  const readStore = async () => (readAuth ? readAuth() : readAuthFile(options.opencodeDataDir));
  const keeper = new TokenKeeper({
    load: async () => credentialFromStore(await readStore(), options.apiBase),
    persist,
    refreshGrant: (refreshToken, apiBase) => oauthFor(apiBase).refresh(refreshToken),
    lockPath,
    onRefreshed: discoverInBackground,
  });
  /** A new login is written under the refresh lock: a refresh in flight elsewhere finishes first, then sees it. */
  const storeLogin = async (credential: OAuthCredential) => {
    try {
      const { locked, reason } = await withFileLock(lockPath, () => persist(credential));
      if (!locked) log("warn", `stored the new login without the refresh lock: ${reason}`);
    } catch (error) {
      log("warn", "could not store the new login ahead of opencode; opencode stores it", { error: (error as Error).message });
    }
    keeper.reset();
  };

  const quota = async (credential: Credential) =>
    fetchUsage({
      apiBase: credential.apiBase,
      token: tokenOf(credential),
      headers: await identity.headers("usage"),
      fetch: fetchImpl,
      timeoutMs: QUOTA_LOOKUP_TIMEOUT_MS,
    });
  const requestFetch = createRequestFetch({ keeper, identity, configuredApiBase: options.apiBase, fetch: fetchImpl, quota });
  const webClient = new WebClient({ keeper, identity, quota, fetch: fetchImpl });

  return {
    options,
    identity,
    keeper,
    requestFetch,
    webClient,
    hasStoredLogin: async () => {
      try {
        return credentialFromStore(await readStore(), options.apiBase) !== undefined;
      } catch {
        return false;
      }
    },
    oauthFor,
    cachedModels,
    discover,
    discoverInBackground,
    storeLogin,
    setAuthSource: (read) => {
      readAuth = read;
    },
  };
}

/** This provider's entry of opencode's auth.json ($XDG_DATA_HOME/opencode/auth.json), or undefined. */
async function readAuthFile(dataDir: string): Promise<unknown> {
  try {
    // Never a FIFO's endless wait (opencode's start waits for this): read-file.ts.
    const all = JSON.parse((await readRegularFile(join(dataDir, "auth.json"))) ?? "") as Record<string, unknown>;
    return all?.[PROVIDER_ID];
  } catch {
    return undefined;
  }
}
