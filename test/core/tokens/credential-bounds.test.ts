// Token answers with absurd lifetimes (issue 8 F12): `expires` stays an integer (contract 6), capped.
import { expect, test } from "bun:test";
import * as constants from "../../../src/core/config/constants.ts";
import { credentialFromTokens, credentialToStore, parseTokenResponse } from "../../../src/core/tokens/credential.ts";
import { fakeJwt } from "../../helpers/tmp.ts";

const NOW = 1_800_000_000_000;
// Through the namespace (documented value as fallback) so this file loads on older code too.
const MAX_TOKEN_LIFETIME_S = (constants as unknown as Record<string, number | undefined>).MAX_TOKEN_LIFETIME_S ?? 30 * 24 * 3600;

for (const [name, answer] of [
  ["expires_in 1e306", { access_token: "opaque-access", refresh_token: "r", expires_in: 1e306 }],
  ["expires_in as the string 1e306", { access_token: "opaque-access", refresh_token: "r", expires_in: "1e306" }],
  ["a JWT whose exp is 1e306", { access_token: fakeJwt({ exp: 1e306, iat: 1 }), refresh_token: "r", expires_in: 900 }],
] as const) {
  test(`${name}: expires is a safe integer at most ${MAX_TOKEN_LIFETIME_S} s away, and survives JSON`, () => {
    const c = credentialFromTokens(parseTokenResponse(answer), "https://api.kimi.com/coding/v1", NOW);
    expect(Number.isSafeInteger(c.expires)).toBe(true);
    expect(c.expires).toBeGreaterThan(NOW);
    expect(c.expires).toBeLessThanOrEqual(NOW + MAX_TOKEN_LIFETIME_S * 1000);
    expect(JSON.parse(JSON.stringify(credentialToStore(c))).expires).toBe(c.expires);
  });
}

test("an ordinary 900 s answer is untouched", () => {
  const c = credentialFromTokens(parseTokenResponse({ access_token: "a", refresh_token: "r", expires_in: 900 }), "https://x", NOW);
  expect(c.expires).toBe(NOW + 900_000);
});
