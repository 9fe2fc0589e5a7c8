// The server plugin as the package ships it: bundled by bun (scripts/server-bundle.mjs) into index.js
// plus chunks loaded on first use. The bundle keeps the entry's single export (opencode's loader
// rule) and works end to end: device login, model discovery and a streamed chat against the emulator.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { PluginModule } from "@opencode-ai/plugin";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
// @ts-expect-error plain ESM without types, shared with scripts/build.mjs
import { serverBundleArgs } from "../../scripts/server-bundle.mjs";
import { fakeOpencode } from "../helpers/fake-opencode.ts";
import { OPENCODE_UA } from "../helpers/plugin-env.ts";
import { tempDir } from "../helpers/tmp.ts";

const REPO = join(import.meta.dir, "..", "..");
let emu: RunningEmulator;
let out = "";

beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 0.05, autoApproveAfterPolls: 1 });
  out = await tempDir("okc-bundle-");
  const r = spawnSync(process.execPath, (serverBundleArgs as (d: string) => string[])(out), { cwd: REPO, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(async () => {
  await emu.stop();
});

test("the bundle has exactly one export, the { id, server } plugin, and splits the on-demand parts off", async () => {
  const mod = (await import(join(out, "index.js"))) as Record<string, unknown>;
  expect(Object.keys(mod)).toEqual(["default"]);
  const plugin = mod.default as Record<string, unknown>;
  expect(Object.keys(plugin).sort()).toEqual(["id", "server"]);
  expect(plugin.id).toBe("opencode-kimi-code");
  // The runtime (keeper, request path, login) is a chunk of its own, not in the entry.
  expect(readdirSync(join(out, "chunks")).some((f) => f.startsWith("runtime-"))).toBe(true);
});

test("the bundle logs in, discovers the models and streams a chat turn through the emulator", async () => {
  const plugin = ((await import(join(out, "index.js"))) as { default: PluginModule }).default;
  const home = await tempDir("okc-bundle-home-");
  const env = { HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CACHE_HOME: join(home, "cache"), KIMI_SHARE_DIR: join(home, "kimi") };
  const saved = { ...process.env };
  Object.assign(process.env, env, { KIMI_CODE_OAUTH_HOST: emu.oauthHost, KIMI_CODE_BASE_URL: emu.apiBase });
  try {
    const store = fakeOpencode(env.XDG_DATA_HOME);
    const hooks = await plugin.server(store.input, {});
    const config = { provider: {} } as Record<string, Record<string, unknown>>;
    await hooks.config?.(config as never);
    expect(Object.keys(config.provider!)).toEqual(["kimi-for-coding-oauth"]);

    const method = hooks.auth!.methods[0] as unknown as { authorize(): Promise<{ callback(): Promise<Record<string, unknown>> }> };
    const result = await (await method.authorize()).callback();
    expect(result.type).toBe("success");
    await store.set("kimi-for-coding-oauth", { type: "oauth", access: result.access, refresh: result.refresh, expires: result.expires, enterpriseUrl: result.enterpriseUrl });

    const loaded = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch: typeof fetch };
    const res = await loaded.fetch(`${emu.apiBase}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": OPENCODE_UA },
      body: JSON.stringify({ model: "kimi-for-coding", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data: [DONE]");
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
