// /models answers and the model cache against hostile or absurd input (issue 8 F12): bounded counts
// and reads, model ids that are Object.prototype names treated like any other id.
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { parseModels } from "../../../src/core/models/discovery.ts";
import { modelCacheFile, readModelCache, writeModelCache } from "../../../src/core/models/model-cache.ts";
import { buildProviderBlock } from "../../../src/core/models/provider-config.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import { tempDir } from "../../helpers/tmp.ts";

const quiet = <T>(fn: () => T): T => {
  const restore = setLogSink(() => {});
  try {
    return fn();
  } finally {
    restore();
  }
};
const item = (id: string) => ({ id, display_name: id, context_length: 262144, supports_reasoning: true });

describe("counts", () => {
  test("20,000 models: the first 200 are kept, in server order", () => {
    const models = quiet(() => parseModels({ data: Array.from({ length: 20_000 }, (_, i) => item(`m-${i}`)) }));
    expect(models.length).toBe(200);
    expect(models[0]!.id).toBe("m-0");
    expect(models[199]!.id).toBe("m-199");
  });

  test("an id longer than 256 characters is skipped", () => {
    const models = parseModels({ data: [item("x".repeat(10_000)), item("k2")] });
    expect(models.map((m) => m.id)).toEqual(["k2"]);
  });
});

describe("Object.prototype names as model ids", () => {
  const ids = ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__", "kimi-for-coding"];

  test("every id but __proto__ reaches the provider block as an own key, with its own entry", () => {
    const models = parseModels({ data: ids.map(item) });
    expect(models.map((m) => m.id)).toEqual(["constructor", "toString", "hasOwnProperty", "valueOf", "kimi-for-coding"]);
    const block = buildProviderBlock({ models, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode" });
    expect(Object.keys(block.models)).toEqual(["constructor", "toString", "hasOwnProperty", "valueOf", "kimi-for-coding"]);
    for (const id of Object.keys(block.models)) expect(block.models[id]!.id).toBe(id);
    expect(Object.getPrototypeOf(block.models)).toBe(Object.prototype);
  });
});

describe("the model cache read at every start is bounded", () => {
  test("a cache file over 4 MiB is ignored, not parsed", async () => {
    const dir = await tempDir("okc-cache-");
    const base = "https://api.kimi.com/coding/v1";
    const big = Array.from({ length: 20_000 }, (_, i) => ({
      id: `m-${i}`,
      displayName: "d".repeat(300),
      contextLength: 262144,
      outputLimit: 32768,
      reasoning: false,
      thinkingType: "no",
      efforts: [],
      imageIn: false,
      videoIn: false,
      toolUse: true,
    }));
    await writeFile(modelCacheFile(dir, base), JSON.stringify({ version: 1, apiBase: base, fetchedAt: Date.now(), models: big }));
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      expect(await readModelCache(dir, base)).toBeUndefined();
    } finally {
      restore();
    }
    expect(lines.some((l) => l.includes("larger than"))).toBe(true);
  });

  test("a normal cache still reads back", async () => {
    const dir = await tempDir("okc-cache-");
    const base = "https://api.kimi.com/coding/v1";
    const models = parseModels({ data: [item("k2"), item("constructor")] });
    await writeModelCache(dir, base, models);
    expect((await readModelCache(dir, base))?.models.map((m) => m.id)).toEqual(["k2", "constructor"]);
  });
});
