// protocol "anthropic": the provider block (npm, base URL, variants, no interleaved) and chat.params.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { PROVIDER_ID } from "../../../src/core/config/constants.ts";
import {
  ANTHROPIC_MODEL_OPTIONS,
  ANTHROPIC_NPM,
  ANTHROPIC_VARIANT_OPTIONS,
  ANTHROPIC_WIRE_TABLE,
  anthropicVariantsFor,
  anthropicWireTableMarkdown,
} from "../../../src/core/models/anthropic-variants.ts";
import { applyChatParams, enforceAnthropicContract, usesAnthropicRoute } from "../../../src/core/models/chat-params.ts";
import { parseModels } from "../../../src/core/models/discovery.ts";
import { buildProviderBlock, mergeProviderBlock } from "../../../src/core/models/provider-config.ts";
import { VARIANT_ORDER } from "../../../src/core/models/variants.ts";
import { setLogSink } from "../../../src/core/support/log.ts";

let restoreLog: () => void = () => {};
beforeEach(() => {
  restoreLog = setLogSink(() => {});
});
afterEach(() => restoreLog());

const MODELS = parseModels({
  data: [
    {
      id: "kimi-for-coding",
      context_length: 262144,
      supports_reasoning: true,
      supports_thinking_type: "both",
      think_efforts: { support: true, valid_efforts: ["low", "high", "max"], default_effort: "high" },
    },
    { id: "kimi-for-coding-highspeed", context_length: 262144, supports_reasoning: true, supports_thinking_type: "only", think_efforts: { support: false, valid_efforts: [] } },
    { id: "plain", context_length: 8192, supports_reasoning: false, supports_thinking_type: "no" },
  ],
});

