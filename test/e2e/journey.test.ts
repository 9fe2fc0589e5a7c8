// The README's journey with the real opencode binary against the emulator: device login through
// `opencode providers login`, the model list, and chat turns under the default ("opencode") identity.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import type { RunningEmulator } from "../../emulator/index.ts";
import { login, parseEvents, readAuth, runChat, runOpencode, type OpencodeHome, type RunResult } from "./harness.ts";
import {
  bodyOf,
  cleanupHomes,
  CHAT_PATH,
  DEVICE_LOGIN,
  kimiHome,
  MODEL,
  OPENCODE_UA_PREFIX,
  pluginErrors,
  printed,
  PROVIDER,
  REASONING,
  REPLY,
  sessionChats,
  startKimi,
} from "./kimi.ts";
import { OPENCODE } from "./opencode-behaviour.ts";

let emu: RunningEmulator;
let home: OpencodeHome;
let loginRun: Promise<RunResult> | undefined;

beforeAll(async () => {
  emu = await startKimi();
  home = kimiHome(emu);
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
});

/** The one device login of this file (test 1 asserts on it; later tests need its credential). */
function loggedIn(): Promise<RunResult> {
  loginRun ??= login(home, PROVIDER, DEVICE_LOGIN, { timeoutMs: 60_000 });
  return loginRun;
}

test("providers login: device flow against the emulator stores an oauth entry (integer expires, 0600)", async () => {
  const res = await loggedIn();
  const out = printed(res);
  expect(res.timedOut).toBe(false);
  expect(res.exitCode, out).toBe(0);
  const code = emu.state.logins[0]?.userCode;
  expect(code).toMatch(/^[A-Z]{4}-\d{4}$/);
  expect(out).toContain(`Go to: ${emu.oauthHost}/device?user_code=${code}`);
  expect(out).toContain(`confirm the code ${code}`);
  expect(out).toContain("Login successful");
  expect(emu.state.logins[0]?.status).toBe("consumed");

  const entry = readAuth(home)?.[PROVIDER];
  expect(entry).toMatchObject({ type: "oauth", enterpriseUrl: emu.apiBase });
  expect(Number.isInteger(entry?.expires)).toBe(true);
  expect(entry?.expires as number).toBeGreaterThan(Date.now() + 60_000);
  expect(emu.state.tokens.checkAccess(String(entry?.access))).toBe("valid");
  expect(typeof entry?.refresh).toBe("string");
  expect(statSync(home.authPath).mode & 0o777).toBe(0o600);
  // The plugin's own calls say who they are (default identity).
  for (const r of emu.state.requests.filter((r) => r.host === "oauth")) {
    expect(r.headers["user-agent"]).toBe("opencode-kimi-code/0.1.0");
    expect(Object.keys(r.headers).filter((n) => n.startsWith("x-msh-"))).toEqual([]);
  }
  expect(pluginErrors(res.stderr)).toEqual([]);
}, 90_000);

test("models lists every model the emulator entitles, with no provider block in opencode.json", async () => {
  expect((await loggedIn()).exitCode).toBe(0);
  const config = JSON.parse(readFileSync(`${home.configDir}/opencode.json`, "utf8")) as Record<string, unknown>;
  expect(config.provider).toBeUndefined();
  expect(Object.keys(config).sort()).toEqual(["$schema", "plugin"]);

  const res = await runOpencode(home, ["models", PROVIDER], { timeoutMs: 60_000 });
  expect(res.exitCode, printed(res)).toBe(0);
  const listed = res.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
  const entitled = (emu.state.options.models ?? []).map((m) => `${PROVIDER}/${m.id}`).sort();
  expect(entitled.length).toBe(4);
  expect(listed).toEqual(entitled);
}, 90_000);

