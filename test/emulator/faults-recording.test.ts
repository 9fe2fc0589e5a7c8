import { describe, expect, test } from "bun:test";
import { HTML_ERROR_PAGE, KIMI_CLIENT_ID, startEmulator } from "../../emulator/index.ts";
import { chat, getJson, HELLO, parseSse, readAll, startDeviceLogin, useEmulator } from "./helpers.ts";

describe("fault injection", () => {
  const box = useEmulator();

  test("status + JSON body for the next `count` requests, then normal", async () => {
    const { emu } = box;
    const token = emu.state.mintTokens().access_token;
    emu.state.injectFault({ path: "/coding/v1/models", count: 2, status: 503, body: { error: "busy" }, headers: { "x-extra": "1" } });
    for (let i = 0; i < 2; i++) {
      const r = await getJson(`${emu.apiBase}/models`, token);
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ error: "busy" });
      expect(r.headers.get("x-extra")).toBe("1");
      expect(r.headers.get("content-type")).toBe("application/json");
    }
    expect((await getJson(`${emu.apiBase}/models`, token)).status).toBe(200);
    expect(emu.state.requestsTo("/coding/v1/models").map((r) => [r.status, r.fault ?? false])).toEqual([
      [503, true],
      [503, true],
      [200, false],
    ]);
  });

  test("HTML error page helper", async () => {
    const { emu } = box;
    emu.state.injectHtmlError("/coding/v1/models");
    const r = await fetch(`${emu.apiBase}/models`);
    expect(r.status).toBe(502);
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(await r.text()).toBe(HTML_ERROR_PAGE);
    expect((await fetch(`${emu.apiBase}/models`)).status).toBe(401);
  });

  test("malformed JSON helper: 200 application/json that does not parse", async () => {
    const { emu } = box;
    emu.state.injectMalformedJson("/coding/v1/models");
    const r = await fetch(`${emu.apiBase}/models`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    const text = await r.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  test("a string body without a content-type that looks like HTML is sent as text/html", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/api/oauth/token", status: 500, body: "<html><body>oops</body></html>" });
    const r = await fetch(`${emu.oauthHost}/api/oauth/token`, { method: "POST" });
    expect(r.status).toBe(500);
    expect(r.headers.get("content-type")).toContain("text/html");
  });

  test("delayMs delays, then answers normally", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/models", delayMs: 150 });
    const t0 = Date.now();
    const r = await getJson(`${emu.apiBase}/models`, emu.state.mintTokens().access_token);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.status).toBe(200);
    const t1 = Date.now();
    await getJson(`${emu.apiBase}/models`, emu.state.mintTokens().access_token);
    expect(Date.now() - t1).toBeLessThan(140);
  });

  test("method filter: only matching requests consume the fault", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/chat/completions", method: "POST", status: 500 });
    expect((await fetch(`${emu.apiBase}/chat/completions`)).status).toBe(404); // GET: no such route, fault untouched
    expect((await chat(emu, HELLO)).status).toBe(500);
    expect((await chat(emu, HELLO)).status).toBe(200);
  });

  test("dropMidStream closes a streaming chat after a few chunks, without [DONE]", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/chat/completions", dropMidStream: 3 });
    const r = await chat(emu, { ...HELLO, stream: true });
    expect(r.status).toBe(200);
    const { text, error } = await readAll(r);
    expect(error).toBeDefined();
    const events = parseSse(text);
    expect(events).toHaveLength(3);
    expect(events[0].choices[0].delta.role).toBe("assistant");
    expect(text).not.toContain("[DONE]");
    // the next request is served normally
    expect(parseSse(await (await chat(emu, { ...HELLO, stream: true })).text()).at(-1)).toBe("[DONE]");
  });

  test("dropMidStream on a non-streamed request closes the connection before any answer", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/chat/completions", dropMidStream: true });
    await expect(chat(emu, HELLO)).rejects.toThrow();
    expect(emu.state.requests[0]!.status).toBeUndefined();
  });

  test("reset closes the connection before any status line, on any route, then answers normally", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/chat/completions", reset: true });
    emu.state.injectFault({ path: "/api/oauth/token", reset: true });
    await expect(chat(emu, { ...HELLO, stream: true })).rejects.toThrow();
    await expect(fetch(`${emu.oauthHost}/api/oauth/token`, { method: "POST" })).rejects.toThrow();
    expect(emu.state.requests.map((r) => [r.path, r.status, r.fault])).toEqual([
      ["/coding/v1/chat/completions", undefined, true],
      ["/api/oauth/token", undefined, true],
    ]);
    expect((await chat(emu, HELLO)).status).toBe(200);
  });

  test("serveAfterHangUp: a delayed refresh grant whose client gave up still rotates the token", async () => {
    const { emu } = box;
    const { refresh_token } = emu.state.mintTokens();
    emu.state.injectFault({ path: "/api/oauth/token", delayMs: 150, serveAfterHangUp: true });
    const form = new URLSearchParams({ client_id: KIMI_CLIENT_ID, grant_type: "refresh_token", refresh_token });
    const sent = fetch(`${emu.oauthHost}/api/oauth/token`, { method: "POST", body: form, signal: AbortSignal.timeout(30) });
    await expect(sent).rejects.toThrow();
    for (let i = 0; i < 50 && emu.state.refreshCount === 0; i++) await Bun.sleep(20);
    expect(emu.state.refreshCount).toBe(1);
    expect(emu.state.tokens.checkRefresh(refresh_token)).not.toBe("ok");
  });

  test("without serveAfterHangUp a delayed request whose client gave up is dropped", async () => {
    const { emu } = box;
    const { refresh_token } = emu.state.mintTokens();
    emu.state.injectFault({ path: "/api/oauth/token", delayMs: 150 });
    const form = new URLSearchParams({ client_id: KIMI_CLIENT_ID, grant_type: "refresh_token", refresh_token });
    await expect(fetch(`${emu.oauthHost}/api/oauth/token`, { method: "POST", body: form, signal: AbortSignal.timeout(30) })).rejects.toThrow();
    await Bun.sleep(250);
    expect(emu.state.refreshCount).toBe(0);
    expect(emu.state.tokens.checkRefresh(refresh_token)).toBe("ok");
  });

  test("clearFaults() removes pending faults", async () => {
    const { emu } = box;
    emu.state.injectFault({ path: "/coding/v1/models", status: 500, count: Infinity });
    expect((await fetch(`${emu.apiBase}/models`)).status).toBe(500);
    expect((await fetch(`${emu.apiBase}/models`)).status).toBe(500);
    emu.state.clearFaults();
    expect((await fetch(`${emu.apiBase}/models`)).status).toBe(401);
  });
});

