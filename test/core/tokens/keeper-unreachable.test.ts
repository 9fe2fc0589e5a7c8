// A login server that cannot be reached: the round of three tries is not run again for every request
// of the next REFRESH_COOLDOWN_MS (requests fail at once with the same message), a round in which the
// server did not answer in time is final for opencode (no silent retry of a 90 s wait), and neither
// costs the login, hides another process's refresh, or outlives the cool-down.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REFRESH_COOLDOWN_MS } from "../../../src/core/config/constants.ts";
import { errorResponse, KimiError, triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import { HttpError } from "../../../src/core/support/http.ts";
import type { Credential, OAuthCredential, TokenResponse } from "../../../src/core/tokens/credential.ts";
import { TokenKeeper } from "../../../src/core/tokens/keeper.ts";
import { fakeJwt, tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";
const T0 = Date.now();
const jwt = (at: number, tag: string, age: number) => fakeJwt({ iat: Math.floor(at / 1000) - age, exp: Math.floor(at / 1000) - age + 900, jti: tag });
const cred = (access: string, refresh: string): OAuthCredential => ({ type: "oauth", access, refresh, expires: 0, apiBase: BASE });
const reset = () => new HttpError("could not reach auth.kimi.com (connection reset)", "network");
const hang = () => new HttpError("auth.kimi.com did not answer within 30 s", "timeout");

/** A keeper over an in-memory store, on a clock the test moves; the token endpoint fails with `fail()` while `down`. */
async function world(fail: () => Error) {
  let clock = T0;
  // 10 s left of 900: due, and too close to expiry to be used while the server is out of reach
  // (keeper-grace.test.ts covers a due token that still has time).
  const due = cred(jwt(T0, "old", 890), "r0");
  let stored: Credential | undefined = due;
  const grants: string[] = [];
  const w = {
    due,
    down: true,
    grants,
    stored: () => stored,
    setStored: (c: Credential | undefined) => (stored = c),
    advance: (ms: number) => (clock += ms),
    keeper: new TokenKeeper({
      load: async () => stored,
      persist: async (c) => {
        stored = c;
      },
      refreshGrant: async (refresh) => {
        grants.push(refresh);
        if (w.down) throw fail();
        return { access_token: jwt(clock, `new${grants.length}`, 0), refresh_token: `r-new${grants.length}`, expires_in: 900 };
      },
      lockPath: join(await tempDir(), "auth.json.lock"),
      now: () => clock,
      sleep: async () => {},
    }),
  };
  return w;
}

const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as KimiError);

describe("an unreachable login server", () => {
  test("after a failed round, requests within the cool-down fail at once with the same message; the login is kept", async () => {
    const w = await world(reset);
    const first = await failureOf(w.keeper.credential());
    expect(first?.kind).toBe("refresh-unavailable");
    expect(w.grants).toHaveLength(3);
    w.advance(REFRESH_COOLDOWN_MS - 1_000);
    for (let i = 0; i < 5; i++) {
      const again = await failureOf(w.keeper.credential());
      expect(again?.message).toBe(first!.message);
      expect(again?.kind).toBe("refresh-unavailable");
    }
    const forced = await failureOf(w.keeper.forceRefresh(w.due.access)); // a chat 401 in the cool-down
    expect(forced?.message).toBe(first!.message);
    expect(w.grants).toHaveLength(3); // not one more grant
    expect(w.stored()).toEqual(w.due); // never deleted or overwritten
  });

  test("the cool-down ends: the first request after it tries the login server again", async () => {
    const w = await world(reset);
    await failureOf(w.keeper.credential());
    w.advance(REFRESH_COOLDOWN_MS + 1);
    w.down = false;
    const c = await w.keeper.credential();
    expect(c.type === "oauth" && c.refresh).toBe("r-new4");
    expect(w.grants).toEqual(["r0", "r0", "r0", "r0"]);
    expect((w.stored() as OAuthCredential).refresh).toBe("r-new4");
  });

  test("during the cool-down, tokens another process refreshed (the store) are adopted", async () => {
    const w = await world(reset);
    await failureOf(w.keeper.credential());
    w.advance(5_000);
    const theirs = cred(jwt(T0 + 5_000, "theirs", 0), "r-theirs");
    w.setStored(theirs);
    const c = await w.keeper.credential();
    expect(c).toEqual(theirs);
    expect(w.grants).toHaveLength(3);
  });

  test("a new login during the cool-down is refreshed at once (the cool-down belongs to the old refresh token)", async () => {
    const w = await world(reset);
    await failureOf(w.keeper.credential());
    w.down = false;
    w.setStored(cred(jwt(T0, "relogin", 800), "r-relogin")); // due too
    const c = await w.keeper.credential();
    expect(c.type === "oauth" && c.refresh).toBe("r-new4");
    expect(w.grants.at(-1)).toBe("r-relogin");
  });

  test("quick failures stay retryable (503) for opencode; a round with a timeout is final, with a next step", async () => {
    const quick = await failureOf((await world(reset)).keeper.credential());
    expect(quick?.status).toBe(503);

    const w = await world(hang);
    const slow = await failureOf(w.keeper.credential());
    expect(slow?.kind).toBe("refresh-no-answer");
    expect(w.grants).toHaveLength(3); // kimi-cli's three tries still run (a lost packet recovers)
    const status = slow!.status;
    expect(status < 500 && ![408, 409, 429].includes(status)).toBe(true);
    expect(triggersOpencodeRetry(slow!.message)).toBe(false);
    const body = await errorResponse(status, slow!.message, `kimi_${slow!.kind.replace(/-/g, "_")}`).text();
    expect(triggersOpencodeRetry(body)).toBe(false);
    expect(slow!.message).toMatch(/network|proxy/i); // what to check
    expect(slow!.message).toMatch(/kept/); // the login is not lost
    expect(slow!.message).toMatch(/minute/); // when sending again helps
    expect(w.stored()).toEqual(w.due);

    w.advance(10_000); // the same answer at once during the cool-down
    expect((await failureOf(w.keeper.credential()))?.message).toBe(slow!.message);
    expect(w.grants).toHaveLength(3);
  });

  test("one timeout among quick failures makes the round final too (it cost at least 30 s)", async () => {
    let n = 0;
    const w = await world(() => (++n === 2 ? hang() : reset()));
    expect((await failureOf(w.keeper.credential()))?.kind).toBe("refresh-no-answer");
  });
});
