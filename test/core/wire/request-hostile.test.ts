// The request path against hostile or broken input (issue 8 F1, F4, base look-alikes, redirects):
// nothing throws into opencode, no error text holds a secret, the token goes nowhere but its own base.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";
import * as requestPath from "../../../src/core/wire/request.ts";
import { createRequestFetch, type RequestPathDeps } from "../../../src/core/wire/request.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import { triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";

const seen: Array<{ path: string; authorization: string | null }> = [];
let answer: (req: Request) => Response = () => new Response("ok");
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    seen.push({ path: new URL(req.url).pathname, authorization: req.headers.get("authorization") });
    return answer(req);
  },
});
afterAll(() => server.stop(true));
const ORIGIN = `http://127.0.0.1:${server.port}`;
const BASE = `${ORIGIN}/coding/v1`;
const CHAT = `${BASE}/chat/completions`;

function reset(fn: (req: Request) => Response = () => new Response("ok")) {
  seen.length = 0;
  answer = fn;
}

// Through the namespace, so this file still loads (and fails test by test) where isUnder is not exported.
const isUnder = (url: string, base: string): boolean => requestPath.isUnder(url, base);
const opencodeIdentity = createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" });

function make(first: Credential, renewed?: Credential, over: Partial<RequestPathDeps> = {}) {
  const keeper = {
    credential: async () => first,
    forceRefresh: async () => {
      if (!renewed) throw new Error("no renewal scripted");
      return renewed;
    },
  };
  return createRequestFetch({ identity: opencodeIdentity, configuredApiBase: BASE, keeper, ...over });
}

const post = (f: ReturnType<typeof make>, url = CHAT) =>
  f(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

/** Collects log lines while `fn` runs. */
async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    return { value: await fn(), lines };
  } finally {
    restore();
  }
}

// Characters a bearer token cannot carry, each as it arrives from a copy-paste or a broken file.
const BAD_CHARS: Record<string, string> = {
  "zero-width space": "\u200b",
  "byte-order mark": "\ufeff",
  CR: "\r",
  LF: "\n",
  NUL: "\0",
  "U+0100": "\u0100",
  "CJK character": "\u4e2d",
};
const SECRET_TAIL = "SECRETTAIL0123456789abcdef";

