// A cross-process lock file, so that only one opencode process refreshes the shared login at a time
// (Kimi's refresh tokens may be single-use). kimi-cli does the same with flock on
// ~/.kimi/credentials/kimi-code.lock (oauth.py:275-350) and, when the lock cannot be had, goes on
// without it; so do we, after a bounded wait, or at once when the lock file cannot be created. Bun has
// no flock, so the lock is an exclusive create (link(2) of a complete temp file) holding "pid host
// time" (time of acquisition); a lock whose holder is dead (same host: its PID is not running, or the
// process that has the PID now started after the lock was taken) or that is older than staleMs
// is broken. Only one waiter breaks at a time (it holds "<lock>.break"), and it removes the lock only
// if it still holds the stamp found stale: a lock is never moved aside and put back, which could
// resurrect a lock its holder had already released (every waiter then waited out waitMs) or let two
// holders in at once.
import { hostname } from "node:os";
import { link, mkdir, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { readRegularFile } from "../support/read-file.ts";
import { processStartMs } from "./process-start.ts";
import { randomHex } from "../support/unique.ts";

export interface LockOptions {
  /** A lock older than this is stale whoever holds it. */
  staleMs?: number;
  /** Give up waiting after this long and run without the lock. */
  waitMs?: number;
  /** Poll interval while waiting (randomised ±50 %). */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LockResult<T> {
  value: T;
  /** False when fn ran without the lock: the wait timed out or the lock file could not be created. */
  locked: boolean;
  /** Why fn ran without the lock. */
  reason?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** /proc/stat's boot time is whole seconds, so a process start read from /proc is ±1 s. */
const START_TOLERANCE_MS = 2_000;

function isStale(content: string, staleMs: number, now: number): boolean {
  const [pidText, host, timeText] = content.trim().split(" ");
  const time = Number(timeText);
  if (!Number.isFinite(time)) return true; // unreadable: a crashed writer
  if (now - time > staleMs) return true;
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (!pidAlive(pid)) return true;
  // Alive, but started after the lock was taken: the holder died and its PID was given to another process.
  const started = processStartMs(pid);
  return started !== undefined && started > time + START_TOLERANCE_MS;
}

/**
 * Publishes the stamp with link(2), which fails if the lock exists: the file never appears half-written.
 * Throws on any other failure (EACCES, EROFS, ENOSPC, …), leaving no temp file behind.
 */
async function tryAcquire(path: string, stamp: string): Promise<boolean> {
  const temp = `${path}.${randomHex(6)}.tmp`;
  try {
    await writeFile(temp, stamp, { mode: 0o600, flag: "wx" }); // ENOSPC may leave it created but empty
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** "pid host time nonce": time is the acquisition time, so time spent waiting never counts toward staleness. */
function makeStamp(now: number): string {
  return `${process.pid} ${hostname()} ${now} ${randomHex(4)}`;
}

/** A stamp is far shorter than this; anything longer is not one. */
const STAMP_MAX_BYTES = 1024;

/**
 * The lock file's stamp, or undefined when there is none. Whatever is not a stamp reads as "" (stale):
 * a FIFO, a device or a user's file that a planted symlink points to is never waited on, read without
 * bound or written, only moved aside (the link itself, not its target).
 */
async function readStamp(path: string): Promise<string | undefined> {
  try {
    return (await readRegularFile(path, STAMP_MAX_BYTES)) ?? "";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "";
  }
}

/**
 * A breaker holds its guard for two file operations; one older than this, or whose process is gone,
 * was killed in between and is removed.
 */
const GUARD_STALE_MS = 5_000;

/**
 * Removes the lock if it is stale, holding the guard so that no other breaker acts meanwhile. Without
 * the guard, a breaker that read the stale stamp could remove a fresh lock taken after another breaker.
 */
async function breakIfStale(path: string, staleMs: number, now: number): Promise<void> {
  const content = await readStamp(path);
  if (content === undefined || !isStale(content, staleMs, now)) return; // gone already, or held
  const guard = `${path}.break`;
  const guardStamp = makeStamp(now);
  if (!(await tryAcquire(guard, guardStamp))) {
    const other = await readStamp(guard);
    if (other !== undefined && isStale(other, GUARD_STALE_MS, now)) await unlink(guard).catch(() => {});
    return; // another waiter is breaking it: poll again
  }
  try {
    // No other breaker acts, and a stale lock's holder is gone (or past staleMs): the stamp is still the one found stale.
    if ((await readStamp(path)) === content) await unlink(path).catch(() => {});
  } finally {
    if ((await readStamp(guard)) === guardStamp) await unlink(guard).catch(() => {});
  }
}

/** The stamp of the lock we now hold, or why we could not take it. */
async function acquire(path: string, options: LockOptions): Promise<{ stamp: string } | { reason: string }> {
  const staleMs = options.staleMs ?? 120_000;
  const waitMs = options.waitMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const giveUpAt = now() + waitMs;
    for (;;) {
      const stamp = makeStamp(now());
      if (await tryAcquire(path, stamp)) return { stamp };
      if (now() >= giveUpAt) return { reason: `still held by another process after ${Math.round(waitMs / 1000)} s` };
      await breakIfStale(path, staleMs, now());
      await sleep(pollMs * (0.5 + Math.random()));
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { reason: `cannot create the lock file (${e.code ?? e.message})` };
  }
}

/**
 * Runs fn holding the lock. Whatever keeps the lock from being taken (a holder that outlives waitMs,
 * a directory that is read-only, full or not ours) runs fn without it, as kimi-cli does: a refresh
 * without the lock risks a race with another process; no refresh at all would break every request.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<LockResult<T>> {
  const acquired = await acquire(path, options);
  if (!("stamp" in acquired)) return { value: await fn(), locked: false, reason: acquired.reason };
  const { stamp } = acquired;
  try {
    return { value: await fn(), locked: true };
  } finally {
    // Only remove our own lock (it may have been broken as stale and re-taken by another process).
    if ((await readStamp(path)) === stamp) await unlink(path).catch(() => {});
  }
}
