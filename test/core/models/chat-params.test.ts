import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { applyChatParams, enforceWireContract } from "../../../src/core/models/chat-params.ts";
import { PROVIDER_ID } from "../../../src/core/config/constants.ts";
import { setLogSink } from "../../../src/core/support/log.ts";

let logs: string[] = [];
let restoreLog: () => void = () => {};
beforeEach(() => {
  logs = [];
  restoreLog = setLogSink((l) => logs.push(l));
});
afterEach(() => restoreLog());

/** As variantsFor(…, "opencode") emits them: provider options, not raw wire keys. */
const OUR_VARIANTS = {
  off: { thinking: { type: "disabled" } },
  low: { reasoningEffort: "low" },
  high: { reasoningEffort: "high" },
  auto: {},
};

/** The runtime shape seen with opencode 1.18.33 (opencode-plugin-api.md §2): no provider.info. */
function input(over: { providerID?: string; variants?: unknown; variant?: string; agent?: string; sessionID?: string; modelID?: string } = {}) {
  return {
    sessionID: over.sessionID ?? "ses_abc123",
    agent: over.agent ?? "build",
    model: {
      id: over.modelID ?? "kimi-for-coding",
      providerID: over.providerID ?? PROVIDER_ID,
      api: { id: over.modelID ?? "kimi-for-coding", npm: "@ai-sdk/openai-compatible", url: "" },
      options: {},
      variants: "variants" in over ? over.variants : OUR_VARIANTS,
    },
    provider: { id: over.providerID ?? PROVIDER_ID, name: "Kimi Code", options: { baseURL: "https://api.kimi.com/coding/v1" }, source: "config", models: {} },
    message: { id: "msg_1", role: "user", model: { providerID: over.providerID ?? PROVIDER_ID, modelID: "kimi-for-coding", variant: over.variant } },
  };
}
function output(options: Record<string, unknown> = {}) {
  return { temperature: undefined, topP: undefined, topK: undefined, maxOutputTokens: 32000, options };
}

describe("applyChatParams: other providers", () => {
  for (const providerID of ["openai", "kimi-for-coding", "kimi-code-plan-cn", "anthropic", ""]) {
    test(`leaves ${providerID || "an empty provider id"} completely untouched`, () => {
      const out = output({ reasoningEffort: "high", reasoning_effort: "low", promptCacheKey: "x", thinking: { type: "enabled", effort: "high" } });
      const before = structuredClone(out);
      applyChatParams(input({ providerID, variant: "high" }), out, { identity: "kimi-cli" });
      expect(out).toEqual(before);
      applyChatParams(input({ providerID, agent: "title" }), out, { identity: "opencode" });
      expect(out).toEqual(before);
    });
  }
});

