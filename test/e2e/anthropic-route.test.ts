// protocol "anthropic" with the real opencode binary against the emulator: device login, the model
// list, a streamed turn with reasoning, two-turn tool sessions with thinking on (the second request
// passes Kimi's history check), an API key in x-api-key, and the way out of the OpenAI route's gate.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { thinkingSignature, type RunningEmulator } from "../../emulator/index.ts";
import { join } from "node:path";
import { DEFAULT_MODELS } from "../../emulator/index.ts";
import { ANTHROPIC_WIRE_TABLE } from "../../src/core/models/anthropic-variants.ts";
import { parseModels } from "../../src/core/models/discovery.ts";
import { writeModelCache } from "../../src/core/models/model-cache.ts";
import { login, parseEvents, readAuth, runChat, runOpencode, writeAuth, type OpencodeHome, type RunResult } from "./harness.ts";
import {
  CHAT_PATH,
  cleanupHomes,
  DEVICE_LOGIN,
  isTitle,
  kimiHome,
  MODEL,
  OPENCODE_UA_PREFIX,
  pluginErrors,
  printed,
  PROVIDER,
  REASONING,
  REPLY,
  seedLogin,
  startKimi,
} from "./kimi.ts";

const MESSAGES_PATH = "/coding/v1/messages";
const ANTHROPIC = { protocol: "anthropic" };
const API_KEY = "sk-kimi-e2e-anthropic-route";
/** Per opencode run: generous, the machine may be shared (nothing here asserts timing). */
const RUN_MS = 240_000;

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startKimi({ apiKeys: [API_KEY] });
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
});

type Recorded = ReturnType<RunningEmulator["state"]["requestsTo"]>[number];
const body = (r: Recorded | undefined) => (r?.body ?? {}) as Record<string, any>;

/** /messages requests of one session (by `x-session-id`), the title request apart. */
function session(id: string): { title?: Recorded; main: Recorded[] } {
  const all = emu.state.requestsTo(MESSAGES_PATH).filter((r) => r.headers["x-session-id"] === id);
  const title = all.find(isTitleMessages);
  return { ...(title ? { title } : {}), main: all.filter((r) => !isTitleMessages(r)) };
}
function isTitleMessages(r: Recorded): boolean {
  return JSON.stringify(body(r).messages ?? "").includes("Generate a title") || isTitle(r);
}
function sessionOf(run: RunResult): string {
  const id = parseEvents(run.stdout)[0]?.sessionID;
  if (typeof id !== "string") throw new Error(`no session id in the output:\n${printed(run)}`);
  return id;
}

describe("device login, models and a streamed turn", () => {
  let home: OpencodeHome;
  let loginRun: Promise<RunResult> | undefined;
  const loggedIn = () => (loginRun ??= login(home, PROVIDER, DEVICE_LOGIN, { timeoutMs: RUN_MS }));
  beforeAll(() => {
    home = kimiHome(emu, { options: ANTHROPIC });
  });

  test("the same device login serves the Anthropic route; models lists every entitled model", async () => {
    const res = await loggedIn();
    expect(res.exitCode, printed(res)).toBe(0);
    expect(printed(res)).toContain("Login successful");
    expect(readAuth(home)?.[PROVIDER]).toMatchObject({ type: "oauth", enterpriseUrl: emu.apiBase });
    const models = await runOpencode(home, ["models", PROVIDER], { timeoutMs: RUN_MS });
    expect(models.exitCode, printed(models)).toBe(0);
    const listed = models.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
    expect(listed).toEqual(emu.state.options.models.map((m) => `${PROVIDER}/${m.id}`).sort());
  }, 3 * RUN_MS);

  test("a streamed turn with reasoning goes to /messages with opencode's identity and the variant's fields", async () => {
    expect((await loggedIn()).exitCode).toBe(0);
    const access = String(readAuth(home)?.[PROVIDER]?.access);
    const chatsBefore = emu.state.requestsTo(CHAT_PATH).length;
    const run = await runChat(home, MODEL, "say hello", { variant: "high", json: true, extraArgs: ["--thinking"], timeoutMs: RUN_MS });
    expect(run.exitCode, printed(run)).toBe(0);
    const events = parseEvents(run.stdout);
    expect(events.filter((e) => e.type === "text").map((e) => (e.part as { text?: string }).text)).toEqual([REPLY]);
    expect(events.filter((e) => e.type === "reasoning").map((e) => (e.part as { text?: string }).text)).toEqual([REASONING]);

    const id = sessionOf(run);
    const s = session(id);
    expect(s.main).toHaveLength(1);
    expect(s.title).toBeDefined();
    for (const r of [s.title!, ...s.main]) {
      expect(r.status).toBe(200);
      expect(r.headers.authorization).toBe(`Bearer ${access}`);
      expect(r.headers["x-api-key"]).toBeUndefined();
      expect(r.headers["anthropic-version"]).toBe("2023-06-01");
      expect(r.headers["user-agent"]?.startsWith(OPENCODE_UA_PREFIX)).toBe(true);
      expect(Object.keys(r.headers).filter((n) => n.startsWith("x-msh-") || n.startsWith("x-opencode-kimi-"))).toEqual([]);
      expect(body(r).model).toBe("kimi-for-coding");
      expect(body(r).stream).toBe(true);
      expect(body(r).metadata).toEqual({ user_id: id });
      expect(body(r).prompt_cache_key).toBeUndefined();
    }
    const main = body(s.main[0]);
    expect(main.thinking).toEqual({ type: "adaptive", display: "summarized" });
    expect(main.output_config).toEqual({ effort: "high" });
    expect(s.main[0]?.chat).toMatchObject({ route: "messages", thinking: true, effort: "high" });
    // The title request uses the off variant: thinking disabled, no effort.
    expect(body(s.title).thinking).toEqual({ type: "disabled" });
    expect(body(s.title).output_config).toBeUndefined();
    // Nothing went to the OpenAI route.
    expect(emu.state.requestsTo(CHAT_PATH).length).toBe(chatsBefore);
    expect(pluginErrors(run.stderr)).toEqual([]);
  }, 3 * RUN_MS);
});

