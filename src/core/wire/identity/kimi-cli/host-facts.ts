// Reads the facts of this machine that kimi-cli's X-Msh headers are computed from, once per process.
import { readFile } from "node:fs/promises";
import * as os from "node:os";
import type { HostFacts } from "./python-platform.ts";

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
