import { describe, expect, test } from "bun:test";
import { cancelled, httpFailure, networkFailure, timeoutFailure, type FailureContext } from "../../../src/core/web/failures.ts";

const GATE = "Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.";
const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({
  service: "search",
  identity: { name: "opencode", description: "opencode's own User-Agent" },
  credentialType: "oauth",
  retried: false,
  ...over,
});
const err = (message: string, type = "x") => ({ error: { message, type } });

describe("httpFailure", () => {
  test("401: log in again; after the retry it says so; an API key is named", () => {
    expect(httpFailure(401, err("Invalid"), ctx())).toContain("login is no longer valid (HTTP 401). Run `opencode auth login`");
    expect(httpFailure(401, err("Invalid"), ctx({ retried: true }))).toContain("even after a token refresh (HTTP 401)");
    expect(httpFailure(401, err("Invalid"), ctx({ credentialType: "api" }))).toContain('rejected the API key (HTTP 401: "Invalid")');
  });

  test("402: membership", () => {
    expect(httpFailure(402, err("expired"), ctx({ service: "fetch" }))).toBe(
      'Kimi URL fetch failed: the Kimi Code membership has expired (HTTP 402: "expired"). Renew the plan at https://www.kimi.com/code.',
    );
  });

  test("403 gate: the identity and what to do about it, per identity", () => {
    const honest = httpFailure(403, err(GATE, "access_terminated_error"), ctx());
    expect(honest).toContain("went out as opencode's own User-Agent (identity \"opencode\")");
    expect(honest).toContain('opt-in identity "kimi-cli"');
    const parity = httpFailure(403, err(GATE, "access_terminated_error"), ctx({ identity: { name: "kimi-cli", description: "kimi-cli 1.49.0" } }));
    expect(parity).toContain('Switch back to the default identity "opencode"');
  });

  test("403 quota or a blocked account: no identity advice", () => {
    const quota = httpFailure(403, err("Your weekly quota is exhausted", "access_terminated_error"), ctx());
    expect(quota).toContain("usage quota is used up");
    expect(quota).toContain("usage page could not be read");
    expect(quota).not.toContain("identity");
    const blocked = httpFailure(403, err("Account suspended", "access_terminated_error"), ctx());
    expect(blocked).toBe('Kimi web search failed: Kimi refused the request for this account (HTTP 403: "Account suspended").');
  });

  test("403 weekly quota: the window and its reset from /usages, as chat words it", () => {
    const now = new Date("2026-03-01T10:00:00Z");
    const windows = [
      { label: "5h limit", used: 3, limit: 300, remaining: 297, resetAt: new Date("2026-03-01T11:00:00Z"), unit: "count" as const },
      { label: "Weekly limit", used: 2000, limit: 2000, remaining: 0, resetAt: new Date("2026-03-03T15:00:00Z"), unit: "count" as const },
    ];
    const body = err("You've reached your weekly (7-day) usage limit. To continue now, purchase extra usage or upgrade your plan: https://www.kimi.com/membership/subscription?tab=quota", "access_terminated_error");
    const out = httpFailure(403, body, ctx({ service: "fetch" }), { quota: windows, now });
    expect(out).toStartWith("Kimi URL fetch failed: Kimi Code's weekly (7-day) usage limit is used up");
    expect(out).toContain("(in 2 d 5 h)");
    expect(out).toContain("https://www.kimi.com/membership/subscription?tab=quota");
  });

  test("429: the wait Kimi asks for and, from /usages, when the window resets", () => {
    const now = new Date("2026-03-01T10:00:00Z");
    const windows = [{ label: "5h limit", used: 300, limit: 300, remaining: 0, resetAt: new Date("2026-03-01T11:00:00Z"), unit: "count" as const }];
    const out = httpFailure(429, err("limit"), ctx(), { retryAfterSec: 3600, quota: windows, now });
    expect(out).toContain("rate limit is reached (HTTP 429");
    expect(out).toContain("Kimi Code quota exhausted: 5h limit used 300/300, resets");
    expect(out).toContain("(in 1 h)");
    expect(out).toEndWith("Kimi asks to wait 60 min.");
    expect(httpFailure(429, "", ctx())).toBe("Kimi web search failed: Kimi Code's rate limit is reached (HTTP 429).");
  });

  test("5xx and other statuses; long server text is cut", () => {
    expect(httpFailure(503, "<html>", ctx())).toBe("Kimi web search failed: Kimi's service had an error (HTTP 503). Try again in a moment.");
    const long = httpFailure(404, "x".repeat(1000), ctx());
    expect(long.length).toBeLessThan(400);
  });
});

test("timeout, network and cancel sentences", () => {
  expect(timeoutFailure("search", 60_000)).toBe("Kimi web search failed: Kimi did not answer within 60 s. Try again, or a narrower query.");
  expect(networkFailure("fetch", "api.kimi.com", "ECONNREFUSED")).toBe("Kimi URL fetch failed: could not reach api.kimi.com (ECONNREFUSED).");
  expect(cancelled("fetch")).toBe("Kimi URL fetch was cancelled.");
});
