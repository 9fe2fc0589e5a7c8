// The plugin's long-lived parts for one opencode process, assembled from the core: the identity, the
// token keeper (persisting through opencode's auth store), model discovery with its cache, the device
// login, and the request path's fetch. hooks.ts imports this on first use (it is off the start path).
import { join } from "node:path";
import type { PluginInput } from "@opencode-ai/plugin";
import { PROVIDER_ID } from "../core/config/constants.ts";
import { oauthHostFor, type ResolvedOptions } from "../core/config/options.ts";
import { deviceLoginMethod } from "../core/login/auth-methods.ts";
import { OAuthClient } from "../core/login/oauth-client.ts";
import { fetchModels } from "../core/models/discovery.ts";
import { writeModelCache, type readModelCache } from "../core/models/model-cache.ts";
import { KimiError, messages } from "../core/support/errors.ts";
import { log } from "../core/support/log.ts";
import { credentialFromStore, credentialToStore, type Credential, type OAuthCredential } from "../core/tokens/credential.ts";
import { TokenKeeper } from "../core/tokens/keeper.ts";
import { withFileLock } from "../core/tokens/refresh-lock.ts";
import { fetchUsage } from "../core/usage/usage.ts";
import { createIdentity, type Identity } from "../core/wire/identity/identity.ts";
import { createRequestFetch } from "../core/wire/request.ts";
import { WebClient } from "../core/web/client.ts";
import { storedEntry } from "./stored-entry.ts";

/** Seams for tests; opencode never passes these. */
export interface PluginOverrides {
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

const QUOTA_LOOKUP_TIMEOUT_MS = 5_000;
const LOGIN_DISCOVERY_TIMEOUT_MS = 10_000;

/** The cached model list of an API base, read from disk once per start (hooks.ts owns the reads). */
export type CachedModels = (apiBase: string) => ReturnType<typeof readModelCache>;
export interface ModelCacheReads {
  cachedModels: CachedModels;
  /** Drops the remembered read of an API base after its cache was rewritten. */
  forget(apiBase: string): void;
}

export interface Runtime {
  options: ResolvedOptions;
  identity: Identity;
  keeper: TokenKeeper;
  requestFetch: ReturnType<typeof createRequestFetch>;
  /** Kimi's /search and /fetch with the keeper's credential (the web tools). */
  webClient: WebClient;
  oauthFor(apiBase: string): OAuthClient;
  cachedModels: CachedModels;
  /** The device login method (RFC 8628) opencode runs at `opencode auth login`. */
  deviceLogin: ReturnType<typeof deviceLoginMethod>;
  /** GET /models with this credential and cache the answer. */
  discover(credential: Credential, timeoutMs?: number): Promise<void>;
  discoverInBackground(credential: Credential): void;
  /** Writes a new login to opencode's store under the refresh lock (before opencode writes it too). */
  storeLogin(credential: OAuthCredential): Promise<void>;
  /** The loader hands over opencode's reader of this provider's stored auth entry. */
  setAuthSource(read: () => Promise<unknown>): void;
}

export function createRuntime(input: PluginInput, options: ResolvedOptions, overrides: PluginOverrides, cache: ModelCacheReads): Runtime {
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

  async function discover(credential: Credential, timeoutMs?: number): Promise<void> {
    const models = await fetchModels({
      apiBase: credential.apiBase,
      token: tokenOf(credential),
      headers: await identity.headers("api"),
      fetch: fetchImpl,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    await writeModelCache(options.cacheDir, credential.apiBase, models);
    cache.forget(credential.apiBase);
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
  const readStore = async () => (readAuth ? readAuth() : storedEntry(options.opencodeDataDir));
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

  const quota = async (credential: Credential, signal?: AbortSignal) =>
    fetchUsage({
      ...(signal ? { signal } : {}),
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
    oauthFor,
    cachedModels: cache.cachedModels,
    deviceLogin: deviceLoginMethod({
      oauth: oauthFor(options.apiBase),
      apiBase: options.apiBase,
      // The login waits for this (so the next opencode start lists every model), but not for long.
      afterLogin: (credential) => discover(credential, LOGIN_DISCOVERY_TIMEOUT_MS),
      storeLogin,
    }),
    discover,
    discoverInBackground,
    storeLogin,
    setAuthSource: (read) => {
      readAuth = read;
    },
  };
}
