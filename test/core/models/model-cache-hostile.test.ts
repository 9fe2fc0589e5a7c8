// Hostile things at the model cache path (issue 14 §3): a FIFO, or a symlink to one, must read as
// "no cache" at once (a read of a FIFO waits forever: opencode's config hook would never return), and
// a symlink to a user's file is replaced by the write, never written through.
import { afterEach, describe, expect, test } from "bun:test";
import { lstat, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_MODELS } from "../../../src/core/models/discovery.ts";
import { modelCacheFile, readModelCache, writeModelCache } from "../../../src/core/models/model-cache.ts";
import { plantFifo, releaseFifo, within } from "../../helpers/fifo.ts";
import { tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";
const fifos: string[] = [];
afterEach(async () => {
  for (const f of fifos.splice(0)) await releaseFifo(f);
});

describe("model cache: hostile files at its path", () => {
  test("a FIFO at the cache path reads as no cache, at once", async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const file = modelCacheFile(dir, BASE);
    plantFifo(file);
    fifos.push(file);
    expect(await within(readModelCache(dir, BASE), 2000)).toBeUndefined();
  });

  test("a symlink to a FIFO reads as no cache, at once; the write replaces the link", async () => {
    const dir = await tempDir();
    const pipe = join(dir, "pipe");
    plantFifo(pipe);
    fifos.push(pipe);
    const file = modelCacheFile(join(dir, "cache"), BASE);
    await mkdir(join(dir, "cache"));
    await symlink(pipe, file);
    expect(await within(readModelCache(join(dir, "cache"), BASE), 2000)).toBeUndefined();
    await writeModelCache(join(dir, "cache"), BASE, DEFAULT_MODELS);
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await lstat(pipe)).isFIFO()).toBe(true);
  });

  test("a symlink to a user's file: read as corrupt, the write replaces the link (0600), the file is unchanged", async () => {
    const dir = await tempDir();
    const precious = join(dir, "notes.txt");
    await writeFile(precious, "mine\n", { mode: 0o644 });
    await mkdir(join(dir, "cache"));
    const file = modelCacheFile(join(dir, "cache"), BASE);
    await symlink(precious, file);
    expect(await readModelCache(join(dir, "cache"), BASE)).toBeUndefined();
    await writeModelCache(join(dir, "cache"), BASE, DEFAULT_MODELS);
    expect(await readFile(precious, "utf8")).toBe("mine\n");
    expect((await lstat(precious)).mode & 0o777).toBe(0o644);
    const written = await lstat(file);
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o600);
    expect((await readModelCache(join(dir, "cache"), BASE))?.models.length).toBe(DEFAULT_MODELS.length);
  });
});
