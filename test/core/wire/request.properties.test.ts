// Properties of the request path (issue 14 §4) over arbitrary inputs: string | URL | Request, headers as
// Headers / object / tuples, every body kind, any URL (look-alikes, userinfo, dot segments, mixed case,
// trailing dots). The inner fetch is the `fetch` seam of createRequestFetch: it builds the Request
// exactly as fetch would (`new Request(input, init)`; what that throws, fetch rejects with) and records
// its URL, headers and body bytes, so no network is involved and look-alike hosts can be real names.
//
// Decisions the properties encode (AGENTS.md contract 12):
// - "Same origin" is the URL parser's: scheme, host and port after normalisation. `https://API.Kimi.COM`,
//   `https://api.kimi.com:443` and a percent-encoded host are the real origin (the parser lowercases and
//   decodes hosts, so fetch itself would go there): they get the token. A trailing dot
//   (`api.kimi.com.`) is a different origin for the parser and gets no token, nor do userinfo,
//   look-alike hosts, another scheme or port, or a path outside the base after dot-segment resolution.
// - Private headers are the `x-opencode-kimi-*` namespace: they leave for no destination. Headers the
//   plugin adds (its bearer, the identity's User-Agent and X-Msh-*) go only under the credential's base;
//   everywhere else the caller's headers pass as the caller wrote them (an Authorization the caller set
//   itself is its own business, and is never our token).
// - Body: the bytes the inner fetch receives are those plain fetch would have sent for the same input
//   (multipart compared with the boundary named in each request's own Content-Type), on every send,
//   the 401 retry included.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRequestFetch } from "../../../src/core/wire/request.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import {
  ACCESS, BASE, canonical, credentialOf, DEVICE_ID, identities, KEY, reached, record, REFRESH, RENEWED,
  run, sameBoundary, scenario, SECRETS, underBase, type Outcome, type Scenario, type Sent,
} from "./request-scenarios.ts";

const SEED = 1402;
const RUNS = 250;
// A seed per property, so the five properties see 5 × RUNS different scenarios.
let nextSeed = SEED;
const params = () => ({ seed: nextSeed++, numRuns: RUNS });
const asyncProperty = (check: (s: Scenario, o: Outcome) => Promise<void> | void) =>
  fc.asyncProperty(scenario, async (s) => check(s, await run(s)));

// ---- properties -----------------------------------------------------------------------------------

describe("request path properties (fixed seed)", () => {
  test("(a) never throws into opencode: a Response, or exactly what fetch itself rejected with (an abort included)", async () => {
    await fc.assert(
      asyncProperty(async (_s, o) => {
        if (o.rejection === undefined) {
          expect(o.result).toBeInstanceOf(Response);
          return;
        }
        const own = o.innerErrors.includes(o.rejection) || (o.abortReason !== undefined && o.rejection === o.abortReason);
        expect({ own, rejection: String(o.rejection) }).toEqual({ own: true, rejection: String(o.rejection) });
      }),
      params(),
    );
  });

  test("(b) the token goes only to the credential's own origin and base, and only in its own header", async () => {
    await fc.assert(
      asyncProperty(async (s, o) => {
        const credential = credentialOf(s);
        for (const req of o.sent) {
          const ours = underBase(req.url, credential.apiBase);
          const carrying = req.headers.filter(([, v]) => SECRETS.some((t) => v.includes(t)));
          if (!ours) {
            expect({ url: req.url, carrying }).toEqual({ url: req.url, carrying: [] });
          } else {
            // Exactly our own credential header carries a secret there, and it is the credential's.
            const expected = credential.type === "api" ? [KEY] : [ACCESS, RENEWED];
            expect(carrying.length).toBe(1);
            expect(["authorization", "x-api-key"]).toContain(carrying[0]![0]);
            expect(expected.some((t) => carrying[0]![1] === t || carrying[0]![1] === `Bearer ${t}`)).toBe(true);
          }
          for (const t of SECRETS) expect(req.url.includes(t)).toBe(false);
          expect(canonical(req, false).includes(REFRESH)).toBe(false);
        }
        // The token is sent at all only when the request is under the credential's base.
        if (o.sent.some((r) => r.headers.some(([, v]) => v.includes(ACCESS) || v.includes(KEY)))) {
          expect(underBase(o.sent[0]!.url, credential.apiBase)).toBe(true);
        }
      }),
      params(),
    );
  });

  test("(c) no private header leaves; the plugin's headers go only under the base; elsewhere the caller's pass as written", async () => {
    await fc.assert(
      asyncProperty(async (s, o) => {
        const credential = credentialOf(s);
        for (const req of o.sent) {
          const names = req.headers.map(([n]) => n);
          expect(names.filter((n) => n.startsWith("x-opencode-kimi-"))).toEqual([]);
          if (underBase(req.url, credential.apiBase)) {
            // The plugin owns the credential headers: the caller's authorization / x-api-key never pass.
            const owned = req.headers.filter(([n]) => n === "authorization" || n === "x-api-key");
            expect(owned.length).toBe(1);
            expect(SECRETS.some((t) => owned[0]![1].includes(t))).toBe(true);
          } else {
            // Nothing of ours: no bearer of ours, no identity value (kimi-cli's device id, User-Agent).
            expect(req.headers.filter(([, v]) => v.includes(DEVICE_ID) || v.startsWith("KimiCLI/"))).toEqual([]);
            const caller = o.expected as Sent | Error;
            if (caller instanceof Error) continue;
            const callerHeaders = caller.headers.filter(([n]) => !n.startsWith("x-opencode-kimi-"));
            expect(req.headers.map(sameBoundary)).toEqual(callerHeaders.map(sameBoundary));
          }
        }
      }),
      params(),
    );
  });

  test("(d) the body bytes that reach fetch are those plain fetch would send, on every send", async () => {
    await fc.assert(
      asyncProperty(async (s, o) => {
        if (o.sent.length === 0) return;
        expect(o.expected).not.toBeInstanceOf(Error);
        const expected = o.expected as Sent;
        const multipart = s.body.kind === "formdata";
        for (const req of o.sent) {
          if (multipart) expect(canonical(req, true)).toBe(canonical(expected, true));
          else expect(req.body).toEqual(expected.body);
        }
      }),
      params(),
    );
  });

  test("no secret in any log line or in any answer the plugin makes", async () => {
    await fc.assert(
      asyncProperty(async (_s, o) => {
        const texts = [...o.logs];
        if (o.result && o.result.status !== 200) texts.push(await o.result.text());
        if (o.rejection !== undefined) texts.push(String(o.rejection), String((o.rejection as Error)?.stack ?? ""));
        for (const t of texts) for (const secret of SECRETS) expect(t.includes(secret)).toBe(false);
      }),
      params(),
    );
  });
});

