// A hermetic world for the kimi-code CLI: temp HOME/XDG dirs, an opencode config with the plugin line,
// an auth.json, and runners (in-process through runCli, or as a real process) pointed at an emulator.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { RunningEmulator } from "../../emulator/index.ts";
import { runCli } from "../../src/cli/cli.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { tempDir } from "../helpers/tmp.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const CLI_MAIN = join(REPO, "src/cli/main.ts");
export const BUN = process.execPath;

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliWorld {
  home: string;
  env: Record<string, string>;
  authFile: string;
  configFile: string;
  run(args: string[], opts?: { env?: Record<string, string | undefined>; isTTY?: boolean; stdin?: string; cwd?: string }): Promise<CliRun>;
  spawn(args: string[], opts?: { env?: Record<string, string>; stdin?: string }): Promise<CliRun>;
  json(args: string[]): Promise<{ code: number; value: any; err: string }>;
  writeAuth(entries: Record<string, unknown>): Promise<void>;
  readAuth(): Promise<Record<string, any>>;
  seedLogin(lifetimeSec?: number): Promise<Record<string, unknown>>;
  /** An executable `opencode` stub on PATH printing this version. */
  fakeOpencode(version: string): Promise<void>;
}

export async function cliWorld(emu: RunningEmulator | undefined, opts: { plugin?: unknown[] | null } = {}): Promise<CliWorld> {
  const home = await tempDir("okc-cli-");
  const bin = join(home, "bin");
  await mkdir(bin, { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_STATE_HOME: join(home, "state"),
    KIMI_SHARE_DIR: join(home, "kimi"),
    PATH: `${bin}:/usr/bin:/bin`,
    ...(emu ? { KIMI_CODE_OAUTH_HOST: emu.oauthHost, KIMI_CODE_BASE_URL: emu.apiBase } : {}),
  };
  const authFile = join(env.XDG_DATA_HOME!, "opencode", "auth.json");
  const configFile = join(env.XDG_CONFIG_HOME!, "opencode", "opencode.json");
  await mkdir(join(env.XDG_CONFIG_HOME!, "opencode"), { recursive: true });
  if (opts.plugin !== null) await writeFile(configFile, JSON.stringify({ plugin: opts.plugin ?? ["opencode-kimi-code"] }, null, 2));
  const cwd = join(home, "work");
  await mkdir(cwd, { recursive: true });

  const world: CliWorld = {
    home,
    env,
    authFile,
    configFile,
    async run(args, o = {}) {
      let out = "";
      let err = "";
      const runEnv = { ...env, ...o.env };
      const code = await runCli(args, {
        env: runEnv,
        cwd: o.cwd ?? cwd,
        fetch,
        out: (t) => (out += t + "\n"),
        err: (t) => (err += t + "\n"),
        isTTY: o.isTTY ?? false,
        now: Date.now,
        readStdin: async () => o.stdin ?? "",
        stdinIsTTY: false,
      });
      return { code, out, err };
    },
    async spawn(args, o = {}) {
      const p = Bun.spawn([BUN, CLI_MAIN, ...args], { cwd, env: { ...env, ...o.env }, stdin: o.stdin !== undefined ? new TextEncoder().encode(o.stdin) : "ignore", stdout: "pipe", stderr: "pipe" });
      const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
      return { code, out, err };
    },
    async json(args) {
      const r = await world.run([...args, "--json"]);
      let value: unknown;
      try {
        value = JSON.parse(r.out);
      } catch {
        throw new Error(`not JSON (exit ${r.code}): ${r.out}\n${r.err}`);
      }
      return { code: r.code, value, err: r.err };
    },
    async writeAuth(entries) {
      await mkdir(join(env.XDG_DATA_HOME!, "opencode"), { recursive: true });
      await writeFile(authFile, JSON.stringify(entries, null, 2), { mode: 0o600 });
    },
    async readAuth() {
      return JSON.parse(await readFile(authFile, "utf8"));
    },
    async seedLogin(lifetimeSec) {
      if (!emu) throw new Error("no emulator");
      const t = emu.state.mintTokens(lifetimeSec === undefined ? {} : { lifetimeSec });
      const entry = { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() + t.expires_in * 1000, enterpriseUrl: emu.apiBase };
      let current: Record<string, unknown> = {};
      try {
        current = await world.readAuth();
      } catch {
        // no file yet
      }
      await world.writeAuth({ ...current, [PROVIDER_ID]: entry });
      return entry;
    },
    async fakeOpencode(version) {
      const path = join(bin, "opencode");
      await writeFile(path, `#!/bin/sh\necho "${version}"\n`);
      await chmod(path, 0o755);
    },
  };
  return world;
}
