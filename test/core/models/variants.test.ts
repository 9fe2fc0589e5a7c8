import { describe, expect, test } from "bun:test";
import type { DiscoveredModel } from "../../../src/core/models/discovery.ts";
import { EFFORTS, normaliseEffort, normaliseEfforts } from "../../../src/core/models/effort.ts";
import {
  FALLBACK_EFFORTS,
  PROVIDER_OPTION_KEYS,
  providerOptionKey,
  toProviderOptions,
  VARIANT_ORDER,
  variantNamesFor,
  variantsFor,
  WIRE_TABLE,
  wireFieldsFor,
  wireTableMarkdown,
} from "../../../src/core/models/variants.ts";

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
      reasoningEffort: "medium",
    });
    expect(Object.values(variantsFor({ thinkingType: "only", efforts: [] }, "opencode"))[0]).toEqual({});
  });

  test("opencode profile: each variant carries the provider options that produce its wire fields", () => {
    const meta: Meta = { thinkingType: "both", efforts: ["low", "medium", "high", "max"] };
    expect(variantsFor(meta, "opencode")).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { reasoningEffort: "low" },
      medium: { reasoningEffort: "medium" },
      high: { reasoningEffort: "high" },
      max: { reasoningEffort: "max" },
      auto: {},
    });
  });

  test("kimi-cli profile: thinking.type passes verbatim, so the options equal the wire fields", () => {
    const meta: Meta = { thinkingType: "both", efforts: ["low", "medium", "high", "max"] };
    const v = variantsFor(meta, "kimi-cli");
    for (const name of VARIANT_ORDER) expect(v[name]).toEqual(WIRE_TABLE["kimi-cli"][name] as Record<string, unknown>);
  });

  test("variantsFor never emits the raw reasoning_effort key (the SDK drops it), while WIRE_TABLE documents it", () => {
    expect(JSON.stringify(WIRE_TABLE.opencode)).toContain('"reasoning_effort"');
    expect(JSON.stringify(WIRE_TABLE.opencode)).not.toContain("reasoningEffort");
    for (const meta of [{ thinkingType: "both" }, { thinkingType: "only", efforts: ["low", "medium", "high", "max"] }] as Meta[]) {
      for (const identity of ["opencode", "kimi-cli"] as const) {
        const v = variantsFor(meta, identity);
        for (const options of Object.values(v)) expect(Object.keys(options)).not.toContain("reasoning_effort");
      }
    }
    expect(JSON.stringify(variantsFor({ thinkingType: "only" }, "opencode"))).toContain('"reasoningEffort"');
  });

  test("variants are fresh objects: mutating one leaves WIRE_TABLE and later calls alone", () => {
    const meta: Meta = { thinkingType: "both", efforts: ["high"] };
    const a = variantsFor(meta, "opencode") as Record<string, Record<string, { type?: string } | string>>;
    (a.off!.thinking as { type: string }).type = "enabled";
    a.high!.reasoningEffort = "low";
    expect(variantsFor(meta, "opencode")).toEqual({ off: { thinking: { type: "disabled" } }, high: { reasoningEffort: "high" }, auto: {} });
    expect(WIRE_TABLE.opencode.off).toEqual({ thinking: { type: "disabled" } });
  });

  test("FALLBACK_EFFORTS are low/medium/high", () => {
    expect([...FALLBACK_EFFORTS]).toEqual(["low", "medium", "high"]);
  });
});

describe("provider-option keys (opencode 1.18.33 measurement, test/e2e/NOTES.md §3)", () => {
  test("only reasoning_effort is remapped, to reasoningEffort", () => {
    expect(PROVIDER_OPTION_KEYS).toEqual({ reasoning_effort: "reasoningEffort" });
    expect(Object.isFrozen(PROVIDER_OPTION_KEYS)).toBe(true);
    expect(providerOptionKey("reasoning_effort")).toBe("reasoningEffort");
    for (const k of ["thinking", "prompt_cache_key", "max_tokens", "reasoningEffort", "toString", "__proto__"]) expect(providerOptionKey(k)).toBe(k);
  });

  test("toProviderOptions renames top-level wire fields, keeps the rest verbatim, leaves nested keys alone", () => {
    expect(toProviderOptions({ reasoning_effort: "high" })).toEqual({ reasoningEffort: "high" });
    expect(toProviderOptions({ thinking: { type: "disabled" } })).toEqual({ thinking: { type: "disabled" } });
    expect(toProviderOptions({ reasoning_effort: "max", thinking: { keep: "all" }, prompt_cache_key: "s", disabled: true })).toEqual({
      reasoningEffort: "max",
      thinking: { keep: "all" },
      prompt_cache_key: "s",
      disabled: true,
    });
    expect(toProviderOptions({ thinking: { reasoning_effort: "x" } })).toEqual({ thinking: { reasoning_effort: "x" } });
    expect(toProviderOptions({})).toEqual({});
  });

  test("toProviderOptions: with both spellings the provider-option key wins, whatever the order", () => {
    expect(toProviderOptions({ reasoning_effort: "low", reasoningEffort: "high" })).toEqual({ reasoningEffort: "high" });
    expect(toProviderOptions({ reasoningEffort: "high", reasoning_effort: "low" })).toEqual({ reasoningEffort: "high" });
  });

  test("toProviderOptions is pure: the input (even frozen table data) is not touched", () => {
    const input = { reasoning_effort: "low", thinking: { type: "enabled" } };
    const out = toProviderOptions(input);
    expect(out).not.toBe(input);
    expect(input).toEqual({ reasoning_effort: "low", thinking: { type: "enabled" } });
    expect(toProviderOptions(WIRE_TABLE.opencode.max)).toEqual({ reasoningEffort: "max" });
    expect(WIRE_TABLE.opencode.max).toEqual({ reasoning_effort: "max" });
  });

  test("toProviderOptions keeps a JSON \"__proto__\" key as a plain key (no prototype change)", () => {
    const out = toProviderOptions(JSON.parse('{"__proto__":{"polluted":1},"reasoning_effort":"low"}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__", "reasoningEffort"]);
  });
});
