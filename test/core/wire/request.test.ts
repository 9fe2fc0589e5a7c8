// The request path over real loopback HTTP: a small server records what actually arrives.
import { afterAll, describe, expect, test } from "bun:test";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";
import { retryAfterMs } from "../../../src/core/wire/explain.ts";
import { createRequestFetch, type RequestPathDeps } from "../../../src/core/wire/request.ts";
import { triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import type { QuotaWindow } from "../../../src/core/usage/usage.ts";
import { tempDir } from "../../helpers/tmp.ts";

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}
const seen: Seen[] = [];
let answer: (req: Request, n: number) => Response = () => new Response("ok");
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    seen.push({ path: url.pathname, headers: Object.fromEntries(req.headers), body: await req.text() });
    return answer(req, seen.length);
  },
});
afterAll(() => server.stop(true));
const ORIGIN = `http://127.0.0.1:${server.port}`;
const BASE = `${ORIGIN}/coding/v1`;
const CHAT = `${BASE}/chat/completions`;

function reset(fn: (req: Request, n: number) => Response = () => new Response("ok")) {
  seen.length = 0;
  answer = fn;
}

function keeper(first: Credential, renewed?: Credential) {
  const calls = { credential: 0, forceRefresh: [] as string[] };
  return {
    calls,
    credential: async () => {
      calls.credential++;
      return first;
    },
    forceRefresh: async (rejected: string) => {
      calls.forceRefresh.push(rejected);
      if (!renewed) throw new Error("no renewal scripted");
      return renewed;
    },
  };
}

const oauth = (access: string): Credential => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 900_000, apiBase: BASE });
const opencodeIdentity = createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" });

function make(over: Partial<RequestPathDeps> & Pick<RequestPathDeps, "keeper">) {
  return createRequestFetch({ identity: opencodeIdentity, configuredApiBase: BASE, ...over });
}

const OPENCODE_HEADERS = {
  "content-type": "application/json",
  "user-agent": "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14",
  Authorization: "Bearer opencode-oauth-dummy-key",
  "x-api-key": "leak-me-not",
  "x-session-id": "ses_1",
  "x-opencode-kimi-variant": "high",
};

describe("header ownership", () => {
  test("the plugin's bearer replaces the caller's; x-api-key and private headers never leave; opencode's UA stays", async () => {
    reset();
    const f = make({ keeper: keeper(oauth("ACCESS-1")) });
    const res = await f(CHAT, { method: "POST", headers: OPENCODE_HEADERS, body: "{}" });
    expect(res.status).toBe(200);
    const h = seen[0]!.headers;
    expect(h.authorization).toBe("Bearer ACCESS-1");
    expect(h["x-api-key"]).toBeUndefined();
    expect(Object.keys(h).filter((k) => k.startsWith("x-opencode-kimi-"))).toEqual([]);
    expect(h["user-agent"]).toBe(OPENCODE_HEADERS["user-agent"]);
    expect(Object.keys(h).filter((k) => k.startsWith("x-msh-"))).toEqual([]);
    expect(h["x-session-id"]).toBe("ses_1");
  });

  test("the kimi-cli profile sends KimiCLI/1.49.0 and the six X-Msh headers", async () => {
    reset();
    const identity = createIdentity("kimi-cli", {
      kimiShareDir: await tempDir(),
      deviceId: "0123456789abcdef0123456789abcdef",
      facts: { system: "Linux", release: "6.1.0", version: "#1 SMP", machine: "x86_64", hostname: "box" },
    });
    const f = make({ keeper: keeper(oauth("A")), identity });
    await f(CHAT, { method: "POST", headers: OPENCODE_HEADERS, body: "{}" });
    const h = seen[0]!.headers;
    expect(h["user-agent"]).toBe("KimiCLI/1.49.0");
    expect(h["x-msh-platform"]).toBe("kimi_cli");
    expect(h["x-msh-version"]).toBe("1.49.0");
    expect(h["x-msh-device-name"]).toBe("box");
    expect(h["x-msh-device-model"]).toBe("Linux 6.1.0 x86_64");
    expect(h["x-msh-os-version"]).toBe("#1 SMP");
    expect(h["x-msh-device-id"]).toBe("0123456789abcdef0123456789abcdef");
    expect(h.authorization).toBe("Bearer A");
  });

  test("a Request object's headers and body are honoured", async () => {
    reset();
    const f = make({ keeper: keeper(oauth("A")) });
    await f(new Request(CHAT, { method: "POST", headers: { "x-custom": "1", authorization: "Bearer no" }, body: "payload" }));
    expect(seen[0]!.headers["x-custom"]).toBe("1");
    expect(seen[0]!.headers.authorization).toBe("Bearer A");
    expect(seen[0]!.body).toBe("payload");
  });

  test("init's headers replace a Request's, as fetch(request, init) does (even empty ones)", async () => {
    reset();
    const f = make({ keeper: keeper(oauth("A")) });
    const request = () => new Request(CHAT, { method: "POST", headers: { "x-from-request": "1" }, body: "payload" });
    await f(request(), { headers: { "x-from-init": "2" } });
    await f(request(), { headers: {} });
    const [replaced, emptied] = [seen[0]!.headers, seen[1]!.headers];
    expect([replaced["x-from-request"], replaced["x-from-init"], replaced.authorization]).toEqual([undefined, "2", "Bearer A"]);
    expect([emptied["x-from-request"], emptied.authorization]).toEqual([undefined, "Bearer A"]);
  });
});

