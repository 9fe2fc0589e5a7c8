import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { withFileLock } from "../../../src/core/tokens/refresh-lock.ts";
import { tempDir } from "../../helpers/tmp.ts";

/** A pid that is certainly not running: a child that already exited. */
function deadPid(): number {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
}

describe("cross-process refresh lock", () => {
  test("serialises holders and removes the lock file afterwards", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    let inside = 0;
    let maxInside = 0;
    const run = () =>
      withFileLock(path, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await Bun.sleep(20);
        inside--;
        return "done";
      }, { pollMs: 5 });
    const results = await Promise.all([run(), run(), run(), run()]);
    expect(maxInside).toBe(1);
    expect(results.every((r) => r.locked && r.value === "done")).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  test("the lock file is 0600", async () => {
    const dir = await tempDir();
    const path = join(dir, "x.lock");
    await withFileLock(path, async () => {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });
  });

  test("a directory the lock creates (no opencode data dir yet) is 0700", async () => {
    const dir = join(await tempDir(), "opencode");
    const result = await withFileLock(join(dir, "auth.json.lock"), async () => (await stat(dir)).mode & 0o777);
    expect(result).toEqual({ locked: true, value: 0o700 });
  });

  test("a lock left by a killed process on this host is recovered at once", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await writeFile(path, `${deadPid()} ${hostname()} ${Date.now()} abcd`);
    const started = Date.now();
    const r = await withFileLock(path, async () => "ran", { pollMs: 5, waitMs: 5_000 });
    expect(r).toEqual({ value: "ran", locked: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await readdir(dir)).toEqual([]); // no lock, no guard, no temp file
  });

  test("a lock older than staleMs is broken even if its holder looks alive", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await writeFile(path, `${process.pid} ${hostname()} ${Date.now() - 10_000} abcd`);
    const r = await withFileLock(path, async () => "ran", { pollMs: 5, staleMs: 5_000, waitMs: 5_000 });
    expect(r.locked).toBe(true);
  });

  test("many waiters breaking a dead holder's lock at once: never two holders, nothing left behind", async () => {
    // Breaking used to move the lock aside and put it back if it was fresh: a holder that came in
    // meanwhile shared the lock with the next one, or its released lock came back with nobody to
    // remove it (the soak's 60 s waits). Each round races six waiters on one stale lock.
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    const dead = deadPid();
    let inside = 0;
    let overlaps = 0;
    let unlocked = 0;
    for (let round = 0; round < 300; round++) {
      await writeFile(path, `${dead} ${hostname()} ${Date.now()} dead`);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          withFileLock(path, async () => {
            if (++inside > 1) overlaps++;
            await Bun.sleep(Math.random() * 2);
            inside--;
          }, { pollMs: 1, waitMs: 2_000 }),
        ),
      );
      unlocked += results.filter((r) => !r.locked).length;
      expect(existsSync(path)).toBe(false);
    }
    expect({ overlaps, unlocked }).toEqual({ overlaps: 0, unlocked: 0 });
    expect(await readdir(dir)).toEqual([]);
  }, 60_000);

  test("a breaker killed while breaking (its guard left behind) does not keep the lock from being recovered", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await writeFile(path, `${deadPid()} ${hostname()} ${Date.now()} abcd`);
    await writeFile(`${path}.break`, `${deadPid()} ${hostname()} ${Date.now()} ef01`);
    const r = await withFileLock(path, async () => "ran", { pollMs: 5, waitMs: 5_000 });
    expect(r).toEqual({ value: "ran", locked: true });
    expect(await readdir(dir)).toEqual([]);
  });

  test("while a live breaker holds the guard, others do not break the lock themselves", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await writeFile(path, `${deadPid()} ${hostname()} ${Date.now()} abcd`);
    await writeFile(`${path}.break`, `${process.pid} ${hostname()} ${Date.now()} ef01`);
    const r = await withFileLock(path, async () => "ran", { pollMs: 5, waitMs: 300 });
    expect(r.locked).toBe(false); // the guard's holder is alive and young: nobody else removed the lock
    expect(existsSync(path)).toBe(true);
  });

  test("a live holder is waited for; after waitMs the work runs without the lock", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    const held = `${process.pid} ${hostname()} ${Date.now()} live`;
    await writeFile(path, held);
    const r = await withFileLock(path, async () => "ran anyway", { pollMs: 5, waitMs: 100 });
    expect(r).toEqual({ value: "ran anyway", locked: false, reason: "still held by another process after 0 s" });
    expect(await Bun.file(path).text()).toBe(held); // someone else's lock is left alone
  });

  test("the lock is released when the work throws", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await expect(withFileLock(path, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(existsSync(path)).toBe(false);
  });

  test("separate processes never hold it at the same time", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    const log = join(dir, "log");
    const script = `
      import { withFileLock } from ${JSON.stringify(join(import.meta.dir, "../../../src/core/tokens/refresh-lock.ts"))};
      import { appendFile } from "node:fs/promises";
      for (let i = 0; i < 5; i++) {
        await withFileLock(${JSON.stringify(path)}, async () => {
          await appendFile(${JSON.stringify(log)}, "in\\n");
          await Bun.sleep(5);
          await appendFile(${JSON.stringify(log)}, "out\\n");
        }, { pollMs: 2 });
      }`;
    const procs = [0, 1, 2].map(() => Bun.spawn([process.execPath, "-e", script], { stderr: "inherit" }));
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0]);
    const lines = (await Bun.file(log).text()).trim().split("\n");
    expect(lines).toHaveLength(30);
    for (let i = 0; i < lines.length; i += 2) expect([lines[i], lines[i + 1]]).toEqual(["in", "out"]);
  }, 30_000);
});

