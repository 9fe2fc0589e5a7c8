// Issue 14 §2: the fault matrix's invariants, from the cells themselves (bench/faults/), never a timing:
// a 401 gets exactly one refresh and one retry, a partly consumed stream is never replayed, a network
// error before headers surfaces and is not retried by the plugin, every failure has a message (identity
// advice only for the client gate), and no fault costs the stored login.
import { describe, expect, test } from "bun:test";
import type { Cell, CellOutcome } from "../bench/faults/cells.ts";
import { DEVICE_CELLS } from "../bench/faults/device-cells.ts";
import { ANTHROPIC_CELLS, CHAT_MORE_CELLS } from "../bench/faults/route-cells.ts";
import { TOKEN_NETWORK_CELLS } from "../bench/faults/token-cells.ts";
import { WEB_CELLS } from "../bench/faults/web-cells.ts";

const named = (cells: readonly Cell[], group: string | RegExp, name: string): Cell => {
  const cell = cells.find((c) => (typeof group === "string" ? c.group === group : group.test(c.group)) && c.name === name);
  if (!cell) throw new Error(`no cell ${String(group)} / ${name}`);
  return cell;
};
/** "2 chat requests, 1 refresh grant sent" → [2, 1]. */
function counts(o: CellOutcome): [number, number] {
  const m = /(\d+) \w+ requests?, (\d+) refresh grants? sent/.exec(o.note);
  if (!m) throw new Error(`no counts in "${o.note}"`);
  return [Number(m[1]), Number(m[2])];
}
const ANTHROPIC = "Anthropic route (/messages)";
const T = 60_000;
/** Words of identity advice (the shown text is cut, so the gate is recognised by its opening instead). */
const IDENTITY_ADVICE = /identity|kimi-cli|user-agent|refused this client/i;

describe("chat on both routes", () => {
  test("401 twice: exactly one refresh and one retry, then a final message to log in; the login is kept", async () => {
    const o = await named(ANTHROPIC_CELLS, ANTHROPIC, "401 twice in a row (exactly one retry)").run();
    expect(counts(o)).toEqual([2, 1]);
    expect(o.opencode).toBe("shown at once");
    expect(o.shown).toContain("opencode auth login");
    expect(o.loginKept).toBe(true);
  }, T);

  test("a reset before headers rejects as fetch does (opencode retries it); the plugin sends once", async () => {
    for (const cells of [CHAT_MORE_CELLS, ANTHROPIC_CELLS]) {
      const o = await named(cells, /./, "connection reset before headers").run();
      expect(o.shown).toStartWith("fetch rejected:");
      expect(o.shown).not.toMatch(/Bearer|eyJ/);
      expect(counts(o)).toEqual([1, 0]);
      expect(o.loginKept).toBe(true);
    }
  }, T);

  test("a reset on the 401 retry: still one refresh and one retry, no third send", async () => {
    const o = await named(ANTHROPIC_CELLS, ANTHROPIC, "401, then the retry's connection reset before headers").run();
    expect(counts(o)).toEqual([2, 1]);
    expect(o.shown).toStartWith("fetch rejected:");
    expect(o.loginKept).toBe(true);
  }, T);

  test("a stream cut midway surfaces as an error and is not replayed", async () => {
    const o = await named(ANTHROPIC_CELLS, ANTHROPIC, "connection dropped mid-stream").run();
    expect(o.opencode).toBe("stream error shown");
    expect(counts(o)).toEqual([1, 0]);
  }, T);

  test("402, the gate and a used-up quota are final with a message; identity advice only for the gate", async () => {
    for (const [cells, group] of [[ANTHROPIC_CELLS, ANTHROPIC], [CHAT_MORE_CELLS, "chat"]] as const) {
      for (const name of ["402 membership", "403 client gate", "403 weekly quota used up"]) {
        if (group === "chat" && name !== "403 weekly quota used up") continue; // cells.ts has the others
        const o = await named(cells, group, name).run();
        expect(o.opencode).toBe("shown at once");
        expect(o.shown.length).toBeGreaterThan(20);
        if (name === "403 client gate") expect(o.shown).toContain("refused this client");
        else expect(o.shown).not.toMatch(IDENTITY_ADVICE);
        expect(counts(o)).toEqual([1, 0]);
        expect(o.loginKept).toBe(true);
      }
    }
  }, T);

  test("a busy 429 stays retryable with a Retry-After; 5xx pass to opencode's retry", async () => {
    const busy = await named(ANTHROPIC_CELLS, ANTHROPIC, "429 without Retry-After").run();
    expect(busy.opencode).toBe("retried by opencode");
    expect(busy.shown).toMatch(/^HTTP 429 \(Retry-After \d+\)/);
    for (const name of ["500", "502 HTML page", "503", "504 empty body"]) {
      const o = await named(ANTHROPIC_CELLS, ANTHROPIC, name).run();
      expect(o.opencode).toBe("retried by opencode");
      expect(counts(o)).toEqual([1, 0]);
    }
  }, T);
});

