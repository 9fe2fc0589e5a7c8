import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { KimiError } from "../../../src/core/support/errors.ts";
import { HttpError } from "../../../src/core/support/http.ts";
import type { Credential, OAuthCredential, TokenResponse } from "../../../src/core/tokens/credential.ts";
import { TokenKeeper, type TokenKeeperDeps } from "../../../src/core/tokens/keeper.ts";
import { fakeJwt, tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";
const nowS = () => Math.floor(Date.now() / 1000);
const freshJwt = (tag: string) => fakeJwt({ iat: nowS(), exp: nowS() + 900, jti: tag });
const dueJwt = (tag: string) => fakeJwt({ iat: nowS() - 800, exp: nowS() + 100, jti: tag });
/** Due and about to expire (within REFRESH_GRACE_MARGIN_MS): a failed refresh is the answer (keeper-grace.test.ts). */
const expiringJwt = (tag: string) => fakeJwt({ iat: nowS() - 890, exp: nowS() + 10, jti: tag });
const cred = (access: string, refresh: string): OAuthCredential => ({ type: "oauth", access, refresh, expires: 0, apiBase: BASE });

/** An in-memory auth store plus a scripted token endpoint. */
async function setup(initial: Credential | undefined, grant?: (refresh: string, n: number) => Promise<TokenResponse>) {
  let stored = initial;
  const persisted: OAuthCredential[] = [];
  const grants: string[] = [];
  const sleeps: number[] = [];
  const deps: TokenKeeperDeps = {
    load: async () => stored,
    persist: async (c) => {
      persisted.push(c);
      stored = c;
    },
    refreshGrant: async (refresh) => {
      grants.push(refresh);
      if (grant) return grant(refresh, grants.length);
      await Bun.sleep(10);
      return { access_token: freshJwt(`a${grants.length}`), refresh_token: `r${grants.length}`, expires_in: 900 };
    },
    lockPath: join(await tempDir(), "auth.json.lock"),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return {
    keeper: new TokenKeeper(deps),
    persisted,
    grants,
    sleeps,
    setStored: (c: Credential | undefined) => (stored = c),
    stored: () => stored,
  };
}

describe("token lifecycle", () => {
  test("a fresh token is used without refreshing or re-reading the store", async () => {
    const access = freshJwt("x");
    const s = await setup(cred(access, "r0"));
    expect((await s.keeper.credential()).type).toBe("oauth");
    const c = await s.keeper.credential();
    expect(c.type === "oauth" && c.access).toBe(access);
    expect(s.grants).toEqual([]);
  });

  test("100 concurrent requests with a due token cause exactly one refresh", async () => {
    const s = await setup(cred(dueJwt("old"), "r0"));
    const results = await Promise.all(Array.from({ length: 100 }, () => s.keeper.credential()));
    expect(s.grants).toEqual(["r0"]);
    expect(new Set(results.map((c) => (c.type === "oauth" ? c.refresh : "")))).toEqual(new Set(["r1"]));
    expect(s.persisted).toHaveLength(1);
    expect(s.persisted[0]?.refresh).toBe("r1");
    expect(Number.isInteger(s.persisted[0]?.expires)).toBe(true);
    expect(s.keeper.refreshCount).toBe(1);
  });

  test("inside the lock the store is re-read: tokens another process rotated are adopted, not refreshed", async () => {
    const s = await setup(cred(freshJwt("mine"), "r0"));
    await s.keeper.credential(); // memory now holds our token
    const mine = await s.keeper.credential();
    const theirs = freshJwt("other-process");
    s.setStored(cred(theirs, "r-other")); // another process refreshed and stored its rotation
    // Our token is rejected (or due): inside the lock the store shows the other process's tokens.
    const c = await s.keeper.forceRefresh(mine.type === "oauth" ? mine.access : "");
    expect(c.type === "oauth" && c.access).toBe(theirs);
    expect(s.grants).toEqual([]);
    expect(s.persisted).toEqual([]);
  });

  test("a due token is replaced by the store's fresher one without a refresh", async () => {
    const s = await setup(cred(dueJwt("mine"), "r0"));
    // Memory holds the due token; the store already has a rotated one.
    const rotated = freshJwt("theirs");
    const keeper = s.keeper;
    s.setStored(cred(dueJwt("mine"), "r0"));
    await keeper.credential().catch(() => {}); // first call refreshes r0 → r1 (store now r1)
    expect(s.grants).toEqual(["r0"]);
    s.setStored(cred(rotated, "r-theirs"));
    // Force: the server rejected our current access token; the store has another fresh one.
    const c = await keeper.forceRefresh("a-token-the-server-rejected");
    expect(c.type === "oauth" && c.refresh).toBe("r-theirs");
    expect(s.grants).toEqual(["r0"]);
  });

  test("forceRefresh after a 401 refreshes even a fresh-looking token", async () => {
    const access = freshJwt("rejected");
    const s = await setup(cred(access, "r0"));
    await s.keeper.credential();
    const c = await s.keeper.forceRefresh(access);
    expect(s.grants).toEqual(["r0"]);
    expect(c.type === "oauth" && c.refresh).toBe("r1");
  });

  test("invalid_grant because another process won the race is recovered silently", async () => {
    let s: Awaited<ReturnType<typeof setup>>;
    const winner = freshJwt("winner");
    s = await setup(cred(dueJwt("old"), "r0"), async () => {
      s.setStored(cred(winner, "r-winner")); // the other process stored its rotation meanwhile
      throw new HttpError("token refresh failed (HTTP 401 invalid_grant)", "unauthorized", 401, { error: "invalid_grant" });
    });
    const c = await s.keeper.credential();
    expect(c.type === "oauth" && c.access).toBe(winner);
    expect(s.persisted).toEqual([]); // nothing of ours overwrote theirs
  });

  test("401/403/invalid_grant with nothing newer stored: login required, credential kept, and no hammering", async () => {
    for (const [status, body] of [
      [401, { error: "invalid_grant" }],
      [403, {}],
      [400, { error: "invalid_grant" }],
    ] as const) {
      const original = cred(dueJwt("old"), "r0");
      const s = await setup(original, async () => {
        throw new HttpError(`HTTP ${status}`, "http", status, body);
      });
      const err = await s.keeper.credential().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KimiError);
      expect((err as KimiError).kind).toBe("login-required");
      expect((err as KimiError).message).toContain("opencode auth login");
      expect(s.grants).toHaveLength(1); // no retry on 401/403
      expect(s.stored()).toEqual(original); // never deleted or overwritten
      await s.keeper.credential().catch(() => {});
      expect(s.grants).toHaveLength(1); // the rejected refresh token is not sent again
      s.setStored(cred(dueJwt("relogin"), "r-new")); // the user logs in again
      await s.keeper.credential().catch(() => {});
      expect(s.grants).toEqual(["r0", "r-new"]);
    }
  });

  test("429/5xx/network: three tries, 1 s then 2 s apart, then a clear error", async () => {
    const failures = [
      new HttpError("HTTP 503", "html", 503, "<html>"),
      new HttpError("could not reach auth.kimi.com", "network"),
      new HttpError("HTTP 429", "http", 429, {}),
    ];
    const s = await setup(cred(expiringJwt("old"), "r0"), async (_r, n) => {
      throw failures[n - 1]!;
    });
    const err = (await s.keeper.credential().catch((e: unknown) => e)) as KimiError;
    expect(err.kind).toBe("refresh-unavailable");
    expect(err.message).toMatch(/3 tries/);
    expect(s.grants).toHaveLength(3);
    expect(s.sleeps).toEqual([1000, 2000]);
    expect(s.persisted).toEqual([]);
  });

  test("a transient failure then success recovers within the three tries", async () => {
    const s = await setup(cred(dueJwt("old"), "r0"), async (_r, n) => {
      if (n === 1) throw new HttpError("HTTP 502", "http", 502, "");
      return { access_token: freshJwt("ok"), refresh_token: "r-ok", expires_in: 900 };
    });
    const c = await s.keeper.credential();
    expect(c.type === "oauth" && c.refresh).toBe("r-ok");
    expect(s.sleeps).toEqual([1000]);
  });

  test("a failing persist does not fail the request", async () => {
    const s = await setup(cred(dueJwt("old"), "r0"));
    const keeper = new TokenKeeper({
      load: async () => cred(dueJwt("old"), "r0"),
      persist: async () => {
        throw new Error("server down");
      },
      refreshGrant: async () => ({ access_token: freshJwt("n"), refresh_token: "r-n", expires_in: 900 }),
      lockPath: join(await tempDir(), "l"),
    });
    const c = await keeper.credential();
    expect(c.type === "oauth" && c.refresh).toBe("r-n");
    expect(s.grants).toEqual([]);
  });

  test("no stored login: a login-required error naming the command", async () => {
    const s = await setup(undefined);
    const err = (await s.keeper.credential().catch((e: unknown) => e)) as KimiError;
    expect(err.kind).toBe("login-required");
    expect(err.message).toContain("Kimi Code (device login)");
  });

  test("an API key is never refreshed", async () => {
    const s = await setup({ type: "api", key: "sk-kimi-abc", apiBase: BASE });
    expect(await s.keeper.credential()).toEqual({ type: "api", key: "sk-kimi-abc", apiBase: BASE });
    expect(await s.keeper.forceRefresh("x")).toEqual({ type: "api", key: "sk-kimi-abc", apiBase: BASE });
    expect(s.grants).toEqual([]);
  });
});
