import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  describeQuotaExhaustion,
  describeReset,
  fetchUsage,
  formatDuration,
  parseBoosterWallet,
  parseResetTime,
  parseUsage,
  parseUsageReport,
  UsageError,
  type QuotaWindow,
} from "../../../src/core/usage/usage.ts";

const NOW = new Date("2026-09-16T12:00:00Z");

// Shape A (kimi-cli-wire.md §7), numbers as strings.
const SHAPE_A = {
  user: { membership: { level: "LEVEL_INTERMEDIATE" } },
  usage: { limit: "1000", used: "40", remaining: "960", resetTime: "2026-09-21T07:49:10.897370123Z" },
  limits: [
    { window: { duration: 300, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: "300", remaining: "0", resetTime: "2026-09-16T13:12:00.123456789Z" } },
    { window: { duration: 90, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: 50, used: 10, reset_in: 600 } },
    { window: { duration: 1, timeUnit: "TIME_UNIT_DAY" }, detail: { limit: "20", used: "5", resetIn: "3600" } },
    { name: "Burst", limit: "10", used: "2", ttl: 30 },
    { detail: { limit: "7", used: "1" } },
  ],
  parallel: { limit: "30" },
};

// Shape B (akitaonrails/ai-usagebar#199, Javis603/token-monitor#696): ratio pools under `usages`.
const SHAPE_B = {
  limits: [{ window: { duration: 300, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: "0", used: "0", remaining: "0", resetTime: "2026-09-16T20:11:32.979529Z" } }],
  usages: {
    limit_5h: { used_ratio: 0.25, reset_time: "2026-09-16T20:11:32Z" },
    limit_month_total: { used_ratio: "0.0338", reset_time: "2026-10-16T00:00:00Z" },
    limit_month_code: { used_ratio: 1, reset_time: "2026-10-16T00:00:00Z" },
  },
};

