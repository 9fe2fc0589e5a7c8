// Every row of Kimi's error table, sent exactly as Kimi sends it through the plugin's fetch (loopback
// server answering chat and /usages): the class the user is told, whether opencode retries (status,
// type, Retry-After) and that the identity advice belongs to the client gate alone.
import { afterAll, describe, expect, test } from "bun:test";
import { messages, triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import { setLogSink } from "../../../src/core/support/log.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import { fetchUsage } from "../../../src/core/usage/usage.ts";
import { BusyStreak } from "../../../src/core/wire/busy-streak.ts";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";
import { classifyKimiError, KIMI_ERROR_TABLE, type KimiErrorClass } from "../../../src/core/wire/kimi-errors.ts";
import { createRequestFetch, type RequestPathDeps } from "../../../src/core/wire/request.ts";
import { answer, bodyOf, hasIdentityAdvice, KIMI_ANSWERS, type KimiAnswer } from "../../helpers/kimi-error-answers.ts";

const NOW = Date.parse("2026-12-02T10:00:00Z");
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The production /usages body (kimi-code-official.md): counted `usage` + `limits[]`, the `usages` ratio map, the wallet. */
function productionUsages(o: { weeklyUsed?: number; fiveHourUsed?: number; weeklyRatio?: number; fiveHourReset?: number; monthRatio?: number } = {}) {
  const weeklyReset = NOW + 2 * 24 * HOUR + 5 * HOUR;
  const fiveHourReset = o.fiveHourReset ?? NOW + 3 * HOUR;
  const weeklyUsed = o.weeklyUsed ?? 26;
  const fiveUsed = o.fiveHourUsed ?? 27;
  return {
    usage: { limit: "100", used: String(weeklyUsed), remaining: String(100 - weeklyUsed), resetTime: iso(weeklyReset) },
    limits: [{ window: { duration: 300, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: "100", used: String(fiveUsed), remaining: String(100 - fiveUsed), resetTime: iso(fiveHourReset) } }],
    parallel: { limit: "30" },
    totalQuota: {},
    subType: "TYPE_PURCHASE",
    usages: {
      limit_5h: { used_ratio: fiveUsed / 100, reset_time: iso(fiveHourReset) },
      limit_7d: { used_ratio: o.weeklyRatio ?? weeklyUsed / 100, reset_time: iso(weeklyReset) },
      ...(o.monthRatio !== undefined ? { limit_month_total: { used_ratio: o.monthRatio, reset_time: iso(NOW + 20 * 24 * HOUR) } } : {}),
    },
    boosterWallet: { status: "STATUS_DISABLED" },
  };
}

let chatAnswer: () => Response = () => new Response("ok");
let usagesBody: unknown = productionUsages();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    if (new URL(req.url).pathname.endsWith("/usages")) return Response.json(usagesBody);
    return chatAnswer();
  },
});
afterAll(() => server.stop(true));
const BASE = `http://127.0.0.1:${server.port}/coding/v1`;
const CHAT = `${BASE}/chat/completions`;

const API_KEY: Credential = { type: "api", key: "sk-kimi-test-key-0123456789", apiBase: BASE };
const opencodeIdentity = createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" });

function plugin(over: Partial<RequestPathDeps> = {}, credential: Credential = API_KEY) {
  const fetched: Response[] = [];
  const spy = Object.assign(
    async (u: RequestInfo | URL, i?: RequestInit) => {
      const r = await fetch(u, i);
      if (String(u).endsWith("/chat/completions")) fetched.push(r);
      return r;
    },
    { preconnect: fetch.preconnect },
  ) as typeof fetch;
  const f = createRequestFetch({
    keeper: { credential: async () => credential, forceRefresh: async () => credential },
    identity: opencodeIdentity,
    configuredApiBase: BASE,
    fetch: spy,
    now: () => NOW,
    quota: async (c) => fetchUsage({ apiBase: c.apiBase, token: "t", fetch: spy, now: new Date(NOW) }),
    ...over,
  });
  return { send: () => f(CHAT, { method: "POST", body: "{}" }), fetched };
}

function kimiSays(a: KimiAnswer, headers: Record<string, string> = {}) {
  chatAnswer = () => Response.json(bodyOf(a), { status: a.status, headers });
}