describe("the token stays home", () => {
  test("a request to another origin goes out untouched and without our token", async () => {
    reset();
    // The credential belongs to Kimi's real base; the loopback server is somewhere else.
    const k = keeper({ ...oauth("SECRET"), apiBase: "https://api.kimi.com/coding/v1" });
    const f = createRequestFetch({ keeper: k, identity: opencodeIdentity, configuredApiBase: "https://api.kimi.com/coding/v1" });
    await f(`${ORIGIN}/elsewhere`, { headers: { authorization: "Bearer theirs", "x-api-key": "theirs" } });
    expect(seen[0]!.headers.authorization).toBe("Bearer theirs");
    expect(seen[0]!.headers["x-api-key"]).toBe("theirs");
    expect(JSON.stringify(seen)).not.toContain("SECRET");
  });

  test("a base that merely starts with the same characters is another base", async () => {
    reset();
    const cred: Credential = { ...oauth("SECRET"), apiBase: `${ORIGIN}/coding` };
    const f = createRequestFetch({ keeper: keeper(cred), identity: opencodeIdentity, configuredApiBase: `${ORIGIN}/coding` });
    await f(`${ORIGIN}/coding-evil/chat/completions`, { method: "POST", body: "{}" });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  test("a login for one region is never sent to the configured other region", async () => {
    reset();
    const cred: Credential = { ...oauth("SECRET"), apiBase: "https://api.kimi.ai/coding/v1" };
    const f = createRequestFetch({ keeper: keeper(cred), identity: opencodeIdentity, configuredApiBase: BASE });
    const res = await f(CHAT, { method: "POST", body: "{}" });
    expect(seen).toHaveLength(0);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("https://api.kimi.ai/coding/v1");
    expect(body.error.message).toContain("region");
  });
});

describe("401: one forced refresh, one retry, same body", () => {
  test("a string body is replayed byte for byte", async () => {
    reset((req, n) => (n === 1 ? new Response("{}", { status: 401 }) : new Response("second")));
    const k = keeper(oauth("OLD"), oauth("NEW"));
    const res = await make({ keeper: k })(CHAT, { method: "POST", body: '{"a":"é"}' });
    expect(await res.text()).toBe("second");
    expect(k.calls.forceRefresh).toEqual(["OLD"]);
    expect(seen.map((s) => s.headers.authorization)).toEqual(["Bearer OLD", "Bearer NEW"]);
    expect(seen.map((s) => s.body)).toEqual(['{"a":"é"}', '{"a":"é"}']);
  });

  test("a stream body is buffered once and replayed", async () => {
    reset((req, n) => (n === 1 ? new Response("", { status: 401 }) : new Response("ok")));
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("chunk1-"));
        c.enqueue(new TextEncoder().encode("chunk2"));
        c.close();
      },
    });
    await make({ keeper: keeper(oauth("OLD"), oauth("NEW")) })(CHAT, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(seen.map((s) => s.body)).toEqual(["chunk1-chunk2", "chunk1-chunk2"]);
  });

  test("a second 401 is not retried again and says what to do", async () => {
    reset(() => new Response(JSON.stringify({ error: { message: "bad token", type: "invalid_authentication_error" } }), { status: 401 }));
    const k = keeper(oauth("OLD"), oauth("NEW"));
    const res = await make({ keeper: k })(CHAT, { method: "POST", body: "{}" });
    expect(seen).toHaveLength(2);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("even after a refresh");
    expect(body.error.message).toContain("opencode auth login");
  });

  test("a refresh that needs a new login becomes a 401 with the login hint", async () => {
    reset(() => new Response("", { status: 401 }));
    const { KimiError, messages } = await import("../../../src/core/support/errors.ts");
    const k = {
      credential: async () => oauth("OLD"),
      forceRefresh: async () => {
        throw new KimiError("login-required", messages.loginRequired("refresh token rejected"));
      },
    };
    const res = await make({ keeper: k })(CHAT, { method: "POST", body: "{}" });
    expect(seen).toHaveLength(1);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Kimi Code (device login)");
  });
});

