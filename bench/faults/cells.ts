// The fault matrix: every cell injects one failure into the emulator and drives the plugin through it.
// Each run returns what the user would see and whether the stored login survived.
import { triggersOpencodeRetry } from "../../src/core/support/errors.ts";
import { cellWorld, shown, type CellWorld } from "./world.ts";

export interface CellOutcome {
  shown: string;
  /** What opencode does with it: retries silently, or shows it at once. */
  opencode: "shown at once" | "retried by opencode" | "stream error shown" | "ok";
  /** The stored refresh token still works (or was replaced by a working one). */
  loginKept: boolean;
  /** What else the cell observed (requests sent, models registered). */
  note: string;
}

export interface Cell {
  group: string;
  name: string;
  run(): Promise<CellOutcome>;
}

const TOKEN = "/api/oauth/token";
const MODELS = "/coding/v1/models";
const USAGES = "/coding/v1/usages";
const CHAT = "/coding/v1/chat/completions";

/**
 * The outcome of one turn: a response, or what the plugin's fetch rejected with (a network error, which
 * opencode's AI SDK turns into a retryable "Cannot connect to API" error). `path` is the route counted.
 */
export async function judge(w: CellWorld, res: Response | { rejected: unknown }, note = "", path = CHAT): Promise<CellOutcome> {
  const rejected = "rejected" in res;
  const status = rejected ? 0 : res.status;
  const text = rejected ? `fetch rejected: ${String((res.rejected as Error)?.message ?? res.rejected).slice(0, 160)}` : await shown(res);
  const failed = rejected || !res.ok || !text.startsWith("ok");
  const streamBroke = !rejected && res.ok && text.includes("the stream broke");
  const retried = failed && !streamBroke && (status === 408 || status === 409 || status === 429 || status >= 500 || triggersOpencodeRetry(text));
  const refresh = await w.storedRefresh();
  const loginKept = refresh !== undefined && w.emu.state.tokens.checkRefresh(refresh) === "ok";
  const chats = w.emu.state.requestsTo(path).length;
  const grants = w.emu.state.requestsTo(TOKEN).filter((r) => (r.body as Record<string, unknown> | undefined)?.grant_type === "refresh_token").length;
  const seen = `${chats} chat request${chats === 1 ? "" : "s"}, ${grants} refresh grant${grants === 1 ? "" : "s"} sent`;
  const opencode = !failed ? "ok" : streamBroke ? "stream error shown" : retried ? "retried by opencode" : "shown at once";
  return { shown: text, opencode, loginKept, note: note ? `${note}; ${seen}` : seen };
}

/** A cell on a world with a seeded login: `setup` injects the fault, then one chat turn is sent. */
export function chatCell(group: string, name: string, setup: (w: CellWorld) => void | string | Promise<void | string>, seed: Parameters<CellWorld["seed"]>[0] = {}): Cell {
  return {
    group,
    name,
    async run() {
      const w = await cellWorld({ fiveHourRequestLimit: 1e6, weeklyRequestLimit: 1e6, monthlyRequestLimit: 1e6 });
      try {
        await w.seed(seed);
        const note = (await setup(w)) ?? "";
        return await judge(w, await w.chat(), note);
      } finally {
        await w.close();
      }
    },
  };
}

const dueLogin = { lifetimeSec: 1, expiredForSec: 5 };
const tokenFault = (name: string, status: number, body: unknown, headers?: Record<string, string>) =>
  chatCell("token endpoint (refresh due)", name, (w) => w.emu.state.injectFault({ path: TOKEN, status, body, count: 10, ...(headers ? { headers } : {}) }), dueLogin);
/** A 200 from the token endpoint: a real pair minted by the emulator (so it works), shaped by `shape`. */
const tokenAnswer = (name: string, shape: (t: { access_token: string; refresh_token: string }) => Record<string, unknown>) =>
  chatCell("token endpoint (refresh due)", name, (w) => {
    const t = w.emu.state.mintTokens();
    w.emu.state.injectFault({ path: TOKEN, status: 200, body: shape(t), count: 10, headers: { "content-type": "application/json" } });
  }, dueLogin);
