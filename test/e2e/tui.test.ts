// The real opencode 1.18.33 TUI in tmux, with the TUI plugin enabled by its one tui.json line and a
// login seeded against the emulator: `/kimi-usage` shows the windows with bars, percentages and
// resets; `/kimi-status` shows the login facts. Fails (never skips) when tmux is missing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../../emulator/index.ts";
import { kill, pressKey, startTui, typeText, waitForScreen, type TuiSession } from "../../scripts/tmux-tui.ts";
import { initDatabase, REPO_ROOT, type OpencodeHome } from "./harness.ts";
import { cleanupHomes, kimiHome, seedLogin, startKimi } from "./kimi.ts";

const START_TIMEOUT_MS = 180_000;
const DIALOG_TIMEOUT_MS = 60_000;

let emu: RunningEmulator;
let home: OpencodeHome;
let session: TuiSession | undefined;

/**
 * The TUI half of the plugin: one line in tui.json naming the package (its directory here), which
 * opencode resolves through package.json `exports["./tui"]` (README "The TUI commands").
 */
function enableTuiPlugin(h: OpencodeHome): void {
  writeFileSync(join(h.configDir, "tui.json"), JSON.stringify({ plugin: [REPO_ROOT] }, null, 2));
}

/** Closes whatever dialog is open (Escape), so the next test starts at the prompt. */
async function closeDialog(s: TuiSession, title: string): Promise<void> {
  pressKey(s, "Escape");
  await waitForScreen(s, (x) => !x.includes(title), DIALOG_TIMEOUT_MS, `the "${title}" dialog to close`);
}

async function runSlash(s: TuiSession, command: string, ready: (screen: string) => boolean, what: string): Promise<string> {
  typeText(s, command);
  // the slash menu must list the command before Enter picks it
  await waitForScreen(s, (x) => x.includes(command), DIALOG_TIMEOUT_MS, `${command} in the slash menu`);
  pressKey(s, "Enter");
  return waitForScreen(s, ready, DIALOG_TIMEOUT_MS, what);
}

beforeAll(async () => {
  emu = await startKimi();
  home = kimiHome(emu);
  await initDatabase(home);
  seedLogin(home, emu);
  for (let i = 0; i < 42; i++) emu.state.quota.consume(emu.state.options);
  enableTuiPlugin(home);
  session = startTui(home);
  await waitForScreen(session, (x) => x.includes("ctrl+p commands"), START_TIMEOUT_MS, "the opencode prompt");
}, START_TIMEOUT_MS + 120_000);

afterAll(async () => {
  kill(session);
  cleanupHomes();
  await emu?.stop();
});

describe("the TUI plugin in the real opencode TUI", () => {
  test("/kimi-usage shows the 5-hour and weekly windows with bars, used/limit, percentage and reset", async () => {
    const s = session!;
    let screen: string;
    try {
      screen = await runSlash(s, "/kimi-usage", (x) => x.includes("Weekly limit") && x.includes("resets"), "the usage dialog");
    } finally {
      await closeDialog(s, "Kimi Code usage");
    }
    expect(screen).toContain("Kimi Code usage");
    expect(screen).toMatch(/5h limit\s*\n\s*█+░+\s+14%\s+42\/300 used/);
    // the weekly window comes as counts or, in Kimi's production shape, as a share only
    expect(screen).toMatch(/Weekly limit\s*\n\s*█*░+\s+2%(\s+42\/2000 used)?\s*\n/);
    expect(screen).toMatch(/5h limit[^]*resets \d{4}-\d\d-\d\d \d\d:\d\d \(in [45] h( \d+ min)?\)/);
    expect(screen).toMatch(/Weekly limit[^]*resets \d{4}-\d\d-\d\d \d\d:\d\d \(in [67] d( \d+ h)?\)/);
    expect(emu.state.requests.filter((r) => r.path.endsWith("/usages")).length).toBeGreaterThanOrEqual(1);
  }, DIALOG_TIMEOUT_MS * 3);

  test("/kimi-status shows login kind, region, token expiry, identity and models", async () => {
    const s = session!;
    let screen: string;
    try {
      screen = await runSlash(s, "/kimi-status", (x) => x.includes("Kimi Code status") && x.includes("Identity"), "the status dialog");
    } finally {
      await closeDialog(s, "Kimi Code status");
    }
    expect(screen).toContain("device login (OAuth)");
    expect(screen).toMatch(/Region\s+custom \(http:\/\/127\.0\.0\.1:\d+\/coding\/v1\)/);
    expect(screen).toMatch(/Expires\s+\d{4}-\d\d-\d\d \d\d:\d\d \(in 1[0-5] min\)/);
    expect(screen).toMatch(/Identity\s+opencode \(opencode's own User-Agent\)/);
    expect(screen).toMatch(/Models\s+\d+ cached, fetched/);
    expect(screen).not.toContain("eyJ"); // never a token on screen
  }, DIALOG_TIMEOUT_MS * 3);
});
