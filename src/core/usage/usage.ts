// Quota awareness: GET {apiBase}/usages and a parser for the shapes Kimi Code is known to return.
//
// Shape A (kimi-cli-wire.md §7): `usage{limit,used,remaining,resetTime}` (labelled "Weekly limit") plus
// `limits[{window{duration,timeUnit}, detail{limit,used,remaining,resetTime}}]`; numbers as strings.
// Shape B (landscape.md §6, seen 2026-09): `usages{limit_5h, limit_month_total, limit_month_code}`, each
// `{used_ratio, reset_time}` (a fraction, no counts), sometimes camelCase (`limit5h{usedRatio,resetAt}`)
// and wrapped in `{code, data:{quota:{…}}}`. Both can appear in one body; counted windows win over
// ratio windows of the same label.
import { describeJson, getJson, HttpError, isRecord, type JsonGetArgs } from "../support/http.ts";

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

/** The only error fetchUsage throws. */
export class UsageError extends HttpError {}

/** A window at or above this share used counts as "almost exhausted" when none is fully exhausted. */
export const NEARLY_EXHAUSTED_RATIO = 0.95;

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
  if (Object.hasOwn(fixed, k)) return fixed[k] as string; // own keys only: `constructor` is a key, not Object's
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

  const out: QuotaWindow[] = [];
  const seen = new Set<string>();
  for (const w of [...counted, ...ratios]) {
    if (seen.has(w.label)) continue;
    seen.add(w.label);
    out.push(w);
  }
  return out;
}

/** GET {apiBase}/usages (bearer token + caller headers, timeout). Throws UsageError only. */
export async function fetchUsage(args: JsonGetArgs & { now?: Date }): Promise<QuotaWindow[]> {
  const json = await getJson("/usages", args, (m, k, s) => new UsageError(m, k, s));
  if (!isRecord(json)) throw new UsageError(`GET /usages returned ${describeJson(json)}, not an object`, "shape");
  return parseUsage(json, args.now ?? new Date());
}

const pad = (n: number) => String(n).padStart(2, "0");
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "1 h 12 min", "45 min", "3 d 4 h", "less than a minute". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return "less than a minute";
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** Local clock time; with the day when the reset is not within the next 24 h. */
function formatResetClock(at: Date, now: Date): string {
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  if (at.getTime() - now.getTime() < 24 * 3600_000) return `at ${clock}`;
  return `on ${WEEKDAYS[at.getDay()]} ${at.getDate()} ${MONTHS[at.getMonth()]} at ${clock}`;
}

function usedText(w: QuotaWindow): string {
  return w.unit === "percent" ? `${Math.round(w.used)}%` : `${w.used}/${w.limit}`;
}

/**
 * A sentence for a chat 429, or undefined when /usages cannot explain it. Picks an exhausted window
 * (remaining 0 or used ≥ limit; among several, the one that resets last, since that is when requests
 * work again), else the fullest window if it is at least NEARLY_EXHAUSTED_RATIO used.
 * e.g. "Kimi Code quota exhausted: 5h limit used 300/300, resets at 14:05 (in 1 h 12 min)."
 */
/**
 * The window a 429 is about: an exhausted one (remaining 0 or used ≥ limit; of several, the one that
 * resets last), else the fullest one when it is at least NEARLY_EXHAUSTED_RATIO used; else undefined.
 */
export function pickQuotaWindow(windows: readonly QuotaWindow[]): { window: QuotaWindow; exhausted: boolean } | undefined {
  const valid = windows.filter((w) => w.limit > 0 && Number.isFinite(w.used) && Number.isFinite(w.limit));
  const exhausted = valid.filter((w) => w.remaining <= 0 || w.used >= w.limit);
  if (exhausted.length > 0) {
    const window = exhausted.reduce((a, b) => ((b.resetAt?.getTime() ?? -Infinity) > (a.resetAt?.getTime() ?? -Infinity) ? b : a));
    return { window, exhausted: true };
  }
  const fullest = valid.reduce<QuotaWindow | undefined>((a, b) => (!a || b.used / b.limit > a.used / a.limit ? b : a), undefined);
  if (!fullest || fullest.used / fullest.limit < NEARLY_EXHAUSTED_RATIO) return undefined;
  return { window: fullest, exhausted: false };
}

/**
 * A user sentence for a chat 429, e.g. "Kimi Code quota exhausted: 5h limit used 300/300, resets at
 * 14:05 (in 1 h 12 min)."; undefined when /usages cannot tell. `counts: false` says "used up" instead of
 * the numbers (for messages that must not contain digit runs opencode's retry heuristics react to).
 */
export function describeQuotaExhaustion(
  windows: readonly QuotaWindow[],
  now: Date = new Date(),
  { counts = true }: { counts?: boolean } = {},
): string | undefined {
  const picked = pickQuotaWindow(windows);
  if (!picked) return undefined;
  const { window: pick, exhausted } = picked;
  let reset = "";
  if (pick.resetAt) {
    const ms = pick.resetAt.getTime() - now.getTime();
    reset = ms <= 0 ? ", resetting now" : `, resets ${formatResetClock(pick.resetAt, now)} (in ${formatDuration(ms)})`;
  }
  const used = counts ? `used ${usedText(pick)}` : exhausted ? "used up" : "almost used up";
  return `Kimi Code quota ${exhausted ? "exhausted" : "almost exhausted"}: ${pick.label} ${used}${reset}.`;
}
