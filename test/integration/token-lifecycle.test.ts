// The token lifecycle through the plugin's real hooks against the emulator over loopback HTTP
// (issue 8): a failed save, a logout, clock skew, a permanent refusal, an abort, and a login made
// while another process refreshes. Single-use refresh tokens throughout, as Kimi's may be.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { OAUTH_CLIENT_ID, PROVIDER_ID } from "../../src/core/config/constants.ts";
import { triggersOpencodeRetry } from "../../src/core/support/errors.ts";
import { deviceLogin, pluginWorld, seedLogin, type PluginWorld } from "../helpers/plugin-env.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 0.2, autoApproveAfterPolls: 1, singleUseRefreshTokens: true });
});
afterAll(() => emu.stop());

const TOKEN = "/api/oauth/token";
const refreshGrants = () => emu.state.requestsTo(TOKEN).filter((r) => (r.body as Record<string, string>).grant_type === "refresh_token");
const storedEntry = async (w: PluginWorld) => (await w.store.all())[PROVIDER_ID];

/** True when the stored refresh token still works at the emulator (then spends it, single-use). */
async function storedRefreshWorks(w: PluginWorld): Promise<boolean> {
  const entry = await storedEntry(w);
  const res = await fetch(`${emu.oauthHost}${TOKEN}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: OAUTH_CLIENT_ID, grant_type: "refresh_token", refresh_token: String(entry?.refresh) }),
  });
  await res.body?.cancel();
  return res.status === 200;
}

/** Makes the fake opencode's auth.set fail `times` times (a full disk, a read-only auth.json). */
function failSaves(w: PluginWorld, times: number): void {
  const auth = (w.store.input.client as unknown as { auth: { set: (a: unknown) => Promise<unknown> } }).auth;
  const real = auth.set;
  let left = times;
  auth.set = async (args) => (left-- > 0 ? { error: { message: "ENOSPC: no space left on device" } } : real(args));
}

describe("token lifecycle against the emulator", () => {
  test("F2: a failed save of the rotation costs no login: the next refresh uses the unsaved tokens, whose save is retried", async () => {
    emu.state.configure({ accessTokenLifetimeSec: 2 });
    try {
      const w = await pluginWorld(emu);
      await seedLogin(w, emu);
      await Bun.sleep(1100); // due
      failSaves(w, 1);
      const before = refreshGrants().length;
      expect((await w.chat()).status).toBe(200); // refreshed; the save failed
      await Bun.sleep(1100); // the rotation is due too
      expect((await w.chat()).status).toBe(200); // refreshed again with the unsaved token, not the spent stored one
      const grants = refreshGrants().slice(before);
      expect(grants.map((g) => g.status)).toEqual([200, 200]);
      expect(await storedRefreshWorks(w)).toBe(true); // the store holds the live token
    } finally {
      emu.state.configure({ accessTokenLifetimeSec: 900 });
    }
  }, 30_000);

  test("F3: after `opencode auth logout`, no refresh and no write-back: a log-in error", async () => {
    const w = await pluginWorld(emu);
    await seedLogin(w, emu, 2);
    expect((await w.chat()).status).toBe(200);
    const all = JSON.parse(await readFile(w.store.file, "utf8")) as Record<string, unknown>;
    delete all[PROVIDER_ID];
    await writeFile(w.store.file, JSON.stringify(all)); // what `opencode auth logout` leaves
    await Bun.sleep(1100); // due: today's code would refresh from memory and write the login back
    const before = refreshGrants().length;
    const res = await w.chat();
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("opencode auth login");
    expect(refreshGrants().length).toBe(before);
    expect(await storedEntry(w)).toBeUndefined();
  }, 30_000);

  for (const offsetSec of [-3600, 3600]) {
    test(`F5: Kimi's clock ${offsetSec < 0 ? "an hour behind" : "an hour ahead of"} this machine's: one refresh per token lifetime, when due`, async () => {
      emu.state.configure({ clockOffsetSec: offsetSec, accessTokenLifetimeSec: 3 });
      try {
        const w = await pluginWorld(emu);
        await deviceLogin(w);
        const before = refreshGrants().length;
        for (let i = 0; i < 3; i++) expect((await w.chat()).status).toBe(200);
        expect(refreshGrants().length - before).toBe(0); // fresh: not refreshed on every request
        await Bun.sleep(3100); // expired at Kimi
        const chatsBefore = emu.state.requestsTo("/coding/v1/chat/completions").length;
        expect((await w.chat()).status).toBe(200);
        expect(refreshGrants().length - before).toBe(1); // refreshed once, before sending
        const chats = emu.state.requestsTo("/coding/v1/chat/completions").slice(chatsBefore);
        expect(chats.map((c) => c.status)).toEqual([200]); // no expired token sent first
      } finally {
        emu.state.configure({ clockOffsetSec: 0, accessTokenLifetimeSec: 900 });
      }
    }, 30_000);
  }

  test("F7: a permanent refusal (400 invalid_client) is final, worded by cause, and not sent again", async () => {
    const w = await pluginWorld(emu);
    await seedLogin(w, emu, 2);
    await Bun.sleep(1100);
    emu.state.injectFault({ path: TOKEN, status: 400, body: { error: "invalid_client", error_description: "Unknown client_id." }, count: Infinity });
    try {
      const before = emu.state.requestsTo(TOKEN).length;
      const res = await w.chat();
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(triggersOpencodeRetry(body)).toBe(false);
      const { error } = JSON.parse(body) as { error: { message: string; type: string } };
      expect(error.type).toBe("kimi_refresh_refused");
      expect(error.message).toContain("does not accept this client");
      expect(error.message).not.toMatch(/network/i);
      expect((await w.chat()).status).toBe(400);
      expect(emu.state.requestsTo(TOKEN).length - before).toBe(1); // one grant, no retries, not re-sent
    } finally {
      emu.state.clearFaults();
    }
  }, 30_000);

  test("F8: a request aborted while the refresh is out settles at once; the refresh goes on for the others", async () => {
    const w = await pluginWorld(emu);
    await seedLogin(w, emu, 2);
    await Bun.sleep(1100);
    emu.state.injectFault({ path: TOKEN, delayMs: 5_000 });
    try {
      const ac = new AbortController();
      const f = await w.loaderFetch();
      const aborted = f(`${emu.apiBase}/chat/completions`, { method: "POST", body: "{}", signal: ac.signal });
      const other = w.chat();
      await Bun.sleep(100);
      ac.abort();
      const outcome = await Promise.race([aborted.then(() => "resolved", (e: unknown) => e), Bun.sleep(4_000).then(() => "still waiting")]);
      expect((outcome as DOMException).name).toBe("AbortError");
      expect((await other).status).toBe(200);
    } finally {
      emu.state.clearFaults();
    }
  }, 30_000);

  test("a device login while another process refreshes the old login: the new login is what stays stored", async () => {
    const home = await (await import("../helpers/tmp.ts")).tempDir("okc-login-");
    const running = await pluginWorld(emu, {}, { home }); // a running opencode, mid-refresh
    await seedLogin(running, emu);
    const lockPath = join(running.env.XDG_DATA_HOME!, "opencode", `auth.json.${PROVIDER_ID}.lock`);
    await writeFile(lockPath, `${process.pid} ${hostname()} ${Date.now()} refreshing`); // its refresh holds the lock
    const loginProcess = await pluginWorld(emu, {}, { home }); // `opencode auth login` in another terminal
    const login = deviceLogin(loginProcess);
    const early = await Promise.race([login.then(() => "stored"), Bun.sleep(3_000).then(() => "waiting")]);
    // The refresh finishes: it writes its rotation of the old login, then releases the lock.
    const rotation = emu.state.mintTokens();
    await running.store.set(PROVIDER_ID, { type: "oauth", access: rotation.access_token, refresh: rotation.refresh_token, expires: Date.now() + 900_000, enterpriseUrl: emu.apiBase });
    await unlink(lockPath);
    const result = await login;
    expect(early).toBe("waiting"); // the login waited for the refresh's lock
    expect((await storedEntry(running))?.refresh).toBe(result.refresh);
  }, 30_000);
});
