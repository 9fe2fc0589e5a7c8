// The emulator as today's Kimi: kimi-code's identity admitted, the production /usages body, Kimi's
// documented errors (quota, blocked account, concurrency, overload, any row on demand).
import { describe, expect, test } from "bun:test";
import { DEFAULT_MODELS, KIMI_ERRORS, kimiErrorBody, type RunningEmulator } from "../../emulator/index.ts";
import { chat, getJson, HELLO, readAll, useEmulator } from "./helpers.ts";

const KIMI_CODE_HEADERS = { "user-agent": "kimi-code-cli/2.1.0", "x-msh-platform": "kimi_code_cli", "x-msh-version": "2.1.0" };

async function errorOf(res: Response): Promise<{ status: number; body: any; retryAfter: string | null }> {
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get("retry-after") };
}

describe("client gate with default options", () => {
  const box = useEmulator();

  test("admits kimi-code 2.1.0 (kimi-code-cli/ + kimi_code_cli), kimi-cli (KimiCLI/ + kimi_cli) and opencode", async () => {
    const { emu } = box;
    expect((await chat(emu, HELLO, { headers: KIMI_CODE_HEADERS })).status).toBe(200);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "kimi-code-cli/2.1.0" } })).status).toBe(200);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "KimiCLI/1.49.0", "x-msh-platform": "kimi_cli" } })).status).toBe(200);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "opencode/1.18.33" } })).status).toBe(200);
  });

  test("kimi_code_cli from another client's User-Agent is refused with the gate's 403", async () => {
    const { emu } = box;
    for (const ua of ["KimiCLI/1.49.0", "opencode/1.18.33"]) {
      const r = await errorOf(await chat(emu, HELLO, { headers: { "user-agent": ua, "x-msh-platform": "kimi_code_cli" } }));
      expect([ua, r.status, r.body]).toEqual([ua, 403, kimiErrorBody("client-gate")]);
    }
    const other = await chat(emu, HELLO, { headers: { "user-agent": "kimi-code-cli/2.1.0", "x-msh-platform": "other" } });
    expect(other.status).toBe(403);
  });
});

describe("GET /usages", () => {
  const box = useEmulator({ fiveHourRequestLimit: 10, weeklyRequestLimit: 100, monthlyRequestLimit: 400 });

  async function usages(emu: RunningEmulator) {
    const r = await getJson(`${emu.apiBase}/usages`, emu.state.mintTokens().access_token);
    expect(r.status).toBe(200);
    return r.json;
  }

  test("by default: both shapes over the same counters, parallel, totalQuota, subType, disabled wallet", async () => {
    const { emu } = box;
    for (let i = 0; i < 3; i++) expect((await chat(emu, HELLO)).status).toBe(200);
    const body = await usages(emu);
    expect(Object.keys(body)).toEqual(["usage", "limits", "parallel", "totalQuota", "subType", "usages", "boosterWallet"]);
    expect(body.usage).toMatchObject({ limit: "100", used: "3", remaining: "97" });
    expect(body.limits[0].detail).toMatchObject({ limit: "10", used: "3", remaining: "7" });
    expect(body.parallel).toEqual({ limit: "30" });
    expect(body.totalQuota).toEqual({});
    expect(body.subType).toBe("TYPE_PURCHASE");
    expect(body.usages).toEqual({
      limit_5h: { used_ratio: 0.3, reset_time: body.limits[0].detail.resetTime },
      limit_7d: { used_ratio: 0.03, reset_time: body.usage.resetTime },
    });
    expect(body.boosterWallet).toEqual({ status: "STATUS_DISABLED" });
  });

  test("monthly ratios and the funded wallet on request", async () => {
    const { emu } = box;
    emu.state.configure({ usagesMonthly: true, boosterWallet: "funded" });
    expect((await chat(emu, HELLO)).status).toBe(200);
    const body = await usages(emu);
    expect(body.usages.limit_month_total).toEqual({ used_ratio: 0.0025, reset_time: expect.any(String) });
    expect(body.usages.limit_month_code).toEqual(body.usages.limit_month_total);
    expect(body.boosterWallet.balance).toEqual({ type: "BOOSTER", amount: "5000000000", amountLeft: "3250000000" });
    expect(body.boosterWallet.monthlyChargeLimit).toEqual({ priceInCents: "10000", currency: "USD" });
    emu.state.configure({ boosterWallet: "none" });
    expect((await usages(emu)).boosterWallet).toBeUndefined();
  });

  test("one shape alone: usage / usages", async () => {
    const { emu } = box;
    emu.state.configure({ usageShape: "usage" });
    expect(Object.keys(await usages(emu))).toEqual(["usage", "limits", "parallel"]);
    emu.state.configure({ usageShape: "usages" });
    expect(Object.keys(await usages(emu))).toEqual(["usages"]);
  });

  test("contradictory (kimi-code#3951): usage says the week is used up, the ratio says 0, chats get the weekly 403", async () => {
    const { emu } = box;
    emu.state.configure({ usageShape: "contradictory" });
    const body = await usages(emu);
    expect(body.usage).toMatchObject({ limit: "100", used: "100", remaining: "0" });
    expect(body.usages.limit_7d.used_ratio).toBe(0);
    const r = await errorOf(await chat(emu, HELLO));
    expect(r).toEqual({ status: 403, body: kimiErrorBody("quota-weekly"), retryAfter: null });
  });
});