describe("F1: a credential HTTP cannot carry", () => {
  for (const [name, ch] of Object.entries(BAD_CHARS)) {
    for (const type of ["api", "oauth"] as const) {
      test(`${type} credential with ${name}: a final error naming the problem, no secret, nothing sent`, async () => {
        reset();
        const token = type === "api" ? `sk-kimi-abcdefgh${ch}${SECRET_TAIL}` : `eyJhbGciOi.eyJzdWIi${ch}${SECRET_TAIL}.sig`;
        const credential: Credential =
          type === "api"
            ? { type: "api", key: token, apiBase: BASE }
            : { type: "oauth", access: token, refresh: "r", expires: Date.now() + 900_000, apiBase: BASE };
        const { value: res, lines } = await logged(() => post(make(credential)));
        expect(res.status).toBe(401);
        const text = await res.text();
        const body = JSON.parse(text) as { error: { message: string; type: string } };
        expect(body.error.type).toBe("kimi_bad_credential");
        expect(body.error.message).toContain("invisible or invalid character");
        expect(body.error.message).toMatch(type === "api" ? /Paste the key again/ : /Log in again/);
        expect(triggersOpencodeRetry(body.error.message)).toBe(false);
        for (const out of [text, ...lines]) expect(out).not.toContain(SECRET_TAIL);
        expect(seen).toEqual([]);
      });
    }
  }

  test("a renewed token HTTP cannot carry (the 401 retry) is refused the same way, nothing thrown", async () => {
    reset(() => new Response("{}", { status: 401 }));
    const first: Credential = { type: "oauth", access: "eyJ.a.b", refresh: "r", expires: Date.now() + 900_000, apiBase: BASE };
    const renewed: Credential = { ...first, access: `eyJ.x\r\n${SECRET_TAIL}.y` };
    const res = await post(make(first, renewed));
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain("invisible or invalid character");
    expect(text).not.toContain(SECRET_TAIL);
    expect(seen.length).toBe(1);
  });

  test("kimi-cli profile: a device_id with an inner newline gives a final error naming the file, nothing sent", async () => {
    reset();
    const identity = createIdentity("kimi-cli", {
      kimiShareDir: "/nonexistent-never-read",
      deviceId: "0123456789abcdef\n0123456789abcdef",
      facts: { system: "Linux", release: "6.1.0", version: "#1 SMP", machine: "x86_64", hostname: "devbox" },
    });
    const credential: Credential = { type: "api", key: "sk-kimi-abcdefghijklmnop", apiBase: BASE };
    const res = await post(make(credential, undefined, { identity }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe("kimi_bad_header");
    expect(body.error.message).toContain("X-Msh-Device-Id");
    expect(body.error.message).toContain("device_id");
    expect(body.error.message).not.toContain("0123456789abcdef");
    expect(seen).toEqual([]);
  });

  test("an error the runtime throws that quotes the token is re-thrown with the token masked, same name", async () => {
    const key = "sk-kimi-abcdefghijklmnop";
    const credential: Credential = { type: "api", key, apiBase: BASE };
    const throwing = (async () => {
      throw new TypeError(`Header 'authorization' has invalid value: 'Bearer ${key}'`);
    }) as unknown as typeof fetch;
    const error = await post(make(credential, undefined, { fetch: throwing })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.name).toBe("TypeError");
    expect(error!.message).not.toContain(key);
    expect(error!.message).toContain("[redacted]");
  });
});

describe("F4: contract 12 on every send, the 401 retry included", () => {
  test("a renewed credential adopted for another base is never sent to this one", async () => {
    reset(() => new Response("{}", { status: 401 }));
    const first: Credential = { type: "oauth", access: "eyJ.first.x", refresh: "r", expires: Date.now() + 900_000, apiBase: BASE };
    const renewed: Credential = { ...first, access: "eyJ.OTHER-REGION.x", apiBase: "https://api.kimi.ai/coding/v1" };
    const res = await post(make(first, renewed));
    expect(seen.map((s) => s.authorization)).toEqual(["Bearer eyJ.first.x"]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("kimi_wrong_base");
    expect(body.error.message).toContain("https://api.kimi.ai/coding/v1");
  });

  test("a renewed credential for the same base is sent on the retry", async () => {
    let n = 0;
    reset(() => (++n === 1 ? new Response("{}", { status: 401 }) : new Response("ok")));
    const first: Credential = { type: "oauth", access: "eyJ.first.x", refresh: "r", expires: Date.now() + 900_000, apiBase: BASE };
    const res = await post(make(first, { ...first, access: "eyJ.second.x" }));
    expect(res.status).toBe(200);
    expect(seen.map((s) => s.authorization)).toEqual(["Bearer eyJ.first.x", "Bearer eyJ.second.x"]);
  });
});

describe("base matching on parsed URLs", () => {
  test("dot segments, look-alike hosts, userinfo and partial segments are not under the base", () => {
    const base = "https://api.kimi.com/coding/v1";
    for (const url of [
      `${base}/../x`,
      `${base}/%2e%2e/x`,
      `${base}/./../../x`,
      "https://api.kimi.com/coding/v1x/chat",
      "https://api.kimi.com.evil.com/coding/v1/chat",
      "https://api.kimi.com@evil.com/coding/v1/chat",
      "https://evil.com/https://api.kimi.com/coding/v1",
      "http://api.kimi.com/coding/v1/chat",
      "https://api.kimi.com:8443/coding/v1/chat",
      "not a url",
    ]) {
      expect([url, isUnder(url, base)]).toEqual([url, false]);
    }
    for (const url of [base, `${base}/`, `${base}/chat/completions`, `${base}?a=1`, "https://API.Kimi.com:443/coding/v1/models", `${base}/x/../chat`]) {
      expect([url, isUnder(url, base)]).toEqual([url, true]);
    }
  });

  test("the request path never sends the token to a URL that escapes the base (<base>/../x)", async () => {
    reset();
    const credential: Credential = { type: "api", key: "sk-kimi-abcdefghijklmnop", apiBase: BASE };
    await post(make(credential), `${BASE}/../../x`);
    expect(seen.length).toBe(1);
    expect(seen[0]!.path).toBe("/x");
    expect(seen[0]!.authorization).toBeNull();
  });

  test("property: a URL is under the base only if its parsed origin and leading path segments are the base's", () => {
    const seg = fc.stringMatching(/^[a-zA-Z0-9._%-]{0,6}$/);
    fc.assert(
      fc.property(fc.array(fc.oneof(seg, fc.constantFrom("..", ".", "%2e%2e", "v1", "coding")), { maxLength: 6 }), fc.constantFrom("https://api.kimi.com", "https://API.kimi.com", "https://api.kimi.com.evil", "http://api.kimi.com"), (parts, origin) => {
        const url = `${origin}/coding/v1/${parts.join("/")}`;
        const parsed = new URL(url);
        const expected = parsed.origin === "https://api.kimi.com" && (parsed.pathname === "/coding/v1" || parsed.pathname.startsWith("/coding/v1/"));
        expect(isUnder(url, "https://api.kimi.com/coding/v1")).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe("redirects are never followed", () => {
  test("a 307 from the API base gets a final error; the redirect target never sees the token or the body", async () => {
    const target = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("stolen") });
    try {
      let hits = 0;
      reset(() => new Response(null, { status: 307, headers: { location: `http://127.0.0.1:${target.port}/steal` } }));
      const credential: Credential = { type: "api", key: "sk-kimi-abcdefghijklmnop", apiBase: BASE };
      const countingFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
        hits++;
        return fetch(input, init);
      }) as typeof fetch;
      const res = await post(make(credential, undefined, { fetch: countingFetch }));
      expect(hits).toBe(1);
      expect(seen.length).toBe(1);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe("kimi_redirect");
      expect(body.error.message).toContain("redirect");
      expect(triggersOpencodeRetry(body.error.message)).toBe(false);
    } finally {
      target.stop(true);
    }
  });
});
