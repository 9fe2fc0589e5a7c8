// The plugin's own HTTP calls (OAuth, /models, /usages): timeouts, and errors that say what failed.
import { isRecord } from "./is-record.ts";
import { MAX_ERROR_BODY_BYTES, MAX_JSON_BODY_BYTES, OWN_CALL_TIMEOUT_MS, PLUGIN_USER_AGENT } from "../config/constants.ts";
import { headerValueProblem, HeaderValueError, tokenProblem } from "./header-value.ts";
import { redact } from "./log.ts";

export type HttpErrorKind =
  | "unauthorized" // 401: the token is bad or expired; the caller may refresh and retry
  | "http" // any other non-2xx
  | "html" // an HTML page (proxy, captive portal, gateway error) instead of JSON
  | "json" // a body that is not JSON
  | "shape" // JSON, but not the expected structure
  | "empty" // the expected structure, but nothing usable in it
  | "too-large" // a body beyond the size the plugin reads
  | "header" // a header value (token, identity header) HTTP cannot carry: the call was not sent
  | "redirect" // a 3xx: redirects are never followed
  | "timeout"
  | "network"; // DNS, connection refused, TLS, abort by the caller

/** Every failure of the plugin's own calls. The message names the problem; `body` is the parsed answer. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly kind: HttpErrorKind,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** fetch with a timeout; network failures and timeouts become HttpError ("network" / "timeout"). */
export async function fetchWithTimeout(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  const signal = AbortSignal.timeout(timeoutMs);
  assertSendable(init.headers, url);
  try {
    return await fetchImpl(url, { ...init, signal, redirect: "manual" });
  } catch (error) {
    const host = safeHost(url);
    if (signal.aborted) throw new HttpError(`${host} did not answer within ${Math.round(timeoutMs / 1000)} s`, "timeout");
    throw new HttpError(`could not reach ${host}: ${describe(error)}`, "network");
  }
}

/**
 * Throws HttpError ("header") naming the header, never Headers' TypeError, which under bun 1.3.14
 * quotes the value (e.g. `Bearer <key>`), when a value cannot be carried. The headers themselves are
 * sent as the caller built them (a plain object keeps its names' case and order on the wire).
 */
export function assertSendable(init: HeadersInit | undefined, url: string): void {
  const entries: Array<[string, string]> =
    init instanceof Headers ? [...init.entries()] : Array.isArray(init) ? (init as Array<[string, string]>) : Object.entries(init ?? {});
  for (const [name, value] of entries) {
    const problem = headerValueProblem(String(value));
    if (problem) throw new HttpError(`request to ${safeHost(url)} not sent: ${new HeaderValueError(name, problem).message}`, "header");
  }
}

/**
 * A body's text, reading at most `maxBytes` (the rest is cancelled, never buffered): `truncated` says
 * whether there was more. A server (or anything in between) can send any amount; the plugin reads a bound.
 */
export async function readTextCapped(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: "", truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    chunks.push(value.byteLength > room ? value.subarray(0, room) : value);
    size += Math.min(value.byteLength, room);
    if (value.byteLength > room || size >= maxBytes) {
      truncated = value.byteLength > room || !(await peekEnd(reader));
      break;
    }
  }
  if (truncated) void reader.cancel().catch(() => {});
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}

/** True when the stream has nothing more (used when a body ends exactly at the cap). */
async function peekEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<boolean> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    if (value.byteLength > 0) return false;
  }
}

/**
 * Reads an (error) body as JSON when it is JSON, else as text, reading at most MAX_ERROR_BODY_BYTES
 * (a larger body is cut there and read as text); never throws.
 */
export async function readBody(response: Response, maxBytes: number = MAX_ERROR_BODY_BYTES): Promise<unknown> {
  let text = "";
  try {
    ({ text } = await readTextCapped(response, maxBytes));
  } catch {
    return undefined;
  }
  return jsonOrText(text);
}

