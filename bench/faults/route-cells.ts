// Chat faults on both routes: the OpenAI route (/chat/completions; cells.ts has its first cells, these
// are the rest) and the Anthropic route (protocol "anthropic", /messages, Anthropic's error envelope).
// One turn each through the loader's fetch, as opencode's AI SDK sends it.
import { HTML_ERROR_PAGE, kimiError, messagesError, type KimiErrorId } from "../../emulator/index.ts";
import { judge, type Cell } from "./cells.ts";
import { cellWorld, type CellWorld } from "./world.ts";

export type Route = "chat" | "messages";

export const ROUTE_PATH: Record<Route, string> = { chat: "/coding/v1/chat/completions", messages: "/coding/v1/messages" };
const GROUP: Record<Route, string> = { chat: "chat", messages: "Anthropic route (/messages)" };
const OPENCODE_UA = "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14";

/** One turn as opencode's AI SDK sends it on that route (@ai-sdk/anthropic: an empty x-api-key, which the plugin replaces). */
export async function sendTurn(w: CellWorld, route: Route): Promise<Response> {
  if (route === "chat") return w.chat();
  const f = await w.fetch();
  return f(`${w.emu.apiBase}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "", "user-agent": OPENCODE_UA },
    body: JSON.stringify({ model: "kimi-for-coding", max_tokens: 32000, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
}

/** Kimi's error body in the route's envelope (the emulator's /messages answers Anthropic's). */
function errorBody(route: Route, message: string, type: string): unknown {
  return route === "messages" ? messagesError(message, type) : { error: { message, type } };
}

type Setup = (w: CellWorld, route: Route) => void | string | Promise<void | string>;

/** A cell on a world with a seeded login: `setup` injects the fault, then one turn on the route. */
export function routeCell(route: Route, name: string, setup: Setup, seed: Parameters<CellWorld["seed"]>[0] = {}): Cell {
  return {
    group: GROUP[route],
    name,
    async run() {
      const w = await cellWorld({ fiveHourRequestLimit: 1e6, weeklyRequestLimit: 1e6, monthlyRequestLimit: 1e6 });
      try {
        await w.seed(seed);
        const note = (await setup(w, route)) ?? "";
        let res: Response | { rejected: unknown };
        try {
          res = await sendTurn(w, route);
        } catch (rejected) {
          res = { rejected };
        }
        return await judge(w, res, note, ROUTE_PATH[route]);
      } finally {
        await w.close();
      }
    },
  };
}

const row = (route: Route, id: KimiErrorId, count = 1, headers: Record<string, string> = {}): Setup => (w) => {
  const { status, type, message } = kimiError(id);
  w.emu.state.injectFault({ path: ROUTE_PATH[route], method: "POST", count, status, body: errorBody(route, message, type), headers });
};
const status = (route: Route, code: number, body: unknown, headers: Record<string, string> = {}): Setup => (w) =>
  w.emu.state.injectFault({ path: ROUTE_PATH[route], method: "POST", status: code, body, headers });

/** Every chat cell for one route. */
function cellsFor(route: Route): Record<string, Cell> {
  const path = ROUTE_PATH[route];
  const cell = (name: string, setup: Setup, seed?: Parameters<CellWorld["seed"]>[0]) => routeCell(route, name, setup, seed);
  return {
    "401 twice": cell("401 twice in a row (exactly one retry)", row(route, "auth-invalid", 2)),
    "402": cell("402 membership", (w) => w.emu.state.configure({ membershipExpired: true })),
    "403 gate": cell("403 client gate", (w) =>
      w.emu.state.configure(route === "chat" ? { allowedUserAgentPrefixes: ["KimiCLI/"] } : { messagesAllowedUserAgentPrefixes: ["KimiCLI/"] }),
    ),
    "403 quota": cell("403 weekly quota used up", (w) => w.emu.state.configure({ weeklyRequestLimit: 0 })),
    "429 RA": cell("429 with Retry-After 30", row(route, "too-many-requests", 1, { "retry-after": "30" })),
    "429": cell("429 without Retry-After", row(route, "engine-overloaded")),
    "500": cell("500", status(route, 500, errorBody(route, "internal", "server_error"))),
    "502": cell("502 HTML page", status(route, 502, HTML_ERROR_PAGE)),
    "503": cell("503", status(route, 503, errorBody(route, "Service temporarily unavailable", "service_unavailable"))),
    "504": cell("504 empty body", status(route, 504, "")),
    reset: cell("connection reset before headers", (w) => w.emu.state.injectFault({ path, reset: true })),
    "401 then reset": cell("401, then the retry's connection reset before headers", (w) => {
      row(route, "auth-invalid")(w, route);
      w.emu.state.injectFault({ path, reset: true });
    }),
    drop: cell("connection dropped mid-stream", (w) => w.emu.state.injectFault({ path, dropMidStream: 2 })),
    sleep: cell("laptop sleep: access token expired 3 days ago", () => {}, { lifetimeSec: 1, expiredForSec: 3 * 86_400 }),
  };
}

const pick = (cells: Record<string, Cell>, keys: readonly string[]) => keys.map((k) => cells[k]!);

/** The OpenAI route's cells that cells.ts does not have. */
export const CHAT_MORE_CELLS: Cell[] = pick(cellsFor("chat"), ["403 quota", "502", "503", "504", "reset", "401 then reset"]);
/** The Anthropic route: every chat cell. */
export const ANTHROPIC_CELLS: Cell[] = Object.values(cellsFor("messages"));
