// The device login method's own failure before any poll: it says what happened and what to do next.
import { expect, test } from "bun:test";
import { deviceLoginMethod } from "../../../src/core/login/auth-methods.ts";
import { HttpError } from "../../../src/core/support/http.ts";

test("a login that cannot start names the server's answer and the next step", async () => {
  const method = deviceLoginMethod({
    apiBase: "https://api.kimi.com/coding/v1",
    oauth: {
      host: "https://auth.kimi.com",
      deviceAuthorization: async () => {
        throw new HttpError("device authorization failed (HTTP 500): server_error", "http", 500);
      },
      pollDeviceToken: async () => ({ kind: "pending" }),
    },
  });
  const started = await method.authorize();
  expect(started.url).toBe("");
  expect(started.instructions).toContain("device authorization failed (HTTP 500)");
  expect(started.instructions).toMatch(/check your network connection.*run the login again/i);
  expect(await started.callback()).toEqual({ type: "failed" });
});
