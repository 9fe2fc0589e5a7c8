// The opencode server plugin's hooks: configuration, login, the loader's fetch and chat.params. This
// module is the plugin's start path (import + server() + config hook), so it loads only what those
// need; the runtime (token keeper, request path, login, web client) is imported on first use
// (AGENTS.md contract 30, guarded by test/architecture.test.ts). Every hook catches: a throwing loader
// breaks every provider (contract 15).
import type { Hooks, PluginInput } from "@opencode-ai/plugin";
import { API_KEY_LABEL, DEVICE_LOGIN_LABEL, PLUGIN_NAME, PROVIDER_ID } from "../core/config/constants.ts";
import { resolveOptions, type ResolvedOptions } from "../core/config/options.ts";
import { DEFAULT_MODELS } from "../core/models/model.ts";
import { readModelCache } from "../core/models/model-cache.ts";
import { applyProviderConfig, buildProviderBlock } from "../core/models/provider-config.ts";
import { forwardLogsTo, log } from "../core/support/log.ts";
import { acceptsJsonSchemaTools, JSON_SCHEMA_TOOLS_SINCE, runningOpencodeVersion } from "./opencode-version.ts";
import { isStoredLogin, storedEntry } from "./stored-entry.ts";
import { webToolHooks } from "./web-tools.ts";
import type { CachedModels, PluginOverrides, Runtime } from "./runtime.ts";

export type { PluginOverrides } from "./runtime.ts";

/** Sends the plugin's log lines to opencode's logger when opencode offers one. */
function forwardLogsToOpencode(input: PluginInput): void {
  const app = (input.client as { app?: { log?: (args: unknown) => unknown } } | undefined)?.app;
  if (typeof app?.log !== "function") return;
  const send = app.log.bind(app);
  forwardLogsTo((level, message, extra) => send({ body: { service: PLUGIN_NAME, level, message, ...(extra ? { extra } : {}) } }));
}

/** Runs `load` once, on first call; every caller shares its promise. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

/** Whether opencode's auth store holds a Kimi Code login now (read from auth.json; never throws). */
async function hasStoredLogin(options: ResolvedOptions): Promise<boolean> {
  return isStoredLogin(await storedEntry(options.opencodeDataDir));
}

export async function createHooks(input: PluginInput, rawOptions?: unknown, overrides: PluginOverrides = {}): Promise<Hooks> {
  forwardLogsToOpencode(input);
  const options = resolveOptions(rawOptions, overrides.env ?? process.env);
  const cacheReads = new Map<string, ReturnType<CachedModels>>();
  /** The cached model list of an API base, read from disk once per start (config hook and loader share it). */
  const cachedModels: CachedModels = (apiBase) => {
    let read = cacheReads.get(apiBase);
    if (!read) cacheReads.set(apiBase, (read = readModelCache(options.cacheDir, apiBase)));
    return read;
  };
  const forget = (apiBase: string) => cacheReads.delete(apiBase);
  const runtime = once(async (): Promise<Runtime> => {
    const { createRuntime } = await import("./runtime.ts");
    return createRuntime(input, options, overrides, { cachedModels, forget });
  });
  const chatParams = once(() => import("../core/models/chat-params.ts"));

  // The web tools exist only while a login is stored at start (opencode reads `tool` once).
  // Read only when the tools are wanted: one small file, once per start.
  const opencodeVersion = options.webTools ? await runningOpencodeVersion() : undefined;
  const toolsSupported = acceptsJsonSchemaTools(opencodeVersion);
  const webTools =
    options.webTools && toolsSupported && (await hasStoredLogin(options)) ? webToolHooks(async () => (await runtime()).webClient) : {};
  if (!options.webTools) log("debug", "web tools are turned off (webTools / KIMI_CODE_WEB_TOOLS)");
  else if (!toolsSupported) log("warn", `web tools need opencode ${JSON_SCHEMA_TOOLS_SINCE.join(".")} or newer; opencode ${opencodeVersion} runs here, so they are not offered`);
  return {
    ...webTools,
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
      loader: async (auth) => {
        try {
          const [rt, { loadProvider }] = await Promise.all([runtime(), import("./loader.ts")]);
          return await loadProvider(rt, auth as () => Promise<unknown>);
        } catch (error) {
          log("error", "Kimi Code loader failed; the provider stays unauthenticated", { error: (error as Error).message });
          return {};
        }
      },
      methods: [
        { type: "oauth", label: DEVICE_LOGIN_LABEL, authorize: async () => (await runtime()).deviceLogin.authorize() },
        // opencode asks for the key itself and never shows it to the plugin at login, so the key is
        // checked on first use (loader.ts, request.ts) and by `kimi-code doctor`.
        { type: "api", label: API_KEY_LABEL },
      ],
    },

    async "chat.params"(hookInput, output) {
      try {
        (await chatParams()).applyChatParams(hookInput, output, { identity: options.identity, protocol: options.protocol });
      } catch (error) {
        log("error", "chat.params failed; request sent unchanged", { error: (error as Error).message });
      }
    },
  };
}
