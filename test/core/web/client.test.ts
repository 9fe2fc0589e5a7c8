// WebClient against the emulator (loopback HTTP): the identity's web headers, timeouts, network
// failures, cancellation, and credentials it must not use. The keeper is a plain object here; the
// real keeper is exercised in test/integration/web-tools.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startEmulator, type RunningEmulator } from "../../../emulator/index.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import { WebClient } from "../../../src/core/web/client.ts";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ apiKeys: ["sk-kimi-client-test"] });
});
afterAll(() => emu.stop());
beforeEach(() => emu.state.clearFaults());

const FACTS = { system: "Linux", release: "6.1.0", version: "#1 SMP", machine: "x86_64", hostname: "devbox" };
const DEVICE_ID = "0123456789abcdef0123456789abcdef";
const identity = (name: "opencode" | "kimi-cli") => createIdentity(name, { kimiShareDir: "/nonexistent", facts: FACTS, deviceId: DEVICE_ID });

function client(credential: Credential, opts: { name?: "opencode" | "kimi-cli"; timeoutMs?: number; forceRefresh?: () => Promise<Credential> } = {}) {
  return new WebClient({
    keeper: {
      credential: async () => credential,
      forceRefresh: opts.forceRefresh ?? (async () => credential),
    },
    identity: identity(opts.name ?? "opencode"),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

const apiKey = (): Credential => ({ type: "api", key: "sk-kimi-client-test", apiBase: emu.apiBase });
const lastTo = (path: string) => emu.state.requestsTo(path).at(-1)!;

describe("headers per identity", () => {
  test('"kimi-cli": KimiCLI User-Agent, the tool call id and the X-Msh set on search and fetch', async () => {
    const c = client(apiKey(), { name: "kimi-cli" });
    expect((await c.search({ query: "q", limit: 1, includeContent: false }, { toolCallId: "call_abc" })).ok).toBe(true);
    const s = lastTo("/coding/v1/search");
    expect(s.headers["user-agent"]).toBe("KimiCLI/1.49.0");
    expect(s.headers["x-msh-tool-call-id"]).toBe("call_abc");
    expect(s.headers["x-msh-platform"]).toBe("kimi_cli");
    expect(s.headers["x-msh-version"]).toBe("1.49.0");
    expect(s.headers["x-msh-device-name"]).toBe("devbox");
    expect(s.headers["x-msh-device-model"]).toBe("Linux 6.1.0 x86_64");
    expect(s.headers["x-msh-device-id"]).toBe(DEVICE_ID);
    expect(s.headers["content-type"]).toBe("application/json");
    expect((await c.fetchUrl("https://a.example/", { toolCallId: "call_def" })).ok).toBe(true);
    const f = lastTo("/coding/v1/fetch");
    expect(f.headers.accept).toBe("text/markdown");
    expect(f.headers["x-msh-tool-call-id"]).toBe("call_def");
  });

  test('"opencode": the plugin\'s User-Agent and no X-Msh header, not even the tool call id', async () => {
    await client(apiKey()).search({ query: "q", limit: 1, includeContent: false }, { toolCallId: "call_abc" });
    const s = lastTo("/coding/v1/search");
    expect(s.headers["user-agent"]).toBe("opencode-kimi-code/0.1.0");
    expect(Object.keys(s.headers).filter((h) => h.startsWith("x-msh-"))).toEqual([]);
  });
});

describe("failures", () => {
  test("no answer within the timeout", async () => {
    emu.state.injectFault({ path: "/coding/v1/search", delayMs: 5_000 });
    const r = await client(apiKey(), { timeoutMs: 100 }).search({ query: "q", limit: 1, includeContent: false });
    expect(r).toEqual({ ok: false, output: "Kimi web search failed: Kimi did not answer within 0.1 s. Try again, or a narrower query." });
  });

  test("nothing listening at the base", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const r = await client({ type: "api", key: "sk-kimi-x", apiBase: `http://127.0.0.1:${port}/coding/v1` }).fetchUrl("https://a.example/");
    expect(r.ok).toBe(false);
    expect(r.output).toStartWith(`Kimi URL fetch failed: could not reach 127.0.0.1:${port} (`);
  });

  test("a quota answer's /usages lookup gets the tool call's abort signal (a cancelled call does not wait for it)", async () => {
    emu.state.injectFault({ path: "/coding/v1/search", status: 429, body: { error: { message: "rate limit", type: "rate_limit_reached_error" } } });
    const abort = new AbortController();
    const lookups: (AbortSignal | undefined)[] = [];
    const c = new WebClient({
      keeper: { credential: async () => apiKey(), forceRefresh: async () => apiKey() },
      identity: identity("opencode"),
      quota: async (_credential, signal) => (lookups.push(signal), undefined),
    });
    const r = await c.search({ query: "q", limit: 1, includeContent: false }, { signal: abort.signal });
    expect(r.ok).toBe(false);
    expect(lookups).toEqual([abort.signal]);
  });

  test("an already aborted call sends nothing", async () => {
    const before = emu.state.requests.length;
    const abort = new AbortController();
    abort.abort();
    const r = await client(apiKey()).search({ query: "q", limit: 1, includeContent: false }, { signal: abort.signal });
    expect(r.output).toBe("Kimi web search was cancelled.");
    expect(emu.state.requests.length).toBe(before);
  });

  test("a header value HTTP cannot carry is refused before sending, naming the header, not the value", async () => {
    const before = emu.state.requests.length;
    const r = await client(apiKey(), { name: "kimi-cli" }).search({ query: "q", limit: 1, includeContent: false }, { toolCallId: "call\r\nX-Evil: 1" });
    expect(r.ok).toBe(false);
    expect(r.output).toStartWith("Kimi web search failed: request to 127.0.0.1");
    expect(r.output).toContain("X-Msh-Tool-Call-Id");
    expect(r.output).not.toContain("X-Evil");
    expect(emu.state.requests.length).toBe(before);
  });

  test("an API key that is not a Kimi Code key is not sent", async () => {
    const before = emu.state.requests.length;
    const r = await client({ type: "api", key: "sk-openai-123", apiBase: emu.apiBase }).search({ query: "q", limit: 1, includeContent: false });
    expect(r.output).toContain('does not start with "sk-kimi-"');
    expect(emu.state.requests.length).toBe(before);
  });

  test("the keeper's refusal to refresh after a 401 is passed on", async () => {
    const oauth: Credential = { type: "oauth", access: "revoked", refresh: "r", expires: Date.now() + 3_600_000, apiBase: emu.apiBase };
    const c = client(oauth, {
      forceRefresh: async () => {
        throw new Error("Kimi Code login is no longer valid (invalid_grant). Run `opencode auth login`.");
      },
    });
    const r = await c.search({ query: "q", limit: 1, includeContent: false });
    expect(r.output).toBe("Kimi web search failed: Kimi Code login is no longer valid (invalid_grant). Run `opencode auth login`.");
  });
});
