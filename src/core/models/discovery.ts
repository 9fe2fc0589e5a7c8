// Model discovery: GET {apiBase}/models → the models this subscription is entitled to.
// Failures are typed (DiscoveryError) and never reach chat: the caller falls back to the cache or
// to DEFAULT_MODELS. The model's shape lives in model.ts (on the start path; this module is not).
import { DEFAULT_MODEL, DEFAULT_OUTPUT_LIMIT, MAX_MODELS } from "../config/constants.ts";
import { log } from "../support/log.ts";
import { describeJson, getJson, HttpError, isRecord, type JsonGetArgs } from "../support/http.ts";
import { normaliseEffort, normaliseEfforts } from "./effort.ts";
import type { DiscoveredModel, ThinkingType } from "./model.ts";

export { DEFAULT_MODELS, isDiscoveredModel, type DiscoveredModel, type ThinkingType } from "./model.ts";

/** The only error fetchModels/parseModels throw. */
export class DiscoveryError extends HttpError {}

/** A positive integer from a number or numeric string; undefined otherwise. */
export function positiveInt(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 1) return undefined;
  return Math.floor(n);
}

function flag(value: unknown): boolean {
  return value === true || value === "true";
}

function thinkingTypeOf(item: Record<string, unknown>, id: string): ThinkingType {
  const declared = item.supports_thinking_type;
  if (declared === "only" || declared === "no" || declared === "both") return declared;
  if (item.supports_reasoning === false || item.supports_reasoning === "false") return "no";
  if (id.toLowerCase().includes("thinking")) return "only";
  return flag(item.supports_reasoning) ? "both" : "no";
}

function toModel(item: Record<string, unknown>, id: string): DiscoveredModel {
  const contextLength = positiveInt(item.context_length) ?? DEFAULT_MODEL.contextLength;
  const declaredOutput = positiveInt(item.max_output_tokens) ?? positiveInt(item.max_completion_tokens);
  const outputLimit = Math.min(declaredOutput ?? DEFAULT_OUTPUT_LIMIT, contextLength);
  const thinkingType = thinkingTypeOf(item, id);
  const displayName =
    typeof item.display_name === "string" && item.display_name.trim() !== "" ? item.display_name.trim() : id;

  const model: DiscoveredModel = {
    id,
    displayName,
    contextLength,
    outputLimit,
    reasoning: thinkingType !== "no",
    thinkingType,
    imageIn: flag(item.supports_image_in),
    videoIn: flag(item.supports_video_in),
    toolUse: item.supports_tool_use !== false && item.supports_tool_use !== "false",
  };
  if (item.protocol === "anthropic") model.protocol = "anthropic";

  if (thinkingType === "no") {
    model.efforts = [];
    return model;
  }
  const te = item.think_efforts;
  if (isRecord(te)) {
    if (te.support === false) model.efforts = [];
    else if (Array.isArray(te.valid_efforts)) model.efforts = normaliseEfforts(te.valid_efforts);
    const def = normaliseEffort(te.default_effort);
    if (def && (model.efforts === undefined || model.efforts.includes(def))) model.defaultEffort = def;
  }
  return model;
}

/** Longest model id kept (real ones are a few dozen characters). */
const MAX_MODEL_ID_CHARS = 256;

/**
 * Turns a parsed /models body into models: items without a non-empty string `id` are skipped (so is
 * `__proto__`, which no object key can hold, and an id over 256 characters), duplicates dropped (first
 * wins), server order kept (the first is the default model), at most MAX_MODELS taken.
 * Throws DiscoveryError ("shape"/"empty") when nothing usable is there; never anything else.
 */
export function parseModels(json: unknown): DiscoveredModel[] {
  if (!isRecord(json)) {
    throw new DiscoveryError(`GET /models returned ${describeJson(json)}, not an object with a "data" list`, "shape");
  }
  const data = json.data;
  if (!Array.isArray(data)) {
    throw new DiscoveryError(`GET /models returned JSON whose "data" is ${describeJson(data)}, not a list`, "shape");
  }
  const seen = new Set<string>();
  const models: DiscoveredModel[] = [];
  for (const item of data) {
    if (!isRecord(item)) continue;
    const id = item.id;
    if (typeof id !== "string" || id.trim() === "" || id === "__proto__" || id.length > MAX_MODEL_ID_CHARS || seen.has(id)) continue;
    if (models.length === MAX_MODELS) {
      log("warn", `GET /models listed more than ${MAX_MODELS} models; the rest are ignored`);
      break;
    }
    seen.add(id);
    models.push(toModel(item, id));
  }
  if (models.length === 0) {
    throw new DiscoveryError(`GET /models listed no models with a string "id" (${data.length} item(s))`, "empty");
  }
  return models;
}

/** GET {apiBase}/models and parse it. Throws DiscoveryError only. */
export async function fetchModels(args: JsonGetArgs): Promise<DiscoveredModel[]> {
  const json = await getJson("/models", args, (m, k, s) => new DiscoveryError(m, k, s));
  return parseModels(json);
}
