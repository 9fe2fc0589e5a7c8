// How a usage answer reads on screen, shared by every front door (the TUI dialog; the CLI's
// terminal rendering uses the same facts): the 5-hour window first, then weekly, then monthly; a
// text bar, used/limit, the percentage, and the reset in local time and relative. Pure.
import { formatDuration, type QuotaWindow } from "./usage.ts";

/** 5-hour (any minutes/hours window) first, then weekly, then monthly, then the rest in body order. */
function rank(label: string): number {
  if (/^\d+\s*[hm]\b|^\d+[hm] limit/i.test(label)) return 0;
  if (/week/i.test(label)) return 1;
  if (/month/i.test(label)) return 2;
  return 3;
}

export function orderWindows(windows: readonly QuotaWindow[]): QuotaWindow[] {
  return windows
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank(a.w.label) - rank(b.w.label) || a.i - b.i)
    .map((x) => x.w);
}

/** Share used in 0..1 (0 for a window without a positive limit). */
export function usedShare(w: QuotaWindow): number {
  const s = w.limit > 0 ? w.used / w.limit : 0;
  return Math.min(1, Math.max(0, Number.isFinite(s) ? s : 0));
}

export function isExhausted(w: QuotaWindow): boolean {
  return w.remaining <= 0 || w.used >= w.limit;
}

/** `█████░░░░░` for a share in 0..1. */
export function quotaBar(share: number, width: number): string {
  const s = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.round(s * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** "2026-12-02 16:45" in local time. */
export function localTime(at: Date): string {
  return `${at.getFullYear()}-${pad2(at.getMonth() + 1)}-${pad2(at.getDate())} ${pad2(at.getHours())}:${pad2(at.getMinutes())}`;
}

/** "in 2 h 14 min" / "3 min ago". */
export function relativeTime(at: Date, now: number): string {
  const ms = at.getTime() - now;
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** "120/300" for counted windows, "40% used" when Kimi only gives a ratio. */
export function usedAmount(w: QuotaWindow): string {
  return w.unit === "percent" ? `${w.used}% used` : `${w.used}/${w.limit}`;
}

export function percentText(w: QuotaWindow): string {
  return `${Math.round(usedShare(w) * 100)}%`;
}

export function resetText(w: QuotaWindow, now: number): string {
  if (!w.resetAt) return "no reset time given";
  if (w.resetAt.getTime() <= now) return "resetting now";
  return `resets ${localTime(w.resetAt)} (${relativeTime(w.resetAt, now)})`;
}

export interface UsageReport {
  windows: QuotaWindow[];
  /** The plan's name when Kimi's answer names it. */
  plan?: string;
}

export const DIALOG_BAR_WIDTH = 24;

/**
 * The usage answer as plain text lines (no colour; narrow enough for opencode's dialog, ~50 columns),
 * one block per window, blocks separated by an empty line:
 *   5h limit
 *   ███░░░░░░░░░░░░░░░░░░░░░   14%   42/300 used
 *   resets 2026-12-02 20:47 (in 4 h 59 min)
 */
export function usageLines(report: UsageReport, now: number, barWidth = DIALOG_BAR_WIDTH): string[] {
  const lines: string[] = [];
  if (report.plan) lines.push(`Plan: ${report.plan}`, "");
  const ordered = orderWindows(report.windows);
  if (ordered.length === 0) {
    lines.push("Kimi Code answered, but its usage answer lists no quota windows this version understands.");
    return lines;
  }
  ordered.forEach((w, i) => {
    if (i > 0) lines.push("");
    lines.push(isExhausted(w) ? `${w.label} · used up` : w.label);
    const amount = w.unit === "percent" ? "" : `   ${usedAmount(w)} used`;
    lines.push(`${quotaBar(usedShare(w), barWidth)}  ${percentText(w).padStart(4)}${amount}`);
    lines.push(resetText(w, now));
  });
  return lines;
}
