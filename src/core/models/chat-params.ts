// chat.params logic for our provider. Pure: mutates `output.options` only, never throws.
//
// In opencode 1.18.33 `output.options` already holds merge(base, model.options, agent.options, selected
// variant's options) (opencode-plugin-api.md §2), and @ai-sdk/openai-compatible spreads unknown keys
// verbatim into the JSON body; so what we leave in output.options is what reaches the wire, except that
// the body's `reasoning_effort` comes from the `reasoningEffort` option only and a raw `reasoning_effort`
// option is dropped (test/e2e/NOTES.md §3; variants.ts PROVIDER_OPTION_KEYS).
// Runtime shapes differ from the published types: `input.provider` has no `info`, `input.model.variants`
// and `input.message.model.variant` may be undefined. Everything is read defensively.
import { PROVIDER_ID } from "../config/constants.ts";
import { isRecord } from "../support/is-record.ts";
import { log } from "../support/log.ts";
import type { IdentityName, ProtocolName } from "../config/options.ts";
import { ANTHROPIC_NPM } from "./anthropic-variants.ts";

export interface ChatParamsContext {
  identity: IdentityName;
  /** The configured route; a model whose `api.npm` says otherwise (a user's override) follows its npm. */
  protocol?: ProtocolName;
}

/** Whether this request goes out through @ai-sdk/anthropic (Kimi's /messages route). */
export function usesAnthropicRoute(model: Record<string, unknown>, configured: ProtocolName | undefined): boolean {
  const npm = isRecord(model.api) ? model.api.npm : undefined;
  return typeof npm === "string" && npm !== "" ? npm === ANTHROPIC_NPM : configured === "anthropic";
}

/**
 * The Anthropic route's wire contract (anthropic-variants.ts). @ai-sdk/anthropic ignores options it
 * does not know, so:
 * - the session id rides in `metadata.userId` (body `metadata.user_id`), where kimi-code 2.1.0 puts its
 *   cache key on this route (`assembleAnthropicRequest`), instead of `prompt_cache_key`;
 * - an effort spelled for the OpenAI route (`reasoningEffort` / `reasoning_effort`, e.g. a user's
 *   variant) becomes `effort` (body `output_config.effort`) unless one is set;
 * - no effort goes out with thinking off (kimi-code sends none), and a null one (ANTHROPIC_MODEL_OPTIONS
 *   cancelling opencode's default) is dropped.
 */
export function enforceAnthropicContract(options: Record<string, unknown>, sessionID: unknown): void {
  if (typeof sessionID === "string" && sessionID !== "") {
    const metadata = isRecord(options.metadata) ? options.metadata : {};
    options.metadata = { ...metadata, userId: sessionID };
  }
  delete options.prompt_cache_key;
  delete options.promptCacheKey;
  const openaiEffort = options.reasoningEffort ?? options.reasoning_effort;
  if ((options.effort === undefined || options.effort === null) && typeof openaiEffort === "string") options.effort = openaiEffort;
  delete options.reasoningEffort;
  delete options.reasoning_effort;
  const thinking = isRecord(options.thinking) ? options.thinking : undefined;
  if (options.effort === null || thinking?.type === "disabled") delete options.effort;
}

/** Effort values that mean "no thinking" when turned into kimi-cli's `thinking.type`. */
const OFF_EFFORTS = new Set(["none", "off", "disabled"]);

/**
 * opencode's title request (`agent: "title"`) takes the FIRST variant's options. For model ids where
 * opencode orders its own computed variants first (e.g. `k3`), that is `low`, not our `off`; swap the
 * first variant's options (`{reasoningEffort: "low"}`) for the `off` variant's ones when the model has
 * an (enabled) `off`.
 */
function preferOffForTitle(model: Record<string, unknown>, options: Record<string, unknown>): void {
  const variants = model.variants;
  if (!isRecord(variants)) return;
  const off = variants.off;
  const names = Object.keys(variants);
  if (!isRecord(off) || names[0] === "off" || names.length === 0) return;
  const first = variants[names[0] as string];
  if (isRecord(first)) for (const key of Object.keys(first)) delete options[key];
  for (const [key, value] of Object.entries(off)) if (key !== "disabled") options[key] = structuredClone(value);
}

/** Option keys that carry reasoning: the provider-option spelling and the raw wire one (a user's). */
const REASONING_KEYS = ["thinking", "reasoningEffort", "reasoning_effort", "effort"] as const;

/**
 * Safety net: when the options carry no reasoning field at all but the selected variant
 * (`model.variants[message.model.variant]`) does, copy the variant's fields in. opencode 1.18.33 has
 * already merged them (then this is a no-op); it keeps the contract if a version stops doing so.
 */
function ensureSelectedVariant(input: Record<string, unknown>, model: Record<string, unknown>, options: Record<string, unknown>): void {
  if (REASONING_KEYS.some((k) => options[k] !== undefined && options[k] !== null)) return;
  const message = isRecord(input.message) ? input.message : undefined;
  const selected = isRecord(message?.model) ? message.model.variant : undefined;
  if (typeof selected !== "string" || !isRecord(model.variants)) return;
  const variant = model.variants[selected];
  if (!isRecord(variant)) return;
  for (const [key, value] of Object.entries(variant)) {
    if (key !== "disabled" && (options[key] === undefined || options[key] === null)) options[key] = structuredClone(value);
  }
}