describe("applyChatParams: our provider", () => {
  test("prompt_cache_key is the session id", () => {
    const out = output({ reasoningEffort: "high" });
    applyChatParams(input({ sessionID: "ses_XYZ", variant: "high" }), out, { identity: "opencode" });
    expect(out.options).toEqual({ reasoningEffort: "high", prompt_cache_key: "ses_XYZ" });
    const cli = output({});
    applyChatParams(input({ sessionID: "ses_2" }), cli, { identity: "kimi-cli" });
    expect(cli.options.prompt_cache_key).toBe("ses_2");
  });

  test("opencode's camelCase promptCacheKey is replaced by the wire key", () => {
    const out = output({ promptCacheKey: "ses_abc123" });
    applyChatParams(input(), out, { identity: "opencode" });
    expect(out.options).toEqual({ prompt_cache_key: "ses_abc123" });
  });

  test("other fields of the output are not touched", () => {
    const out = { ...output({}), temperature: 0.6, maxOutputTokens: 1234 };
    applyChatParams(input(), out, { identity: "kimi-cli" });
    expect(out.temperature).toBe(0.6);
    expect(out.maxOutputTokens).toBe(1234);
  });

  test("opencode profile: effort variants pass through as the provider option reasoningEffort", () => {
    const out = output({ reasoningEffort: "low" });
    applyChatParams(input({ variant: "low" }), out, { identity: "opencode" });
    expect(out.options).toEqual({ reasoningEffort: "low", prompt_cache_key: "ses_abc123" });
  });

  test("opencode profile: a raw reasoning_effort alone (user's model/agent option) moves to reasoningEffort", () => {
    const out = output({ reasoning_effort: "max" });
    applyChatParams(input({ variant: undefined }), out, { identity: "opencode" });
    expect(out.options).toEqual({ reasoningEffort: "max", prompt_cache_key: "ses_abc123" });
  });

  test("opencode profile: when both spellings exist, reasoningEffort (the selected variant, merged last) wins", () => {
    // e.g. a user's model option reasoning_effort: "max" and the selected variant high → reasoningEffort: "high"
    const out = output({ reasoning_effort: "max", reasoningEffort: "high" });
    applyChatParams(input({ modelID: "k3", variant: "high" }), out, { identity: "opencode" });
    expect(out.options).toEqual({ reasoningEffort: "high", prompt_cache_key: "ses_abc123" });
  });

  test("opencode profile: a null effort in either spelling is dropped, not sent", () => {
    for (const options of [{ reasoningEffort: null }, { reasoning_effort: null }, { reasoningEffort: null, reasoning_effort: null }]) {
      const out = output({ ...options, thinking: { type: "enabled" } });
      applyChatParams(input(), out, { identity: "opencode" });
      expect(out.options).toEqual({ thinking: { type: "enabled" }, prompt_cache_key: "ses_abc123" });
    }
    const fallback = output({ reasoningEffort: null, reasoning_effort: "low" });
    applyChatParams(input(), fallback, { identity: "opencode" });
    expect(fallback.options).toEqual({ reasoningEffort: "low", prompt_cache_key: "ses_abc123" });
  });

  test("opencode profile: output.options never keeps a raw reasoning_effort (the SDK would drop it)", () => {
    const cases: [Record<string, unknown>, string | undefined, string | undefined][] = [
      // [options opencode merged, selected variant, expected reasoningEffort]
      [{ reasoning_effort: "high" }, undefined, "high"],
      [{ reasoning_effort: "high" }, "low", "high"],
      [{ reasoning_effort: "low", reasoningEffort: "max" }, "high", "max"],
      [{ reasoningEffort: "medium" }, "high", "medium"],
      [{}, "high", "high"], // safety net copies the variant in
      [{}, "auto", undefined],
      [{ reasoning_effort: "low", thinking: { type: "disabled" } }, "off", "low"],
    ];
    for (const [options, variant, effort] of cases) {
      for (const agent of ["build", "title"]) {
        const out = output(structuredClone(options));
        applyChatParams(input({ variant, agent }), out, { identity: "opencode" });
        expect(Object.keys(out.options)).not.toContain("reasoning_effort");
        if (agent === "build") expect(out.options.reasoningEffort).toBe(effort);
      }
    }
  });

  test("kimi-cli profile: efforts become thinking enabled, reasoning_effort never sent", () => {
    for (const options of [{ reasoning_effort: "high" }, { reasoningEffort: "low" }, { reasoningEffort: "high", reasoning_effort: "max" }, { reasoningEffort: "high", reasoning_effort: "none" }]) {
      const out = output({ ...options });
      applyChatParams(input({ variant: "high" }), out, { identity: "kimi-cli" });
      expect(out.options).toEqual({ thinking: { type: "enabled" }, prompt_cache_key: "ses_abc123" });
    }
  });

  test("kimi-cli profile: an explicit thinking type wins over an effort; keep survives; effort inside thinking is dropped", () => {
    const a = output({ reasoning_effort: "high", thinking: { type: "disabled" } });
    applyChatParams(input(), a, { identity: "kimi-cli" });
    expect(a.options).toEqual({ thinking: { type: "disabled" }, prompt_cache_key: "ses_abc123" });
    const b = output({ reasoning_effort: "max", thinking: { keep: "all" } });
    applyChatParams(input(), b, { identity: "kimi-cli" });
    expect(b.options).toEqual({ thinking: { keep: "all", type: "enabled" }, prompt_cache_key: "ses_abc123" });
    const c = output({ thinking: { type: "enabled", effort: "high" } });
    applyChatParams(input(), c, { identity: "kimi-cli" });
    expect(c.options).toEqual({ thinking: { type: "enabled" }, prompt_cache_key: "ses_abc123" });
    const d = output({ reasoningEffort: "none" });
    applyChatParams(input(), d, { identity: "kimi-cli" });
    expect(d.options).toEqual({ thinking: { type: "disabled" }, prompt_cache_key: "ses_abc123" });
  });

  test("the auto variant sends no reasoning field in either profile", () => {
    for (const identity of ["opencode", "kimi-cli"] as const) {
      const out = output({});
      applyChatParams(input({ variant: "auto" }), out, { identity });
      expect(out.options).toEqual({ prompt_cache_key: "ses_abc123" });
    }
  });

  test("safety net: the selected variant's fields are added only when opencode merged none", () => {
    const out = output({});
    applyChatParams(input({ variant: "high" }), out, { identity: "opencode" });
    expect(out.options).toEqual({ reasoningEffort: "high", prompt_cache_key: "ses_abc123" });
    const cli = output({});
    applyChatParams(input({ variant: "high" }), cli, { identity: "kimi-cli" });
    expect(cli.options).toEqual({ thinking: { type: "enabled" }, prompt_cache_key: "ses_abc123" });
    const already = output({ thinking: { type: "disabled" } });
    applyChatParams(input({ variant: "high" }), already, { identity: "opencode" });
    expect(already.options).toEqual({ thinking: { type: "disabled" }, prompt_cache_key: "ses_abc123" });
  });

  test("title requests use off when the model has it (opencode put its computed `low` first for k3)", () => {
    const variants = { low: { reasoningEffort: "low" }, high: { reasoningEffort: "high" }, off: { thinking: { type: "disabled" } }, auto: {} };
    const out = output({ reasoningEffort: "low" });
    applyChatParams(input({ modelID: "k3", variants, agent: "title", variant: "high" }), out, { identity: "opencode" });
    expect(out.options).toEqual({ thinking: { type: "disabled" }, prompt_cache_key: "ses_abc123" });
  });

  test("title requests: no change when off is first already or absent (user disabled it)", () => {
    const a = output({ thinking: { type: "disabled" } });
    applyChatParams(input({ agent: "title" }), a, { identity: "opencode" });
    expect(a.options).toEqual({ thinking: { type: "disabled" }, prompt_cache_key: "ses_abc123" });
    const { off: _off, ...noOff } = OUR_VARIANTS;
    const b = output({ reasoningEffort: "low" });
    applyChatParams(input({ agent: "title", variants: noOff }), b, { identity: "kimi-cli" });
    expect(b.options).toEqual({ thinking: { type: "enabled" }, prompt_cache_key: "ses_abc123" });
  });
});

