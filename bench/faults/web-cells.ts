// The web tools' faults: kimi_web_search (/search) and kimi_fetch_url (/fetch) through the plugin's
// `tool` hook, as opencode runs them. A tool never throws and opencode never retries it: every
// failure must be one sentence for the model (and the user) saying what happened and what to do.
import { FETCH_PATH, HTML_ERROR_PAGE, kimiError, SEARCH_PATH, type KimiErrorId } from "../../emulator/index.ts";
import { createHooks } from "../../src/server/hooks.ts";
import type { Cell, CellOutcome } from "./cells.ts";
import { cellWorld, type CellWorld } from "./world.ts";

type Service = "search" | "fetch";
const PATH: Record<Service, string> = { search: SEARCH_PATH, fetch: FETCH_PATH };
const TOOL: Record<Service, string> = { search: "kimi_web_search", fetch: "kimi_fetch_url" };
const ARGS: Record<Service, Record<string, unknown>> = { search: { query: "bun release notes" }, fetch: { url: "https://example.com/page" } };
const TOKEN = "/api/oauth/token";

type ToolResult = { output: string; metadata: { ok: boolean } };
type Execute = (args: Record<string, unknown>, ctx: Record<string, unknown>) => Promise<ToolResult>;

/** Runs the tool once on a fresh world whose login is stored before the plugin starts (the tools exist only then). */
function webCell(service: Service, name: string, setup: (w: CellWorld) => void, seed: Parameters<CellWorld["seed"]>[0] = {}): Cell {
  return {
    group: `web tool ${TOOL[service]}`,
    name,
    async run() {
      const w = await cellWorld({ fiveHourRequestLimit: 1e6, weeklyRequestLimit: 1e6, monthlyRequestLimit: 1e6 });
      try {
        await w.seed(seed);
        const hooks = await createHooks(w.store.input, {}, { env: w.env });
        const tool = hooks.tool?.[TOOL[service]];
        if (!tool) throw new Error(`${TOOL[service]} is not registered`);
        setup(w);
        let result: ToolResult;
        try {
          const ctx = { sessionID: "s", messageID: "m", agent: "build", callID: "call_1", abort: new AbortController().signal };
          result = await (tool.execute as unknown as Execute)(ARGS[service], ctx);
        } catch (error) {
          result = { output: `THREW: ${(error as Error).message}`, metadata: { ok: false } };
        }
        return await webOutcome(w, service, result);
      } finally {
        await w.close();
      }
    },
  };
}

async function webOutcome(w: CellWorld, service: Service, result: ToolResult): Promise<CellOutcome> {
  const refresh = await w.storedRefresh();
  const loginKept = refresh !== undefined && w.emu.state.tokens.checkRefresh(refresh) === "ok";
  const calls = w.emu.state.requestsTo(PATH[service]).length;
  const grants = w.emu.state.requestsTo(TOKEN).filter((r) => (r.body as Record<string, unknown> | undefined)?.grant_type === "refresh_token").length;
  const text = result.output.replace(/\s+/g, " ");
  return {
    shown: result.metadata.ok ? `ok (${result.output.length.toLocaleString("en")} characters: ${text.slice(0, 60)}…)` : text.slice(0, 220),
    opencode: result.metadata.ok ? "ok" : "shown at once",
    loginKept,
    note: `${calls} ${service} request${calls === 1 ? "" : "s"}, ${grants} refresh grant${grants === 1 ? "" : "s"} sent; tool result ok=${result.metadata.ok}`,
  };
}

function cellsFor(service: Service): Cell[] {
  const path = PATH[service];
  const cell = (name: string, setup: (w: CellWorld) => void, seed?: Parameters<CellWorld["seed"]>[0]) => webCell(service, name, setup, seed);
  const row = (id: KimiErrorId, count = 1, headers: Record<string, string> = {}) => (w: CellWorld) => {
    const { status, type, message } = kimiError(id);
    w.emu.state.injectFault({ path, count, status, body: { error: { message, type } }, headers });
  };
  const cells = [
    cell("401 twice in a row (exactly one retry)", row("auth-invalid", 2)),
    cell("402 membership", (w) => w.emu.state.configure({ membershipExpired: true })),
    cell("403 client gate", (w) => w.emu.state.configure({ webToolsGated: true, allowedUserAgentPrefixes: ["KimiCLI/"] })),
    cell("403 weekly quota used up", row("quota-weekly")),
    cell("429 5-hour quota used up", (w) => w.emu.state.configure({ fiveHourRequestLimit: 0 })),
    cell("429 too many requests, Retry-After 30", row("too-many-requests", 1, { "retry-after": "30" })),
    cell("500", (w) => w.emu.state.injectFault({ path, status: 500, body: { error: { message: "internal", type: "server_error" } } })),
    cell("502 HTML page", (w) => w.emu.state.injectHtmlError(path)),
    cell("connection reset before headers", (w) => w.emu.state.injectFault({ path, reset: true })),
    cell("laptop sleep: access token expired 3 days ago", () => {}, { lifetimeSec: 1, expiredForSec: 3 * 86_400 }),
  ];
  if (service === "search") {
    cells.push(
      cell("200 with invalid JSON", (w) => w.emu.state.injectMalformedJson(path)),
      cell("200 with an HTML page", (w) => w.emu.state.injectFault({ path, status: 200, body: HTML_ERROR_PAGE })),
      cell("200 with a 9 MB body", (w) =>
        w.emu.state.injectFault({ path, status: 200, body: { search_results: [{ title: "big", url: "https://x.example/", snippet: "x".repeat(9_000_000) }] } }),
      ),
      cell("200 with 1 MB strings in a result", (w) =>
        w.emu.state.web.setSearchResults([{ site_name: "x", title: "t".repeat(1_000_000), url: "https://x.example/", snippet: "s".repeat(1_000_000), content: "", date: "", icon: "", mime: "text/html" }]),
      ),
    );
  } else {
    cells.push(
      cell("200 with a 5 MB page", (w) => w.emu.state.web.setFetchPage({ body: "word ".repeat(1_000_000), contentType: "text/markdown" })),
      cell("200 with an empty page", (w) => w.emu.state.web.setFetchPage({ body: "", contentType: "text/markdown" })),
    );
  }
  return cells;
}

export const WEB_CELLS: Cell[] = [...cellsFor("search"), ...cellsFor("fetch")];
