// Runs Kimi's official client, kimi-code 2.1.0 (npm @moonshot-ai/kimi-code, a devDependency), with the
// project's bun against the emulator: a temp home, no telemetry, no update check, nothing off loopback.
// Also turns what it sent into the wire fixture (volatile values replaced by what they are made of).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join, resolve } from "node:path";
import type { RecordedRequest, RunningEmulator } from "../../emulator/index.ts";
import { removeLater } from "../helpers/tmp.ts";

const ROOT = resolve(import.meta.dir, "../..");
export const BUN = join(ROOT, "node_modules/.bin/bun");
export const KIMI_CODE_MAIN = join(ROOT, "node_modules/@moonshot-ai/kimi-code/dist/main.mjs");
export const KIMI_CODE_VERSION = "2.1.0";
export const FIXTURE = join(ROOT, "test/fixtures/kimi-code-2.1.0-wire.json");

export interface KimiHome {
  dir: string;
  /** KIMI_CODE_HOME */
  kimiHome: string;
  /** The working directory of every run. */
  work: string;
  env: Record<string, string>;
  remove(): void;
}

/** A throwaway HOME for kimi-code, pointed at the emulator. */
export function kimiCodeHome(emu: RunningEmulator): KimiHome {
  const dir = removeLater(mkdtempSync(join(os.tmpdir(), "kimi-code-conformance-")));
  const kimiHome = join(dir, ".kimi-code");
  const work = join(dir, "work");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, ".config"),
    XDG_DATA_HOME: join(dir, ".local/share"),
    XDG_CACHE_HOME: join(dir, ".cache"),
    XDG_STATE_HOME: join(dir, ".local/state"),
    KIMI_CODE_HOME: kimiHome,
    KIMI_CODE_OAUTH_HOST: emu.oauthHost,
    KIMI_CODE_BASE_URL: emu.apiBase,
    // dist/main.mjs 285170 (telemetry off: "1"/"true"/…) and 489904 (no update check).
    KIMI_DISABLE_TELEMETRY: "1",
    KIMI_CODE_NO_AUTO_UPDATE: "1",
    // Anything not aimed at the emulator would go through a closed loopback port: nothing leaves.
    HTTP_PROXY: "http://127.0.0.1:9",
    HTTPS_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    TERM: "dumb",
    NO_COLOR: "1",
    CI: "1",
  };
  mkdirSync(work, { recursive: true });
  return { dir, kimiHome, work, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface KimiRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Spawns kimi-code (never synchronously: the emulator answers from this same process). */
export function spawnKimiCode(home: KimiHome, args: string[]) {
  return Bun.spawn([BUN, KIMI_CODE_MAIN, ...args], { env: home.env, cwd: home.work, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

export async function runKimiCode(home: KimiHome, args: string[], timeoutMs = 120_000): Promise<KimiRun> {
  const child = spawnKimiCode(home, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}

/** A loopback port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What each header value is made of, for the fixture. Throws when a value does not have the form the
 * reference gives (kimi-code-official.md "Wire"), so a change shows here first.
 */
function normalizeHeader(name: string, value: string, deviceId: string): string {
  switch (name) {
    case "host":
      return "127.0.0.1:<port>";
    case "authorization":
      return value.startsWith("Bearer ") ? "Bearer <access-token>" : fail(name, value);
    case "x-msh-device-id":
      return UUID.test(value) && value === deviceId ? "<device_id file: randomUUID()>" : fail(name, value);
    case "x-msh-device-name":
      return value === os.hostname() ? "<os.hostname()>" : fail(name, value);
    case "x-msh-device-model":
      return value === `${os.type()} ${os.release()} ${os.arch()}` ? "<os.type() os.release() os.arch()>" : fail(name, value);
    case "x-msh-os-version":
      return value === os.release() ? "<os.release()>" : fail(name, value);
    case "x-stainless-os":
      return "<stainless os: Linux | MacOS | Windows | …>";
    case "x-stainless-arch":
      return value === os.arch() ? "<process.arch>" : fail(name, value);
    case "x-stainless-runtime-version":
      return /^v\d+\.\d+\.\d+$/.test(value) ? "<process.version>" : fail(name, value);
    default:
      return value;
  }
}

function fail(name: string, value: string): never {
  throw new Error(`kimi-code sent ${name}: ${JSON.stringify(value)}, not of the recorded form`);
}

export interface WireEntry {
  method: string;
  path: string;
  /** In the order sent, names lower-cased. */
  headers: Record<string, string>;
  body?: unknown;
}

/** One recorded request as a fixture entry; chat bodies keep every field but the conversation. */
export function wireEntry(request: RecordedRequest, deviceId: string): WireEntry {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = name === "content-length" && request.path.endsWith("/chat/completions") ? "<n>" : normalizeHeader(name, value, deviceId);
  }
  const entry: WireEntry = { method: request.method, path: request.path, headers };
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (key === "messages") out[key] = "<the conversation>";
      else if (key === "tools") out[key] = `<${(value as unknown[]).length} tools>`;
      else if (key === "device_code") out[key] = "<device_code>";
      else if (key === "prompt_cache_key") out[key] = /^session_[0-9a-f-]{36}$/.test(String(value)) ? "session_<session uuid>" : fail(key, String(value));
      else out[key] = value;
    }
    entry.body = out;
  }
  return entry;
}
