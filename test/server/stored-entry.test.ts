import { describe, expect, test } from "bun:test";
import { credentialFromStore } from "../../src/core/tokens/credential.ts";
import { isStoredLogin } from "../../src/server/stored-entry.ts";

// The start path decides whether the web tools exist from isStoredLogin, without loading the token
// code; the loader later uses credentialFromStore. A login one accepts and the other refuses would
// offer tools that cannot run, or hide tools from a user who is logged in.
const ENTRIES: unknown[] = [
  undefined,
  null,
  "oauth",
  42,
  [],
  {},
  { type: "oauth" },
  { type: "oauth", access: "a", refresh: "r", expires: 1 },
  { type: "oauth", access: "", refresh: "" },
  { type: "oauth", access: "a" },
  { type: "oauth", access: 1, refresh: "r" },
  { type: "oauth", access: "a", refresh: "r", enterpriseUrl: "https://api.kimi.com/coding/v1" },
  { type: "api", key: "sk-kimi-x" },
  { type: "api", key: "" },
  { type: "api", key: 7 },
  { type: "api", key: "k", metadata: { baseURL: "http://127.0.0.1:1/coding/v1" } },
  { type: "wellknown", key: "k", token: "t" },
  { type: "API", key: "k" },
];

describe("isStoredLogin (start path) agrees with credentialFromStore (loader)", () => {
  for (const entry of ENTRIES) {
    test(JSON.stringify(entry) ?? "undefined", () => {
      expect(isStoredLogin(entry)).toBe(credentialFromStore(entry, "https://api.kimi.com/coding/v1") !== undefined);
    });
  }
  test("both accept a login and refuse a stranger (the table above is not vacuous)", () => {
    expect(ENTRIES.filter((e) => isStoredLogin(e)).length).toBeGreaterThanOrEqual(4);
    expect(ENTRIES.filter((e) => !isStoredLogin(e)).length).toBeGreaterThanOrEqual(8);
  });
});
