import { describe, expect, test } from "bun:test";
import type { DiscoveredModel } from "../src/discovery.ts";
import {
  EFFORTS,
  FALLBACK_EFFORTS,
  normaliseEffort,
  normaliseEfforts,
  VARIANT_ORDER,
  variantNamesFor,
  variantsFor,
  WIRE_TABLE,
  wireFieldsFor,
  wireTableMarkdown,
} from "../src/variants.ts";

type Meta = Pick<DiscoveredModel, "thinkingType" | "efforts">;

describe("WIRE_TABLE", () => {
  test("opencode profile: Kimi's documented third-party fields", () => {
    expect(WIRE_TABLE.opencode).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { reasoning_effort: "low" },
      medium: { reasoning_effort: "medium" },
      high: { reasoning_effort: "high" },
      max: { reasoning_effort: "max" },
      auto: {},
    });
  });

  test("kimi-cli profile: exactly kimi-cli 1.49.0, thinking.type only, never reasoning_effort", () => {
    expect(WIRE_TABLE["kimi-cli"]).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { thinking: { type: "enabled" } },
      medium: { thinking: { type: "enabled" } },
      high: { thinking: { type: "enabled" } },
      max: { thinking: { type: "enabled" } },
      auto: {},
    });
    expect(JSON.stringify(WIRE_TABLE["kimi-cli"])).not.toContain("effort");
  });

  test("every key is a raw snake_case wire key (no reasoningEffort)", () => {
    expect(JSON.stringify(WIRE_TABLE)).not.toMatch(/[a-z][A-Z]/);
  });

  test("the table is frozen data; wireFieldsFor hands out independent copies", () => {
    expect(Object.isFrozen(WIRE_TABLE.opencode.off)).toBe(true);
    const copy = wireFieldsFor("opencode", "off") as { thinking: { type: string } };
    copy.thinking.type = "enabled";
    expect(WIRE_TABLE.opencode.off).toEqual({ thinking: { type: "disabled" } });
  });

  test("wireTableMarkdown renders every variant for both profiles", () => {
    const md = wireTableMarkdown();
    expect(md.split("\n")).toHaveLength(2 + VARIANT_ORDER.length);
    expect(md).toContain('| `high` | `{"reasoning_effort":"high"}` | `{"thinking":{"type":"enabled"}}` |');
    expect(md).toContain("| `auto` | *(nothing)* | *(nothing)* |");
  });
});

describe("effort normalisation", () => {
  test("xhigh → max, case and spaces ignored, unknown dropped", () => {
    expect(normaliseEffort("xhigh")).toBe("max");
    expect(normaliseEffort(" HIGH ")).toBe("high");
    expect(normaliseEffort("minimal")).toBeUndefined();
    expect(normaliseEffort(3)).toBeUndefined();
  });
  test("lists come out deduplicated in canonical order", () => {
    expect(normaliseEfforts(["max", "xhigh", "low", "turbo", "high", "low", null])).toEqual(["low", "high", "max"]);
    expect(EFFORTS).toEqual(["low", "medium", "high", "max"]);
  });
});

describe("variantsFor", () => {
  const cases: [string, Meta, string[]][] = [
    ["both, no think_efforts → off + kimi-cli ≤1.48 efforts + auto", { thinkingType: "both" }, ["off", "low", "medium", "high", "auto"]],
    ["both with listed efforts", { thinkingType: "both", efforts: ["low", "high", "max"] }, ["off", "low", "high", "max", "auto"]],
    ["only → no off, lowest effort first", { thinkingType: "only", efforts: ["high", "max"] }, ["high", "max", "auto"]],
    ["only, no think_efforts", { thinkingType: "only" }, ["low", "medium", "high", "auto"]],
    ["efforts unsupported", { thinkingType: "both", efforts: [] }, ["off", "auto"]],
    ["no thinking at all", { thinkingType: "no" }, []],
    ["no thinking even with efforts listed", { thinkingType: "no", efforts: ["high"] }, []],
  ];
  for (const [name, meta, expected] of cases) {
    test(name, () => {
      expect(variantNamesFor(meta) as string[]).toEqual(expected);
      expect(Object.keys(variantsFor(meta, "opencode"))).toEqual(expected);
      expect(Object.keys(variantsFor(meta, "kimi-cli"))).toEqual(expected);
    });
  }

  test("title request (first variant) is off when available, else the lowest effort", () => {
    expect(Object.values(variantsFor({ thinkingType: "both", efforts: ["max", "low"] as never }, "opencode"))[0]).toEqual({
      thinking: { type: "disabled" },
    });
    expect(Object.values(variantsFor({ thinkingType: "only", efforts: ["medium", "max"] }, "opencode"))[0]).toEqual({
      reasoning_effort: "medium",
    });
    expect(Object.values(variantsFor({ thinkingType: "only", efforts: [] }, "opencode"))[0]).toEqual({});
  });

  test("each variant carries the profile's wire fields", () => {
    const meta: Meta = { thinkingType: "both", efforts: ["low", "medium", "high", "max"] };
    for (const identity of ["opencode", "kimi-cli"] as const) {
      const v = variantsFor(meta, identity);
      for (const name of VARIANT_ORDER) expect(v[name]).toEqual(WIRE_TABLE[identity][name] as Record<string, unknown>);
    }
  });

  test("FALLBACK_EFFORTS are low/medium/high", () => {
    expect([...FALLBACK_EFFORTS]).toEqual(["low", "medium", "high"]);
  });
});
