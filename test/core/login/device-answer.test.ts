// Issue 8 F9: the device authorization answer is validated before it reaches a timer or opencode.
// A loopback server plays a hostile authorization server; the real OAuthClient and login method read it.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { deviceLoginMethod } from "../../../src/core/login/auth-methods.ts";
import { pollForTokens } from "../../../src/core/login/device-flow.ts";
import { OAuthClient } from "../../../src/core/login/oauth-client.ts";
import { setLogSink } from "../../../src/core/support/log.ts";

let answer: Record<string, unknown> = {};
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json(answer) });
afterAll(() => server.stop(true));
const HOST = `http://127.0.0.1:${server.port}`;
const client = new OAuthClient({ oauthHost: HOST, headers: async () => ({}) });

const GOOD = {
  device_code: "dev-1",
  user_code: "ABCD-EFGH",
  verification_uri: `${HOST}/device`,
  verification_uri_complete: `${HOST}/device?user_code=ABCD-EFGH`,
  expires_in: 900,
  interval: 5,
};

/** What opencode receives from the login method's authorize(): the link it opens and the text it prints. */
async function authorize(body: Record<string, unknown>, oauthHost = HOST) {
  answer = body;
  const restore = setLogSink(() => {});
  try {
    const oauth = new OAuthClient({ oauthHost, headers: async () => ({}) });
    // The link and text come from the answer; the request still goes to the loopback server.
    const method = deviceLoginMethod({
      oauth: { deviceAuthorization: () => client.deviceAuthorization().then((a) => a), pollDeviceToken: oauth.pollDeviceToken.bind(oauth), host: oauthHost },
      apiBase: `${HOST}/coding/v1`,
    });
    return await method.authorize();
  } finally {
    restore();
  }
}

describe("timers", () => {
  test("interval and expires_in beyond 2^31 ms are clamped: every sleep is 1 s to 60 s, the wait ends", async () => {
    answer = { ...GOOD, interval: 1e10, expires_in: 1e12 };
    const start = await client.deviceAuthorization();
    expect(start.interval).toBeLessThanOrEqual(60);
    expect(start.expiresIn).toBeLessThanOrEqual(3600);
    const sleeps: number[] = [];
    let t = 0;
    let polls = 0;
    const outcome = await pollForTokens(start, {
      client: { pollDeviceToken: async () => (++polls < 1000 ? { kind: "pending" } : { kind: "denied" }) },
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
    });
    expect(outcome.ok).toBe(false);
    expect(sleeps.length).toBeGreaterThan(0);
    for (const ms of sleeps) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(60_000);
    }
    expect(t).toBeLessThanOrEqual(3600_000); // the device code's lifetime bounds the whole wait
  });

  test("property: any interval / expires_in the server sends gives timers within [1 s, 60 s] and a wait ≤ 1 h", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.double(), fc.integer(), fc.constantFrom("1e400", "-5", "0", "NaN", null, "7")),
        fc.oneof(fc.double(), fc.integer(), fc.constantFrom("1e306", "-1", "0", null, "900")),
        async (interval, expiresIn) => {
          answer = { ...GOOD, interval, expires_in: expiresIn };
          const start = await client.deviceAuthorization();
          expect(start.interval).toBeGreaterThanOrEqual(1);
          expect(start.interval).toBeLessThanOrEqual(60);
          expect(start.expiresIn).toBeGreaterThanOrEqual(1);
          expect(start.expiresIn).toBeLessThanOrEqual(3600);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("slow_down keeps adding 5 s but the interval stays within 60 s", async () => {
    const sleeps: number[] = [];
    let t = 0;
    let polls = 0;
    await pollForTokens(
      { deviceCode: "d", userCode: "U", verificationUri: "", verificationUriComplete: "", expiresIn: 3600, interval: 5 },
      {
        client: { pollDeviceToken: async () => (++polls < 40 ? { kind: "slow_down" } : { kind: "denied" }) },
        now: () => t,
        sleep: async (ms) => {
          sleeps.push(ms);
          t += ms;
        },
      },
    );
    expect(sleeps.slice(0, 3)).toEqual([5000, 10_000, 15_000]);
    expect(Math.max(...sleeps)).toBe(60_000);
  });
});

describe("the link opencode opens", () => {
  for (const [name, url] of [
    ["javascript:", "javascript:alert(document.cookie)"],
    ["data:", "data:text/html,<script>x</script>"],
    ["file:", "file:///etc/passwd"],
    ["a foreign https site", "https://kimi.com.evil.example/device?user_code=ABCD"],
    ["plain http off loopback", "http://www.kimi.com/device"],
    ["user info", `http://user:pw@127.0.0.1:${server.port}/device`],
    ["an escape sequence", `${HOST}/device\u001b[2J`],
    ["an oversized URL", `${HOST}/device?x=${"a".repeat(5000)}`],
  ] as const) {
    test(`${name}: refused, the login does not start, nothing of it is shown`, async () => {
      const started = await authorize({ ...GOOD, verification_uri_complete: url });
      expect(started.url).toBe("");
      expect(started.instructions).toContain("unsafe verification URL");
      expect(started.instructions).not.toContain(url);
      expect(started.instructions).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    });
  }

  test("https on the OAuth host's own site is offered (auth.kimi.com issues www.kimi.com links)", async () => {
    answer = { ...GOOD, verification_uri_complete: "https://www.kimi.com/code/authorize_device?user_code=ABCD-EFGH" };
    const oauth = new OAuthClient({ oauthHost: "https://auth.kimi.com", headers: async () => ({}), fetch: (() => fetch(`${HOST}/x`)) as unknown as typeof fetch });
    const start = await oauth.deviceAuthorization();
    expect(start.verificationUriComplete).toBe("https://www.kimi.com/code/authorize_device?user_code=ABCD-EFGH");
  });

  test("loopback http (the emulator) is offered", async () => {
    const started = await authorize(GOOD);
    expect(started.url).toBe(GOOD.verification_uri_complete);
  });
});

describe("the user code opencode prints", () => {
  test("terminal escape sequences and control characters are stripped", async () => {
    const started = await authorize({ ...GOOD, user_code: "\u001b]8;;https://evil.example\u0007AB\u001b[2J\u001b[31mCD\u009b1m\r\n\u202eEF" });
    expect(started.instructions).toContain("the code ABCDEF ");
    expect(started.instructions).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(started.instructions).not.toContain("evil.example");
  });

  test("its length is bounded", async () => {
    const started = await authorize({ ...GOOD, user_code: "X".repeat(10_000) });
    expect(started.instructions.length).toBeLessThan(300);
  });

  test("a code made only of control characters counts as missing", async () => {
    const started = await authorize({ ...GOOD, user_code: "\u001b[2J\u0007" });
    expect(started.url).toBe("");
    expect(started.instructions).toContain("lacks device_code, user_code");
  });
});
