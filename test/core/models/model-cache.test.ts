import { afterEach, describe, expect, test } from "bun:test";
import { readdir, readFile, stat, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../src/core/support/atomic-file.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import { parseModels, type DiscoveredModel } from "../../../src/core/models/discovery.ts";
import { isStale, MODEL_CACHE_MAX_AGE_MS, modelCacheFile, readModelCache, writeModelCache } from "../../../src/core/models/model-cache.ts";
import { removeTempDir, tempDir as makeTempDir } from "../../helpers/tmp.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await makeTempDir("kimi-cache-test-");
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTempDir(d);
});

const CN = "https://api.kimi.com/coding/v1";
const GLOBAL = "https://api.kimi.ai/coding/v1";
const MODELS: DiscoveredModel[] = parseModels({
  data: [
    { id: "kimi-for-coding", display_name: "K2.6", context_length: 262144, supports_reasoning: true, supports_image_in: true },
    { id: "k3", context_length: 1048576, supports_thinking_type: "both", think_efforts: { support: true, valid_efforts: ["low", "max"] } },
  ],
});

describe("model cache", () => {
  test("write then read gives the same models back, with no network (fetch is poisoned)", async () => {
    const dir = join(await tempDir(), "nested", "opencode-kimi-code");
    const realFetch = globalThis.fetch;
    globalThis.fetch = (() => {
      throw new Error("network used");
    }) as unknown as typeof fetch;
    try {
      await writeModelCache(dir, CN, MODELS, 1_700_000_000_000);
      const entry = await readModelCache(dir, CN);
      expect(entry).toEqual({ models: MODELS, fetchedAt: 1_700_000_000_000 });
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  test("the file is mode 0600, its directory 0700, and no temp file is left behind", async () => {
    const root = await tempDir();
    const dir = join(root, "cache");
    await writeModelCache(dir, CN, MODELS);
    await writeModelCache(dir, CN, MODELS); // overwrite path too
    const files = await readdir(dir);
    expect(files).toEqual([modelCacheFile(dir, CN).slice(dir.length + 1)]);
    expect((await stat(modelCacheFile(dir, CN))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test("one file per API base; a trailing slash is the same base", async () => {
    const dir = await tempDir();
    await writeModelCache(dir, CN, MODELS, 1);
    await writeModelCache(dir, GLOBAL, MODELS.slice(0, 1), 2);
    expect(modelCacheFile(dir, CN)).not.toBe(modelCacheFile(dir, GLOBAL));
    expect(modelCacheFile(dir, `${CN}/`)).toBe(modelCacheFile(dir, CN));
    expect(modelCacheFile(dir, CN)).toMatch(/models-api\.kimi\.com-[0-9a-f]{16}\.json$/);
    expect((await readdir(dir)).length).toBe(2);
    expect((await readModelCache(dir, CN))?.models.map((m) => m.id)).toEqual(["kimi-for-coding", "k3"]);
    expect((await readModelCache(dir, GLOBAL))?.models.map((m) => m.id)).toEqual(["kimi-for-coding"]);
    expect((await readModelCache(dir, `${GLOBAL}/`))?.fetchedAt).toBe(2);
  });

  test("missing, corrupt or foreign files read as undefined", async () => {
    const dir = await tempDir();
    expect(await readModelCache(dir, CN)).toBeUndefined();
    expect(await readModelCache(join(dir, "does-not-exist"), CN)).toBeUndefined();
    const file = modelCacheFile(dir, CN);
    const bad = [
      "{not json",
      "",
      "[]",
      JSON.stringify({ version: 2, apiBase: CN, fetchedAt: 1, models: MODELS }),
      JSON.stringify({ version: 1, apiBase: GLOBAL, fetchedAt: 1, models: MODELS }),
      JSON.stringify({ version: 1, apiBase: CN, fetchedAt: "1", models: MODELS }),
      JSON.stringify({ version: 1, apiBase: CN, fetchedAt: 1, models: [] }),
      JSON.stringify({ version: 1, apiBase: CN, fetchedAt: 1, models: [{ ...MODELS[0], contextLength: -1 }] }),
      JSON.stringify({ version: 1, apiBase: CN, fetchedAt: 1, models: [{ ...MODELS[0], efforts: ["xhigh"] }] }),
    ];
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      for (const text of bad) {
        await writeFile(file, text);
        expect(await readModelCache(dir, CN)).toBeUndefined();
      }
    } finally {
      restore();
    }
    expect(lines.length).toBe(bad.length);
    expect(lines.every((l) => l.includes("warn: model cache") && l.includes("corrupt"))).toBe(true);
    await writeFile(file, JSON.stringify({ version: 1, apiBase: CN, fetchedAt: 5, models: MODELS }));
    expect((await readModelCache(dir, CN))?.fetchedAt).toBe(5); // the same path is accepted when valid
  });

  test("stale after 6 h (and when dated in the future), fresh before", () => {
    const now = 1_800_000_000_000;
    expect(MODEL_CACHE_MAX_AGE_MS).toBe(6 * 3600_000);
    expect(isStale({ fetchedAt: now }, now)).toBe(false);
    expect(isStale({ fetchedAt: now - MODEL_CACHE_MAX_AGE_MS }, now)).toBe(false);
    expect(isStale({ fetchedAt: now - MODEL_CACHE_MAX_AGE_MS - 1 }, now)).toBe(true);
    expect(isStale({ fetchedAt: now + 60_000 }, now)).toBe(false);
    expect(isStale({ fetchedAt: now + 3600_000 }, now)).toBe(true);
    expect(isStale({ fetchedAt: now - 1000 }, now, 500)).toBe(true);
  });
});

describe("writeFileAtomic", () => {
  test("replaces the content whole and sets the mode even over a wider existing file", async () => {
    const dir = await tempDir();
    const file = join(dir, "f.json");
    await writeFile(file, "old");
    await chmod(file, 0o644);
    await writeFileAtomic(file, "new content");
    expect(await readFile(file, "utf8")).toBe("new content");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(join(dir, "g"), "x", 0o640);
    expect((await stat(join(dir, "g"))).mode & 0o777).toBe(0o640);
  });

  test("on failure the target is untouched and the temp file is removed", async () => {
    const dir = await tempDir();
    const target = join(dir, "target");
    // A directory at the target path makes the final rename fail (EISDIR/ENOTEMPTY/EEXIST).
    await Bun.write(join(target, "keep"), "inside");
    let failed = false;
    try {
      await writeFileAtomic(target, "data");
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(await readdir(dir)).toEqual(["target"]);
    expect(await readFile(join(target, "keep"), "utf8")).toBe("inside");
  });

  test("concurrent writers never leave a torn file", async () => {
    const dir = await tempDir();
    const file = join(dir, "c.json");
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(50_000 + i) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(file, b)));
    expect(bodies).toContain(await readFile(file, "utf8"));
    expect(await readdir(dir)).toEqual(["c.json"]);
  });
});