interface Shown {
  status: number;
  retryAfter: string | null;
  raw: string;
  type: string;
  message: string;
}
async function shown(res: Response): Promise<Shown> {
  const raw = await res.text();
  const { error } = JSON.parse(raw) as { error: { message: string; type: string } };
  return { status: res.status, retryAfter: res.headers.get("retry-after"), raw, type: error.type, message: error.message };
}

/** What each reworded row must produce: our type, the status opencode sees, and words of the message. */
const EXPECTED: Record<string, { cls: KimiErrorClass; status: number; type: string; says: RegExp[] }> = {
  "401 invalid key": { cls: "unauthorized", status: 401, type: "kimi_unauthorized", says: [/rejected the API key/, /opencode auth login/] },
  "401 invalid authentication": { cls: "unauthorized", status: 401, type: "kimi_unauthorized", says: [/rejected the API key/] },
  "402 membership": { cls: "membership", status: 402, type: "kimi_membership_expired", says: [/membership has expired or could not be verified/, /Renew or upgrade/] },
  "403 client gate": { cls: "client-gate", status: 403, type: "kimi_client_not_allowed", says: [/refused this client/, /identity profile "opencode"/, /API key/] },
  "403 billing cycle": { cls: "quota-billing-cycle", status: 403, type: "kimi_quota_exhausted", says: [/usage limit for this billing cycle is used up/, /kimi\.com\/code\/#pricing/] },
  "403 weekly": { cls: "quota-weekly", status: 403, type: "kimi_quota_exhausted", says: [/weekly \(7-day\) usage limit is used up/, /resets on \w{3} \d+ \w{3} at \d\d:\d\d \(in 2 d 5 h\)/, /buy extra usage or upgrade your plan: https:\/\/www\.kimi\.com\/membership/] },
  "403 monthly": { cls: "quota-monthly", status: 403, type: "kimi_quota_exhausted", says: [/monthly usage limit is used up/, /\(in 20 d\)/] },
  "403 blocked": { cls: "account-blocked", status: 403, type: "kimi_account_blocked", says: [/Kimi has blocked this Kimi Code account/, /support@moonshot\.cn/, /Community Guidelines \(https:\/\/www\.kimi\.com\/code\/docs/] },
  "429 concurrency": { cls: "concurrency", status: 429, type: "kimi_rate_limited", says: [/more at once than Kimi serves in parallel/, /temporary: opencode retries by itself in 5 s/] },
  "429 overloaded": { cls: "overloaded", status: 429, type: "kimi_rate_limited", says: [/overloaded/, /temporary: opencode retries by itself/] },
  "429 5-hour": { cls: "quota-5h", status: 403, type: "kimi_quota_exhausted", says: [/5-hour usage limit is used up/, /resets at \d\d:\d\d \(in 3 h\)/] },
  "429 monthly": { cls: "quota-monthly", status: 403, type: "kimi_quota_exhausted", says: [/monthly usage limit is used up/] },
  "429 exceeded_current_quota_error": { cls: "quota-exceeded", status: 403, type: "kimi_quota_exhausted", says: [/weekly \(7-day\) usage limit is used up/, /in 2 d 5 h/] },
  "404 model": { cls: "model-not-found", status: 404, type: "kimi_model_not_found", says: [/does not serve this model/, /opencode models kimi-for-coding-oauth/] },
};

/** /usages as it stands when Kimi gives each quota answer. */
function usagesFor(row: string): unknown {
  if (row === "403 weekly" || row === "429 exceeded_current_quota_error") return productionUsages({ weeklyUsed: 100 });
  if (row === "403 billing cycle") return productionUsages({ weeklyUsed: 100 });
  if (row === "429 5-hour") return productionUsages({ fiveHourUsed: 100 });
  if (row.endsWith("monthly")) return productionUsages({ monthRatio: 1 });
  return productionUsages();
}

describe("each row of Kimi's error table, through the plugin's fetch", () => {
  for (const a of KIMI_ANSWERS.filter((x) => EXPECTED[x.row])) {
    test(`${a.row}: ${EXPECTED[a.row]!.type}, HTTP ${EXPECTED[a.row]!.status}`, async () => {
      const want = EXPECTED[a.row]!;
      expect(classifyKimiError(a.status, bodyOf(a)).class).toBe(want.cls);
      usagesBody = usagesFor(a.row);
      kimiSays(a);
      const out = await shown(await plugin().send());
      expect(out.status).toBe(want.status);
      expect(out.type).toBe(want.type);
      for (const words of want.says) expect(out.message).toMatch(words);
      // Identity advice for the client gate alone.
      expect(hasIdentityAdvice(out.message)).toBe(want.cls === "client-gate");
      if (want.status === 429) {
        expect(Number(out.retryAfter)).toBeGreaterThanOrEqual(1);
      } else {
        // Final: nothing that makes opencode retry (status, message, raw body), no Retry-After.
        expect(out.retryAfter).toBeNull();
        expect(triggersOpencodeRetry(out.raw)).toBe(false);
      }
    });
  }

  for (const a of KIMI_ANSWERS.filter((x) => x.status === 400)) {
    test(`${a.row}: Kimi's 400 reaches opencode untouched, the very Response object`, async () => {
      kimiSays(a);
      const p = plugin();
      const res = await p.send();
      expect(res).toBe(p.fetched[0]!);
      expect(res.bodyUsed).toBe(false);
      expect(await res.text()).toBe(JSON.stringify(bodyOf(a)));
    });
  }

  test("a 404 that is not Kimi's model answer goes back byte for byte, however long", async () => {
    const page = `<html>${"not here ".repeat(20_000)}</html>`;
    chatAnswer = () => new Response(page, { status: 404, headers: { "content-type": "text/html", "x-trace-id": "t1" } });
    const res = await plugin().send();
    expect(res.status).toBe(404);
    expect(res.headers.get("x-trace-id")).toBe("t1");
    expect(await res.text()).toBe(page);
  });

  test("a huge 403 body is classified from its start and reworded", async () => {
    const huge = JSON.stringify({ error: { message: "Access terminated. Review our Community Guidelines.", type: "access_terminated_error", pad: "y".repeat(500_000) } });
    chatAnswer = () => new Response(huge, { status: 403, headers: { "content-type": "application/json" } });
    const out = await shown(await plugin().send());
    // Truncated JSON does not parse; the text still reads as the blocked-account answer.
    expect(out.type).toBe("kimi_account_blocked");
  });

  test("the context overflow text stays what opencode's overflow detection matches", async () => {
    const a = answer("400 context overflow");
    kimiSays(a);
    const body = (await (await plugin().send()).json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/exceeded model token limit/i);
  });

  test("every answer in the table is covered by a test above", () => {
    const covered = KIMI_ANSWERS.filter((a) => EXPECTED[a.row] || a.status === 400).length;
    expect(covered).toBe(KIMI_ANSWERS.length);
  });
});

describe("quota answers", () => {
  test("the contradictory /usages of kimi-code#3951 (usage 100/100, limit_7d ratio 0): the used-up week wins", async () => {
    usagesBody = productionUsages({ weeklyUsed: 100, weeklyRatio: 0 });
    kimiSays(answer("403 weekly"));
    const out = await shown(await plugin().send());
    expect(out.message).toMatch(/resets on .+ \(in 2 d 5 h\)/);
  });

  test("a 5-hour 429 whose window resets within minutes stays retryable, waiting until the reset", async () => {
    usagesBody = productionUsages({ fiveHourUsed: 100, fiveHourReset: NOW + 120_000 });
    kimiSays(answer("429 5-hour"));
    const out = await shown(await plugin().send());
    expect(out.status).toBe(429);
    expect(out.retryAfter).toBe("120");
    expect(out.message).toContain("opencode waits until then");
  });

  test("the wait counts from the answer, not from Kimi's reply: a /usages lookup that takes 30 s shortens it", async () => {
    let now = NOW;
    const slowQuota: RequestPathDeps["quota"] = async (c) => {
      const windows = await fetchUsage({ apiBase: c.apiBase, token: "t", fetch, now: new Date(NOW) });
      now += 30_000;
      return windows;
    };
    usagesBody = productionUsages({ fiveHourUsed: 100, fiveHourReset: NOW + 120_000 });
    kimiSays(answer("429 5-hour"));
    const byReset = await shown(await plugin({ now: () => now, quota: slowQuota }).send());
    expect([byReset.status, byReset.retryAfter]).toEqual([429, "90"]);
    expect(byReset.message).toMatch(/resets at \d\d:\d\d \(in 2 min\)/);
    now = NOW;
    kimiSays(answer("429 5-hour"), { "retry-after": "200" });
    const byHeader = await shown(await plugin({ now: () => now, quota: async () => ((now += 30_000), undefined) }).send());
    expect([byHeader.status, byHeader.retryAfter]).toEqual([429, "170"]);
  });

  test("the /usages lookup gets the request's abort signal: an aborted turn does not wait for it", async () => {
    const abort = new AbortController();
    const lookups: (AbortSignal | undefined)[] = [];
    kimiSays(answer("403 weekly"));
    const f = createRequestFetch({
      keeper: { credential: async () => API_KEY, forceRefresh: async () => API_KEY },
      identity: opencodeIdentity,
      configuredApiBase: BASE,
      now: () => NOW,
      quota: async (_credential, signal) => (lookups.push(signal), undefined),
    });
    expect((await f(CHAT, { method: "POST", body: "{}", signal: abort.signal })).status).toBe(403);
    expect(lookups).toEqual([abort.signal]);
  });

  test("a 403 quota answer while /usages cannot be read: still final, says the reset is unknown", async () => {
    kimiSays(answer("403 weekly"));
    const out = await shown(await plugin({ quota: async () => undefined }).send());
    expect(out.status).toBe(403);
    expect(out.type).toBe("kimi_quota_exhausted");
    expect(out.message).toContain("could not be read");
    expect(hasIdentityAdvice(out.message)).toBe(false);
  });

  test("a 5-hour 429 without /usages uses Kimi's Retry-After for the reset", async () => {
    kimiSays(answer("429 5-hour"), { "retry-after": "7200" });
    const out = await shown(await plugin({ quota: async () => undefined }).send());
    expect(out.status).toBe(403);
    expect(out.retryAfter).toBeNull();
    expect(out.message).toMatch(/resets at \d\d:\d\d \(in 2 h\)/);
  });
});

describe("the blocked account", () => {
  test("under an opt-in identity the user is told to go back to the honest default, never offered another", async () => {
    const kimiCli = createIdentity("kimi-cli", {
      kimiShareDir: "/nonexistent-never-read",
      deviceId: "0123456789abcdef0123456789abcdef",
      facts: { system: "Linux", release: "6.1.0", version: "#1", machine: "x86_64", hostname: "box" },
    });
    kimiSays(answer("403 blocked"));
    const out = await shown(await plugin({ identity: kimiCli }).send());
    expect(out.type).toBe("kimi_account_blocked");
    expect(out.message).toContain('back to the default "opencode"');
    expect(hasIdentityAdvice(out.message)).toBe(false);
  });

  test("an unknown 403 of the shared type gets no identity advice either", async () => {
    chatAnswer = () => Response.json({ error: { message: "Something new from Kimi.", type: "access_terminated_error" } }, { status: 403 });
    const out = await shown(await plugin().send());
    expect(out.type).toBe("kimi_forbidden");
    expect(out.message).toContain("Something new from Kimi.");
    expect(out.message).toContain("a client refusal, a used-up quota and a blocked account");
    expect(hasIdentityAdvice(out.message)).toBe(false);
  });
});

describe("busy answers (concurrency, overload) are retryable within a bounded time", () => {
  test("retryable while the streak is young, final once it has lasted the budget; a success ends it", async () => {
    let now = NOW;
    const busy = new BusyStreak();
    const p = plugin({ now: () => now, busy });
    kimiSays(answer("429 concurrency"));
    const first = await shown(await p.send());
    expect([first.status, first.retryAfter]).toEqual([429, "5"]);
    now += 50_000;
    kimiSays(answer("429 overloaded"), { "retry-after": "30" });
    const second = await shown(await p.send());
    expect(second.status).toBe(429);
    expect(second.retryAfter).toBe("10"); // Kimi asked 30 s; only 10 s of the budget are left
    now += 11_000;
    const third = await shown(await p.send());
    expect(third.status).toBe(403);
    expect(third.type).toBe("kimi_busy");
    expect(third.message).toContain("stopped waiting");
    expect(triggersOpencodeRetry(third.raw)).toBe(false);
    chatAnswer = () => new Response("ok");
    expect((await p.send()).status).toBe(200);
    kimiSays(answer("429 concurrency"));
    expect((await p.send()).status).toBe(429);
  });

  test("a Retry-After beyond the wait limit is final at once", async () => {
    kimiSays(answer("429 overloaded"), { "retry-after": "3600" });
    const out = await shown(await plugin().send());
    expect(out.status).toBe(403);
    expect(out.type).toBe("kimi_wait_required");
    expect(triggersOpencodeRetry(out.raw)).toBe(false);
  });
});

describe("server text quoted into errors (issue 8 F11)", () => {
  test("redacted (the request's own secret, token shapes, bearer), control characters stripped, bounded", async () => {
    const opaque: Credential = { type: "oauth", access: "opaque-access-token-XYZ", refresh: "opaque-refresh-token-XYZ", expires: NOW + HOUR, apiBase: BASE };
    const echo = `bad: opaque-access-token-XYZ Bearer abc.def sk-kimi-leaked123456 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln \u001b[31mred\u001b[0m\r\nline\u200b2 ${"x".repeat(10_000)}`;
    chatAnswer = () => Response.json({ error: { message: echo, type: "permission_denied_error" } }, { status: 403 });
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      const out = await shown(await plugin({}, opaque).send());
      for (const secret of ["opaque-access-token-XYZ", "abc.def", "leaked123456", "c2ln"]) {
        expect(out.message).not.toContain(secret);
        expect(lines.join("\n")).not.toContain(secret);
      }
      expect(out.message).not.toMatch(/[\u0000-\u001f\u007f\u200b]/);
      expect(out.message).toContain("red line2");
      expect(out.message.length).toBeLessThan(700);
    } finally {
      restore();
    }
  });

  test("an API key echoed in a 401 is never shown", async () => {
    chatAnswer = () => Response.json({ error: { message: `Invalid Authentication for key ${API_KEY.type === "api" ? API_KEY.key : ""}`, type: "invalid_authentication_error" } }, { status: 401 });
    const out = await shown(await plugin().send());
    expect(out.message).not.toContain("0123456789");
    expect(out.message).toContain("[redacted]");
  });
});

describe("the table itself", () => {
  test("the client gate message has a slot for one honest alternative, placed before the identity options", () => {
    const text = messages.clientGate("", "opencode's own User-Agent", "opencode", 'Set the plugin option protocol: "anthropic".');
    expect(text.indexOf('protocol: "anthropic"')).toBeGreaterThan(0);
    expect(text.indexOf('protocol: "anthropic"')).toBeLessThan(text.indexOf("KIMI_CODE_IDENTITY"));
    expect(messages.clientGate("", "d", "opencode")).not.toContain("  ");
  });

  test("every documented row of the table is hit by one of Kimi's exact answers, and each answer by its own row", () => {
    const hit = new Set(KIMI_ANSWERS.map((a) => classifyKimiError(a.status, bodyOf(a)).class));
    const documented = KIMI_ERROR_TABLE.filter((r) => r.source !== "fallback").map((r) => r.class);
    expect(documented.filter((c) => !hit.has(c))).toEqual([]);
    expect([...hit].filter((c) => c === "forbidden" || c === "rate-limited" || c === "other")).toEqual([]);
  });

  test("classification: status AND text; several rows share 403 access_terminated_error", () => {
    const t = "access_terminated_error";
    expect(classifyKimiError(403, { error: { message: "x Coding Agents y", type: t } }).class).toBe("client-gate");
    expect(classifyKimiError(403, { error: { message: "You've reached your weekly (7-day) usage limit.", type: t } }).class).toBe("quota-weekly");
    expect(classifyKimiError(403, { error: { message: "Access terminated.", type: t } }).class).toBe("account-blocked");
    expect(classifyKimiError(403, { error: { message: "", type: t } }).class).toBe("forbidden");
    // The Anthropic route's spelling of the billing-cycle answer (NanmiCoder/cc-haha#1208).
    expect(classifyKimiError(403, { type: "error", error: { type: "permission_error", message: "You've reached your usage limit for this billing cycle." } }).class).toBe("quota-billing-cycle");
    expect(classifyKimiError(429, { error: { message: "whatever", code: "exceeded_current_quota_error" } }).class).toBe("quota-exceeded");
    expect(classifyKimiError(429, "plain text").class).toBe("rate-limited");
    expect(classifyKimiError(404, { error: { message: "no route" } })).toMatchObject({ class: "other", retry: "pass-through" });
    expect(classifyKimiError(500, null)).toMatchObject({ class: "other", retry: "pass-through" });
  });
});
