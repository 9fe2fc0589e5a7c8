// The local-state fault matrix (issue 14 §3): each cell plants one hostile local state (a damaged
// auth.json, a strange device_id, a read-only or full directory, a stale lock, a planted symlink) in
// a fresh world, then starts opencode with the plugin, sends one chat turn, and runs `kimi-code status`
// and `doctor`. Recorded: what the user sees, whether opencode broke (a hook threw or hung), whether
// the stored login survived, and any file written through a symlink or with a mode other than 0600.
import { chmod, lstat, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { localWorld, runKimiCode, snapshot, startOpencode, type LocalWorld } from "./local-world.ts";

export interface LocalCell {
  group: string;
  name: string;
  /** The plugin options opencode passes (identity "kimi-cli" for the device_id cells). */
  options?: Record<string, unknown>;
  /** The stored login is due for refresh: the start refreshes and must write it back. */
  dueLogin?: boolean;
  /** opencode's own read of auth.json is left out (answers "no login"): opencode itself blocks on this state. */
  opencodeReadsNothing?: boolean;
  /** A known, documented limit: the row says it; `npm test` does not hold the login invariant against it. */
  knownLimit?: string;
  /** The time limit of each step (default 20 s). */
  limitMs?: number;
  /** Minutes-long by design (a lock held by a live-looking process): left out of `npm test`. */
  slow?: boolean;
  /** Plants the state; returns a note, or "skip: why" when this machine cannot plant it. */
  plant(w: LocalWorld): Promise<string | void>;
  /** Checks after the run; returns violations (a write through a symlink, …). */
  after?(w: LocalWorld): Promise<string[]>;
}

export interface LocalOutcome {
  /** What the user sees in the chat, and the plugin's first warning or error in opencode's log. */
  chat: string;
  log: string;
  cli: string;
  /** Hooks that threw or hung: empty when opencode kept working. */
  broken: string[];
  login: string;
  loginKept: boolean;
  /** Writes through symlinks, files not 0600, stack traces shown: empty when none. */
  violations: string[];
  note: string;
  seconds: number;
}

const PRECIOUS = "the user's own file: must stay exactly like this\n";
const KIMI_CLI = { identity: "kimi-cli" };
const deviceId = (w: LocalWorld) => join(w.shareDir, "device_id");
const canMount = (w: LocalWorld, args: string[], dir: string) => w.mount(args, dir);
const readOnly = (w: LocalWorld, dir: string) => canMount(w, ["--bind", dir], dir) && canMount(w, ["-o", "remount,ro,bind"], dir);
/** A 64 KiB tmpfs at `dir` (`first` is written into it), filled to the last byte (ENOSPC on the next write). */
async function full(w: LocalWorld, dir: string, first?: { path: string; data: Buffer }): Promise<boolean> {
  if (!canMount(w, ["-t", "tmpfs", "-o", "size=64k", "tmpfs"], dir)) return false;
  if (first) await writeFile(first.path, first.data, { mode: 0o600 });
  try {
    execFileSync("sh", ["-c", `dd if=/dev/zero of='${dir}/filler' bs=4k 2>/dev/null; dd if=/dev/zero of='${dir}/filler2' bs=1 2>/dev/null; true`]);
  } catch {
    // full
  }
  return true;
}

/** A file outside every directory the plugin writes, and a symlink to it at `at`. */
async function plantLink(w: LocalWorld, at: string, target = join(w.home, "precious.txt")): Promise<void> {
  if (target.endsWith("precious.txt")) await writeFile(target, PRECIOUS, { mode: 0o644 });
  await mkdir(join(at, ".."), { recursive: true });
  await symlink(target, at);
}
async function preciousIntact(w: LocalWorld): Promise<string[]> {
  const now = await readFile(join(w.home, "precious.txt"), "utf8").catch(() => "(gone)");
  const mode = (await lstat(join(w.home, "precious.txt")).catch(() => undefined))?.mode;
  return now === PRECIOUS && mode !== undefined && (mode & 0o777) === 0o644 ? [] : ["the symlink's target was changed"];
}

const entry = async (w: LocalWorld) => (JSON.parse(await readFile(w.authFile, "utf8")) as Record<string, Record<string, unknown>>)[PROVIDER_ID]!;
const withEntry = (change: (e: Record<string, unknown>) => Record<string, unknown>) => async (w: LocalWorld) => w.writeAuth(change(await entry(w)));
const rawAuth = (text: (e: Record<string, unknown>) => string) => async (w: LocalWorld) => writeFile(w.authFile, text(await entry(w)), { mode: 0o600 });

export const LOCAL_CELLS: LocalCell[] = [
  { group: "auth.json", name: "entry missing fields (no refresh, no expires)", plant: withEntry((e) => ({ type: "oauth", access: e.access })) },
  { group: "auth.json", name: "entry with wrong types", plant: withEntry(() => ({ type: "oauth", access: 42, refresh: ["x"], expires: { at: 1 }, enterpriseUrl: 7 })) },
  { group: "auth.json", name: "`expires` a string", plant: withEntry((e) => ({ ...e, expires: String(e.expires) })) },
  { group: "auth.json", name: "`expires` null (what JSON.stringify writes for NaN)", plant: withEntry((e) => ({ ...e, expires: null })) },
  { group: "auth.json", name: "`expires` a bare NaN (not JSON)", plant: rawAuth((e) => JSON.stringify({ [PROVIDER_ID]: { ...e, expires: 0 } }).replace('"expires":0', '"expires":NaN')) },
  {
    group: "auth.json",
    name: "50 MB file (another provider's huge entry)",
    plant: rawAuth((e) => JSON.stringify({ big: { type: "api", key: "k", metadata: { blob: "x".repeat(50 * 1024 * 1024) } }, [PROVIDER_ID]: e })),
  },
  { group: "auth.json", name: "not JSON", plant: rawAuth(() => "{ this is not json") },
  { group: "auth.json", name: "a directory", plant: async (w) => (await rm(w.authFile), mkdir(w.authFile)) },
  {
    group: "auth.json",
    name: "a FIFO",
    opencodeReadsNothing: true,
    plant: async (w) => (await rm(w.authFile), w.fifo(w.authFile), "opencode's own read of auth.json would block on it; here it answers \"no login\", so this row is the plugin's part"),
  },
  { group: "device_id (identity kimi-cli)", name: "empty", options: KIMI_CLI, plant: async (w) => (await mkdir(w.shareDir, { recursive: true }), writeFile(deviceId(w), "", { mode: 0o600 })) },
  { group: "device_id (identity kimi-cli)", name: "corrupt (binary, a line break)", options: KIMI_CLI, plant: async (w) => (await mkdir(w.shareDir, { recursive: true }), writeFile(deviceId(w), Buffer.from([0, 0xff, 0x0a, 0x41, 0x0d]))) },
  { group: "device_id (identity kimi-cli)", name: "a directory", options: KIMI_CLI, plant: async (w) => void (await mkdir(deviceId(w), { recursive: true })) },
  {
    group: "device_id (identity kimi-cli)",
    name: "mode 000",
    options: KIMI_CLI,
    async plant(w) {
      await mkdir(w.shareDir, { recursive: true });
      await writeFile(deviceId(w), "0123456789abcdef0123456789abcdef", { mode: 0o000 });
      await chmod(deviceId(w), 0o000);
      return process.getuid?.() === 0 ? "runs as root: mode 000 does not stop reading (the FIFO cell is the unreadable one)" : "";
    },
  },
  { group: "device_id (identity kimi-cli)", name: "a FIFO (a read never returns)", options: KIMI_CLI, plant: async (w) => (await mkdir(w.shareDir, { recursive: true }), w.fifo(deviceId(w))) },
  {
    group: "read-only directory",
    name: "opencode data dir read-only (ro bind mount), refresh due",
    dueLogin: true,
    knownLimit: "contract 9/10a: a refresh runs without the lock, and its rotation, unsavable, lives in memory (saves retried every 30 s)",
    plant: async (w) => (readOnly(w, w.dataDir) ? "" : "skip: mount not allowed here"),
  },
  {
    group: "read-only directory",
    name: "model cache dir read-only (ro bind mount), no cache yet",
    plant: async (w) => (await mkdir(w.cacheDir, { recursive: true }), readOnly(w, w.cacheDir) ? "" : "skip: mount not allowed here"),
    after: async (w) => ((await snapshot(w.cacheFile)) === "(ENOENT)" ? [] : ["a cache file appeared in a read-only dir"]),
  },
  {
    group: "stale lock",
    name: "left by a dead process on another host, 1 h ago; refresh due",
    dueLogin: true,
    plant: (w) => writeFile(w.lockFile, `4242 other-host.example ${Date.now() - 3_600_000} dead`, { mode: 0o600 }),
    after: async (w) => ((await snapshot(w.lockFile)) === "(ENOENT)" ? [] : ["the lock file was left behind"]),
  },
  {
    group: "stale lock",
    name: "left by a process on another host just now (it may be alive); refresh due",
    dueLogin: true,
    slow: true,
    limitMs: 90_000,
    plant: (w) => writeFile(w.lockFile, `4242 other-host.example ${Date.now()} live`, { mode: 0o600 }),
  },
  { group: "stale lock", name: "garbage content; refresh due", dueLogin: true, plant: (w) => writeFile(w.lockFile, "\u0000garbage", { mode: 0o600 }) },
  {
    group: "symlink planted",
    name: "at the model cache path → a user file; no cache yet",
    plant: (w) => plantLink(w, w.cacheFile),
    after: async (w) => [...(await preciousIntact(w)), ...((await snapshot(w.cacheFile)) === "symlink" ? [] : await mode600(w.cacheFile))],
  },
  { group: "symlink planted", name: "at the model cache path → a FIFO", plant: async (w) => (w.fifo(join(w.home, "pipe")), plantLink(w, w.cacheFile, join(w.home, "pipe"))) },
  { group: "symlink planted", name: "at the lock path → a user file; refresh due", dueLogin: true, plant: (w) => plantLink(w, w.lockFile), after: preciousIntact },
  { group: "symlink planted", name: "at the lock path → a FIFO; refresh due", dueLogin: true, plant: async (w) => (w.fifo(join(w.home, "pipe")), plantLink(w, w.lockFile, join(w.home, "pipe"))) },
  { group: "symlink planted", name: "at the lock path → /dev/zero; refresh due", dueLogin: true, plant: (w) => plantLink(w, w.lockFile, "/dev/zero") },
  {
    group: "disk full",
    name: "model cache dir on a full 64 KiB tmpfs, no cache yet",
    plant: async (w) => (await mkdir(w.cacheDir, { recursive: true }), (await full(w, w.cacheDir)) ? "" : "skip: mount not allowed here"),
    after: async (w) => ((await snapshot(w.cacheFile)) === "(ENOENT)" ? [] : ["a partial cache file was left"]),
  },
  {
    group: "disk full",
    name: "opencode data dir on a full 64 KiB tmpfs; refresh due",
    dueLogin: true,
    knownLimit: "contract 9/10a: a refresh runs without the lock, and its rotation, unsavable, lives in memory (saves retried every 30 s)",
    plant: async (w) => ((await full(w, w.dataDir, { path: w.authFile, data: await readFile(w.authFile) })) ? "" : "skip: mount not allowed here"),
  },
];

async function mode600(path: string): Promise<string[]> {
  const s = await lstat(path).catch(() => undefined);
  return !s || (s.mode & 0o777) === 0o600 ? [] : [`${path.split("/").pop()} has mode ${(s.mode & 0o777).toString(8)}`];
}

export { mode600 };
