// Reasoning variants: which ones a model gets, in which order, and what each puts on the wire.
//
// opencode computes no variants for model ids containing "kimi" or "k2p" (opencode-plugin-api.md §2),
// so the plugin declares them in its provider block. A variant's options are merged by opencode into
// the request's providerOptions, and @ai-sdk/openai-compatible turns those into the JSON body: most keys
// are spread verbatim, but `reasoning_effort` is produced from the `reasoningEffort` option only (see
// PROVIDER_OPTION_KEYS). So WIRE_TABLE says what reaches the body, and variantsFor() emits the provider
// options that produce it (toProviderOptions).
import type { DiscoveredModel } from "./model.ts";
import type { IdentityName } from "../config/options.ts";
import { EFFORTS, type Effort } from "./effort.ts";

/**
 * Every variant name, in the order variants are declared. opencode's title request uses the FIRST
 * variant's options (`Object.values(model.variants)[0]`), so the cheapest sensible choice comes first:
 * `off`, then efforts ascending, then `auto` (the server decides) last.
 */
export const VARIANT_ORDER = ["off", ...EFFORTS, "auto"] as const;
export type VariantName = (typeof VARIANT_ORDER)[number];

/** Efforts assumed when /models says a model reasons but lists no think_efforts: what kimi-cli ≤1.48 sent. */
export const FALLBACK_EFFORTS: readonly Effort[] = Object.freeze(["low", "medium", "high"]);

type WireFields = Readonly<Record<string, unknown>>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * (identity profile, variant) → the fields the variant adds to the chat request body (the WIRE fields;
 * the provider options that produce them come from toProviderOptions).
 *
 * - `opencode` (default): Kimi's documented third-party fields: `reasoning_effort` for an effort,
 *   `thinking: {type: "disabled"}` for off.
 * - `kimi-cli`: exactly kimi-cli 1.49.0 / kosong 0.55.0: only `thinking.type`; `reasoning_effort` is never
 *   sent (kimi-cli-wire.md §6, §10), so every effort variant means "thinking on".
 * - `kimi-code`: exactly kimi-code 2.1.0 (`kimiOpenAITrait.thinking`, dist/main.mjs 188893-188902, and
 *   `resolveThinkingKeep`): an effort is `thinking: {type: "enabled", effort, keep: "all"}` (prior
 *   reasoning kept in the history), off is `thinking: {type: "disabled"}` without `keep`.
 * - `auto` sends nothing in every profile: the server decides (kimi-code itself always sends an effort).
 */
export const WIRE_TABLE: Readonly<Record<IdentityName, Readonly<Record<VariantName, WireFields>>>> = deepFreeze({
  opencode: {
    off: { thinking: { type: "disabled" } },
    low: { reasoning_effort: "low" },
    medium: { reasoning_effort: "medium" },
    high: { reasoning_effort: "high" },
    max: { reasoning_effort: "max" },
    auto: {},
  },
  "kimi-cli": {
    off: { thinking: { type: "disabled" } },
    low: { thinking: { type: "enabled" } },
    medium: { thinking: { type: "enabled" } },
    high: { thinking: { type: "enabled" } },
    max: { thinking: { type: "enabled" } },
    auto: {},
  },
  "kimi-code": {
    off: { thinking: { type: "disabled" } },
    low: { thinking: { type: "enabled", effort: "low", keep: "all" } },
    medium: { thinking: { type: "enabled", effort: "medium", keep: "all" } },
    high: { thinking: { type: "enabled", effort: "high", keep: "all" } },
    max: { thinking: { type: "enabled", effort: "max", keep: "all" } },
    auto: {},
  },
});

/**
 * Wire field → the providerOptions key that makes @ai-sdk/openai-compatible put it in the JSON body.
 * Fields not listed here are unknown to the SDK and pass verbatim under their own name (`thinking`,
 * `prompt_cache_key`).
 *
 * Measured with opencode 1.18.33 (test/e2e/NOTES.md §3): the SDK builds the body as
 * `{ …, ...unknownProviderOptions, reasoning_effort: options.reasoningEffort, … }`, so a raw
 * `reasoning_effort` option is overwritten with `undefined` and never sent, while the option
 * `{reasoningEffort: "high"}` produced `"reasoning_effort":"high"` in the body.
 */
export const PROVIDER_OPTION_KEYS: Readonly<Record<string, string>> = Object.freeze({ reasoning_effort: "reasoningEffort" });

/** The providerOptions key that produces `wireField` in the body (the field itself when not remapped). */
export function providerOptionKey(wireField: string): string {
  return Object.hasOwn(PROVIDER_OPTION_KEYS, wireField) ? (PROVIDER_OPTION_KEYS[wireField] as string) : wireField;
}

/**
 * The provider options that make the SDK send `wireFields` (top-level keys renamed per
 * PROVIDER_OPTION_KEYS, everything else verbatim). Pure: returns a new object and does not copy the
 * values. When a wire field and its provider-option key are both present, the provider-option key's
 * value is kept (it is the one the SDK would send), whatever the key order.
 */
export function toProviderOptions(wireFields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(wireFields)) {
    const target = providerOptionKey(key);
    if (target !== key && Object.hasOwn(wireFields, target)) continue;
    entries.push([target, value]);
  }
  return Object.fromEntries(entries); // own data properties only (a "__proto__" key stays a plain key)
}

/** A fresh (mutable) copy of the wire fields of one variant. */
export function wireFieldsFor(identity: IdentityName, variant: VariantName): Record<string, unknown> {
  return structuredClone(WIRE_TABLE[identity][variant]) as Record<string, unknown>;
}

/**
 * The variant names a model gets, in declaration order (see VARIANT_ORDER):
 * - no variants when the model cannot think (`thinkingType: "no"`);
 * - `off` only when thinking can be switched off (`thinkingType: "both"`);
 * - one variant per effort the server lists, or FALLBACK_EFFORTS when it lists none (`efforts` undefined);
 * - `auto` always (for reasoning models).
 */
export function variantNamesFor(model: Pick<DiscoveredModel, "thinkingType" | "efforts">): VariantName[] {
  if (model.thinkingType === "no") return [];
  const efforts = new Set<string>(model.efforts ?? FALLBACK_EFFORTS);
  return VARIANT_ORDER.filter((name) => {
    if (name === "off") return model.thinkingType === "both";
    if (name === "auto") return true;
    return efforts.has(name);
  });
}

/**
 * The ordered `variants` block of one model's config entry for `identity`: each variant's provider
 * options (`{reasoningEffort: "high"}`, `{thinking: {type: "disabled"}}`, …), i.e. WIRE_TABLE run
 * through toProviderOptions.
 */
export function variantsFor(
  model: Pick<DiscoveredModel, "thinkingType" | "efforts">,
  identity: IdentityName,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of variantNamesFor(model)) out[name] = toProviderOptions(wireFieldsFor(identity, name));
  return out;
}

/** The table as Markdown, for the README (one row per variant, one column per profile). */
export function wireTableMarkdown(): string {
  const identities = Object.keys(WIRE_TABLE) as IdentityName[];
  const cell = (fields: WireFields) => (Object.keys(fields).length === 0 ? "*(nothing)*" : `\`${JSON.stringify(fields)}\``);
  const lines = [
    `| variant | ${identities.map((i) => `\`${i}\` profile`).join(" | ")} |`,
    `| --- | ${identities.map(() => "---").join(" | ")} |`,
  ];
  for (const v of VARIANT_ORDER) lines.push(`| \`${v}\` | ${identities.map((i) => cell(WIRE_TABLE[i][v])).join(" | ")} |`);
  return lines.join("\n");
}
