import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { PROVIDER_ID } from "../../../src/core/config/constants.ts";
import { DEFAULT_MODELS, parseModels } from "../../../src/core/models/discovery.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import {
  applyProviderConfig,
  buildProviderBlock,
  mergeProviderBlock,
  opencodeComputesVariants,
  type ProviderBlock,
} from "../../../src/core/models/provider-config.ts";

const BASE = "https://api.kimi.com/coding/v1";
const MODELS = parseModels({
  data: [
    { id: "kimi-for-coding", display_name: "Kimi K2.6", context_length: 262144, supports_reasoning: true, supports_image_in: true, supports_video_in: true },
    { id: "kimi-for-coding-highspeed", context_length: 262144, supports_reasoning: false, supports_image_in: true },
    {
      id: "k3",
      display_name: "K3",
      context_length: 1048576,
      max_output_tokens: 131072,
      supports_thinking_type: "both",
      think_efforts: { support: true, valid_efforts: ["low", "high", "xhigh"] },
      supports_tool_use: false,
    },
    { id: "k3-256k", context_length: 262144, supports_thinking_type: "only", think_efforts: { support: true, valid_efforts: ["high", "max"] } },
  ],
});

let logs: string[] = [];
let restoreLog: () => void = () => {};
beforeEach(() => {
  logs = [];
  restoreLog = setLogSink((l) => logs.push(l));
});
afterEach(() => restoreLog());

/**
 * What opencode 1.18.33 makes of a config model's variants (provider.ts; bundle `function _y(`):
 * for a reasoning openai-compatible model whose id contains neither "kimi" nor "k2p" it computes
 * low/medium/high → {reasoningEffort}, deep-merges the config variants over them (computed keys keep
 * their place first), drops `disabled: true` entries and strips `disabled`.
 */
function opencodeVariants(modelId: string, entry: { reasoning?: unknown; variants?: Record<string, Record<string, unknown>> }) {
  const computed: Record<string, Record<string, unknown>> = {};
  if (entry.reasoning === true && opencodeComputesVariants(modelId)) {
    for (const e of ["low", "medium", "high"]) computed[e] = { reasoningEffort: e };
  }
  const merged: Record<string, Record<string, unknown>> = { ...computed };
  for (const [k, v] of Object.entries(entry.variants ?? {})) merged[k] = { ...(merged[k] ?? {}), ...v };
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(merged)) {
    if (v.disabled === true) continue;
    const { disabled: _d, ...rest } = v;
    out[k] = rest;
  }
  return out;
}
const titleVariant = (modelId: string, entry: Parameters<typeof opencodeVariants>[1]) => Object.entries(opencodeVariants(modelId, entry))[0];

