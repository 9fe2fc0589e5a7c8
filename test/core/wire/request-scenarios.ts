// Scenarios for the request path's properties (request.properties.test.ts): the generators of
// arbitrary fetch inputs, their materialisation (twice: for the plugin, and for what plain fetch would
// send), and one run of the plugin's fetch over a recording inner fetch.
import fc from "fast-check";
import { createIdentity, type Identity } from "../../../src/core/wire/identity/identity.ts";
import { createRequestFetch } from "../../../src/core/wire/request.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";

export const BASE = "https://api.kimi.com/coding/v1";
const OTHER_REGION = "https://api.kimi.ai/coding/v1";
export const ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wIn0.ACCESS-FIRST-0123456789";
export const RENEWED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wIn0.ACCESS-RENEWED-987654";
export const REFRESH = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wIn0.REFRESH-TOKEN-55555";
export const KEY = "sk-kimi-PROPERTYKEY0123456789abcdefABCDEF";
export const SECRETS = [ACCESS, RENEWED, REFRESH, KEY];
export const DEVICE_ID = "d0d0d0d0e1e1e1e1f2f2f2f2a3a3a3a3";

export const identities: Record<string, Identity> = {
  opencode: createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" }),
  "kimi-cli": createIdentity("kimi-cli", {
    kimiShareDir: "/nonexistent-never-read",
    deviceId: DEVICE_ID,
    facts: { system: "Linux", release: "6.1.0", version: "#1 SMP", machine: "x86_64", hostname: "devbox" },
  }),
};

// ---- generators -------------------------------------------------------------------------------

const ORIGINS = [
  "https://api.kimi.com", "https://API.KIMI.COM", "https://Api.Kimi.Com:443", "HTTPS://api.kimi.com",
  "https://api%2Ekimi%2Ecom", "https://api.kimi.com.", "https://API.KIMI.COM.",
  "https://api.kimi.com.evil.example", "https://api.kimi.com@evil.example", "https://user:pass@api.kimi.com",
  "https://user@api.kimi.com", "https://:x@api.kimi.com", "http://api.kimi.com", "https://api.kimi.com:8443",
  "https://api.kimi.co", "https://apikimi.com", "https://evil.example/https://api.kimi.com",
  "https://api.kimi.ai", "https://127.0.0.1",
];
const segment = fc.oneof(
  fc.constantFrom("coding", "v1", "CODING", "..", ".", "%2e%2e", "%2E", "", "chat", "completions", "messages", "models", "v1x"),
  fc.stringMatching(/^[a-zA-Z0-9._~%-]{0,8}$/),
);
const REAL_ORIGINS = ORIGINS.slice(0, 5);
const urlString = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...REAL_ORIGINS), fc.array(fc.constantFrom("chat", "completions", "messages", "models", "", "x"), { maxLength: 3 })).map(([o, s]) => `${o}/coding/v1/${s.join("/")}`) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ORIGINS), fc.array(segment, { maxLength: 6 }), fc.constantFrom("", "?a=1", "#f", "?x=..%2f")).map(([o, s, q]) => `${o}/coding/v1/${s.join("/")}${q}`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ORIGINS), fc.array(segment, { maxLength: 6 })).map(([o, s]) => `${o}/${s.join("/")}`) },
  { weight: 1, arbitrary: fc.constantFrom(`${BASE}/chat/completions`, `${BASE}/messages`, `${BASE}/../x`, `${BASE}x/chat`, "not a url", "", "/coding/v1/chat/completions") },
);

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
const HEADER_NAMES = ["content-type", "user-agent", "authorization", "Authorization", "x-api-key", "cookie", "x-session-id", "x-opencode-kimi-variant", "X-Opencode-Kimi-Probe", "x-msh-device-id", "accept"];
const headerPairs = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...HEADER_NAMES), token), headerValue), { maxLength: 6 });
type HeaderForm = "headers" | "object" | "tuples";
const headerForm = fc.constantFrom<HeaderForm>("headers", "object", "tuples");

type BodyKind = "none" | "string" | "uint8" | "arraybuffer" | "stream" | "params" | "formdata" | "blob" | "dataview";
const bodySpec = fc.record({
  kind: fc.constantFrom<BodyKind>("none", "string", "uint8", "arraybuffer", "stream", "params", "formdata", "blob", "dataview"),
  text: fc.string({ unit: "grapheme", maxLength: 40 }),
  bytes: fc.uint8Array({ maxLength: 64 }),
  chunks: fc.integer({ min: 1, max: 4 }),
  fields: fc.array(fc.tuple(token, fc.string({ maxLength: 12 }), fc.boolean()), { maxLength: 3 }),
});
type BodySpec = typeof bodySpec extends fc.Arbitrary<infer T> ? T : never;

