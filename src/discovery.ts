// Model discovery: GET {apiBase}/models → the models this subscription is entitled to.
// Failures are typed (DiscoveryError) and never reach chat: the caller falls back to the cache or
// to DEFAULT_MODELS. Also home of the small JSON GET helper shared with usage.ts.
import { DEFAULT_MODEL, DEFAULT_OUTPUT_LIMIT, OWN_CALL_TIMEOUT_MS, PLUGIN_USER_AGENT } from "./constants.ts";
import { redact } from "./log.ts";
import { normaliseEffort, normaliseEfforts, type Effort } from "./variants.ts";

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

export type HttpErrorKind =
  | "unauthorized" // 401: the token is bad or expired; the caller may refresh and retry
  | "http" // any other non-2xx
  | "html" // an HTML page (proxy, captive portal, gateway error) instead of JSON
  | "json" // a body that is not JSON
  | "shape" // JSON, but not the expected structure
  | "empty" // the expected structure, but nothing usable in it
  | "timeout"
  | "network"; // DNS, connection refused, TLS, abort by the caller

/** Error of the plugin's own JSON GETs (/models, /usages). The message names the problem. */
export class KimiHttpError extends Error {
  readonly kind: HttpErrorKind;
  readonly status: number | undefined;
  constructor(message: string, kind: HttpErrorKind, status?: number) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.status = status;
  }
}

/** The only error fetchModels/parseModels throw. */
export class DiscoveryError extends KimiHttpError {}

export interface JsonGetArgs {
  /** API base without trailing slash, e.g. https://api.kimi.com/coding/v1 */
  apiBase: string;
  /** OAuth access token or API key; sent as `Authorization: Bearer …`. */
  token: string;
  /** Identity headers (User-Agent etc.); Authorization is always ours. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Whole-call timeout including the body; default OWN_CALL_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type ErrorFactory = (message: string, kind: HttpErrorKind, status?: number) => KimiHttpError;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "an array", "null", "a string", … for error messages. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return typeof value === "undefined" ? "nothing" : `a ${typeof value}`;
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  headers[name] = value;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return redact(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat);
}

function serverMessage(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (!isRecord(body)) return undefined;
    const err = body.error;
    if (isRecord(err) && typeof err.message === "string") return err.message;
    if (typeof body.error_description === "string") return body.error_description;
    if (typeof err === "string") return err;
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON: the caller shows a snippet instead
  }
  return undefined;
}

/**
 * GET {apiBase}{path} with a bearer token and returns the parsed JSON body.
 * Throws only errors made by `makeError`, with messages like
 * "GET /models returned HTML (status 502), not JSON".
 */
export async function getJson(path: string, args: JsonGetArgs, makeError: ErrorFactory): Promise<unknown> {
  const what = `GET ${path}`;
  const url = `${args.apiBase.replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = { Accept: "application/json", "User-Agent": PLUGIN_USER_AGENT };
  for (const [k, v] of Object.entries(args.headers ?? {})) if (typeof v === "string") setHeader(headers, k, v);
  setHeader(headers, "Authorization", `Bearer ${args.token}`);

  const timeoutMs = args.timeoutMs ?? OWN_CALL_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  if (args.signal?.aborted) controller.abort();
  else args.signal?.addEventListener("abort", onAbort, { once: true });

  let status: number;
  let contentType: string;
  let text: string;
  try {
    const res = await (args.fetch ?? fetch)(url, { method: "GET", headers, signal: controller.signal });
    status = res.status;
    contentType = res.headers.get("content-type") ?? "";
    text = await res.text();
  } catch (e) {
    if (timedOut) throw makeError(`${what} timed out after ${timeoutMs} ms`, "timeout");
    const reason = e instanceof Error ? e.message : String(e);
    throw makeError(`${what} failed: ${args.signal?.aborted ? "aborted" : redact(reason)}`, "network");
  } finally {
    clearTimeout(timer);
    args.signal?.removeEventListener("abort", onAbort);
  }

  if (status === 401) {
    const detail = serverMessage(text);
    throw makeError(`${what} was rejected (status 401)${detail ? `: ${redact(detail)}` : ""}; the token is invalid or expired`, "unauthorized", status);
  }
  if (/text\/html/i.test(contentType) || /^\s*</.test(text)) {
    throw makeError(`${what} returned HTML (status ${status}), not JSON`, "html", status);
  }
  if (status < 200 || status > 299) {
    const detail = serverMessage(text) ?? snippet(text);
    throw makeError(`${what} failed with status ${status}${detail ? `: ${redact(detail)}` : ""}`, "http", status);
  }
  if (text.trim() === "") throw makeError(`${what} returned an empty body (status ${status}), not JSON`, "json", status);
  try {
    return JSON.parse(text);
  } catch {
    throw makeError(`${what} returned invalid JSON (status ${status}): ${snippet(text)}`, "json", status);
  }
}

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

/**
 * Turns a parsed /models body into models: items without a non-empty string `id` are skipped,
 * duplicates dropped (first wins), server order kept (the first is the default model).
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
    if (typeof id !== "string" || id.trim() === "" || seen.has(id)) continue;
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
