// The web tools through the plugin's real hooks against the emulator, over loopback HTTP: when they
// are registered, the token handling they share with chat, every failure class and the output bounds.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { GATE_MESSAGE, startEmulator, type RunningEmulator, type SearchResult } from "../../emulator/index.ts";
import { OUTPUT_MAX_BYTES, OUTPUT_MAX_LINES, utf8Bytes } from "../../src/core/web/output.ts";
import { pluginWorld, seedLogin, type PluginWorld } from "../helpers/plugin-env.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ["sk-kimi-web-key"] });
});
afterAll(() => emu.stop());
beforeEach(() => {
  emu.state.clearFaults();
  emu.state.web.setSearchResults(null);
  emu.state.web.setFetchPage(null);
  emu.state.resetQuota();
  emu.state.configure({ webToolsGated: false, membershipExpired: false, fiveHourRequestLimit: 300, weeklyRequestLimit: 2000 });
});

const SEARCH = "/coding/v1/search";
const FETCH = "/coding/v1/fetch";

type ToolResult = { title: string; output: string; metadata: { ok: boolean } };
type Exec = (args: Record<string, unknown>, ctx: Record<string, unknown>) => Promise<ToolResult>;

/** A plugin started with a login already stored (the tools are registered at start). */
async function loggedInWorld(options: Record<string, unknown> = {}, lifetimeSec?: number): Promise<{ world: PluginWorld; entry: Record<string, unknown> }> {
  const first = await pluginWorld(emu, options);
  const entry = await seedLogin(first, emu, lifetimeSec);
  const world = await pluginWorld(emu, options, { home: first.home });
  return { world, entry };
}

function tool(world: PluginWorld, name: "kimi_web_search" | "kimi_fetch_url"): Exec {
  const t = world.hooks.tool?.[name];
  if (!t) throw new Error(`${name} is not registered`);
  return (args, ctx) => (t.execute as unknown as Exec)(args, { sessionID: "s", messageID: "m", agent: "build", callID: "call_1", ...ctx });
}

const search = (world: PluginWorld, args: Record<string, unknown>, ctx: Record<string, unknown> = {}) => tool(world, "kimi_web_search")(args, ctx);
const fetchUrl = (world: PluginWorld, args: Record<string, unknown>, ctx: Record<string, unknown> = {}) => tool(world, "kimi_fetch_url")(args, ctx);
const newRequests = (path: string, before: number) => emu.state.requestsTo(path).slice(before);

describe("registration", () => {
  test("no login stored at start: no tools; a login stored: both, with the full argument schema", async () => {
    const bare = await pluginWorld(emu);
    expect(bare.hooks.tool).toBeUndefined();
    const { world } = await loggedInWorld();
    expect(Object.keys(world.hooks.tool ?? {}).sort()).toEqual(["kimi_fetch_url", "kimi_web_search"]);
    const out: Record<string, unknown> = { description: "d", parameters: {} };
    await world.hooks["tool.definition"]!({ toolID: "kimi_web_search" }, out as never);
    expect(out.jsonSchema).toMatchObject({ type: "object", required: ["query"] });
    const other: Record<string, unknown> = { description: "d", parameters: {} };
    await world.hooks["tool.definition"]!({ toolID: "bash" }, other as never);
    expect(other.jsonSchema).toBeUndefined();
  });

  test("webTools: false and KIMI_CODE_WEB_TOOLS=off turn them off", async () => {
    const { world } = await loggedInWorld({ webTools: false });
    expect(world.hooks.tool).toBeUndefined();
    const first = await pluginWorld(emu);
    await seedLogin(first, emu);
    const { createHooks } = await import("../../src/server/hooks.ts");
    const hooks = await createHooks(first.store.input, {}, { env: { ...first.env, KIMI_CODE_WEB_TOOLS: "off" } });
    expect(hooks.tool).toBeUndefined();
    const on = await createHooks(first.store.input, { webTools: false }, { env: { ...first.env, KIMI_CODE_WEB_TOOLS: "1" } });
    expect(Object.keys(on.tool ?? {})).toHaveLength(2);
  });
});

