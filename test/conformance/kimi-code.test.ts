// Kimi's own current client, kimi-code 2.1.0, against the emulator started with default options: it
// logs in, streams an answer, runs a tool turn, reads /usages as the plugin does, and sends what the
// recorded fixture says. If a later kimi-code sends something else, this is where it shows.
// kimi-code needs Node >= 22.19 (zstd); it runs under the project's bun.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type RecordedRequest, type RunningEmulator } from "../../emulator/index.ts";
import { parseUsage } from "../../src/core/usage/usage.ts";
import {
  FIXTURE,
  freePort,
  KIMI_CODE_MAIN,
  KIMI_CODE_VERSION,
  kimiCodeHome,
  runKimiCode,
  spawnKimiCode,
  wireEntry,
  type KimiHome,
  type WireEntry,
} from "./kimi-code-harness.ts";

const CHAT = "/coding/v1/chat/completions";
const OFFICIAL = {
  "user-agent": `kimi-code-cli/${KIMI_CODE_VERSION}`,
  "x-msh-platform": "kimi_code_cli",
  "x-msh-version": KIMI_CODE_VERSION,
};

let emu: RunningEmulator;
let home: KimiHome;

beforeAll(async () => {
  if (!existsSync(KIMI_CODE_MAIN)) throw new Error(`kimi-code is not installed at ${KIMI_CODE_MAIN}: run npm ci`);
  emu = await startEmulator(); // default options: the gate, the quota, /usages as live Kimi
  home = kimiCodeHome(emu);
});
afterAll(async () => {
  await emu?.stop();
  home?.remove();
});

const deviceId = () => readFileSync(join(home.kimiHome, "device_id"), "utf8").trim();
const printed = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

function expectOfficialIdentity(requests: readonly RecordedRequest[]): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) expect([r.path, r.headers]).toMatchObject([r.path, { ...OFFICIAL, "x-msh-device-id": deviceId() }]);
}