test("the scenarios reached every case the properties are about", () => {
  const kinds = ["none", "string", "uint8", "arraybuffer", "dataview", "stream", "params", "formdata", "blob"];
  const needed = [
    ...kinds.map((k) => `token sent, ${k} body, request input`),
    ...kinds.map((k) => `token sent, ${k} body, string input`),
    "token sent to a mixed-case host",
    "401 retry sent",
    "passed through without the token",
    "trailing-dot host without the token",
    "userinfo without the token",
    "refused before sending",
    "rejected as fetch would",
  ];
  expect(needed.filter((what) => !reached.get(what))).toEqual([]);
});

// Shrunk counterexamples, kept as plain tests.
describe("regressions found by the properties", () => {
  const plain = async (input: RequestInfo | URL, init?: RequestInit) => {
    const sent: Sent[] = [];
    const inner = (async (i: RequestInfo | URL, n?: RequestInit) => {
      sent.push(await record(i, n));
      return new Response("ok");
    }) as typeof fetch;
    const credential: Credential = { type: "oauth", access: ACCESS, refresh: REFRESH, expires: Date.now() + 900_000, apiBase: BASE };
    const f = createRequestFetch({ keeper: { credential: async () => credential, forceRefresh: async () => credential }, identity: identities.opencode!, configuredApiBase: BASE, fetch: inner });
    const res = await f(input, init);
    return { res, sent };
  };

  test("a private header does not leave with a request passed through to another origin (string input)", async () => {
    const { res, sent } = await plain("https://evil.example/https://api.kimi.com/coding/v1/", { method: "POST", headers: new Headers({ "x-opencode-kimi-variant": "!", "x-keep": "1" }) });
    expect(res.status).toBe(200);
    expect(sent.length).toBe(1);
    expect(sent[0]!.headers).toEqual([["x-keep", "1"]]);
  });

  test("a passed-through Request whose only header is private goes without it (bun keeps a Request's headers when init's are empty)", async () => {
    const { sent } = await plain(new Request("https://API.KIMI.COM./coding/v1/", { method: "POST", headers: [["X-Opencode-Kimi-Probe", "!"]] }));
    expect(sent.length).toBe(1);
    expect(sent[0]!.headers).toEqual([]);
  });

  test("a private header does not leave with a passed-through Request; its body and other headers do", async () => {
    const request = new Request("https://api.kimi.com.evil.example/coding/v1/chat/completions", {
      method: "POST",
      headers: { "X-Opencode-Kimi-Probe": "1", "content-type": "application/json" },
      body: '{"a":1}',
    });
    const { sent } = await plain(request);
    expect(sent.length).toBe(1);
    expect(sent[0]!.headers).toEqual([["content-type", "application/json"]]);
    expect(new TextDecoder().decode(sent[0]!.body)).toBe('{"a":1}');
    expect(sent[0]!.url).toBe("https://api.kimi.com.evil.example/coding/v1/chat/completions");
  });
});
