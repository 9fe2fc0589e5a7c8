// Wires the plugin's hooks: configuration, login, the loader's fetch and chat.params. Each concern
// lives in its own module; this file only connects them and keeps every hook from throwing.
import { join } from "node:path";
import type { Hooks, PluginInput } from "@opencode-ai/plugin";
import { apiKeyMethod, apiKeyProblem, deviceLoginMethod } from "../core/login/auth-methods.ts";
import { applyChatParams } from "../core/models/chat-params.ts";
import { PLUGIN_NAME, PROVIDER_ID } from "../core/config/constants.ts";
import { DEFAULT_MODELS, fetchModels } from "../core/models/discovery.ts";
import { createIdentity } from "../core/wire/identity/identity.ts";
import { forwardLogsTo, log } from "../core/support/log.ts";
import { isStale, readModelCache, writeModelCache } from "../core/models/model-cache.ts";
import { OAuthClient } from "../core/login/oauth-client.ts";
import { oauthHostFor, resolveOptions, type ResolvedOptions } from "../core/config/options.ts";
import { applyProviderConfig, buildProviderBlock } from "../core/models/provider-config.ts";
import { createRequestFetch } from "../core/wire/request.ts";
import { credentialFromStore, credentialToStore, type Credential, type OAuthCredential } from "../core/tokens/credential.ts";
import { TokenKeeper } from "../core/tokens/keeper.ts";
import { fetchUsage } from "../core/usage/usage.ts";

/** Seams for tests; opencode never passes these. */
export interface PluginOverrides {
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

const QUOTA_LOOKUP_TIMEOUT_MS = 5_000;
const LOGIN_DISCOVERY_TIMEOUT_MS = 10_000;

export async function createHooks(input: PluginInput, rawOptions?: unknown, overrides: PluginOverrides = {}): Promise<Hooks> {
  const app = (input.client as { app?: { log?: (args: unknown) => unknown } } | undefined)?.app;
  if (typeof app?.log === "function") {
    const send = app.log.bind(app);
    forwardLogsTo((level, message, extra) => send({ body: { service: PLUGIN_NAME, level, message, ...(extra ? { extra } : {}) } }));
  }
  const options: ResolvedOptions = resolveOptions(rawOptions, overrides.env ?? process.env);
  const fetchImpl = overrides.fetch ?? fetch;
  const identity = createIdentity(options.identity, { kimiShareDir: options.kimiShareDir });
  const oauthFor = (apiBase: string) =>
    new OAuthClient({ oauthHost: oauthHostFor(apiBase, options), headers: identity.headers, fetch: fetchImpl });

  // The config hook and the loader both want the cached model list at startup: read each file once.
  const cacheReads = new Map<string, ReturnType<typeof readModelCache>>();
  const cachedModels = (apiBase: string) => {
    let read = cacheReads.get(apiBase);
    if (!read) cacheReads.set(apiBase, (read = readModelCache(options.cacheDir, apiBase)));
    return read;
  };

  async function discover(credential: Credential, timeoutMs?: number): Promise<void> {
    const token = credential.type === "oauth" ? credential.access : credential.key;
    const models = await fetchModels({
      apiBase: credential.apiBase,
      token,
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

  let getAuth: (() => Promise<unknown>) | undefined;
  const keeper = new TokenKeeper({
    load: async () => (getAuth ? credentialFromStore(await getAuth(), options.apiBase) : undefined),
    persist: async (credential: OAuthCredential) => {
      const result = (await input.client.auth.set({
        path: { id: PROVIDER_ID },
        body: credentialToStore(credential) as never,
      })) as { error?: unknown } | undefined;
      if (result && result.error) throw new Error(`auth.set failed: ${JSON.stringify(result.error)}`);
    },
    refreshGrant: (refreshToken, apiBase) => oauthFor(apiBase).refresh(refreshToken),
    lockPath: join(options.opencodeDataDir, `auth.json.${PROVIDER_ID}.lock`),
    onRefreshed: discoverInBackground,
  });

  const requestFetch = createRequestFetch({
    keeper,
    identity,
    configuredApiBase: options.apiBase,
    fetch: fetchImpl,
    quota: async (credential) =>
      fetchUsage({
        apiBase: credential.apiBase,
        token: credential.type === "oauth" ? credential.access : credential.key,
        headers: await identity.headers("api"),
        fetch: fetchImpl,
        timeoutMs: QUOTA_LOOKUP_TIMEOUT_MS,
      }),
  });

  return {
    async config(config) {
      try {
        const cached = await cachedModels(options.apiBase);
        const models = cached?.models.length ? cached.models : [...DEFAULT_MODELS];
        applyProviderConfig(config, buildProviderBlock({ models, apiBase: options.apiBase, identity: options.identity, protocol: options.protocol }));
      } catch (error) {
        log("error", "could not register the Kimi Code provider", { error: (error as Error).message });
      }
    },

    auth: {
      provider: PROVIDER_ID,
      async loader(auth) {
        try {
          getAuth = auth as () => Promise<unknown>;
          keeper.reset();
          const credential = credentialFromStore(await auth(), options.apiBase);
          if (!credential) return {};
          if (credential.type === "api") {
            const problem = apiKeyProblem(credential.key);
            if (problem) log("warn", `the stored Kimi Code API key is ${problem}`);
          }
          const cached = await cachedModels(credential.apiBase);
          if (!cached || isStale(cached)) {
            // Discovery when due: with the stored token if it is still fresh, never blocking startup.
            keeper
              .credential()
              .then(discoverInBackground)
              .catch(() => {});
          }
          // An empty apiKey keeps the AI SDK from adding its own Authorization; our fetch sets it.
          return { apiKey: "", fetch: requestFetch };
        } catch (error) {
          log("error", "Kimi Code loader failed; the provider stays unauthenticated", { error: (error as Error).message });
          return {};
        }
      },
      methods: [
        deviceLoginMethod({
          oauth: oauthFor(options.apiBase),
          apiBase: options.apiBase,
          // The login waits for this (so the next opencode start lists every model), but not for long.
          afterLogin: (credential) => discover(credential, LOGIN_DISCOVERY_TIMEOUT_MS),
        }),
        apiKeyMethod(),
      ],
    },

    async "chat.params"(hookInput, output) {
      try {
        applyChatParams(hookInput, output, { identity: options.identity, protocol: options.protocol });
      } catch (error) {
        log("error", "chat.params failed; request sent unchanged", { error: (error as Error).message });
      }
    },
  };
}
