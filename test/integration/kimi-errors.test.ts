// Kimi's documented error answers, served by the emulator (injected faults carrying Kimi's exact texts),
// through the plugin's real hooks: what opencode gets for each, and /usages in the production shape
// (both shapes at once) supplying the reset; and every row of the emulator's own table
// (emulator/kimi-errors.ts, state.failNextChat) as the plugin classifies it.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { KIMI_ERRORS, kimiErrorBody, type KimiErrorId } from "../../emulator/kimi-errors.ts";
import { classifyKimiError, type KimiErrorClass } from "../../src/core/wire/kimi-errors.ts";
import { triggersOpencodeRetry } from "../../src/core/support/errors.ts";
import { answer, bodyOf, hasIdentityAdvice, KIMI_ANSWERS } from "../helpers/kimi-error-answers.ts";
import { pluginWorld, seedLogin } from "../helpers/plugin-env.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 1, autoApproveAfterPolls: 1 });
});
afterEach(() => emu.state.clearFaults());
afterAll(() => emu.stop());

const CHAT = "/coding/v1/chat/completions";
const USAGES = "/coding/v1/usages";
const DAY = 86_400_000;

/** Production /usages: the week used up in the counted shape only (kimi-code#3951), resetting in 2 d 5 h. */
function weekUsedUp(resetAt: number) {
  const reset = new Date(resetAt).toISOString();
  return {
    usage: { limit: "100", used: "100", remaining: "0", resetTime: reset },
    limits: [{ window: { duration: 300, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: "100", used: "3", remaining: "97", resetTime: new Date(Date.now() + 3_600_000).toISOString() } }],
    parallel: { limit: "30" },
    totalQuota: {},
    subType: "TYPE_PURCHASE",
    usages: { limit_5h: { used_ratio: 0.03, reset_time: new Date(Date.now() + 3_600_000).toISOString() }, limit_7d: { used_ratio: 0, reset_time: reset } },
    boosterWallet: { status: "STATUS_DISABLED" },
  };
}

async function chatThrough(status: number, body: unknown, headers?: Record<string, string>) {
  const world = await pluginWorld(emu);
  await seedLogin(world, emu);
  emu.state.injectFault({ path: CHAT, status, body, count: 1, ...(headers ? { headers } : {}) });
  const res = await world.chat();
  const raw = await res.text();
  return { res, raw, error: (JSON.parse(raw) as { error: { message: string; type: string } }).error };
}

describe("Kimi's error answers from the emulator, through the plugin", () => {
  const expectedType: Record<number, (row: string) => string> = {
    402: () => "kimi_membership_expired",
    403: (row) => (row === "403 client gate" ? "kimi_client_not_allowed" : row === "403 blocked" ? "kimi_account_blocked" : "kimi_quota_exhausted"),
    404: () => "kimi_model_not_found",
  };
  for (const a of KIMI_ANSWERS.filter((x) => expectedType[x.status])) {
    test(`${a.row}`, async () => {
      emu.state.injectFault({ path: USAGES, status: 200, body: weekUsedUp(Date.now() + 2 * DAY + 5 * 3_600_000), count: Infinity });
      const { res, raw, error } = await chatThrough(a.status, bodyOf(a));
      expect(emu.state.requestsTo(CHAT).at(-1)!.status).toBe(a.status);
      expect(res.status).toBe(a.status);
      expect(error.type).toBe(expectedType[a.status]!(a.row));
      expect(hasIdentityAdvice(error.message)).toBe(a.row === "403 client gate");
      expect(triggersOpencodeRetry(raw)).toBe(false);
    }, 20_000);
  }

  test("403 weekly: the week and its reset from the production /usages, even though its ratio map says 0", async () => {
    emu.state.injectFault({ path: USAGES, status: 200, body: weekUsedUp(Date.now() + 2 * DAY + 5.5 * 3_600_000), count: Infinity });
    const { error } = await chatThrough(403, bodyOf(answer("403 weekly")));
    expect(error.message).toMatch(/weekly \(7-day\) usage limit is used up for this account\. It resets on .+ at \d\d:\d\d \(in 2 d 5 h\)/);
    expect(error.message).toContain("https://www.kimi.com/membership/subscription?tab=quota");
  }, 20_000);

  test("429 5-hour: final, the window named; 429 concurrency and overload: retryable 429s with Retry-After", async () => {
    const fiveHour = await chatThrough(429, bodyOf(answer("429 5-hour")), { "retry-after": "9000" });
    expect([fiveHour.res.status, fiveHour.error.type]).toEqual([403, "kimi_quota_exhausted"]);
    expect(fiveHour.error.message).toContain("5-hour usage limit");
    for (const row of ["429 concurrency", "429 overloaded"]) {
      const busy = await chatThrough(429, bodyOf(answer(row)));
      expect(busy.res.status).toBe(429);
      expect(Number(busy.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(busy.error.message).toContain("opencode retries by itself");
    }
  }, 20_000);

  test("400 context overflow: Kimi's own answer reaches opencode", async () => {
    const a = answer("400 context overflow");
    const world = await pluginWorld(emu);
    await seedLogin(world, emu);
    emu.state.injectFault({ path: CHAT, status: 400, body: bodyOf(a) });
    const res = await world.chat();
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(JSON.stringify(bodyOf(a)));
  }, 20_000);
});

/** The emulator's rows (emulator/kimi-errors.ts) and the class the plugin's table must give each. */
const EMULATOR_ROW_CLASS: Record<KimiErrorId, KimiErrorClass> = {
  "auth-invalid-key": "unauthorized",
  "auth-invalid": "unauthorized",
  "membership-unverified": "membership",
  "client-gate": "client-gate",
  "quota-billing-cycle": "quota-billing-cycle",
  "quota-weekly": "quota-weekly",
  "quota-monthly": "quota-monthly",
  "account-blocked": "account-blocked",
  "too-many-requests": "concurrency",
  "engine-overloaded": "overloaded",
  "quota-5h": "quota-5h",
  "quota-monthly-429": "quota-monthly",
  "quota-exceeded-code": "quota-exceeded",
  "context-overflow": "context-overflow",
  "reasoning-missing": "thinking-history",
  "message-too-large": "request-shape",
  "unsupported-image": "request-shape",
  "duplicate-function": "request-shape",
  "high-risk": "content-filter",
  "model-not-found": "model-not-found",
};

describe("the emulator's error table, as the plugin classifies it", () => {
  test("every row of emulator/kimi-errors.ts gets its class from the plugin's table", () => {
    const got = Object.fromEntries(KIMI_ERRORS.map((r) => [r.id, classifyKimiError(r.status, kimiErrorBody(r.id)).class]));
    expect(got).toEqual(EMULATOR_ROW_CLASS);
  });

  test("served natively (state.failNextChat): identity advice for the client gate alone; 400s untouched", async () => {
    for (const row of KIMI_ERRORS.filter((r) => r.status !== 401)) {
      const world = await pluginWorld(emu);
      await seedLogin(world, emu);
      emu.state.failNextChat(row.id);
      const res = await world.chat();
      const raw = await res.text();
      if (row.status === 400) {
        expect(raw).toBe(JSON.stringify(kimiErrorBody(row.id)));
        continue;
      }
      const { error } = JSON.parse(raw) as { error: { message: string; type: string } };
      expect(error.type.startsWith("kimi_"), row.id).toBe(true);
      expect(hasIdentityAdvice(error.message), row.id).toBe(row.id === "client-gate");
    }
  }, 60_000);
});
