// A throw-away, offline home for the real opencode binary: isolated HOME/XDG dirs/TMPDIR, the
// config-dir install stub, an opencode.json holding only the plugin line, and a runner that never
// leaves a process behind. Used by `npm run demo` (scripts/demo.ts) and the e2e tests
// (test/e2e/harness.ts re-exports it). The measurements behind every choice: test/e2e/NOTES.md.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { selectOpencode } from "./opencode-install.ts";
import { stripAnsi } from "./opencode-output.ts";
import { snapshot } from "./secrets-snapshot.ts";

export * from "./opencode-output.ts";
export { PINNED_OPENCODE_BIN, PINNED_OPENCODE_VERSION, selectOpencode } from "./opencode-install.ts";

export const REPO_ROOT = resolve(import.meta.dir, "..");
const selected = selectOpencode(process.env);
/** The opencode binary every run uses: `selectOpencode` (scripts/opencode-install.ts). */
export const OPENCODE_BIN = selected.bin;
/** Its version (the matrix runs the same tests against other versions). */
export const OPENCODE_VERSION = selected.version;
/** The plugin entry of this checkout. */
export const PLUGIN_ENTRY = join(REPO_ROOT, "src", "server", "index.ts");

/** A plugin spec: an absolute path (file or package dir), or `[path, options]`. */
export type PluginEntry = string | [string, Record<string, unknown>];

export interface OpencodeHome {
  /** Temp root holding everything below; removed by `cleanup`. */
  root: string;
  home: string;
  /** `$XDG_CONFIG_HOME/opencode`: holds opencode.json and the install stub. */
  configDir: string;
  /** `$XDG_DATA_HOME/opencode`: auth.json, log/, opencode.db. */
  dataDir: string;
  authPath: string;
  logPath: string;
  /** `$XDG_CACHE_HOME` (the plugin's model cache is `opencode-kimi-code/` below it). */
  cacheHome: string;
  /** `$KIMI_SHARE_DIR` (kimi-cli's share dir, where `device_id` lives); inside `home`, created lazily. */
  kimiShareDir: string;
  /** Working directory for runs (an empty dir, no git, no .opencode). */
  cwd: string;
  /** Complete environment for the opencode process (does not inherit the caller's). */
  env: Record<string, string>;
}

export interface HomeOptions {
  plugins?: PluginEntry[];
  /** Extra `provider` entries for opencode.json (e.g. a second provider); none by default. */
  provider?: Record<string, unknown>;
  /** Extra env for every run, e.g. `{ KIMI_CODE_OAUTH_HOST: emu.oauthHost }`. */
  env?: Record<string, string>;
  /** Names copied from this process's env if set (e.g. "KIMI_CODE_DEBUG"). */
  inherit?: string[];
  /** Prefix for the temp dir name. */
  prefix?: string;
}

/**
 * Stub that stops opencode from npm-installing `@opencode-ai/plugin` into a config dir:
 * `node_modules/` must exist and every dependency name must be listed in
 * package-lock.json `packages[""].dependencies` (names only are compared).
 */
export function writeInstallStub(dir: string): void {
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  const lock = {
    name: "opencode-config",
    lockfileVersion: 3,
    requires: true,
    packages: { "": { dependencies: { "@opencode-ai/plugin": OPENCODE_VERSION } } },
  };
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(lock, null, 2) + "\n");
}

function pluginSpec(entry: PluginEntry): string | [string, Record<string, unknown>] {
  const abs = (p: string) => {
    if (p.startsWith("file://")) return p;
    if (!isAbsolute(p)) throw new Error(`plugin path must be absolute: ${p}`);
    return p;
  };
  return typeof entry === "string" ? abs(entry) : [abs(entry[0]), entry[1]];
}

/** Writes `$XDG_CONFIG_HOME/opencode/opencode.json`: `$schema`, `plugin` and (only if given) `provider`. */
export function writeConfig(home: OpencodeHome, plugins: PluginEntry[], provider?: Record<string, unknown>): void {
  const cfg: Record<string, unknown> = { $schema: "https://opencode.ai/config.json", plugin: plugins.map(pluginSpec) };
  if (provider) cfg.provider = provider;
  writeFileSync(join(home.configDir, "opencode.json"), JSON.stringify(cfg, null, 2) + "\n");
}

/** Env that isolates opencode completely: own HOME/XDG dirs/TMPDIR, no catalog fetch, no update. */
export function buildEnv(root: string, extra: Record<string, string> = {}, inherit: string[] = []): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    TERM: "dumb",
    HOME: join(root, "home"),
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_DATA_HOME: join(root, "data"),
    XDG_CACHE_HOME: join(root, "cache"),
    XDG_STATE_HOME: join(root, "state"),
    TMPDIR: join(root, "tmp"),
    // kimi-cli's share dir (device_id): never the user's ~/.kimi.
    KIMI_SHARE_DIR: join(root, "home", ".kimi"),
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    // `providers login` refreshes the catalog even with the flag above; point it at a closed
    // local port so it fails at once instead of trying the internet.
    OPENCODE_MODELS_URL: "http://127.0.0.1:9",
  };
  for (const name of inherit) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...extra };
}

