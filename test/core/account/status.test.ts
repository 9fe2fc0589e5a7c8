import { describe, expect, test } from "bun:test";
import { regionOf, statusLines, type StatusFacts } from "../../../src/core/account/status.ts";
import { REGIONS } from "../../../src/core/config/constants.ts";

const NOW = new Date(2026, 11, 2, 14, 0).getTime();
const facts = (over: Partial<StatusFacts> = {}): StatusFacts => ({
  login: { state: "present", path: "/h/.local/share/opencode/auth.json", credential: { type: "oauth", access: "eyJsecret", refresh: "r", expires: 0, apiBase: REGIONS.cn.apiBase } },
  apiBase: REGIONS.cn.apiBase,
  region: "cn",
  expiresAt: NOW + 14 * 60_000,
  identity: { name: "opencode", description: "opencode's own User-Agent" },
  models: { count: 4, fetchedAt: NOW - 3 * 60_000, stale: false },
  warnings: [],
  ...over,
});

describe("statusLines", () => {
  test("one fact per line, aligned, no token", () => {
    const lines = statusLines(facts(), NOW);
    expect(lines).toEqual([
      "Login     device login (OAuth)",
      "Auth file /h/.local/share/opencode/auth.json",
      `Region    cn (${REGIONS.cn.apiBase})`,
      "Expires   2026-12-02 14:14 (in 14 min)",
      "Identity  opencode (opencode's own User-Agent)",
      "Models    4 cached, fetched 3 min ago",
    ]);
    expect(lines.join("\n")).not.toContain("eyJ");
  });

  test("no login, an expired token, no cache, a stale cache and warnings each say so", () => {
    expect(statusLines(facts({ login: { state: "none", path: "/a" } }), NOW)[0]).toBe("Login     not logged in");
    expect(statusLines(facts({ expiresAt: NOW - 60_000 }), NOW).join("\n")).toContain("expired: refreshed on next use");
    expect(statusLines(facts({ models: { count: 0, stale: true } }), NOW).join("\n")).toContain("none cached yet");
    expect(statusLines(facts({ models: { count: 4, fetchedAt: NOW - 7 * 3600_000, stale: true } }), NOW)).toContain("          due for refresh at the next start");
    expect(statusLines(facts({ warnings: ['region "mars" is unknown'] }), NOW).at(-1)).toBe('Warning   region "mars" is unknown');
  });

  test("regions by API base", () => {
    expect(regionOf(REGIONS.global.apiBase)).toBe("global");
    expect(regionOf("http://127.0.0.1:1/coding/v1")).toBe("custom");
  });
});
