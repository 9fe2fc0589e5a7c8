// Token refresh inside the real opencode: an expired login is refreshed once and the rotated tokens
// are persisted through opencode's auth store; two opencode processes sharing one auth.json, both past
// expiry, with single-use refresh tokens, end up with exactly one refresh and no invalid_grant.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningEmulator } from "../../emulator/index.ts";
import { initDatabase, parseEvents, readAuth, runChat, stripAnsi } from "./harness.ts";
import {
  cleanupHomes,
  kimiHome,
  MODEL,
  pluginErrors,
  printed,
  PROVIDER,
  refreshDirectly,
  refreshGrants,
  REPLY,
  seedLogin,
  sessionChats,
  startKimi,
  TOKEN_PATH,
} from "./kimi.ts";

let emu: RunningEmulator;

beforeAll(async () => {
  // Default 900 s lifetime for refreshed tokens, so a refreshed token is not due again in the test.
  emu = await startKimi({ singleUseRefreshTokens: true });
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
});

test("an expired login is refreshed once, the rotated tokens are persisted, and the turn succeeds", async () => {
  const home = kimiHome(emu);
  const seeded = seedLogin(home, emu, 1);
  await Bun.sleep(1_200);
  expect(emu.state.tokens.checkAccess(seeded.access)).toBe("expired");
  const grantsBefore = refreshGrants(emu).length;

  const first = await runChat(home, MODEL, "say hello", { json: true, timeoutMs: 90_000 });
  expect(first.exitCode, printed(first)).toBe(0);
  const firstEvents = parseEvents(first.stdout);
  expect(firstEvents.filter((e) => e.type === "text").map((e) => (e.part as { text?: string }).text)).toEqual([REPLY]);

  const grants = refreshGrants(emu).slice(grantsBefore);
  expect(grants.length).toBe(1);
  expect(grants[0]?.status).toBe(200);
  expect((grants[0]?.body as Record<string, string>).refresh_token).toBe(seeded.refresh);

  const stored = readAuth(home)?.[PROVIDER];
  expect(stored?.type).toBe("oauth");
  expect(stored?.refresh).not.toBe(seeded.refresh);
  expect(stored?.access).not.toBe(seeded.access);
  expect(emu.state.tokens.checkAccess(String(stored?.access))).toBe("valid");
  expect(Number.isInteger(stored?.expires)).toBe(true);
  expect(stored?.expires as number).toBeGreaterThan(Date.now() + 600_000);
  expect(stored?.enterpriseUrl).toBe(emu.apiBase);
  // The turn went out with the refreshed token, not the expired one.
  const { main } = sessionChats(emu, firstEvents[0]?.sessionID as string);
  expect(main.map((r) => r.headers.authorization)).toEqual([`Bearer ${String(stored?.access)}`]);
  expect(main.map((r) => r.status)).toEqual([200]);

  // A new process reads the persisted tokens and does not refresh again.
  const second = await runChat(home, MODEL, "say hello again", { timeoutMs: 90_000 });
  expect(second.exitCode, printed(second)).toBe(0);
  expect(second.stdout.trim()).toBe(REPLY);
  expect(refreshGrants(emu).length - grantsBefore).toBe(1);
  expect(readAuth(home)?.[PROVIDER]?.refresh).toBe(stored?.refresh);
  // The persisted refresh token is the live one.
  expect((await refreshDirectly(emu, String(stored?.refresh))).status).toBe(200);
  expect([...pluginErrors(first.stderr), ...pluginErrors(second.stderr)]).toEqual([]);
}, 150_000);

test("two opencode processes, one auth.json, both expired, single-use refresh tokens: one refresh, both succeed", async () => {
  const home = kimiHome(emu);
  await initDatabase(home); // before the login exists: concurrent first runs race on opencode.db
  const seeded = seedLogin(home, emu, 1);
  await Bun.sleep(1_200);
  const grantsBefore = refreshGrants(emu).length;
  const tokenCallsBefore = emu.state.requestsTo(TOKEN_PATH).length;

  // The second process gets its own opencode.db (OPENCODE_DB): two opencode runs starting together
  // on one database sometimes fail with opencode's own "database is locked". auth.json stays shared.
  const runs = await Promise.all([
    runChat(home, MODEL, "first process", { timeoutMs: 120_000 }),
    runChat(home, MODEL, "second process", { timeoutMs: 120_000, env: { OPENCODE_DB: "opencode-second.db" } }),
  ]);
  for (const r of runs) {
    expect(r.timedOut).toBe(false);
    expect(r.exitCode, printed(r)).toBe(0);
    expect(r.stdout.trim()).toBe(REPLY);
    expect(stripAnsi(r.stderr)).not.toContain("invalid_grant");
    expect(stripAnsi(r.stderr)).not.toContain("no longer valid");
    expect(pluginErrors(r.stderr)).toEqual([]);
  }

  const grants = refreshGrants(emu).slice(grantsBefore);
  expect(grants.length).toBe(1);
  expect((grants[0]?.body as Record<string, string>).refresh_token).toBe(seeded.refresh);
  // No refresh answer was an error (an invalid_grant is a 401 from the OAuth host).
  expect(emu.state.requestsTo(TOKEN_PATH).slice(tokenCallsBefore).map((r) => r.status)).toEqual([200]);

  const stored = readAuth(home)?.[PROVIDER];
  expect(stored?.refresh).not.toBe(seeded.refresh);
  expect(emu.state.tokens.checkAccess(String(stored?.access))).toBe("valid");
  // Both processes' main requests used the one refreshed token.
  const mains = emu.state
    .requestsTo("/coding/v1/chat/completions")
    .filter((r) => r.headers.authorization === `Bearer ${seeded.access}`);
  expect(mains).toEqual([]);
  // The stored credential stays valid: it refreshes once more, directly against the emulator.
  expect((await refreshDirectly(emu, String(stored?.refresh))).status).toBe(200);
}, 180_000);
