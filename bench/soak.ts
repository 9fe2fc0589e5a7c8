// `npm run soak`: many plugin processes on one login for minutes, against the emulator with single-use
// rotating refresh tokens and short-lived access tokens; processes are SIGKILLed at random moments (also
// while holding the refresh lock) and restarted. Writes the figures to bench/SOAK.md (or --out).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/index.ts";
import { fakeOpencode } from "../test/helpers/fake-opencode.ts";
import { snapshot } from "../scripts/secrets-snapshot.ts";
import { benchEnv } from "./plugin-instance.ts";
import { collectOutcomes, renderSoak, type SoakFigures } from "./soak-report.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "600" },
    processes: { type: "string", default: "8" },
    "token-lifetime": { type: "string", default: "20" },
    "kill-every": { type: "string", default: "15" },
    "lock-kill-probability": { type: "string", default: "0.3" },
    out: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const processes = Number(values.processes);
const lifetime = Number(values["token-lifetime"]);
const killEveryMs = Number(values["kill-every"]) * 1000;
const lockKillProbability = Number(values["lock-kill-probability"]);
const out = values.out ?? resolve(import.meta.dir, "SOAK.md");

const emu = await startEmulator({
  singleUseRefreshTokens: true,
  accessTokenLifetimeSec: lifetime,
  fiveHourRequestLimit: 1e9,
  weeklyRequestLimit: 1e9,
  monthlyRequestLimit: 1e9,
  parallelLimit: 1e6,
});
const home = mkdtempSync(join(os.tmpdir(), "okc-soak-"));
const started = Date.now();
const deadline = started + seconds * 1000;
const figures: SoakFigures = {
  seconds, processes, lifetime, kills: 0, killsHoldingLock: 0, lockRecoveries: [], refreshes: 0, invalidGrants: 0,
  outcomes: { sent: 0, ok: 0, failed: {}, longestMs: 0, logLines: [] }, loginIntact: false, loginsLost: [], secrets: { tokens: 0, filesWithTokens: [], badModes: [] }, date: new Date(started).toISOString(),
};
const env = benchEnv(home, emu.apiBase, emu.oauthHost);
const lockPath = join(env.XDG_DATA_HOME!, "opencode", "auth.json.kimi-for-coding-oauth.lock");
let lastLockKill = 0;
let seenInvalid = 0;
let relogging = false;
const workers: (ChildProcess | undefined)[] = [];

try {
  await seed();
  const outFiles: string[] = [];
  const spawnWorker = (slot: number) => {
    const file = join(home, `worker-${slot}-${outFiles.length}.jsonl`);
    outFiles.push(file);
    const args = [resolve(import.meta.dir, "soak-worker.ts"), home, emu.oauthHost, emu.apiBase, String(deadline), file, "50"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    workers[slot] = child;
    child.on("exit", () => {
      if (workers[slot] === child) workers[slot] = undefined;
    });
  };
  for (let i = 0; i < processes; i++) spawnWorker(i);

  let nextKill = Date.now() + killEveryMs * Math.random();
  let lastHolder: number | undefined;
  while (Date.now() < deadline) {
    await Bun.sleep(20);
    tallyTokenRequests();
    for (let i = 0; i < processes; i++) if (!workers[i] && Date.now() < deadline - 2_000) spawnWorker(i);
    const holder = lockHolder();
    // Each new lock holder is killed with probability 0.3 (decided once per holder).
    const newHolder = holder !== undefined && holder !== lastHolder;
    if (holder !== undefined) lastHolder = holder;
    const killHolder = newHolder && Math.random() < lockKillProbability;
    // Random kills land only while nobody holds the lock: lock-holder kills are counted apart.
    if (killHolder || (Date.now() >= nextKill && holder === undefined)) {
      const slot = killHolder ? workers.findIndex((w) => w?.pid === holder) : Math.floor(Math.random() * processes);
      const victim = workers[slot];
      if (victim && victim.exitCode === null) {
        victim.kill("SIGKILL");
        figures.kills++;
        if (killHolder) {
          figures.killsHoldingLock++;
          lastLockKill = Date.now();
          void watchRecovery();
        }
      }
      if (!killHolder) nextKill = Date.now() + killEveryMs * (0.5 + Math.random());
    }
  }
  await Promise.all(workers.map((w) => (w && w.exitCode === null ? new Promise((r) => w.on("exit", r)) : undefined)));
  tallyTokenRequests();
  figures.outcomes = collectOutcomes(outFiles);
  figures.loginIntact = await loginStillWorks(true);
  figures.secrets = scanForSecrets(home, emu.state.tokens.issuedSecrets());
} finally {
  for (const w of workers) if (w && w.exitCode === null) w.kill("SIGKILL");
  writeReport();
  await emu.stop();
  snapshot(home); // `npm run secrets` only
  rmSync(home, { recursive: true, force: true });
}

/**
 * Every file the soak left (worker outcome files with the plugin's log lines, the model cache, lock
 * leftovers) searched for any token the emulator issued; auth.json (opencode's store) is the one file
 * meant to hold them.
 * Files the plugin wrote must be 0600.
 */
function scanForSecrets(root: string, secrets: readonly string[]): SoakFigures["secrets"] {
  const found: string[] = [];
  const badModes: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) {
        walk(path);
        continue;
      }
      // opencode's store, and the temp file of its stand-in's write (test/helpers/fake-opencode.ts
      // `auth.json.<pid>.<random>`) left when a worker is killed mid-write: opencode's, not the plugin's.
      if (name === "auth.json" || /^auth\.json\.\d+\.[a-z0-9]+$/.test(name)) continue;
      const text = readFileSync(path, "utf8");
      if (secrets.some((t) => text.includes(t))) found.push(relative(root, path));
      if (path.includes(`${join("cache", "opencode-kimi-code")}`) && (st.mode & 0o777) !== 0o600) badModes.push(`${relative(root, path)} ${(st.mode & 0o777).toString(8)}`);
    }
  };
  walk(root);
  return { tokens: secrets.length, filesWithTokens: found, badModes };
}

