// The opencode server plugin's hooks: configuration, login, the loader's fetch and chat.params. The
// parts come from runtime.ts; this file only connects them to opencode and keeps every hook from
// throwing (a throwing loader breaks every provider; AGENTS.md contract 15).
import type { Hooks, PluginInput } from "@opencode-ai/plugin";
import { PROVIDER_ID } from "../core/config/constants.ts";
import { apiKeyMethod, apiKeyProblem, deviceLoginMethod } from "../core/login/auth-methods.ts";
import { applyChatParams } from "../core/models/chat-params.ts";
import { DEFAULT_MODELS } from "../core/models/discovery.ts";
import { isStale } from "../core/models/model-cache.ts";
import { applyProviderConfig, buildProviderBlock } from "../core/models/provider-config.ts";
import { log } from "../core/support/log.ts";
import { messages } from "../core/support/errors.ts";
import { credentialFromStore, credentialProblem } from "../core/tokens/credential.ts";
import { createRuntime, type PluginOverrides, type Runtime } from "./runtime.ts";
import { acceptsJsonSchemaTools, JSON_SCHEMA_TOOLS_SINCE, runningOpencodeVersion } from "./opencode-version.ts";
import { webToolHooks } from "./web-tools.ts";

const LOGIN_DISCOVERY_TIMEOUT_MS = 10_000;

export async function createHooks(input: PluginInput, rawOptions?: unknown, overrides: PluginOverrides = {}): Promise<Hooks> {
  const rt = createRuntime(input, rawOptions, overrides);
  const { options } = rt;
  // The web tools exist only while a login is stored at start (opencode reads `tool` once).
  // Read only when the tools are wanted: one small file, once per start.
  const opencodeVersion = options.webTools ? await runningOpencodeVersion() : undefined;
  const toolsSupported = acceptsJsonSchemaTools(opencodeVersion);
  const webTools = options.webTools && toolsSupported && (await rt.hasStoredLogin()) ? webToolHooks(rt.webClient) : {};
  if (!options.webTools) log("debug", "web tools are turned off (webTools / KIMI_CODE_WEB_TOOLS)");
  else if (!toolsSupported) log("warn", `web tools need opencode ${JSON_SCHEMA_TOOLS_SINCE.join(".")} or newer; opencode ${opencodeVersion} runs here, so they are not offered`);
  return {
    ...webTools,
    async config(config) {
      try {
        const cached = await rt.cachedModels(options.apiBase);
        const models = cached?.models.length ? cached.models : [...DEFAULT_MODELS];
        applyProviderConfig(config, buildProviderBlock({ models, apiBase: options.apiBase, identity: options.identity, protocol: options.protocol }));
      } catch (error) {
        log("error", "could not register the Kimi Code provider", { error: (error as Error).message });
      }
    },

    auth: {
      provider: PROVIDER_ID,
      loader: (auth) => loadProvider(rt, auth as () => Promise<unknown>),
      methods: [
        deviceLoginMethod({
          oauth: rt.oauthFor(options.apiBase),
          apiBase: options.apiBase,
          // The login waits for this (so the next opencode start lists every model), but not for long.
          afterLogin: (credential) => rt.discover(credential, LOGIN_DISCOVERY_TIMEOUT_MS),
          storeLogin: rt.storeLogin,
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

/** The auth loader: hands opencode our fetch when a login is stored; never throws. */
async function loadProvider(rt: Runtime, auth: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    rt.setAuthSource(auth);
    rt.keeper.reset();
    const credential = credentialFromStore(await auth(), rt.options.apiBase);
    if (!credential) return {};
    const unusable = credentialProblem(credential);
    if (unusable) {
      // Recognised at load; every request then answers with the same final error (request.ts), and
      // nothing else (discovery) sends it.
      log("error", messages.invalidCredential(credential.type, unusable));
      return { apiKey: "", fetch: rt.requestFetch };
    }
    if (credential.type === "api") {
      const problem = apiKeyProblem(credential.key);
      if (problem) log("warn", `the stored Kimi Code API key is ${problem}`);
    }
    const cached = await rt.cachedModels(credential.apiBase);
    if (!cached || isStale(cached)) {
      // Discovery when due: with the stored token if it is still fresh, never blocking startup.
      rt.keeper
        .credential()
        .then(rt.discoverInBackground)
        .catch(() => {});
    }
    // An empty apiKey keeps the AI SDK from adding its own Authorization; our fetch sets it.
    return { apiKey: "", fetch: rt.requestFetch };
  } catch (error) {
    log("error", "Kimi Code loader failed; the provider stays unauthenticated", { error: (error as Error).message });
    return {};
  }
}
