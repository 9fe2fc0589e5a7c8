// protocol "anthropic": the plugin's real hooks (config, loader fetch, refresh, errors) against the
// emulator's /messages route, over loopback HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { OPENCODE_UA, pluginWorld, seedLogin } from "../helpers/plugin-env.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ["sk-kimi-integration-key"] });
});
afterAll(() => emu.stop());

const MESSAGES = "/coding/v1/messages";

/** POST /messages as opencode's bundled @ai-sdk/anthropic does with the loader's empty apiKey. */
async function messages(f: (input: string, init?: RequestInit) => Promise<Response>, extra: Record<string, unknown> = {}): Promise<Response> {
  return f(`${emu.apiBase}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "", "user-agent": OPENCODE_UA },
    body: JSON.stringify({ model: "kimi-for-coding", max_tokens: 32000, stream: true, messages: [{ role: "user", content: "hi" }], ...extra }),
  });
}

describe("protocol anthropic through the plugin's hooks", () => {
  test("the config hook registers @ai-sdk/anthropic on the same base; KIMI_CODE_PROTOCOL overrides the option", async () => {
    const world = await pluginWorld(emu, { protocol: "anthropic" });
    const config: Record<string, any> = {};
    await world.hooks.config!(config as never);
    const provider = config.provider[PROVIDER_ID];
    expect(provider.npm).toBe("@ai-sdk/anthropic");
    expect(provider.options.baseURL).toBe(emu.apiBase);
    expect(provider.models["kimi-for-coding"].interleaved).toBeUndefined();

    const env = await pluginWorld(emu, { protocol: "openai" });
    const { createHooks } = await import("../../src/server/hooks.ts");
    const hooks = await createHooks(env.store.input, { protocol: "openai" }, { env: { ...env.env, KIMI_CODE_PROTOCOL: "anthropic" } });
    const c2: Record<string, any> = {};
    await hooks.config!(c2 as never);
    expect(c2.provider[PROVIDER_ID].npm).toBe("@ai-sdk/anthropic");
  });

  test("an OAuth login streams from /messages with the bearer; a 401 is refreshed once and retried", async () => {
    const world = await pluginWorld(emu, { protocol: "anthropic" });
    await seedLogin(world, emu);
    const f = await world.loaderFetch();
    const ok = await messages(f);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("event: message_stop");
    const sent = emu.state.requestsTo(MESSAGES).at(-1)!;
    expect(sent.headers.authorization).toMatch(/^Bearer ey/);
    expect(sent.headers["x-api-key"]).toBeUndefined();

    const refreshesBefore = emu.state.refreshCount;
    emu.state.revokeAccessToken(sent.headers.authorization!.slice("Bearer ".length));
    const again = await messages(f);
    expect(again.status).toBe(200);
    await again.text();
    expect(emu.state.refreshCount).toBe(refreshesBefore + 1);
    expect(emu.state.requestsTo(MESSAGES).slice(-2).map((r) => r.status)).toEqual([401, 200]);
  });

  test("an API key login sends x-api-key to /messages", async () => {
    const world = await pluginWorld(emu, { protocol: "anthropic" });
    await world.store.set(PROVIDER_ID, { type: "api", key: "sk-kimi-integration-key" });
    const res = await messages(await world.loaderFetch());
    expect(res.status).toBe(200);
    await res.text();
    const sent = emu.state.requestsTo(MESSAGES).at(-1)!;
    expect(sent.headers["x-api-key"]).toBe("sk-kimi-integration-key");
    expect(sent.headers.authorization).toBeUndefined();
  });

  test("the routes' gates are independent: chat refused with the protocol hint, /messages served for the same login", async () => {
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] });
    try {
      const world = await pluginWorld(emu, { protocol: "anthropic" });
      await seedLogin(world, emu);
      const refused = await world.chat();
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('protocol: "anthropic"');
      const served = await messages(await world.loaderFetch());
      expect(served.status).toBe(200);
      await served.text();

      emu.state.configure({ messagesAllowedUserAgentPrefixes: ["claude-cli/"] });
      const gated = await messages(await world.loaderFetch());
      expect(gated.status).toBe(403);
      const body = (await gated.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe("error");
      expect(body.error.type).toBe("kimi_client_not_allowed");
      expect(body.error.message).not.toContain('protocol: "anthropic"');
    } finally {
      emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/", "claude-cli/", "Kilo-Code/", "RooCode/", "opencode/"], messagesAllowedUserAgentPrefixes: null });
    }
  });

  test("the history check's 400 reaches opencode untouched", async () => {
    const world = await pluginWorld(emu, { protocol: "anthropic" });
    await seedLogin(world, emu);
    const res = await messages(await world.loaderFetch(), {
      tools: [{ name: "bash", input_schema: { type: "object" } }],
      messages: [
        { role: "user", content: "ls" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "bash", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "a" }] },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "thinking is enabled but reasoning_content is missing in assistant tool call message at index 1",
    );
  });
});
