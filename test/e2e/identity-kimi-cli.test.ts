// The opt-in `identity: "kimi-cli"` profile with the real opencode binary: login and chat go out
// byte for byte as kimi-cli 1.49.0 would send them (kimi-cli-wire.md §2), the device id is kimi-cli's
// `$KIMI_SHARE_DIR/device_id`, and `--variant high` becomes `thinking: {type: "enabled"}`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import type { RecordedRequest, RunningEmulator } from "../../emulator/index.ts";
import { login, parseEvents, readAuth, runChat, type OpencodeHome } from "./harness.ts";
import { bodyOf, cleanupHomes, DEVICE_LOGIN, kimiHome, MODEL, pluginErrors, printed, PROVIDER, REPLY, sessionChats, startKimi } from "./kimi.ts";
import { OPENCODE } from "./opencode-behaviour.ts";

let emu: RunningEmulator;
let home: OpencodeHome;

beforeAll(async () => {
  emu = await startKimi();
  home = kimiHome(emu, { options: { identity: "kimi-cli" } });
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
});

/** kimi-cli's `_ascii_header_value`: ASCII values stripped; otherwise non-ASCII dropped, "unknown" if empty. */
function asciiHeader(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value.trim();
  // eslint-disable-next-line no-control-regex
  const kept = value.replace(/[^\x00-\x7f]/g, "").trim();
  return kept || "unknown";
}

/**
 * The X-Msh set kimi-cli computes with Python's `platform` module (`_common_headers`, oauth.py:250-261),
 * from the same OS facts: on Linux `platform.node()` = hostname, `_device_model()` =
 * `<system> <release> <machine>`, `platform.version()` = the kernel version string.
 */
function expectedMsh(deviceId: string): Record<string, string> | undefined {
  if (process.platform !== "linux") return undefined; // the exact values are pinned on Linux (CI)
  return {
    "x-msh-platform": "kimi_cli",
    "x-msh-version": "1.49.0",
    "x-msh-device-name": asciiHeader(os.hostname()),
    "x-msh-device-model": asciiHeader(`${os.type()} ${os.release()} ${os.machine()}`),
    "x-msh-os-version": asciiHeader(os.version()),
    "x-msh-device-id": deviceId,
  };
}

function mshOf(r: RecordedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(r.headers).filter(([n]) => n.startsWith("x-msh-"))) as Record<string, string>;
}

test('identity "kimi-cli": login and chat headers are kimi-cli 1.49.0\'s, --variant high sends thinking enabled', async () => {
  expect(existsSync(join(home.kimiShareDir, "device_id"))).toBe(false);
  const loginRes = await login(home, PROVIDER, DEVICE_LOGIN, { timeoutMs: 60_000 });
  expect(loginRes.exitCode, printed(loginRes)).toBe(0);
  expect(readAuth(home)?.[PROVIDER]?.type).toBe("oauth");

  // The device id is created the way kimi-cli creates it, in the sandbox's KIMI_SHARE_DIR.
  const idPath = join(home.kimiShareDir, "device_id");
  const deviceId = readFileSync(idPath, "utf8");
  expect(deviceId).toMatch(/^[0-9a-f]{32}$/);
  expect(statSync(idPath).mode & 0o777).toBe(0o600);
  const msh = expectedMsh(deviceId);

  // OAuth calls: aiohttp's User-Agent (kimi-cli sets none) plus the X-Msh set.
  const oauthCalls = emu.state.requests.filter((r) => r.host === "oauth");
  expect(oauthCalls.length).toBeGreaterThanOrEqual(2);
  for (const r of oauthCalls) {
    expect(r.headers["user-agent"]).toBe("Python/3.14 aiohttp/3.13.3");
    expect(Object.keys(mshOf(r)).sort()).toEqual(
      ["x-msh-device-id", "x-msh-device-model", "x-msh-device-name", "x-msh-os-version", "x-msh-platform", "x-msh-version"],
    );
    if (msh) expect(mshOf(r)).toEqual(msh);
    expect(r.headers["x-msh-device-id"]).toBe(deviceId);
  }
  // /models: aiohttp's User-Agent, no X-Msh (kimi-cli's /models call sends none).
  const models = emu.state.requestsTo("/coding/v1/models");
  expect(models.length).toBeGreaterThanOrEqual(1);
  for (const r of models) {
    expect(r.headers["user-agent"]).toBe("Python/3.14 aiohttp/3.13.3");
    expect(mshOf(r)).toEqual({});
  }

  const run = await runChat(home, MODEL, "say hello", { variant: "high", json: true, timeoutMs: 90_000 });
  expect(run.exitCode, printed(run)).toBe(0);
  const events = parseEvents(run.stdout);
  expect(events.filter((e) => e.type === "text").map((e) => (e.part as { text?: string }).text)).toEqual([REPLY]);
  const sessionId = events[0]?.sessionID as string;
  const { title, main } = sessionChats(emu, sessionId);
  expect(main.length).toBe(1);
  expect(title).toBeDefined();
  const access = String(readAuth(home)?.[PROVIDER]?.access);
  for (const r of [title!, main[0]!]) {
    expect(r.status).toBe(200);
    expect(r.headers["user-agent"]).toBe("KimiCLI/1.49.0");
    expect(r.headers.authorization).toBe(`Bearer ${access}`);
    expect(r.headers["x-msh-device-id"]).toBe(deviceId);
    expect(Object.keys(mshOf(r)).length).toBe(6);
    if (msh) expect(mshOf(r)).toEqual(msh);
    expect(Object.keys(r.headers).filter((n) => n.startsWith("x-opencode-kimi-") || n === "x-api-key")).toEqual([]);
    expect(bodyOf(r).reasoning_effort).toBeUndefined();
    expect(bodyOf(r).prompt_cache_key).toBe(sessionId);
  }
  expect(bodyOf(main[0]).thinking).toEqual({ type: "enabled" });
  expect(main[0]?.chat?.thinking).toBe(true);
  // The title request carries the first variant (off) where opencode sends variants there at all.
  expect(bodyOf(title).thinking).toEqual(OPENCODE.titleUsesFirstVariant ? { type: "disabled" } : undefined);
  // The device id did not change across processes.
  expect(readFileSync(idPath, "utf8")).toBe(deviceId);
  expect([...pluginErrors(loginRes.stderr), ...pluginErrors(run.stderr)]).toEqual([]);
}, 150_000);