describe("buildProviderBlock", () => {
  const block = buildProviderBlock({ models: MODELS, apiBase: `${BASE}/`, identity: "opencode" });

  test("provider fields: openai-compatible, name, baseURL without trailing slash, no apiKey", () => {
    expect(block.npm).toBe("@ai-sdk/openai-compatible");
    expect(block.name).toBe("Kimi Code");
    expect(block.options).toEqual({ baseURL: BASE });
    expect(JSON.stringify(block)).not.toContain("apiKey");
  });

  test("every model, each under its own wire id, in server order", () => {
    expect(Object.keys(block.models)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k"]);
    for (const [key, entry] of Object.entries(block.models)) expect(entry.id).toBe(key);
  });

  test("a reasoning model with image+video input", () => {
    const { variants, ...rest } = block.models["kimi-for-coding"]!;
    expect(rest).toEqual({
      id: "kimi-for-coding",
      name: "Kimi K2.6",
      reasoning: true,
      tool_call: true,
      attachment: true,
      modalities: { input: ["text", "image", "video"], output: ["text"] },
      limit: { context: 262144, output: 32768 },
      interleaved: { field: "reasoning_content" },
    });
    expect(Object.keys(variants!)).toEqual(["off", "low", "medium", "high", "auto"]);
  });

  test("a non-reasoning model: no interleaved, no variants, image only", () => {
    const m = block.models["kimi-for-coding-highspeed"]!;
    expect(m).toMatchObject({ reasoning: false, attachment: true, modalities: { input: ["text", "image"], output: ["text"] } });
    expect(m.name).toBe("kimi-for-coding-highspeed");
    expect(m.interleaved).toBeUndefined();
    expect(m.variants).toBeUndefined();
  });

  test("k3: server output limit, no tool calls, text only, effort variants from the server (xhigh → max)", () => {
    const m = block.models["k3"]!;
    expect(m).toMatchObject({ tool_call: false, attachment: false, modalities: { input: ["text"] }, limit: { context: 1048576, output: 131072 } });
    expect(Object.keys(m.variants!)).toEqual(["off", "low", "high", "max", "auto", "medium"]);
    expect(m.variants!.max).toEqual({ reasoningEffort: "max" });
    // opencode computes low/medium/high itself for ids without "kimi"; the unsupported one is disabled
    expect(m.variants!.medium).toEqual({ disabled: true });
    const seen = opencodeVariants("k3", m);
    expect(Object.keys(seen)).toEqual(["low", "high", "off", "max", "auto"]);
    // same provider-option key as opencode's computed ones: the merge simply yields ours, one spelling
    expect(seen.low).toEqual({ reasoningEffort: "low" });
    expect(seen.high).toEqual({ reasoningEffort: "high" });
  });

  test("opencode profile writes provider options: reasoningEffort, never the raw reasoning_effort", () => {
    expect(block.models["kimi-for-coding"]!.variants).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { reasoningEffort: "low" },
      medium: { reasoningEffort: "medium" },
      high: { reasoningEffort: "high" },
      auto: {},
    });
    expect(JSON.stringify(block)).not.toContain("reasoning_effort");
  });

  test("kimi-cli profile writes thinking.type only", () => {
    const cli = buildProviderBlock({ models: MODELS, apiBase: BASE, identity: "kimi-cli" });
    expect(cli.models["kimi-for-coding"]!.variants).toEqual({
      off: { thinking: { type: "disabled" } },
      low: { thinking: { type: "enabled" } },
      medium: { thinking: { type: "enabled" } },
      high: { thinking: { type: "enabled" } },
      auto: {},
    });
    expect(JSON.stringify(cli)).not.toContain("reasoning_effort");
  });

  test("every model always has a complete limit with output ≤ context", () => {
    const tiny = parseModels({ data: [{ id: "tiny", context_length: 4096 }] });
    for (const b of [block, buildProviderBlock({ models: tiny, apiBase: BASE, identity: "opencode" })]) {
      for (const m of Object.values(b.models)) {
        expect(m.limit.context).toBeGreaterThan(0);
        expect(m.limit.output).toBeGreaterThan(0);
        expect(m.limit.output).toBeLessThanOrEqual(m.limit.context);
      }
    }
  });

  test("no models (before login / failed fetch) → the built-in default", () => {
    const d = buildProviderBlock({ models: [], apiBase: BASE, identity: "opencode" });
    expect(Object.keys(d.models)).toEqual([DEFAULT_MODELS[0]!.id]);
    expect(d.models["kimi-for-coding"]!.limit).toEqual({ context: 262144, output: 32768 });
    expect(d.models["kimi-for-coding"]!.variants!.off).toEqual({ thinking: { type: "disabled" } });
  });

  test("title request (first variant as opencode sees it): off when available, else the lowest effort", () => {
    expect(titleVariant("kimi-for-coding", block.models["kimi-for-coding"]!)).toEqual(["off", { thinking: { type: "disabled" } }]);
    expect(titleVariant("k3-256k", block.models["k3-256k"]!)).toEqual(["high", { reasoningEffort: "high" }]);
    // k3: opencode puts its computed keys first; chat-params swaps the title request to `off` (see chat-params tests)
    expect(titleVariant("k3", block.models["k3"]!)?.[0]).toBe("low");
  });
});

