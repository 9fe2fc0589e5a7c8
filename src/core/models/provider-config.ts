// The opencode config block for our provider, injected by the plugin's `config` hook.
// Shape verified with opencode 1.18.33 (opencode-plugin-api.md §8). The user's own block under the same
// id is merged in and the user's values win; bad user input is logged and ignored, never thrown.
import { PROVIDER_ID, PROVIDER_NAME } from "../config/constants.ts";
import { DEFAULT_MODELS, type DiscoveredModel } from "./model.ts";
import { isRecord } from "../support/is-record.ts";
import { log } from "../support/log.ts";
import type { IdentityName, ProtocolName } from "../config/options.ts";
import { ANTHROPIC_MODEL_OPTIONS, ANTHROPIC_NPM, anthropicVariantsFor } from "./anthropic-variants.ts";
import { toProviderOptions, variantsFor } from "./variants.ts";

export const PROVIDER_NPM = "@ai-sdk/openai-compatible";

/** The AI SDK package opencode bundles for each of Kimi's routes; baseURL is the same API base for both. */
export const NPM_FOR_PROTOCOL: Readonly<Record<ProtocolName, string>> = Object.freeze({
  openai: PROVIDER_NPM,
  anthropic: ANTHROPIC_NPM,
});

export type Modality = "text" | "image" | "video";

export interface ModelEntry {
  /** Wire id (opencode's `api.id`); the entry's key is the same id. */
  id: string;
  name: string;
  reasoning: boolean;
  tool_call: boolean;
  attachment: boolean;
  modalities: { input: Modality[]; output: Modality[] };
  /** Always complete: a partial `limit` is invalid opencode config. */
  limit: { context: number; output: number };
  /** Reasoning models only: opencode sends prior reasoning back as `reasoning_content`. */
  interleaved?: { field: "reasoning_content" };
  /** Ordered: opencode's title request uses the first one. Absent for models that cannot think. */
  variants?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface ProviderBlock {
  npm: string;
  name: string;
  /** No apiKey here: a config `options.apiKey` would override the auth loader's. */
  options: { baseURL: string; [key: string]: unknown };
  models: Record<string, ModelEntry>;
  [key: string]: unknown;
}

/**
 * Efforts opencode 1.18.33 computes by itself (`{reasoningEffort}` each) for an openai-compatible
 * reasoning model whose id contains neither "kimi" nor "k2p" (e.g. `k3`), deep-merged UNDER the config
 * variants and ordered before them. Where we declare the effort, our variant uses the same provider
 * option (`reasoningEffort`, or `thinking` only in the kimi-cli profile, where chat.params drops the
 * effort) and simply overwrites opencode's value; ones the model does not support are declared
 * `disabled: true` so opencode drops its computed variant.
 */
export const OPENCODE_COMPUTED_EFFORTS = ["low", "medium", "high"] as const;

/** Whether opencode computes default variants for this model id (see OPENCODE_COMPUTED_EFFORTS). */
export function opencodeComputesVariants(modelId: string): boolean {
  const id = modelId.toLowerCase();
  return !id.includes("kimi") && !id.includes("k2p");
}

export function modelEntry(model: DiscoveredModel, identity: IdentityName, protocol: ProtocolName = "openai"): ModelEntry {
  const input: Modality[] = ["text"];
  if (model.imageIn) input.push("image");
  if (model.videoIn) input.push("video");
  const entry: ModelEntry = {
    id: model.id,
    name: model.displayName,
    reasoning: model.reasoning,
    tool_call: model.toolUse,
    attachment: model.imageIn || model.videoIn,
    modalities: { input, output: ["text"] },
    limit: { context: model.contextLength, output: Math.min(model.outputLimit, model.contextLength) },
  };
  const anthropic = protocol === "anthropic" || model.protocol === "anthropic";
  // A model /models puts on the Anthropic route takes it whatever the configured protocol (as kimi-code
  // does); opencode honours a model-level `provider.npm` over the provider's.
  if (anthropic && protocol !== "anthropic") entry.provider = { npm: ANTHROPIC_NPM };
  if (model.reasoning && anthropic) {
    // No `interleaved` here: it makes opencode move reasoning out of the assistant turns (into an
    // OpenAI-style field), so the signed thinking blocks Kimi's history check needs would be lost.
    entry.options = structuredClone(ANTHROPIC_MODEL_OPTIONS) as Record<string, unknown>;
    entry.variants = anthropicVariantsFor(model);
  } else if (model.reasoning) {
    entry.interleaved = { field: "reasoning_content" };
    const variants = variantsFor(model, identity);
    if (opencodeComputesVariants(model.id)) {
      for (const effort of OPENCODE_COMPUTED_EFFORTS) if (!Object.hasOwn(variants, effort)) variants[effort] = { disabled: true };
    }
    entry.variants = variants;
  }
  return entry;
}

/** Our block for `models` (DEFAULT_MODELS when empty), in server order. */
export function buildProviderBlock(args: {
  models: readonly DiscoveredModel[];
  apiBase: string;
  identity: IdentityName;
  protocol?: ProtocolName;
}): ProviderBlock {
  const list = args.models.length > 0 ? args.models : DEFAULT_MODELS;
  const models: Record<string, ModelEntry> = {};
  // Own-property checks: a model id such as `constructor` or `toString` is a key like any other.
  for (const m of list) if (!Object.hasOwn(models, m.id)) models[m.id] = modelEntry(m, args.identity, args.protocol);
  return {
    npm: NPM_FOR_PROTOCOL[args.protocol ?? "openai"],
    name: PROVIDER_NAME,
    options: { baseURL: args.apiBase.replace(/\/+$/, "") },
    models,
  };
}

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function clone<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value; // functions etc. (not JSON config, but a plugin may have put one there): keep as is
  }
}

