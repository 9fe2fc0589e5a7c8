// The CLI and a running plugin (two processes) on one auth.json, both holding an expired token, with
// single-use refresh tokens: the shared lock beside auth.json lets exactly one refresh reach Kimi, and
// both succeed. Measured: with the CLI on another lock path this test fails (2 refresh requests).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { BUN, cliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ singleUseRefreshTokens: true });
});
afterAll(() => emu.stop());

const refreshGrants = () => emu.state.requestsTo("/api/oauth/token").filter((r) => (r.body as Record<string, string>).grant_type === "refresh_token").length;

test("kimi-code usage racing a running plugin: one refresh, both succeed, the stored login stays valid", async () => {
  for (let round = 0; round < 3; round++) {
    const w = await cliWorld(emu);
    await w.seedLogin(1);
    await Bun.sleep(1100); // both processes now start from an expired token
    const goFile = join(w.home, "go");
    const before = refreshGrants();
    // A slow token endpoint keeps the first refresh in flight while the other process arrives.
    emu.state.injectFault({ path: "/api/oauth/token", delayMs: 1500, count: 2 });
    await writeFile(goFile, "go"); // the plugin chats as soon as it has loaded
    const plugin = Bun.spawn([BUN, join(import.meta.dir, "../helpers/chat-child.ts"), w.home, emu.oauthHost, emu.apiBase, goFile], { stdout: "pipe", stderr: "pipe" });
    const cli = await w.spawn(["usage", "--json"]);
    emu.state.clearFaults();
    const pluginOut = { code: await plugin.exited, out: await new Response(plugin.stdout).text(), err: await new Response(plugin.stderr).text() };
    expect(cli.code, cli.err).toBe(0);
    expect(JSON.parse(cli.out).windows.length).toBeGreaterThan(0);
    expect(pluginOut.code, pluginOut.err).toBe(0);
    expect(JSON.parse(pluginOut.out.trim())).toMatchObject({ status: 200 });
    expect(cli.err + pluginOut.err).not.toContain("invalid_grant");
    expect(refreshGrants() - before).toBe(1);
    // The stored refresh token is the live one.
    const stored = (await w.readAuth())[PROVIDER_ID];
    const res = await fetch(`${emu.oauthHost}/api/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "17e5f671-d194-4dfb-9706-5516cb48c098", grant_type: "refresh_token", refresh_token: stored.refresh }),
    });
    expect(res.status).toBe(200);
  }
}, 90_000);
