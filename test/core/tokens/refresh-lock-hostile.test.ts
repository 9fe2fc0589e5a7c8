// Hostile things at the refresh lock's path (issue 14 §3): a symlink planted there is never written
// through, and whatever it points to (a user's file, a FIFO, an endless device) is not read without
// bound or waited on: the lock is taken at once, the planted link is removed, its target untouched.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { lstat, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withFileLock } from "../../../src/core/tokens/refresh-lock.ts";
import { plantFifo, releaseFifo, within } from "../../helpers/fifo.ts";
import { tempDir } from "../../helpers/tmp.ts";

const fifos: string[] = [];
afterEach(async () => {
  for (const f of fifos.splice(0)) await releaseFifo(f);
});

const fast = { pollMs: 5, waitMs: 3000 };

describe("refresh lock: a symlink planted at its path", () => {
  test("to a user's file: the file is unchanged, the lock is taken, the link removed", async () => {
    const dir = await tempDir();
    const precious = join(dir, "notes.txt");
    await writeFile(precious, "mine\n", { mode: 0o644 });
    const path = join(dir, "auth.json.lock");
    await symlink(precious, path);
    const r = await withFileLock(path, async () => (await lstat(path)).isFile(), fast);
    expect(r).toEqual({ value: true, locked: true });
    expect(await readFile(precious, "utf8")).toBe("mine\n");
    expect((await lstat(precious)).mode & 0o777).toBe(0o644);
    expect(existsSync(path)).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(["notes.txt"]);
  });

  test("to a FIFO: taken at once (never waits on the FIFO), the FIFO left as it is", async () => {
    const dir = await tempDir();
    const pipe = join(dir, "pipe");
    plantFifo(pipe);
    fifos.push(pipe);
    const path = join(dir, "auth.json.lock");
    await symlink(pipe, path);
    const r = await within(withFileLock(path, async () => "ran", fast), 2000);
    expect(r).toEqual({ value: "ran", locked: true });
    expect((await lstat(pipe)).isFIFO()).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  test("to /dev/zero: not read without end; taken at once", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    await symlink("/dev/zero", path);
    const r = await within(withFileLock(path, async () => "ran", fast), 2000);
    expect(r).toEqual({ value: "ran", locked: true });
    expect(existsSync(path)).toBe(false);
  });

  test("a FIFO itself at the lock path: taken at once, removed", async () => {
    const dir = await tempDir();
    const path = join(dir, "auth.json.lock");
    plantFifo(path);
    fifos.push(path);
    const r = await within(withFileLock(path, async () => "ran", fast), 2000);
    expect(r).toEqual({ value: "ran", locked: true });
    expect(existsSync(path)).toBe(false);
  });
});
