// Request quota: a short (5-hour) window, a weekly and a 30-day window, each fixed-length and
// anchored at emulator start (or the last resetQuota()). Every served chat request counts 1 in all
// three. Also renders GET /usages in either of the shapes seen from Kimi (landscape.md §6).

export type WindowName = "fiveHour" | "weekly" | "monthly";

export interface WindowUsage {
  limit: number;
  used: number;
  remaining: number;
  /** ms epoch of the window's end. */
  resetAt: number;
  lengthSec: number;
}

export type UsageSnapshot = Record<WindowName, WindowUsage>;

export interface QuotaLimits {
  fiveHourRequestLimit: number;
  weeklyRequestLimit: number;
  monthlyRequestLimit: number;
  fiveHourWindowSec: number;
}

const WEEK_SEC = 7 * 24 * 3600;
const MONTH_SEC = 30 * 24 * 3600;

export class QuotaMeter {
  private readonly windows: Record<WindowName, { start: number; used: number }>;

  constructor(now = Date.now()) {
    this.windows = { fiveHour: { start: now, used: 0 }, weekly: { start: now, used: 0 }, monthly: { start: now, used: 0 } };
  }

  reset(now = Date.now()): void {
    for (const w of Object.values(this.windows)) {
      w.start = now;
      w.used = 0;
    }
  }

  snapshot(limits: QuotaLimits, now = Date.now()): UsageSnapshot {
    const spec: Record<WindowName, [number, number]> = {
      fiveHour: [limits.fiveHourRequestLimit, limits.fiveHourWindowSec],
      weekly: [limits.weeklyRequestLimit, WEEK_SEC],
      monthly: [limits.monthlyRequestLimit, MONTH_SEC],
    };
    const out = {} as UsageSnapshot;
    for (const name of Object.keys(spec) as WindowName[]) {
      const [limit, lengthSec] = spec[name];
      const w = this.windows[name];
      const lengthMs = lengthSec * 1000;
      if (now >= w.start + lengthMs) {
        w.start += Math.floor((now - w.start) / lengthMs) * lengthMs;
        w.used = 0;
      }
      out[name] = { limit, used: w.used, remaining: Math.max(0, limit - w.used), resetAt: w.start + lengthMs, lengthSec };
    }
    return out;
  }

  consume(limits: QuotaLimits, now = Date.now()): void {
    this.snapshot(limits, now); // roll windows first
    for (const w of Object.values(this.windows)) w.used++;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const ratio = (w: WindowUsage) => String(w.limit > 0 ? Math.round((w.used / w.limit) * 10_000) / 10_000 : 1);

/**
 * Default shape (kimi-cli usage.py parser; landscape.md §6): numbers as strings, `usage` = weekly,
 * `limits[0]` = the short window.
 */
export function usageBody(u: UsageSnapshot, parallelLimit: number) {
  const detail = (w: WindowUsage) => ({
    limit: String(w.limit),
    used: String(w.used),
    remaining: String(w.remaining),
    resetTime: iso(w.resetAt),
  });
  const short = u.fiveHour.lengthSec % 60 === 0
    ? { duration: u.fiveHour.lengthSec / 60, timeUnit: "TIME_UNIT_MINUTE" }
    : { duration: u.fiveHour.lengthSec, timeUnit: "TIME_UNIT_SECOND" };
  return {
    usage: detail(u.weekly),
    limits: [{ window: short, detail: detail(u.fiveHour) }],
    parallel: { limit: String(parallelLimit) },
  };
}

/**
 * Alternative shape (landscape.md §6, "usages{limit_5h,limit_month_total,limit_month_code}").
 * Field choice is the emulator's (only `used_ratio`/`reset_time` of limit_month_code are published):
 * `limit_5h` = short window, `limit_month_total` = 30-day window, both with string
 * limit/used/remaining/used_ratio and ISO reset_time; `limit_month_code` = the same 30-day window
 * as used_ratio + reset_time only (every emulated request is a coding request).
 */
export function usagesBody(u: UsageSnapshot) {
  const full = (w: WindowUsage) => ({
    limit: String(w.limit),
    used: String(w.used),
    remaining: String(w.remaining),
    used_ratio: ratio(w),
    reset_time: iso(w.resetAt),
  });
  return {
    usages: {
      limit_5h: full(u.fiveHour),
      limit_month_total: full(u.monthly),
      limit_month_code: { used_ratio: ratio(u.monthly), reset_time: iso(u.monthly.resetAt) },
    },
  };
}
