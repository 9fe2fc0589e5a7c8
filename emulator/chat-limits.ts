// What stands between an authenticated chat request and an answer, as live Kimi decides it: the
// client gate, a blocked account, an overloaded engine, used-up quota windows, and the concurrency
// limit. Each refusal is a row of Kimi's error table (kimi-errors.ts).
import { kimiError, kimiErrorBody, type KimiErrorId } from "./kimi-errors.ts";
import type { ResolvedOptions } from "./options.ts";
import type { UsageSnapshot, WindowName } from "./quota.ts";

export interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Platforms bound to one client's User-Agent. kimi-code 2.1.0 sends `kimi-code-cli/<v>` with
 * `kimi_code_cli` (kimi-code-official.md "Wire"); Kimi once refused `kimi_code_cli` outright
 * (kimi-code#636, landscape.md §5), so the emulator admits it only from that client (emulator's
 * choice: no capture shows another pairing). `kimi_cli` stays open to any allowed User-Agent, as before.
 */
export const PLATFORM_USER_AGENTS: Readonly<Record<string, string>> = {
  kimi_code_cli: "kimi-code-cli/",
};

/** True when the client may chat (landscape.md §5: User-Agent prefix + X-Msh-Platform, if sent). */
export function passesGate(headers: Record<string, string>, prefixes: readonly string[], platforms: readonly string[]): boolean {
  const ua = headers["user-agent"] ?? "";
  if (!prefixes.some((p) => ua.startsWith(p))) return false;
  const platform = headers["x-msh-platform"];
  if (platform === undefined) return true;
  if (!platforms.includes(platform)) return false;
  const owner = PLATFORM_USER_AGENTS[platform];
  return owner === undefined || ua.startsWith(owner);
}

/** A refusal for a row of Kimi's error table. */
export function refusalFor(id: KimiErrorId, headers?: Record<string, string>): Refusal {
  const row = kimiError(id);
  return { status: row.status, body: kimiErrorBody(id), ...(headers ? { headers } : {}) };
}

/** Account-level refusals checked right after the gate: blocked account, then overload. */
export function accountRefusal(opts: ResolvedOptions): Refusal | null {
  if (opts.accountBlocked) return refusalFor("account-blocked");
  if (opts.engineOverloaded) return refusalFor("engine-overloaded");
  return null;
}

export const DEFAULT_QUOTA_ERROR_ROWS: Readonly<Record<WindowName, KimiErrorId>> = {
  fiveHour: "quota-5h",
  weekly: "quota-weekly",
  monthly: "quota-monthly",
};

/** The most binding first: the window that resets last decides when requests work again. */
const BINDING_ORDER: readonly WindowName[] = ["monthly", "weekly", "fiveHour"];

/**
 * The answer to a chat when a quota window is used up, or null. `quotaErrors: "kimi"` (default) answers
 * as live Kimi: the 5-hour window 429 "usage limit for this period", the weekly 403
 * `access_terminated_error` "weekly (7-day) usage limit", the monthly 403 "monthly usage limit"
 * (rows overridable per window with `quotaErrorRows`). `"retry-after"` is the emulator's earlier
 * behaviour: 429 with `Retry-After` = seconds until the latest reset among used-up windows.
 */
export function quotaRefusal(opts: ResolvedOptions, usage: UsageSnapshot, now = Date.now()): Refusal | null {
  const exhausted = BINDING_ORDER.filter(
    (name) => usage[name].remaining <= 0 || (name === "weekly" && opts.usageShape === "contradictory"),
  );
  const first = exhausted[0];
  if (first === undefined) return null;
  if (opts.quotaErrors === "retry-after") {
    const latest = Math.max(...exhausted.map((name) => usage[name].resetAt));
    const retryAfter = Math.max(1, Math.ceil((latest - now) / 1000));
    return {
      status: 429,
      body: { error: { message: `You have reached your request limit; it resets in ${retryAfter} seconds.`, type: "rate_limit_reached_error" } },
      headers: { "retry-after": String(retryAfter) },
    };
  }
  return refusalFor(opts.quotaErrorRows[first] ?? DEFAULT_QUOTA_ERROR_ROWS[first]);
}

/**
 * Chats being answered right now. Kimi allows about 30 at once (`parallel.limit` in /usages; Kimi
 * forum "maximum concurrency of 30"); one more is refused with 429 "too many requests".
 */
export class ParallelChats {
  private count = 0;

  get inFlight(): number {
    return this.count;
  }

  /** Takes a slot, or returns false when `limit` chats are already in flight. */
  tryEnter(limit: number): boolean {
    if (this.count >= limit) return false;
    this.count++;
    return true;
  }

  leave(): void {
    this.count = Math.max(0, this.count - 1);
  }
}
