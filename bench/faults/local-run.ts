// Runs the local-state cells (local-state.ts) and judges each: the login, the messages, the files.
import { readdir } from "node:fs/promises";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { LOCAL_CELLS, mode600, type LocalCell, type LocalOutcome } from "./local-state.ts";
import { localWorld, runKimiCode, snapshot, startOpencode, type LocalWorld } from "./local-world.ts";

const STACK = /\n\s+at \S|\bat \S+ \(\/|\.ts:\d+:\d+/;

/** The stored login after the run, against the bytes planted before it. */
async function judgeLogin(w: LocalWorld, before: string): Promise<{ login: string; loginKept: boolean }> {
  const after = await snapshot(w.authFile);
  let parsed: Record<string, { refresh?: unknown }> | undefined;
  try {
    parsed = JSON.parse(after) as Record<string, { refresh?: unknown }>;
  } catch {
    // not JSON (planted so, or damaged)
  }
  const refresh = parsed?.[PROVIDER_ID]?.refresh;
  const check = typeof refresh === "string" ? w.emu.state.tokens.checkRefresh(refresh) : undefined;
  if (after === before) {
    if (check === "used") return { login: "**spent**: bytes unchanged, but the refresh token was redeemed and the rotation could not be saved (log in again after a restart)", loginKept: false };
    return { login: "unchanged byte-for-byte", loginKept: true };
  }
  if (check === "ok" && parsed?.openai !== undefined) return { login: "rotated and saved (the refresh token works); other entries kept", loginKept: true };
  return { login: `**changed**: ${after.slice(0, 80)}`, loginKept: false };
}

/** The lines of `status` and `doctor --no-probe` that say what is wrong (or that all is well). */
async function cliSays(w: LocalWorld, cell: LocalCell): Promise<{ text: string; messages: string[] }> {
  // The command sees the plugin's identity as a user's would (here through its environment variable).
  const env: Record<string, string> = typeof cell.options?.identity === "string" ? { KIMI_CODE_IDENTITY: cell.options.identity } : {};
  const status = await runKimiCode(w, ["status"], cell.limitMs, env);
  const doctor = await runKimiCode(w, ["doctor", "--no-probe"], cell.limitMs, env);
  const statusLine = status.text.split("\n").find((l) => /^kimi-code:|^ *login\b/.test(l))?.trim() ?? status.text.split("\n")[0] ?? "";
  const lines = doctor.text.split("\n");
  const warn = lines.find((l) => /^warn/.test(l) && !l.includes("not on PATH"));
  const fail = lines.find((l) => /^FAIL|^kimi-code:/.test(l))?.trim() ?? (warn ? warn.trim() : "no failures");
  return { text: `status (exit ${status.code}): ${statusLine} — doctor (exit ${doctor.code}): ${fail}`, messages: [status.text, doctor.text] };
}

async function tempLeftovers(w: LocalWorld): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [w.dataDir, w.cacheDir, w.shareDir]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    out.push(...names.filter((n) => n.endsWith(".tmp") || n.endsWith(".break")).map((n) => `temp file left: ${n}`));
  }
  return out;
}

export async function runLocalCell(cell: LocalCell): Promise<LocalOutcome | { skipped: string }> {
  const w = await localWorld(cell.dueLogin ? { dueLogin: true } : {});
  try {
    const planted = await cell.plant(w);
    const note = typeof planted === "string" ? planted : "";
    if (note.startsWith("skip:")) return { skipped: note.slice(5).trim() };
    const before = await snapshot(w.authFile);
    const t0 = Date.now();
    const run = await startOpencode(w, cell.options ?? {}, { opencodeReadsNothing: cell.opencodeReadsNothing, limitMs: cell.limitMs });
    const seconds = (Date.now() - t0) / 1000;
    const { login, loginKept } = await judgeLogin(w, before);
    const cli = await cliSays(w, cell);
    const violations = [...((await cell.after?.(w)) ?? []), ...(await tempLeftovers(w))];
    if ((await snapshot(w.cacheFile)) !== "symlink") violations.push(...(await mode600(w.cacheFile)));
    const log = run.logs[0] ?? "";
    for (const [what, text] of [["chat", run.chat], ["log", run.logs.join("\n")], ["cli", cli.messages.join("\n")]] as const) {
      if (STACK.test(text)) violations.push(`a stack trace in the ${what} output`);
    }
    if (run.chat !== "ok" && run.chat.trim() === "") violations.push("an empty message");
    return { chat: run.chat, log, cli: cli.text, broken: run.broken, login, loginKept, violations, note, seconds };
  } finally {
    await w.close();
  }
}

export async function runLocalCells(cells: readonly LocalCell[] = LOCAL_CELLS): Promise<{ cell: LocalCell; outcome: LocalOutcome | { skipped: string } | { error: string } }[]> {
  const out: { cell: LocalCell; outcome: LocalOutcome | { skipped: string } | { error: string } }[] = [];
  for (const cell of cells) {
    try {
      out.push({ cell, outcome: await runLocalCell(cell) });
    } catch (error) {
      out.push({ cell, outcome: { error: String((error as Error).message).slice(0, 200) } });
    }
  }
  return out;
}

const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ");
const cut = (s: string, n = 220) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The FAULTS.md section. */
export function localSection(results: Awaited<ReturnType<typeof runLocalCells>>): string[] {
  return [
    "## Hostile and corrupt local state",
    "",
    "Re-run: `npm run faults`. Each cell plants one hostile local state in a fresh temp HOME, then starts the plugin as",
    "opencode does (server(), the config hook, the auth loader, chat.params), sends one chat turn through the loader's",
    "fetch against the emulator, and runs `kimi-code status` and `kimi-code doctor --no-probe`. \"opencode\" is *broken*",
    "when a hook threw or a step did not finish in 20 s (90 s for the live-looking lock, which is waited out for 60 s). The login is judged against the bytes before the start and the",
    "emulator's record of the refresh token. Mounts (read-only bind, a full 64 KiB tmpfs) need root.",
    "",
    "| area | cell | chat shows | plugin log (first warning) | kimi-code CLI | opencode | stored login | files | took |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.map(({ cell, outcome: o }) => {
      if ("skipped" in o) return `| ${cell.group} | ${cell.name} | not run: ${esc(o.skipped)} | | | | | | |`;
      if ("error" in o) return `| ${cell.group} | ${cell.name} | **harness error**: ${esc(o.error)} | | | | | | |`;
      const broken = o.broken.length ? `**broken**: ${esc(o.broken.join("; "))}` : "works";
      const files = o.violations.length ? `**${esc(o.violations.join("; "))}**` : "ok";
      const note = [o.note, cell.knownLimit ? `known limit, ${cell.knownLimit}` : ""].filter(Boolean).map((n) => ` (${esc(n)})`).join("");
      return `| ${cell.group} | ${cell.name}${note} | ${esc(cut(o.chat, 160))} | ${esc(cut(o.log))} | ${esc(cut(o.cli, 260))} | ${broken} | ${esc(o.login)} | ${files} | ${o.seconds.toFixed(1)} s |`;
    }),
    "",
  ];
}