describe("parseUsage", () => {
  test("shape A: summary + limits, strings as numbers, used or limit - remaining, kimi-cli labels", () => {
    const w = parseUsage(SHAPE_A, NOW);
    expect(w.map((x) => [x.label, x.used, x.limit, x.remaining, x.unit])).toEqual([
      ["Weekly limit", 40, 1000, 960, "count"],
      ["5h limit", 300, 300, 0, "count"],
      ["90m limit", 10, 50, 40, "count"],
      ["1d limit", 5, 20, 15, "count"],
      ["Burst", 2, 10, 8, "count"],
      ["Limit #5", 1, 7, 6, "count"],
    ]);
  });

  test("resets: ISO with nanoseconds truncated, and relative seconds (reset_in / resetIn / ttl)", () => {
    const w = parseUsage(SHAPE_A, NOW);
    expect(w[0]!.resetAt?.toISOString()).toBe("2026-09-21T07:49:10.897Z");
    expect(w[1]!.resetAt?.toISOString()).toBe("2026-09-16T13:12:00.123Z");
    expect(w[2]!.resetAt?.getTime()).toBe(NOW.getTime() + 600_000);
    expect(w[3]!.resetAt?.getTime()).toBe(NOW.getTime() + 3600_000);
    expect(w[4]!.resetAt?.getTime()).toBe(NOW.getTime() + 30_000);
    expect(w[5]!.resetAt).toBeUndefined();
  });

  test("shape B: ratio windows in percent; the zero-limit counted window says nothing and is dropped", () => {
    const w = parseUsage(SHAPE_B, NOW);
    expect(w.map((x) => [x.label, x.used, x.limit, x.remaining, x.unit, x.resetAt?.toISOString()])).toEqual([
      ["5h limit", 25, 100, 75, "percent", "2026-09-16T20:11:32.000Z"],
      ["Monthly limit", 3.4, 100, 96.6, "percent", "2026-10-16T00:00:00.000Z"],
      ["Monthly coding limit", 100, 100, 0, "percent", "2026-10-16T00:00:00.000Z"],
    ]);
  });

  test("both shapes in one body: a counted window beats the ratio window of the same label", () => {
    const body = { ...SHAPE_B, limits: SHAPE_A.limits.slice(0, 1) };
    const w = parseUsage(body, NOW);
    expect(w.filter((x) => x.label === "5h limit")).toEqual([
      { label: "5h limit", used: 300, limit: 300, remaining: 0, unit: "count", resetAt: new Date("2026-09-16T13:12:00.123Z") },
    ]);
    expect(w.map((x) => x.label)).toEqual(["5h limit", "Monthly limit", "Monthly coding limit"]);
  });

  test("camelCase ratio pools inside a {code, data:{quota}} envelope", () => {
    const body = {
      code: 0,
      data: { kind: "ok", quota: { extraUsage: null, usages: { limit5h: { resetAt: "2026-09-16T13:07:12Z", usedRatio: 0.5 }, limit7d: { resetAt: "2026-09-23T23:07:12Z", usedRatio: 0 } } } },
    };
    expect(parseUsage(body, NOW).map((x) => [x.label, x.used, x.resetAt?.toISOString()])).toEqual([
      ["5h limit", 50, "2026-09-16T13:07:12.000Z"],
      ["Weekly limit", 0, "2026-09-23T23:07:12.000Z"],
    ]);
  });

  test("array-form usages [{scope, detail, limits}]", () => {
    const body = {
      usages: [
        {
          scope: "FEATURE_CODING",
          detail: { limit: "100", used: "100", resetTime: "2026-09-20T00:00:00Z" },
          limits: [{ window: { duration: 5, timeUnit: "TIME_UNIT_HOUR" }, detail: { limit: "30", remaining: "12" } }],
        },
      ],
    };
    expect(parseUsage(body, NOW).map((x) => [x.label, x.used, x.limit, x.remaining])).toEqual([
      ["Weekly limit", 100, 100, 0],
      ["5h limit", 18, 30, 12],
    ]);
  });

  test("windows without a usable limit or any usage figure are skipped; unknown shapes give []", () => {
    expect(parseUsage({ usage: { limit: "abc", used: "1" }, limits: [{ detail: { limit: "5" } }, 3, null] }, NOW)).toEqual([]);
    for (const body of [null, 3, "x", [], {}, { usages: 5 }, { data: { data: { data: { data: {} } } } }]) {
      expect(parseUsage(body, NOW)).toEqual([]);
    }
  });

  test("property: never throws and every window is coherent", () => {
    const detail = fc.record(
      {
        limit: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        used: fc.oneof(fc.integer(), fc.stringMatching(/^\d{1,4}$/)),
        remaining: fc.oneof(fc.integer(), fc.string()),
        resetTime: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer()),
        reset_in: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          usage: fc.oneof(detail, fc.jsonValue()),
          limits: fc.array(fc.oneof(fc.record({ window: fc.jsonValue(), detail }), fc.jsonValue())),
          usages: fc.oneof(fc.dictionary(fc.string(), fc.record({ used_ratio: fc.oneof(fc.double(), fc.string()), reset_time: fc.string() })), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(body, (json) => {
        const windows = parseUsage(json, NOW);
        for (const w of windows) {
          expect(w.limit).toBeGreaterThan(0);
          expect(w.used).toBeGreaterThanOrEqual(0);
          expect(w.remaining).toBeGreaterThanOrEqual(0);
          if (w.resetAt) expect(Number.isNaN(w.resetAt.getTime())).toBe(false);
        }
        expect(new Set(windows.map((w) => w.label)).size).toBe(windows.length);
        expect(() => describeQuotaExhaustion(windows, NOW)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  test("parseResetTime handles nanoseconds, offsets and garbage", () => {
    expect(parseResetTime("2025-12-23T05:24:18.443553353Z")?.toISOString()).toBe("2025-12-23T05:24:18.443Z");
    expect(parseResetTime("2026-01-01T08:00:00+08:00")?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(parseResetTime("soon")).toBeUndefined();
  });
});

// The production body today (kimi-code-official.md; kimi-code#3951, getpaseo/paseo#3024): both shapes at once.
const PRODUCTION = {
  usage: { limit: "100", used: "26", remaining: "74", resetTime: "2026-09-21T07:00:00Z" },
  limits: [{ window: { duration: 300, timeUnit: "TIME_UNIT_MINUTE" }, detail: { limit: "100", used: "27", remaining: "73", resetTime: "2026-09-16T14:00:00Z" } }],
  parallel: { limit: "30" },
  totalQuota: {},
  subType: "TYPE_PURCHASE",
  usages: {
    limit_5h: { used_ratio: 0.27, reset_time: "2026-09-16T14:00:00Z" },
    limit_7d: { used_ratio: 0.26, reset_time: "2026-09-21T07:00:00Z" },
  },
  boosterWallet: { status: "STATUS_DISABLED" },
};

describe("the production body: both shapes merged per window, the more binding wins", () => {
  test("agreeing shapes: one window per label, the counted one (counts, same reset)", () => {
    expect(parseUsage(PRODUCTION, NOW).map((x) => [x.label, x.used, x.limit, x.unit, x.resetAt?.toISOString()])).toEqual([
      ["Weekly limit", 26, 100, "count", "2026-09-21T07:00:00.000Z"],
      ["5h limit", 27, 100, "count", "2026-09-16T14:00:00.000Z"],
    ]);
  });

  test("kimi-code#3951: usage says the week is used up, limit_7d says 0: the week is used up", () => {
    const body = { ...PRODUCTION, usage: { limit: "100", used: "100", remaining: "0", resetTime: "2026-09-21T07:00:00Z" }, usages: { ...PRODUCTION.usages, limit_7d: { used_ratio: 0, reset_time: "2026-09-21T07:00:00Z" } } };
    const weekly = parseUsage(body, NOW).find((x) => x.label === "Weekly limit")!;
    expect([weekly.used, weekly.remaining, weekly.unit]).toEqual([100, 0, "count"]);
    expect(describeQuotaExhaustion(parseUsage(body, NOW), NOW)).toContain("Weekly limit used 100/100");
  });

  test("the other way round: the ratio map says used up, the counted window lags: the ratio wins", () => {
    const body = { ...PRODUCTION, usages: { ...PRODUCTION.usages, limit_7d: { used_ratio: 1 } } };
    const weekly = parseUsage(body, NOW).find((x) => x.label === "Weekly limit")!;
    expect([weekly.used, weekly.unit]).toEqual([100, "percent"]);
    // The winner had no reset time: it takes the other shape's.
    expect(weekly.resetAt?.toISOString()).toBe("2026-09-21T07:00:00.000Z");
  });

  test("monthly pools in the ratio map are read too", () => {
    const body = { ...PRODUCTION, usages: { ...PRODUCTION.usages, limit_month_total: { used_ratio: 0.5, reset_time: "2026-10-01T00:00:00Z" }, limit_month_code: { used_ratio: 1, reset_time: "2026-10-01T00:00:00Z" } } };
    expect(parseUsage(body, NOW).map((x) => [x.label, x.used])).toEqual([
      ["Weekly limit", 26],
      ["5h limit", 27],
      ["Monthly limit", 50],
      ["Monthly coding limit", 100],
    ]);
  });

  test("the report: windows, the parallel limit and the extra-usage wallet (zero balance, status only)", () => {
    const report = parseUsageReport(PRODUCTION, NOW);
    expect(report.windows).toHaveLength(2);
    expect(report.parallelLimit).toBe(30);
    expect(report.wallet).toEqual({ status: "STATUS_DISABLED", usable: false });
  });

  test("a funded wallet: fixed-point amounts (1e6 per cent) in cents", () => {
    const wallet = parseBoosterWallet({
      balance: { type: "BOOSTER", amount: "5000000000", amountLeft: "3250000000" },
      monthlyChargeLimit: { priceInCents: "10000", currency: "USD" },
      monthlyUsed: { priceInCents: "1750", currency: "USD" },
      monthlyChargeLimitEnabled: true,
    });
    expect(wallet).toEqual({ amountCents: 5000, leftCents: 3250, monthlyLimitCents: 10000, monthlyUsedCents: 1750, currency: "USD", monthlyLimitEnabled: true, usable: true });
    expect(parseBoosterWallet(undefined)).toBeUndefined();
    expect(parseBoosterWallet({ balance: { amount: "-5", amountLeft: "x" }, monthlyChargeLimit: { currency: "<script>" } })).toEqual({ usable: false });
  });

  test("a ratio key named like an Object.prototype member is labelled by its own name", () => {
    expect(parseUsage({ usages: { constructor: { used_ratio: 0.5 } } }, NOW).map((x) => x.label)).toEqual(["constructor"]);
  });

  test("describeReset: local clock and how long until then", () => {
    const at = new Date(NOW.getTime() + (2 * 24 + 5) * 3600_000);
    expect(describeReset(at, NOW)).toMatch(/^on \w{3} \d{1,2} \w{3} at \d\d:\d\d \(in 2 d 5 h\)$/);
    expect(describeReset(new Date(NOW.getTime() - 1), NOW)).toBe("now");
  });
});

describe("describeQuotaExhaustion", () => {
  const clock = (d: Date) => `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;

  test("the exhausted window, with the reset time and how long until then", () => {
    const resetAt = new Date(NOW.getTime() + 72 * 60_000);
    const windows: QuotaWindow[] = [
      { label: "Weekly limit", used: 40, limit: 1000, remaining: 960, unit: "count", resetAt: new Date(NOW.getTime() + 5 * 86400_000) },
      { label: "5h limit", used: 300, limit: 300, remaining: 0, unit: "count", resetAt },
    ];
    expect(describeQuotaExhaustion(windows, NOW)).toBe(
      `Kimi Code quota exhausted: 5h limit used 300/300, resets at ${clock(resetAt)} (in 1 h 12 min).`,
    );
  });

  test("from a parsed shape A body", () => {
    const text = describeQuotaExhaustion(parseUsage(SHAPE_A, NOW), NOW);
    expect(text).toBe(`Kimi Code quota exhausted: 5h limit used 300/300, resets at ${clock(new Date("2026-09-16T13:12:00.123Z"))} (in 1 h 12 min).`);
  });

  test("several exhausted: the one that frees up last; far resets show the day", () => {
    const weekly = new Date(NOW.getTime() + (3 * 24 + 4) * 3600_000);
    const text = describeQuotaExhaustion(
      [
        { label: "5h limit", used: 300, limit: 300, remaining: 0, unit: "count", resetAt: new Date(NOW.getTime() + 3600_000) },
        { label: "Weekly limit", used: 1000, limit: 1000, remaining: 0, unit: "count", resetAt: weekly },
      ],
      NOW,
    );
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekly.getDay()];
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][weekly.getMonth()];
    expect(text).toBe(`Kimi Code quota exhausted: Weekly limit used 1000/1000, resets on ${day} ${weekly.getDate()} ${month} at ${clock(weekly)} (in 3 d 4 h).`);
  });

  test("ratio windows read as percentages (shape B)", () => {
    expect(describeQuotaExhaustion(parseUsage(SHAPE_B, NOW), NOW)).toMatch(/^Kimi Code quota exhausted: Monthly coding limit used 100%, resets on .+ \(in 29 d 12 h\)\.$/);
  });

  test("nearly full (≥95%) is reported as almost exhausted; below that /usages cannot tell", () => {
    const w = (used: number): QuotaWindow[] => [{ label: "5h limit", used, limit: 100, remaining: 100 - used, unit: "count" }];
    expect(describeQuotaExhaustion(w(97), NOW)).toBe("Kimi Code quota almost exhausted: 5h limit used 97/100.");
    expect(describeQuotaExhaustion(w(90), NOW)).toBeUndefined();
    expect(describeQuotaExhaustion([], NOW)).toBeUndefined();
  });

  test("a reset time already passed says so", () => {
    const text = describeQuotaExhaustion([{ label: "5h limit", used: 5, limit: 5, remaining: 0, unit: "count", resetAt: new Date(NOW.getTime() - 1000) }], NOW);
    expect(text).toBe("Kimi Code quota exhausted: 5h limit used 5/5, resetting now.");
  });

  test("formatDuration", () => {
    expect(formatDuration(30_000)).toBe("less than a minute");
    expect(formatDuration(45 * 60_000)).toBe("45 min");
    expect(formatDuration(2 * 3600_000)).toBe("2 h");
    expect(formatDuration(72 * 60_000)).toBe("1 h 12 min");
    expect(formatDuration(3 * 86400_000)).toBe("3 d");
  });
});

describe("fetchUsage against a local server", () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  let lastHeaders: Headers | undefined;
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        lastHeaders = req.headers;
        switch (new URL(req.url).pathname) {
          case "/a/usages":
            return Response.json(SHAPE_A);
          case "/b/usages":
            return Response.json(SHAPE_B);
          case "/list/usages":
            return Response.json([1, 2]);
          case "/html/usages":
            return new Response("<html>oops</html>", { status: 503, headers: { "content-type": "text/html" } });
          case "/401/usages":
            return Response.json({ error: { message: "unauthorized" } }, { status: 401 });
          case "/slow/usages":
            await Bun.sleep(2000);
            return Response.json(SHAPE_A);
          default:
            return new Response("no", { status: 404 });
        }
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  async function failure(path: string, timeoutMs?: number): Promise<UsageError> {
    try {
      await fetchUsage({ apiBase: `${base}${path}`, token: "t", ...(timeoutMs ? { timeoutMs } : {}) });
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return e as UsageError;
    }
    throw new Error("expected a UsageError");
  }

  test("parses both shapes and sends the token plus the caller's headers", async () => {
    const a = await fetchUsage({ apiBase: `${base}/a`, token: "tok-1", headers: { "User-Agent": "KimiCLI/1.49.0" }, now: NOW });
    expect(a.map((w) => w.label)).toEqual(["Weekly limit", "5h limit", "90m limit", "1d limit", "Burst", "Limit #5"]);
    expect(a[2]!.resetAt?.getTime()).toBe(NOW.getTime() + 600_000);
    expect(lastHeaders?.get("authorization")).toBe("Bearer tok-1");
    expect(lastHeaders?.get("user-agent")).toBe("KimiCLI/1.49.0");
    const b = await fetchUsage({ apiBase: `${base}/b`, token: "tok-2" });
    expect(b.map((w) => w.unit)).toEqual(["percent", "percent", "percent"]);
  });

  test("typed errors: non-object JSON, HTML, 401, 404, timeout", async () => {
    expect(await failure("/list")).toMatchObject({ kind: "shape", message: "GET /usages returned an array, not an object" });
    expect(await failure("/html")).toMatchObject({ kind: "html", status: 503, message: "GET /usages returned HTML (status 503), not JSON" });
    expect(await failure("/401")).toMatchObject({ kind: "unauthorized", status: 401 });
    expect(await failure("/missing")).toMatchObject({ kind: "http", status: 404 });
    expect(await failure("/slow", 100)).toMatchObject({ kind: "timeout", message: "GET /usages timed out after 100 ms" });
  });
});