describe("applyChatParams never throws", () => {
  const weirdInputs: unknown[] = [
    undefined,
    null,
    42,
    "x",
    {},
    { model: null },
    { model: { providerID: PROVIDER_ID } },
    { model: { providerID: PROVIDER_ID, variants: undefined }, message: undefined },
    { model: { providerID: PROVIDER_ID, variants: "nope" }, message: { model: undefined } },
    { model: { providerID: PROVIDER_ID, variants: { high: 5 } }, message: { model: { variant: "high" } }, agent: "title" },
    { model: { providerID: PROVIDER_ID, variants: [] }, message: { model: { variant: "zzz" } } },
    input({ variants: undefined, variant: undefined }),
  ];
  for (const [i, inp] of weirdInputs.entries()) {
    test(`weird input #${i}`, () => {
      for (const out of [output({}), { options: undefined }, { options: 5 }, undefined, null, {}] as unknown[]) {
        expect(() => applyChatParams(inp, out, { identity: "kimi-cli" })).not.toThrow();
        expect(() => applyChatParams(inp, out, { identity: "opencode" })).not.toThrow();
      }
    });
  }

  test("missing options object is created for our provider", () => {
    const out: Record<string, unknown> = {};
    applyChatParams(input({ variants: undefined }), out, { identity: "opencode" });
    expect(out.options).toEqual({ prompt_cache_key: "ses_abc123" });
  });

  test("a throwing getter is caught and logged", () => {
    const evil = input();
    Object.defineProperty(evil, "sessionID", {
      get() {
        throw new Error("boom");
      },
    });
    const out = output({ reasoning_effort: "high" });
    expect(() => applyChatParams(evil, out, { identity: "opencode" })).not.toThrow();
    expect(logs.some((l) => l.includes("chat.params: boom"))).toBe(true);
  });

  test("a frozen options object does not escape as an exception", () => {
    const out = output(Object.freeze({ reasoning_effort: "high" }) as Record<string, unknown>);
    expect(() => applyChatParams(input(), out, { identity: "kimi-cli" })).not.toThrow();
  });
});

describe("enforceWireContract", () => {
  test("opencode profile: reasoningEffort is the canonical key; thinking and other keys untouched", () => {
    const o: Record<string, unknown> = { reasoning_effort: "low", thinking: { type: "enabled", keep: "all" }, max_tokens: 7 };
    enforceWireContract("opencode", o);
    expect(o).toEqual({ reasoningEffort: "low", thinking: { type: "enabled", keep: "all" }, max_tokens: 7 });
  });

  test("kimi-cli profile: the canonical reasoningEffort decides off vs on when both spellings exist", () => {
    const o: Record<string, unknown> = { reasoningEffort: "off", reasoning_effort: "high" };
    enforceWireContract("kimi-cli", o);
    expect(o).toEqual({ thinking: { type: "disabled" } });
  });

  test("is idempotent for both profiles", () => {
    for (const identity of ["opencode", "kimi-cli"] as const) {
      const o: Record<string, unknown> = { reasoning_effort: "high", thinking: { keep: "all" } };
      enforceWireContract(identity, o);
      const once = structuredClone(o);
      enforceWireContract(identity, o);
      expect(o).toEqual(once);
    }
  });
});