describe("mergeProviderBlock: the user's values win", () => {
  const ours = buildProviderBlock({ models: MODELS, apiBase: BASE, identity: "opencode" });

  test("no user block → a copy of ours (not the same object)", () => {
    const merged = mergeProviderBlock(ours, undefined);
    expect(merged).toEqual(ours);
    expect(merged).not.toBe(ours);
    expect(merged.models).not.toBe(ours.models);
  });

  test("name, options (deep), whitelist/blacklist and unknown keys are the user's", () => {
    const merged = mergeProviderBlock(ours, {
      name: "My Kimi",
      options: { timeout: 600000, headers: { "X-Team": "a" } },
      whitelist: ["kimi-for-coding", "k3"],
      blacklist: ["k3-256k"],
      env: ["MY_KEY"],
    });
    expect(merged.name).toBe("My Kimi");
    expect(merged.options).toEqual({ baseURL: BASE, timeout: 600000, headers: { "X-Team": "a" } });
    expect(merged.whitelist).toEqual(["kimi-for-coding", "k3"]);
    expect(merged.blacklist).toEqual(["k3-256k"]);
    expect(merged.env).toEqual(["MY_KEY"]);
    expect(merged.npm).toBe("@ai-sdk/openai-compatible");
  });

  test("the user's baseURL wins; an apiKey is kept but warned about", () => {
    const merged = mergeProviderBlock(ours, { options: { baseURL: "https://proxy.example/v1", apiKey: "k" } });
    expect(merged.options.baseURL).toBe("https://proxy.example/v1");
    expect(merged.options.apiKey).toBe("k");
    expect(logs.some((l) => l.includes("options.apiKey"))).toBe(true);
  });

  test("per-model fields merge deeply; limit stays complete", () => {
    const merged = mergeProviderBlock(ours, {
      models: {
        "kimi-for-coding": { name: "Mine", limit: { context: 100000 }, options: { foo: 1 }, modalities: { input: ["text"] } },
        k3: { limit: { output: 8000 }, tool_call: true },
      },
    });
    const m = merged.models["kimi-for-coding"]!;
    expect(m.name).toBe("Mine");
    expect(m.limit).toEqual({ context: 100000, output: 32768 });
    expect(m.options).toEqual({ foo: 1 });
    expect(m.modalities).toEqual({ input: ["text"], output: ["text"] });
    expect(m.reasoning).toBe(true);
    expect(merged.models["k3"]!.limit).toEqual({ context: 1048576, output: 8000 });
    expect(merged.models["k3"]!.tool_call).toBe(true);
  });

  test("a smaller user context clamps our output, but never the user's own output", () => {
    const a = mergeProviderBlock(ours, { models: { "kimi-for-coding": { limit: { context: 16000 } } } });
    expect(a.models["kimi-for-coding"]!.limit).toEqual({ context: 16000, output: 16000 });
    const b = mergeProviderBlock(ours, { models: { "kimi-for-coding": { limit: { context: 16000, output: 20000 } } } });
    expect(b.models["kimi-for-coding"]!.limit).toEqual({ context: 16000, output: 20000 });
    const c = mergeProviderBlock(ours, { models: { "kimi-for-coding": { limit: { context: -5, output: "x" } } } });
    expect(c.models["kimi-for-coding"]!.limit).toEqual({ context: 262144, output: 32768 });
  });

  test("a variant's options: user wins; a raw reasoning_effort becomes the provider option reasoningEffort", () => {
    const merged = mergeProviderBlock(ours, {
      models: {
        "kimi-for-coding": {
          variants: {
            high: { reasoning_effort: "max", thinking: { keep: "all" } },
            medium: { reasoningEffort: "low" },
            low: { reasoning_effort: "medium", reasoningEffort: "high" },
            turbo: { reasoning_effort: "high", temperature: 0.3 },
          },
        },
      },
    });
    const v = merged.models["kimi-for-coding"]!.variants!;
    expect(v.high).toEqual({ reasoningEffort: "max", thinking: { keep: "all" } });
    expect(v.medium).toEqual({ reasoningEffort: "low" });
    expect(v.low).toEqual({ reasoningEffort: "high" });
    expect(v.turbo).toEqual({ reasoningEffort: "high", temperature: 0.3 });
    expect(JSON.stringify(merged)).not.toContain("reasoning_effort");
  });

  test("kimi-cli profile: a user's effort lands as reasoningEffort next to our thinking (chat.params drops it)", () => {
    const cli = buildProviderBlock({ models: MODELS, apiBase: BASE, identity: "kimi-cli" });
    const merged = mergeProviderBlock(cli, { models: { "kimi-for-coding": { variants: { high: { reasoning_effort: "max" } } } } });
    expect(merged.models["kimi-for-coding"]!.variants!.high).toEqual({ thinking: { type: "enabled" }, reasoningEffort: "max" });
  });

  test("user-only variants are appended after ours; disabled on off makes the next one first", () => {
    const merged = mergeProviderBlock(ours, {
      models: { "kimi-for-coding": { variants: { off: { disabled: true }, mine: { reasoning_effort: "max" } } } },
    });
    const m = merged.models["kimi-for-coding"]!;
    expect(Object.keys(m.variants!)).toEqual(["off", "low", "medium", "high", "auto", "mine"]);
    expect(m.variants!.off).toEqual({ thinking: { type: "disabled" }, disabled: true });
    expect(m.variants!.mine).toEqual({ reasoningEffort: "max" });
    expect(titleVariant("kimi-for-coding", m)).toEqual(["low", { reasoningEffort: "low" }]);
    // without the disable, off stays first even with user variants
    const plain = mergeProviderBlock(ours, { models: { "kimi-for-coding": { variants: { mine: {} } } } });
    expect(titleVariant("kimi-for-coding", plain.models["kimi-for-coding"]!)?.[0]).toBe("off");
  });

  test("user-only models are kept after ours", () => {
    const merged = mergeProviderBlock(ours, {
      models: { "my-alias": { id: "k3", name: "Alias", limit: { context: 1000, output: 100 }, variants: { x: { reasoning_effort: "high" }, y: { reasoningEffort: "low" } } } },
    });
    expect(Object.keys(merged.models)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k", "my-alias"]);
    expect(merged.models["my-alias"]).toMatchObject({ id: "k3", name: "Alias" });
    expect(merged.models["my-alias"]!.variants).toEqual({ x: { reasoningEffort: "high" }, y: { reasoningEffort: "low" } });
  });

  test("malformed user input is ignored with a warning, never thrown", () => {
    for (const bad of [42, "x", [1, 2], true]) {
      expect(mergeProviderBlock(ours, bad)).toEqual(ours);
    }
    const merged = mergeProviderBlock(ours, {
      options: "nope",
      models: { "kimi-for-coding": "nope", k3: { variants: ["x"] }, "k3-256k": { variants: { high: 5 } }, other: 7 },
      name: "Still applied",
    });
    expect(merged.options).toEqual(ours.options);
    expect(merged.models["kimi-for-coding"]).toEqual(ours.models["kimi-for-coding"]!);
    expect(merged.models["k3"]!.variants).toEqual(ours.models["k3"]!.variants!);
    expect(merged.models["k3-256k"]!.variants).toEqual(ours.models["k3-256k"]!.variants!);
    expect(merged.models["other"]).toBeUndefined();
    expect(merged.name).toBe("Still applied");
    expect(logs.filter((l) => l.includes("warn:")).length).toBeGreaterThanOrEqual(8);
  });

  test("prototype-polluting keys are ignored", () => {
    const user = JSON.parse('{"__proto__": {"polluted": true}, "models": {"__proto__": {"x": 1}}, "options": {"__proto__": {"y": 1}}}');
    const merged = mergeProviderBlock(ours, user);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(merged.models)).toEqual(Object.keys(ours.models));
  });
});

