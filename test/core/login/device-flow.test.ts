import { describe, expect, test } from "bun:test";
import { pollForTokens } from "../../../src/core/login/device-flow.ts";
import type { DeviceAuthorization, PollResult } from "../../../src/core/login/oauth-client.ts";

const TOKENS = { access_token: "a", refresh_token: "r", expires_in: 900 };

function start(over: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
  return {
    deviceCode: "dc",
    userCode: "ABCD-1234",
    verificationUri: "https://auth/device",
    verificationUriComplete: "https://auth/device?user_code=ABCD-1234",
    expiresIn: 900,
    interval: 5,
    ...over,
  };
}

/** A virtual clock: sleep advances time; polls answer from a script and record when they came. */
function harness(script: PollResult[]) {
  let now = 0;
  const pollTimes: number[] = [];
  const sleeps: number[] = [];
  const client = {
    async pollDeviceToken(code: string): Promise<PollResult> {
      expect(code).toBe("dc");
      pollTimes.push(now);
      return script.shift() ?? { kind: "pending" };
    },
  };
  return {
    deps: {
      client,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    pollTimes,
    sleeps,
  };
}

describe("RFC 8628 polling", () => {
  test("authorization_pending waits `interval` between polls, then succeeds", async () => {
    const h = harness([{ kind: "pending" }, { kind: "pending" }, { kind: "success", tokens: TOKENS }]);
    const out = await pollForTokens(start(), h.deps);
    expect(out).toEqual({ ok: true, tokens: TOKENS });
    expect(h.pollTimes).toEqual([5000, 10000, 15000]);
  });

  test("slow_down adds 5 s to the interval for the rest of the flow", async () => {
    const h = harness([
      { kind: "slow_down" },
      { kind: "pending" },
      { kind: "slow_down" },
      { kind: "pending" },
      { kind: "success", tokens: TOKENS },
    ]);
    await pollForTokens(start(), h.deps);
    expect(h.sleeps).toEqual([5000, 10000, 10000, 15000, 15000]);
  });

  test("expired_token ends the flow", async () => {
    const h = harness([{ kind: "pending" }, { kind: "expired" }]);
    const out = await pollForTokens(start(), h.deps);
    expect(out.ok).toBe(false);
    expect(out.ok === false && out.reason).toBe("expired");
    expect(h.pollTimes).toHaveLength(2);
  });

  test("access_denied ends the flow at once", async () => {
    const h = harness([{ kind: "denied" }]);
    const out = await pollForTokens(start(), h.deps);
    expect(out.ok === false && out.reason).toBe("denied");
    expect(out.ok === false && out.message).toMatch(/denied/);
    expect(h.pollTimes).toHaveLength(1);
  });

  test("the device code's expires_in bounds the whole wait", async () => {
    const h = harness([]); // pending forever
    const out = await pollForTokens(start({ expiresIn: 60, interval: 7 }), h.deps);
    expect(out.ok === false && out.reason).toBe("timeout");
    expect(out.ok === false && out.message).toContain("ABCD-1234");
    expect(Math.max(...h.pollTimes)).toBeLessThan(60_000);
    expect(h.pollTimes).toHaveLength(8); // 7, 14, ..., 56 s
  });

  test("an interval below 1 s is raised to 1 s (kimi-cli oauth.py:652)", async () => {
    const h = harness([{ kind: "pending" }, { kind: "success", tokens: TOKENS }]);
    await pollForTokens(start({ interval: 0.01 }), h.deps);
    expect(h.pollTimes).toEqual([1000, 2000]);
  });

  test("a few transient errors are ridden out, a persistent one ends the flow", async () => {
    const blip: PollResult = { kind: "error", message: "HTTP 502", transient: true };
    const ok = harness([blip, blip, { kind: "success", tokens: TOKENS }]);
    expect((await pollForTokens(start(), ok.deps)).ok).toBe(true);

    const bad = harness([blip, blip, blip, blip]);
    const out = await pollForTokens(start(), bad.deps);
    expect(out.ok === false && out.reason).toBe("error");
    expect(bad.pollTimes).toHaveLength(4);

    const fatal = harness([{ kind: "error", message: "invalid_client", transient: false }]);
    const f = await pollForTokens(start(), fatal.deps);
    expect(f.ok === false && f.message).toStartWith("invalid_client");
  });

  test("every way the flow ends says what happened and what to do next", async () => {
    const server500: PollResult = { kind: "error", message: "token endpoint answered HTTP 500 server_error", transient: true };
    const down = await pollForTokens(start(), harness([server500, server500, server500, server500]).deps);
    expect(down.ok).toBe(false);
    const downMessage = down.ok ? "" : down.message;
    expect(downMessage).toStartWith("token endpoint answered HTTP 500 server_error"); // what happened
    expect(downMessage).toMatch(/4 polls in a row/);
    expect(downMessage).toMatch(/network/i); // what to check
    expect(downMessage).toMatch(/run the login again/); // what to do

    const refused = await pollForTokens(start(), harness([{ kind: "error", message: "token endpoint answered HTTP 400 invalid_client", transient: false }]).deps);
    expect(refused.ok === false && refused.message).toMatch(/HTTP 400 invalid_client.*update opencode-kimi-code/);

    const denied = await pollForTokens(start(), harness([{ kind: "denied" }]).deps);
    expect(denied.ok === false && denied.message).toMatch(/denied.*run the login again/);
  });
});