/** Creates an isolated opencode home under the system temp dir. */
export function createHome(opts: HomeOptions = {}): OpencodeHome {
  const root = mkdtempSync(join(tmpdir(), opts.prefix ?? "oc-e2e-"));
  for (const d of ["home", "config/opencode", "data/opencode", "cache", "state", "tmp", "work"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const configDir = join(root, "config", "opencode");
  const dataDir = join(root, "data", "opencode");
  writeInstallStub(configDir);
  const env = buildEnv(root, opts.env, opts.inherit);
  const home: OpencodeHome = {
    root,
    home: join(root, "home"),
    configDir,
    dataDir,
    authPath: join(dataDir, "auth.json"),
    logPath: join(dataDir, "log", "opencode.log"),
    cacheHome: join(root, "cache"),
    kimiShareDir: env.KIMI_SHARE_DIR ?? join(root, "home", ".kimi"),
    cwd: join(root, "work"),
    env,
  };
  writeConfig(home, opts.plugins ?? [], opts.provider);
  return home;
}

/** Env pointing the plugin at a Kimi Code emulator (or any OAuth host / API base pair). */
export function kimiEnv(target: { oauthHost: string; apiBase: string }): Record<string, string> {
  return { KIMI_CODE_OAUTH_HOST: target.oauthHost, KIMI_CODE_BASE_URL: target.apiBase };
}

export interface RunOptions {
  /** Hard limit; the whole process group is killed with SIGKILL after it. Default 90 s. */
  timeoutMs?: number;
  /** Text for stdin; default is /dev/null. */
  stdin?: string;
  /** Extra env for this run only. */
  env?: Record<string, string>;
  /**
   * Adds the global `--print-logs`: the full log goes to stderr. Prefer this to `readLog` for
   * the end of a run: the log file loses its last lines (buffered) when opencode exits.
   */
  printLogs?: boolean;
}

export interface RunResult {
  args: string[];
  /** null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const running = new Set<number>();

/** SIGKILLs the process group of every opencode this module started that is still running. */
export function killAllRuns(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Runs `opencode <args>` in `home.cwd` with the isolated env. Never throws for a failing run. */
export function runOpencode(home: OpencodeHome, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const started = Date.now();
  const argv = opts.printLogs ? ["--print-logs", ...args] : args;
  if (!existsSync(OPENCODE_BIN)) {
    return Promise.reject(new Error(`opencode is not installed at ${OPENCODE_BIN}: run \`npm ci\` first`));
  }
  const child = spawn(OPENCODE_BIN, argv, {
    cwd: home.cwd,
    env: { ...home.env, ...opts.env },
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    detached: true, // own process group, so a timeout can kill opencode and its children
  });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (b: Buffer) => out.push(b));
  child.stderr?.on("data", (b: Buffer) => err.push(b));
  if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  let timedOut = false;
  const killGroup = () => {
    try {
      if (pid !== undefined) process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  return new Promise((resolvePromise, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // reap anything opencode left behind in its group
      if (pid !== undefined) running.delete(pid);
      resolvePromise({
        args: argv,
        exitCode: code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        durationMs: Date.now() - started,
      });
    });
  });
}

/**
 * Creates `opencode.db` (runs `opencode session list`, ~3.5 s). Needed before starting several
 * opencode processes at once on a fresh home: two first runs race on the database migrations and one
 * fails with `Error: Unexpected error … Failed query: CREATE TABLE \`workspace\``. Run it before
 * writing auth.json if the runs must find an untouched credential (the plugin's loader runs here too).
 */
export async function initDatabase(home: OpencodeHome, opts: RunOptions = {}): Promise<void> {
  const r = await runOpencode(home, ["session", "list"], { timeoutMs: 60_000, ...opts });
  if (r.exitCode !== 0 || !existsSync(join(home.dataDir, "opencode.db"))) {
    throw new Error(`opencode session list failed (exit ${r.exitCode}, timed out: ${r.timedOut}): ${stripAnsi(r.stderr)}`);
  }
}

/** `opencode providers login -p <provider> -m <method>` with stdin closed (works for "auto" OAuth). */
export function login(home: OpencodeHome, provider: string, method: string, opts?: RunOptions): Promise<RunResult> {
  return runOpencode(home, ["providers", "login", "-p", provider, "-m", method], opts);
}

/**
 * `opencode run --model <model> [--variant v] [--format json] <prompt words>`.
 * The prompt is split on spaces: a single argv word would be sent with quotes.
 */
export function runChat(
  home: OpencodeHome,
  model: string,
  prompt: string,
  opts: RunOptions & { variant?: string; json?: boolean; extraArgs?: string[] } = {},
): Promise<RunResult> {
  const args = ["run", "--model", model];
  if (opts.variant !== undefined) args.push("--variant", opts.variant);
  if (opts.json) args.push("--format", "json");
  args.push(...(opts.extraArgs ?? []), ...prompt.split(/\s+/).filter(Boolean));
  return runOpencode(home, args, opts);
}

/** Removes the temp root. Safe to call twice. */
export function cleanup(home: OpencodeHome): void {
  snapshot(home.root); // `npm run secrets` only
  rmSync(home.root, { recursive: true, force: true });
}