describe("provider block for protocol anthropic", () => {
  for (const base of ["https://api.kimi.com/coding/v1", "https://api.kimi.ai/coding/v1"]) {
    test(`npm @ai-sdk/anthropic, base ${base} (the SDK appends /messages)`, () => {
      const block = buildProviderBlock({ models: MODELS, apiBase: `${base}/`, identity: "opencode", protocol: "anthropic" });
      expect(block.npm).toBe(ANTHROPIC_NPM);
      expect(block.options).toEqual({ baseURL: base });
      expect("apiKey" in block.options).toBe(false);
    });
  }

  test("the OpenAI route is unchanged: openai-compatible with interleaved reasoning_content", () => {
    const block = buildProviderBlock({ models: MODELS, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode" });
    expect(block.npm).toBe("@ai-sdk/openai-compatible");
    expect(block.models["kimi-for-coding"]!.interleaved).toEqual({ field: "reasoning_content" });
    expect(block.models["kimi-for-coding"]!.options).toBeUndefined();
  });

  test("reasoning models: no interleaved (it would strip the signed thinking blocks), our variants, effort:null model option", () => {
    const block = buildProviderBlock({ models: MODELS, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode", protocol: "anthropic" });
    const k = block.models["kimi-for-coding"]!;
    expect(k.interleaved).toBeUndefined();
    expect(k.options).toEqual({ effort: null });
    expect(k.variants).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { thinking: { type: "adaptive" }, effort: "low" },
      high: { thinking: { type: "adaptive" }, effort: "high" },
      max: { thinking: { type: "adaptive" }, effort: "max" },
      auto: { thinking: { type: "adaptive" } },
      medium: { disabled: true },
      xhigh: { disabled: true },
    });
    const fast = block.models["kimi-for-coding-highspeed"]!;
    expect(Object.entries(fast.variants!).filter(([, v]) => v.disabled !== true).map(([n]) => n)).toEqual(["auto"]);
    const plain = block.models.plain!;
    expect(plain.variants).toBeUndefined();
    expect(plain.options).toBeUndefined();
  });

  test("a model /models puts on the Anthropic route takes it under protocol openai too (model-level provider.npm)", () => {
    const models = parseModels({
      data: [
        { id: "kimi-for-coding", context_length: 262144, supports_reasoning: true },
        { id: "k4", context_length: 262144, supports_reasoning: true, supports_thinking_type: "both", protocol: "anthropic" },
        { id: "k5", context_length: 262144, protocol: "response" },
      ],
    });
    expect(models.map((m) => m.protocol)).toEqual([undefined, "anthropic", undefined]);
    const block = buildProviderBlock({ models, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode" });
    expect(block.npm).toBe("@ai-sdk/openai-compatible");
    const k4 = block.models.k4!;
    expect(k4.provider).toEqual({ npm: ANTHROPIC_NPM });
    expect(k4.interleaved).toBeUndefined();
    expect(k4.variants!.high).toEqual({ thinking: { type: "adaptive" }, effort: "high" });
    expect(block.models["kimi-for-coding"]!.provider).toBeUndefined();
    expect(block.models["kimi-for-coding"]!.interleaved).toEqual({ field: "reasoning_content" });
    // Under protocol anthropic the provider's npm already says so: no model-level override.
    expect(buildProviderBlock({ models, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode", protocol: "anthropic" }).models.k4!.provider).toBeUndefined();
  });

  test("the user's config still wins (a user effort model option replaces our null)", () => {
    const ours = buildProviderBlock({ models: MODELS, apiBase: "https://api.kimi.com/coding/v1", identity: "opencode", protocol: "anthropic" });
    const merged = mergeProviderBlock(ours, { models: { "kimi-for-coding": { options: { effort: "low" }, variants: { high: { effort: "max" } } } } });
    expect(merged.models["kimi-for-coding"]!.options).toEqual({ effort: "low" });
    expect(merged.models["kimi-for-coding"]!.variants!.high).toEqual({ thinking: { type: "adaptive" }, effort: "max" });
    expect(ANTHROPIC_MODEL_OPTIONS).toEqual({ effort: null }); // not mutated through the block
  });

  test("tables cover every variant; the wire table is what the provider options become", () => {
    expect(Object.keys(ANTHROPIC_VARIANT_OPTIONS)).toEqual([...VARIANT_ORDER]);
    expect(Object.keys(ANTHROPIC_WIRE_TABLE)).toEqual([...VARIANT_ORDER]);
    for (const name of VARIANT_ORDER) {
      const o = ANTHROPIC_VARIANT_OPTIONS[name] as { thinking: { type: string }; effort?: string };
      const w = ANTHROPIC_WIRE_TABLE[name] as { thinking: { type: string }; output_config?: { effort: string } };
      expect(w.thinking.type).toBe(o.thinking.type);
      expect(w.output_config?.effort).toBe(o.effort);
    }
    expect(anthropicWireTableMarkdown()).toContain('| `off` | `{"thinking":{"type":"disabled"}}` |');
    expect(anthropicVariantsFor({ thinkingType: "no", efforts: [] })).toEqual({});
  });

  test("the README's route table shows exactly these body fields", async () => {
    const all = await Bun.file(new URL("../../../README.md", import.meta.url)).text();
    const readme = all.slice(all.indexOf("## Two routes"), all.indexOf("## Options and environment"));
    for (const [name, fields] of Object.entries(ANTHROPIC_WIRE_TABLE)) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${name}\` | `) && l.split(" | ").length === 3);
      expect([name, row?.split(" | ")[2]]).toEqual([name, `\`${JSON.stringify(fields)}\` |`]);
    }
  });
});

/** The runtime shape of chat.params input in opencode 1.18.33 for a model on @ai-sdk/anthropic. */
function input(over: { variant?: string; agent?: string; npm?: string; variants?: Record<string, Record<string, unknown>> } = {}) {
  const variants = over.variants ?? anthropicVariantsFor({ thinkingType: "both", efforts: ["low", "high", "max"] });
  return {
    sessionID: "ses_A",
    agent: over.agent ?? "build",
    model: { id: "kimi-for-coding", providerID: PROVIDER_ID, api: { id: "kimi-for-coding", npm: over.npm ?? ANTHROPIC_NPM, url: "" }, variants },
    provider: { id: PROVIDER_ID },
    message: { model: { providerID: PROVIDER_ID, modelID: "kimi-for-coding", variant: over.variant } },
  };
}
/** opencode's merge for this model: its default options, our model option, then the selected variant. */
function merged(variant?: string): Record<string, unknown> {
  const base = { toolStreaming: false, thinking: { type: "adaptive", display: "summarized" }, effort: "high", promptCacheKey: "ses_A" };
  const v = variant ? (ANTHROPIC_VARIANT_OPTIONS[variant as "off"] as Record<string, any>) : {};
  const thinking = { ...base.thinking, ...(v.thinking ?? {}) };
  return { ...base, ...ANTHROPIC_MODEL_OPTIONS, ...v, thinking };
}

describe("chat.params on the anthropic route", () => {
  test("route detection: the model's npm decides, the configured protocol when there is none", () => {
    expect(usesAnthropicRoute({ api: { npm: ANTHROPIC_NPM } }, "openai")).toBe(true);
    expect(usesAnthropicRoute({ api: { npm: "@ai-sdk/openai-compatible" } }, "anthropic")).toBe(false);
    expect(usesAnthropicRoute({}, "anthropic")).toBe(true);
    expect(usesAnthropicRoute({}, undefined)).toBe(false);
  });

  test("each variant's options end as the wire table says; session id in metadata.userId, no prompt_cache_key", () => {
    const expected: Record<string, Record<string, unknown>> = {
      off: { thinking: { type: "disabled", display: "summarized" } },
      low: { thinking: { type: "adaptive", display: "summarized" }, effort: "low" },
      high: { thinking: { type: "adaptive", display: "summarized" }, effort: "high" },
      max: { thinking: { type: "adaptive", display: "summarized" }, effort: "max" },
      auto: { thinking: { type: "adaptive", display: "summarized" } },
    };
    for (const [variant, fields] of Object.entries(expected)) {
      const out = { options: merged(variant) };
      applyChatParams(input({ variant }), out, { identity: "opencode", protocol: "anthropic" });
      expect([variant, out.options]).toEqual([variant, { toolStreaming: false, metadata: { userId: "ses_A" }, ...fields }]);
    }
    const none = { options: merged() };
    applyChatParams(input(), none, { identity: "kimi-cli", protocol: "anthropic" });
    expect(none.options.effort).toBeUndefined();
  });

  test("the title request uses off even when opencode lists its computed efforts first", () => {
    const variants = { low: { thinking: { type: "adaptive" }, effort: "low" }, ...anthropicVariantsFor({ thinkingType: "both", efforts: ["low"] }) };
    const out = { options: { ...(variants.low as object), ...ANTHROPIC_MODEL_OPTIONS, effort: "low" } as Record<string, unknown> };
    applyChatParams(input({ agent: "title", variants }), out, { identity: "opencode", protocol: "anthropic" });
    expect(out.options).toEqual({ thinking: { type: "disabled" }, metadata: { userId: "ses_A" } });
  });

  test("an OpenAI-spelled effort becomes effort; an explicit effort wins; thinking off drops any effort", () => {
    const a: Record<string, unknown> = { reasoningEffort: "low", effort: null };
    enforceAnthropicContract(a, "s");
    expect(a).toEqual({ effort: "low", metadata: { userId: "s" } });
    const b: Record<string, unknown> = { reasoning_effort: "low", effort: "max", metadata: { other: 1 } };
    enforceAnthropicContract(b, "s");
    expect(b).toEqual({ effort: "max", metadata: { other: 1, userId: "s" } });
    const c: Record<string, unknown> = { thinking: { type: "disabled" }, effort: "high" };
    enforceAnthropicContract(c, undefined);
    expect(c).toEqual({ thinking: { type: "disabled" } });
  });

  test("a model on the OpenAI route keeps the OpenAI contract even with protocol anthropic configured", () => {
    const out = { options: { reasoningEffort: "high" } as Record<string, unknown> };
    applyChatParams(input({ npm: "@ai-sdk/openai-compatible", variant: "high" }), out, { identity: "opencode", protocol: "anthropic" });
    expect(out.options).toEqual({ reasoningEffort: "high", prompt_cache_key: "ses_A" });
  });
});
