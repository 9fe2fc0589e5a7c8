// Token endpoint faults at the network level, on a login whose refresh is due: no answer within the
// plugin's 30 s timeout (OWN_CALL_TIMEOUT_MS), and a connection reset before headers; each on every
// try (3 tries, 1 s and 2 s apart: kimi-cli oauth.py:525-546) and on the first try only. After a
// round that could not reach the login server, the turns of the next minute (REFRESH_COOLDOWN_MS:
// opencode's silent retries of a 503, the user's next message) are answered at once, no grant sent.
import { REFRESH_COOLDOWN_MS } from "../../src/core/config/constants.ts";
import { chatCell, judge, type Cell } from "./cells.ts";
import { cellWorld, type CellWorld } from "./world.ts";

const TOKEN = "/api/oauth/token";
const GROUP = "token endpoint (refresh due)";
const dueLogin = { lifetimeSec: 1, expiredForSec: 5 };
/** Past the plugin's own 30 s timeout. */
const NO_ANSWER_MS = 32_000;

/** The fault on every try; one turn, then `more` turns at once, inside the cool-down; the last one is judged. */
function coolDownCell(name: string, inject: (w: CellWorld) => void, more: number): Cell {
  return {
    group: GROUP,
    name,
    async run() {
      const w = await cellWorld({ fiveHourRequestLimit: 1e6, weeklyRequestLimit: 1e6, monthlyRequestLimit: 1e6 });
      try {
        await w.seed(dueLogin);
        inject(w);
        const t0 = performance.now();
        const first = await (await w.chat()).text();
        const firstMs = performance.now() - t0;
        let last = await w.chat();
        const t1 = performance.now();
        for (let i = 1; i < more; i++) {
          await last.text();
          last = await w.chat();
        }
        const text = await last.clone().text();
        const moreMs = performance.now() - t1;
        const same = text === first ? "the same answer" : "a different answer";
        const note = `first turn ${(firstMs / 1000).toFixed(1)} s; ${more} more turn${more === 1 ? "" : "s"} within the ${REFRESH_COOLDOWN_MS / 1000} s cool-down: ${same}, ${Math.round(moreMs)} ms in all`;
        return await judge(w, last, note);
      } finally {
        await w.close();
      }
    },
  };
}

export const TOKEN_NETWORK_CELLS: Cell[] = [
  chatCell(GROUP, "connection reset before headers, every try", (w) => w.emu.state.injectFault({ path: TOKEN, reset: true, count: 10 }), dueLogin),
  coolDownCell("connection reset before headers, every try; then opencode's 5 silent retries of the 503", (w) => w.emu.state.injectFault({ path: TOKEN, reset: true, count: 10 }), 5),
  chatCell(GROUP, "connection reset before headers, every try, while the access token still works for 200 s (it is used)", (w) =>
    w.emu.state.injectFault({ path: TOKEN, reset: true, count: 10 }), { lifetimeSec: 900, expiresInSec: 200 }),
  chatCell(GROUP, "connection reset before headers, first try only", (w) => w.emu.state.injectFault({ path: TOKEN, reset: true }), dueLogin),
  chatCell(GROUP, "timeout: no answer within 30 s, first try only", (w) => w.emu.state.injectFault({ path: TOKEN, delayMs: NO_ANSWER_MS }), dueLogin),
  chatCell(GROUP, "timeout, but Kimi rotated the single-use refresh token after the plugin gave up (the new pair never arrives: no client can keep this login)", (w) =>
    // Served 0.3 s after the plugin's timeout, before its retry 1 s later: the retry carries a spent token.
    w.emu.state.injectFault({ path: TOKEN, delayMs: 30_300, serveAfterHangUp: true }), dueLogin),
  coolDownCell("timeout: no answer within 30 s, every try (~95 s, final); then the user's next message", (w) => w.emu.state.injectFault({ path: TOKEN, delayMs: NO_ANSWER_MS, count: 10 }), 1),
];