describe("lock failures and timing (issue 8 F6, F10)", () => {
  test("the stamp is the acquisition time: time spent waiting never counts toward staleness", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    // A virtual clock from the real now: the live holder (this process) started before its lock.
    const start = Date.now();
    let clock = start;
    await writeFile(path, `${process.pid} ${hostname()} ${clock} holder`); // a live holder
    const r = await withFileLock(
      path,
      async () => Number((await readFile(path, "utf8")).split(" ")[2]),
      {
        now: () => clock,
        staleMs: 120_000,
        waitMs: 100_000,
        sleep: async () => {
          clock += 10_000;
          if (clock >= start + 50_000) await unlink(path).catch(() => {}); // the holder finishes after 50 s
        },
      },
    );
    expect(r.locked).toBe(true);
    expect(r.value).toBeGreaterThanOrEqual(start + 50_000);
  });

  test("a lock directory that cannot be created: fn still runs, without the lock, and says why", async () => {
    const dir = await tempDir();
    const file = join(dir, "not-a-dir");
    await writeFile(file, "x");
    const r = await withFileLock(join(file, "auth.json.lock"), async () => "ran");
    expect(r.value).toBe("ran");
    expect(r.locked).toBe(false);
    expect(r.reason).toContain("cannot create the lock file");
  });

  test("a write failure while creating the lock (a full disk): fn runs without it and no temp file is left", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    // RLIMIT_FSIZE 0 makes every write fail (EFBIG) after the temp file was created, as a full disk does.
    const script = `
      import { withFileLock } from ${JSON.stringify(join(import.meta.dir, "../../../src/core/tokens/refresh-lock.ts"))};
      const r = await withFileLock(${JSON.stringify(path)}, async () => "ran");
      console.log(JSON.stringify(r));`;
    const proc = Bun.spawn(["bash", "-c", `trap '' XFSZ; ulimit -f 0; exec "$0" -e "$1"`, process.execPath, script], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
    });
    const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    const result = JSON.parse(out.trim()) as { value: string; locked: boolean; reason: string };
    expect(result).toMatchObject({ value: "ran", locked: false });
    expect(result.reason).toMatch(/cannot create the lock file \(E/);
    expect(await readdir(dir)).toEqual([]);
  }, 30_000);
});
