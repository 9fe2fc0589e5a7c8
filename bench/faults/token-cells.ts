// Token endpoint faults at the network level, on a login whose refresh is due: no answer within the
// plugin's 30 s timeout (OWN_CALL_TIMEOUT_MS), and a connection reset before headers; each on every
// try (3 tries, 1 s and 2 s apart: kimi-cli oauth.py:525-546) and on the first try only.
import { chatCell, type Cell } from "./cells.ts";

const TOKEN = "/api/oauth/token";
const GROUP = "token endpoint (refresh due)";
const dueLogin = { lifetimeSec: 1, expiredForSec: 5 };
/** Past the plugin's own 30 s timeout. */
const NO_ANSWER_MS = 32_000;

export const TOKEN_NETWORK_CELLS: Cell[] = [
  chatCell(GROUP, "connection reset before headers, every try", (w) => w.emu.state.injectFault({ path: TOKEN, reset: true, count: 10 }), dueLogin),
  chatCell(GROUP, "connection reset before headers, first try only", (w) => w.emu.state.injectFault({ path: TOKEN, reset: true }), dueLogin),
  chatCell(GROUP, "timeout: no answer within 30 s, first try only", (w) => w.emu.state.injectFault({ path: TOKEN, delayMs: NO_ANSWER_MS }), dueLogin),
  chatCell(GROUP, "timeout, but Kimi rotated the single-use refresh token after the plugin gave up (the new pair never arrives: no client can keep this login)", (w) =>
    // Served 0.3 s after the plugin's timeout, before its retry 1 s later: the retry carries a spent token.
    w.emu.state.injectFault({ path: TOKEN, delayMs: 30_300, serveAfterHangUp: true }), dueLogin),
  chatCell(GROUP, "timeout: no answer within 30 s, every try (~95 s)", (w) => w.emu.state.injectFault({ path: TOKEN, delayMs: NO_ANSWER_MS, count: 10 }), dueLogin),
];
