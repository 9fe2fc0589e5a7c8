// Python's `platform` module as kimi-cli 1.49.0 sees it, computed from Node's `os` facts, and kimi-cli's
// header helpers over it (`_device_model`, `_ascii_header_value` in src/kimi_cli/auth/oauth.py). All
// pure: a HostFacts record in, strings out. Used only by the `kimi-cli` identity.
import { pythonStrip } from "./device-id.ts";

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

