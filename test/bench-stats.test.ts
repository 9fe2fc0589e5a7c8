// The statistics behind bench/RESULTS.md: paired summaries and the interval of a median.
import { describe, expect, test } from "bun:test";
import { medianInterval, summarisePairs } from "../bench/stats.ts";

describe("bench statistics", () => {
  test("paired figures are per pair: differences and ratios of the same index", () => {
    const p = summarisePairs([10, 20, 30], [11, 22, 33]);
    expect(p.added.median).toBe(2);
    expect(p.ratio.median).toBeCloseTo(1.1, 10);
    expect(p.pairs).toBe(3);
  });

  test("the median's interval holds the median, narrows with more data, and is the same on every run", () => {
    const spreadOut = (n: number) => Array.from({ length: n }, (_, i) => 0.8 + (0.4 * ((i * 7919) % n)) / n); // 0.8 … 1.2, shuffled
    const small = medianInterval(spreadOut(40));
    const large = medianInterval(spreadOut(800));
    for (const i of [small, large]) {
      expect(i.low).toBeLessThanOrEqual(1.0);
      expect(i.high).toBeGreaterThanOrEqual(0.99);
    }
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(medianInterval(spreadOut(40))).toEqual(small);
    expect(Number.isNaN(medianInterval([]).low)).toBe(true);
  });
});
