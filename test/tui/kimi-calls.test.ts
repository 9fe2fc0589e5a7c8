// The TUI's Kimi calls against the emulator over loopback, in a temp XDG home: a usage answer, a
// due token refreshed (and written back 0600 beside the shared lock), no login, an unreachable Kimi,
// an API key Kimi shows no usage for, and the status facts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { createKimiCalls } from "../../src/tui/kimi-calls.ts";
import { tempDir } from "../helpers/tmp.ts";

const PROVIDER = "kimi-for-coding-oauth";
let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

async function world(entry?: Record<string, unknown>) {
  const root = await tempDir("okc-tui-");
  const env = {
    HOME: join(root, "home"),
    XDG_DATA_HOME: join(root, "data"),
    XDG_CACHE_HOME: join(root, "cache"),
    KIMI_SHARE_DIR: join(root, "kimi"),
    KIMI_CODE_OAUTH_HOST: emu.oauthHost,
    KIMI_CODE_BASE_URL: emu.apiBase,
  };
  const authPath = join(root, "data", "opencode", "auth.json");
  mkdirSync(join(root, "data", "opencode"), { recursive: true });
  if (entry) writeFileSync(authPath, JSON.stringify({ other: { type: "api", key: "keep-me" }, [PROVIDER]: entry }), { mode: 0o600 });
  return { env, authPath };
}

function oauthEntry(lifetimeSec: number, expiresInMs: number) {
  const t = emu.state.mintTokens({ lifetimeSec });
  return { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() + expiresInMs, enterpriseUrl: emu.apiBase };
}

describe("usage", () => {
  test("a stored login gets the windows from /usages", async () => {
    const w = await world(oauthEntry(900, 900_000));
    emu.state.quota.consume(emu.state.options);
    const outcome = await createKimiCalls(undefined, { env: w.env }).usage();
    if (outcome.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.report.windows.map((x) => x.label).sort()).toEqual(["5h limit", "Weekly limit"]);
    expect(outcome.report.windows.every((x) => x.used > 0), JSON.stringify(outcome.report.windows)).toBe(true);
  });

  test("a due token is refreshed first and written back (0600, other entries kept)", async () => {
    const entry = oauthEntry(2, 2_000); // the JWT's own exp decides: 2 s lifetime, due after 1 s
    const w = await world(entry);
    await Bun.sleep(1_500);
    const grantsBefore = emu.state.requests.filter((r) => r.path === "/api/oauth/token").length;
    const outcome = await createKimiCalls(undefined, { env: w.env }).usage();
    expect(outcome.kind).toBe("ok");
    expect(emu.state.requests.filter((r) => r.path === "/api/oauth/token").length).toBe(grantsBefore + 1);
    const stored = JSON.parse(readFileSync(w.authPath, "utf8"));
    expect(stored[PROVIDER].access).not.toBe(entry.access);
    expect(stored.other).toEqual({ type: "api", key: "keep-me" });
    expect(statSync(w.authPath).mode & 0o777).toBe(0o600);
  });

  test("no login: says so without any request", async () => {
    const w = await world();
    const before = emu.state.requests.length;
    const outcome = await createKimiCalls(undefined, { env: w.env }).usage();
    expect(outcome.kind).toBe("not-logged-in");
    expect(emu.state.requests.length).toBe(before);
  });

  test("Kimi unreachable (the login's API base is a closed port): a clear outcome, not a throw", async () => {
    const w = await world({ ...oauthEntry(900, 900_000), enterpriseUrl: "http://127.0.0.1:9/coding/v1" });
    const outcome = await createKimiCalls(undefined, { env: w.env }).usage();
    expect(outcome.kind).toBe("unreachable");
  });

  test("an API key Kimi shows no usage for gets its own line", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ error: { message: "forbidden" } }, { status: 403 }) });
    try {
      const base = `http://127.0.0.1:${server.port}/coding/v1`;
      const w = await world({ type: "api", key: "sk-kimi-test", metadata: { baseURL: base } });
      const outcome = await createKimiCalls(undefined, { env: { ...w.env, KIMI_CODE_BASE_URL: base } }).usage();
      expect(outcome.kind).toBe("api-key-without-usage");
    } finally {
      server.stop(true);
    }
  });
});

describe("status", () => {
  test("login kind, region, expiry, identity; never the token", async () => {
    const entry = oauthEntry(900, 900_000);
    const w = await world(entry);
    const calls = createKimiCalls(undefined, { env: w.env });
    const facts = await calls.status();
    expect(facts.login.state).toBe("present");
    expect(facts.region).toBe("custom");
    expect(facts.expiresAt).toBeGreaterThan(Date.now());
    expect(facts.identity.name).toBe("opencode");
    expect(facts.models.count).toBe(0);
    const { statusLines } = await import("../../src/core/account/status.ts");
    const text = statusLines(facts, Date.now()).join("\n");
    expect(text).toContain("device login (OAuth)");
    expect(text).toContain("none cached yet");
    expect(text).not.toContain(entry.access);
  });

  test("a damaged auth.json is reported, not thrown", async () => {
    const w = await world();
    writeFileSync(w.authPath, "{not json", { mode: 0o600 }); // 0600 as opencode writes it
    const facts = await createKimiCalls(undefined, { env: w.env }).status();
    expect(facts.login).toMatchObject({ state: "damaged", problem: "it is not valid JSON" });
  });
});
