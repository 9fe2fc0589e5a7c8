// /usages windows keyed by Object.prototype names (issue 8 F12): labelled by their key, never by a
// function found on the prototype chain.
import { expect, test } from "bun:test";
import { parseUsage } from "../../../src/core/usage/usage.ts";

test("a ratio window keyed constructor / toString is labelled with its key", () => {
  const windows = parseUsage({ usages: { constructor: { usedRatio: 0.5 }, toString: { usedRatio: 1 }, limit5h: { usedRatio: 0.25 } } });
  expect(windows.map((w) => w.label).sort()).toEqual(["5h limit", "constructor", "toString"]);
  for (const w of windows) {
    expect(typeof w.label).toBe("string");
    expect(w.label).not.toContain("native code");
  }
});
