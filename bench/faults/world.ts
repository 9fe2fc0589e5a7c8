// One fault-matrix cell's world: a fresh emulator and a plugin with its own opencode data dir, a
// login seeded as opencode stores it, and the loader's fetch; helpers to read what the user sees.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hooks } from "@opencode-ai/plugin";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/index.ts";
import { createHooks } from "../../src/server/hooks.ts";
import { fakeOpencode } from "../../test/helpers/fake-opencode.ts";
import { benchEnv, type FetchFn } from "../plugin-instance.ts";
import { snapshot } from "../../scripts/secrets-snapshot.ts";

export interface CellWorld {
  emu: RunningEmulator;
  home: string;
  env: Record<string, string>;
  hooks: Hooks;
  store: ReturnType<typeof fakeOpencode>;
  /** Stores an OAuth login minted by the emulator; `expiredForSec` makes it long expired (laptop sleep). */
  /** expiresInSec: the stored expiry (local clock) this far ahead instead of the token's lifetime (a due token that still works). */
  seed(opts?: { lifetimeSec?: number; expiredForSec?: number; expiresInSec?: number }): Promise<void>;
  fetch(): Promise<FetchFn>;
  chat(body?: Record<string, unknown>): Promise<Response>;
  storedRefresh(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function cellWorld(options: EmulatorOptions = {}): Promise<CellWorld> {
  const emu = await startEmulator(options);
  const home = await mkdtemp(join(tmpdir(), "okc-faults-"));
  const env = benchEnv(home, emu.apiBase, emu.oauthHost);
  const store = fakeOpencode(env.XDG_DATA_HOME!);
  const hooks = await createHooks(store.input, {}, { env });
  let loaded: FetchFn | undefined;
  const world: CellWorld = {
    emu,
    home,
    env,
    hooks,
    store,
    async seed(opts = {}) {
      const t = emu.state.mintTokens(opts.lifetimeSec === undefined ? {} : { lifetimeSec: opts.lifetimeSec });
      const expires =
        opts.expiredForSec !== undefined ? Date.now() - opts.expiredForSec * 1000 : Date.now() + (opts.expiresInSec ?? t.expires_in) * 1000;
      if (opts.expiredForSec !== undefined) await Bun.sleep((t.expires_in + 0.2) * 1000); // the JWT's own exp passes too
      await store.set("kimi-for-coding-oauth", { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires, enterpriseUrl: emu.apiBase });
    },
    async fetch() {
      if (loaded) return loaded;
      const r = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch?: FetchFn };
      if (!r.fetch) throw new Error("no fetch from the loader");
      return (loaded = r.fetch);
    },
    async chat(body = {}) {
      const f = await world.fetch();
      return f(`${emu.apiBase}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "opencode/1.18.33" },
        body: JSON.stringify({ model: "kimi-for-coding", stream: true, messages: [{ role: "user", content: "hi" }], ...body }),
      });
    },
    async storedRefresh() {
      try {
        const raw = JSON.parse(await readFile(join(env.XDG_DATA_HOME!, "opencode", "auth.json"), "utf8")) as Record<string, { refresh?: string }>;
        return raw["kimi-for-coding-oauth"]?.refresh;
      } catch {
        return undefined;
      }
    },
    async close() {
      await emu.stop();
      snapshot(home); // `npm run secrets` only
      await rm(home, { recursive: true, force: true });
      // A background discovery or save answered just before the emulator stopped may still write
      // (recreating the home); remove it again once that has settled.
      await Bun.sleep(250);
      await rm(home, { recursive: true, force: true });
    },
  };
  return world;
}

/** What opencode would show for a response: "ok", or the status and the error message. */
export async function shown(res: Response): Promise<string> {
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    return `HTTP ${res.status}, then the stream broke: ${String((error as Error).message).split(".")[0]} (surfaces as an error)`;
  }
  if (res.ok) return text.includes("[DONE]") || text.includes("event: message_stop") || !/^(data|event):/.test(text) ? "ok" : "ok (stream cut)";
  let message = text;
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    // not JSON
  }
  const retry = res.headers.get("retry-after");
  return `HTTP ${res.status}${retry ? ` (Retry-After ${retry})` : ""}: ${message.replace(/\s+/g, " ").slice(0, 160)}`;
}