describe("two turns with a tool call and thinking on", () => {
  const CALL_REASONING = "I should run a command to answer.";
  const FINAL = "The command printed hi.";

  test("every variant: the tool result goes back with the signed thinking block and Kimi's history check passes", async () => {
    emu.state.setReply((view) => {
      const sent = JSON.stringify(view.messages);
      if (view.tools.length === 0 || sent.includes("Generate a title")) return undefined;
      if (!sent.includes("tool_result")) {
        return { reasoning: CALL_REASONING, toolCall: { name: "bash", arguments: { command: "echo hi", description: "Print hi" } } };
      }
      return { text: FINAL, reasoning: "The output is hi." };
    });
    try {
      const home = kimiHome(emu, { options: ANTHROPIC });
      seedLogin(home, emu);
      const cases = [
        { model: MODEL, variant: "high", thinking: true },
        { model: MODEL, variant: "auto", thinking: true },
        { model: MODEL, variant: "off", thinking: false },
      ];
      const runs = await Promise.all(
        cases.map((c, i) =>
          runChat(home, c.model, "run echo hi and tell me what it printed", {
            variant: c.variant,
            json: true,
            timeoutMs: RUN_MS,
            env: { OPENCODE_DB: `opencode-tools-${i}.db` },
          }),
        ),
      );
      for (const [i, c] of cases.entries()) {
        const run = runs[i]!;
        const label = `${c.model} --variant ${c.variant}`;
        expect(run.exitCode, `${label}\n${printed(run)}`).toBe(0);
        const events = parseEvents(run.stdout);
        const tool = events.find((e) => e.type === "tool_use")?.part as { tool?: string; state?: { status?: string; output?: string } };
        expect([label, tool?.tool, tool?.state?.status, tool?.state?.output?.trim()]).toEqual([label, "bash", "completed", "hi"]);
        expect(events.filter((e) => e.type === "text").map((e) => (e.part as { text?: string }).text)).toEqual([FINAL]);

        const { main } = session(sessionOf(run));
        expect([label, main.map((r) => r.status)]).toEqual([label, [200, 200]]);
        expect(main.map((r) => r.chat?.thinking)).toEqual([c.thinking, c.thinking]);
        // The body carries exactly the route table's fields for the variant (README, anthropic-variants.ts).
        const wire = ANTHROPIC_WIRE_TABLE[c.variant as keyof typeof ANTHROPIC_WIRE_TABLE];
        for (const r of main) expect([label, body(r).thinking, body(r).output_config]).toEqual([label, wire.thinking, wire.output_config]);
        const history = body(main[1]).messages as { role: string; content: { type: string; [k: string]: unknown }[] }[];
        const assistant = history.find((m) => m.role === "assistant")!;
        const types = assistant.content.map((b) => b.type);
        if (c.thinking) {
          // Sent back exactly as Kimi signed it, before the tool call.
          expect([label, types]).toEqual([label, ["thinking", "tool_use"]]);
          expect(assistant.content[0]).toMatchObject({ thinking: CALL_REASONING, signature: thinkingSignature(CALL_REASONING) });
        } else {
          expect([label, types]).toEqual([label, ["tool_use"]]);
        }
        // The tool result rides in a user turn (Anthropic protocol).
        const last = history.at(-1)!;
        expect(last.role).toBe("user");
        expect(last.content.some((b) => b.type === "tool_result")).toBe(true);
      }
    } finally {
      emu.state.setReply(null);
    }
  }, 3 * RUN_MS);
});

