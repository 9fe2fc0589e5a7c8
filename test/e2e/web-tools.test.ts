// The web tools with the real opencode binary: the emulator's model calls kimi_web_search or
// kimi_fetch_url, opencode runs our tool, the emulator receives the search/fetch request with the
// login's token and the identity's headers, and the model's final answer (built by the emulator from
// the tool result opencode sent back) contains the emulator's result. Without a login the tools are
// not offered at all.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { defaultPage, toolRoundTrip, type RecordedRequest, type RunningEmulator } from "../../emulator/index.ts";
import { parseEvents, runChat } from "./harness.ts";
import { cleanupHomes, kimiHome, MODEL, pluginErrors, printed, seedLogin, sessionChats, startKimi } from "./kimi.ts";

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startKimi();
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
});

type Tool = { function?: { name?: string; parameters?: { required?: string[]; properties?: Record<string, unknown> } } };
const toolsOf = (r: RecordedRequest | undefined): Tool[] => ((r?.body as { tools?: Tool[] } | undefined)?.tools ?? []);
const toolNamed = (r: RecordedRequest | undefined, name: string) => toolsOf(r).find((t) => t.function?.name === name);

function finalText(stdout: string): string {
  return parseEvents(stdout)
    .filter((e) => e.type === "text")
    .map((e) => (e.part as { text?: string }).text ?? "")
    .join("\n");
}

function toolEvents(stdout: string): Record<string, unknown>[] {
  return parseEvents(stdout)
    .filter((e) => e.type === "tool_use")
    .map((e) => e.part as Record<string, unknown>);
}

test("kimi_web_search: opencode runs the tool, Kimi gets the search with the login's token, the answer quotes the result", async () => {
  const home = kimiHome(emu);
  const { access } = seedLogin(home, emu);
  emu.state.setReply(toolRoundTrip({ name: "kimi_web_search", arguments: { query: "opencode plugins" }, id: "call_search_1" }));
  const before = emu.state.requestsTo("/coding/v1/search").length;

  const run = await runChat(home, MODEL, "search the web for opencode plugins", { json: true, timeoutMs: 120_000 });
  expect(run.exitCode, printed(run)).toBe(0);
  expect(pluginErrors(run.stderr)).toEqual([]);

  const searches = emu.state.requestsTo("/coding/v1/search").slice(before);
  expect(searches).toHaveLength(1);
  const search = searches[0]!;
  expect(search.status).toBe(200);
  expect(search.headers.authorization).toBe(`Bearer ${access}`);
  // The default identity: the plugin's own User-Agent, no X-Msh-* (not even the tool call id).
  expect(search.headers["user-agent"]).toBe("opencode-kimi-code/0.1.0");
  expect(Object.keys(search.headers).filter((h) => h.startsWith("x-msh-"))).toEqual([]);
  expect(search.body).toEqual({ text_query: "opencode plugins", limit: 5, enable_page_crawling: false, timeout_seconds: 30 });

  // The model saw the tool with only `query` required (the tool.definition hook's schema).
  const sessionId = parseEvents(run.stdout)[0]?.sessionID as string;
  const { main } = sessionChats(emu, sessionId);
  expect(main.length).toBe(2);
  const offered = toolNamed(main[0], "kimi_web_search");
  expect(offered?.function?.parameters?.required).toEqual(["query"]);
  expect(Object.keys(offered?.function?.parameters?.properties ?? {}).sort()).toEqual(["include_content", "limit", "query"]);
  expect(toolNamed(main[0], "kimi_fetch_url")?.function?.parameters?.required).toEqual(["url"]);

  const tools = toolEvents(run.stdout);
  expect(tools.map((t) => t.tool)).toEqual(["kimi_web_search"]);
  expect((tools[0]!.state as { status?: string }).status).toBe("completed");
  const answer = finalText(run.stdout);
  expect(answer).toContain("Tool kimi_web_search answered:");
  expect(answer).toContain("1. Result 1 for opencode plugins");
  expect(answer).toContain("Snippet: Snippet 5 of the Kimi Code emulator about opencode plugins.");
}, 180_000);

