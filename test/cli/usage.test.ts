// `kimi-code usage` against the emulator over HTTP: both /usages shapes, an exhausted window, a due
// token refreshed (once, stored), a revoked login, an API key without usage rights, Kimi unreachable.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { cliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ["sk-kimi-usagekey-0123456789"] });
});
afterAll(() => emu.stop());
beforeEach(() => {
  emu.state.clearFaults();
  emu.state.configure({ usageShape: "usage", fiveHourRequestLimit: 300 });
  emu.state.resetQuota();
});

const refreshGrants = () => emu.state.requestsTo("/api/oauth/token").filter((r) => (r.body as Record<string, string>).grant_type === "refresh_token").length;

async function chatOnce(token: string): Promise<void> {
  const res = await fetch(`${emu.apiBase}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "user-agent": "opencode/1.18.33", "content-type": "application/json" },
    body: JSON.stringify({ model: "kimi-for-coding", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
}

describe("kimi-code usage", () => {
  test("the 5-hour window first, then the week: bars, used/limit, %, local reset and relative", async () => {
    const w = await cliWorld(emu);
    const entry = await w.seedLogin();
    await chatOnce(entry.access as string);
    const r = await w.run(["usage"]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines[1]).toMatch(/^  5h limit\s+\[█?░+\]\s+1\/300\s+0%  resets \d{4}-\d\d-\d\d \d\d:\d\d \(in (5 h|4 h \d+ min)\)$/);
    expect(lines[2]).toMatch(/^  Weekly limit \[░+\]\s+1\/2000\s+0%  resets .* \(in (7 d|6 d 23 h)\)$/);
    const j = await w.json(["usage"]);
    expect(j.value.windows.map((x: { label: string }) => x.label)).toEqual(["5h limit", "Weekly limit"]);
    expect(j.value.windows[0]).toMatchObject({ used: 1, limit: 300, remaining: 299, unit: "count" });
    expect(Date.parse(j.value.windows[0].resetAt)).toBeGreaterThan(Date.now());
  });

  test("the ratio shape (usages map): 5h and monthly windows as percentages", async () => {
    emu.state.configure({ usageShape: "usages" });
    const w = await cliWorld(emu);
    await w.seedLogin();
    const j = await w.json(["usage"]);
    expect(j.code).toBe(0);
    const labels = j.value.windows.map((x: { label: string }) => x.label);
    expect(labels[0]).toBe("5h limit");
    expect(labels).toContain("Monthly limit");
  });

  test("an exhausted window is shown full", async () => {
    emu.state.configure({ fiveHourRequestLimit: 1 });
    const w = await cliWorld(emu);
    const entry = await w.seedLogin();
    await chatOnce(entry.access as string);
    const j = await w.json(["usage"]);
    expect(j.value.windows[0]).toMatchObject({ label: "5h limit", used: 1, limit: 1, remaining: 0, percentUsed: 100 });
    expect((await w.run(["usage"])).out).toMatch(/5h limit\s+\[█+\]\s+1\/1 100%/);
  });

  test("a due token is refreshed once, under the lock, and stored for opencode", async () => {
    const w = await cliWorld(emu);
    const old = await w.seedLogin(1);
    await Bun.sleep(1100);
    const before = refreshGrants();
    expect((await w.run(["usage"])).code).toBe(0);
    expect(refreshGrants() - before).toBe(1);
    const stored = (await w.readAuth())[PROVIDER_ID];
    expect(stored.refresh).not.toBe(old.refresh);
    expect(Number.isInteger(stored.expires)).toBe(true);
    expect(stored.enterpriseUrl).toBe(emu.apiBase);
  });

  test("a revoked login: tells the user to log in again, exit 1", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin(1);
    await Bun.sleep(1100);
    emu.state.revokeAll();
    const r = await w.run(["usage"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("login is no longer valid");
    expect(r.err).toContain("kimi-code login");
  });

  test("an API key the usage endpoint refuses: says the key has no usage view", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth({ [PROVIDER_ID]: { type: "api", key: "sk-kimi-usagekey-0123456789", metadata: { baseURL: emu.apiBase } } });
    expect((await w.run(["usage"])).code).toBe(0);
    emu.state.injectFault({ path: "/coding/v1/usages", status: 403, body: { error: { message: "forbidden", type: "permission_denied_error" } } });
    const r = await w.run(["usage"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not show usage for this API key");
  });

  test("Kimi unreachable: a network message, exit 1", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin();
    const closed = "http://127.0.0.1:9/coding/v1";
    const entry = (await w.readAuth())[PROVIDER_ID];
    await w.writeAuth({ [PROVIDER_ID]: { ...entry, enterpriseUrl: closed } });
    const r = await w.run(["usage"], { env: { KIMI_CODE_BASE_URL: closed } });
    expect(r.code).toBe(1);
    expect(r.err).toContain("Cannot reach Kimi Code");
  });
});
