// A hermetic world for one plugin instance: temp HOME/XDG dirs, a fake opencode auth store, and the
// environment that points the plugin at a running emulator.
import { join } from "node:path";
import type { Hooks } from "@opencode-ai/plugin";
import type { RunningEmulator } from "../../emulator/index.ts";
import { createHooks } from "../../src/server/hooks.ts";
import { fakeOpencode } from "./fake-opencode.ts";
import { tempDir } from "./tmp.ts";

export const OPENCODE_UA = "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14";

export interface PluginWorld {
  home: string;
  env: Record<string, string>;
  store: ReturnType<typeof fakeOpencode>;
  hooks: Hooks;
  /** The loader's fetch (after a login is stored). */
  loaderFetch(): Promise<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>;
  /** POST /chat/completions the way opencode's AI SDK does. */
  chat(body?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
}

export async function pluginWorld(
  emu: RunningEmulator,
  pluginOptions: Record<string, unknown> = {},
  shared?: { home: string },
): Promise<PluginWorld> {
  const home = shared?.home ?? (await tempDir("okc-home-"));
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CACHE_HOME: join(home, "cache"),
    KIMI_SHARE_DIR: join(home, "kimi"),
    KIMI_CODE_OAUTH_HOST: emu.oauthHost,
    KIMI_CODE_BASE_URL: emu.apiBase,
  };
  const store = fakeOpencode(env.XDG_DATA_HOME!);
  const hooks = await createHooks(store.input, pluginOptions, { env });
  let fetchFn: ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) | undefined;
  const world: PluginWorld = {
    home,
    env,
    store,
    hooks,
    async loaderFetch() {
      const result = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch?: typeof fetch };
      if (!result.fetch) throw new Error("loader returned no fetch (no login stored?)");
      fetchFn = result.fetch;
      return fetchFn;
    },
    async chat(body = {}, headers = {}) {
      const f = fetchFn ?? (await world.loaderFetch());
      return f(`${emu.apiBase}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": OPENCODE_UA, ...headers },
        body: JSON.stringify({ model: "kimi-for-coding", stream: true, messages: [{ role: "user", content: "hi" }], ...body }),
      });
    },
  };
  return world;
}

/** Runs the device login method to completion and stores the result as opencode would. */
export async function deviceLogin(world: PluginWorld): Promise<Record<string, unknown>> {
  const method = world.hooks.auth!.methods[0] as unknown as {
    authorize(): Promise<{ url: string; instructions: string; callback(): Promise<Record<string, unknown>> }>;
  };
  const started = await method.authorize();
  const result = await started.callback();
  if (result.type !== "success") throw new Error("device login failed");
  const { type: _t, provider: _p, refresh, access, expires, ...extra } = result;
  await world.store.set("kimi-for-coding-oauth", { type: "oauth", refresh, access, expires, ...extra });
  return result;
}

/** Stores a login minted by the emulator directly (no device flow), as opencode would store it. */
export async function seedLogin(world: PluginWorld, emu: RunningEmulator, lifetimeSec?: number): Promise<Record<string, unknown>> {
  const t = emu.state.mintTokens(lifetimeSec === undefined ? {} : { lifetimeSec });
  const entry = {
    type: "oauth",
    access: t.access_token,
    refresh: t.refresh_token,
    expires: Date.now() + t.expires_in * 1000,
    enterpriseUrl: emu.apiBase,
  };
  await world.store.set("kimi-for-coding-oauth", entry);
  return entry;
}