describe("token handling shared with chat", () => {
  test("search sends the stored token to the login's own base and formats the hits", async () => {
    const { world, entry } = await loggedInWorld();
    const before = emu.state.requestsTo(SEARCH).length;
    const r = await search(world, { query: "bun sqlite", limit: 2, include_content: true });
    expect(r.metadata.ok).toBe(true);
    expect(r.title).toBe("Web search: bun sqlite");
    expect(r.output).toContain('Kimi web search: 2 results for "bun sqlite"');
    expect(r.output).toContain("Page 2 about bun sqlite");
    const [req] = newRequests(SEARCH, before);
    expect(req!.headers.authorization).toBe(`Bearer ${entry.access}`);
    expect(req!.body).toEqual({ text_query: "bun sqlite", limit: 2, enable_page_crawling: true, timeout_seconds: 30 });
  });

  test("a token due for refresh is refreshed first; the new one is stored and sent", async () => {
    const { world, entry } = await loggedInWorld({}, 2);
    await Bun.sleep(1100); // past half of the 2 s lifetime: due
    const refreshes = emu.state.refreshCount;
    const before = emu.state.requestsTo(FETCH).length;
    const r = await fetchUrl(world, { url: "https://docs.example/x" });
    expect(r.metadata.ok).toBe(true);
    expect(emu.state.refreshCount).toBe(refreshes + 1);
    const stored = (await world.store.getAuth()) as Record<string, unknown>;
    expect(stored.access).not.toBe(entry.access);
    expect(newRequests(FETCH, before)[0]!.headers.authorization).toBe(`Bearer ${stored.access}`);
  });

  test("a 401 gets one forced refresh and one retry", async () => {
    const { world, entry } = await loggedInWorld();
    emu.state.revokeAccessToken(entry.access as string);
    const before = emu.state.requestsTo(SEARCH).length;
    const r = await search(world, { query: "q" });
    expect(r.metadata.ok).toBe(true);
    expect(newRequests(SEARCH, before).map((q) => q.status)).toEqual([401, 200]);
  });

  test("a 401 that persists after the retry: two requests, then a log-in-again sentence", async () => {
    const { world } = await loggedInWorld();
    emu.state.injectFault({ path: SEARCH, status: 401, body: { error: { message: "Invalid Authentication", type: "invalid_authentication_error" } }, count: 2 });
    const before = emu.state.requestsTo(SEARCH).length;
    const r = await search(world, { query: "q" });
    expect(r.metadata.ok).toBe(false);
    expect(r.output).toContain("even after a token refresh (HTTP 401)");
    expect(r.output).toContain("opencode auth login");
    expect(newRequests(SEARCH, before)).toHaveLength(2);
  });

  test("the token goes only to the login's own base, not to the configured one", async () => {
    let strayRequests = 0;
    const stray = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (strayRequests++, new Response("no")) });
    try {
      // The login belongs to the emulator; opencode is configured for another base.
      const first = await pluginWorld(emu);
      await seedLogin(first, emu);
      const { createHooks } = await import("../../src/server/hooks.ts");
      const hooks = await createHooks(first.store.input, {}, { env: { ...first.env, KIMI_CODE_BASE_URL: `http://127.0.0.1:${stray.port}/coding/v1` } });
      const before = emu.state.requestsTo(SEARCH).length;
      const r = await (hooks.tool!.kimi_web_search!.execute as unknown as Exec)({ query: "q" }, { callID: "c" });
      expect(r.metadata.ok).toBe(true);
      expect(newRequests(SEARCH, before)).toHaveLength(1);
      expect(strayRequests).toBe(0);
    } finally {
      stray.stop(true);
    }
  });

  test("an API key login works too", async () => {
    const first = await pluginWorld(emu);
    await first.store.set("kimi-for-coding-oauth", { type: "api", key: "sk-kimi-web-key", metadata: { baseURL: emu.apiBase } });
    const world = await pluginWorld(emu, {}, { home: first.home });
    const before = emu.state.requestsTo(SEARCH).length;
    expect((await search(world, { query: "q" })).metadata.ok).toBe(true);
    expect(newRequests(SEARCH, before)[0]!.headers.authorization).toBe("Bearer sk-kimi-web-key");
  });
});