/** A body's text as JSON when it is JSON, else the text itself. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

// bun's network errors end with a hint for developers ("For more information, pass `verbose: true` in
// the second argument to fetch()"): noise in a message for the user or the model.
const RUNTIME_HINT = /\s*For more information, pass `verbose: true`[^.]*\.?\s*$/;

/** An error's message (and its cause's) for a user-facing sentence. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.replace(RUNTIME_HINT, "");
    const cause = (error as { cause?: unknown }).cause;
    const causeMessage = cause instanceof Error ? cause.message.replace(RUNTIME_HINT, "") : "";
    return causeMessage && !message.includes(causeMessage) ? `${message} (${causeMessage})` : message;
  }
  return String(error);
}

/** The `error` / `error_description` pair of an OAuth error body (RFC 6749 §5.2). */
export function oauthError(body: unknown): { error?: string; description?: string } {
  if (!body || typeof body !== "object") return {};
  const b = body as Record<string, unknown>;
  return {
    ...(typeof b.error === "string" ? { error: b.error } : {}),
    ...(typeof b.error_description === "string" ? { description: b.error_description } : {}),
  };
}

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
  /** Largest body read; default MAX_JSON_BODY_BYTES. */
  maxBytes?: number;
}

type ErrorFactory = (message: string, kind: HttpErrorKind, status?: number) => HttpError;

export { isRecord };

/** "an array", "null", "a string", … for error messages. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return typeof value === "undefined" ? "nothing" : `a ${typeof value}`;
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

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  headers[name] = value;
}

/** Accept, User-Agent, the caller's headers and our Authorization; a value HTTP cannot carry is refused unquoted. */
function bearerHeaders(what: string, url: string, args: JsonGetArgs, makeError: ErrorFactory): Record<string, string> {
  const problem = tokenProblem(args.token);
  if (problem) throw makeError(`${what} not sent: the stored key or token contains ${problem}`, "header");
  const headers: Record<string, string> = { Accept: "application/json", "User-Agent": PLUGIN_USER_AGENT };
  for (const [k, v] of Object.entries(args.headers ?? {})) if (typeof v === "string") setHeader(headers, k, v);
  setHeader(headers, "Authorization", `Bearer ${args.token}`);
  try {
    assertSendable(headers, url);
  } catch (error) {
    throw makeError(`${what} not sent: ${(error as Error).message.replace(/^request to \S+ not sent: /, "")}`, "header");
  }
  return headers;
}

/** The host a Location header points to ("" when absent or unparsable). */
function redirectTarget(location: string | null, url: string): string {
  try {
    return location ? new URL(location, url).host : "";
  } catch {
    return "";
  }
}

/**
 * GET {apiBase}{path} with a bearer token and returns the parsed JSON body.
 * Throws only errors made by `makeError`, with messages like
 * "GET /models returned HTML (status 502), not JSON".
 */
export async function getJson(path: string, args: JsonGetArgs, makeError: ErrorFactory): Promise<unknown> {
  const what = `GET ${path}`;
  const url = `${args.apiBase.replace(/\/+$/, "")}${path}`;
  const headers = bearerHeaders(what, url, args, makeError);

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
  let truncated: boolean;
  let location: string | null;
  try {
    const res = await (args.fetch ?? fetch)(url, { method: "GET", headers, signal: controller.signal, redirect: "manual" });
    status = res.status;
    contentType = res.headers.get("content-type") ?? "";
    location = res.headers.get("location");
    ({ text, truncated } = await readTextCapped(res, args.maxBytes ?? MAX_JSON_BODY_BYTES));
  } catch (e) {
    if (timedOut) throw makeError(`${what} timed out after ${timeoutMs} ms`, "timeout");
    const reason = e instanceof Error ? e.message : String(e);
    throw makeError(`${what} failed: ${args.signal?.aborted ? "aborted" : redact(reason)}`, "network");
  } finally {
    clearTimeout(timer);
    args.signal?.removeEventListener("abort", onAbort);
  }

  if (status >= 300 && status < 400) {
    const target = redirectTarget(location, url);
    throw makeError(`${what} was redirected (status ${status}${target ? ` to ${target}` : ""}); redirects are not followed`, "redirect", status);
  }
  if (truncated) {
    const limit = args.maxBytes ?? MAX_JSON_BODY_BYTES;
    throw makeError(`${what} answered more than ${Math.round(limit / 1024)} KiB (status ${status}); ignored`, "too-large", status);
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

