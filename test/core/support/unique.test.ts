import { describe, expect, test } from "bun:test";
import { randomHex, stableHash } from "../../../src/core/support/unique.ts";

describe("unique names", () => {
  test("randomHex gives the asked number of bytes as hex, different each time", () => {
    const seen = new Set(Array.from({ length: 200 }, () => randomHex(6)));
    expect(seen.size).toBe(200);
    for (const h of seen) expect(h).toMatch(/^[0-9a-f]{12}$/);
  });

  test("stableHash is 16 hex digits, the same for the same text, different for near texts", () => {
    const base = "https://api.kimi.com/coding/v1";
    expect(stableHash(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(stableHash(base)).toBe(stableHash(`${base}`));
    const near = [base, `${base}/`, "https://api.kimi.ai/coding/v1", "http://127.0.0.1:8787/coding/v1", "http://127.0.0.1:8788/coding/v1", ""];
    expect(new Set(near.map(stableHash)).size).toBe(near.length);
  });
});