describe("used-up quota, as live Kimi answers", () => {
  const box = useEmulator();

  test("5-hour window: 429 'usage limit for this period'; not counted", async () => {
    const { emu } = box;
    emu.state.configure({ fiveHourRequestLimit: 1 });
    expect((await chat(emu, HELLO)).status).toBe(200);
    const r = await errorOf(await chat(emu, HELLO));
    expect(r).toEqual({ status: 429, body: kimiErrorBody("quota-5h"), retryAfter: null });
    expect(emu.state.usage().fiveHour.used).toBe(1);
  });

  test("weekly: 403 access_terminated_error with the weekly (7-day) text; it outranks the 5-hour window", async () => {
    const { emu } = box;
    emu.state.configure({ fiveHourRequestLimit: 1, weeklyRequestLimit: 1 });
    expect((await chat(emu, HELLO)).status).toBe(200);
    const r = await errorOf(await chat(emu, HELLO));
    expect(r.status).toBe(403);
    expect(r.body.error.type).toBe("access_terminated_error");
    expect(r.body.error.message).toStartWith("You've reached your weekly (7-day) usage limit.");
  });

  test("monthly: 403 monthly text; quotaErrorRows picks another row per window", async () => {
    const { emu } = box;
    emu.state.configure({ monthlyRequestLimit: 1 });
    expect((await chat(emu, HELLO)).status).toBe(200);
    expect((await errorOf(await chat(emu, HELLO))).body).toEqual(kimiErrorBody("quota-monthly"));
    emu.state.configure({ quotaErrorRows: { monthly: "quota-billing-cycle" } });
    expect(await errorOf(await chat(emu, HELLO))).toEqual({ status: 403, body: kimiErrorBody("quota-billing-cycle"), retryAfter: null });
    emu.state.configure({ quotaErrorRows: { monthly: "quota-monthly-429" } });
    expect((await chat(emu, HELLO)).status).toBe(429);
  });
});