/** Records merged recursively; anything else from `over` replaces (arrays included). `over` wins. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : clone(value);
  }
  return out;
}

/**
 * A user variant's raw wire key `reasoning_effort` becomes the provider option `reasoningEffort` (the
 * user's value, our spelling; variants.ts toProviderOptions), so it replaces our `reasoningEffort` in the
 * merge: a raw `reasoning_effort` option would never reach the body. A user variant with both spellings
 * keeps its `reasoningEffort`.
 */
function normaliseUserVariant(variant: Record<string, unknown>): Record<string, unknown> {
  return toProviderOptions(clone(variant));
}

function mergeVariants(
  ours: Record<string, Record<string, unknown>> | undefined,
  user: unknown,
  where: string,
): Record<string, Record<string, unknown>> | undefined {
  if (user === undefined) return ours;
  if (!isRecord(user)) {
    log("warn", `${where}.variants is not an object; ignored`);
    return ours;
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, variant] of Object.entries(ours ?? {})) {
    const u = Object.hasOwn(user, name) ? user[name] : undefined;
    if (u !== undefined && !isRecord(u)) log("warn", `${where}.variants.${name} is not an object; ignored`);
    out[name] = isRecord(u) ? deepMerge(variant, normaliseUserVariant(u)) : variant;
  }
  for (const [name, u] of Object.entries(user)) {
    if (UNSAFE_KEYS.has(name) || Object.hasOwn(out, name)) continue;
    if (!isRecord(u)) {
      log("warn", `${where}.variants.${name} is not an object; ignored`);
      continue;
    }
    out[name] = normaliseUserVariant(u);
  }
  return out;
}

const isPositive = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n > 0;