/**
 * Rewrites the reasoning fields in `options` to the identity's wire contract (see variants.ts WIRE_TABLE).
 * `options` are provider options: the effort is spelled `reasoningEffort` (the SDK sends it as
 * `reasoning_effort`); a raw `reasoning_effort` option would never reach the body.
 */
export function enforceWireContract(identity: IdentityName, options: Record<string, unknown>): void {
  const hasSnake = options.reasoning_effort !== undefined && options.reasoning_effort !== null;
  const hasCamel = options.reasoningEffort !== undefined && options.reasoningEffort !== null;
  if (identity === "opencode") {
    // Kimi's documented field is reasoning_effort, produced from `reasoningEffort`. That key comes from
    // the selected variant (ours, the user's or opencode's computed one), which opencode merges last, so
    // it wins; a raw `reasoning_effort` alone (a user's model/agent option) is moved onto it.
    if (!hasCamel) {
      if (hasSnake) options.reasoningEffort = options.reasoning_effort;
      else delete options.reasoningEffort; // a null one: nothing to send
    }
    delete options.reasoning_effort;
    return;
  }
  if (identity === "kimi-code") return kimiCodeThinking(options, hasCamel ? options.reasoningEffort : hasSnake ? options.reasoning_effort : undefined);
  // kimi-cli 1.49.0: never reasoning_effort (neither spelling); an effort only means "thinking on" (or
  // off for none/off).
  const effort = hasCamel ? options.reasoningEffort : hasSnake ? options.reasoning_effort : undefined;
  delete options.reasoning_effort;
  delete options.reasoningEffort;
  let thinking = isRecord(options.thinking) ? { ...options.thinking } : undefined;
  if (effort !== undefined && (thinking === undefined || thinking.type === undefined)) {
    const off = typeof effort === "string" && OFF_EFFORTS.has(effort.trim().toLowerCase());
    thinking = { ...(thinking ?? {}), type: off ? "disabled" : "enabled" };
  }
  if (thinking !== undefined) {
    delete thinking.effort; // kosong 0.55.0 sends only thinking.type (+ keep)
    options.thinking = thinking;
  }
}

/**
 * kimi-code 2.1.0 (variants.ts WIRE_TABLE): never reasoning_effort; the effort rides in
 * `thinking: {type: "enabled", effort, keep: "all"}`, off is `thinking: {type: "disabled"}`.
 */
function kimiCodeThinking(options: Record<string, unknown>, effort: unknown): void {
  delete options.reasoning_effort;
  delete options.reasoningEffort;
  const thinking: Record<string, unknown> = isRecord(options.thinking) ? { ...options.thinking } : {};
  if (typeof effort === "string" && effort.trim() !== "" && thinking.type === undefined) {
    const off = OFF_EFFORTS.has(effort.trim().toLowerCase());
    thinking.type = off ? "disabled" : "enabled";
    if (!off && thinking.effort === undefined) thinking.effort = effort.trim();
  }
  if (thinking.type === undefined) return;
  if (thinking.type === "disabled") {
    delete thinking.effort;
    delete thinking.keep;
  } else thinking.keep ??= "all";
  options.thinking = thinking;
}

/**
 * The plugin's chat.params logic. For our provider only (input.model.providerID):
 * - `prompt_cache_key = sessionID` (as kimi-cli does; opencode's camelCase `promptCacheKey` is dropped);
 * - title requests use the `off` variant when the model has one; other requests get the selected
 *   variant's fields if (and only if) opencode has not merged any reasoning field already;
 * - the identity's reasoning wire contract is enforced.
 * Any other provider: output untouched. Never throws.
 */
export function applyChatParams(input: unknown, output: unknown, ctx: ChatParamsContext): void {
  try {
    if (!isRecord(input) || !isRecord(input.model) || input.model.providerID !== PROVIDER_ID) return;
    if (!isRecord(output)) return;
    let options = output.options;
    if (!isRecord(options)) {
      options = {};
      output.options = options;
    }
    const opts = options as Record<string, unknown>;
    if (usesAnthropicRoute(input.model, ctx.protocol)) {
      if (input.agent === "title") preferOffForTitle(input.model, opts);
      else ensureSelectedVariant(input, input.model, opts);
      enforceAnthropicContract(opts, input.sessionID);
      return;
    }
    if (typeof input.sessionID === "string" && input.sessionID !== "") opts.prompt_cache_key = input.sessionID;
    delete opts.promptCacheKey;
    if (input.agent === "title") preferOffForTitle(input.model, opts);
    else ensureSelectedVariant(input, input.model, opts);
    enforceWireContract(ctx.identity, opts);
  } catch (e) {
    log("warn", `chat.params: ${e instanceof Error ? e.message : String(e)}; request left as is`);
  }
}
