import { describe, expect, test } from "bun:test";
import { DEFAULT_REASONING_TEXT, DEFAULT_REPLY_TEXT } from "../../emulator/index.ts";
import { chat, HELLO, parseSse, useEmulator } from "./helpers.ts";

const TOOLS = [{ type: "function", function: { name: "bash", description: "run", parameters: { type: "object" } } }];
const deltas = (events: any[]) => events.filter((e) => e !== "[DONE]").map((e) => e.choices[0].delta);
const joined = (events: any[], key: string) => deltas(events).map((d) => d[key] ?? "").join("");

describe("streamed chat", () => {
  const box = useEmulator();

  test("role chunk, reasoning, content, final chunk with usage, [DONE]", async () => {
    const { emu } = box;
    const r = await chat(emu, { ...HELLO, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("x-trace-id")).toBeString();
    const text = await r.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = parseSse(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1);
    const id = chunks[0].id;
    for (const c of chunks) {
      expect(c).toMatchObject({ id, object: "chat.completion.chunk", model: "kimi-for-coding" });
      expect(c.created).toBeNumber();
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0].index).toBe(0);
    }
    expect(id).toMatch(/^chatcmpl-/);
    expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null });

    const kinds: string[] = chunks.slice(1, -1).map((c: any) => Object.keys(c.choices[0].delta)[0]!);
    const firstContent = kinds.indexOf("content");
    expect(kinds.lastIndexOf("reasoning_content")).toBeLessThan(firstContent);
    expect(kinds.filter((k) => k === "content").length).toBeGreaterThan(1);
    expect(joined(events, "reasoning_content")).toBe(DEFAULT_REASONING_TEXT);
    expect(joined(events, "content")).toBe(DEFAULT_REPLY_TEXT);
    for (const c of chunks.slice(0, -1)) expect(c.choices[0].finish_reason).toBeNull();

    const last = chunks.at(-1);
    expect(last.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: "stop" });
    expect(last.usage.prompt_tokens).toBeGreaterThan(0);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + last.usage.completion_tokens);
    expect(last.usage.cached_tokens).toBeUndefined();
    expect(emu.state.lastChat).toMatchObject({ thinking: true, thinkingSource: "model-default", stream: true });
  });

  test("no reasoning_content when thinking is disabled", async () => {
    const { emu } = box;
    const events = parseSse(await (await chat(emu, { ...HELLO, stream: true, thinking: { type: "disabled" } })).text());
    expect(deltas(events).some((d) => "reasoning_content" in d)).toBe(false);
    expect(joined(events, "content")).toBe(DEFAULT_REPLY_TEXT);
    expect(emu.state.lastChat).toMatchObject({ thinking: false, thinkingSource: "thinking.type", reasoning: null });
  });

  test("tool_calls deltas when the request has tools and the reply calls one", async () => {
    const { emu } = box;
    emu.state.setReply({ toolCall: { name: "bash", arguments: { command: "ls -la", timeout: 10 } } });
    const events = parseSse(await (await chat(emu, { ...HELLO, stream: true, tools: TOOLS, thinking: { type: "disabled" } })).text());
    const calls = deltas(events).filter((d) => d.tool_calls);
    expect(calls.length).toBeGreaterThan(2);
    expect(calls[0].tool_calls).toEqual([
      { index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "bash", arguments: "" } },
    ]);
    for (const c of calls.slice(1)) {
      expect(c.tool_calls).toHaveLength(1);
      expect(c.tool_calls[0].index).toBe(0);
      expect(c.tool_calls[0].id).toBeUndefined();
      expect(c.tool_calls[0].function.name).toBeUndefined();
    }
    const args = calls.slice(1).map((c) => c.tool_calls[0].function.arguments).join("");
    expect(JSON.parse(args)).toEqual({ command: "ls -la", timeout: 10 });
    expect(deltas(events).some((d) => d.content)).toBe(false);
    expect(events.at(-2).choices[0].finish_reason).toBe("tool_calls");
    expect(events.at(-1)).toBe("[DONE]");
    expect(emu.state.lastChat!.toolCall).toMatchObject({ name: "bash" });
  });

  test("a scripted tool call is ignored when the request offers no tools", async () => {
    const { emu } = box;
    emu.state.setReply({ toolCall: { name: "bash", arguments: "{}" } });
    const events = parseSse(await (await chat(emu, { ...HELLO, stream: true, tools: [] })).text());
    expect(deltas(events).some((d) => d.tool_calls)).toBe(false);
    expect(joined(events, "content")).toBe(DEFAULT_REPLY_TEXT);
    expect(events.at(-2).choices[0].finish_reason).toBe("stop");
  });

  test("text + tool call with an explicit id; function replies see the request; setReply(null) resets", async () => {
    const { emu } = box;
    emu.state.setReply((req) =>
      req.messages.length > 1
        ? { text: "Done.", reasoning: "Second turn." }
        : { text: "Let me look.", toolCall: { id: "functions.bash:0", name: "bash", arguments: '{"command":"pwd"}' } },
    );
    let events = parseSse(await (await chat(emu, { ...HELLO, stream: true, tools: TOOLS })).text());
    expect(joined(events, "content")).toBe("Let me look.");
    expect(deltas(events).find((d) => d.tool_calls).tool_calls[0].id).toBe("functions.bash:0");
    const twoMessages = { ...HELLO, messages: [...HELLO.messages, { role: "assistant", content: "x" }] };
    events = parseSse(await (await chat(emu, { ...twoMessages, stream: true, tools: TOOLS })).text());
    expect(joined(events, "content")).toBe("Done.");
    expect(joined(events, "reasoning_content")).toBe("Second turn.");
    emu.state.setReply(null);
    events = parseSse(await (await chat(emu, { ...HELLO, stream: true })).text());
    expect(joined(events, "content")).toBe(DEFAULT_REPLY_TEXT);
  });

  test("chunkDelayMs spaces the chunks", async () => {
    const { emu } = box;
    emu.state.configure({ chunkDelayMs: 10 });
    const t0 = Date.now();
    const events = parseSse(await (await chat(emu, { ...HELLO, stream: true, thinking: { type: "disabled" } })).text());
    expect(Date.now() - t0).toBeGreaterThanOrEqual((events.length - 2) * 10 - 5);
  });
});