export const scenario = fc.record({
  url: urlString,
  inputForm: fc.constantFrom<"string" | "url" | "request">("string", "url", "request"),
  bodyIn: fc.constantFrom<"init" | "request">("init", "request"),
  requestHeaders: headerPairs,
  initHeaders: fc.option(fc.tuple(headerPairs, headerForm), { nil: undefined }),
  method: fc.constantFrom("POST", "PUT", "PATCH", "GET"),
  body: bodySpec,
  credential: fc.constantFrom<"oauth" | "api" | "oauth-other-region">("oauth", "api", "oauth-other-region"),
  identity: fc.constantFrom("opencode", "kimi-cli"),
  statuses: fc.tuple(fc.constantFrom(200, 200, 401, 401, 400, 402, 403, 404, 429, 500, 302), fc.constantFrom(200, 401, 403, 429)),
  renewal: fc.constantFrom<"same" | "fails">("same", "same", "fails"),
  aborted: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
});
export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

// ---- materialising a scenario (twice: once for the plugin, once for plain fetch's expectation) ----

function body(spec: BodySpec): BodyInit | undefined {
  switch (spec.kind) {
    case "none":
      return undefined;
    case "string":
      return spec.text;
    case "uint8":
      return spec.bytes.slice();
    case "arraybuffer":
      return spec.bytes.slice().buffer;
    case "dataview":
      return new DataView(spec.bytes.slice().buffer);
    case "stream": {
      const all = spec.bytes.slice();
      const size = Math.max(1, Math.ceil(all.length / spec.chunks));
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= all.length) return c.close();
          c.enqueue(all.slice(at, (at += size)));
        },
      });
    }
    case "params":
      return new URLSearchParams(spec.fields.map(([k, v]) => [k, v]));
    case "formdata": {
      const fd = new FormData();
      for (const [k, v, file] of spec.fields) {
        if (file) fd.append(k, new Blob([v, spec.bytes.slice()], { type: "application/octet-stream" }), `${k}.bin`);
        else fd.append(k, v);
      }
      return fd;
    }
    case "blob":
      return new Blob([spec.text, spec.bytes.slice()], { type: spec.fields.length ? "text/plain" : "" });
  }
}

function headersIn(pairs: Array<[string, string]>, form: HeaderForm): HeadersInit {
  if (form === "tuples") return pairs.map(([n, v]) => [n, v] as [string, string]);
  if (form === "object") return Object.fromEntries(pairs);
  const h = new Headers();
  for (const [n, v] of pairs) h.append(n, v);
  return h;
}

/** The fetch arguments the caller (opencode's AI SDK) passes; each call builds fresh ones. */
function callArgs(s: Scenario, signal?: AbortSignal): [RequestInfo | URL, RequestInit | undefined] {
  const withBody = s.body.kind !== "none";
  const method = withBody && s.method === "GET" ? "POST" : s.method;
  const b = body(s.body);
  let parsed: URL | undefined;
  try {
    parsed = new URL(s.url);
  } catch {
    parsed = undefined;
  }
  // A Request needs a URL that parses; otherwise the caller can only pass a string.
  const form = parsed ? s.inputForm : "string";
  const init: RequestInit = {};
  if (s.initHeaders) init.headers = headersIn(s.initHeaders[0], s.initHeaders[1]);
  if (signal) init.signal = signal;
  if (form === "request") {
    const inRequest = s.bodyIn === "request";
    const request = new Request(parsed!, { method, headers: s.requestHeaders, ...(inRequest && b !== undefined ? { body: b } : {}) });
    if (!inRequest && b !== undefined) init.body = b;
    return [request, Object.keys(init).length ? init : undefined];
  }
  init.method = method;
  if (b !== undefined) init.body = b;
  // A string or URL input carries no headers of its own: the Request form's headers go in init then.
  if (!s.initHeaders) init.headers = headersIn(s.requestHeaders, "tuples");
  return [form === "url" ? parsed! : s.url, init];
}

export interface Sent {
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  contentType: string;
}

export async function record(input: RequestInfo | URL, init?: RequestInit): Promise<Sent> {
  const req = new Request(input, init);
  return { url: req.url, headers: [...req.headers], body: new Uint8Array(await req.arrayBuffer()), contentType: req.headers.get("content-type") ?? "" };
}

/**
 * The body as text, a multipart body's boundary replaced by a constant: each serialisation of a
 * FormData draws a fresh boundary. It is the one named in the request's Content-Type, or, when the
 * caller set a Content-Type of its own, the first line of the body (`--<boundary>`).
 */
