// The plugin's real hooks (login, loader fetch, config) against the emulator, over loopback HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { GATE_MESSAGE, startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { triggersOpencodeRetry } from "../../src/core/support/errors.ts";
import { deviceLogin, OPENCODE_UA, pluginWorld, seedLogin } from "../helpers/plugin-env.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 1, autoApproveAfterPolls: 1, apiKeys: ["sk-kimi-integration-key"] });
});
afterAll(() => emu.stop());

const CHAT = "/coding/v1/chat/completions";
const lastChatRequest = () => emu.state.requestsTo(CHAT).at(-1)!;

describe("device login against the emulator", () => {
  test("authorize shows the server's URL and the user code; the callback stores integer ms and the API base", async () => {
    const world = await pluginWorld(emu);
    const method = world.hooks.auth!.methods[0] as unknown as {
      label: string;
      authorize(): Promise<{ url: string; instructions: string; method: string; callback(): Promise<Record<string, unknown>> }>;
    };
    expect(method.label).toBe("Kimi Code (device login)");
    const started = await method.authorize();
    const login = emu.state.logins.at(-1)!;
    expect(started.method).toBe("auto");
    expect(started.url).toBe(login.verificationUriComplete);
    expect(started.instructions).toContain(login.userCode);
    const result = await started.callback();
    expect(result.type).toBe("success");
    expect(Number.isInteger(result.expires)).toBe(true);
    expect(result.enterpriseUrl).toBe(emu.apiBase);
    // the device-code grant went out form-encoded with kimi-cli's public client id
    const poll = emu.state.requestsTo("/api/oauth/token").at(-1)!;
    expect(poll.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(poll.body).toMatchObject({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: "17e5f671-d194-4dfb-9706-5516cb48c098" });
    expect(poll.headers["user-agent"]).toBe("opencode-kimi-code/0.1.0");
    expect(Object.keys(poll.headers).some((h) => h.startsWith("x-msh-"))).toBe(false);
  }, 20_000);

  test("login discovers the models and caches them (0600), so the config hook needs no network", async () => {
    const world = await pluginWorld(emu);
    await deviceLogin(world);
    const cacheDir = join(world.env.XDG_CACHE_HOME!, "opencode-kimi-code");
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(1);
    expect((await stat(join(cacheDir, files[0]!))).mode & 0o777).toBe(0o600);

    const before = emu.state.requests.length;
    const config: Record<string, any> = {};
    await world.hooks.config!(config as never);
    expect(emu.state.requests.length).toBe(before);
    const provider = config.provider[PROVIDER_ID];
    expect(Object.keys(provider.models)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k"]);
    expect(provider.options.baseURL).toBe(emu.apiBase);
    expect(provider.models.k3.limit).toEqual({ context: 1048576, output: 32768 });
  }, 20_000);

  test("pending answered as HTTP 200 with an error field is polled through too", async () => {
    emu.state.configure({ pendingStatus: 200 });
    try {
      const world = await pluginWorld(emu);
      const result = await deviceLogin(world);
      expect(typeof result.access).toBe("string");
    } finally {
      emu.state.configure({ pendingStatus: 400 });
    }
  }, 20_000);

  test("a denied login fails cleanly", async () => {
    emu.state.configure({ autoApproveAfterPolls: null });
    try {
      const world = await pluginWorld(emu);
      const method = world.hooks.auth!.methods[0] as unknown as { authorize(): Promise<{ callback(): Promise<{ type: string }> }> };
      const started = await method.authorize();
      emu.state.deny();
      expect((await started.callback()).type).toBe("failed");
    } finally {
      emu.state.configure({ autoApproveAfterPolls: 1 });
    }
  }, 20_000);
});

describe("chat through the loader's fetch", () => {
  test("a streamed chat: the emulator's token, opencode's own User-Agent, the stream intact", async () => {
    const world = await pluginWorld(emu);
    const login = await seedLogin(world, emu);
    const res = await world.chat({}, { authorization: "Bearer opencode-oauth-dummy-key", "x-opencode-kimi-probe": "1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).toContain('"role":"assistant"');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    const seen = lastChatRequest();
    expect(seen.headers.authorization).toBe(`Bearer ${login.access}`);
    expect(seen.headers["user-agent"]).toBe(OPENCODE_UA);
    expect(Object.keys(seen.headers).filter((h) => h.startsWith("x-msh-") || h.startsWith("x-opencode-kimi-"))).toEqual([]);
  }, 20_000);

  test("an expired access token is refreshed once, and the rotated refresh token is stored", async () => {
    emu.state.configure({ accessTokenLifetimeSec: 2 });
    try {
      const world = await pluginWorld(emu);
      const login = await seedLogin(world, emu);
      await Bun.sleep(1100); // past half the 2 s lifetime
      const refreshesBefore = emu.state.refreshCount;
      const results = await Promise.all([world.chat(), world.chat(), world.chat()]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(emu.state.refreshCount - refreshesBefore).toBe(1);
      const stored = (await world.store.all())[PROVIDER_ID]!;
      expect(stored.refresh).not.toBe(login.refresh);
      expect(stored.access).not.toBe(login.access);
      expect(lastChatRequest().headers.authorization).toBe(`Bearer ${stored.access}`);
    } finally {
      emu.state.configure({ accessTokenLifetimeSec: 900 });
    }
  }, 20_000);

  test("a 401 from chat triggers exactly one forced refresh and one retry with the same body", async () => {
    const world = await pluginWorld(emu);
    const login = await seedLogin(world, emu);
    emu.state.revokeAccessToken(login.access as string);
    const chatsBefore = emu.state.requestsTo(CHAT).length;
    const res = await world.chat({ messages: [{ role: "user", content: "replay me" }] });
    expect(res.status).toBe(200);
    const attempts = emu.state.requestsTo(CHAT).slice(chatsBefore);
    expect(attempts.map((r) => r.status)).toEqual([401, 200]);
    expect(attempts[0]!.rawBody).toBe(attempts[1]!.rawBody);
    expect(attempts[1]!.rawBody).toContain("replay me");
  }, 20_000);

  test("with every token revoked, the user is told to log in again, after one retry", async () => {
    const world = await pluginWorld(emu);
    await seedLogin(world, emu);
    emu.state.revokeAll();
    const chatsBefore = emu.state.requestsTo(CHAT).length;
    const res = await world.chat();
    expect(res.status).toBe(401);
    expect(emu.state.requestsTo(CHAT).length - chatsBefore).toBe(1); // the refresh itself was refused
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain("opencode auth login");
    expect(error.message).toContain("Kimi Code (device login)");
  }, 20_000);

  test("100 concurrent requests with a due token: exactly one refresh", async () => {
    const world = await pluginWorld(emu);
    await seedLogin(world, emu, 2); // due once past half its 2 s lifetime
    await Bun.sleep(1100);
    const before = emu.state.refreshCount;
    const f = await world.loaderFetch();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        f(`${emu.apiBase}/chat/completions`, { method: "POST", headers: { "user-agent": OPENCODE_UA }, body: JSON.stringify({ model: "kimi-for-coding", stream: false, messages: [{ role: "user", content: "x" }] }) }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(emu.state.refreshCount - before).toBe(1);
  }, 30_000);
});

describe("the client gate, as Kimi answers both identity profiles", () => {
  test("default identity refused: the 403 says what was sent and what the options are", async () => {
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/"] });
    try {
      const world = await pluginWorld(emu);
      await seedLogin(world, emu);
      const res = await world.chat();
      expect(res.status).toBe(403);
      const { error } = (await res.json()) as { error: { message: string; type: string } };
      expect(error.type).toBe("kimi_client_not_allowed");
      expect(error.message).toContain(GATE_MESSAGE);
      expect(triggersOpencodeRetry(JSON.stringify(error))).toBe(false);
      expect(error.message).toContain(`identity profile "opencode"`);
      expect(error.message).toContain("kimi-cli");
      expect(error.message).toContain("suspended");
    } finally {
      emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/", "claude-cli/", "Kilo-Code/", "RooCode/", "opencode/"] });
    }
  }, 20_000);

  test("identity kimi-cli: accepted, with kimi-cli's headers byte for byte on chat and OAuth calls", async () => {
    emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/"] });
    try {
      const world = await pluginWorld(emu, { identity: "kimi-cli" });
      await deviceLogin(world); // its OAuth calls carry the identity too
      const res = await world.chat();
      expect(res.status).toBe(200);
      const chat = lastChatRequest().headers;
      expect(chat["user-agent"]).toBe("KimiCLI/1.49.0");
      expect(chat["x-msh-platform"]).toBe("kimi_cli");
      expect(chat["x-msh-version"]).toBe("1.49.0");
      expect(chat["x-msh-device-id"]).toMatch(/^[0-9a-f]{32}$/);
      const deviceId = await Bun.file(join(world.env.KIMI_SHARE_DIR!, "device_id")).text();
      expect(chat["x-msh-device-id"]).toBe(deviceId);
      const oauth = emu.state.requestsTo("/api/oauth/token").at(-1)!.headers;
      expect(oauth["x-msh-platform"]).toBe("kimi_cli");
      expect(oauth["x-msh-device-id"]).toBe(deviceId);
      expect(oauth["user-agent"]).toBe("Python/3.14 aiohttp/3.13.3");
      const models = emu.state.requestsTo("/coding/v1/models").at(-1)!.headers;
      expect(Object.keys(models).some((h) => h.startsWith("x-msh-"))).toBe(false);
    } finally {
      emu.state.configure({ allowedUserAgentPrefixes: ["KimiCLI/", "claude-code/", "claude-cli/", "Kilo-Code/", "RooCode/", "opencode/"] });
    }
  }, 20_000);
});

describe("quota and plan", () => {
  test("429 with the 5h window exhausted: a final error naming the window and when it resets", async () => {
    const world = await pluginWorld(emu);
    await seedLogin(world, emu);
    emu.state.resetQuota();
    emu.state.configure({ fiveHourRequestLimit: 1 });
    try {
      expect((await world.chat()).status).toBe(200);
      const res = await world.chat();
      expect(emu.state.requestsTo(CHAT).at(-1)!.status).toBe(429);
      expect(res.status).toBe(403); // final: the reset is hours away, retrying cannot help
      const { error } = (await res.json()) as { error: { message: string; type: string } };
      expect(error.type).toBe("kimi_quota_exhausted");
      expect(error.message).toMatch(/5-hour usage limit is used up for this account. It resets .* \(in [45] h/);
    } finally {
      emu.state.configure({ fiveHourRequestLimit: 300 });
      emu.state.resetQuota();
    }
  }, 20_000);

  test("402: the membership message", async () => {
    const world = await pluginWorld(emu);
    await seedLogin(world, emu);
    emu.state.configure({ membershipExpired: true });
    try {
      const res = await world.chat();
      expect(res.status).toBe(402);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Renew");
    } finally {
      emu.state.configure({ membershipExpired: false });
    }
  }, 20_000);
});

describe("API key login", () => {
  test("the key method exists, and a stored key drives chat and discovery", async () => {
    const world = await pluginWorld(emu);
    const method = world.hooks.auth!.methods[1]!;
    expect(method.type).toBe("api");
    expect(method.label).toBe("Kimi Code API key");
    await world.store.set(PROVIDER_ID, { type: "api", key: "sk-kimi-integration-key" });
    const res = await world.chat();
    expect(res.status).toBe(200);
    expect(lastChatRequest().headers.authorization).toBe("Bearer sk-kimi-integration-key");
  }, 20_000);

  test("no login stored: the loader stays out of the way", async () => {
    const world = await pluginWorld(emu);
    const result = await world.hooks.auth!.loader!(world.store.getAuth as never, {} as never);
    expect(result).toEqual({});
  });
});