/** The lock file's text, or "" when there is none (it may vanish between any two calls). */
function lockText(): string {
  try {
    return readFileSync(lockPath, "utf8");
  } catch {
    return "";
  }
}

function lockHolder(): number | undefined {
  const pid = Number(lockText().split(" ")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** How long the lock of a killed holder stays in the way before a live process takes or clears it. */
async function watchRecovery(): Promise<void> {
  const t0 = Date.now();
  const before = lockText();
  while (Date.now() - t0 < 180_000) {
    const now = lockText();
    if (now !== before) {
      figures.lockRecoveries.push(Date.now() - t0);
      return;
    }
    await Bun.sleep(10);
  }
  figures.lockRecoveries.push(Number.POSITIVE_INFINITY);
}

function tallyTokenRequests(): void {
  for (const r of emu.state.requestsTo("/api/oauth/token")) {
    if ((r.body as Record<string, unknown> | undefined)?.grant_type !== "refresh_token" || r.status === undefined) continue;
    if (r.status === 200) figures.refreshes++;
    else if (r.status === 401 || r.status === 400) figures.invalidGrants++;
  }
  emu.state.clearRequests();
  if (figures.invalidGrants > seenInvalid) {
    seenInvalid = figures.invalidGrants;
    void relogin();
  }
}


/** A refused refresh means the stored login is spent: count the loss and log in again, as a user would. */
async function relogin(): Promise<void> {
  if (relogging || (await loginStillWorks(false))) return;
  relogging = true;
  figures.loginsLost.push({ atSec: (Date.now() - started) / 1000, afterLockKill: Date.now() - lastLockKill < 10_000 });
  await seed();
  relogging = false;
}

async function seed(): Promise<void> {
  const t = emu.state.mintTokens();
  await fakeOpencode(env.XDG_DATA_HOME!).set("kimi-for-coding-oauth", {
    type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() + t.expires_in * 1000, enterpriseUrl: emu.apiBase,
  });
}

/**
 * The stored login still works. At the end (`spend`) its refresh token is tried; during the run it is
 * only checked against the emulator's list of spent tokens, so the workers' tokens stay untouched.
 */
async function loginStillWorks(spend: boolean): Promise<boolean> {
  const raw = JSON.parse(readFileSync(join(env.XDG_DATA_HOME!, "opencode", "auth.json"), "utf8")) as Record<string, { refresh?: string }>;
  const refresh = raw["kimi-for-coding-oauth"]?.refresh;
  if (!refresh) return false;
  if (!spend) return emu.state.tokens.checkRefresh(refresh) === "ok";
  const res = await fetch(`${emu.oauthHost}/api/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh, client_id: "17e5f671-d194-4dfb-9706-5516cb48c098" }),
  });
  return res.status === 200;
}

function writeReport(): void {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${os.type()} ${os.release()}, bun ${Bun.version}`;
  writeFileSync(out, renderSoak(figures, machine));
  console.error(`soak: written to ${out}`);
}