export function canonical(sent: Pick<Sent, "body" | "contentType">, multipart: boolean): string {
  const text = Buffer.from(sent.body).toString("latin1");
  if (!multipart) return text;
  const boundary = /boundary=("?)([^";]+)\1/i.exec(sent.contentType)?.[2] ?? /^--([^\r\n]+)\r\n/.exec(text)?.[1];
  return boundary ? text.split(boundary).join("BOUNDARY") : text;
}

/** A header with a multipart boundary (fresh per serialisation) made comparable. */
export const sameBoundary = ([n, v]: [string, string]): [string, string] => [n, v.replace(/boundary=\S+/i, "boundary=B")];

export function credentialOf(s: Scenario): Credential {
  if (s.credential === "api") return { type: "api", key: KEY, apiBase: BASE };
  const apiBase = s.credential === "oauth-other-region" ? OTHER_REGION : BASE;
  return { type: "oauth", access: ACCESS, refresh: REFRESH, expires: Date.now() + 900_000, apiBase };
}

/** The oracle for "under the credential's base", written from the URL parser independently of isUnder. */
export function underBase(url: string, base: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const b = new URL(base);
  return u.origin === b.origin && !u.username && !u.password && (u.pathname === b.pathname || u.pathname.startsWith(`${b.pathname}/`));
}

export interface Outcome {
  result?: Response;
  rejection?: unknown;
  sent: Sent[];
  innerErrors: unknown[];
  logs: string[];
  expected?: Sent | Error;
  abortReason?: unknown;
}

export async function run(s: Scenario): Promise<Outcome> {
  const sent: Sent[] = [];
  const innerErrors: unknown[] = [];
  let calls = 0;
  const inner = (async (input: RequestInfo | URL, init?: RequestInit) => {
    let rec: Sent;
    try {
      rec = await record(input, init);
    } catch (error) {
      innerErrors.push(error); // what fetch itself would reject with (an invalid URL, say)
      throw error;
    }
    sent.push(rec);
    const status = s.statuses[Math.min(calls++, 1)]!;
    const headers: Record<string, string> = status === 302 ? { location: "https://evil.example/steal" } : { "content-type": "application/json" };
    const payload = status === 200 ? "ok" : status === 302 ? null : JSON.stringify({ error: { message: "no", type: "x" } });
    return new Response(payload, { status, headers });
  }) as typeof fetch;
  const controller = new AbortController();
  if (s.aborted) controller.abort(new DOMException("stop", "AbortError"));
  const credential = credentialOf(s);
  const keeper = {
    credential: async (signal?: AbortSignal | null) => {
      if (signal?.aborted) throw signal.reason;
      return credential;
    },
    forceRefresh: async (_rejected: string, signal?: AbortSignal | null) => {
      if (signal?.aborted) throw signal.reason;
      if (s.renewal === "fails") throw new Error(`refresh failed for ${REFRESH}`);
      return credential.type === "oauth" ? { ...credential, access: RENEWED } : credential;
    },
  };
  const f = createRequestFetch({
    keeper,
    identity: identities[s.identity]!,
    configuredApiBase: BASE,
    fetch: inner,
    quota: async () => undefined,
  });
  const logs: string[] = [];
  const restore = setLogSink((line) => logs.push(line));
  const out: Outcome = { sent, innerErrors, logs };
  try {
    const [input, init] = callArgs(s, s.aborted ? controller.signal : undefined);
    out.result = await f(input, init);
  } catch (error) {
    out.rejection = error;
  } finally {
    restore();
  }
  if (s.aborted) out.abortReason = controller.signal.reason;
  count(s, out);
  try {
    const [input, init] = callArgs(s);
    out.expected = await record(input, init);
  } catch (error) {
    out.expected = error as Error;
  }
  return out;
}

/** What the generated scenarios reached, so a generator that stops reaching a case fails a test. */
export const reached = new Map<string, number>();
function count(s: Scenario, o: Outcome): void {
  const hit = (what: string) => reached.set(what, (reached.get(what) ?? 0) + 1);
  const withToken = o.sent.filter((r) => r.headers.some(([, v]) => SECRETS.some((t) => v.includes(t))));
  if (withToken.length) hit(`token sent, ${s.body.kind} body, ${s.inputForm} input`);
  if (withToken.length && /^https:\/\/[^/]*[A-Z]/.test(s.url)) hit("token sent to a mixed-case host");
  if (withToken.length === 2) hit("401 retry sent");
  if (o.sent.length && !withToken.length) hit("passed through without the token");
  if (o.sent.length && !withToken.length && /\.(\/|$)/.test(s.url.split("/")[2] ?? "")) hit("trailing-dot host without the token");
  if (o.sent.length && !withToken.length && s.url.includes("@")) hit("userinfo without the token");
  if (o.result && o.result.status !== 200 && !o.sent.length) hit("refused before sending");
  if (o.rejection !== undefined) hit("rejected as fetch would");
}

