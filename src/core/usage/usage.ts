// Quota awareness: GET {apiBase}/usages (parsed by windows.ts and booster-wallet.ts) and the sentences
// that tell the user about a used-up window and its reset.
import { describeJson, getJson, HttpError, isRecord, type JsonGetArgs } from "../support/http.ts";
import { parseBoosterWallet, type BoosterWallet } from "./booster-wallet.ts";
import { parseUsage, type QuotaWindow } from "./windows.ts";

export { parseResetTime, parseUsage, type QuotaWindow } from "./windows.ts";
export { parseBoosterWallet, type BoosterWallet } from "./booster-wallet.ts";

/** The only error fetchUsage throws. */
export class UsageError extends HttpError {}

/** A window at or above this share used counts as "almost exhausted" when none is fully exhausted. */
export const NEARLY_EXHAUSTED_RATIO = 0.95;

/** Everything the plugin reads from GET /usages. */
export interface UsageReport {
  windows: QuotaWindow[];
  /** "Extra usage" (`boosterWallet`), when the body has one. */
  wallet?: BoosterWallet;
  /** `parallel.limit`: how many requests Kimi serves at once for this account. */
  parallelLimit?: number;
}

/** The whole /usages body; never throws. */
export function parseUsageReport(json: unknown, now: Date = new Date()): UsageReport {
  const report: UsageReport = { windows: parseUsage(json, now) };
  if (!isRecord(json)) return report;
  const wallet = parseBoosterWallet(json.boosterWallet);
  if (wallet) report.wallet = wallet;
  const parallel = isRecord(json.parallel) ? Number(json.parallel.limit) : Number.NaN;
  if (Number.isInteger(parallel) && parallel > 0) report.parallelLimit = parallel;
  return report;
}

/** GET {apiBase}/usages (bearer token + caller headers, timeout). Throws UsageError only. */
export async function fetchUsageReport(args: JsonGetArgs & { now?: Date }): Promise<UsageReport> {
  const json = await getJson("/usages", args, (m, k, s) => new UsageError(m, k, s));
  if (!isRecord(json)) throw new UsageError(`GET /usages returned ${describeJson(json)}, not an object`, "shape");
  return parseUsageReport(json, args.now ?? new Date());
}

/** The quota windows of GET /usages. Throws UsageError only. */
export async function fetchUsage(args: JsonGetArgs & { now?: Date }): Promise<QuotaWindow[]> {
  return (await fetchUsageReport(args)).windows;
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

/** "at 14:05 (in 1 h 12 min)", "on Tue 8 Dec at 09:00 (in 2 d 5 h)" (local time), "now" when past. */
export function describeReset(at: Date, now: Date = new Date()): string {
  const ms = at.getTime() - now.getTime();
  return ms <= 0 ? "now" : `${formatResetClock(at, now)} (in ${formatDuration(ms)})`;
}

function usedText(w: QuotaWindow): string {
  return w.unit === "percent" ? `${Math.round(w.used)}%` : `${w.used}/${w.limit}`;
}

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
    reset = ms <= 0 ? ", resetting now" : `, resets ${describeReset(pick.resetAt, now)}`;
  }
  const used = counts ? `used ${usedText(pick)}` : exhausted ? "used up" : "almost used up";
  return `Kimi Code quota ${exhausted ? "exhausted" : "almost exhausted"}: ${pick.label} ${used}${reset}.`;
}
