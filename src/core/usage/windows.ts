// The quota windows of a GET /usages body, for every shape Kimi Code is known to return (pure).
//
// Shape A (kimi-cli-wire.md §7): `usage{limit,used,remaining,resetTime}` (labelled "Weekly limit") plus
// `limits[{window{duration,timeUnit}, detail{limit,used,remaining,resetTime}}]`; numbers as strings.
// Shape B (landscape.md §6, seen 2026-09): `usages{limit_5h, limit_month_total, limit_month_code}`, each
// `{used_ratio, reset_time}` (a fraction, no counts), sometimes camelCase (`limit5h{usedRatio,resetAt}`)
// and wrapped in `{code, data:{quota:{…}}}`.
// Production today (kimi-code-official.md "/usages: the production body"): both shapes in one body,
// `usage` (weekly) + `limits[]` (5-hour) counted, and `usages{limit_5h, limit_7d, limit_month_*}` as
// ratios, which can disagree (kimi-code#3951: `usage` 100 of 100 used, `limit_7d.used_ratio` 0). Windows
// of one label are merged and the MORE BINDING one wins, so every reader (errors, usage display) agrees.
import { isRecord } from "../support/http.ts";

export interface QuotaWindow {
  /** "Weekly limit", "5h limit", "Monthly limit", … (kimi-cli's labels where it has them). */
  label: string;
  used: number;
  limit: number;
  remaining: number;
  resetAt?: Date;
  /** "count": requests/units; "percent": only a ratio is known, limit is 100. */
  unit: "count" | "percent";
}

