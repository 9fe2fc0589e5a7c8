// Many requests arriving on an expired token: how many refreshes they cause and how long they take, in
// one process (1,000 concurrent) and across 4 processes sharing one auth.json (4 × 250), against the
// emulator with single-use rotating refresh tokens.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator, type RunningEmulator } from "../emulator/index.ts";
import { fakeOpencode } from "../test/helpers/fake-opencode.ts";
import { benchEnv, benchPlugin } from "./plugin-instance.ts";
import { snapshot } from "../scripts/secrets-snapshot.ts";

export interface StormResult {
  label: string;
  requests: number;
  ok: number;
  failed: number;
  refreshes: number;
  totalMs: number;
}

const BUN = process.execPath;

async function expiredLogin(emu: RunningEmulator): Promise<Record<string, unknown>> {
  const t = emu.state.mintTokens({ lifetimeSec: 1 });
  await Bun.sleep(1_100);
  return { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() - 100, enterpriseUrl: emu.apiBase };
}

const refreshCount = (emu: RunningEmulator) =>
  emu.state.requestsTo("/api/oauth/token").filter((r) => String((r.body as Record<string, unknown>)?.grant_type) === "refresh_token").length;

export async function oneProcessStorm(n: number): Promise<StormResult> {
  const emu = await startEmulator({ singleUseRefreshTokens: true, accessTokenLifetimeSec: 900 });
  const plugin = await benchPlugin(emu.apiBase, await expiredLogin(emu), emu.oauthHost);
  try {
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: n }, async () => {
        const res = await plugin.fetch(`${emu.apiBase}/models`, { headers: { "user-agent": "opencode/1.18.33" } });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    const result = { label: `1 process × ${n}`, requests: n, ok, failed: n - ok, refreshes: refreshCount(emu), totalMs: performance.now() - t0 };
    // The refresh starts a model discovery in the background, which writes the cache: let it finish
    // (bounded) so that nothing is written into the home after it is removed.
    const discovered = () => emu.state.requestsTo("/coding/v1/models").some((r) => !/^opencode\//.test(String(r.headers["user-agent"])) && r.status !== undefined);
    for (let i = 0; i < 100 && !discovered(); i++) await Bun.sleep(20);
    await Bun.sleep(100);
    return result;
  } finally {
    await plugin.close();
    await emu.stop();
  }
}

function runChild(args: string[], onReady: () => void): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(BUN, [resolve(import.meta.dir, "storm-child.ts"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) onReady();
    });
    child.on("error", fail);
    child.on("close", () => {
      clearTimeout(timer);
      done(out);
    });
  });
}

export async function multiProcessStorm(processes: number, each: number): Promise<StormResult> {
  const emu = await startEmulator({ singleUseRefreshTokens: true, accessTokenLifetimeSec: 900 });
  const home = await mkdtemp(join(tmpdir(), "okc-bench-storm-"));
  try {
    const env = benchEnv(home, emu.apiBase, emu.oauthHost);
    await fakeOpencode(env.XDG_DATA_HOME!).set("kimi-for-coding-oauth", await expiredLogin(emu));
    const goFile = join(home, "go");
    let ready = 0;
    let allReady!: () => void;
    const readyAll = new Promise<void>((r) => (allReady = r));
    const children = Array.from({ length: processes }, () =>
      runChild([home, emu.oauthHost, emu.apiBase, goFile, String(each)], () => {
        if (++ready === processes) allReady();
      }),
    );
    await readyAll;
    const t0 = performance.now();
    await writeFile(goFile, "go");
    const outs = await Promise.all(children);
    const totalMs = performance.now() - t0;
    let ok = 0;
    let failed = 0;
    for (const out of outs) {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      const r = line ? (JSON.parse(line) as { ok: number; failed: number }) : { ok: 0, failed: each };
      ok += r.ok;
      failed += r.failed;
    }
    return { label: `${processes} processes × ${each}`, requests: processes * each, ok, failed, refreshes: refreshCount(emu), totalMs };
  } finally {
    snapshot(home); // `npm run secrets` only
    await rm(home, { recursive: true, force: true });
    await emu.stop();
  }
}
