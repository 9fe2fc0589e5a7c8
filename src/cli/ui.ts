// Terminal output: colour only on a terminal and never with NO_COLOR (https://no-color.org), check
// marks, quota bars, and times in local time with a relative part ("in 2 h 14 min").
import { formatDuration } from "../core/usage/usage.ts";
import type { Env } from "./setup.ts";

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string) => s;

/** Colour when stdout is a terminal, NO_COLOR is unset or empty, and --no-color was not given. */
export function styleFor(isTTY: boolean, env: Env, noColorFlag: boolean): Style {
  const on = isTTY && !noColorFlag && !(env.NO_COLOR !== undefined && env.NO_COLOR !== "") && env.TERM !== "dumb";
  if (!on) return { bold: plain, dim: plain, green: plain, yellow: plain, red: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39) };
}

export type Level = "ok" | "warn" | "fail" | "info";

export function mark(level: Level, style: Style): string {
  switch (level) {
    case "ok":
      return style.green("ok  ");
    case "warn":
      return style.yellow("warn");
    case "fail":
      return style.red("FAIL");
    case "info":
      return style.dim("info");
  }
}

/** `[██████░░░░░░]` for a share in 0..1; coloured by how full it is. */
export function bar(share: number, width: number, style: Style): string {
  const s = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.round(s * width);
  const body = "█".repeat(filled) + "░".repeat(width - filled);
  const colour = s >= 1 ? style.red : s >= 0.8 ? style.yellow : style.green;
  return `[${colour(body)}]`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** "2026-12-02 16:45" in local time. */
export function localTime(at: Date): string {
  return `${at.getFullYear()}-${pad2(at.getMonth() + 1)}-${pad2(at.getDate())} ${pad2(at.getHours())}:${pad2(at.getMinutes())}`;
}

/** "in 2 h 14 min" / "3 min ago". */
export function relative(at: Date, now: number): string {
  const ms = at.getTime() - now;
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** Left-aligned label column. */
export function row(label: string, value: string, width = 16): string {
  return `  ${label.padEnd(width)} ${value}`;
}

/** Masks a secret for display: the first 6 characters, then "…[redacted]". */
export function redactToken(token: string): string {
  return token.length <= 6 ? "[redacted]" : `${token.slice(0, 6)}…[redacted]`;
}

/** Word-wraps `text` to `width` columns, every line after the first indented by `indent`. */
export function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}
