// Client identity: which User-Agent and which X-Msh-* headers each kind of call carries. This is the one
// place that decides it, and it decides it by DATA (PROFILES below). Adding an official client or
// following a change of Kimi's allowlist means editing that table, not adding a code path.
//
// Policy (Kimi's rules: tampering with the client identifier can suspend a membership):
// - "opencode" (default, honest): chat keeps opencode's own User-Agent and gets no X-Msh-*; the plugin's
//   own calls (OAuth, /models, /usages) say `opencode-kimi-code/<version>`, no X-Msh-*.
// - "kimi-cli" (explicit opt-in): byte-for-byte what kimi-cli 1.49.0 sends (kimi-cli-wire.md §1–§2.3).
//
// The X-Msh values are computed the way kimi-cli computes them in Python (`platform.*`,
// `_device_model`, `_ascii_header_value` in src/kimi_cli/auth/oauth.py), from Node's `os` facts. The
// computation is a pure function of a HostFacts record; `readHostFacts()` gathers the record once.
import { readFile } from "node:fs/promises";
import * as os from "node:os";
import { PLUGIN_USER_AGENT } from "../../config/constants.ts";
import { getDeviceId, pythonStrip } from "./kimi-cli/device-id.ts";
import { log } from "../../support/log.ts";
import type { IdentityName } from "../../config/options.ts";

/** chat: POST /chat/completions. oauth: device authorization, token polling, refresh. api: /models, /usages. */
export type CallKind = "chat" | "oauth" | "api";
export const CALL_KINDS: readonly CallKind[] = ["chat", "oauth", "api"];
/** The headers an identity puts on a call of a kind (`Identity.headers`), as callers depend on it. */
export type HeaderSource = (kind: CallKind) => Promise<Record<string, string>>;

/** kimi-cli release we reproduce (pyproject.toml:3 at the 1.49.0 release commit). */
export const KIMI_CLI_VERSION = "1.49.0";
/** kimi-cli's chat User-Agent: `KimiCLI/<version>` (constant.py `get_user_agent`). */
export const KIMI_CLI_USER_AGENT = `KimiCLI/${KIMI_CLI_VERSION}`;
/**
 * aiohttp's default User-Agent, `Python/<major>.<minor> aiohttp/<version>` (aiohttp/http.py
 * SERVER_SOFTWARE), which kimi-cli's OAuth, /models and /usages calls carry because they set none.
 * kimi-cli pins aiohttp==3.13.3 and its release builds use Python 3.14 (.python-version); a pip install
 * on another Python would say e.g. `Python/3.12`.
 */
export const KIMI_CLI_AIOHTTP_USER_AGENT = "Python/3.14 aiohttp/3.13.3";

/** What the X-Msh set claims to be (`X-Msh-Platform`, `X-Msh-Version`). */
export interface MshClient {
  platform: string;
  version: string;
}

/** How one kind of call goes out. */
export interface CallRule {
  /** The User-Agent to set, or KEEP_CALLER_USER_AGENT to leave the caller's (opencode's) untouched. */
  userAgent: string | typeof KEEP_CALLER_USER_AGENT;
  /** Whether the six X-Msh-* headers of the profile's `client` are added. */
  msh: boolean;
}

export const KEEP_CALLER_USER_AGENT = null;

export interface Profile {
  /** Completes "requests went out as …", e.g. in error messages and diagnostics. */
  description: string;
  /** Identity claimed by the X-Msh set; required when any call kind has `msh: true`. */
  client?: MshClient;
  calls: Readonly<Record<CallKind, Readonly<CallRule>>>;
}

const KIMI_CLI_CLIENT: MshClient = { platform: "kimi_cli", version: KIMI_CLI_VERSION };

/**
 * THE identity table. One row per identity; one rule per kind of call.
 * (For reference, kimi-code, the successor, would be client { platform: "kimi_code_cli",
 * version: "<ver>" } with User-Agent `kimi-code-cli/<ver>`, kimi-cli-wire.md §11; it is not offered.)
 */
