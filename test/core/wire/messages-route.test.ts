// The request path on Kimi's Anthropic-compatible route (POST {base}/messages), over real loopback
// HTTP: credentials per Kimi's docs, the same token rules, refresh and error explanation as /chat/completions.
import { afterAll, describe, expect, test } from "bun:test";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";
import { createRequestFetch, isMessagesRoute, type RequestPathDeps } from "../../../src/core/wire/request.ts";
import { triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import type { QuotaWindow } from "../../../src/core/usage/usage.ts";

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}
const seen: Seen[] = [];
let answer: (n: number) => Response = () => new Response("ok");
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    seen.push({ path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers), body: await req.text() });
    return answer(seen.length);
  },
});
afterAll(() => server.stop(true));
const BASE = `http://127.0.0.1:${server.port}/coding/v1`;
const MESSAGES = `${BASE}/messages`;
const CHAT = `${BASE}/chat/completions`;

function reset(fn: (n: number) => Response = () => new Response("ok")) {
  seen.length = 0;
  answer = fn;
}

const oauth = (access: string): Credential => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 900_000, apiBase: BASE });
const apiKey: Credential = { type: "api", key: "sk-kimi-0123456789", apiBase: BASE };

function make(first: Credential, renewed?: Credential, over: Partial<RequestPathDeps> = {}) {
  const refreshed: string[] = [];
  const f = createRequestFetch({
    identity: createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" }),
    configuredApiBase: BASE,
    keeper: {
      credential: async () => first,
      forceRefresh: async (rejected) => {
        refreshed.push(rejected);
        if (!renewed) throw new Error("no renewal scripted");
        return renewed;
      },
    },
    ...over,
  });
  return { f, refreshed };
}

/** What opencode 1.18.33's bundled @ai-sdk/anthropic sends with the loader's empty apiKey. */
const SDK_HEADERS = {
  "content-type": "application/json",
  "anthropic-version": "2023-06-01",
  "x-api-key": "",
  "user-agent": "opencode/1.18.33 ai-sdk/provider-utils/4.0.46 runtime/bun/1.3.14",
  "x-session-id": "ses_1",
};
const BODY = JSON.stringify({ model: "kimi-for-coding", max_tokens: 32000, messages: [{ role: "user", content: "hi" }], stream: true });

const GATE = {
  type: "error",
  error: {
    type: "access_terminated_error",
    message: "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.",
  },
};

describe("credentials on /messages", () => {
  test("an OAuth token goes as the bearer; the SDK's x-api-key is dropped; anthropic-version and opencode's UA stay", async () => {
    reset();
    const res = await make(oauth("ACCESS-1")).f(MESSAGES, { method: "POST", headers: SDK_HEADERS, body: BODY });
    expect(res.status).toBe(200);
    const h = seen[0]!.headers;
    expect(seen[0]!.path).toBe("/coding/v1/messages");
    expect(h.authorization).toBe("Bearer ACCESS-1");
    expect(h["x-api-key"]).toBeUndefined();
    expect(h["anthropic-version"]).toBe("2023-06-01");
    expect(h["user-agent"]).toBe(SDK_HEADERS["user-agent"]);
    expect(seen[0]!.body).toBe(BODY);
  });

  test("an API key goes in x-api-key (Kimi's documented header on this route), with no Authorization", async () => {
    reset();
    await make(apiKey).f(MESSAGES, { method: "POST", headers: { ...SDK_HEADERS, authorization: "Bearer dummy" }, body: BODY });
    expect(seen[0]!.headers["x-api-key"]).toBe("sk-kimi-0123456789");
    expect(seen[0]!.headers.authorization).toBeUndefined();
    // The OpenAI route keeps the bearer for the same key.
    reset();
    await make(apiKey).f(CHAT, { method: "POST", body: "{}" });
    expect(seen[0]!.headers.authorization).toBe("Bearer sk-kimi-0123456789");
    expect(seen[0]!.headers["x-api-key"]).toBeUndefined();
  });

  test("the token stays home: a /messages URL on another origin goes out untouched", async () => {
    reset();
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => Response.json(Object.fromEntries(req.headers)) });
    try {
      const res = await make(oauth("SECRET")).f(`http://127.0.0.1:${other.port}/v1/messages`, { method: "POST", headers: SDK_HEADERS, body: BODY });
      const headers = (await res.json()) as Record<string, string>;
      expect(headers.authorization).toBeUndefined();
      expect(headers["x-api-key"]).toBe("");
      expect(JSON.stringify(headers)).not.toContain("SECRET");
    } finally {
      other.stop(true);
    }
  });

  test("a 401 gets one forced refresh and one retry with the same body", async () => {
    reset((n) => (n === 1 ? Response.json({ type: "error", error: { type: "invalid_authentication_error", message: "expired" } }, { status: 401 }) : new Response("ok")));
    const { f, refreshed } = make(oauth("OLD"), oauth("NEW"));
    const res = await f(MESSAGES, { method: "POST", headers: SDK_HEADERS, body: BODY });
    expect(res.status).toBe(200);
    expect(refreshed).toEqual(["OLD"]);
    expect(seen.map((s) => s.headers.authorization)).toEqual(["Bearer OLD", "Bearer NEW"]);
    expect(seen[1]!.body).toBe(BODY);
  });
});

