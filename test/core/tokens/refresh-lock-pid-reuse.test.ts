// A lock whose holder died and whose PID now belongs to another process (PIDs wrap on a busy machine:
// pid_max is 32768 by default and threads take PIDs too) must not be waited on as if it were held:
// the process with that PID started after the lock was taken, so it is not the holder.
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { processStartMs } from "../../../src/core/tokens/process-start.ts";
import { withFileLock } from "../../../src/core/tokens/refresh-lock.ts";
import { tempDir } from "../../helpers/tmp.ts";

const onLinux = process.platform === "linux";

describe("a lock stamped with a PID that another process has now", () => {
  test("processStartMs tells when this process started (Linux; /proc/stat's btime is whole seconds)", () => {
    const started = processStartMs(process.pid);
    if (!onLinux) return expect(started).toBeUndefined();
    expect(started).toBeDefined();
    expect(Math.abs(started! - (Date.now() - process.uptime() * 1000))).toBeLessThan(2_000);
    expect(processStartMs(process.pid, () => "garbage")).toBeUndefined();
    // A command name with spaces and parentheses does not shift the fields.
    const stat = `42 (a (b) c) S ${Array.from({ length: 18 }, () => "0").join(" ")} 12345 0 0`;
    expect(processStartMs(42, (p) => (p === "/proc/stat" ? "cpu 1\nbtime 1000\n" : stat))).toBe(1_000_000 + 123_450);
  });

  test("is broken at once when that process started after the lock was taken", async () => {
    const path = join(await tempDir(), "auth.json.lock");
    // This (live) process's PID, stamped 30 s before it started: the real holder died, the PID was reused.
    const takenAt = (processStartMs(process.pid) ?? Date.now()) - 30_000;
    await writeFile(path, `${process.pid} ${hostname()} ${takenAt} abcd`, { mode: 0o600 });
    const r = await withFileLock(path, async () => "ran", { waitMs: 1_500, pollMs: 20, staleMs: 3_600_000 });
    if (onLinux) expect(r).toEqual({ value: "ran", locked: true });
    else expect(r.locked).toBe(false); // elsewhere the PID alone decides: waited out, then run without it
  });

  test("is still respected when that process is older than the lock (it may be the holder)", async () => {
    const path = join(await tempDir(), "auth.json.lock");
    await writeFile(path, `${process.pid} ${hostname()} ${Date.now()} abcd`, { mode: 0o600 });
    const r = await withFileLock(path, async () => "ran", { waitMs: 300, pollMs: 20, staleMs: 3_600_000 });
    expect(r.locked).toBe(false);
    expect(r.reason).toContain("still held");
  });
});
