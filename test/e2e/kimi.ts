// Kimi-specific helpers for the real-opencode e2e tests: the emulator, homes with this plugin,
// seeded logins and views of what the emulator recorded.
import { startEmulator, type EmulatorOptions, type RecordedRequest, type RunningEmulator } from "../../emulator/index.ts";
import {
  cleanup,
  createHome,
  kimiEnv,
  OPENCODE_VERSION,
  PLUGIN_ENTRY,
  stripAnsi,
  writeAuth,
  type OpencodeHome,
  type RunResult,
} from "./harness.ts";

export const PROVIDER = "kimi-for-coding-oauth";
export const DEVICE_LOGIN = "Kimi Code (device login)";
export const MODEL = `${PROVIDER}/kimi-for-coding`;
export const CHAT_PATH = "/coding/v1/chat/completions";
export const TOKEN_PATH = "/api/oauth/token";
export const CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";
export const REPLY = "Hello from the Kimi Code emulator.";
export const REASONING = "The user wants a short answer. I will reply briefly.";
/** What the opencode under test sends as User-Agent on chat requests (NOTES.md §3). */
export const OPENCODE_UA_PREFIX = `opencode/${OPENCODE_VERSION} `;

/** An emulator whose device logins complete on the plugin's first poll (1 s interval). */
export function startKimi(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ pollIntervalSec: 1, autoApproveAfterPolls: 1, ...options });
}

const homes: OpencodeHome[] = [];

export interface KimiHomeOptions {
  /** Plugin options (the tuple form of the plugin entry). */
  options?: Record<string, unknown>;
  /** The plugin to load: this checkout's src/server/index.ts unless given (e.g. an installed package dir). */
  pluginPath?: string;
  provider?: Record<string, unknown>;
  env?: Record<string, string>;
}

/** An isolated opencode home loading the plugin, pointed at `emu`. Removed by `cleanupHomes`. */
export function kimiHome(emu: RunningEmulator, opts: KimiHomeOptions = {}): OpencodeHome {
  const path = opts.pluginPath ?? PLUGIN_ENTRY;
  const home = createHome({
    prefix: "okc-e2e-",
    plugins: [opts.options ? [path, opts.options] : path],
    env: { ...kimiEnv(emu), ...opts.env },
    ...(opts.provider ? { provider: opts.provider } : {}),
    inherit: ["KIMI_CODE_DEBUG"],
  });
  homes.push(home);
  return home;
}

export function cleanupHomes(): void {
  for (const h of homes.splice(0)) cleanup(h);
}

/** Stores a login minted by the emulator (no device flow) in auth.json, as opencode would. */
export function seedLogin(home: OpencodeHome, emu: RunningEmulator, lifetimeSec = 900): { access: string; refresh: string; expires: number } {
  const t = emu.state.mintTokens({ lifetimeSec });
  const entry = { access: t.access_token, refresh: t.refresh_token, expires: Date.now() + lifetimeSec * 1000 };
  writeAuth(home, { [PROVIDER]: { type: "oauth", ...entry, enterpriseUrl: emu.apiBase } });
  return entry;
}

export function isTitle(r: RecordedRequest): boolean {
  return JSON.stringify((r.body as { messages?: unknown } | undefined)?.messages ?? "").includes("title generator");
}

export function bodyOf(r: RecordedRequest | undefined): Record<string, unknown> {
  return (r?.body ?? {}) as Record<string, unknown>;
}

/** Chat requests of one opencode session (by `x-session-affinity`: every tested opencode sends it). */
export function sessionChats(emu: RunningEmulator, sessionId: string): { title?: RecordedRequest; main: RecordedRequest[] } {
  const all = emu.state.requestsTo(CHAT_PATH).filter((r) => r.headers["x-session-affinity"] === sessionId);
  const title = all.find(isTitle);
  return { ...(title ? { title } : {}), main: all.filter((r) => !isTitle(r)) };
}

/** The session id of a run: from `--format json` events, else the only new session seen by the emulator. */
export function sessionIdOf(emu: RunningEmulator, before: number): string | undefined {
  const ids = new Set(
    emu.state
      .requestsTo(CHAT_PATH)
      .slice(before)
      .map((r) => r.headers["x-session-affinity"])
      .filter((v): v is string => typeof v === "string"),
  );
  return ids.size === 1 ? [...ids][0] : undefined;
}

/** refresh_token grants the OAuth host received. */
export function refreshGrants(emu: RunningEmulator): RecordedRequest[] {
  return emu.state.requestsTo(TOKEN_PATH).filter((r) => (r.body as Record<string, string> | undefined)?.grant_type === "refresh_token");
}

/** The plugin's own stderr lines at error level. */
export function pluginErrors(stderr: string): string[] {
  return stripAnsi(stderr)
    .split("\n")
    .filter((l) => l.startsWith("[opencode-kimi-code] error"));
}

/** Everything opencode printed, without colours, for assertion messages. */
export function printed(r: RunResult): string {
  return stripAnsi(`${r.stdout}\n${r.stderr}`);
}

/** The refresh grant kimi-cli would send, straight to the emulator (not through opencode). */
export function refreshDirectly(emu: RunningEmulator, refreshToken: string): Promise<Response> {
  return fetch(`${emu.oauthHost}${TOKEN_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: "refresh_token", refresh_token: refreshToken }),
  });
}