describe("request recording", () => {
  const box = useEmulator();

  test("form and JSON bodies, lower-cased headers with exact values, query, host, time", async () => {
    const { emu } = box;
    const t0 = Date.now();
    await startDeviceLogin(emu);
    const token = emu.state.mintTokens().access_token;
    await chat(emu, HELLO, { bearer: token, headers: { "X-Custom-Thing": "MiXeD  Value", "X-Msh-Platform": "kimi_cli" } });
    await fetch(`${emu.apiBase}/models?a=1&b=two`, { headers: { authorization: `Bearer ${token}` } });

    const [device, chatReq, models] = emu.state.requests;
    expect(device).toMatchObject({
      host: "oauth",
      method: "POST",
      path: "/api/oauth/device_authorization",
      rawBody: `client_id=${KIMI_CLIENT_ID}`,
      body: { client_id: KIMI_CLIENT_ID },
      status: 200,
    });
    expect(device!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(device!.time).toBeGreaterThanOrEqual(t0);
    expect(device!.time).toBeLessThanOrEqual(Date.now());

    expect(chatReq!.host).toBe("api");
    expect(chatReq!.path).toBe("/coding/v1/chat/completions");
    expect(chatReq!.headers["x-custom-thing"]).toBe("MiXeD  Value");
    expect(chatReq!.headers["x-msh-platform"]).toBe("kimi_cli");
    expect(chatReq!.headers.authorization).toBe(`Bearer ${token}`);
    expect(chatReq!.headers["user-agent"]).toBe("opencode/1.18.33");
    expect(Object.keys(chatReq!.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(chatReq!.body).toEqual(HELLO);
    expect(chatReq!.rawBody).toBe(JSON.stringify(HELLO));
    expect(chatReq!.chat).toMatchObject({ model: "kimi-for-coding", thinking: true });

    expect(models).toMatchObject({ method: "GET", path: "/coding/v1/models", query: { a: "1", b: "two" }, rawBody: "", body: undefined });
  });

  test("requestsTo filters by path (and host); clearRequests empties", async () => {
    const { emu } = box;
    await chat(emu, HELLO);
    await chat(emu, HELLO);
    await fetch(`${emu.apiBase}/models`);
    await fetch(`${emu.oauthHost}/coding/v1/models`); // wrong origin: recorded as host "oauth", 404
    expect(emu.state.requestsTo("/coding/v1/chat/completions")).toHaveLength(2);
    expect(emu.state.requestsTo("/coding/v1/models")).toHaveLength(2);
    expect(emu.state.requestsTo("/coding/v1/models", "api")).toHaveLength(1);
    const wrong = emu.state.requestsTo("/coding/v1/models", "oauth");
    expect(wrong.map((r) => r.status)).toEqual([404]);
    emu.state.clearRequests();
    expect(emu.state.requests).toHaveLength(0);
  });

  test("unparseable bodies are kept raw with body undefined", async () => {
    const { emu } = box;
    await chat(emu, "{broken");
    await fetch(`${emu.oauthHost}/api/oauth/token`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
    const [a, b] = emu.state.requests;
    expect([a!.rawBody, a!.body, a!.status]).toEqual(["{broken", undefined, 400]);
    expect([b!.rawBody, b!.body]).toEqual(["hello", undefined]);
  });
});

describe("listeners", () => {
  test("two loopback listeners with the documented URL shapes; stop() ends in-flight SSE promptly", async () => {
    const emu = await startEmulator({ chunkDelayMs: 2000 });
    expect(emu.oauthHost).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.apiBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/coding\/v1$/);
    expect(new URL(emu.oauthHost).port).not.toBe(new URL(emu.apiBase).port);

    const r = await chat(emu, { ...HELLO, stream: true });
    const reading = readAll(r);
    await Bun.sleep(20);
    const t0 = Date.now();
    await emu.stop();
    const { text, error } = await reading;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(error).toBeDefined();
    expect(text).toContain('"role":"assistant"');
    await expect(fetch(`${emu.apiBase}/models`)).rejects.toThrow();
    await expect(fetch(`${emu.oauthHost}/device`)).rejects.toThrow();
    await emu.stop(); // idempotent
  });

  test("a fixed port is honoured", async () => {
    const probe = await startEmulator();
    const port = Number(new URL(probe.apiBase).port);
    await probe.stop();
    const emu = await startEmulator({ apiPort: port });
    try {
      expect(emu.apiBase).toBe(`http://127.0.0.1:${port}/coding/v1`);
    } finally {
      await emu.stop();
    }
  });
});