describe("API key and the way out of the OpenAI route's gate", () => {
  test("an API key login goes in x-api-key on /messages", async () => {
    const home = kimiHome(emu, { env: { KIMI_CODE_PROTOCOL: "anthropic" } });
    writeAuth(home, { [PROVIDER]: { type: "api", key: API_KEY, metadata: { baseURL: emu.apiBase } } });
    const run = await runChat(home, MODEL, "say hello", { variant: "off", json: true, timeoutMs: RUN_MS });
    expect(run.exitCode, printed(run)).toBe(0);
    const { main } = session(sessionOf(run));
    expect(main).toHaveLength(1);
    expect(main[0]?.headers["x-api-key"]).toBe(API_KEY);
    expect(main[0]?.headers.authorization).toBeUndefined();
    expect(main[0]?.status).toBe(200);
  }, 3 * RUN_MS);

  test("OpenAI route gated, Anthropic route open: the 403 names protocol anthropic, and with it the same login chats", async () => {
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"], messagesAllowedUserAgentPrefixes: null });
    try {
      const home = kimiHome(emu);
      seedLogin(home, emu);
      const chatsBefore = emu.state.requestsTo(CHAT_PATH).length;
      const refused = await runChat(home, MODEL, "say hello", { variant: "high", timeoutMs: RUN_MS });
      const out = printed(refused);
      expect(refused.timedOut, out).toBe(false);
      expect(refused.exitCode, out).toBe(1);
      const gated = emu.state.requestsTo(CHAT_PATH).slice(chatsBefore).filter((r) => !isTitle(r));
      expect(gated.map((r) => r.status)).toEqual([403]);
      expect(out).toContain("Kimi Code refused this client");
      expect(out).toContain('protocol: "anthropic"');
      expect(out).toContain("KIMI_CODE_PROTOCOL=anthropic");

      const messagesBefore = emu.state.requestsTo(MESSAGES_PATH).length;
      const ok = await runChat(home, MODEL, "say hello", { variant: "high", timeoutMs: RUN_MS, env: { KIMI_CODE_PROTOCOL: "anthropic" } });
      expect(ok.exitCode, printed(ok)).toBe(0);
      expect(ok.stdout.trim()).toBe(REPLY);
      const served = emu.state.requestsTo(MESSAGES_PATH).slice(messagesBefore);
      expect(served.length).toBeGreaterThanOrEqual(1);
      expect(served.every((r) => r.status === 200)).toBe(true);
      expect(served.every((r) => r.headers["user-agent"]?.startsWith(OPENCODE_UA_PREFIX))).toBe(true);
    } finally {
      emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/", "claude-cli/", "Kilo-Code/", "RooCode/", "opencode/"] });
    }
  }, 3 * RUN_MS);
});

test("a model /models puts on the Anthropic route goes to /messages under the default protocol", async () => {
  const k4 = { ...DEFAULT_MODELS[0]!, id: "k4", display_name: "Kimi K4", protocol: "anthropic" as const };
  emu.state.configure({ models: [...DEFAULT_MODELS, k4] });
  try {
    const home = kimiHome(emu);
    const { access } = seedLogin(home, emu);
    // The model list a login would have cached, straight from the emulator's /models.
    const listed = await fetch(`${emu.apiBase}/models`, { headers: { authorization: `Bearer ${access}` } });
    await writeModelCache(join(home.cacheHome, "opencode-kimi-code"), emu.apiBase, parseModels(await listed.json()));
    const messagesBefore = emu.state.requestsTo(MESSAGES_PATH).length;
    const chatsBefore = emu.state.requestsTo(CHAT_PATH).length;
    const run = await runChat(home, `${PROVIDER}/k4`, "say hello", { variant: "high", json: true, timeoutMs: RUN_MS });
    expect(run.exitCode, printed(run)).toBe(0);
    const { main } = session(sessionOf(run));
    expect(main.map((r) => [r.status, body(r).model])).toEqual([[200, "k4"]]);
    expect(body(main[0]).output_config).toEqual({ effort: "high" });
    expect(main[0]?.headers.authorization).toBe(`Bearer ${access}`);
    expect(emu.state.requestsTo(MESSAGES_PATH).length).toBeGreaterThan(messagesBefore);
    // The other models stay on /chat/completions.
    const other = await runChat(home, MODEL, "say hello", { variant: "high", timeoutMs: RUN_MS });
    expect(other.exitCode, printed(other)).toBe(0);
    const chats = emu.state.requestsTo(CHAT_PATH).slice(chatsBefore).filter((r) => !isTitle(r));
    expect(chats.map((r) => [r.status, body(r).model])).toEqual([[200, "kimi-for-coding"]]);
  } finally {
    emu.state.configure({ models: [...DEFAULT_MODELS] });
  }
}, 3 * RUN_MS);
