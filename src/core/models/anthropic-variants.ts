// Reasoning variants on Kimi's Anthropic-compatible route (protocol "anthropic": POST {base}/messages
// through opencode's bundled @ai-sdk/anthropic). Same variant names and order as the OpenAI route
// (variants.ts); different wire fields.
//
// What Kimi's official client sends on this route (kimi-code 2.1.0 `kimiAnthropicTrait`,
// dist/main.mjs:188935-188950): off → `thinking: {type: "disabled"}`; on → `thinking: {type: "enabled"}`
// plus `output_config: {effort}` for an explicit effort.
// What the SDK can send (opencode 1.18.33's bundled @ai-sdk/anthropic, `getArgs`): provider option
// `thinking: {type}` → body `thinking`; `effort` → `output_config.effort`; but `type: "enabled"` always
// gets a `budget_tokens` (1024 when none is given) and max_tokens grows by it. opencode itself sends
// Kimi models on this SDK `thinking: {type: "adaptive", display: "summarized"}` with `effort`
// ("Moonshot's Anthropic-compatible API uses adaptive effort rather than token budgets",
// packages/opencode/src/provider/transform.ts options() and variants(), isKimiFamily). We keep
// opencode's adaptive form, so no token budget is invented, and kimi-code's effort semantics.
import type { DiscoveredModel } from "./model.ts";
import { variantNamesFor, type VariantName } from "./variants.ts";

/** The AI SDK package opencode bundles for this route. */
export const ANTHROPIC_NPM = "@ai-sdk/anthropic";

type Options = Readonly<Record<string, unknown>>;

const adaptive = (effort?: string): Options => ({ thinking: { type: "adaptive" }, ...(effort ? { effort } : {}) });

/** Variant → the provider options our config declares (the SDK turns them into ANTHROPIC_WIRE_TABLE). */
export const ANTHROPIC_VARIANT_OPTIONS: Readonly<Record<VariantName, Options>> = Object.freeze({
  off: { thinking: { type: "disabled" } },
  low: adaptive("low"),
  medium: adaptive("medium"),
  high: adaptive("high"),
  max: adaptive("max"),
  auto: adaptive(),
});

const wire = (effort?: string): Options => ({
  thinking: { type: "adaptive", display: "summarized" },
  ...(effort ? { output_config: { effort } } : {}),
});

/**
 * Variant → the fields that reach the /messages body (measured with opencode 1.18.33, test/e2e
 * anthropic-route.test.ts). `display: "summarized"` is opencode's own default for Kimi on this SDK.
 * `off` and `auto` send no effort: chat.params removes opencode's default `effort: "high"` (see
 * ANTHROPIC_MODEL_OPTIONS), as kimi-code sends no output_config for "off" and "on".
 */
export const ANTHROPIC_WIRE_TABLE: Readonly<Record<VariantName, Options>> = Object.freeze({
  off: { thinking: { type: "disabled" } },
  low: wire("low"),
  medium: wire("medium"),
  high: wire("high"),
  max: wire("max"),
  auto: wire(),
});

/**
 * Variants opencode 1.18.33 computes by itself for a Kimi model on @ai-sdk/anthropic (our provider id
 * contains "kimi", so isKimiFamily holds): `{thinking: {type: "adaptive", display: "summarized"}, effort}`
 * for each of these. The ones a model does not list are declared `disabled: true`.
 */
export const OPENCODE_COMPUTED_ANTHROPIC_EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;

/**
 * Model options for this route. opencode 1.18.33 adds `effort: "high"` to every request of a Kimi model
 * on @ai-sdk/anthropic (transform.ts options()); model options merge over it, so `null` cancels it and
 * chat.params drops the null. An effort variant (or the user's own model option) sets it again.
 */
export const ANTHROPIC_MODEL_OPTIONS: Options = Object.freeze({ effort: null });

/** The ordered `variants` block of one model on this route, opencode's computed extras disabled. */
export function anthropicVariantsFor(model: Pick<DiscoveredModel, "thinkingType" | "efforts">): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of variantNamesFor(model)) out[name] = structuredClone(ANTHROPIC_VARIANT_OPTIONS[name]) as Record<string, unknown>;
  if (model.thinkingType !== "no") {
    for (const effort of OPENCODE_COMPUTED_ANTHROPIC_EFFORTS) if (!(effort in out)) out[effort] = { disabled: true };
  }
  return out;
}

/** The route table as Markdown, for the README (one row per variant). */
export function anthropicWireTableMarkdown(): string {
  const cell = (fields: Options) => (Object.keys(fields).length === 0 ? "*(nothing)*" : `\`${JSON.stringify(fields)}\``);
  const lines = ["| variant | `/messages` body |", "| --- | --- |"];
  for (const [name, fields] of Object.entries(ANTHROPIC_WIRE_TABLE)) lines.push(`| \`${name}\` | ${cell(fields)} |`);
  return lines.join("\n");
}
