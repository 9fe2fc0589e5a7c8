// The keeper against the store's changes and failures (issue 8): a failed save, a logout, a login
// made while a refresh was out, lock files that cannot be created, permanent refusals, clock skew,
// and aborted requests. The store is in memory; the token endpoint is scripted.
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { KimiError, triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import { HttpError } from "../../../src/core/support/http.ts";
import { credentialFromTokens, type Credential, type OAuthCredential, type TokenResponse } from "../../../src/core/tokens/credential.ts";
import { TokenKeeper } from "../../../src/core/tokens/keeper.ts";
import { fakeJwt, tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";
const T0 = Date.now();

/** A Kimi-like token endpoint on a server clock (`serverNow`), single-use refresh tokens. */
function tokenEndpoint(serverNow: () => number) {
  const spent = new Set<string>();
  let n = 0;
  return {
    grants: [] as string[],
    issue(tag = `${++n}`): TokenResponse {
      const s = Math.floor(serverNow() / 1000);
      return { access_token: fakeJwt({ iat: s, exp: s + 900, jti: `a${tag}` }), refresh_token: `r${tag}`, expires_in: 900 };
    },
    async grant(refresh: string): Promise<TokenResponse> {
      this.grants.push(refresh);
      if (spent.has(refresh)) throw new HttpError("token refresh failed (HTTP 401 invalid_grant)", "unauthorized", 401, { error: "invalid_grant" });
      spent.add(refresh);
      return this.issue();
    },
  };
}

/** A keeper over an in-memory store, a clock the test moves, and a scripted endpoint. */
async function world(opts: { skewMs?: number; lockPath?: string; grant?: (refresh: string) => Promise<TokenResponse> } = {}) {
  let serverTime = T0;
  const local = () => serverTime + (opts.skewMs ?? 0);
  const endpoint = tokenEndpoint(() => serverTime);
  let stored: Credential | undefined = credentialFromTokens(endpoint.issue("0"), BASE, local());
  const w = {
    endpoint,
    failSaves: 0,
    saves: [] as OAuthCredential[],
    duringGrant: undefined as (() => void) | undefined,
    stored: () => stored,
    setStored: (c: Credential | undefined) => (stored = c),
    advance: (ms: number) => (serverTime += ms),
    keeper: undefined as unknown as TokenKeeper,
  };
  w.keeper = new TokenKeeper({
    load: async () => stored,
    persist: async (c) => {
      if (w.failSaves > 0) {
        w.failSaves--;
        throw new Error("ENOSPC: no space left on device, write");
      }
      w.saves.push(c);
      stored = c;
    },
    refreshGrant: async (refresh) => {
      w.duringGrant?.();
      return opts.grant ? opts.grant(refresh) : endpoint.grant(refresh);
    },
    lockPath: opts.lockPath ?? join(await tempDir(), "auth.json.lock"),
    now: local,
    sleep: async () => {},
  });
  return w;
}

const refreshOf = (c: Credential | undefined) => (c?.type === "oauth" ? c.refresh : undefined);
const LATER = 500_000; // past half of a 900 s token's life

describe("a failed save of rotated tokens (F2)", () => {
  test("the unsaved rotation stays in use: the next refresh sends it, not the spent stored one", async () => {
    const w = await world();
    w.advance(LATER);
    w.failSaves = 10; // the disk stays full
    expect(refreshOf(await w.keeper.credential())).toBe("r1");
    expect(refreshOf(w.stored())).toBe("r0"); // the store still holds the spent token
    w.advance(LATER);
    expect(refreshOf(await w.keeper.credential())).toBe("r2");
    expect(w.endpoint.grants).toEqual(["r0", "r1"]); // never the spent r0 again: no invalid_grant, no login
  });

  test("the save is retried: under the lock at the next refresh, and in the background before that", async () => {
    const w = await world();
    w.advance(LATER);
    w.failSaves = 1;
    await w.keeper.credential();
    expect(refreshOf(w.stored())).toBe("r0");
    w.advance(60_000); // the token is still fresh; a request a minute later retries the save off the request path
    expect(refreshOf(await w.keeper.credential())).toBe("r1");
    await w.keeper.settled();
    expect(refreshOf(w.stored())).toBe("r1");
    expect(w.endpoint.grants).toEqual(["r0"]);

    const v = await world();
    v.advance(LATER);
    v.failSaves = 1;
    await v.keeper.credential();
    v.keeper.reset(); // e.g. opencode reloads the provider: memory is re-read from the store
    v.advance(LATER);
    expect(refreshOf(await v.keeper.credential())).toBe("r2");
    expect(v.endpoint.grants).toEqual(["r0", "r1"]);
    expect(v.saves.map((c) => c.refresh)).toEqual(["r1", "r2"]); // the pending save first, then the new rotation
  });
});

describe("opencode auth logout (F3)", () => {
  test("no stored entry: no refresh, no write-back, a log-in error", async () => {
    const w = await world();
    await w.keeper.credential();
    w.setStored(undefined); // `opencode auth logout` in another terminal
    w.advance(LATER);
    const err = (await w.keeper.credential().catch((e: unknown) => e)) as KimiError;
    expect(err).toBeInstanceOf(KimiError);
    expect(err.kind).toBe("login-required");
    expect(err.message).toContain("opencode auth login");
    expect(await w.keeper.forceRefresh("x").catch((e: unknown) => (e as KimiError).kind)).toBe("login-required");
    expect(w.endpoint.grants).toEqual([]);
    expect(w.saves).toEqual([]);
    expect(w.stored()).toBeUndefined();
  });

  test("a fresh token in memory stops being used once a background re-read finds the entry gone", async () => {
    const w = await world();
    await w.keeper.credential();
    w.setStored(undefined);
    w.advance(60_000);
    await w.keeper.credential(); // still served from memory; the re-read runs off the request path
    await w.keeper.settled();
    expect(await w.keeper.credential().catch((e: unknown) => (e as KimiError).kind)).toBe("login-required");
    expect(w.stored()).toBeUndefined();
  });

  test("a logout while the refresh grant is out: the rotation is dropped, not written back", async () => {
    const w = await world();
    w.advance(LATER);
    w.duringGrant = () => w.setStored(undefined);
    expect(await w.keeper.credential().catch((e: unknown) => (e as KimiError).kind)).toBe("login-required");
    expect(w.saves).toEqual([]);
    expect(w.stored()).toBeUndefined();
  });
});

describe("a device login while a refresh is out (also close)", () => {
  test("the new login wins: the rotation of the old login never overwrites it", async () => {
    const w = await world();
    w.advance(LATER);
    const newLogin = credentialFromTokens({ access_token: fakeJwt({ iat: 1, exp: 901, jti: "new" }), refresh_token: "r-new", expires_in: 900 }, BASE, T0 + LATER);
    w.duringGrant = () => w.setStored(newLogin);
    const c = await w.keeper.credential();
    expect(refreshOf(c)).toBe("r-new");
    expect(w.saves).toEqual([]);
    expect(w.stored()).toEqual(newLogin);
  });
});

describe("lock failures (F6)", () => {
  test("a lock file that cannot be created: the refresh goes ahead without it", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "file"), "x");
    const w = await world({ lockPath: join(dir, "file", "auth.json.lock") });
    w.advance(LATER);
    expect(refreshOf(await w.keeper.credential())).toBe("r1");
    expect(refreshOf(w.stored())).toBe("r1");
  });
});