describe("applyProviderConfig", () => {
  const block = buildProviderBlock({ models: MODELS, apiBase: BASE, identity: "opencode" });

  test("creates config.provider and our entry; other providers untouched", () => {
    const other = { npm: "x", models: {} };
    const config: Record<string, unknown> = { provider: { other } };
    applyProviderConfig(config, block);
    const providers = config.provider as Record<string, unknown>;
    expect(providers.other).toBe(other);
    expect(providers[PROVIDER_ID]).toEqual(block);
    const empty: Record<string, unknown> = {};
    applyProviderConfig(empty, block);
    expect((empty.provider as Record<string, ProviderBlock>)[PROVIDER_ID]!.models["k3"]!.name).toBe("K3");
  });

  test("merges with what the user wrote under our id", () => {
    const config = { provider: { [PROVIDER_ID]: { name: "Work Kimi", whitelist: ["k3"], models: { k3: { variants: { off: { disabled: true } } } } } } };
    applyProviderConfig(config, block);
    const p = config.provider[PROVIDER_ID] as unknown as ProviderBlock;
    expect(p.name).toBe("Work Kimi");
    expect(p.whitelist).toEqual(["k3"]);
    expect(p.models["k3"]!.variants!.off).toEqual({ thinking: { type: "disabled" }, disabled: true });
    expect(Object.keys(p.models)).toHaveLength(4);
  });

  test("never throws on odd configs", () => {
    expect(() => applyProviderConfig(undefined, block)).not.toThrow();
    expect(() => applyProviderConfig(null, block)).not.toThrow();
    const weird = { provider: "nope" };
    applyProviderConfig(weird, block);
    expect(weird.provider).toBe("nope");
    const frozen = Object.freeze({ provider: Object.freeze({}) });
    expect(() => applyProviderConfig(frozen, block)).not.toThrow();
    expect(logs.some((l) => l.includes("could not inject"))).toBe(true);
  });
});