describe("account and load", () => {
  const box = useEmulator();

  test("a blocked account gets 403 'Access terminated'; the gate still comes first", async () => {
    const { emu } = box;
    emu.state.configure({ accountBlocked: true });
    expect(await errorOf(await chat(emu, HELLO))).toEqual({ status: 403, body: kimiErrorBody("account-blocked"), retryAfter: null });
    expect((await errorOf(await chat(emu, HELLO, { headers: { "user-agent": "curl/8" } }))).body).toEqual(kimiErrorBody("client-gate"));
    expect(emu.state.chats).toHaveLength(0);
  });

  test("engine overloaded: 429 rate_limit_error", async () => {
    const { emu } = box;
    emu.state.configure({ engineOverloaded: true });
    expect(await errorOf(await chat(emu, HELLO))).toEqual({ status: 429, body: kimiErrorBody("engine-overloaded"), retryAfter: null });
  });

  test("beyond parallelLimit chats in flight: 429 'too many requests'; a slot frees when an answer ends", async () => {
    const { emu } = box;
    emu.state.configure({ parallelLimit: 2, chunkDelayMs: 150 });
    const streams = [await chat(emu, { ...HELLO, stream: true }), await chat(emu, { ...HELLO, stream: true })];
    expect(streams.map((r) => r.status)).toEqual([200, 200]);
    expect(emu.state.parallelChats.inFlight).toBe(2);
    const third = await errorOf(await chat(emu, { ...HELLO, stream: true }));
    expect(third).toEqual({ status: 429, body: kimiErrorBody("too-many-requests"), retryAfter: null });
    for (const s of streams) expect((await readAll(s)).text).toEndWith("data: [DONE]\n\n");
    // The server notes the end of an answer just after its last byte: wait for it (bounded).
    for (let i = 0; i < 100 && emu.state.parallelChats.inFlight > 0; i++) await Bun.sleep(20);
    expect(emu.state.parallelChats.inFlight).toBe(0);
    expect((await chat(emu, HELLO)).status).toBe(200);
  });
});

describe("failNextChat: any row of Kimi's error table", () => {
  const box = useEmulator();

  test("every row answers with its exact status and body, once, then chat is normal", async () => {
    const { emu } = box;
    expect(KIMI_ERRORS.length).toBeGreaterThanOrEqual(20);
    for (const row of KIMI_ERRORS) {
      emu.state.failNextChat(row.id);
      const r = await chat(emu, HELLO);
      expect([row.id, r.status, await r.json()]).toEqual([row.id, row.status, { error: { message: row.message, type: row.type } }]);
      expect(emu.state.requests.at(-1)!.fault).toBe(true);
    }
    expect((await chat(emu, HELLO)).status).toBe(200);
  });

  test("count and an unknown id", async () => {
    const { emu } = box;
    emu.state.failNextChat("quota-weekly", { count: 2 });
    expect((await chat(emu, HELLO)).status).toBe(403);
    expect((await chat(emu, HELLO)).status).toBe(403);
    expect((await chat(emu, HELLO)).status).toBe(200);
    expect(() => emu.state.failNextChat("nope" as never)).toThrow(/unknown Kimi error "nope"/);
  });

  test("the access_terminated_error 403s differ only by message", () => {
    const terminated = KIMI_ERRORS.filter((r) => r.status === 403 && r.type === "access_terminated_error").map((r) => r.id);
    expect(terminated).toEqual(["client-gate", "quota-billing-cycle", "quota-weekly", "quota-monthly", "account-blocked"]);
    expect(new Set(KIMI_ERRORS.map((r) => r.message)).size).toBe(KIMI_ERRORS.length);
  });
});

describe("kimi-code's model and body fields", () => {
  const box = useEmulator();

  test("/models can mark a model protocol: anthropic", async () => {
    const { emu } = box;
    emu.state.configure({ models: [DEFAULT_MODELS[0]!, { ...DEFAULT_MODELS[2]!, protocol: "anthropic" }] });
    const r = await getJson(`${emu.apiBase}/models`, emu.state.mintTokens().access_token);
    expect(r.json.data.map((m: any) => [m.id, m.protocol])).toEqual([["kimi-for-coding", undefined], ["k3", "anthropic"]]);
  });

  test("thinking {type, effort, keep}, max_completion_tokens, prompt_cache_key, stream_options are accepted and recorded", async () => {
    const { emu } = box;
    const body = {
      ...HELLO,
      stream: true,
      stream_options: { include_usage: true },
      prompt_cache_key: "session_0f0e",
      thinking: { type: "enabled", effort: "high", keep: "all" },
      max_completion_tokens: 262144,
    };
    const r = await chat(emu, body, { headers: KIMI_CODE_HEADERS });
    expect(r.status).toBe(200);
    const text = (await readAll(r)).text;
    expect(text).toContain('"usage":{');
    expect(emu.state.lastChat).toMatchObject({
      thinking: true,
      thinkingSource: "thinking.type",
      effort: "high",
      thinkingKeep: "all",
      maxCompletionTokens: 262144,
      promptCacheKey: "session_0f0e",
      includeUsage: true,
    });
  });
});
