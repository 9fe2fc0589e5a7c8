// A token that is due for refresh but still works is used while the login server cannot be reached
// (kimi-cli: "Other refresh failures only log", oauth.py:1021-1054 — its requests keep the access
// token they have), until it is about to expire; then the refresh failure is the answer. A refusal
// by the login server (the login is dead) is never papered over this way.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REFRESH_GRACE_MARGIN_MS } from "../../../src/core/config/constants.ts";
import { KimiError } from "../../../src/core/support/errors.ts";
import { HttpError } from "../../../src/core/support/http.ts";
import type { Credential, OAuthCredential } from "../../../src/core/tokens/credential.ts";
import { TokenKeeper } from "../../../src/core/tokens/keeper.ts";
import { fakeJwt, tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";
const T0 = Date.now();

async function world(refreshError: () => Error) {
  let clock = T0;
  // Issued 800 s ago, valid 900 s: 100 s left, past the refresh threshold (450 s).
  const access = fakeJwt({ iat: Math.floor(T0 / 1000) - 800, exp: Math.floor(T0 / 1000) + 100 });
  const due: OAuthCredential = { type: "oauth", access, refresh: "r0", expires: T0 + 100_000, apiBase: BASE };
  let stored: Credential | undefined = due;
  const grants: string[] = [];
  const keeper = new TokenKeeper({
    load: async () => stored,
    persist: async (c) => {
      stored = c;
    },
    refreshGrant: async (refresh) => {
      grants.push(refresh);
      throw refreshError();
    },
    lockPath: join(await tempDir(), "auth.json.lock"),
    now: () => clock,
    sleep: async () => {},
  });
  return { due, grants, keeper, stored: () => stored, advance: (ms: number) => (clock += ms) };
}

const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as KimiError);

describe("a due token while the login server is out of reach", () => {
  test("network trouble: the still-valid token is used; the login is kept", async () => {
    const w = await world(() => new HttpError("could not reach auth.kimi.com (connection reset)", "network"));
    expect(await w.keeper.credential()).toEqual(w.due);
    expect(w.grants).toEqual(["r0", "r0", "r0"]);
    // The next requests within the cool-down get it at once, without another round.
    expect(await w.keeper.credential()).toEqual(w.due);
    expect(w.grants).toHaveLength(3);
    expect(w.stored()).toEqual(w.due);
  });

  test("no answer in time: the same", async () => {
    const w = await world(() => new HttpError("auth.kimi.com did not answer within 30 s", "timeout"));
    expect(await w.keeper.credential()).toEqual(w.due);
  });

  test("once the token is about to expire, the refresh failure is the answer", async () => {
    const w = await world(() => new HttpError("could not reach auth.kimi.com (connection reset)", "network"));
    expect(await w.keeper.credential()).toEqual(w.due);
    w.advance(100_000 - REFRESH_GRACE_MARGIN_MS + 1);
    const failure = await failureOf(w.keeper.credential());
    expect(failure?.kind).toBe("refresh-unavailable");
  });

  test("a refusal by the login server is not papered over", async () => {
    const w = await world(() => new HttpError("token refresh failed (HTTP 401 invalid_grant)", "unauthorized", 401));
    const failure = await failureOf(w.keeper.credential());
    expect(failure).toBeInstanceOf(KimiError);
    expect(failure?.kind).not.toBe("refresh-unavailable");
  });
});