function mergeModel(ours: ModelEntry, user: Record<string, unknown>, where: string): ModelEntry {
  const { variants: ourVariants, ...ourRest } = ours;
  const { variants: userVariants, ...userRest } = user;
  const merged = deepMerge(ourRest, userRest) as ModelEntry;
  const variants = mergeVariants(ourVariants, userVariants, where);
  if (variants !== undefined) merged.variants = variants;
  // Keep `limit` complete and coherent whatever the user wrote.
  const limit: Record<string, unknown> = isRecord(merged.limit) ? merged.limit : {};
  const userLimit: Record<string, unknown> = isRecord(userRest.limit) ? userRest.limit : {};
  if (!isRecord(merged.limit)) log("warn", `${where}.limit is not an object; ignored`);
  const context = isPositive(limit.context) ? limit.context : ours.limit.context;
  let output = isPositive(limit.output) ? limit.output : ours.limit.output;
  if (!isPositive(userLimit.output) && output > context) output = context;
  merged.limit = { ...limit, context, output };
  return merged;
}

/**
 * Merges the user's `provider["kimi-for-coding-oauth"]` over ours. The user wins for every value
 * (name, npm, options, whitelist/blacklist, per-model fields, variant options, `disabled: true`).
 * Model order: ours (server order), then user-only models. Variant order per model: ours, then
 * user-only variants. Malformed parts of the user block are logged and ignored.
 */
export function mergeProviderBlock(ours: ProviderBlock, user: unknown): ProviderBlock {
  const out = clone(ours);
  if (user === undefined || user === null) return out;
  const where = `provider["${PROVIDER_ID}"]`;
  if (!isRecord(user)) {
    log("warn", `${where} in opencode config is not an object; ignored`);
    return out;
  }
  for (const [key, value] of Object.entries(user)) {
    if (UNSAFE_KEYS.has(key)) continue;
    if (key === "models") {
      if (!isRecord(value)) {
        log("warn", `${where}.models is not an object; ignored`);
        continue;
      }
      const models: Record<string, ModelEntry> = {};
      for (const [id, entry] of Object.entries(out.models)) {
        const u = Object.hasOwn(value, id) ? value[id] : undefined;
        if (u !== undefined && !isRecord(u)) log("warn", `${where}.models["${id}"] is not an object; ignored`);
        models[id] = isRecord(u) ? mergeModel(entry, u, `${where}.models["${id}"]`) : entry;
      }
      for (const [id, u] of Object.entries(value)) {
        if (UNSAFE_KEYS.has(id) || Object.hasOwn(models, id)) continue;
        if (!isRecord(u)) {
          log("warn", `${where}.models["${id}"] is not an object; ignored`);
          continue;
        }
        const entry = clone(u) as ModelEntry;
        if (isRecord(u.variants)) entry.variants = mergeVariants(undefined, u.variants, `${where}.models["${id}"]`);
        models[id] = entry;
      }
      out.models = models;
    } else if (key === "options") {
      if (!isRecord(value)) {
        log("warn", `${where}.options is not an object; ignored`);
        continue;
      }
      if ("apiKey" in value) log("warn", `${where}.options.apiKey is set; it overrides the Kimi Code login`);
      out.options = deepMerge(out.options, value) as ProviderBlock["options"];
    } else {
      out[key] = clone(value);
    }
  }
  return out;
}

/**
 * Sets `config.provider["kimi-for-coding-oauth"]` to our block merged with whatever the user wrote there.
 * Never throws; a config whose `provider` is not an object is left alone (logged).
 */
export function applyProviderConfig(config: unknown, block: ProviderBlock): void {
  try {
    if (!isRecord(config)) {
      log("warn", "config hook received no config object; provider not injected");
      return;
    }
    if (config.provider === undefined || config.provider === null) config.provider = {};
    const providers = config.provider;
    if (!isRecord(providers)) {
      log("warn", "opencode config `provider` is not an object; Kimi Code provider not injected");
      return;
    }
    providers[PROVIDER_ID] = mergeProviderBlock(block, providers[PROVIDER_ID]);
  } catch (e) {
    log("warn", `could not inject the Kimi Code provider: ${e instanceof Error ? e.message : String(e)}`);
  }
}
