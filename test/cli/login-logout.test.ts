// `kimi-code login` / `logout` on opencode's auth.json: the device flow against the emulator writes the
// entry opencode's own login writes (same schema, 0600, atomic), other providers are kept byte for
// byte, a denied login or a rejected key stores nothing, logout removes only this provider.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { deviceLogin, pluginWorld } from "../helpers/plugin-env.ts";
import { cliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 1, apiKeys: ["sk-kimi-goodkey-0123456789"] });
});
afterAll(() => emu.stop());
beforeEach(() => emu.state.configure({ autoApproveAfterPolls: 0 }));

const OTHERS = {
  openai: { type: "oauth", refresh: "r-openai", access: "a-openai", expires: 1700000000000, accountId: "acc", extraField: { kept: true } },
  anthropic: { type: "api", key: "sk-ant-xyz" },
};

describe("kimi-code login", () => {
  test("device login: the same entry opencode's login method stores, 0600, others untouched", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth(OTHERS);
    const r = await w.run(["login"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/confirm the code [A-Z]{4}-\d{4}/);
    expect(r.err).toContain(`${emu.oauthHost}/device?user_code=`);
    expect(r.out).toContain("Logged in to Kimi Code");
    const auth = await w.readAuth();
    expect(auth.openai).toEqual(OTHERS.openai);
    expect(auth.anthropic).toEqual(OTHERS.anthropic);
    const ours = auth[PROVIDER_ID];
    // The plugin's own login method inside opencode gives the same keys and types.
    const plugin = await pluginWorld(emu);
    await deviceLogin(plugin);
    const theirs = (await plugin.store.all())[PROVIDER_ID]!;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(ours).toMatchObject({ type: "oauth", enterpriseUrl: emu.apiBase });
    expect(Number.isInteger(ours.expires)).toBe(true);
    expect((await stat(w.authFile)).mode & 0o777).toBe(0o600);
    expect((await readdir(dirname(w.authFile))).filter((f) => f.endsWith(".tmp") || f.endsWith(".lock"))).toEqual([]);
    // The models cache is filled, so opencode's next start lists them all.
    expect((await w.json(["status"])).value.models.cached).toBe(4);
  }, 30_000);

  test("--json: the result as JSON, prompts on stderr", async () => {
    const w = await cliWorld(emu);
    const j = await w.json(["login"]);
    expect(j.code).toBe(0);
    expect(j.value).toMatchObject({ loggedIn: true, type: "oauth", provider: PROVIDER_ID, apiBase: emu.apiBase, modelDiscovery: "ok" });
    expect(j.err).toContain("confirm the code");
  }, 30_000);

  test("a denied login: exit 1, nothing stored", async () => {
    emu.state.configure({ autoApproveAfterPolls: null });
    const w = await cliWorld(emu);
    await w.writeAuth(OTHERS);
    const running = w.run(["login"]);
    for (let i = 0; i < 200 && emu.state.pendingLogins().length === 0; i++) await Bun.sleep(20);
    emu.state.deny();
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.err).toContain("the login was denied");
    expect(await w.readAuth()).toEqual(OTHERS);
  }, 30_000);

  test("--api-key from stdin: checked against Kimi, stored as opencode stores keys; a rejected key stores nothing", async () => {
    const w = await cliWorld(emu);
    const bad = await w.run(["login", "--api-key"], { stdin: "sk-kimi-wrongkey-0123456789\n" });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("rejected this API key");
    const notAKey = await w.run(["login", "--api-key"], { stdin: "hello\n" });
    expect(notAKey.code).toBe(1);
    expect(notAKey.err).toContain("not a Kimi Code API key");
    const good = await w.run(["login", "--api-key"], { stdin: "sk-kimi-goodkey-0123456789\n" });
    expect(good.code, good.err).toBe(0);
    expect((await w.readAuth())[PROVIDER_ID]).toEqual({ type: "api", key: "sk-kimi-goodkey-0123456789", metadata: { baseURL: emu.apiBase } });
  });
});

describe("kimi-code logout", () => {
  test("removes only this provider's entry; a second logout has nothing to do", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth(OTHERS);
    await w.seedLogin();
    const r = await w.run(["logout"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Removed the Kimi Code login");
    expect(await w.readAuth()).toEqual(OTHERS);
    expect((await stat(w.authFile)).mode & 0o777).toBe(0o600);
    const again = await w.json(["logout"]);
    expect(again.code).toBe(0);
    expect(again.value).toMatchObject({ loggedOut: true, removed: false });
  });
});
