import { describe, expect, test } from "bun:test";
import {
  DEFAULT_REPLY_TEXT,
  GATE_MESSAGE,
  MAX_SEARCH_LIMIT,
  defaultPage,
  toolRoundTrip,
  type RunningEmulator,
} from "../../emulator/index.ts";
import { chat, HELLO, useEmulator } from "./helpers.ts";

function post(
  emu: RunningEmulator,
  path: "search" | "fetch",
  body: unknown,
  opts: { bearer?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const bearer = opts.bearer === undefined ? emu.state.mintTokens().access_token : opts.bearer;
  return fetch(`${emu.apiBase}/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...opts.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const searchBody = (q: string, extra: Record<string, unknown> = {}) => ({ text_query: q, limit: 3, enable_page_crawling: false, timeout_seconds: 30, ...extra });

describe("POST /search", () => {
  const box = useEmulator();

  test("deterministic results in Kimi's shape, `limit` of them, page content only when crawling", async () => {
    const { emu } = box;
    const r = await post(emu, "search", searchBody("bun test runner"));
    expect(r.status).toBe(200);
    expect(r.headers.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/);
    const json = (await r.json()) as { search_results: Record<string, string>[] };
    expect(json.search_results).toHaveLength(3);
    expect(Object.keys(json.search_results[0]!).sort()).toEqual(["content", "date", "icon", "mime", "site_name", "snippet", "title", "url"]);
    expect(json.search_results[0]!.title).toBe("Result 1 for bun test runner");
    expect(json.search_results[0]!.content).toBe("");
    const again = (await (await post(emu, "search", searchBody("bun test runner"))).json()) as typeof json;
    expect(again).toEqual(json);
    const crawled = (await (await post(emu, "search", searchBody("bun test runner", { enable_page_crawling: true }))).json()) as typeof json;
    expect(crawled.search_results[1]!.content).toContain("bun test runner");
  });

  test("limit: default 5 when absent, capped at 20", async () => {
    const { emu } = box;
    const none = (await (await post(emu, "search", { text_query: "x" })).json()) as { search_results: unknown[] };
    expect(none.search_results).toHaveLength(5);
    const many = (await (await post(emu, "search", searchBody("x", { limit: 500 }))).json()) as { search_results: unknown[] };
    expect(many.search_results).toHaveLength(MAX_SEARCH_LIMIT);
  });

  test("scripted results (list or function) replace the defaults; null restores them", async () => {
    const { emu } = box;
    const hit = { site_name: "S", title: "T", url: "https://s.example/", snippet: "sn", content: "", date: "", icon: "", mime: "" };
    emu.state.web.setSearchResults((q) => [{ ...hit, title: `T:${q.query}:${q.limit}:${q.crawl}` }]);
    const r = (await (await post(emu, "search", searchBody("q1"))).json()) as { search_results: { title: string }[] };
    expect(r.search_results.map((x) => x.title)).toEqual(["T:q1:3:false"]);
    emu.state.web.setSearchResults(null);
    const d = (await (await post(emu, "search", searchBody("q1"))).json()) as { search_results: { title: string }[] };
    expect(d.search_results[0]!.title).toBe("Result 1 for q1");
  });

  test("bad bodies answer 400 invalid_request_error", async () => {
    const { emu } = box;
    for (const body of ["not json", { limit: 3 }, { text_query: "   " }, [1]]) {
      const r = await post(emu, "search", body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).error.type).toBe("invalid_request_error");
    }
  });
});

describe("POST /fetch", () => {
  const box = useEmulator();

  test("answers the page as markdown text, not JSON", async () => {
    const { emu } = box;
    const r = await post(emu, "fetch", { url: "https://docs.example/a" }, { headers: { accept: "text/markdown" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await r.text()).toBe(defaultPage("https://docs.example/a"));
    expect(emu.state.requestsTo("/coding/v1/fetch")[0]!.headers.accept).toBe("text/markdown");
  });

  test("a scripted page (status, body, type); a missing url is 400", async () => {
    const { emu } = box;
    emu.state.web.setFetchPage((url) => (url.endsWith("/gone") ? { status: 404, body: "not found" } : undefined));
    const gone = await post(emu, "fetch", { url: "https://docs.example/gone" });
    expect(gone.status).toBe(404);
    expect(await gone.text()).toBe("not found");
    const other = await post(emu, "fetch", { url: "https://docs.example/ok" });
    expect(await other.text()).toBe(defaultPage("https://docs.example/ok"));
    expect((await post(emu, "fetch", {})).status).toBe(400);
  });
});

describe("checks shared with chat", () => {
  const box = useEmulator({ fiveHourRequestLimit: 1 });

  test("401 without, with an unknown or an expired bearer", async () => {
    const { emu } = box;
    for (const path of ["search", "fetch"] as const) {
      const body = path === "search" ? searchBody("x") : { url: "https://a.example" };
      expect((await post(emu, path, body, { bearer: null })).status).toBe(401);
      expect((await post(emu, path, body, { bearer: "nope" })).status).toBe(401);
      const expired = emu.state.mintTokens({ lifetimeSec: 0 }).access_token;
      const r = await post(emu, path, body, { bearer: expired });
      expect(r.status).toBe(401);
      expect(((await r.json()) as any).error.message).toContain("expired");
    }
  });

  test("the client gate is off by default, and when on refuses like chat", async () => {
    const { emu } = box;
    expect((await post(emu, "search", searchBody("x"), { headers: { "user-agent": "Bun/1.3" } })).status).toBe(200);
    emu.state.configure({ webToolsGated: true });
    const refused = await post(emu, "fetch", { url: "https://a.example" }, { headers: { "user-agent": "opencode-kimi-code/0.1.0" } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { message: GATE_MESSAGE, type: "access_terminated_error" } });
    expect((await post(emu, "search", searchBody("x"), { headers: { "user-agent": "KimiCLI/1.49.0", "x-msh-platform": "kimi_cli" } })).status).toBe(200);
  });

  test("402 on an expired membership", async () => {
    const { emu } = box;
    emu.state.configure({ membershipExpired: true });
    expect((await post(emu, "search", searchBody("x"))).status).toBe(402);
  });

  test("429 as chat's once the plan's window is spent; web calls do not spend it", async () => {
    const { emu } = box;
    emu.state.configure({ quotaErrors: "retry-after" });
    for (let i = 0; i < 3; i++) expect((await post(emu, "search", searchBody("x"))).status).toBe(200);
    expect(emu.state.usage().fiveHour.used).toBe(0);
    expect((await chat(emu, HELLO)).status).toBe(200);
    const r = await post(emu, "search", searchBody("x"));
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await r.json()) as any).error.type).toBe("rate_limit_reached_error");
  });

  test("slow and failing modes through fault injection", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/search", delayMs: 50 });
    const slow = await post(emu, "search", searchBody("x"));
    expect(slow.status).toBe(200);
    expect(emu.state.requestsTo("/coding/v1/search")[0]!.fault).toBe(true);
    emu.state.injectHtmlError("/coding/v1/fetch");
    const failing = await post(emu, "fetch", { url: "https://a.example" });
    expect(failing.status).toBe(502);
    expect(await failing.text()).toContain("<html>");
  });
});

describe("toolRoundTrip: a scripted tool call and an answer from its result", () => {
  const box = useEmulator();
  const TOOLS = [{ type: "function", function: { name: "kimi_web_search", parameters: { type: "object" } } }];

  test("calls the tool when offered, then answers with the tool's output", async () => {
    const { emu } = box;
    emu.state.setReply(toolRoundTrip({ name: "kimi_web_search", arguments: { query: "bun" }, id: "call_fixed" }));
    const first = (await (await chat(emu, { ...HELLO, tools: TOOLS })).json()) as any;
    expect(first.choices[0].message.tool_calls[0]).toMatchObject({ id: "call_fixed", function: { name: "kimi_web_search", arguments: '{"query":"bun"}' } });
    const messages = [
      ...HELLO.messages,
      { role: "assistant", content: null, tool_calls: first.choices[0].message.tool_calls },
      { role: "tool", tool_call_id: "call_fixed", content: [{ type: "text", text: "Title: Bun" }] },
    ];
    const second = (await (await chat(emu, { ...HELLO, messages, tools: TOOLS })).json()) as any;
    expect(second.choices[0].message.content).toBe("Tool kimi_web_search answered:\nTitle: Bun");
    expect(second.choices[0].finish_reason).toBe("stop");
  });

  test("requests that do not offer the tool get the default reply", async () => {
    const { emu } = box;
    emu.state.setReply(toolRoundTrip({ name: "kimi_web_search", arguments: { query: "bun" } }));
    const r = (await (await chat(emu, HELLO)).json()) as any;
    expect(r.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
  });
});
