import { describe, expect, test } from "bun:test";
import { DEFAULT_ALLOWED_USER_AGENT_PREFIXES, GATE_MESSAGE } from "../../emulator/index.ts";
import { chat, HELLO, useEmulator } from "./helpers.ts";

const GATE_BODY =
  '{"error":{"message":"Kimi For Coding is currently only available for Coding Agents such as Kimi CLI, Claude Code, Roo Code, Kilo Code, etc.","type":"access_terminated_error"}}';

describe("bearer check on /chat/completions", () => {
  const box = useEmulator({ apiKeys: ["sk-kimi-good"] });

  test("no bearer or an unknown token → 401 invalid_authentication_error", async () => {
    const { emu } = box;
    for (const bearer of [null, "garbage", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"]) {
      const r = await chat(emu, HELLO, { bearer });
      expect(r.status).toBe(401);
      const body = (await r.json()) as any;
      expect(body.error.type).toBe("invalid_authentication_error");
      expect(body.error.message).toBeString();
    }
  });

  test("an expired access token → 401", async () => {
    const { emu } = box;
    const r = await chat(emu, HELLO, { bearer: emu.state.mintTokens({ lifetimeSec: 0 }).access_token });
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error.type).toBe("invalid_authentication_error");
  });

  test("a token from another emulator instance is unknown here", async () => {
    const { emu } = box;
    const { startEmulator } = await import("../../emulator/index.ts");
    const other = await startEmulator();
    try {
      expect((await chat(emu, HELLO, { bearer: other.state.mintTokens().access_token })).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  test("a configured API key is accepted; the gate still applies to it", async () => {
    const { emu } = box;
    expect((await chat(emu, HELLO, { bearer: "sk-kimi-good" })).status).toBe(200);
    expect((await chat(emu, HELLO, { bearer: "sk-kimi-other" })).status).toBe(401);
    expect((await chat(emu, HELLO, { bearer: "sk-kimi-good", headers: { "user-agent": "curl/8" } })).status).toBe(403);
  });
});

describe("client gate", () => {
  const box = useEmulator();

  test("every allowlisted User-Agent prefix passes", async () => {
    const { emu } = box;
    expect(DEFAULT_ALLOWED_USER_AGENT_PREFIXES).toEqual(["KimiCLI/", "kimi-code-cli/", "claude-code/", "claude-cli/", "Kilo-Code/", "RooCode/", "opencode/"]);
    for (const prefix of DEFAULT_ALLOWED_USER_AGENT_PREFIXES) {
      const r = await chat(emu, HELLO, { headers: { "user-agent": `${prefix}1.2.3 (linux)` } });
      expect([prefix, r.status]).toEqual([prefix, 200]);
    }
  });

  test("others get 403 with exactly Kimi's body", async () => {
    const { emu } = box;
    expect(JSON.stringify({ error: { message: GATE_MESSAGE, type: "access_terminated_error" } })).toBe(GATE_BODY);
    for (const ua of ["OpenAI/JS 4.0.0", "kimicli/1.49.0", "Mozilla/5.0 KimiCLI/1.0", "opencode", "Cline/3.79"]) {
      const r = await chat(emu, HELLO, { headers: { "user-agent": ua } });
      expect([ua, r.status]).toEqual([ua, 403]);
      expect(await r.text()).toBe(GATE_BODY);
    }
    expect(emu.state.usage().fiveHour.used).toBe(0);
    expect(emu.state.chats).toHaveLength(0);
  });

  test("X-Msh-Platform: allowlisted passes, anything else is 403", async () => {
    const { emu } = box;
    expect((await chat(emu, HELLO, { headers: { "user-agent": "KimiCLI/1.49.0", "x-msh-platform": "kimi_cli" } })).status).toBe(200);
    const r = await chat(emu, HELLO, { headers: { "user-agent": "KimiCLI/1.49.0", "x-msh-platform": "kimi_code_cli" } });
    expect(r.status).toBe(403);
    expect(await r.text()).toBe(GATE_BODY);
    expect((await chat(emu, HELLO, { headers: { "x-msh-platform": "" } })).status).toBe(403);
  });

  test("both lists are configurable", async () => {
    const { emu } = box;
    emu.state.configure({ allowedUserAgentPrefixes: ["my-agent/"], allowedPlatforms: ["my_platform"] });
    expect((await chat(emu, HELLO, { headers: { "user-agent": "my-agent/0.1" } })).status).toBe(200);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "opencode/1.0" } })).status).toBe(403);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "my-agent/0.1", "x-msh-platform": "my_platform" } })).status).toBe(200);
    expect((await chat(emu, HELLO, { headers: { "user-agent": "my-agent/0.1", "x-msh-platform": "kimi_cli" } })).status).toBe(403);
  });
});

describe("other rejections", () => {
  const box = useEmulator({ apiKeys: ["sk-kimi-a", "sk-kimi-b"] });

  test("402 membership_expired_error when membershipExpired", async () => {
    const { emu } = box;
    emu.state.configure({ membershipExpired: true });
    const r = await chat(emu, HELLO);
    expect(r.status).toBe(402);
    const body = (await r.json()) as any;
    expect(body.error.type).toBe("membership_expired_error");
    expect(body.error.message).toContain("membership has expired");
  });

  test("402 per API key or access token via expiredMembershipKeys", async () => {
    const { emu } = box;
    const token = emu.state.mintTokens().access_token;
    emu.state.configure({ expiredMembershipKeys: ["sk-kimi-a", token] });
    expect((await chat(emu, HELLO, { bearer: "sk-kimi-a" })).status).toBe(402);
    expect((await chat(emu, HELLO, { bearer: token })).status).toBe(402);
    expect((await chat(emu, HELLO, { bearer: "sk-kimi-b" })).status).toBe(200);
  });

  test("unknown model → 404 resource_not_found_error with Kimi's message", async () => {
    const { emu } = box;
    const r = await chat(emu, { ...HELLO, model: "kimi-k9" });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({
      error: { message: "Not found the model kimi-k9 or Permission denied", type: "resource_not_found_error" },
    });
  });

  test("malformed JSON, missing model or messages → 400", async () => {
    const { emu } = box;
    for (const body of ['{"model":"kimi-for-coding",', "[]", JSON.stringify({ messages: [] }), JSON.stringify({ model: "k3" })]) {
      const r = await chat(emu, body);
      expect([body, r.status]).toEqual([body, 400]);
      expect(((await r.json()) as any).error.type).toBe("invalid_request_error");
    }
  });

  test("x-trace-id on answers, including errors", async () => {
    const { emu } = box;
    const ok = await chat(emu, HELLO);
    const bad = await chat(emu, HELLO, { bearer: null });
    expect(ok.headers.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(bad.headers.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(ok.headers.get("x-trace-id")).not.toBe(bad.headers.get("x-trace-id"));
  });
});
