// The soak's outcome files read back, and its figures as the Markdown of bench/SOAK.md.
import { existsSync, readFileSync } from "node:fs";

export interface Outcomes {
  sent: number;
  ok: number;
  /** Failed requests by cause: the plugin's error type, "network" or "incomplete-stream". */
  failed: Record<string, number>;
  longestMs: number;
  /** Warnings and errors the plugin logged (first 20). */
  logLines: string[];
}

export interface SoakFigures {
  date: string;
  seconds: number;
  processes: number;
  lifetime: number;
  kills: number;
  killsHoldingLock: number;
  /** ms from killing a lock holder until another process had taken or cleared the lock. */
  lockRecoveries: number[];
  refreshes: number;
  invalidGrants: number;
  outcomes: Outcomes;
  /** The stored login still refreshes at the end. */
  loginIntact: boolean;
  /** Each time the stored login was found spent (and logged in again): when, and whether a lock holder had just been killed. */
  loginsLost: { atSec: number; afterLockKill: boolean }[];
  /** The secrets scan of everything the soak left: files (other than auth.json) holding a token, plugin files not 0600. */
  secrets: { tokens: number; filesWithTokens: string[]; badModes: string[] };
}

export function collectOutcomes(files: readonly string[]): Outcomes {
  const o: Outcomes = { sent: 0, ok: 0, failed: {}, longestMs: 0, logLines: [] };
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (!text.startsWith("{")) continue;
      let line: { status?: number; type?: string; ms?: number; log?: string };
      try {
        line = JSON.parse(text);
      } catch {
        continue; // the last line of a killed process may be cut
      }
      if (line.log !== undefined) {
        if (/ (warn|error): /.test(line.log) && o.logLines.length < 20) o.logLines.push(line.log);
        continue;
      }
      o.sent++;
      o.longestMs = Math.max(o.longestMs, line.ms ?? 0);
      if (line.status === 200 && line.type === undefined) o.ok++;
      else o.failed[line.type ?? `http_${line.status}`] = (o.failed[line.type ?? `http_${line.status}`] ?? 0) + 1;
    }
  }
  return o;
}

export function renderSoak(f: SoakFigures, machine: string): string {
  const failed = Object.entries(f.outcomes.failed);
  const recoveries = [...f.lockRecoveries].sort((a, b) => a - b);
  return [
    "# Soak",
    "",
    `Run ${f.date} · ${machine}. Re-run: \`npm run soak\` (\`-- --seconds 600 --processes 8 --token-lifetime 20\`).`,
    "",
    `${f.processes} plugin processes on one auth.json, ${f.seconds} s, access tokens living ${f.lifetime} s, single-use rotating`,
    "refresh tokens; a process is SIGKILLed every few seconds (some while holding the refresh lock) and restarted.",
    "Requests in flight when a process is killed die with it and are not counted.",
    "",
    "| figure | value | goal |",
    "|---|---|---|",
    `| requests sent | ${f.outcomes.sent} | |`,
    `| succeeded | ${f.outcomes.ok} | all |`,
    `| failed | ${failed.reduce((n, [, c]) => n + c, 0)}${failed.length ? ` (${failed.map(([k, c]) => `${k}: ${c}`).join(", ")})` : ""} | 0 |`,
    `| refresh grants answered 200 | ${f.refreshes} | about one per ${f.lifetime / 2} s |`,
    `| refresh grants refused (\`invalid_grant\`) | ${f.invalidGrants} | 0 |`,
    `| logins lost (the stored refresh token spent; the soak logs in again) | ${f.loginsLost.length}${f.loginsLost.length ? ` (${f.loginsLost.filter((l) => l.afterLockKill).length} within 10 s of killing a lock holder)` : ""} | 0 |`,
    `| login works at the end | ${f.loginIntact ? "yes" : "**no**"} | yes |`,
    `| files (logs, cache, locks; not auth.json) holding any of the ${f.secrets.tokens} issued tokens | ${f.secrets.filesWithTokens.length}${f.secrets.filesWithTokens.length ? ` (${f.secrets.filesWithTokens.join(", ")})` : ""} | 0 |`,
    `| plugin files not 0600 | ${f.secrets.badModes.length}${f.secrets.badModes.length ? ` (${f.secrets.badModes.join(", ")})` : ""} | 0 |`,
    `| longest request (incl. any wait for a refresh or the lock) | ${f.outcomes.longestMs.toFixed(0)} ms | |`,
    `| processes killed / of them holding the refresh lock | ${f.kills} / ${f.killsHoldingLock} | |`,
    `| locks of killed holders recovered / longest recovery | ${recoveries.filter(Number.isFinite).length} of ${recoveries.length} / ${recoveries.length ? recoveries[recoveries.length - 1]!.toFixed(0) : "–"} ms | all |`,
    "",
    f.outcomes.logLines.length ? "Warnings and errors the plugin logged (first 20):\n\n```\n" + f.outcomes.logLines.join("\n") + "\n```\n" : "The plugin logged no warning or error.\n",
  ].join("\n");
}
