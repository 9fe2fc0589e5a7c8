// Plugin start-up, each run in a fresh process: import + server() + config hook with a warm model
// cache, next to an empty plugin; the network calls made meanwhile; what the entry loads statically.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { DEFAULT_MODELS } from "../src/core/models/discovery.ts";
import { writeModelCache } from "../src/core/models/model-cache.ts";
import { loadedAtStart, REPO_ROOT } from "../scripts/import-graph.ts";
import { alternate, summarisePairs, type PairedSummary } from "./stats.ts";
import { snapshot } from "../scripts/secrets-snapshot.ts";

const API_BASE = "http://127.0.0.1:9/coding/v1";

export interface StartupResult {
  result: PairedSummary;
  networkCalls: number;
  providersRegistered: string[];
  builtinsAtStart: string[];
  modulesAtStart: number;
}

function runChild(entry: string, cacheHome: string): { ms: number; network: number; providers: string[] } {
  const r = spawnSync(process.execPath, [resolve(import.meta.dir, "startup-child.ts"), entry, cacheHome, API_BASE], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`start-up child failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(line) as { ms: number; network: number; providers: string[] };
}

export async function runStartupBench(runs: number): Promise<StartupResult> {
  const cacheHome = await mkdtemp(join(tmpdir(), "okc-bench-start-"));
  try {
    await writeModelCache(join(cacheHome, "opencode-kimi-code"), API_BASE, [...DEFAULT_MODELS]);
    const plugin = resolve(REPO_ROOT, "src/server/index.ts");
    const empty = resolve(import.meta.dir, "empty-plugin.ts");
    let networkCalls = 0;
    let providers: string[] = [];
    const pairs = await alternate(
      runs,
      async () => runChild(empty, cacheHome).ms,
      async () => {
        const r = runChild(plugin, cacheHome);
        networkCalls += r.network;
        providers = r.providers;
        return r.ms;
      },
    );
    const atStart = loadedAtStart();
    return {
      result: summarisePairs(pairs.a, pairs.b),
      networkCalls,
      providersRegistered: providers,
      builtinsAtStart: atStart.filter((m) => m.startsWith("node:")).sort(),
      modulesAtStart: atStart.filter((m) => !m.startsWith("node:")).map((m) => relative(REPO_ROOT, m)).length,
    };
  } finally {
    snapshot(cacheHome); // `npm run secrets` only
    await rm(cacheHome, { recursive: true, force: true });
  }
}
