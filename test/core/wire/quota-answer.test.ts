import { describe, expect, test } from "bun:test";
import { KIMI_QUOTA_URL } from "../../../src/core/config/constants.ts";
import type { QuotaWindow } from "../../../src/core/usage/usage.ts";
import { blockedContact, buyUrl, quotaVerdict, windowFor, windowName } from "../../../src/core/wire/quota-answer.ts";

const NOW = Date.parse("2026-12-02T10:00:00Z");
const w = (label: string, used: number, resetInMs?: number): QuotaWindow => ({
  label,
  used,
  limit: 100,
  remaining: 100 - used,
  unit: "count",
  ...(resetInMs !== undefined ? { resetAt: new Date(NOW + resetInMs) } : {}),
});

describe("windowFor / windowName", () => {
  const windows = [w("Weekly limit", 40, 5 * 86_400_000), w("5h limit", 100, 3_600_000), w("Monthly limit", 10), w("Monthly coding limit", 100)];
  test("a named window by its label (the used-up one among several monthly pools)", () => {
    expect(windowFor("weekly", windows)?.label).toBe("Weekly limit");
    expect(windowFor("5h", windows)?.label).toBe("5h limit");
    expect(windowFor("monthly", windows)?.label).toBe("Monthly coding limit");
  });
  test("an unnamed one: the binding used-up window, or none", () => {
    expect(windowFor("any", windows)?.label).toBe("5h limit");
    expect(windowFor("billing-cycle", [w("Weekly limit", 3)])).toBeUndefined();
  });
  test("names", () => {
    expect(windowName("weekly", undefined)).toBe("weekly (7-day) usage limit");
    expect(windowName("any", w("Monthly coding limit", 100))).toBe("monthly coding usage limit");
    expect(windowName("any", w("Burst", 100))).toBe('usage limit "Burst"');
    expect(windowName("any", undefined)).toBe("usage quota");
  });
});

describe("links taken from Kimi's text are Kimi's only", () => {
  test("buyUrl: Kimi's own link, trailing punctuation dropped; a foreign link is ignored", () => {
    expect(buyUrl("upgrade your plan: https://www.kimi.com/code/#pricing.")).toBe("https://www.kimi.com/code/#pricing");
    expect(buyUrl("pay here: https://kimi.com.evil.example/pay")).toBe(KIMI_QUOTA_URL);
    expect(buyUrl("no link")).toBe(KIMI_QUOTA_URL);
  });
  test("blockedContact: Kimi's guidelines link and support address; others ignored", () => {
    expect(blockedContact("Review our Community Guidelines(https://www.kimi.com/g.html) or contact support@moonshot.cn for assistance.")).toEqual({
      url: "https://www.kimi.com/g.html",
      email: "support@moonshot.cn",
    });
    expect(blockedContact("contact help@evil.example or https://evil.example/appeal")).toEqual({});
  });
});

describe("quotaVerdict", () => {
  const kimi = { class: "quota-weekly" as const, retry: "final-unless-reset-soon" as const, window: "weekly" as const, message: "", type: "", code: "" };
  test("a 403 is final even when the window resets soon", () => {
    const v = quotaVerdict({ kimi, status: 403, windows: [w("Weekly limit", 100, 60_000)], retryAfterMs: undefined, now: NOW });
    expect([v.status, v.type, v.retryAfterS]).toEqual([403, "kimi_quota_exhausted", undefined]);
    expect(v.message).toContain("(in 1 min)");
  });
  test("a 429 resetting within 5 minutes waits; later, or unknown, is final", () => {
    const soon = quotaVerdict({ kimi, status: 429, windows: [w("Weekly limit", 100, 240_000)], retryAfterMs: undefined, now: NOW });
    expect([soon.status, soon.retryAfterS]).toEqual([429, 240]);
    const late = quotaVerdict({ kimi, status: 429, windows: [w("Weekly limit", 100, 400_000)], retryAfterMs: undefined, now: NOW });
    expect(late.status).toBe(403);
    const unknown = quotaVerdict({ kimi, status: 429, windows: [], retryAfterMs: undefined, now: NOW });
    expect(unknown.status).toBe(403);
    expect(unknown.message).toContain("does not say when it resets");
  });
});
