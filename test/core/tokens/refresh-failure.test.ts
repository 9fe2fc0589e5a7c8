// What a failed refresh grant means: retry, or a final error worded by cause.
import { describe, expect, test } from "bun:test";
import { KimiError } from "../../../src/core/support/errors.ts";
import { HttpError } from "../../../src/core/support/http.ts";
import { classifyRefreshFailure } from "../../../src/core/tokens/refresh-failure.ts";

const http = (status: number | undefined, body?: unknown, kind: ConstructorParameters<typeof HttpError>[1] = "http") =>
  new HttpError(`token refresh failed (HTTP ${status})`, kind, status, body);

describe("classifyRefreshFailure", () => {
  test("network failures and 5xx/429 are retried", () => {
    expect(classifyRefreshFailure(new Error("ECONNREFUSED")).retry).toBe(true);
    expect(classifyRefreshFailure(http(503)).retry).toBe(true);
    expect(classifyRefreshFailure(http(429)).retry).toBe(true);
  });

  test("invalid_grant, 401 and 403 ask for a new login", () => {
    for (const e of [http(400, { error: "invalid_grant" }), http(401), http(403)]) {
      const r = classifyRefreshFailure(e);
      expect(r.retry).toBe(false);
      if (!r.retry) expect(r.error.kind).toBe("login-required");
    }
  });

  test("invalid_client and a 200 without tokens are final refusals, not network trouble", () => {
    for (const e of [http(400, { error: "invalid_client" }), http(200)]) {
      const r = classifyRefreshFailure(e);
      expect(r.retry).toBe(false);
      if (!r.retry) expect(r.error.kind).toBe("refresh-refused");
    }
  });

  test("a header HTTP cannot carry: the grant was never sent, so it is final and never retried", () => {
    const r = classifyRefreshFailure(new HttpError("request to auth.kimi.com not sent: X-Msh-Device-Id contains a line break", "header"));
    expect(r.retry).toBe(false);
    if (!r.retry) {
      expect(r.error).toBeInstanceOf(KimiError);
      expect(r.error.kind).toBe("bad-header");
      expect(r.error.message).toContain("device_id");
    }
  });
});
