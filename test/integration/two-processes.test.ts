// Two processes on one auth.json, both past expiry at once, single-use refresh tokens: exactly one
// refresh reaches the server, both requests succeed, and the stored login stays valid.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { fakeOpencode } from "../helpers/fake-opencode.ts";
import { tempDir } from "../helpers/tmp.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ singleUseRefreshTokens: true });
});
afterAll(() => emu.stop());

test("two processes refreshing at once: one refresh, both succeed, no invalid_grant", async () => {
  for (let round = 0; round < 3; round++) {
    const home = await tempDir("okc-2p-");
    const store = fakeOpencode(join(home, "data"));
    const tokens = emu.state.mintTokens({ lifetimeSec: 1 });
    await store.set(PROVIDER_ID, {
      type: "oauth",
      access: tokens.access_token,
      refresh: tokens.refresh_token,
      expires: Date.now() + 1000,
      enterpriseUrl: emu.apiBase,
    });
    await Bun.sleep(1100); // both processes now hold an expired token
    const goFile = join(home, "go");
    const child = join(import.meta.dir, "../helpers/chat-child.ts");
    const refreshGrants = () =>
      emu.state.requestsTo("/api/oauth/token").filter((r) => (r.body as Record<string, string>).grant_type === "refresh_token").length;
    const grantsBefore = refreshGrants();
    const procs = [0, 1].map(() =>
      Bun.spawn([process.execPath, child, home, emu.oauthHost, emu.apiBase, goFile], { stdout: "pipe", stderr: "pipe" }),
    );
    await Bun.sleep(300); // let both load (the loader may already refresh for discovery), then chat together
    await writeFile(goFile, "go");
    const outputs = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text() })));
    for (const o of outputs) {
      expect(o.code).toBe(0);
      expect(JSON.parse(o.out.trim())).toMatchObject({ status: 200 });
      expect(o.err).not.toContain("invalid_grant");
    }
    expect(refreshGrants() - grantsBefore).toBe(1); // not two requests, one of them refused
    // The stored refresh token is the live one: it refreshes once more without complaint.
    const stored = (await store.all())[PROVIDER_ID]!;
    const res = await fetch(`${emu.oauthHost}/api/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "17e5f671-d194-4dfb-9706-5516cb48c098", grant_type: "refresh_token", refresh_token: stored.refresh as string }),
    });
    expect(res.status).toBe(200);
  }
}, 60_000);
