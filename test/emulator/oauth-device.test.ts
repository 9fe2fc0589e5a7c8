import { describe, expect, test } from "bun:test";
import { KIMI_CLIENT_ID, startEmulator } from "../../emulator/index.ts";
import { pollToken, postForm, startDeviceLogin, useEmulator } from "./helpers.ts";

describe("device authorization", () => {
  const box = useEmulator();

  test("answers Kimi's fields with the default interval and lifetime", async () => {
    const { emu } = box;
    const r = await startDeviceLogin(emu);
    expect(r.status).toBe(200);
    expect(r.json.device_code).toBeString();
    expect(r.json.user_code).toMatch(/^[A-Z]{4}-\d{4}$/);
    expect(r.json.verification_uri).toBe(`${emu.oauthHost}/device`);
    expect(r.json.verification_uri_complete).toContain(r.json.user_code);
    expect(r.json.verification_uri_complete.startsWith(emu.oauthHost)).toBe(true);
    expect(r.json.expires_in).toBe(900);
    expect(r.json.interval).toBe(5);
    expect(emu.state.pendingLogins().map((l) => l.userCode)).toEqual([r.json.user_code]);
  });

  test("rejects a missing or unknown client_id with 400 invalid_client", async () => {
    const { emu } = box;
    const missing = await postForm(`${emu.oauthHost}/api/oauth/device_authorization`, {});
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe("invalid_client");
    const unknown = await startDeviceLogin(emu, "not-kimi");
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe("invalid_client");
    expect(emu.state.logins).toHaveLength(0);
  });

  test("the accepted client ids are configurable", async () => {
    const { emu } = box;
    emu.state.configure({ clientIds: ["my-client"] });
    expect((await startDeviceLogin(emu, "my-client")).status).toBe(200);
    expect((await startDeviceLogin(emu, KIMI_CLIENT_ID)).json.error).toBe("invalid_client");
  });

  test("interval and expires_in are configurable; onDeviceLogin sees each login", async () => {
    const seen: string[] = [];
    const emu = await startEmulator({ pollIntervalSec: 1, deviceCodeLifetimeSec: 30, onDeviceLogin: (l) => seen.push(l.userCode) });
    try {
      const r = await startDeviceLogin(emu);
      expect(r.json.interval).toBe(1);
      expect(r.json.expires_in).toBe(30);
      expect(seen).toEqual([r.json.user_code]);
    } finally {
      await emu.stop();
    }
  });
});