describe("failures become short sentences", () => {
  test("not logged in any more (login removed after start)", async () => {
    const { world } = await loggedInWorld();
    await writeFile(world.store.file, "{}");
    const r = await search(world, { query: "q" });
    expect(r.metadata.ok).toBe(false);
    expect(r.output).toStartWith("Kimi web search failed:");
    expect(r.output).toContain("opencode auth login");
  });

  test("403 client gate names the identity; a quota 403 does not give identity advice", async () => {
    const { world } = await loggedInWorld();
    emu.state.configure({ webToolsGated: true });
    const gate = await search(world, { query: "q" });
    expect(gate.output).toContain("HTTP 403");
    expect(gate.output).toContain(GATE_MESSAGE);
    expect(gate.output).toContain("opencode's own User-Agent");
    expect(gate.output).toContain('identity "opencode"');
    emu.state.configure({ webToolsGated: false });
    emu.state.injectFault({ path: FETCH, status: 403, body: { error: { message: "You have exceeded your quota for this week.", type: "access_terminated_error" } } });
    const quota = await fetchUrl(world, { url: "https://a.example/" });
    expect(quota.output).toContain("quota is used up");
    expect(quota.output).not.toContain("identity");
  });

  test("a used-up weekly quota (Kimi's 403) names the window and its reset from /usages, as chat does", async () => {
    const { world } = await loggedInWorld();
    emu.state.configure({ weeklyRequestLimit: 1 });
    const chat = await fetch(`${emu.apiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-kimi-web-key", "user-agent": "opencode/1", "content-type": "application/json" },
      body: JSON.stringify({ model: "kimi-for-coding", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200); // the week's one request
    const usagesBefore = emu.state.requestsTo("/coding/v1/usages").length;
    for (const r of [await search(world, { query: "q" }), await fetchUrl(world, { url: "https://a.example/" })]) {
      expect(r.metadata.ok).toBe(false);
      expect(r.output).toMatch(/^Kimi (web search|URL fetch) failed: /);
      expect(r.output).toContain("weekly (7-day) usage limit is used up");
      expect(r.output).toMatch(/It resets .*\(in (6|7) d/); // local time and how long
      expect(r.output).toContain("buy extra usage or upgrade");
      expect(r.output).not.toContain("identity");
    }
    expect(emu.state.requestsTo("/coding/v1/usages").length - usagesBefore).toBe(2);

    emu.state.injectFault({ path: "/coding/v1/usages", status: 500, body: { error: { message: "boom" } }, count: 2 });
    const unknown = await search(world, { query: "q" });
    expect(unknown.output).toContain("weekly (7-day) usage limit is used up");
    expect(unknown.output).toContain("could not be read");
  });

  test("402 membership, 429 with the reset, 5xx, malformed answer", async () => {
    const { world } = await loggedInWorld();
    emu.state.configure({ membershipExpired: true });
    expect((await search(world, { query: "q" })).output).toContain("membership has expired (HTTP 402");
    emu.state.configure({ membershipExpired: false, fiveHourRequestLimit: 1 });
    const chat = await fetch(`${emu.apiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-kimi-web-key", "user-agent": "opencode/1", "content-type": "application/json" },
      body: JSON.stringify({ model: "kimi-for-coding", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
    const limited = await search(world, { query: "q" });
    expect(limited.output).toContain("rate limit is reached (HTTP 429");
    expect(limited.output).toContain("resets");
    emu.state.resetQuota();
    emu.state.injectHtmlError(SEARCH, { status: 502 });
    expect((await search(world, { query: "q" })).output).toContain("Kimi's service had an error (HTTP 502)");
    emu.state.injectMalformedJson(SEARCH);
    expect((await search(world, { query: "q" })).output).toContain("answer was not usable");
  });

  test("a page Kimi cannot fetch", async () => {
    const { world } = await loggedInWorld();
    emu.state.web.setFetchPage({ status: 404, body: '{"error":{"message":"page not found","type":"not_found"}}', contentType: "application/json" });
    const r = await fetchUrl(world, { url: "https://a.example/missing" });
    expect(r.metadata.ok).toBe(false);
    expect(r.output).toBe('Kimi URL fetch failed: Kimi answered HTTP 404: "page not found".');
  });

  test("the tool call's abort signal cancels a slow request", async () => {
    const { world } = await loggedInWorld();
    emu.state.injectFault({ path: SEARCH, delayMs: 10_000 });
    const abort = new AbortController();
    const pending = search(world, { query: "slow" }, { abort: abort.signal });
    for (let i = 0; i < 500 && emu.state.requestsTo(SEARCH).filter((r) => r.fault).length === 0; i++) await Bun.sleep(10);
    abort.abort();
    const r = await pending;
    expect(r.output).toBe("Kimi web search was cancelled.");
  });

  test("bad arguments are explained and nothing is sent", async () => {
    const { world } = await loggedInWorld();
    const before = emu.state.requests.length;
    expect((await search(world, { query: "  " })).output).toContain('needs a non-empty "query"');
    expect((await search(world, { query: "q", limit: 50 })).output).toContain('"limit" must be a whole number from 1 to 20; got 50');
    expect((await search(world, { query: "q", include_content: "yes" })).output).toContain('"include_content" must be true or false');
    expect((await fetchUrl(world, { url: "file:///etc/passwd" })).output).toContain("Only http(s) URLs can be fetched; got file");
    expect((await fetchUrl(world, { url: "not a url" })).output).toContain("is not a URL");
    expect(emu.state.requests.length).toBe(before);
  });
});

describe("output bounds", () => {
  test("a huge result list and a huge page stay within the bounds, truncation marked", async () => {
    const { world } = await loggedInWorld();
    const long = "word ".repeat(40_000);
    emu.state.web.setSearchResults((q) =>
      Array.from({ length: q.limit }, (_, i): SearchResult => ({
        site_name: "S",
        title: `T${i}`,
        url: `https://s.example/${i}`,
        snippet: long,
        content: long,
        date: "",
        icon: "",
        mime: "",
      })),
    );
    const r = await search(world, { query: "big", limit: 20, include_content: true });
    expect(utf8Bytes(r.output)).toBeLessThanOrEqual(OUTPUT_MAX_BYTES);
    expect(r.output.split("\n").length).toBeLessThanOrEqual(OUTPUT_MAX_LINES);
    expect(r.output).toContain("[Truncated:");
    expect(r.output).toContain("1. T0");

    emu.state.web.setFetchPage({ body: "é line\n".repeat(50_000) });
    const page = await fetchUrl(world, { url: "https://a.example/big" });
    expect(utf8Bytes(page.output)).toBeLessThanOrEqual(OUTPUT_MAX_BYTES);
    expect(page.output.split("\n").length).toBeLessThanOrEqual(OUTPUT_MAX_LINES);
    expect(page.output).toMatch(/\[Truncated: the page is \d+ KiB; only the first 32 KiB \(at most 1000 lines\) are shown\.\]$/);

    // A page larger than the plugin reads (1 MiB) is cut while reading, and says so.
    emu.state.web.setFetchPage({ body: "a".repeat(1_500_000) });
    const huge = await fetchUrl(world, { url: "https://a.example/huge" });
    expect(utf8Bytes(huge.output)).toBeLessThanOrEqual(OUTPUT_MAX_BYTES);
    expect(huge.output).toEndWith("[Truncated: the page is more than 1024 KiB; only the first 32 KiB (at most 1000 lines) are shown.]");
  });
});