describe("permanent refresh refusals (F7)", () => {
  const refusals: [string, HttpError, RegExp][] = [
    ["400 invalid_client", new HttpError("token refresh failed (HTTP 400 invalid_client)", "http", 400, { error: "invalid_client" }), /does not accept this client/],
    ["400 invalid_request", new HttpError("token refresh failed (HTTP 400 invalid_request)", "http", 400, { error: "invalid_request" }), /rejected the plugin's refresh request as invalid/],
    ["200 without access_token", new HttpError("refresh answer invalid: token response has no access_token", "shape", 200, {}), /without usable tokens/],
    ["404 from a wrong host", new HttpError("token refresh failed (HTTP 404)", "http", 404, "not found"), /refused to refresh your login/],
  ];
  for (const [name, failure, wording] of refusals) {
    test(`${name}: final, worded by its cause, not retried, not sent again until the store changes`, async () => {
      const grants: string[] = [];
      const w = await world({
        grant: async (r) => {
          grants.push(r);
          throw failure;
        },
      });
      w.advance(LATER);
      const err = (await w.keeper.credential().catch((e: unknown) => e)) as KimiError;
      expect(err).toBeInstanceOf(KimiError);
      expect(err.kind).toBe("refresh-refused");
      expect(err.status).toBeLessThan(500);
      expect([408, 409, 429]).not.toContain(err.status);
      expect(err.message).toMatch(wording);
      expect(err.message).not.toMatch(/network/i);
      expect(triggersOpencodeRetry(err.message)).toBe(false);
      expect(grants).toEqual(["r0"]); // no retries
      expect((await w.keeper.credential().catch((e: unknown) => e)) as KimiError).toBe(err);
      expect(grants).toEqual(["r0"]); // remembered
      w.setStored({ ...(w.stored() as OAuthCredential), refresh: "r-relogin", expires: 0 });
      await w.keeper.credential().catch(() => {});
      expect(grants).toEqual(["r0", "r-relogin"]);
    });
  }
});

describe("clock skew (F5)", () => {
  /** Requests every 10 s for 30 min of Kimi's time; the refreshes that caused. */
  async function refreshesOver30Min(skewMs: number): Promise<number> {
    const w = await world({ skewMs });
    for (let t = 0; t < 1_800_000; t += 10_000) {
      await w.keeper.credential();
      w.advance(10_000);
    }
    return w.endpoint.grants.length;
  }
  test("the local clock 1 h ahead of or behind Kimi's: one refresh per token lifetime, as without skew", async () => {
    const base = await refreshesOver30Min(0);
    expect(base).toBeGreaterThanOrEqual(3);
    expect(base).toBeLessThanOrEqual(4);
    expect(await refreshesOver30Min(3_600_000)).toBe(base);
    expect(await refreshesOver30Min(-3_600_000)).toBe(base);
  });
});

describe("aborted requests (F8)", () => {
  /** Rejects when the promise has not settled after the bound: the test fails instead of hanging. */
  const settledWithin = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p.then(() => "resolved", (e: unknown) => e), Bun.sleep(ms).then(() => "still waiting")]);

  test("a request aborted during the refresh grant settles at once; the shared refresh goes on for the others", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const w: Awaited<ReturnType<typeof world>> = await world({
      grant: async (r) => {
        await gate;
        return w.endpoint.grant(r);
      },
    });
    w.advance(LATER);
    const ac = new AbortController();
    const aborted = w.keeper.credential(ac.signal);
    const other = w.keeper.credential();
    ac.abort();
    const outcome = await settledWithin(aborted, 5_000);
    expect(outcome).toBeInstanceOf(DOMException);
    expect((outcome as DOMException).name).toBe("AbortError");
    release();
    expect(refreshOf(await other)).toBe("r1");
    expect(w.endpoint.grants).toEqual(["r0"]);
  });

  test("a request aborted while another process holds the lock settles at once", async () => {
    const dir = await tempDir();
    const lockPath = join(dir, "auth.json.lock");
    await writeFile(lockPath, `${process.pid} ${hostname()} ${Date.now()} other-holder`);
    const w = await world({ lockPath });
    w.advance(LATER);
    const ac = new AbortController();
    const aborted = w.keeper.credential(ac.signal);
    setTimeout(() => ac.abort(new Error("user pressed Esc")), 50);
    expect(((await settledWithin(aborted, 5_000)) as Error).message).toBe("user pressed Esc");
    await Bun.file(lockPath).delete(); // the other process finishes; our shared refresh completes
    expect(refreshOf(await w.keeper.credential())).toBe("r1");
  }, 20_000);
});
