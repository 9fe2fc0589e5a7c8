// The OAuth client's failure messages, against the emulator: what the user reads when a login cannot start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HTML_ERROR_PAGE, startEmulator, type RunningEmulator } from "../../../emulator/index.ts";
import { OAuthClient } from "../../../src/core/login/oauth-client.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const AUTHORIZE = "/api/oauth/device_authorization";
const client = () => new OAuthClient({ oauthHost: emu.oauthHost, headers: async () => ({}) });
const startError = () => client().deviceAuthorization().then(() => "", (e: Error) => e.message);

describe("device authorization failures", () => {
  test("an HTML error page is named as such, not quoted (issue 14 §2: a clear message)", async () => {
    emu.state.injectHtmlError(AUTHORIZE, { status: 502 });
    const message = await startError();
    expect(message).toContain("HTTP 502");
    expect(message).not.toContain("<");
    expect(message).not.toContain(HTML_ERROR_PAGE.slice(0, 20));
  });

  test("an OAuth error body is still quoted", async () => {
    emu.state.injectFault({ path: AUTHORIZE, status: 400, body: { error: "invalid_client", error_description: "unknown client" } });
    expect(await startError()).toBe("device authorization failed (HTTP 400): unknown client");
  });
});