test("chat turns: emulator token, opencode's User-Agent, variant fields, prompt_cache_key = session id", async () => {
  expect((await loggedIn()).exitCode).toBe(0);
  const access = String(readAuth(home)?.[PROVIDER]?.access);
  // Two independent runs at once: --variant high as JSON events with thinking shown, and --variant off
  // in the default format. The second has its own opencode.db (OPENCODE_DB): two runs starting together
  // on one database sometimes fail with opencode's own "database is locked".
  const [high, off] = await Promise.all([
    runChat(home, MODEL, "say hello", { variant: "high", json: true, extraArgs: ["--thinking"], timeoutMs: 90_000 }),
    runChat(home, MODEL, "say hello again", { variant: "off", timeoutMs: 90_000, env: { OPENCODE_DB: "opencode-second.db" } }),
  ]);
  expect(high.exitCode, printed(high)).toBe(0);
  expect(off.exitCode, printed(off)).toBe(0);

  // --variant high, --format json
  const events = parseEvents(high.stdout);
  const sessionId = events[0]?.sessionID as string;
  expect(sessionId).toMatch(/^ses_/);
  const texts = events.filter((e) => e.type === "text").map((e) => (e.part as { text?: string }).text);
  expect(texts).toEqual([REPLY]);
  const reasoning = events.filter((e) => e.type === "reasoning").map((e) => (e.part as { text?: string }).text);
  expect(reasoning).toEqual([REASONING]);

  const h = sessionChats(emu, sessionId);
  expect(h.main.length).toBe(1);
  expect(h.title).toBeDefined();
  for (const r of [h.title!, ...h.main]) {
    const headers = r.headers;
    expect(headers.authorization).toBe(`Bearer ${access}`);
    expect(emu.state.tokens.checkAccess(access)).toBe("valid");
    expect(headers["user-agent"]?.startsWith(OPENCODE_UA_PREFIX)).toBe(true);
    const names = Object.keys(headers);
    expect(names.filter((n) => n.startsWith("x-opencode-kimi-") || n.startsWith("x-msh-") || n === "x-api-key")).toEqual([]);
    expect(bodyOf(r).model).toBe("kimi-for-coding");
    expect(bodyOf(r).prompt_cache_key).toBe(sessionId);
    expect(headers["x-session-affinity"]).toBe(sessionId);
    expect(headers["x-session-id"]).toBe(OPENCODE.sessionIdHeader ? sessionId : undefined);
    expect(r.status).toBe(200);
  }
  const mainBody = bodyOf(h.main[0]);
  expect(mainBody.reasoning_effort).toBe("high");
  expect(mainBody.thinking).toBeUndefined();
  expect(h.main[0]?.chat?.thinking).toBe(true);
  // The title request carries the first variant (off) where opencode sends variants there at all.
  expect(bodyOf(h.title).thinking).toEqual(OPENCODE.titleUsesFirstVariant ? { type: "disabled" } : undefined);
  expect(bodyOf(h.title).reasoning_effort).toBeUndefined();

  // --variant off, default format: the reply is printed as it streamed.
  expect(off.stdout.trim()).toBe(REPLY);
  expect(printed(off)).toContain("> build · kimi-for-coding");
  const offSessions = new Set(
    emu.state
      .requestsTo(CHAT_PATH)
      .map((r) => r.headers["x-session-affinity"])
      .filter((s): s is string => typeof s === "string" && s !== sessionId),
  );
  expect(offSessions.size).toBe(1);
  const offId = [...offSessions][0]!;
  const o = sessionChats(emu, offId);
  expect(o.main.length).toBe(1);
  expect(bodyOf(o.main[0]).thinking).toEqual({ type: "disabled" });
  expect(bodyOf(o.main[0]).reasoning_effort).toBeUndefined();
  expect(bodyOf(o.main[0]).prompt_cache_key).toBe(offId);
  expect(o.main[0]?.chat?.thinking).toBe(false);
  expect(o.main[0]?.headers.authorization).toBe(`Bearer ${access}`);

  expect(emu.state.refreshCount).toBe(0);
  expect([...pluginErrors(high.stderr), ...pluginErrors(off.stderr)]).toEqual([]);
}, 120_000);
