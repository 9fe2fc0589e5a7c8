import { describe, expect, test } from "bun:test";
import { decodeJwt, KIMI_CLIENT_ID } from "../../emulator/index.ts";
import { getJson, pollToken, postForm, refresh, startDeviceLogin, useEmulator } from "./helpers.ts";

describe("refresh_token grant", () => {
  const box = useEmulator();

  test("issues a new pair; the refresh token rotates and is single-use", async () => {
    const { emu } = box;
    const first = emu.state.mintTokens();
    const r1 = await refresh(emu, first.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.json).toMatchObject({ token_type: "Bearer", scope: "kimi-code", expires_in: 900 });
    expect(r1.json.access_token).not.toBe(first.access_token);
    expect(r1.json.refresh_token).not.toBe(first.refresh_token);
    expect(emu.state.refreshCount).toBe(1);

    const reused = await refresh(emu, first.refresh_token);
    expect(reused.status).toBe(401);
    expect(reused.json.error).toBe("invalid_grant");
    expect(reused.json.error_description).toBeString();
    expect(emu.state.refreshCount).toBe(1);

    const r2 = await refresh(emu, r1.json.refresh_token);
    expect(r2.status).toBe(200);
    expect(emu.state.refreshCount).toBe(2);
  });

  test("an unknown refresh token answers 401 invalid_grant", async () => {
    const { emu } = box;
    const r = await refresh(emu, "kimi-emu-rt-made-up");
    expect([r.status, r.json.error]).toEqual([401, "invalid_grant"]);
  });

  test("the old access token stays valid until its exp", async () => {
    const { emu } = box;
    const first = emu.state.mintTokens();
    const r = await refresh(emu, first.refresh_token);
    expect(r.status).toBe(200);
    expect((await getJson(`${emu.apiBase}/models`, first.access_token)).status).toBe(200);
    expect((await getJson(`${emu.apiBase}/models`, r.json.access_token)).status).toBe(200);
  });

  test("singleUseRefreshTokens: false lets a refresh token be reused", async () => {
    const { emu } = box;
    emu.state.configure({ singleUseRefreshTokens: false });
    const first = emu.state.mintTokens();
    expect((await refresh(emu, first.refresh_token)).status).toBe(200);
    expect((await refresh(emu, first.refresh_token)).status).toBe(200);
    expect(emu.state.refreshCount).toBe(2);
  });

  test("an expired refresh token answers 401 invalid_grant", async () => {
    const { emu } = box;
    emu.state.configure({ refreshTokenLifetimeSec: 0 });
    const pair = emu.state.mintTokens();
    expect((await refresh(emu, pair.refresh_token)).json.error).toBe("invalid_grant");
  });

  test("access lifetime is configurable and shows in expires_in", async () => {
    const { emu } = box;
    emu.state.configure({ accessTokenLifetimeSec: 3 });
    const r = await refresh(emu, emu.state.mintTokens().refresh_token);
    expect(r.json.expires_in).toBe(3);
  });

  test("missing refresh_token or client_id → invalid_request; unknown client → invalid_client", async () => {
    const { emu } = box;
    const url = `${emu.oauthHost}/api/oauth/token`;
    const pair = emu.state.mintTokens();
    const noToken = await postForm(url, { client_id: KIMI_CLIENT_ID, grant_type: "refresh_token" });
    expect([noToken.status, noToken.json.error]).toEqual([400, "invalid_request"]);
    const noClient = await postForm(url, { grant_type: "refresh_token", refresh_token: pair.refresh_token });
    expect([noClient.status, noClient.json.error]).toEqual([400, "invalid_request"]);
    const badClient = await refresh(emu, pair.refresh_token, "someone-else");
    expect([badClient.status, badClient.json.error]).toEqual([400, "invalid_client"]);
    expect(emu.state.refreshCount).toBe(0);
  });

  test("revokeAll() invalidates access and refresh tokens", async () => {
    const { emu } = box;
    const pair = emu.state.mintTokens();
    emu.state.revokeAll();
    expect((await getJson(`${emu.apiBase}/models`, pair.access_token)).status).toBe(401);
    expect((await refresh(emu, pair.refresh_token)).status).toBe(401);
    // tokens minted afterwards work
    expect((await getJson(`${emu.apiBase}/models`, emu.state.mintTokens().access_token)).status).toBe(200);
  });
});

describe("access token (JWT-shaped)", () => {
  const box = useEmulator();

  test("device-flow token carries exp, iat, scope, region, sub, jti", async () => {
    const { emu } = box;
    const login = await startDeviceLogin(emu);
    emu.state.approve();
    const before = Math.floor(Date.now() / 1000);
    const tok = await pollToken(emu, login.json.device_code);
    const jwt = decodeJwt(tok.json.access_token);
    expect(jwt).toBeDefined();
    expect(jwt!.header).toMatchObject({ alg: "HS256", typ: "JWT" });
    const p = jwt!.payload as Record<string, any>;
    expect(p.scope).toBe("kimi-code");
    expect(p.region).toBe("cn");
    expect(p.sub).toBe("emulator-user");
    expect(p.jti).toBeString();
    expect(p.iat).toBeGreaterThanOrEqual(before);
    expect(p.iat).toBeLessThanOrEqual(before + 2);
    expect(p.exp - p.iat).toBeGreaterThanOrEqual(899);
    expect(p.exp - p.iat).toBeLessThanOrEqual(900);
    expect(tok.json.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test("jti is unique; region, sub and lifetime are configurable", async () => {
    const { emu } = box;
    emu.state.configure({ region: "global", userId: "u-42", accessTokenLifetimeSec: 60 });
    const a = decodeJwt(emu.state.mintTokens().access_token)!.payload;
    const b = decodeJwt(emu.state.mintTokens().access_token)!.payload;
    expect(a.jti).not.toBe(b.jti);
    expect(a).toMatchObject({ region: "global", sub: "u-42" });
    expect((a.exp as number) - (a.iat as number)).toBeGreaterThanOrEqual(59);
    expect((a.exp as number) - (a.iat as number)).toBeLessThanOrEqual(60);
  });

  test("mintTokens({lifetimeSec}) tokens expire and then answer 401", async () => {
    const { emu } = box;
    const pair = emu.state.mintTokens({ lifetimeSec: 0.1 });
    expect(pair.expires_in).toBe(0.1);
    expect((await getJson(`${emu.apiBase}/models`, pair.access_token)).status).toBe(200);
    await Bun.sleep(120);
    const r = await getJson(`${emu.apiBase}/models`, pair.access_token);
    expect(r.status).toBe(401);
    expect(r.json.error.type).toBe("invalid_authentication_error");
    expect(r.json.error.message).toContain("expired");
    expect(emu.state.tokens.checkAccess(pair.access_token)).toBe("expired");
  });
});
