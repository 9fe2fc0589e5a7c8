// node:http plumbing shared by both listeners: reading and recording a request, writing answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault, HostKind, RecordedRequest } from "./records.ts";
import type { EmulatorState } from "./state.ts";

export async function readRequest(req: IncomingMessage, host: HostKind): Promise<RecordedRequest> {
  const time = Date.now();
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString("utf8");
  return {
    host,
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    rawBody,
    body: parseBody(rawBody, headers["content-type"]),
    time,
  };
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === "") return undefined;
  const type = (contentType ?? "").toLowerCase();
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
  if (type.includes("json") || type === "") return tryJson(raw);
  return undefined;
}

export function tryJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8", ...headers });
}

export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** OpenAI-style error body used by the coding API. */
export function apiError(message: string, type: string) {
  return { error: { message, type } };
}

/** OAuth (RFC 6749 §5.2) error body. */
export function oauthError(error: string, description: string) {
  return { error, error_description: description };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a route handler gets. */
export interface RouteContext {
  state: EmulatorState;
  request: RecordedRequest;
  res: ServerResponse;
  /** An injected fault that let the request through (delay, dropMidStream), if any. */
  fault: Fault | undefined;
  /** Aborted when the emulator stops. */
  signal: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
