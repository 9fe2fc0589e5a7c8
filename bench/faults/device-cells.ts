// Device-login faults (RFC 8628): the login denied or expired in the browser, slow_down storms, the
// login server down at the start. Each cell starts with a working login already stored, so it also
// shows that a failed new login never costs the old one. opencode shows "Failed to authorize" for
// `{type:"failed"}`; the plugin's reason is its error log line (stderr and opencode's log).
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { deviceLoginMethod } from "../../src/core/login/auth-methods.ts";
import { OAuthClient } from "../../src/core/login/oauth-client.ts";
import { setLogSink } from "../../src/core/support/log.ts";
import { credentialToStore } from "../../src/core/tokens/credential.ts";
import { createIdentity } from "../../src/core/wire/identity/identity.ts";
import type { Cell, CellOutcome } from "./cells.ts";
import { cellWorld, type CellWorld } from "./world.ts";

const TOKEN = "/api/oauth/token";
const AUTHORIZE = "/api/oauth/device_authorization";
const GROUP = "device login";

type Authorize = () => Promise<unknown>;
type Callback = () => Promise<{ type: "failed" } | { type: "success"; access?: string; refresh?: string; expires?: number; enterpriseUrl?: string }>;

/** The login as opencode drives it: authorize, show the instructions, await the callback, store a success. */
async function login(w: CellWorld, authorize: Authorize, between: () => void = () => {}): Promise<{ result: string; lines: string[]; instructions: string }> {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    const started = (await authorize()) as { url: string; instructions: string; callback: Callback };
    between();
    const result = await started.callback();
    if (result.type === "success") {
      const { type: _type, ...entry } = result;
      await w.store.set(PROVIDER_ID, { type: "oauth", ...entry });
    }
    return { result: result.type, lines, instructions: started.instructions };
  } finally {
    restore();
  }
}

async function outcome(w: CellWorld, run: { result: string; lines: string[]; instructions: string }, note: string): Promise<CellOutcome> {
  const reason = run.lines.find((l) => l.includes("error:"))?.replace(/^\[opencode-kimi-code\] error: /, "");
  const shown =
    run.result === "success"
      ? "Login successful"
      : `Failed to authorize; the plugin says: ${reason ?? (run.instructions || "(nothing)")}`.replace(/\s+/g, " ").slice(0, 220);
  const refresh = await w.storedRefresh();
  const loginKept = refresh !== undefined && w.emu.state.tokens.checkRefresh(refresh) === "ok";
  const polls = w.emu.state.requestsTo(TOKEN).filter((r) => (r.body as Record<string, unknown> | undefined)?.grant_type !== "refresh_token").length;
  return {
    shown,
    opencode: run.result === "success" ? "ok" : "shown at once",
    loginKept,
    note: `${polls} poll${polls === 1 ? "" : "s"}${note ? `; ${note}` : ""}`,
  };
}

/** A cell through the plugin's own hooks (real timers; the emulator's interval is 1 s). */
function hookCell(name: string, setup: (w: CellWorld) => void, between: (w: CellWorld) => void = () => {}): Cell {
  return {
    group: GROUP,
    name,
    async run() {
      const w = await cellWorld({ pollIntervalSec: 1, autoApproveAfterPolls: null });
      try {
        await w.seed();
        setup(w);
        const method = w.hooks.auth!.methods[0] as { authorize: Authorize };
        return await outcome(w, await login(w, () => method.authorize(), () => between(w)), "");
      } finally {
        await w.close();
      }
    },
  };
}

/**
 * A cell on a virtual clock (slow_down storms take minutes of real time): the plugin's device login
 * method with the hooks' own parts, its `now`/`sleep` seams advancing a clock that only it sees.
 */
function clockCell(name: string, setup: (w: CellWorld) => void): Cell {
  return {
    group: GROUP,
    name,
    async run() {
      const w = await cellWorld({ pollIntervalSec: 5, autoApproveAfterPolls: null });
      try {
        await w.seed();
        setup(w);
        let now = Date.now();
        const waits: number[] = [];
        const identity = createIdentity("opencode", { kimiShareDir: `${w.home}/kimi`, kimiCodeHome: `${w.home}/kimi-code` });
        const method = deviceLoginMethod({
          oauth: new OAuthClient({ oauthHost: w.emu.oauthHost, headers: identity.headers }),
          apiBase: w.emu.apiBase,
          storeLogin: (c) => w.store.set(PROVIDER_ID, credentialToStore(c)),
          now: () => now,
          sleep: async (ms) => {
            waits.push(ms / 1000);
            now += ms;
            await Bun.sleep(1);
          },
        });
        const run = await login(w, () => method.authorize());
        const total = waits.reduce((a, b) => a + b, 0);
        return await outcome(w, run, `waits (s): ${compact(waits)}; ${Math.round(total)} s in all`);
      } finally {
        await w.close();
      }
    },
  };
}

/** 5,10,15,60,60,60 → "5, 10, 15, 60×3". */
function compact(waits: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < waits.length; ) {
    let j = i;
    while (j < waits.length && waits[j] === waits[i]) j++;
    out.push(j - i > 1 ? `${waits[i]}×${j - i}` : `${waits[i]}`);
    i = j;
  }
  return out.join(", ");
}

const slowDown = { error: "slow_down", error_description: "Polling too fast; wait longer between polls." };

export const DEVICE_CELLS: Cell[] = [
  hookCell("expired_token", () => {}, (w) => w.emu.state.expire()),
  hookCell("access_denied", () => {}, (w) => w.emu.state.deny()),
  hookCell("device authorization answers 500", (w) =>
    w.emu.state.injectFault({ path: AUTHORIZE, status: 500, body: { error: "server_error" } }),
  ),
  hookCell("device authorization answers an HTML page", (w) => w.emu.state.injectHtmlError(AUTHORIZE)),
  clockCell("10 slow_down in a row, then approved", (w) => {
    w.emu.state.configure({ enforcePollInterval: false, autoApproveAfterPolls: 0 });
    w.emu.state.injectFault({ path: TOKEN, status: 400, body: slowDown, count: 10 });
  }),
  clockCell("slow_down on every poll (the server's own rule; never approved)", (w) =>
    w.emu.state.configure({ enforcePollInterval: true }),
  ),
  clockCell("token endpoint 500 on every poll", (w) =>
    w.emu.state.injectFault({ path: TOKEN, status: 500, body: { error: "server_error" }, count: Infinity }),
  ),
];