describe("thinking decision", () => {
  const box = useEmulator();
  const cases: [string, Record<string, unknown>, boolean, string][] = [
    ["kimi-for-coding", {}, true, "model-default"],
    ["kimi-for-coding", { thinking: { type: "enabled" } }, true, "thinking.type"],
    ["kimi-for-coding", { thinking: { type: "disabled" } }, false, "thinking.type"],
    ["kimi-for-coding", { reasoning_effort: "high" }, true, "reasoning_effort"],
    ["kimi-for-coding", { reasoning_effort: "none" }, false, "reasoning_effort"],
    ["k3", { thinking: { type: "enabled", effort: "max" } }, true, "thinking.type"],
    ["k3-256k", { thinking: { type: "disabled" } }, true, "model-only"],
    ["kimi-for-coding-highspeed", {}, true, "model-only"],
  ];
  for (const [model, extra, thinking, source] of cases) {
    test(`${model} ${JSON.stringify(extra)} → thinking ${thinking} (${source})`, async () => {
      const { emu } = box;
      const r = await chat(emu, { ...HELLO, model, ...extra });
      const body = (await r.json()) as any;
      expect(emu.state.lastChat).toMatchObject({ model, thinking, thinkingSource: source });
      expect(emu.state.requestsTo("/coding/v1/chat/completions")[0]!.chat!.thinking).toBe(thinking);
      expect("reasoning_content" in body.choices[0].message).toBe(thinking);
    });
  }

  test("effort is recorded from thinking.effort or reasoning_effort", async () => {
    const { emu } = box;
    await chat(emu, { ...HELLO, model: "k3", thinking: { type: "enabled", effort: "low" } });
    expect(emu.state.lastChat!.effort).toBe("low");
    await chat(emu, { ...HELLO, reasoning_effort: "max" });
    expect(emu.state.lastChat!.effort).toBe("max");
    await chat(emu, HELLO);
    expect(emu.state.lastChat!.effort).toBeUndefined();
  });
});

describe("non-streamed chat and cache", () => {
  const box = useEmulator();

  test("a chat.completion object with content, reasoning_content and usage", async () => {
    const { emu } = box;
    const r = await chat(emu, { ...HELLO, stream: false });
    expect(r.headers.get("content-type")).toContain("application/json");
    const body = (await r.json()) as any;
    expect(body).toMatchObject({ object: "chat.completion", model: "kimi-for-coding" });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices[0]).toEqual({
      index: 0,
      message: { role: "assistant", content: DEFAULT_REPLY_TEXT, reasoning_content: DEFAULT_REASONING_TEXT },
      finish_reason: "stop",
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(emu.state.lastChat!.stream).toBe(false);
  });

  test("tool_calls in the non-streamed message", async () => {
    const { emu } = box;
    emu.state.setReply({ toolCall: { name: "read", arguments: { path: "a.ts" } } });
    const body = (await (await chat(emu, { ...HELLO, tools: TOOLS, thinking: { type: "disabled" } })).json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: "function", function: { name: "read", arguments: '{"path":"a.ts"}' } },
    ]);
  });

  test("cached_tokens appear when a prompt prefix was seen before", async () => {
    const { emu } = box;
    const system = { role: "system", content: "You are opencode. ".repeat(50) };
    const turn1 = [system, { role: "user", content: "first question" }];
    const u1 = ((await (await chat(emu, { model: "kimi-for-coding", messages: turn1 })).json()) as any).usage;
    expect(u1.cached_tokens).toBeUndefined();

    const turn2 = [...turn1, { role: "assistant", content: "answer" }, { role: "user", content: "second" }];
    const r2 = await chat(emu, { model: "kimi-for-coding", messages: turn2, stream: true });
    const u2 = parseSse(await r2.text()).at(-2).usage;
    expect(u2.cached_tokens).toBe(u1.prompt_tokens);
    expect(u2.cached_tokens).toBeLessThan(u2.prompt_tokens);
    expect(emu.state.lastChat!.cachedTokens).toBe(u1.prompt_tokens);

    // same system prompt, different user message: only the system prefix is cached
    const other = [system, { role: "user", content: "unrelated" }];
    const u3 = ((await (await chat(emu, { model: "kimi-for-coding", messages: other })).json()) as any).usage;
    expect(u3.cached_tokens).toBeGreaterThan(0);
    expect(u3.cached_tokens).toBeLessThan(u1.prompt_tokens);

    // another model has its own cache
    const u4 = ((await (await chat(emu, { model: "k3", messages: turn1 })).json()) as any).usage;
    expect(u4.cached_tokens).toBeUndefined();

    emu.state.clearPromptCache();
    const u5 = ((await (await chat(emu, { model: "kimi-for-coding", messages: turn1 })).json()) as any).usage;
    expect(u5.cached_tokens).toBeUndefined();
  });
});