describe("token endpoint", () => {
  test("a reset before headers on every try: three tries, a message, the login kept", async () => {
    const o = await named(TOKEN_NETWORK_CELLS, /token/, "connection reset before headers, every try").run();
    expect(counts(o)).toEqual([0, 3]);
    expect(o.shown).toContain("could not refresh");
    expect(o.shown).not.toContain("verbose");
    expect(o.loginKept).toBe(true);
  }, T);

  test("opencode's silent retries of that 503 are answered at once in the cool-down: no fourth grant", async () => {
    const o = await named(TOKEN_NETWORK_CELLS, /token/, "connection reset before headers, every try; then opencode's 5 silent retries of the 503").run();
    expect(counts(o)).toEqual([0, 3]);
    expect(o.note).toContain("the same answer");
    expect(o.shown).toContain("could not refresh");
    expect(o.loginKept).toBe(true);
  }, T);

  test("out of reach while the due token still works: the turn succeeds with it (kimi-cli only logs)", async () => {
    const o = await named(TOKEN_NETWORK_CELLS, /token/, "connection reset before headers, every try, while the access token still works for 200 s (it is used)").run();
    expect(counts(o)).toEqual([1, 3]);
    expect(o.opencode).toBe("ok");
    expect(o.loginKept).toBe(true);
  }, T);
});

describe("web tools", () => {
  const quick = WEB_CELLS.filter((c) => !/laptop/.test(c.name));
  test("every failure is a sentence, never a throw; one retry on 401; the gate alone gets identity advice", async () => {
    for (const cell of quick) {
      const o = await cell.run();
      const [calls, grants] = counts(o);
      expect(o.shown).not.toStartWith("THREW");
      expect(o.loginKept).toBe(true);
      if (cell.name.startsWith("401 twice")) expect([calls, grants]).toEqual([2, 1]);
      else expect([calls, grants]).toEqual([1, 0]);
      if (o.opencode !== "ok") {
        expect(o.shown).toMatch(/^Kimi (web search|URL fetch) failed: \S/);
        if (cell.name === "403 client gate") expect(o.shown).toContain("refused this client");
        else expect(o.shown).not.toMatch(IDENTITY_ADVICE);
        expect(o.shown).not.toMatch(/<html|<!DOCTYPE|verbose: true/i);
      }
    }
  }, 120_000);
});

describe("device login", () => {
  test("expired and denied end the login with a reason; the login stored before is kept", async () => {
    for (const name of ["expired_token", "access_denied", "device authorization answers an HTML page"]) {
      const o = await named(DEVICE_CELLS, "device login", name).run();
      expect(o.shown).toStartWith("Failed to authorize; the plugin says: ");
      expect(o.shown).not.toContain("<");
      expect(o.loginKept).toBe(true);
    }
  }, T);

  test("slow_down storms: the interval grows 5 s per slow_down up to 60 s, the login ends, bounded", async () => {
    const approved = await named(DEVICE_CELLS, "device login", "10 slow_down in a row, then approved").run();
    expect(approved.shown).toBe("Login successful");
    expect(approved.loginKept).toBe(true);
    expect(approved.note).toStartWith("11 polls");

    const endless = await named(DEVICE_CELLS, "device login", "slow_down on every poll (the server's own rule; never approved)").run();
    expect(endless.shown).toContain("run the login again");
    expect(endless.loginKept).toBe(true);
    const polls = Number(/^(\d+) polls/.exec(endless.note)?.[1]);
    expect(polls).toBeGreaterThan(5);
    expect(polls).toBeLessThan(40);
    const waits = /waits \(s\): ([^;]+);/.exec(endless.note)![1]!.split(", ").flatMap((w) => {
      const [v, n] = w.split("×");
      return Array(Number(n ?? 1)).fill(Number(v)) as number[];
    });
    expect(Math.max(...waits)).toBe(60);
    for (let i = 2; i < waits.length - 1; i++) expect(waits[i]).toBe(Math.min(waits[i - 1]! + 5, 60));
  }, T);
});