test('kimi_fetch_url under identity "kimi-cli": Accept text/markdown, kimi-cli\'s headers and the tool call id; the answer has the page', async () => {
  const home = kimiHome(emu, { options: { identity: "kimi-cli" } });
  const { access } = seedLogin(home, emu);
  emu.state.setReply(toolRoundTrip({ name: "kimi_fetch_url", arguments: { url: "https://docs.example/guide" }, id: "call_fetch_7" }));
  const before = emu.state.requestsTo("/coding/v1/fetch").length;

  const run = await runChat(home, MODEL, "read https://docs.example/guide", { json: true, timeoutMs: 120_000 });
  expect(run.exitCode, printed(run)).toBe(0);

  const fetches = emu.state.requestsTo("/coding/v1/fetch").slice(before);
  expect(fetches).toHaveLength(1);
  const f = fetches[0]!;
  expect(f.headers.authorization).toBe(`Bearer ${access}`);
  expect(f.headers.accept).toBe("text/markdown");
  expect(f.headers["user-agent"]).toBe("KimiCLI/1.49.0");
  expect(f.headers["x-msh-tool-call-id"]).toBe("call_fetch_7");
  expect(f.headers["x-msh-platform"]).toBe("kimi_cli");
  expect(f.headers["x-msh-device-id"]).toMatch(/^[0-9a-f]{32}$/);
  expect(f.body).toEqual({ url: "https://docs.example/guide" });

  const answer = finalText(run.stdout);
  expect(answer).toContain("Tool kimi_fetch_url answered:");
  expect(answer).toContain(defaultPage("https://docs.example/guide").trim());
}, 180_000);

test("a refused search reaches the model as one sentence naming the identity, and opencode carries on", async () => {
  const home = kimiHome(emu);
  seedLogin(home, emu);
  emu.state.configure({ webToolsGated: true });
  emu.state.setReply(toolRoundTrip({ name: "kimi_web_search", arguments: { query: "anything" } }));
  try {
    const run = await runChat(home, MODEL, "search for anything", { json: true, timeoutMs: 120_000 });
    expect(run.exitCode, printed(run)).toBe(0);
    const answer = finalText(run.stdout);
    expect(answer).toContain("Kimi web search failed: Kimi refused this client (HTTP 403");
    expect(answer).toContain("The request went out as opencode's own User-Agent (identity \"opencode\")");
    expect((toolEvents(run.stdout)[0]?.state as { status?: string } | undefined)?.status).toBe("completed");
  } finally {
    emu.state.configure({ webToolsGated: false });
  }
}, 180_000);

test("no Kimi Code login at start: the tools are not offered", async () => {
  // A custom provider on the same emulator with an API key, so opencode can chat without our login.
  const home = kimiHome(emu, {
    provider: {
      "emu-openai": {
        npm: "@ai-sdk/openai-compatible",
        name: "Emulator via API key",
        options: { baseURL: emu.apiBase, apiKey: "sk-kimi-e2e-no-login" },
        models: { "kimi-for-coding": { name: "kimi-for-coding", tool_call: true } },
      },
    },
  });
  emu.state.configure({ apiKeys: ["sk-kimi-e2e-no-login"] });
  emu.state.setReply(null);
  const before = emu.state.requestsTo("/coding/v1/chat/completions").length;
  const run = await runChat(home, "emu-openai/kimi-for-coding", "hello", { json: true, timeoutMs: 120_000 });
  expect(run.exitCode, printed(run)).toBe(0);
  const chats = emu.state.requestsTo("/coding/v1/chat/completions").slice(before);
  const withTools = chats.filter((r) => toolsOf(r).length > 0);
  expect(withTools.length).toBeGreaterThan(0);
  for (const r of withTools) {
    const names = toolsOf(r).map((t) => t.function?.name);
    expect(names).not.toContain("kimi_web_search");
    expect(names).not.toContain("kimi_fetch_url");
  }
}, 180_000);
