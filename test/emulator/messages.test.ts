// POST /coding/v1/messages: Kimi's Anthropic-compatible route in the emulator.
import { describe, expect, test } from "bun:test";
import { GATE_MESSAGE, missingReasoningIndex, thinkingSignature, type RunningEmulator } from "../../emulator/index.ts";
import { chat, GOOD_UA, HELLO, readAll, useEmulator } from "./helpers.ts";

const MSG_HELLO = { model: "kimi-for-coding", max_tokens: 1024, messages: [{ role: "user", content: "hi" }] };

function messages(
  emu: RunningEmulator,
  body: Record<string, unknown> | string,
  opts: { bearer?: string | null; apiKey?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const bearer = opts.bearer === undefined && opts.apiKey === undefined ? emu.state.mintTokens().access_token : opts.bearer;
  return fetch(`${emu.apiBase}/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "opencode/1.18.33 ai-sdk/anthropic/3.0.0",
      "anthropic-version": "2023-06-01",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(opts.apiKey ? { "x-api-key": opts.apiKey } : {}),
      ...opts.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Splits an Anthropic SSE body into {event, data} pairs; every block must have both lines. */
function parseAnthropicSse(text: string): { event: string; data: any }[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((block) => {
      const m = /^event: (\S+)\ndata: (.*)$/s.exec(block);
      if (!m) throw new Error(`not an Anthropic SSE event: ${JSON.stringify(block)}`);
      return { event: m[1]!, data: JSON.parse(m[2]!) };
    });
}

const TOOL = { name: "bash", description: "run", input_schema: { type: "object", properties: { command: { type: "string" } } } };

describe("/messages wire", () => {
  const box = useEmulator();

  test("streams thinking (signed), then text, with Anthropic's event sequence", async () => {
    const { emu } = box;
    emu.state.setReply({ text: "pong pong", reasoning: "think hard" });
    const r = await messages(emu, { ...MSG_HELLO, stream: true, thinking: { type: "enabled", budget_tokens: 1024 } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const events = parseAnthropicSse((await readAll(r)).text);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      ...Array(2).fill("content_block_delta"), // "think " "hard"
      "content_block_delta", // signature_delta
      "content_block_stop",
      "content_block_start",
      ...Array(2).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => e.data);
    expect(deltas.filter((d) => d.index === 0 && d.delta.type === "thinking_delta").map((d) => d.delta.thinking).join("")).toBe("think hard");
    expect(deltas.find((d) => d.delta.type === "signature_delta").delta.signature).toBe(thinkingSignature("think hard"));
    expect(deltas.filter((d) => d.index === 1).map((d) => d.delta.text).join("")).toBe("pong pong");
    const starts = events.filter((e) => e.event === "content_block_start").map((e) => e.data.content_block.type);
    expect(starts).toEqual(["thinking", "text"]);
    const end = events.find((e) => e.event === "message_delta")!.data;
    expect(end.delta.stop_reason).toBe("end_turn");
    expect(end.usage.output_tokens).toBeGreaterThan(0);
    expect(end.usage.cache_read_input_tokens).toBe(0);
    expect(emu.state.lastChat).toMatchObject({ route: "messages", thinking: true, thinkingSource: "thinking.type", text: "pong pong" });
  });

  test("a repeated prefix is reported as cache_read_input_tokens, outside input_tokens", async () => {
    const { emu } = box;
    const body = { ...MSG_HELLO, system: "You are a coding agent.", stream: true };
    await readAll(await messages(emu, body));
    const events = parseAnthropicSse((await readAll(await messages(emu, body))).text);
    const usage = events.find((e) => e.event === "message_delta")!.data.usage;
    expect(usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(usage.input_tokens + usage.cache_read_input_tokens).toBe(emu.state.lastChat!.promptTokens);
    expect(events[0]!.data.message.usage.cache_read_input_tokens).toBe(usage.cache_read_input_tokens);
  });

  test("a scripted tool call streams as a tool_use block with input_json_delta fragments", async () => {
    const { emu } = box;
    emu.state.setReply({ toolCall: { name: "bash", arguments: { command: "ls -la" }, id: "toolu_1" } });
    const r = await messages(emu, { ...MSG_HELLO, stream: true, tools: [TOOL] });
    const events = parseAnthropicSse((await readAll(r)).text);
    const start = events.find((e) => e.event === "content_block_start" && e.data.content_block.type === "tool_use")!.data;
    expect(start.content_block).toEqual({ type: "tool_use", id: "toolu_1", name: "bash", input: {} });
    const json = events
      .filter((e) => e.event === "content_block_delta" && e.data.index === start.index)
      .map((e) => e.data.delta.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual({ command: "ls -la" });
    expect(events.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("tool_use");
  });

  test("non-streamed: one message object with thinking, text and tool_use blocks", async () => {
    const { emu } = box;
    emu.state.setReply({ text: "running it", reasoning: "r", toolCall: { name: "bash", arguments: '{"command":"pwd"}' } });
    const r = await messages(emu, { ...MSG_HELLO, tools: [TOOL] });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body).toMatchObject({ type: "message", role: "assistant", model: "kimi-for-coding", stop_reason: "tool_use" });
    expect(body.content.map((b: any) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(body.content[0].signature).toBe(thinkingSignature("r"));
    expect(body.content[2].input).toEqual({ command: "pwd" });
    expect(body.content[2].id).toStartWith("toolu_");
  });

  test("thinking: disabled sends no thinking block; an 'only' model thinks anyway; effort is recorded", async () => {
    const { emu } = box;
    const off = (await (await messages(emu, { ...MSG_HELLO, thinking: { type: "disabled" } })).json()) as any;
    expect(off.content.map((b: any) => b.type)).toEqual(["text"]);
    expect(emu.state.lastChat).toMatchObject({ thinking: false, thinkingSource: "thinking.type" });
    const forced = (await (
      await messages(emu, { ...MSG_HELLO, model: "kimi-for-coding-highspeed", thinking: { type: "disabled" } })
    ).json()) as any;
    expect(forced.content[0].type).toBe("thinking");
    await messages(emu, { ...MSG_HELLO, thinking: { type: "enabled" }, output_config: { effort: "max" } });
    expect(emu.state.lastChat).toMatchObject({ thinking: true, effort: "max" });
    await messages(emu, MSG_HELLO);
    expect(emu.state.lastChat).toMatchObject({ thinking: true, thinkingSource: "model-default" });
  });

  test("bad bodies: 400/404 in Anthropic's error envelope", async () => {
    const { emu } = box;
    for (const [body, status] of [
      ["not json", 400],
      [{ messages: [] }, 400],
      [{ model: "kimi-for-coding", messages: [{ role: "system", content: "x" }] }, 400],
      [{ ...MSG_HELLO, model: "gpt-4" }, 404],
    ] as const) {
      const r = await messages(emu, body);
      expect(r.status).toBe(status);
      const json = (await r.json()) as any;
      expect(json.type).toBe("error");
      expect(json.error.message).toBeString();
    }
  });
});

describe("/messages authentication, gate, membership, quota", () => {
  const box = useEmulator({ apiKeys: ["sk-kimi-good"] });

  test("x-api-key and Bearer both carry an API key or an access token", async () => {
    const { emu } = box;
    const token = emu.state.mintTokens().access_token;
    expect((await messages(emu, MSG_HELLO, { apiKey: "sk-kimi-good" })).status).toBe(200);
    expect((await messages(emu, MSG_HELLO, { bearer: "sk-kimi-good" })).status).toBe(200);
    expect((await messages(emu, MSG_HELLO, { bearer: token })).status).toBe(200);
    expect((await messages(emu, MSG_HELLO, { apiKey: token })).status).toBe(200);
  });

  test("missing, unknown or expired credentials → 401 invalid_authentication_error", async () => {
    const { emu } = box;
    const expired = emu.state.mintTokens({ lifetimeSec: 0 }).access_token;
    for (const opts of [{ bearer: null }, { apiKey: "sk-kimi-other" }, { bearer: "garbage" }, { bearer: expired }]) {
      const r = await messages(emu, MSG_HELLO, opts);
      expect(r.status).toBe(401);
      expect(((await r.json()) as any).error.type).toBe("invalid_authentication_error");
    }
  });

  test("the two routes are gated independently", async () => {
    const { emu } = box;
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] });
    expect((await chat(emu, HELLO)).status).toBe(403);
    expect((await messages(emu, MSG_HELLO)).status).toBe(200);
    emu.state.configure({ allowedUserAgentPrefixes: ["opencode/"], messagesAllowedUserAgentPrefixes: ["claude-cli/"] });
    expect((await chat(emu, HELLO, { headers: { "user-agent": GOOD_UA } })).status).toBe(200);
    const refused = await messages(emu, MSG_HELLO);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ type: "error", error: { type: "access_terminated_error", message: GATE_MESSAGE } });
    expect((await messages(emu, MSG_HELLO, { headers: { "user-agent": "claude-cli/2.1.0" } })).status).toBe(200);
  });

  test("402 for an expired membership, 429 with Retry-After when the window is used up", async () => {
    const { emu } = box;
    emu.state.configure({ expiredMembershipKeys: ["sk-kimi-good"] });
    const r402 = await messages(emu, MSG_HELLO, { apiKey: "sk-kimi-good" });
    expect(r402.status).toBe(402);
    expect(((await r402.json()) as any).error.type).toBe("membership_expired_error");
    emu.state.configure({ expiredMembershipKeys: [], fiveHourRequestLimit: 1, quotaErrors: "retry-after" });
    expect((await messages(emu, MSG_HELLO)).status).toBe(200);
    const r429 = await messages(emu, MSG_HELLO);
    expect(r429.status).toBe(429);
    expect(Number(r429.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await r429.json()) as any).error.type).toBe("rate_limit_reached_error");
    // The quota is the account's: the chat route is used up too.
    expect((await chat(emu, HELLO)).status).toBe(429);
  });
});

describe("/messages history validation with thinking on", () => {
  const box = useEmulator();
  const call = { type: "tool_use", id: "toolu_1", name: "bash", input: { command: "ls" } };
  const result = { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] };
  const history = (assistant: Record<string, unknown>[]) => ({
    ...MSG_HELLO,
    system: [{ type: "text", text: "You are a coding agent." }],
    tools: [TOOL],
    messages: [{ role: "user", content: "list files" }, { role: "assistant", content: assistant }, result],
  });

  test("a tool-call turn without thinking → 400 with Kimi's message and index", async () => {
    const { emu } = box;
    const r = await messages(emu, { ...history([call]), thinking: { type: "enabled", budget_tokens: 1024 } });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "thinking is enabled but reasoning_content is missing in assistant tool call message at index 2",
      },
    });
    expect(emu.state.chats).toHaveLength(0);
  });

  test("accepted with the thinking block, with thinking off, or with the check switched off", async () => {
    const { emu } = box;
    const thought = { type: "thinking", thinking: "ls", signature: thinkingSignature("ls") };
    expect((await messages(emu, history([thought, call]))).status).toBe(200);
    expect((await messages(emu, { ...history([call]), thinking: { type: "disabled" } })).status).toBe(200);
    expect((await messages(emu, history([call]))).status).toBe(400); // absent = on
    emu.state.configure({ messagesRequireReasoningHistory: false });
    expect((await messages(emu, history([call]))).status).toBe(200);
  });

  test("the index counts Kimi's converted list: system, one per tool result, one per other user content", () => {
    const turn = (blocks: unknown[]) => ({ role: "assistant", content: blocks });
    const thought = { type: "thinking", thinking: "t", signature: "s" };
    const twoResults = {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "a", content: "1" },
        { type: "tool_result", tool_use_id: "b", content: "2" },
        { type: "text", text: "go on" },
      ],
    };
    const body = (system: unknown, msgs: unknown[]) => ({ system, messages: msgs });
    expect(missingReasoningIndex(body(undefined, [{ role: "user", content: "x" }, turn([call])]))).toBe(1);
    expect(missingReasoningIndex(body("sys", [{ role: "user", content: "x" }, turn([thought, call]), twoResults, turn([call])]))).toBe(6);
    expect(missingReasoningIndex(body("", [turn([{ type: "redacted_thinking", data: "x" }, call])]))).toBeNull();
    expect(missingReasoningIndex(body("sys", [turn([{ type: "text", text: "no tools" }])]))).toBeNull();
  });
});
