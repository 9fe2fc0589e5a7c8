// A local-state cell's world: a fresh emulator, a temp HOME with opencode's data and cache dirs, one
// OAuth login stored as opencode stores it, and the steps of an opencode start driven through the real
// plugin (createHooks = the entry's server() with the env passed in: the config hook, the auth loader,
// one chat turn through the loader's fetch), then the `kimi-code` CLI's `status` and `doctor`.
// Every step has a time limit: a step that never ends is a hang, which breaks opencode as a throw does.
import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hooks } from "@opencode-ai/plugin";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { runCli } from "../../src/cli/cli.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { modelCacheFile } from "../../src/core/models/model-cache.ts";
import { createHooks } from "../../src/server/hooks.ts";
import { fakeOpencode } from "../../test/helpers/fake-opencode.ts";
import { plantFifo, releaseFifo } from "../../test/helpers/fifo.ts";
import { benchEnv, type FetchFn } from "../plugin-instance.ts";
import { shown } from "./world.ts";

export const STEP_LIMIT_MS = 20_000;

export class Hung extends Error {}

/** The step's value, or a Hung error after `ms` (the step itself is left running). */
export async function limited<T>(what: string, step: Promise<T>, ms = STEP_LIMIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`${what} did not finish in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([step, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LocalWorld {
  emu: RunningEmulator;
  home: string;
  env: Record<string, string>;
  dataDir: string;
  authFile: string;
  lockFile: string;
  cacheDir: string;
  shareDir: string;
  /** The model cache file of the emulator's API base. */
  cacheFile: string;
  /** The login the world stored (its refresh token is checked against the emulator afterwards). */
  refresh: string;
  /** Writes auth.json with this provider's entry (and another provider's, to show it is kept). */
  writeAuth(entry: unknown): Promise<void>;
  /** A FIFO at `path`; on close its readers are released (a read stuck on it holds a thread of the pool). */
  fifo(path: string): void;
  /** Gives every reader stuck on a planted FIFO an end of file (each holds a thread of the I/O pool). */
  releaseFifos(): Promise<void>;
  /** A mount (tmpfs, read-only bind) at `dir`; false when this machine does not allow it. */
  mount(args: string[], dir: string): boolean;
  close(): Promise<void>;
}

export async function localWorld(opts: { dueLogin?: boolean } = {}): Promise<LocalWorld> {
  const emu = await startEmulator({});
  const home = await mkdtemp(join(tmpdir(), "okc-local-"));
  const env: Record<string, string> = { ...benchEnv(home, emu.apiBase, emu.oauthHost), XDG_CONFIG_HOME: join(home, "config"), PATH: join(home, "bin") };
  await mkdir(join(env.XDG_CONFIG_HOME!, "opencode"), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, "opencode", "opencode.json"), JSON.stringify({ plugin: ["opencode-kimi-code"] }));
  const dataDir = join(env.XDG_DATA_HOME!, "opencode");
  await mkdir(dataDir, { recursive: true });
  const t = emu.state.mintTokens(opts.dueLogin ? { lifetimeSec: 1 } : {});
  const entry = { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() + (opts.dueLogin ? 0 : t.expires_in * 1000), enterpriseUrl: emu.apiBase };
  const mounts: string[] = [];
  const fifos: string[] = [];
  const cacheDir = join(env.XDG_CACHE_HOME!, "opencode-kimi-code");
  const world: LocalWorld = {
    emu,
    home,
    env,
    dataDir,
    authFile: join(dataDir, "auth.json"),
    lockFile: join(dataDir, `auth.json.${PROVIDER_ID}.lock`),
    cacheDir,
    shareDir: env.KIMI_SHARE_DIR!,
    cacheFile: modelCacheFile(cacheDir, emu.apiBase),
    refresh: t.refresh_token,
    async writeAuth(e) {
      const other = { type: "api", key: "sk-other-provider-key" };
      await writeFile(world.authFile, JSON.stringify({ openai: other, [PROVIDER_ID]: e }, null, 2), { mode: 0o600 });
    },
    fifo(path) {
      plantFifo(path);
      fifos.push(path);
    },
    mount(args, dir) {
      try {
        execFileSync("mount", [...args, dir], { stdio: "ignore" });
        if (!args.some((a) => a.startsWith("remount"))) mounts.unshift(dir);
        return true;
      } catch {
        return false;
      }
    },
    async releaseFifos() {
      for (const f of fifos) await releaseFifo(f);
    },
    async close() {
      await world.releaseFifos();
      await emu.stop();
      for (const m of mounts) {
        for (const args of [[m], ["-l", m]]) {
          try {
            execFileSync("umount", args, { stdio: "ignore" });
            break;
          } catch {
            // busy: lazily, then give up (rm below fails loudly on a mount left behind)
          }
        }
      }
      await rm(home, { recursive: true, force: true });
    },
  };
  await world.writeAuth(entry);
  return world;
}

/** What one opencode start and one chat turn did. */
export interface StartRecord {
  /** The hook or step that threw or hung: opencode is broken. */
  broken: string[];
  /** What the user sees in the chat (or why no chat could be sent). */
  chat: string;
  models: number;
  /** The plugin's own log lines at warn and error (what opencode's log shows). */
  logs: string[];
}

/** opencode's start and one chat turn, every step limited; `options` are the plugin options. */
export async function startOpencode(
  w: LocalWorld,
  options: Record<string, unknown> = {},
  { opencodeReadsNothing = false, limitMs = STEP_LIMIT_MS }: { opencodeReadsNothing?: boolean | undefined; limitMs?: number | undefined } = {},
): Promise<StartRecord> {
  const logs: string[] = [];
  const broken: string[] = [];
  const store = fakeOpencode(w.env.XDG_DATA_HOME!);
  const client = {
    ...(store.input.client as object),
    app: {
      log: ({ body }: { body: { level: string; message: string; extra?: { error?: unknown } } }) =>
        void (body.level === "warn" || body.level === "error" ? logs.push(body.message + (body.extra?.error ? ` (${String(body.extra.error)})` : "")) : 0),
    },
  };
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await limited(what, run(), limitMs);
    } catch (error) {
      broken.push(error instanceof Hung ? `hangs: ${error.message}` : `${what} threw: ${(error as Error).message}`);
      return undefined;
    }
  };
  const record = (chat: string, models = 0): StartRecord => ({ broken, chat, models, logs });
  const hooks = await step<Hooks>("server()", () => createHooks({ ...store.input, client } as never, options, { env: w.env }));
  if (!hooks) return (await w.releaseFifos(), record("opencode did not start"));
  const config: { provider?: Record<string, { models?: Record<string, unknown> }> } = {};
  await step("config hook", async () => hooks.config?.(config as never));
  const models = Object.keys(config.provider?.[PROVIDER_ID]?.models ?? {}).length;
  const loaded = await step("auth loader", async () => (await hooks.auth!.loader!((opencodeReadsNothing ? async () => undefined : store.getAuth) as never, {} as never)) as { fetch?: FetchFn });
  if (!loaded) return record("opencode did not start", models);
  if (!loaded.fetch) return record("no Kimi Code login loaded: opencode offers the provider without credentials (\"log in\")", models);
  const params = { options: {}, temperature: 0, topP: 1, topK: 0 };
  await step("chat.params", async () => hooks["chat.params"]?.({ model: { providerID: PROVIDER_ID, id: "kimi-for-coding" } } as never, params as never));
  const res = await step("chat request", () =>
    loaded.fetch!(`${w.emu.apiBase}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "opencode/1.18.33" },
      body: JSON.stringify({ model: "kimi-for-coding", stream: true, messages: [{ role: "user", content: "hi" }] }),
    }),
  );
  const chat = res ? await shown(res) : "no answer";
  await w.releaseFifos();
  // Let background discovery (and its cache write) finish before the world is judged.
  for (let i = 0; i < 100 && w.emu.state.requestsTo("/coding/v1/models").some((r) => r.status === undefined); i++) await Bun.sleep(20);
  await Bun.sleep(150);
  return record(chat, models);
}

/** `kimi-code <args>` in process, limited; the first lines that say something. */
export async function runKimiCode(w: LocalWorld, args: string[], limitMs = STEP_LIMIT_MS, env: Record<string, string> = {}): Promise<{ code: number | "hung"; text: string }> {
  let out = "";
  const io = { env: { ...w.env, ...env }, cwd: w.home, fetch, out: (t: string) => void (out += t + "\n"), err: (t: string) => void (out += t + "\n"), isTTY: false, now: Date.now };
  try {
    const code = await limited(`kimi-code ${args.join(" ")}`, runCli(args, io), limitMs);
    return { code, text: out };
  } catch (error) {
    return { code: "hung", text: (error as Error).message };
  } finally {
    await w.releaseFifos();
  }
}

/** The file's bytes, or a description of what is there instead. */
export async function snapshot(path: string): Promise<string> {
  try {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return `symlink`;
    if (!s.isFile()) return `not a file (mode ${s.mode.toString(8)})`;
    return await readFile(path, "utf8");
  } catch (error) {
    return `(${(error as NodeJS.ErrnoException).code})`;
  }
}
