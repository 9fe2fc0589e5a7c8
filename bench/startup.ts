// Plugin start-up, each run in a fresh process: import + server() + config hook with a warm model
// cache, next to an empty plugin; the network calls made meanwhile; what the entry loads statically.
// The plugin is measured as the package ships it (the bun bundle of scripts/server-bundle.mjs) and
// from source, in a bare bun process and in one that first loads the node: built-ins opencode has
// already loaded when it loads plugins (found by a probe plugin inside the real opencode).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_MODELS } from "../src/core/models/model.ts";
import { writeModelCache } from "../src/core/models/model-cache.ts";
import { loadedAtStart, REPO_ROOT } from "../scripts/import-graph.ts";
import { cleanup, createHome, runOpencode } from "../scripts/opencode-sandbox.ts";
import { PROBED_BUILTINS } from "./builtins-probe.ts";
import { buildServerBundle } from "./bundle.ts";
import { snapshot } from "../scripts/secrets-snapshot.ts";
import { alternate, summarise, summarisePairs, type PairedSummary, type Summary } from "./stats.ts";

const API_BASE = "http://127.0.0.1:9/coding/v1";
/** A built-in that imports faster than this inside opencode was already loaded there. */
const LOADED_BELOW_MS = 0.2;

export interface StartupCase {
  label: string;
  result: PairedSummary;
}

export interface StartupResult {
  cases: StartupCase[];
  /** The first turn's on-demand loading (loader, chat.params, one request without network), as packaged, warm. */
  firstTurn: Summary;
  networkCalls: number;
  providersRegistered: string[];
  /** Import time of each probed built-in inside opencode (ms), and which count as already loaded. */
  builtinsInOpencode: Record<string, number>;
  preloaded: string[];
  builtinsAtStart: string[];
  modulesAtStart: number;
  /** Files of the bundle loaded at start (static imports from index.js). */
  bundleFilesAtStart: number;
}

function runChild(entry: string, home: string, preload: string[]): { ms: number; network: number; providers: string[] } {
  const r = spawnSync(process.execPath, [resolve(import.meta.dir, "startup-child.ts"), entry, home, API_BASE, preload.join(",")], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`start-up child failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(line) as { ms: number; network: number; providers: string[] };
}

/** Pairs measured in one warm process (startup-warm-child.ts): empty plugin vs plugin, fresh copies. */
function runWarmChild(plugin: [string, string], empty: [string, string], home: string, pairs: number, preload: string[]) {
  const args = [resolve(import.meta.dir, "startup-warm-child.ts"), ...plugin, ...empty, home, API_BASE, String(pairs), preload.join(",")];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`warm start-up child failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(line) as { a: number[]; b: number[]; firstTurn: number[]; network: number };
}

/** Import times of node: built-ins inside the real opencode (`opencode models` with the probe plugin). */
async function builtinsInOpencode(): Promise<Record<string, number>> {
  const home = createHome({ plugins: [resolve(import.meta.dir, "builtins-probe.ts")], prefix: "okc-bench-probe-" });
  const out = join(home.root, "probe.jsonl");
  home.env.PROBE_OUT = out;
  try {
    const run = await runOpencode(home, ["models"], { timeoutMs: 120_000 });
    const line = readFileSync(out, "utf8").split("\n").find(Boolean);
    if (!line) throw new Error(`the built-ins probe wrote nothing (opencode exit ${run.exitCode})`);
    return JSON.parse(line) as Record<string, number>;
  } finally {
    cleanup(home);
  }
}

/** Files index.js loads statically (itself and the chunks it imports, transitively). */
function bundleFilesAtStart(dir: string): number {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/^import\s[^;]*?from\s*"(\.[^"]+)"/gm)) visit(resolve(file, "..", m[1]!));
  };
  visit(join(dir, "index.js"));
  return seen.size;
}

export async function runStartupBench(runs: number): Promise<StartupResult> {
  const work = await mkdtemp(join(tmpdir(), "okc-bench-start-"));
  try {
    const bundleDir = join(work, "bundle");
    const bundle = buildServerBundle(bundleDir);
    const source = resolve(REPO_ROOT, "src/server/index.ts");
    const empty = resolve(import.meta.dir, "empty-plugin.ts");

    const loggedOut = join(work, "logged-out");
    const loggedIn = join(work, "logged-in");
    for (const home of [loggedOut, loggedIn]) await writeModelCache(join(home, "opencode-kimi-code"), API_BASE, [...DEFAULT_MODELS]);
    // A stored login: the web tools' definitions are then part of the start (startup-child: XDG_DATA_HOME = <home>/data).
    mkdirSync(join(loggedIn, "data", "opencode"), { recursive: true });
    const login = { type: "oauth", access: "a.b.c", refresh: "r", expires: Date.now() + 3_600_000, enterpriseUrl: API_BASE };
    writeFileSync(join(loggedIn, "data", "opencode", "auth.json"), JSON.stringify({ "kimi-for-coding-oauth": login }), { mode: 0o600 });

    const inOpencode = await builtinsInOpencode();
    const preloaded = PROBED_BUILTINS.filter((b) => (inOpencode[b] ?? Number.POSITIVE_INFINITY) < LOADED_BELOW_MS);

    let networkCalls = 0;
    let providers: string[] = [];
    const pair = async (label: string, entry: string, home: string, preload: string[]): Promise<StartupCase> => {
      const r = await alternate(
        runs,
        async () => runChild(empty, home, preload).ms,
        async () => {
          const c = runChild(entry, home, preload);
          networkCalls += c.network;
          providers = c.providers;
          return c.ms;
        },
      );
      return { label, result: summarisePairs(r.a, r.b) };
    };
    const emptyDir = join(work, "empty");
    mkdirSync(emptyDir);
    writeFileSync(join(emptyDir, "index.js"), readFileSync(empty, "utf8"));
    const firstTurns: number[] = [];
    const warm = (label: string, plugin: [string, string], home: string): StartupCase => {
      const r = runWarmChild(plugin, [emptyDir, "index.js"], home, Math.max(runs * 2, 6), preloaded);
      networkCalls += r.network;
      if (plugin[0] === bundleDir && home === loggedOut) firstTurns.push(...r.firstTurn);
      return { label, result: summarisePairs(r.a, r.b) };
    };
    const cases = [
      warm("package (bundle), in a warm process (as inside opencode)", [bundleDir, "index.js"], loggedOut),
      warm("package (bundle), in a warm process, logged in (web tools defined)", [bundleDir, "index.js"], loggedIn),
      warm("source (src/), in a warm process", [resolve(REPO_ROOT, "src"), "server/index.ts"], loggedOut),
      await pair("package (bundle), a fresh bun process, built-ins opencode has loaded", bundle, loggedOut, preloaded),
      await pair("package (bundle), a fresh bun process, nothing preloaded", bundle, loggedOut, []),
      await pair("source (src/server/index.ts), a fresh bun process, built-ins opencode has loaded", source, loggedOut, preloaded),
    ];
    const atStart = loadedAtStart();
    return {
      cases,
      firstTurn: summarise(firstTurns),
      networkCalls,
      providersRegistered: providers,
      builtinsInOpencode: inOpencode,
      preloaded,
      builtinsAtStart: atStart.filter((m) => m.startsWith("node:")).sort(),
      modulesAtStart: atStart.filter((m) => !m.startsWith("node:")).length,
      bundleFilesAtStart: bundleFilesAtStart(bundleDir),
    };
  } finally {
    snapshot(work); // `npm run secrets` only
    await rm(work, { recursive: true, force: true });
  }
}