describe("errors on /messages", () => {
  test("Kimi's Anthropic-envelope 403 gate is explained; the answer parses as an Anthropic error too", async () => {
    reset(() => Response.json(GATE, { status: 403 }));
    const res = await make(oauth("A")).f(MESSAGES, { method: "POST", headers: SDK_HEADERS, body: BODY });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("kimi_client_not_allowed");
    expect(body.error.message).toContain("Coding Agents");
    // Already on the Anthropic route: no advice to switch to it.
    expect(body.error.message).not.toContain('protocol: "anthropic"');
    expect(triggersOpencodeRetry(JSON.stringify(body))).toBe(false);
  });

  test("the OpenAI route's 403 gate names protocol: \"anthropic\" as the honest alternative", async () => {
    reset(() => Response.json({ error: { message: GATE.error.message, type: "access_terminated_error" } }, { status: 403 }));
    const res = await make(oauth("A")).f(CHAT, { method: "POST", body: "{}" });
    const body = (await res.json()) as { type: string; error: { message: string } };
    expect(body.type).toBe("error");
    expect(body.error.message).toContain('protocol: "anthropic"');
    expect(body.error.message).toContain("KIMI_CODE_PROTOCOL=anthropic");
    expect(triggersOpencodeRetry(body.error.message)).toBe(false);
  });

  test("402 and a 429 with the quota exhausted for hours are explained as on the OpenAI route", async () => {
    reset(() => Response.json({ type: "error", error: { type: "membership_expired_error", message: "membership expired" } }, { status: 402 }));
    const r402 = await make(apiKey).f(MESSAGES, { method: "POST", headers: SDK_HEADERS, body: BODY });
    expect(r402.status).toBe(402);
    expect(((await r402.json()) as { error: { type: string } }).error.type).toBe("kimi_membership_expired");

    const windows: QuotaWindow[] = [
      { label: "5h limit", used: 300, limit: 300, remaining: 0, resetAt: new Date(Date.now() + 3 * 3600_000), unit: "count" },
    ];
    reset(() => Response.json({ type: "error", error: { type: "rate_limit_reached_error", message: "limit" } }, { status: 429, headers: { "retry-after": "10800" } }));
    const r429 = await make(oauth("A"), undefined, { quota: async () => windows }).f(MESSAGES, { method: "POST", headers: SDK_HEADERS, body: BODY });
    expect(r429.status).toBe(403);
    expect(r429.headers.get("retry-after")).toBeNull();
    const e = ((await r429.json()) as { error: { type: string; message: string } }).error;
    expect(e.type).toBe("kimi_quota_exhausted");
    expect(e.message).toContain("5-hour usage limit is used up");
  });
});

test("isMessagesRoute: only the /messages endpoint", () => {
  expect(isMessagesRoute("https://api.kimi.com/coding/v1/messages")).toBe(true);
  expect(isMessagesRoute("https://api.kimi.com/coding/v1/messages?beta=true")).toBe(true);
  expect(isMessagesRoute("https://api.kimi.com/coding/v1/chat/completions")).toBe(false);
  expect(isMessagesRoute("https://api.kimi.com/coding/v1/models")).toBe(false);
  expect(isMessagesRoute("not a url")).toBe(false);
});