describe("kimi-code 2.1.0 against the emulator (default options)", () => {
  test("login completes the device flow", async () => {
    const child = spawnKimiCode(home, ["login"]);
    const out = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    const timer = setTimeout(() => child.kill(), 120_000);
    let login;
    try {
      for (let i = 0; i < 600 && emu.state.pendingLogins().length === 0 && child.exitCode === null; i++) await Bun.sleep(100);
      login = emu.state.approve(); // the user approves in the browser
    } finally {
      if (login === undefined) child.kill();
    }
    const code = await child.exited;
    clearTimeout(timer);
    const [stdout, stderr] = await out;
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toContain(login.userCode);
    expect(stderr).toContain("Logged in");
    expect(emu.state.requestsTo("/api/oauth/token").at(-1)!.status).toBe(200);
    const credentials = join(home.kimiHome, "credentials");
    const files = readdirSync(credentials);
    expect(files.length).toBe(1);
    expect(statSync(join(credentials, files[0]!)).mode & 0o077).toBe(0);
    expectOfficialIdentity(emu.state.requests.filter((r) => r.host === "oauth"));
  }, 180_000);

  test('-p "<prompt>" streams an answer, with the official identity and kimi-code\'s body', async () => {
    emu.state.setReply({ text: "Conformance pong from the emulator." });
    const before = emu.state.requestsTo(CHAT).length;
    const run = await runKimiCode(home, ["-p", "say pong"]);
    expect(run.timedOut).toBe(false);
    expect(run.code, printed(run)).toBe(0);
    expect(run.stdout).toContain("Conformance pong from the emulator.");
    const chats = emu.state.requestsTo(CHAT).slice(before);
    expect(chats.map((r) => r.status)).toEqual([200]);
    expectOfficialIdentity([...chats, ...emu.state.requestsTo("/coding/v1/models")]);
    expect(chats[0]!.chat).toMatchObject({
      model: "kimi-for-coding",
      stream: true,
      thinking: true,
      thinkingSource: "thinking.type",
      effort: "high",
      thinkingKeep: "all",
      maxCompletionTokens: 262144,
      includeUsage: true,
    });
    expect(chats[0]!.chat!.promptCacheKey).toMatch(/^session_/);
  }, 180_000);

  test("a tool-calling turn: the scripted Bash call runs and its output goes back", async () => {
    const marker = "kimi-code-tool-ok";
    emu.state.setReply((view) => {
      const last = view.messages.at(-1) as { role?: string; content?: unknown } | undefined;
      if (last?.role === "tool") return { text: `The tool printed: ${JSON.stringify(last.content)}` };
      return { text: "", toolCall: { name: "Bash", arguments: { command: `echo ${marker}` } } };
    });
    const before = emu.state.requestsTo(CHAT).length;
    try {
      const run = await runKimiCode(home, ["-p", "run the echo"]);
      expect(run.code, printed(run)).toBe(0);
      const chats = emu.state.requestsTo(CHAT).slice(before);
      expect(chats.map((r) => r.chat?.finishReason)).toEqual(["tool_calls", "stop"]);
      const call = chats[0]!.chat!.toolCall!;
      const messages = (chats[1]!.body as { messages: Record<string, unknown>[] }).messages;
      const toolMessage = messages.find((m) => m.role === "tool" && m.tool_call_id === call.id);
      expect(String(toolMessage?.content)).toContain(marker);
      // thinking keep "all": the tool turn's reasoning is sent back with it
      const assistant = messages.find((m) => Array.isArray(m.tool_calls));
      expect(assistant?.reasoning_content).toBeString();
      expect(run.stdout).toContain("The tool printed:");
    } finally {
      emu.state.setReply(null);
    }
  }, 180_000);

  test("GET /usages is read identically by the plugin's parser and by kimi-code", async () => {
    emu.state.configure({ usagesMonthly: true, boosterWallet: "funded" });
    const port = await freePort();
    // kimi-code's local server exposes what it parsed from /usages (dist/main.mjs 358031, /oauth/usage).
    const server = spawnKimiCode(home, ["web", "--port", String(port), "--no-open", "--dangerous-bypass-auth"]);
    try {
      let answer: any;
      for (let i = 0; i < 600 && answer === undefined && server.exitCode === null; i++) {
        answer = await fetch(`http://127.0.0.1:${port}/api/v1/oauth/usage`).then((r) => r.json()).catch(() => undefined);
        if (answer === undefined) await Bun.sleep(100);
      }
      expect(answer?.data?.kind).toBe("ok");
      const theirs = answer.data.quota;
      const raw = await (await fetch(`${emu.apiBase}/usages`, { headers: { authorization: `Bearer ${emu.state.mintTokens().access_token}` } })).json();
      const ours = Object.fromEntries(parseUsage(raw).map((w) => [w.label, w]));
      const pairs = [
        ["5h limit", theirs.usages.limit5h],
        ["Weekly limit", theirs.usages.limit7d],
        ["Monthly limit", theirs.usages.monthTotal],
      ] as const;
      for (const [label, entry] of pairs) {
        const w = ours[label]!;
        expect([label, Math.round((w.used / w.limit) * 1000) / 10]).toEqual([label, Math.round(entry.usedRatio * 1000) / 10]);
        expect([label, w.resetAt?.getTime()]).toEqual([label, Date.parse(entry.resetAt)]);
      }
      expect(ours["5h limit"]!.used).toBeGreaterThan(0); // the chats above were counted
      expect(theirs.extraUsage).toEqual({
        balanceCents: 3250,
        totalCents: 5000,
        monthlyChargeLimitEnabled: true,
        monthlyChargeLimitCents: 10000,
        monthlyUsedCents: 1750,
        currency: "USD",
      });
      const usagesCall = emu.state.requestsTo("/coding/v1/usages").find((r) => r.headers["user-agent"]?.startsWith("Bun/"));
      expect(usagesCall?.headers).not.toHaveProperty("x-msh-platform"); // kimi-code sends no identity here
    } finally {
      server.kill();
      await server.exited;
      emu.state.configure({ usagesMonthly: false, boosterWallet: "disabled" });
    }
  }, 180_000);

  test("what kimi-code sends matches the recorded fixture (UPDATE_KIMI_CODE_FIXTURE=1 rewrites it)", () => {
    const pick = (path: string, filter: (r: RecordedRequest) => boolean = () => true) => {
      const r = emu.state.requestsTo(path).find(filter);
      if (!r) throw new Error(`kimi-code made no request to ${path}`);
      return wireEntry(r, deviceId());
    };
    const requests: Record<string, WireEntry> = {
      device_authorization: pick("/api/oauth/device_authorization"),
      device_token: pick("/api/oauth/token"),
      models: pick("/coding/v1/models"),
      chat: pick(CHAT),
      usages: pick("/coding/v1/usages"),
    };
    const recorded = {
      client: `@moonshot-ai/kimi-code ${KIMI_CODE_VERSION}, run by the project's bun`,
      recordedBy: "test/conformance/kimi-code.test.ts against the emulator; <…> values say what a value is made of",
      requests,
    };
    if (process.env.UPDATE_KIMI_CODE_FIXTURE === "1") writeFileSync(FIXTURE, `${JSON.stringify(recorded, null, 2)}\n`);
    expect(recorded).toEqual(JSON.parse(readFileSync(FIXTURE, "utf8")));
  });
});