describe("token polling", () => {
  const box = useEmulator({ pollIntervalSec: 1 });

  test("authorization_pending as HTTP 400 by default", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    const r = await pollToken(emu, login.json.device_code);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("authorization_pending");
    expect(r.json.error_description).toBeString();
    expect(r.json.access_token).toBeUndefined();
  });

  test("authorization_pending as HTTP 200 with pendingStatus 200", async () => {
    const { emu } = box;
    emu.state.configure({ pendingStatus: 200 });
    const login = await startDeviceLogin(emu);
    const r = await pollToken(emu, login.json.device_code);
    expect(r.status).toBe(200);
    expect(r.json.error).toBe("authorization_pending");
    expect(r.json.access_token).toBeUndefined();
  });

  test("slow_down when polled faster than the interval, and the interval grows by 5 s each time", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    expect((await pollToken(emu, login.json.device_code)).json.error).toBe("authorization_pending");
    const second = await pollToken(emu, login.json.device_code);
    expect(second.status).toBe(400);
    expect(second.json.error).toBe("slow_down");
    expect(emu.state.logins[0]!.intervalSec).toBe(6);
    expect((await pollToken(emu, login.json.device_code)).json.error).toBe("slow_down");
    expect(emu.state.logins[0]!.intervalSec).toBe(11);
    expect(emu.state.logins[0]!.slowDowns).toBe(2);
  });

  test("slow_down follows pendingStatus too", async () => {
    const { emu } = box;
    emu.state.configure({ pendingStatus: 200 });
    const login = await startDeviceLogin(emu);
    await pollToken(emu, login.json.device_code);
    const r = await pollToken(emu, login.json.device_code);
    expect(r.status).toBe(200);
    expect(r.json.error).toBe("slow_down");
  });

  test("a client that respects the interval never sees slow_down", async () => {
    const emu = await startEmulator({ pollIntervalSec: 0.05 });
    try {
      const login = await startDeviceLogin(emu);
      for (let i = 0; i < 3; i++) {
        expect((await pollToken(emu, login.json.device_code)).json.error).toBe("authorization_pending");
        await Bun.sleep(60);
      }
    } finally {
      await emu.stop();
    }
  });

  test("enforcePollInterval: false disables slow_down", async () => {
    const { emu } = box;
    emu.state.configure({ enforcePollInterval: false });
    const login = await startDeviceLogin(emu);
    for (let i = 0; i < 3; i++) expect((await pollToken(emu, login.json.device_code)).json.error).toBe("authorization_pending");
  });

  test("expired_token after expires_in", async () => {
    const emu = await startEmulator({ deviceCodeLifetimeSec: 0.05 });
    try {
      const login = await startDeviceLogin(emu);
      await Bun.sleep(70);
      const r = await pollToken(emu, login.json.device_code);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe("expired_token");
      expect(emu.state.pendingLogins()).toHaveLength(0);
    } finally {
      await emu.stop();
    }
  });

  test("state.expire() expires a login at once", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    expect(emu.state.expire(login.json.user_code).status).toBe("expired");
    expect((await pollToken(emu, login.json.device_code)).json.error).toBe("expired_token");
  });

  test("access_denied after deny", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    await pollToken(emu, login.json.device_code);
    emu.state.deny();
    const r = await pollToken(emu, login.json.device_code);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("access_denied");
  });

  test("success after approve, then the device code is spent (invalid_grant)", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    emu.state.approve();
    const ok = await pollToken(emu, login.json.device_code);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: "Bearer", scope: "kimi-code", expires_in: 900 });
    expect(ok.json.access_token.split(".")).toHaveLength(3);
    expect(ok.json.refresh_token).toBeString();
    expect(ok.json.error).toBeUndefined();
    expect(ok.headers.get("cache-control")).toBe("no-store");
    const again = await pollToken(emu, login.json.device_code);
    expect(again.status).toBe(400);
    expect(again.json.error).toBe("invalid_grant");
    expect(emu.state.tokens.checkAccess(ok.json.access_token)).toBe("valid");
  });

  test("approve(userCode) picks that login; approve() the newest pending one", async () => {
    const { emu } = box;
    const first = await startDeviceLogin(emu);
    const second = await startDeviceLogin(emu);
    const third = await startDeviceLogin(emu);
    expect(emu.state.approve(first.json.user_code).deviceCode).toBe(first.json.device_code);
    expect(emu.state.approve().deviceCode).toBe(third.json.device_code);
    expect(emu.state.pendingLogins().map((l) => l.userCode)).toEqual([second.json.user_code]);
    expect((await pollToken(emu, second.json.device_code)).json.error).toBe("authorization_pending");
    expect((await pollToken(emu, first.json.device_code)).status).toBe(200);
  });

  test("approve/deny/expire throw when there is nothing to settle", async () => {
    const { emu } = box;
    expect(() => emu.state.approve()).toThrow("no pending device login");
    expect(() => emu.state.deny("ZZZZ-0000")).toThrow("ZZZZ-0000");
    await startDeviceLogin(emu);
    emu.state.deny();
    expect(() => emu.state.expire()).toThrow();
  });

  test("auto-approves after N pending polls", async () => {
    const emu = await startEmulator({ autoApproveAfterPolls: 2, enforcePollInterval: false });
    try {
      const login = await startDeviceLogin(emu);
      expect((await pollToken(emu, login.json.device_code)).json.error).toBe("authorization_pending");
      expect((await pollToken(emu, login.json.device_code)).json.error).toBe("authorization_pending");
      const third = await pollToken(emu, login.json.device_code);
      expect(third.status).toBe(200);
      expect(third.json.access_token).toBeString();
      expect(emu.state.logins[0]).toMatchObject({ polls: 3, pendingPolls: 2, status: "consumed" });
    } finally {
      await emu.stop();
    }
  });

  test("unknown device code, device code of another client, missing fields, unknown grant", async () => {
    const { emu } = box;
    emu.state.configure({ clientIds: [KIMI_CLIENT_ID, "other"] });
    const url = `${emu.oauthHost}/api/oauth/token`;
    expect((await pollToken(emu, "nope")).json.error).toBe("invalid_grant");
    const login = await startDeviceLogin(emu);
    expect((await pollToken(emu, login.json.device_code, "other")).json.error).toBe("invalid_grant");
    const noDevice = await postForm(url, { client_id: KIMI_CLIENT_ID, grant_type: "urn:ietf:params:oauth:grant-type:device_code" });
    expect([noDevice.status, noDevice.json.error]).toEqual([400, "invalid_request"]);
    const noClient = await postForm(url, { device_code: login.json.device_code, grant_type: "urn:ietf:params:oauth:grant-type:device_code" });
    expect([noClient.status, noClient.json.error]).toEqual([400, "invalid_request"]);
    const noGrant = await postForm(url, { client_id: KIMI_CLIENT_ID });
    expect([noGrant.status, noGrant.json.error]).toEqual([400, "invalid_request"]);
    const badGrant = await postForm(url, { client_id: KIMI_CLIENT_ID, grant_type: "password" });
    expect([badGrant.status, badGrant.json.error]).toEqual([400, "unsupported_grant_type"]);
    const badClient = await pollToken(emu, login.json.device_code, "stranger");
    expect([badClient.status, badClient.json.error]).toEqual([400, "invalid_client"]);
  });
});

describe("verification page", () => {
  const box = useEmulator({ enforcePollInterval: false });

  test("shows the code with Approve/Deny forms; Approve lets the poll succeed", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    const page = await fetch(login.json.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain(login.json.user_code);
    expect(html).toContain('action="/device/approve"');
    expect(html).toContain('action="/device/deny"');
    const approved = await fetch(`${emu.oauthHost}/device/approve`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `user_code=${login.json.user_code}`,
    });
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain("Approved");
    expect((await pollToken(emu, login.json.device_code)).status).toBe(200);
  });

  test("Deny makes the poll answer access_denied; an unknown code is a 404 page", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    const denied = await fetch(`${emu.oauthHost}/device/deny`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `user_code=${login.json.user_code}`,
    });
    expect(denied.status).toBe(200);
    expect((await pollToken(emu, login.json.device_code)).json.error).toBe("access_denied");
    expect((await fetch(`${emu.oauthHost}/device?user_code=QQQQ-0000`)).status).toBe(404);
    const again = await fetch(`${emu.oauthHost}/device/approve`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `user_code=${login.json.user_code}`,
    });
    expect(again.status).toBe(400);
  });
});
