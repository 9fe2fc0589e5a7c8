// Reading what a sandboxed opencode left behind: its auth.json, its log file, the JSON events of
// `run --format json`. Re-exported by opencode-sandbox.ts.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** The two files of an opencode home these readers need (OpencodeHome has both). */
export interface OpencodeHomePaths {
  authPath: string;
  logPath: string;
}

export type AuthFile = Record<string, Record<string, unknown>>;

/** Parsed auth.json, or undefined if it does not exist. */
export function readAuth(home: Pick<OpencodeHomePaths, "authPath">): AuthFile | undefined {
  if (!existsSync(home.authPath)) return undefined;
  return JSON.parse(readFileSync(home.authPath, "utf8")) as AuthFile;
}

/** Writes auth.json (mode 0600) as opencode would. Use integer `expires`. */
export function writeAuth(home: Pick<OpencodeHomePaths, "authPath">, auth: AuthFile): void {
  writeFileSync(home.authPath, JSON.stringify(auth, null, 2), { mode: 0o600 });
}

/**
 * The whole opencode log (one file, appended by every run), or "" if none yet.
 * Incomplete: lines from about the last second before exit are usually missing.
 */
export function readLog(home: Pick<OpencodeHomePaths, "logPath">): string {
  return existsSync(home.logPath) ? readFileSync(home.logPath, "utf8") : "";
}

/** Log lines at ERROR/WARN level from the log file, or from a `printLogs` run's stderr. */
export function logProblems(homeOrStderr: Pick<OpencodeHomePaths, "logPath"> | string): string[] {
  const text = typeof homeOrStderr === "string" ? homeOrStderr : readLog(homeOrStderr);
  return text.split("\n").filter((l) => /level=(ERROR|WARN)/.test(l));
}

export type OpencodeEvent = { type: string; [k: string]: unknown };

/** NDJSON events of `run --format json` (non-JSON lines are skipped). */
export function parseEvents(stdout: string): OpencodeEvent[] {
  const events: OpencodeEvent[] = [];
  for (const line of stdout.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const e = JSON.parse(t) as { type?: unknown };
      if (typeof e.type === "string") events.push(e as OpencodeEvent);
    } catch {
      // not an event
    }
  }
  return events;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}
