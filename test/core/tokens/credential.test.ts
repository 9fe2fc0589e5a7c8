import { describe, expect, test } from "bun:test";
import {
  credentialFromStore,
  credentialFromTokens,
  credentialToStore,
  decodeJwtClaims,
  needsRefresh,
  parseTokenResponse,
  refreshThresholdMs,
  tokenTiming,
} from "../../../src/core/tokens/credential.ts";
import { fakeJwt } from "../../helpers/tmp.ts";

const NOW = 1_800_000_000_000;
const jwt = (iatOffsetS: number, lifetimeS: number) =>
  fakeJwt({ iat: Math.floor(NOW / 1000) + iatOffsetS, exp: Math.floor(NOW / 1000) + iatOffsetS + lifetimeS, scope: "kimi-code" });

describe("refresh timing (kimi-cli oauth.py: refresh when < max(300 s, half the lifetime) remains)", () => {
  test("a 900 s token is refreshed once less than 450 s remain", () => {
    expect(needsRefresh({ access: jwt(-449, 900), expires: 0 }, NOW)).toBe(false); // 451 s left
    expect(needsRefresh({ access: jwt(-451, 900), expires: 0 }, NOW)).toBe(true); // 449 s left
  });
  test("a 3600 s token waits until half its life (1800 s) remains", () => {
    expect(needsRefresh({ access: jwt(-1700, 3600), expires: 0 }, NOW)).toBe(false);
    expect(needsRefresh({ access: jwt(-1900, 3600), expires: 0 }, NOW)).toBe(true);
  });
  test("the 300 s floor applies when the lifetime is unknown (no JWT)", () => {
    expect(needsRefresh({ access: "opaque", expires: NOW + 301_000 }, NOW)).toBe(false);
    expect(needsRefresh({ access: "opaque", expires: NOW + 299_000 }, NOW)).toBe(true);
  });
  test("the 300 s floor applies for a 600 s token; shorter (test) tokens use half their lifetime", () => {
    expect(refreshThresholdMs(600_000)).toBe(300_000);
    expect(refreshThresholdMs(900_000)).toBe(450_000);
    expect(refreshThresholdMs(undefined)).toBe(300_000);
    expect(refreshThresholdMs(10_000)).toBe(5_000);
    expect(needsRefresh({ access: jwt(-4, 10), expires: 0 }, NOW)).toBe(false); // 6 s of 10 left
    expect(needsRefresh({ access: jwt(-6, 10), expires: 0 }, NOW)).toBe(true);
  });
  test("expired, zero or missing expiry and empty tokens are due", () => {
    expect(needsRefresh({ access: jwt(-1000, 900), expires: 0 }, NOW)).toBe(true);
    expect(needsRefresh({ access: "opaque", expires: 0 }, NOW)).toBe(true);
    expect(needsRefresh({ access: "", expires: NOW + 10_000_000 }, NOW)).toBe(true);
    expect(needsRefresh({ access: "opaque", expires: Number.NaN }, NOW)).toBe(true);
  });
  test("the stored expires (local clock) wins over the JWT's exp (Kimi's clock); exp only when none is stored", () => {
    const t = tokenTiming({ access: jwt(0, 900), expires: NOW + 5_000 });
    expect(t.expiresAt).toBe(NOW + 5_000);
    expect(t.lifetimeMs).toBe(900_000);
    expect(tokenTiming({ access: jwt(0, 900), expires: 0 }).expiresAt).toBe(NOW + 900_000);
  });
});

describe("JWT claims", () => {
  test("decodes the payload, rejects non-JWTs", () => {
    expect(decodeJwtClaims(fakeJwt({ exp: 5, sub: "u" }))).toEqual({ exp: 5, sub: "u" });
    expect(decodeJwtClaims("not-a-jwt")).toBeUndefined();
    expect(decodeJwtClaims("a.b.c")).toBeUndefined();
    expect(decodeJwtClaims(`x.${Buffer.from("[1]").toString("base64url")}.y`)).toBeUndefined();
  });
});