export const PROFILES: Readonly<Record<IdentityName, Readonly<Profile>>> = {
  opencode: {
    description: "opencode's own User-Agent",
    calls: {
      chat: { userAgent: KEEP_CALLER_USER_AGENT, msh: false },
      oauth: { userAgent: PLUGIN_USER_AGENT, msh: false },
      api: { userAgent: PLUGIN_USER_AGENT, msh: false },
    },
  },
  "kimi-cli": {
    description: `kimi-cli ${KIMI_CLI_VERSION}`,
    client: KIMI_CLI_CLIENT,
    calls: {
      chat: { userAgent: KIMI_CLI_USER_AGENT, msh: true },
      oauth: { userAgent: KIMI_CLI_AIOHTTP_USER_AGENT, msh: true },
      api: { userAgent: KIMI_CLI_AIOHTTP_USER_AGENT, msh: false },
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// Host facts → Python's `platform` values → X-Msh values (all pure)

/** Raw facts from Node about this machine. Pure functions below turn them into what Python reports. */
export interface HostFacts {
  /** `os.type()`: "Linux", "Darwin", "Windows_NT", "FreeBSD", … ("Windows" is accepted too). */
  system: string;
  /** `os.release()`: "6.18.44-fc-v669", "23.1.0", "10.0.22631". */
  release: string;
  /** `os.version()`: "#1 SMP PREEMPT_DYNAMIC @0", "Darwin Kernel Version 23.1.0: …", "Windows 11 Pro". */
  version: string;
  /** `os.machine()`: "x86_64", "arm64", "aarch64" (on Windows libuv's names, e.g. "x86_64", "arm64"). */
  machine: string;
  /** `os.hostname()`. */
  hostname: string;
  /** macOS only: ProductVersion from /System/Library/CoreServices/SystemVersion.plist, e.g. "15.1.1". */
  macProductVersion?: string;
}

/** The subset of Python's `platform` module kimi-cli reads, as Python would report it on that host. */
export interface PythonPlatform {
  /** platform.system() */
  system: string;
  /** platform.node() */
  node: string;
  /** platform.release() */
  release: string;
  /** platform.version() */
  version: string;
  /** platform.machine() */
  machine: string;
  /** platform.mac_ver()[0] ("" off macOS or when unreadable) */
  macVer: string;
  /** Windows build number (sys.getwindowsversion().build), when known. */
  windowsBuild?: number;
}

// CPython 3.12+ Lib/platform.py `_WIN32_CLIENT_RELEASES` / `_WIN32_SERVER_RELEASES`: first entry whose
// (major, minor, build) is <= the OS version wins.
const WIN32_CLIENT_RELEASES: ReadonlyArray<readonly [number, number, number, string]> = [
  [10, 1, 0, "post11"],
  [10, 0, 22000, "11"],
  [6, 4, 0, "10"],
  [6, 3, 0, "8.1"],
  [6, 2, 0, "8"],
  [6, 1, 0, "7"],
  [6, 0, 0, "Vista"],
  [5, 2, 3790, "XP64"],
  [5, 2, 0, "XPMedia"],
  [5, 1, 0, "XP"],
  [5, 0, 0, "2000"],
];
const WIN32_SERVER_RELEASES: ReadonlyArray<readonly [number, number, number, string]> = [
  [10, 1, 0, "post2025Server"],
  [10, 0, 26100, "2025Server"],
  [10, 0, 20348, "2022Server"],
  [10, 0, 17763, "2019Server"],
  [6, 4, 0, "2016Server"],
  [6, 3, 0, "2012ServerR2"],
  [6, 2, 0, "2012Server"],
  [6, 1, 0, "2008ServerR2"],
  [6, 0, 0, "2008Server"],
  [5, 2, 0, "2003Server"],
  [5, 0, 0, "2000Server"],
];

function compareVersion(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Python's name for a Windows CPU architecture (CPython 3.12+ `_get_machine_win32`: Win32_Processor
 * Architecture → "x86", "ARM", "ia64", "AMD64", "ARM64"), from Node's `os.machine()`/`os.arch()` name.
 */
export function pythonWindowsMachine(nodeMachine: string): string {
  switch (nodeMachine.toLowerCase()) {
    case "x86_64":
    case "amd64":
    case "x64":
      return "AMD64";
    case "arm64":
    case "aarch64":
      return "ARM64";
    case "i386":
    case "i486":
    case "i586":
    case "i686":
    case "ia32":
    case "x86":
      return "x86";
    case "arm":
    case "armv7l":
      return "ARM";
    case "ia64":
      return "ia64";
    default:
      return nodeMachine;
  }
}

/** What Python 3.14's `platform` module reports on the host described by `facts`. */
export function pythonPlatform(facts: HostFacts): PythonPlatform {
  const isWindows = facts.system === "Windows_NT" || facts.system === "Windows";
  if (!isWindows) {
    return {
      system: facts.system,
      node: facts.hostname,
      release: facts.release,
      version: facts.version,
      machine: facts.machine,
      macVer: facts.system === "Darwin" ? (facts.macProductVersion ?? "") : "",
    };
  }
  // Windows: platform.version() is the OS version "10.0.22631" (Node's os.release()); platform.release()
  // comes from CPython's release tables (client vs server; Node's os.version() is the product name,
  // e.g. "Windows Server 2022 Datacenter"); platform.machine() uses Windows' architecture names.
  const parts = facts.release.split(".").map((p) => Number.parseInt(p, 10));
  const valid = parts.length >= 1 && parts.every((n) => Number.isFinite(n));
  let release = "";
  if (valid) {
    const table = /server/i.test(facts.version) ? WIN32_SERVER_RELEASES : WIN32_CLIENT_RELEASES;
    const hit = table.find(([ma, mi, bu]) => compareVersion([ma, mi, bu], parts) <= 0);
    if (hit) release = hit[3];
  }
  const build = valid ? parts[2] : undefined;
  return {
    system: "Windows",
    node: facts.hostname,
    release,
    version: facts.release,
    machine: pythonWindowsMachine(facts.machine),
    macVer: "",
    ...(build !== undefined ? { windowsBuild: build } : {}),
  };
}

function joinModel(prefix: string, version: string, arch: string): string {
  if (version && arch) return `${prefix} ${version} ${arch}`;
  if (version) return `${prefix} ${version}`;
  return pythonStrip(`${prefix} ${arch}`);
}

/** kimi-cli `_device_model()` (oauth.py:194-225) over Python's platform values. */
export function deviceModel(py: PythonPlatform): string {
  const arch = py.machine || "";
  if (py.system === "Darwin") return joinModel("macOS", py.macVer || py.release, arch);
  if (py.system === "Windows") {
    let release = py.release;
    if (release === "10" && py.windowsBuild !== undefined && py.windowsBuild >= 22000) release = "11";
    return joinModel("Windows", release, arch);
  }
  if (py.system) return joinModel(py.system, py.release, arch);
  return "Unknown";
}

/** Python's `value.encode("ascii")` succeeds. */
function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * kimi-cli `_ascii_header_value` (oauth.py:241-247): pure ASCII → stripped at both ends only (an empty
 * value stays empty); otherwise non-ASCII characters dropped, stripped, and "unknown" if nothing is left.
 */
export function asciiHeaderValue(value: string, fallback = "unknown"): string {
  if (isAscii(value)) return pythonStrip(value);
  let kept = "";
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) <= 0x7f) kept += value[i];
  return pythonStrip(kept) || fallback;
}

/**
 * The six X-Msh-* headers in kimi-cli's order (`_common_headers`, oauth.py:250-261), each sanitised.
 * `client` defaults to kimi-cli 1.49.0.
 */
export function kimiCliMshHeaders(
  facts: HostFacts,
  deviceId: string,
  client: MshClient = KIMI_CLI_CLIENT,
): Record<string, string> {
  const py = pythonPlatform(facts);
  const raw: Array<[string, string]> = [
    ["X-Msh-Platform", client.platform],
    ["X-Msh-Version", client.version],
    ["X-Msh-Device-Name", py.node],
    ["X-Msh-Device-Model", deviceModel(py)],
    ["X-Msh-Os-Version", py.version],
    ["X-Msh-Device-Id", deviceId],
  ];
  const headers: Record<string, string> = {};
  for (const [name, value] of raw) headers[name] = asciiHeaderValue(value);
  return headers;
}

/**
 * Headers of one call kind for a profile, User-Agent first (as kimi-cli's dicts), then the X-Msh set.
 * `msh` is needed only when the rule adds it.
 */
export function profileHeaders(profile: Profile, kind: CallKind, msh?: Record<string, string>): Record<string, string> {
  const rule = profile.calls[kind];
  const headers: Record<string, string> = {};
  if (rule.userAgent !== KEEP_CALLER_USER_AGENT) headers["User-Agent"] = rule.userAgent;
  if (rule.msh) {
    if (!msh) throw new Error(`identity: the X-Msh headers are required for ${kind} calls`);
    Object.assign(headers, msh);
  }
  return headers;
}

// ---------------------------------------------------------------------------------------------------
// Reading the real machine

const MAC_SYSTEM_VERSION_PLIST = "/System/Library/CoreServices/SystemVersion.plist";

/** ProductVersion from a SystemVersion.plist (XML), as Python's `platform.mac_ver()` reads it. */
export function parseMacProductVersion(plist: string): string | undefined {
  const m = /<key>\s*ProductVersion\s*<\/key>\s*<string>([^<]*)<\/string>/.exec(plist);
  return m ? m[1] : undefined;
}

function nodeMachine(): string {
  try {
    const m = os.machine();
    if (m) return m;
  } catch {
    // older runtimes lack os.machine(); fall through
  }
  const arch = os.arch();
  const map: Record<string, string> = { x64: "x86_64", arm64: os.type() === "Linux" ? "aarch64" : "arm64", ia32: "i686" };
  return map[arch] ?? arch;
}

function safe(read: () => string): string {
  try {
    return read();
  } catch {
    return "";
  }
}

async function readHostFactsNow(): Promise<HostFacts> {
  const facts: HostFacts = {
    system: safe(os.type),
    release: safe(os.release),
    version: safe(os.version),
    machine: safe(nodeMachine),
    hostname: safe(os.hostname),
  };
  if (facts.system === "Darwin") {
    try {
      const v = parseMacProductVersion(await readFile(MAC_SYSTEM_VERSION_PLIST, "utf8"));
      if (v !== undefined) facts.macProductVersion = v;
    } catch {
      // Python's mac_ver() gives "" too; _device_model then falls back to platform.release()
    }
  }
  return facts;
}

let hostFacts: Promise<HostFacts> | undefined;

/** The facts of this machine, read once per process. Never rejects. */
export function readHostFacts(): Promise<HostFacts> {
  hostFacts ??= readHostFactsNow();
  return hostFacts;
}

// ---------------------------------------------------------------------------------------------------
// The identity object the rest of the plugin uses

export interface Identity {
  name: IdentityName;
  /** Completes "requests went out as …": "opencode's own User-Agent", "kimi-cli 1.49.0". */
  description: string;
  profile: Readonly<Profile>;
  /**
   * Headers to set on a call of this kind (a fresh object each time, User-Agent first). Under
   * "opencode", chat gives {} (the caller's User-Agent is kept). Never rejects for the PROFILES table
   * (host facts and the device id fall back instead of failing; test/identity.test.ts checks the table).
   */
  headers(kind: CallKind): Promise<Record<string, string>>;
}

export interface IdentityOptions {
  /** Where kimi-cli keeps device_id; read only when the profile sends X-Msh headers. */
  kimiShareDir: string;
  /** Tests: fixed host facts instead of this machine's. */
  facts?: HostFacts;
  /** Tests: fixed device id instead of reading/creating `<kimiShareDir>/device_id`. */
  deviceId?: string;
}

/**
 * An identity for `name`. The X-Msh set is computed on first need and memoised; a profile that never
 * sends it never reads the host or the device id file.
 */
export function createIdentity(name: IdentityName, opts: IdentityOptions): Identity {
  const profile = PROFILES[name];
  let msh: Promise<Record<string, string>> | undefined;
  const mshHeaders = (): Promise<Record<string, string>> => {
    msh ??= (async () => {
      const client = profile.client;
      if (!client) throw new Error(`identity ${name}: a call kind sends X-Msh headers but no client is set`);
      const [facts, deviceId] = await Promise.all([
        opts.facts ?? readHostFacts(),
        opts.deviceId ?? getDeviceId(opts.kimiShareDir),
      ]);
      return kimiCliMshHeaders(facts, deviceId, client);
    })();
    return msh;
  };
  return {
    name,
    description: profile.description,
    profile,
    async headers(kind) {
      return profileHeaders(profile, kind, profile.calls[kind].msh ? await mshHeaders() : undefined);
    },
  };
}

/**
 * Sets `extra` on `headers` (Headers matches names case-insensitively, so a caller's `user-agent` is
 * replaced, not duplicated). A value Headers rejects (e.g. containing CR/LF) is skipped with a warning
 * rather than thrown into the request path.
 */
export function applyIdentityHeaders(headers: Headers, extra: Record<string, string>): Headers {
  for (const [name, value] of Object.entries(extra)) {
    try {
      headers.set(name, value);
    } catch (err) {
      log("warn", `identity header ${name} has a value HTTP cannot carry; not sent`, {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return headers;
}