/** Discovery meets the fault (the loader starts it on a cold cache); then the config hook registers what it has. */
const modelsFault = (name: string, body: unknown, status = 200) =>
  chatCell("/models (discovery)", name, async (w) => {
    w.emu.state.injectFault({ path: MODELS, status, body, count: 5, headers: { "content-type": "application/json" } });
    await w.fetch();
    for (let i = 0; i < 50 && !w.emu.state.requestsTo(MODELS).some((r) => r.status !== undefined); i++) await Bun.sleep(20);
    await Bun.sleep(200);
    const config: { provider?: Record<string, { models?: Record<string, unknown> }> } = {};
    await w.hooks.config?.(config as never);
    const ids = Object.keys(config.provider?.["kimi-for-coding-oauth"]?.models ?? {});
    return `${ids.length} model${ids.length === 1 ? "" : "s"} registered (${ids.slice(0, 3).join(", ")}${ids.length > 3 ? ", …" : ""})`;
  });
const longText = "x".repeat(1_000_000);

export const CELLS: Cell[] = [
  tokenFault("500", 500, { error: "server_error" }),
  tokenFault("HTML page", 502, "<html><body>Bad gateway</body></html>", { "content-type": "text/html" }),
  tokenFault("invalid JSON", 200, "{not json", { "content-type": "application/json" }),
  tokenAnswer("200 without access_token", (t) => ({ refresh_token: t.refresh_token, token_type: "Bearer", expires_in: 900 })),
  tokenAnswer("expires_in 0", (t) => ({ ...t, token_type: "Bearer", expires_in: 0 })),
  tokenAnswer("expires_in negative", (t) => ({ ...t, token_type: "Bearer", expires_in: -60 })),
  tokenAnswer("expires_in 1e306", (t) => ({ ...t, token_type: "Bearer", expires_in: 1e306 })),
  tokenFault("400 invalid_client", 400, { error: "invalid_client", error_description: "unknown client" }),
  chatCell("token endpoint (refresh due)", "laptop sleep: access token expired 3 days ago", () => {}, { lifetimeSec: 60, expiredForSec: 3 * 86_400 }),
  modelsFault("500", { error: { message: "boom" } }, 500),
  modelsFault("HTML", "<html>oops</html>"),
  modelsFault("empty list", { data: [] }),
  modelsFault("5,000 entries", { data: Array.from({ length: 5_000 }, (_, i) => ({ id: `m${i}`, context_length: 1000 })) }),
  modelsFault("1 MB strings", { data: [{ id: "kimi-for-coding", display_name: longText, context_length: 262144 }] }),
  modelsFault("keys like __proto__ and constructor", JSON.parse('{"data":[{"id":"constructor","context_length":1000},{"id":"__proto__","context_length":1000}],"__proto__":{"x":1}}')),
  chatCell("chat", "401 twice in a row (exactly one retry)", (w) => w.emu.state.injectFault({ path: CHAT, status: 401, count: 2, body: { error: { message: "Invalid Authentication", type: "invalid_authentication_error" } } })),
  chatCell("chat", "402 membership", (w) => w.emu.state.configure({ membershipExpired: true })),
  chatCell("chat", "403 client gate", (w) => w.emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] })),
  chatCell("chat", "429 with Retry-After 30", (w) => w.emu.state.injectFault({ path: CHAT, status: 429, headers: { "retry-after": "30" }, body: { error: { message: "We're receiving too many requests", type: "rate_limit_reached_error" } } })),
  chatCell("chat", "429 without Retry-After", (w) => w.emu.state.injectFault({ path: CHAT, status: 429, body: { error: { message: "The engine is currently overloaded", type: "rate_limit_error" } } })),
  chatCell("chat", "500", (w) => w.emu.state.injectFault({ path: CHAT, status: 500, body: { error: { message: "internal" } } })),
  chatCell("chat", "connection dropped mid-stream", (w) => w.emu.state.injectFault({ path: CHAT, dropMidStream: 2 })),
  chatCell("/usages (explaining a 429)", "unknown shape", (w) => {
    w.emu.state.injectFault({ path: USAGES, status: 200, body: { quota: { something: "else" } }, headers: { "content-type": "application/json" } });
    w.emu.state.injectFault({ path: CHAT, status: 429, body: { error: { message: "You've reached your usage limit for this period", type: "rate_limit_error" } } });
  }),
];

export async function runCells(cells: readonly Cell[] = CELLS): Promise<{ cell: Cell; outcome: CellOutcome | { error: string } }[]> {
  const out: { cell: Cell; outcome: CellOutcome | { error: string } }[] = [];
  for (const cell of cells) {
    try {
      out.push({ cell, outcome: await cell.run() });
    } catch (error) {
      out.push({ cell, outcome: { error: String((error as Error).message).slice(0, 200) } });
    }
  }
  return out;
}