describe("token responses and stored credentials", () => {
  test("parseTokenResponse requires access_token, refresh_token and a positive expires_in", () => {
    expect(parseTokenResponse({ access_token: "a", refresh_token: "r", expires_in: "900", scope: "kimi-code" })).toEqual({
      access_token: "a",
      refresh_token: "r",
      expires_in: 900,
      scope: "kimi-code",
    });
    expect(() => parseTokenResponse({ refresh_token: "r", expires_in: 1 })).toThrow(/access_token/);
    expect(() => parseTokenResponse({ access_token: "a", expires_in: 1 })).toThrow(/refresh_token/);
    expect(() => parseTokenResponse({ access_token: "a", refresh_token: "r", expires_in: 0 })).toThrow(/expires_in/);
    expect(() => parseTokenResponse("<html>")).toThrow(/JSON object/);
  });
  test("expires is an integer of ms (opencode drops non-integers)", () => {
    const c = credentialFromTokens({ access_token: "opaque", refresh_token: "r", expires_in: 900.7 }, "https://b", NOW + 0.5);
    expect(Number.isInteger(c.expires)).toBe(true);
    expect(c.expires).toBe(Math.floor(NOW + 0.5 + 900_700));
    const j = credentialFromTokens({ access_token: jwt(0, 900), refresh_token: "r", expires_in: 900 }, "https://b", NOW);
    expect(j.expires).toBe(NOW + 900_000);
    // an expires_in beyond the JWT's own lifetime is capped by it
    const capped = credentialFromTokens({ access_token: jwt(0, 900), refresh_token: "r", expires_in: 1e306 }, "https://b", NOW);
    expect(capped.expires).toBe(NOW + 900_000);
  });
  test("the API base round-trips through the fields opencode's auth store keeps", () => {
    const oauth = { type: "oauth" as const, access: "a", refresh: "r", expires: 5, apiBase: "https://api.kimi.ai/coding/v1" };
    expect(credentialToStore(oauth)).toEqual({ type: "oauth", access: "a", refresh: "r", expires: 5, enterpriseUrl: oauth.apiBase });
    expect(credentialFromStore(credentialToStore(oauth), "https://default")).toEqual(oauth);
    const api = { type: "api" as const, key: "sk-kimi-x", apiBase: "https://api.kimi.ai/coding/v1" };
    expect(credentialFromStore(credentialToStore(api), "https://default")).toEqual(api);
  });
  test("a stored entry without a base belongs to the configured base; junk is no credential", () => {
    expect(credentialFromStore({ type: "oauth", access: "a", refresh: "r", expires: 1 }, "https://d")?.apiBase).toBe("https://d");
    expect(credentialFromStore({ type: "api", key: " sk-kimi-k " }, "https://d")).toEqual({ type: "api", key: "sk-kimi-k", apiBase: "https://d" });
    expect(credentialFromStore(undefined, "https://d")).toBeUndefined();
    expect(credentialFromStore({ type: "wellknown", key: "k", token: "t" }, "https://d")).toBeUndefined();
    expect(credentialFromStore({ type: "oauth", access: 1 }, "https://d")).toBeUndefined();
  });
});

describe("clock skew (issue 8 F5): expiry is kept on the local clock, as kimi-cli does", () => {
  for (const skewS of [3600, -3600]) {
    test(`local clock ${skewS > 0 ? "ahead of" : "behind"} Kimi's by 1 h: a new token is fresh, then due after half its life`, () => {
      const localNow = NOW + skewS * 1000;
      const tokens = { access_token: jwt(0, 900), refresh_token: "r", expires_in: 900 }; // iat/exp on Kimi's clock
      const c = credentialFromTokens(tokens, "https://b", localNow);
      expect(c.expires).toBe(localNow + 900_000);
      expect(needsRefresh(c, localNow)).toBe(false);
      expect(needsRefresh(c, localNow + 449_000)).toBe(false);
      expect(needsRefresh(c, localNow + 451_000)).toBe(true);
    });
  }
});
