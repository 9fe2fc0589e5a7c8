// The plugin inside the real opencode: `opencode models` with and without it, and a streamed
// `opencode run` turn through it versus opencode's own built-in Kimi Code provider
// (`kimi-code-plan-cn`, API key, pointed at the emulator), paired runs against one emulator. The
// plugin is loaded as the package ships it (the bundle).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../emulator/index.ts";
import {
  cleanup,
  createHome,
  initDatabase,
  kimiEnv,
  OPENCODE_BIN,
  runOpencode,
  writeAuth,
  type OpencodeHome,
} from "../scripts/opencode-sandbox.ts";
import { buildServerBundle } from "./bundle.ts";
import { alternate, summarisePairs, type PairedSummary } from "./stats.ts";

const API_KEY = "sk-kimi-bench-0000000000000000";

/** Wall time of one opencode run, and of the first `text` event on stdout (run --format json). */
function timedRun(home: OpencodeHome, args: string[]): Promise<{ totalMs: number; firstTextMs: number; ok: boolean }> {
  return new Promise((done) => {
    const t0 = performance.now();
    let firstTextMs = Number.NaN;
    let out = "";
    const child = spawn(OPENCODE_BIN, args, { cwd: home.cwd, env: home.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 120_000);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (Number.isNaN(firstTextMs) && /"type":"text"/.test(out)) firstTextMs = performance.now() - t0;
    });
    child.stderr.resume();
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ totalMs: performance.now() - t0, firstTextMs, ok: code === 0 && !Number.isNaN(firstTextMs) });
    });
  });
}

export interface OpencodeBenchResult {
  models: PairedSummary;
  firstText: PairedSummary;
  total: PairedSummary;
  failedRuns: number;
}

async function modelsPairs(pairs: number, plugin: string): Promise<PairedSummary> {
  const bare = createHome({ prefix: "okc-bench-oc-" });
  const withPlugin = createHome({ plugins: [plugin], prefix: "okc-bench-oc-" });
  try {
    const time = async (h: OpencodeHome) => (await runOpencode(h, ["models"], { timeoutMs: 120_000 })).durationMs;
    await time(bare);
    await time(withPlugin);
    const r = await alternate(pairs, () => time(bare), () => time(withPlugin));
    return summarisePairs(r.a, r.b);
  } finally {
    cleanup(bare);
    cleanup(withPlugin);
  }
}

export async function runOpencodeBench(pairs: number): Promise<OpencodeBenchResult> {
  const bundleDir = mkdtempSync(join(tmpdir(), "okc-bench-bundle-"));
  try {
    return await benchInOpencode(pairs, buildServerBundle(bundleDir));
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

async function benchInOpencode(pairs: number, plugin: string): Promise<OpencodeBenchResult> {
  const models = await modelsPairs(pairs, plugin);
  const emu = await startEmulator({ apiKeys: [API_KEY] });
  const ours = createHome({ plugins: [plugin], env: kimiEnv(emu), prefix: "okc-bench-oc-" });
  const builtin = createHome({
    provider: { "kimi-code-plan-cn": { options: { baseURL: emu.apiBase, apiKey: API_KEY } } },
    prefix: "okc-bench-oc-",
  });
  try {
    await Promise.all([initDatabase(ours), initDatabase(builtin)]);
    writeAuth(ours, { "kimi-for-coding-oauth": { type: "api", key: API_KEY, metadata: { baseURL: emu.apiBase } } });
    const run = (h: OpencodeHome, provider: string) =>
      timedRun(h, ["run", "--format", "json", "--model", `${provider}/kimi-for-coding`, "say", "hi"]);
    let failedRuns = 0;
    const first: { a: number[]; b: number[] } = { a: [], b: [] };
    const total: { a: number[]; b: number[] } = { a: [], b: [] };
    await run(builtin, "kimi-code-plan-cn");
    await run(ours, "kimi-for-coding-oauth");
    await alternate(
      pairs,
      async () => {
        const r = await run(builtin, "kimi-code-plan-cn");
        if (!r.ok) failedRuns++;
        first.a.push(r.firstTextMs);
        total.a.push(r.totalMs);
        return r.totalMs;
      },
      async () => {
        const r = await run(ours, "kimi-for-coding-oauth");
        if (!r.ok) failedRuns++;
        first.b.push(r.firstTextMs);
        total.b.push(r.totalMs);
        return r.totalMs;
      },
    );
    return { models, firstText: summarisePairs(first.a, first.b), total: summarisePairs(total.a, total.b), failedRuns };
  } finally {
    cleanup(ours);
    cleanup(builtin);
    await emu.stop();
  }
}