describe("responses", () => {
  test("a successful response is the very object fetch returned (never read, cloned or buffered)", async () => {
    reset(() => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("data: x\n\n")); c.close(); } }), { headers: { "content-type": "text/event-stream" } }));
    const returned: Response[] = [];
    const spy: typeof fetch = Object.assign(async (u: RequestInfo | URL, i?: RequestInit) => {
      const r = await fetch(u, i);
      returned.push(r);
      return r;
    }, { preconnect: fetch.preconnect });
    const res = await make({ keeper: keeper(oauth("A")), fetch: spy })(CHAT, { method: "POST", body: "{}" });
    expect(res).toBe(returned[0]!);
    expect(res.bodyUsed).toBe(false);
  });

  test("403 access_terminated_error names the identity sent and the options", async () => {
    reset(() =>
      Response.json(
        { error: { message: "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.", type: "access_terminated_error" } },
        { status: 403 },
      ),
    );
    const res = await make({ keeper: keeper(oauth("A")) })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as { error: { message: string; type: string } };
    expect(error.type).toBe("kimi_client_not_allowed");
    expect(error.message).toContain(`as opencode's own User-Agent (identity profile "opencode")`);
    expect(error.message).toContain("Coding Agents");
    expect(error.message).toContain("API key");
    expect(error.message).toContain("suspended");
  });

  test("402 says the membership expired", async () => {
    reset(() => Response.json({ error: { message: "membership expired", type: "membership_expired_error" } }, { status: 402 }));
    const res = await make({ keeper: keeper(oauth("A")) })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(402);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/membership has expired.*Renew/);
  });

  const fiveHour = (resetInMs: number): QuotaWindow[] => [
    { label: "Weekly limit", used: 40, limit: 2000, remaining: 1960, resetAt: new Date(Date.now() + 86_400_000), unit: "count" },
    { label: "5h limit", used: 300, limit: 300, remaining: 0, resetAt: new Date(Date.now() + resetInMs), unit: "count" },
  ];
  const rateLimited = () =>
    reset(() => Response.json({ error: { message: "rate limit", type: "rate_limit_reached_error" } }, { status: 429, headers: { "retry-after": "7200" } }));

  test("429 with a quota window exhausted for hours: a final error at once, naming the window and its reset", async () => {
    rateLimited();
    const res = await make({ keeper: keeper(oauth("A")), quota: async () => fiveHour(2 * 3_600_000) })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(403); // not 429: opencode would sit out a Retry-After of hours
    expect(res.headers.get("retry-after")).toBeNull();
    const body = await res.text();
    const { error } = JSON.parse(body) as { error: { message: string; type: string } };
    expect(error.type).toBe("kimi_quota_exhausted");
    expect(error.message).toContain("5-hour usage limit is used up");
    expect(error.message).toMatch(/resets at \d\d:\d\d \(in 2 h\)/);
    expect(triggersOpencodeRetry(body)).toBe(false);
  });

  test("429 with a reset minutes away stays retryable, with Retry-After until the reset", async () => {
    reset(() => Response.json({ error: { message: "rate limit", type: "rate_limit_reached_error" } }, { status: 429 }));
    const res = await make({ keeper: keeper(oauth("A")), quota: async () => fiveHour(120_000) })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(120);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("5-hour usage limit is used up");
    expect(message).toContain("opencode waits until then and retries by itself");
  });

  test("429 with a short Retry-After and no quota information stays retryable, Retry-After kept", async () => {
    reset(() => Response.json({ error: { message: "slow down", type: "rate_limit_reached_error" } }, { status: 429, headers: { "retry-after": "30" } }));
    const res = await make({ keeper: keeper(oauth("A")), quota: async () => undefined })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("opencode retries by itself in 30 s");
  });

  test("429 asking to wait hours, with /usages unavailable: a final error at once, not a silent stall", async () => {
    rateLimited(); // Retry-After: 7200
    const res = await make({
      keeper: keeper(oauth("A")),
      quota: async () => {
        throw new Error("usages down");
      },
    })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(403);
    expect(res.headers.get("retry-after")).toBeNull();
    const body = await res.text();
    const { error } = JSON.parse(body) as { error: { message: string; type: string } };
    expect(error.type).toBe("kimi_wait_required");
    expect(error.message).toContain("asks to wait 2 h");
    expect(triggersOpencodeRetry(body)).toBe(false);
  });

  test("Retry-After is read as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Sun, 22 Nov 2026 12:00:00 GMT", now)).toBe(7_200_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("-5", now)).toBeUndefined();
  });

  test("final errors (401, 402, 403) never contain words that make opencode retry them", async () => {
    const cases: [number, unknown][] = [
      [403, { error: { message: "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.", type: "access_terminated_error" } }],
      [403, { error: { message: "internal server error 500", type: "server_error" } }],
      [402, { error: { message: "membership expired; try again later", type: "membership_expired_error" } }],
      [401, { error: { message: "token terminated", type: "invalid_authentication_error" } }],
    ];
    for (const [status, payload] of cases) {
      reset(() => Response.json(payload, { status }));
      const res = await make({ keeper: keeper(oauth("A"), oauth("B")) })(CHAT, { method: "POST", body: "{}" });
      expect(res.status).toBe(status);
      const body = await res.text();
      expect(triggersOpencodeRetry(body)).toBe(false);
    }
  });

  test("other errors pass through untouched", async () => {
    reset(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const res = await make({ keeper: keeper(oauth("A")) })(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe("<html>bad gateway</html>");
  });
});

describe("API keys", () => {
  test("a Kimi Code key is sent as the bearer", async () => {
    reset();
    await make({ keeper: keeper({ type: "api", key: "sk-kimi-0123456789", apiBase: BASE }) })(CHAT, { method: "POST", body: "{}" });
    expect(seen[0]!.headers.authorization).toBe("Bearer sk-kimi-0123456789");
  });

  test("a key that is obviously not a Kimi Code key is never sent, and the error says where to get one", async () => {
    reset();
    const res = await make({ keeper: keeper({ type: "api", key: "sk-proj-openai", apiBase: BASE }) })(CHAT, { method: "POST", body: "{}" });
    expect(seen).toHaveLength(0);
    expect(res.status).toBe(401);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("sk-kimi-");
    expect(message).toContain("https://www.kimi.com/code");
  });
});
