// `kimi-code doctor` against the emulator: a healthy setup passes; each failure class gets a failing
// line with its fix and exit 1: opencode too old, no plugin line, malformed login, a refused token
// (401), an expired membership (402), the client gate (403, naming the identity), a used-up quota
// (which window, when it resets), Kimi unreachable, a wrong clock. Tokens never appear in the output.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { clockCheck } from "../../src/cli/doctor-remote.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { cliWorld, type CliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ["sk-kimi-doctorkey-0123456789"] });
});
afterAll(() => emu.stop());
beforeEach(() => {
  emu.state.clearFaults();
  emu.state.configure({ membershipExpired: false, allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/", "opencode/"], messagesAllowedUserAgentPrefixes: null, fiveHourRequestLimit: 300 });
  emu.state.resetQuota();
});

interface CheckOut {
  id: string;
  level: string;
  text: string;
  fix?: string;
  lines?: string[];
}

async function healthy(): Promise<CliWorld> {
  const w = await cliWorld(emu);
  await w.fakeOpencode("1.18.33");
  await w.seedLogin();
  return w;
}

async function doctor(w: CliWorld, extra: string[] = []): Promise<{ code: number; checks: CheckOut[] }> {
  const r = await w.json(["doctor", ...extra]);
  return { code: r.code, checks: r.value.checks };
}

const byId = (checks: CheckOut[], id: string) => checks.filter((c) => c.id === id);
const chat = (checks: CheckOut[]) => byId(checks, "chat")[0]!;

describe("kimi-code doctor", () => {
  test("healthy: every line ok, the chat probe answered through the plugin's request path; exit 0", async () => {
    const w = await healthy();
    emu.state.clearRequests();
    const r = await w.run(["doctor"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("All checks passed.");
    expect(r.out).toMatch(/ok {4}opencode 1\.18\.33 at .* \(supported: >=1\.14\.34\)/);
    expect(r.out).toContain(`ok    "opencode-kimi-code" in ${w.configFile}`);
    expect(r.out).toMatch(/ok {4}this clock is \d+ s (ahead of|behind) Kimi's/);
    expect(r.out).toContain("ok    a one-token chat with kimi-for-coding was answered (HTTP 200)");
    expect(r.out).toContain("User-Agent: opencode/1.18.33 … (opencode's own)");
    expect(r.out).toContain("Authorization: Bearer eyJhbG…[redacted]");
    const token = (await w.readAuth())[PROVIDER_ID].access as string;
    expect(r.out).not.toContain(token.slice(10, 40));
    const probe = emu.state.requestsTo("/coding/v1/chat/completions").at(-1)!;
    expect((probe.body as Record<string, unknown>).max_tokens).toBe(1);
    expect(probe.headers["user-agent"]).toBe("opencode/1.18.33");
    expect(probe.headers.authorization).toBe(`Bearer ${token}`);
  });

  test("both routes are probed: the OpenAI route gated, the Anthropic route open → a warning naming protocol: \"anthropic\"", async () => {
    const w = await healthy();
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] });
    emu.state.clearRequests();
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(chat(checks).level).toBe("fail");
    expect(chat(checks).text).toContain("refused by Kimi's allowlist");
    const alt = byId(checks, "chat-anthropic")[0]!;
    expect(alt.level).toBe("warn");
    expect(alt.text).toContain("message on the Anthropic route (/messages)");
    expect(alt.fix).toContain('protocol: "anthropic"');
    expect(emu.state.requestsTo("/coding/v1/messages").length).toBe(1);
  });

  test("the kimi-cli identity: its headers listed (device id shortened), the probe sent as kimi-cli", async () => {
    const w = await healthy();
    emu.state.clearRequests();
    const r = await w.run(["doctor", "--json"], { env: { KIMI_CODE_IDENTITY: "kimi-cli" } });
    expect(r.code, r.out).toBe(0);
    const headers = JSON.parse(r.out).checks.find((c: CheckOut) => c.id === "headers").lines.join("\n");
    expect(headers).toContain("User-Agent: KimiCLI/");
    expect(headers).toMatch(/X-Msh-Device-Id: \w{6}…\[redacted\]/i);
    const probe = emu.state.requestsTo("/coding/v1/chat/completions").at(-1)!;
    expect(probe.headers["user-agent"]).toStartWith("KimiCLI/");
  });

  test("the kimi-cli identity with a device_id HTTP cannot carry: a failing line naming the file, even with --no-probe", async () => {
    const w = await healthy();
    await mkdir(join(w.home, "kimi"), { recursive: true });
    await writeFile(join(w.home, "kimi", "device_id"), "abc\ndef", { mode: 0o600 }); // a line break inside (kimi-cli sends ASCII as it is)
    const r = await w.run(["doctor", "--no-probe", "--json"], { env: { KIMI_CODE_IDENTITY: "kimi-cli" } });
    expect(r.code, r.out).toBe(1);
    const headers = JSON.parse(r.out).checks.find((c: CheckOut) => c.id === "headers") as CheckOut;
    expect(headers.level).toBe("fail");
    expect(headers.text).toContain("X-Msh-Device-Id cannot be sent");
    expect(headers.fix).toContain("device_id file");
    expect(r.out).not.toContain("abc\\ndef"); // shortened as always: the whole id never shows
  });

  test("opencode too old, and no plugin line: failing lines with their fixes", async () => {
    const w = await cliWorld(emu, { plugin: null });
    await w.fakeOpencode("1.10.2");
    await w.seedLogin();
    const { code, checks } = await doctor(w, ["--no-probe"]);
    expect(code).toBe(1);
    expect(byId(checks, "opencode")[0]).toMatchObject({ level: "fail" });
    expect(byId(checks, "opencode")[0]!.text).toContain("opencode 1.10.2");
    expect(byId(checks, "opencode")[0]!.fix).toContain("Upgrade opencode");
    expect(byId(checks, "plugin-line")[0]).toMatchObject({ level: "fail" });
    expect(byId(checks, "plugin-line")[0]!.fix).toContain('"plugin": ["opencode-kimi-code"]');
  });

  test("the plugin line found through OPENCODE_CONFIG and a project opencode.jsonc with comments", async () => {
    const w = await cliWorld(emu, { plugin: null });
    await w.fakeOpencode("1.18.33");
    await w.seedLogin();
    const extra = `${w.home}/extra.json`;
    await Bun.write(extra, JSON.stringify({ plugin: ["opencode-kimi-code@0.1.0"] }));
    const viaEnv = await w.run(["doctor", "--no-probe", "--json"], { env: { OPENCODE_CONFIG: extra } });
    expect(JSON.parse(viaEnv.out).checks.find((c: CheckOut) => c.id === "plugin-line")).toMatchObject({ level: "ok" });
    await Bun.write(`${w.home}/work/opencode.jsonc`, '{\n  // ours\n  "plugin": ["opencode-kimi-code",],\n}\n');
    const viaProject = await doctor(w, ["--no-probe"]);
    expect(byId(viaProject.checks, "plugin-line")[0]!.text).toContain(`${w.home}/work/opencode.jsonc`);
  });

  test("a due token is refreshed under the lock (said so), and an entry without its API base warns", async () => {
    const w = await cliWorld(emu);
    await w.fakeOpencode("1.18.33");
    const entry = await w.seedLogin(1);
    await Bun.sleep(1100);
    const { code, checks } = await doctor(w);
    expect(code).toBe(0);
    expect(byId(checks, "token")[0]!.text).toContain("has been refreshed");
    const { enterpriseUrl: _gone, ...noBase } = (await w.readAuth())[PROVIDER_ID];
    expect(noBase.refresh).not.toBe(entry.refresh);
    await w.writeAuth({ [PROVIDER_ID]: noBase });
    const again = await doctor(w, ["--no-probe"]);
    expect(byId(again.checks, "auth-entry").find((c) => c.level === "warn")!.text).toContain("no API base recorded");
  });

  test("a malformed auth entry: fail, and no probe", async () => {
    const w = await cliWorld(emu);
    await w.fakeOpencode("1.18.33");
    await w.writeAuth({ [PROVIDER_ID]: { type: "oauth", access: "a", refresh: "r", expires: "soon" } });
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(byId(checks, "auth-entry")[0]!.text).toContain("`expires` is not a non-negative integer");
    expect(chat(checks)).toMatchObject({ level: "fail" });
  });

  test("401: a key Kimi does not know", async () => {
    const w = await cliWorld(emu);
    await w.fakeOpencode("1.18.33");
    await w.writeAuth({ [PROVIDER_ID]: { type: "api", key: "sk-kimi-unknownkey-0123456789", metadata: { baseURL: emu.apiBase } } });
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(chat(checks).text).toContain("HTTP 401");
    expect(chat(checks).fix).toContain("rejected the API key");
  });

  test("402: membership expired", async () => {
    const w = await healthy();
    emu.state.configure({ membershipExpired: true });
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(chat(checks).text).toContain("HTTP 402");
    expect(chat(checks).fix).toMatch(/membership/i);
  });

  test("403 client gate: which identity was refused and what to do", async () => {
    const w = await healthy();
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] });
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(chat(checks).text).toContain("HTTP 403");
    expect(chat(checks).text).toContain("refused by Kimi's allowlist");
    expect(chat(checks).fix).toContain('identity profile "opencode"');
    expect(chat(checks).fix).toMatch(/API key/);
  });

  test("used-up quota: which window and when it resets", async () => {
    const w = await healthy();
    emu.state.configure({ fiveHourRequestLimit: 1 });
    expect((await doctor(w)).code).toBe(0); // the probe itself uses the one request
    const { code, checks } = await doctor(w);
    expect(code).toBe(1);
    expect(chat(checks).text).toContain("quota used up");
    expect(chat(checks).fix).toContain("5-hour usage limit is used up");
    expect(chat(checks).fix).toMatch(/resets (at|on) .*\(in \d/);
  });

  test("429 with a reset soon: rate limited, which window, when it resets", async () => {
    const w = await healthy();
    emu.state.configure({ fiveHourRequestLimit: 1, fiveHourWindowSec: 120 });
    emu.state.resetQuota();
    try {
      expect((await doctor(w)).code).toBe(0);
      const { code, checks } = await doctor(w);
      expect(code).toBe(1);
      expect(chat(checks).text).toContain("rate limited (HTTP 429");
      expect(chat(checks).fix).toMatch(/5-hour usage limit is used up; it resets at \d\d:\d\d \(in ((1|2) min|less than a minute)\)/);
    } finally {
      emu.state.configure({ fiveHourWindowSec: 18000 });
      emu.state.resetQuota();
    }
  });

  test("the chat itself cannot reach Kimi: a network verdict", async () => {
    const w = await healthy();
    const closed = "http://127.0.0.1:9/coding/v1";
    const entry = (await w.readAuth())[PROVIDER_ID];
    await w.writeAuth({ [PROVIDER_ID]: { ...entry, enterpriseUrl: closed } });
    const r = await w.run(["doctor", "--json"], { env: { KIMI_CODE_BASE_URL: closed } });
    expect(r.code).toBe(1);
    const probe = JSON.parse(r.out).checks.find((c: CheckOut) => c.id === "chat");
    expect(probe).toMatchObject({ level: "fail" });
    expect(probe.text).toStartWith("network:");
  });

  test("Kimi unreachable: the hosts fail with the network error", async () => {
    const w = await cliWorld(emu);
    await w.fakeOpencode("1.18.33");
    const closed = "http://127.0.0.1:9/coding/v1";
    const r = await w.run(["doctor", "--json"], { env: { KIMI_CODE_BASE_URL: closed, KIMI_CODE_OAUTH_HOST: "http://127.0.0.1:9" } });
    expect(r.code).toBe(1);
    const hosts = JSON.parse(r.out).checks.filter((c: CheckOut) => c.id === "hosts");
    expect(hosts.length).toBe(2);
    for (const h of hosts) expect(h).toMatchObject({ level: "fail" });
    expect(hosts[0].text).toContain("unreachable");
  });

  test("a clock far off the server's Date header fails; a few seconds pass", async () => {
    const w = await healthy();
    const old = new Date(Date.now() - 3600_000).toUTCString();
    emu.state.injectFault({ path: "/coding/v1/models", status: 200, body: { object: "list", data: [] }, headers: { date: old } });
    const { checks } = await doctor(w, ["--no-probe"]);
    expect(byId(checks, "clock")[0]).toMatchObject({ level: "fail" });
    expect(byId(checks, "clock")[0]!.text).toMatch(/this clock is 3[56]\d\d s ahead of Kimi's/);
    const now = Date.now();
    expect(clockCheck(new Date(now - 2000).toUTCString(), now, now).level).toBe("ok");
    expect(clockCheck(new Date(now - 120_000).toUTCString(), now, now).level).toBe("warn");
  });
});