function num(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

function int(value: unknown): number | undefined {
  const n = num(value);
  return n === undefined ? undefined : Math.trunc(n);
}

/** ISO 8601 with any number of fraction digits (Kimi sends nanoseconds; JS keeps milliseconds). */
export function parseResetTime(value: string): Date | undefined {
  const trimmed = value.trim().replace(/(\.\d{3})\d+/, "$1");
  return validDate(Date.parse(trimmed));
}

function validDate(ms: number): Date | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function resetAtOf(data: Record<string, unknown>, now: Date): Date | undefined {
  for (const key of ["reset_at", "resetAt", "reset_time", "resetTime"]) {
    const v = data[key];
    if (typeof v === "string" && v.trim() !== "") {
      const d = parseResetTime(v);
      if (d) return d;
    } else if (typeof v === "number" && Number.isFinite(v) && v > 0) {
      const d = validDate(v > 1e12 ? v : v * 1000); // epoch ms or s
      if (d) return d;
    }
  }
  for (const key of ["reset_in", "resetIn", "ttl", "window"]) {
    const seconds = num(data[key]);
    const d = seconds !== undefined && seconds > 0 ? validDate(now.getTime() + seconds * 1000) : undefined;
    if (d) return d;
  }
  return undefined;
}

function explicitLabel(...sources: Record<string, unknown>[]): string | undefined {
  for (const key of ["name", "title"]) {
    for (const s of sources) {
      const v = s[key];
      if (typeof v === "string" && v.trim() !== "") return v.trim();
    }
  }
  return undefined;
}

/** kimi-cli's label for a `limits[]` item: name/title/scope, else from window duration + unit. */
function limitLabel(item: Record<string, unknown>, detail: Record<string, unknown>, window: Record<string, unknown>, idx: number): string {
  const named = explicitLabel(item, detail);
  if (named) return named;
  for (const s of [item, detail]) if (typeof s.scope === "string" && s.scope.trim() !== "") return scopeLabel(s.scope);
  const duration = int(window.duration ?? item.duration ?? detail.duration);
  const unitRaw = window.timeUnit ?? item.timeUnit ?? detail.timeUnit;
  const unit = typeof unitRaw === "string" ? unitRaw.toUpperCase() : "";
  if (duration && duration > 0) {
    if (unit.includes("MINUTE")) return duration % 60 === 0 ? `${duration / 60}h limit` : `${duration}m limit`;
    if (unit.includes("HOUR")) return `${duration}h limit`;
    if (unit.includes("DAY")) return duration === 7 ? "Weekly limit" : `${duration}d limit`;
    return `${duration}s limit`;
  }
  return `Limit #${idx + 1}`;
}

function scopeLabel(scope: string): string {
  return scope === "FEATURE_CODING" ? "Weekly limit" : scope;
}

/** Label for a key of the `usages` map: limit_5h → "5h limit", limit_7d → "Weekly limit", … */
function ratioKeyLabel(key: string): string {
  const k = key.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(); // limitMonthTotal → limit_month_total
  const fixed: Record<string, string> = {
    limit_month_total: "Monthly limit",
    limit_month_code: "Monthly coding limit",
    limit_week: "Weekly limit",
    limit_month: "Monthly limit",
  };
  if (Object.hasOwn(fixed, k)) return fixed[k] as string;
  const m = /^limit_?(\d+)_?([mhdw])$/.exec(k);
  if (m) {
    const n = Number(m[1]);
    const u = m[2];
    if ((u === "d" && n === 7) || (u === "w" && n === 1)) return "Weekly limit";
    return `${n}${u} limit`;
  }
  return key;
}

function countWindow(data: Record<string, unknown>, label: string, now: Date): QuotaWindow | undefined {
  const limit = int(data.limit);
  if (limit === undefined || limit <= 0) return undefined; // no positive limit: says nothing
  let used = int(data.used);
  let remaining = int(data.remaining);
  if (used === undefined && remaining === undefined) return undefined;
  used ??= limit - (remaining as number);
  remaining ??= limit - used;
  const w: QuotaWindow = { label, used: Math.max(0, used), limit, remaining: Math.max(0, remaining), unit: "count" };
  const resetAt = resetAtOf(data, now);
  if (resetAt) w.resetAt = resetAt;
  return w;
}

function ratioWindow(data: Record<string, unknown>, label: string, now: Date): QuotaWindow | undefined {
  const ratio = num(data.used_ratio ?? data.usedRatio);
  if (ratio === undefined) return undefined;
  const used = Math.round(Math.min(1, Math.max(0, ratio)) * 1000) / 10; // percent, one decimal
  const w: QuotaWindow = { label, used, limit: 100, remaining: Math.round((100 - used) * 10) / 10, unit: "percent" };
  const resetAt = resetAtOf(data, now);
  if (resetAt) w.resetAt = resetAt;
  return w;
}

function hasUsageKeys(r: Record<string, unknown>): boolean {
  return "usage" in r || "limits" in r || "usages" in r;
}

/**
 * All quota windows in a /usages body, in body order (summary first). Never throws; an unknown
 * shape gives []. `now` resolves relative resets (reset_in/ttl seconds).
 */
export function parseUsage(json: unknown, now: Date = new Date()): QuotaWindow[] {
  try {
    return parseUsageUnsafe(json, now);
  } catch {
    return [];
  }
}

function parseUsageUnsafe(json: unknown, now: Date): QuotaWindow[] {
  let root: unknown = json;
  for (let i = 0; i < 3 && isRecord(root) && !hasUsageKeys(root); i++) {
    root = isRecord(root.data) ? root.data : isRecord(root.quota) ? root.quota : undefined;
  }
  if (!isRecord(root)) return [];

  const counted: QuotaWindow[] = [];
  const push = (w: QuotaWindow | undefined) => {
    if (w) counted.push(w);
  };
  const pushLimits = (list: unknown[]) => {
    list.forEach((item, idx) => {
      if (!isRecord(item)) return;
      const detail = isRecord(item.detail) ? item.detail : item;
      const window = isRecord(item.window) ? item.window : {};
      push(countWindow(detail, limitLabel(item, detail, window, idx), now));
    });
  };

  if (isRecord(root.usage)) push(countWindow(root.usage, explicitLabel(root.usage) ?? "Weekly limit", now));
  if (Array.isArray(root.limits)) pushLimits(root.limits);

  const ratios: QuotaWindow[] = [];
  const usages = root.usages;
  if (Array.isArray(usages)) {
    // [{scope, detail{limit,used,remaining,resetTime}, limits[…]}]
    for (const item of usages) {
      if (!isRecord(item)) continue;
      const detail = isRecord(item.detail) ? item.detail : item;
      const label = explicitLabel(item, detail) ?? (typeof item.scope === "string" ? scopeLabel(item.scope) : "Weekly limit");
      push(countWindow(detail, label, now));
      if (Array.isArray(item.limits)) pushLimits(item.limits);
    }
  } else if (isRecord(usages)) {
    for (const [key, value] of Object.entries(usages)) {
      if (!isRecord(value)) continue;
      const label = explicitLabel(value) ?? ratioKeyLabel(key);
      const w = countWindow(value, label, now) ?? ratioWindow(value, label, now);
      if (w) (w.unit === "count" ? counted : ratios).push(w);
    }
  }

  return mergeByLabel([...counted, ...ratios]);
}

/** Share of a window used, 1 when exhausted: the higher, the more binding. */
function binding(w: QuotaWindow): number {
  return w.remaining <= 0 || w.used >= w.limit ? 1 : w.used / w.limit;
}

/**
 * One window per label, in first-seen order: the more binding of two wins (on a tie the earlier, i.e.
 * the counted one); a winner without a reset time takes the other's.
 */
function mergeByLabel(windows: readonly QuotaWindow[]): QuotaWindow[] {
  const byLabel = new Map<string, QuotaWindow>();
  for (const w of windows) {
    const prev = byLabel.get(w.label);
    if (!prev) {
      byLabel.set(w.label, w);
      continue;
    }
    const [win, lose] = binding(w) > binding(prev) ? [w, prev] : [prev, w];
    byLabel.set(w.label, !win.resetAt && lose.resetAt ? { ...win, resetAt: lose.resetAt } : win);
  }
  return [...byLabel.values()];
}
