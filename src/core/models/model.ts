// The shape of a Kimi Code model as the plugin keeps it (parsed from /models by discovery.ts, read back
// from the cache by model-cache.ts), and the default used before the first discovery. Kept small and
// free of I/O: it is on the plugin's start path.
import { DEFAULT_MODEL } from "../config/constants.ts";
import { isRecord } from "../support/is-record.ts";
import { normaliseEffort, type Effort } from "./effort.ts";

export type ThinkingType = "only" | "no" | "both";

export interface DiscoveredModel {
  /** Wire id, sent as `model` (e.g. "kimi-for-coding", "k3-256k"). */
  id: string;
  /** `display_name`, else the id. */
  displayName: string;
  /** `context_length`, else 262144 when 0/missing. */
  contextLength: number;
  /** `max_output_tokens` / `max_completion_tokens` when present, else 32768; never above contextLength. */
  outputLimit: number;
  /** The model can think at all (thinkingType !== "no"). */
  reasoning: boolean;
  /**
   * Effective thinking mode: the server's `supports_thinking_type` when present; otherwise derived like
   * kimi-cli: supports_reasoning false → "no", id containing "thinking" → "only" (always-thinking),
   * supports_reasoning true → "both", else "no".
   */
  thinkingType: ThinkingType;
  /**
   * Efforts the server lists (`think_efforts.valid_efforts`), normalised to canonical order, xhigh → max,
   * unknown dropped; `[]` when the server says efforts are unsupported; undefined when it says nothing
   * (variants.ts then assumes low/medium/high).
   */
  efforts?: Effort[];
  defaultEffort?: Effort;
  imageIn: boolean;
  videoIn: boolean;
  /**
   * "anthropic" when /models says the model is served over the Anthropic route (`protocol`, read by
   * kimi-code 2.1.0 `toModelInfo`, which then sends it to {base}/messages); absent otherwise.
   */
  protocol?: "anthropic";
  /** False only when the server says `supports_tool_use: false`. */
  toolUse: boolean;
}

/** Used before the first login and whenever discovery fails and no cache exists (kimi-cli-wire.md §5). */
export const DEFAULT_MODELS: readonly DiscoveredModel[] = Object.freeze([
  Object.freeze({
    id: DEFAULT_MODEL.id,
    displayName: DEFAULT_MODEL.displayName,
    contextLength: DEFAULT_MODEL.contextLength,
    outputLimit: DEFAULT_MODEL.outputLimit,
    reasoning: true,
    thinkingType: "both",
    imageIn: true,
    videoIn: true,
    toolUse: true,
  } satisfies DiscoveredModel),
]);

const THINKING_TYPES: readonly string[] = ["only", "no", "both"];

/** Structural check of a DiscoveredModel read back from disk. */
export function isDiscoveredModel(value: unknown): value is DiscoveredModel {
  if (!isRecord(value)) return false;
  const v = value;
  const posInt = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n > 0;
  return (
    typeof v.id === "string" &&
    v.id !== "" &&
    typeof v.displayName === "string" &&
    posInt(v.contextLength) &&
    posInt(v.outputLimit) &&
    typeof v.reasoning === "boolean" &&
    typeof v.thinkingType === "string" &&
    THINKING_TYPES.includes(v.thinkingType) &&
    (v.efforts === undefined ||
      (Array.isArray(v.efforts) && v.efforts.every((e) => normaliseEffort(e) === e))) &&
    (v.defaultEffort === undefined || normaliseEffort(v.defaultEffort) === v.defaultEffort) &&
    typeof v.imageIn === "boolean" &&
    typeof v.videoIn === "boolean" &&
    typeof v.toolUse === "boolean"
  );
}
