import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import * as os from "node:os";
import { join } from "node:path";
import { PLUGIN_USER_AGENT } from "../../../../src/core/config/constants.ts";
import { clearDeviceIdCache } from "../../../../src/core/wire/identity/kimi-cli/device-id.ts";
import { applyIdentityHeaders, createIdentity } from "../../../../src/core/wire/identity/identity.ts";
import { CALL_KINDS, PROFILES } from "../../../../src/core/wire/identity/profiles.ts";
import { readHostFacts, parseMacProductVersion } from "../../../../src/core/wire/identity/kimi-cli/host-facts.ts";
import { kimiCliMshHeaders } from "../../../../src/core/wire/identity/kimi-cli/msh-headers.ts";
import {
  asciiHeaderValue,
  deviceModel,
  type HostFacts,
  pythonPlatform,
  pythonWindowsMachine,
} from "../../../../src/core/wire/identity/kimi-cli/python-platform.ts";
import { setLogSink } from "../../../../src/core/support/log.ts";
import { IDENTITY_NAMES } from "../../../../src/core/config/options.ts";
import { removeTempDir, tempDir } from "../../../helpers/tmp.ts";

const DEVICE_ID = "0123456789abcdef0123456789abcdef";
const MSH_ORDER = [
  "X-Msh-Platform",
  "X-Msh-Version",
  "X-Msh-Device-Name",
  "X-Msh-Device-Model",
  "X-Msh-Os-Version",
  "X-Msh-Device-Id",
];

interface Case {
  name: string;
  facts: HostFacts;
  deviceName: string;
  deviceModel: string;
  osVersion: string;
}

const DARWIN_24 =
  "Darwin Kernel Version 24.1.0: Thu Oct 10 21:06:57 PDT 2024; root:xnu-11215.41.3~3/RELEASE_ARM64_T6041";
const DARWIN_23_X86 =
  "Darwin Kernel Version 23.1.0: Mon Oct  9 21:27:27 PDT 2023; root:xnu-10002.41.9~6/RELEASE_X86_64";

const CASES: Case[] = [
  // ---- Linux
  {
    name: "Linux x86_64 (the research machine's values)",
    facts: { system: "Linux", release: "6.18.44-fc-v669", version: "#1 SMP PREEMPT_DYNAMIC @0", machine: "x86_64", hostname: "devbox" },
    deviceName: "devbox",
    deviceModel: "Linux 6.18.44-fc-v669 x86_64",
    osVersion: "#1 SMP PREEMPT_DYNAMIC @0",
  },
  {
    name: "Linux aarch64, version with trailing newline, Chinese hostname",
    facts: {
      system: "Linux",
      release: "6.8.0-1017-raspi",
      version: "#18-Ubuntu SMP PREEMPT_DYNAMIC Fri Jan 17 10:12:08 UTC 2025\n",
      machine: "aarch64",
      hostname: "我的电脑",
    },
    deviceName: "unknown",
    deviceModel: "Linux 6.8.0-1017-raspi aarch64",
    osVersion: "#18-Ubuntu SMP PREEMPT_DYNAMIC Fri Jan 17 10:12:08 UTC 2025",
  },
  {
    name: "Linux, mixed-script hostname keeps its ASCII, case and length",
    facts: {
      system: "Linux",
      release: "5.15.167.4-microsoft-standard-WSL2",
      version: "#1 SMP Tue Nov 5 00:21:55 UTC 2024",
      machine: "x86_64",
      hostname: "DESKTOP-ÄBC123-Very-Long-Host-Name-That-Is-Not-Truncated-At-All.example.internal",
    },
    deviceName: "DESKTOP-BC123-Very-Long-Host-Name-That-Is-Not-Truncated-At-All.example.internal",
    deviceModel: "Linux 5.15.167.4-microsoft-standard-WSL2 x86_64",
    osVersion: "#1 SMP Tue Nov 5 00:21:55 UTC 2024",
  },
  {
    name: "Linux without machine",
    facts: { system: "Linux", release: "5.10.0", version: "#1 SMP", machine: "", hostname: "h" },
    deviceName: "h",
    deviceModel: "Linux 5.10.0",
    osVersion: "#1 SMP",
  },
  {
    name: "Linux without release",
    facts: { system: "Linux", release: "", version: "", machine: "riscv64", hostname: "" },
    deviceName: "",
    deviceModel: "Linux riscv64",
    osVersion: "",
  },
  {
    name: "FreeBSD",
    facts: { system: "FreeBSD", release: "14.1-RELEASE", version: "FreeBSD 14.1-RELEASE releng/14.1-n267679-10e31f0946d8 GENERIC", machine: "amd64", hostname: "bsd" },
    deviceName: "bsd",
    deviceModel: "FreeBSD 14.1-RELEASE amd64",
    osVersion: "FreeBSD 14.1-RELEASE releng/14.1-n267679-10e31f0946d8 GENERIC",
  },
  {
    name: "no system at all",
    facts: { system: "", release: "1", version: "v", machine: "x86_64", hostname: "h" },
    deviceName: "h",
    deviceModel: "Unknown",
    osVersion: "v",
  },
  // ---- macOS
  {
    name: "macOS arm64 with product version and an accented hostname",
    facts: { system: "Darwin", release: "24.1.0", version: DARWIN_24, machine: "arm64", hostname: "José's MacBook", macProductVersion: "15.1.1" },
    deviceName: "Jos's MacBook",
    deviceModel: "macOS 15.1.1 arm64",
    osVersion: DARWIN_24,
  },
  {
    name: "macOS x86_64, plist unreadable: falls back to the Darwin release",
    facts: { system: "Darwin", release: "23.1.0", version: DARWIN_23_X86, machine: "x86_64", hostname: "MacBook-Pro.local" },
    deviceName: "MacBook-Pro.local",
    deviceModel: "macOS 23.1.0 x86_64",
    osVersion: DARWIN_23_X86,
  },
  {
    name: "macOS, empty product version also falls back; hostname padded",
    facts: { system: "Darwin", release: "25.0.0", version: "Darwin Kernel Version 25.0.0", machine: "arm64", hostname: "  Mac-mini.local\n", macProductVersion: "" },
    deviceName: "Mac-mini.local",
    deviceModel: "macOS 25.0.0 arm64",
    osVersion: "Darwin Kernel Version 25.0.0",
  },
  {
    name: "macOS without arch",
    facts: { system: "Darwin", release: "24.0.0", version: "v", machine: "", hostname: "m", macProductVersion: "15.0" },
    deviceName: "m",
    deviceModel: "macOS 15.0",
    osVersion: "v",
  },
  {
    name: "macOS without any version",
    facts: { system: "Darwin", release: "", version: "", machine: "arm64", hostname: "张三的MacBook Pro" },
    deviceName: "MacBook Pro",
    deviceModel: "macOS arm64",
    osVersion: "",
  },
  // ---- Windows (Node: os.type() "Windows_NT", os.release() "10.0.<build>", os.version() product name)
  {
    name: "Windows 11 x64 (registry still says Windows 10 Pro)",
    facts: { system: "Windows_NT", release: "10.0.22631", version: "Windows 10 Pro", machine: "x86_64", hostname: "DESKTOP-7H2K9QL" },
    deviceName: "DESKTOP-7H2K9QL",
    deviceModel: "Windows 11 AMD64",
    osVersion: "10.0.22631",
  },
  {
    name: "Windows 11 ARM64, Chinese hostname",
    facts: { system: "Windows_NT", release: "10.0.26100", version: "Windows 11 Home", machine: "arm64", hostname: "我的电脑" },
    deviceName: "unknown",
    deviceModel: "Windows 11 ARM64",
    osVersion: "10.0.26100",
  },
  {
    name: "Windows 11 first build (22000)",
    facts: { system: "Windows_NT", release: "10.0.22000", version: "Windows 10 Enterprise", machine: "x86_64", hostname: "W" },
    deviceName: "W",
    deviceModel: "Windows 11 AMD64",
    osVersion: "10.0.22000",
  },
  {
    name: "Windows 10 22H2",
    facts: { system: "Windows_NT", release: "10.0.19045", version: "Windows 10 Home", machine: "x86_64", hostname: "José-PC" },
    deviceName: "Jos-PC",
    deviceModel: "Windows 10 AMD64",
    osVersion: "10.0.19045",
  },
  {
    name: "Windows 10 last build before 11 (21999)",
    facts: { system: "Windows", release: "10.0.21999", version: "Windows 10 Pro", machine: "x64", hostname: "W" },
    deviceName: "W",
    deviceModel: "Windows 10 AMD64",
    osVersion: "10.0.21999",
  },
  {
    name: "Windows Server 2022 (CPython's server release names)",
    facts: { system: "Windows_NT", release: "10.0.20348", version: "Windows Server 2022 Datacenter", machine: "x86_64", hostname: "SRV01" },
    deviceName: "SRV01",
    deviceModel: "Windows 2022Server AMD64",
    osVersion: "10.0.20348",
  },
  {
    name: "Windows 7 32-bit",
    facts: { system: "Windows_NT", release: "6.1.7601", version: "Windows 7 Ultimate", machine: "i686", hostname: "OLD" },
    deviceName: "OLD",
    deviceModel: "Windows 7 x86",
    osVersion: "6.1.7601",
  },
  {
    name: "Windows with unparsable release and no machine",
    facts: { system: "Windows_NT", release: "", version: "", machine: "", hostname: "W" },
    deviceName: "W",
    deviceModel: "Windows",
    osVersion: "",
  },
];

describe("kimiCliMshHeaders (pure)", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const h = kimiCliMshHeaders(c.facts, DEVICE_ID);
      expect(Object.keys(h)).toEqual(MSH_ORDER);
      expect(h).toEqual({
        "X-Msh-Platform": "kimi_cli",
        "X-Msh-Version": "1.49.0",
        "X-Msh-Device-Name": c.deviceName,
        "X-Msh-Device-Model": c.deviceModel,
        "X-Msh-Os-Version": c.osVersion,
        "X-Msh-Device-Id": DEVICE_ID,
      });
    });
  }

  test("the device id is sanitised too, and another client can be named", () => {
    const facts = CASES[0]!.facts;
    const h = kimiCliMshHeaders(facts, " abc\n", { platform: "kimi_code_cli", version: "0.38.0", scheme: "kimi-cli" });
    expect(h["X-Msh-Platform"]).toBe("kimi_code_cli");
    expect(h["X-Msh-Version"]).toBe("0.38.0");
    expect(h["X-Msh-Device-Id"]).toBe("abc");
    expect(kimiCliMshHeaders(facts, "")["X-Msh-Device-Id"]).toBe("");
  });
});

describe("Python semantics", () => {
  test("asciiHeaderValue matches kimi-cli's _ascii_header_value", () => {
    expect(asciiHeaderValue("héllo")).toBe("hllo");
    expect(asciiHeaderValue("你好")).toBe("unknown");
    expect(asciiHeaderValue(" é ")).toBe("unknown");
    expect(asciiHeaderValue("")).toBe("");
    expect(asciiHeaderValue("   ")).toBe("");
    expect(asciiHeaderValue("  value\n")).toBe("value");
    expect(asciiHeaderValue("a  b")).toBe("a  b");
    expect(asciiHeaderValue("\x1fv\x1c")).toBe("v"); // Python strips U+001C..U+001F, JS trim() does not
    expect(asciiHeaderValue("\ufeffv")).toBe("v"); // BOM is non-ASCII: dropped
    expect(asciiHeaderValue("ü\n x \u00a0")).toBe("x");
    expect(asciiHeaderValue("你好", "fallback")).toBe("fallback");
  });

  test("deviceModel: an older Python that reports release 10 on build >= 22000 still gives Windows 11", () => {
    const base = { system: "Windows", node: "W", version: "10.0.22631", machine: "AMD64", macVer: "" };
    expect(deviceModel({ ...base, release: "10", windowsBuild: 22631 })).toBe("Windows 11 AMD64");
    expect(deviceModel({ ...base, release: "10", windowsBuild: 19045 })).toBe("Windows 10 AMD64");
    expect(deviceModel({ ...base, release: "10" })).toBe("Windows 10 AMD64");
    expect(deviceModel({ ...base, release: "", machine: "" })).toBe("Windows");
  });

  test("pythonPlatform maps Windows facts to platform.* values", () => {
    expect(pythonPlatform({ system: "Windows_NT", release: "10.0.22631", version: "Windows 10 Pro", machine: "x86_64", hostname: "W" })).toEqual({
      system: "Windows",
      node: "W",
      release: "11",
      version: "10.0.22631",
      machine: "AMD64",
      macVer: "",
      windowsBuild: 22631,
    });
    expect(pythonPlatform({ system: "Windows_NT", release: "10.1.0", version: "", machine: "x86_64", hostname: "W" }).release).toBe("post11");
    expect(pythonPlatform({ system: "Windows_NT", release: "10.0.26100", version: "Windows Server 2025 Standard", machine: "x86_64", hostname: "W" }).release).toBe("2025Server");
    expect(pythonPlatform({ system: "Windows_NT", release: "10.0.17763", version: "Windows Server 2019 Standard", machine: "x86_64", hostname: "W" }).release).toBe("2019Server");
    expect(pythonPlatform({ system: "Linux", release: "6.1", version: "v", machine: "x86_64", hostname: "l", macProductVersion: "15.0" }).macVer).toBe("");
  });

  test("pythonWindowsMachine", () => {
    expect(["x86_64", "AMD64", "x64", "arm64", "aarch64", "i686", "ia32", "arm", "ia64", "mips"].map(pythonWindowsMachine)).toEqual([
      "AMD64",
      "AMD64",
      "AMD64",
      "ARM64",
      "ARM64",
      "x86",
      "x86",
      "ARM",
      "ia64",
      "mips",
    ]);
  });

  test("parseMacProductVersion reads the XML plist", () => {
    const plist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>BuildID</key>
	<string>2D7E0D2A-9C27-11EF-9D3F-7D4C1F2A7B3E</string>
	<key>ProductBuildVersion</key>
	<string>24B91</string>
	<key>ProductName</key>
	<string>macOS</string>
	<key>ProductUserVisibleVersion</key>
	<string>15.1.1</string>
	<key>ProductVersion</key>
	<string>15.1.1</string>
</dict>
</plist>`;
    expect(parseMacProductVersion(plist)).toBe("15.1.1");
    expect(parseMacProductVersion("<plist></plist>")).toBeUndefined();
  });
});

describe("PROFILES (the data table)", () => {
  test("has a row for every identity name, with a description", () => {
    expect(Object.keys(PROFILES).sort()).toEqual([...IDENTITY_NAMES].sort());
    expect(PROFILES.opencode.description).toBe("opencode's own User-Agent");
    expect(PROFILES["kimi-cli"].description).toBe("kimi-cli 1.49.0");
  });

  test("every profile that sends X-Msh names the client it claims", () => {
    for (const p of Object.values(PROFILES)) {
      if (CALL_KINDS.some((k) => p.calls[k].msh)) expect(p.client).toBeDefined();
    }
  });

  test("opencode claims nothing: chat keeps the caller's UA, no X-Msh anywhere", () => {
    const p = PROFILES.opencode;
    expect(p.client).toBeUndefined();
    expect(p.calls.chat).toEqual({ userAgent: null, msh: false });
    expect(p.calls.oauth).toEqual({ userAgent: PLUGIN_USER_AGENT, msh: false });
    expect(p.calls.api).toEqual({ userAgent: PLUGIN_USER_AGENT, msh: false });
  });
});

describe("createIdentity", () => {
  const facts: HostFacts = CASES[0]!.facts;
  let share: string;
  beforeEach(async () => {
    clearDeviceIdCache();
    share = await tempDir("kimi-identity-");
  });
  afterEach(async () => {
    clearDeviceIdCache();
    await removeTempDir(share);
  });

  test("opencode: chat {}, own calls as opencode-kimi-code/<version>, never touches the share dir", async () => {
    const id = createIdentity("opencode", { kimiShareDir: join(share, ".kimi") });
    expect(id.name).toBe("opencode");
    expect(id.description).toBe("opencode's own User-Agent");
    expect(await id.headers("chat")).toEqual({});
    expect(await id.headers("oauth")).toEqual({ "User-Agent": "opencode-kimi-code/0.1.0" });
    expect(await id.headers("api")).toEqual({ "User-Agent": "opencode-kimi-code/0.1.0" });
    expect(await readdir(share)).toEqual([]);
  });

  test("kimi-cli: exact headers and order for every call kind", async () => {
    const id = createIdentity("kimi-cli", { kimiShareDir: share, facts, deviceId: DEVICE_ID });
    expect(id.description).toBe("kimi-cli 1.49.0");
    const msh = {
      "X-Msh-Platform": "kimi_cli",
      "X-Msh-Version": "1.49.0",
      "X-Msh-Device-Name": "devbox",
      "X-Msh-Device-Model": "Linux 6.18.44-fc-v669 x86_64",
      "X-Msh-Os-Version": "#1 SMP PREEMPT_DYNAMIC @0",
      "X-Msh-Device-Id": DEVICE_ID,
    };
    const chat = await id.headers("chat");
    expect(chat).toEqual({ "User-Agent": "KimiCLI/1.49.0", ...msh });
    expect(Object.keys(chat)).toEqual(["User-Agent", ...MSH_ORDER]);
    const oauth = await id.headers("oauth");
    expect(oauth).toEqual({ "User-Agent": "Python/3.14 aiohttp/3.13.3", ...msh });
    expect(Object.keys(oauth)).toEqual(["User-Agent", ...MSH_ORDER]);
    expect(await id.headers("api")).toEqual({ "User-Agent": "Python/3.14 aiohttp/3.13.3" });
    expect(await readdir(share)).toEqual([]); // device id was given
  });

  test("kimi-cli on macOS and Windows facts", async () => {
    const mac = createIdentity("kimi-cli", { kimiShareDir: share, facts: CASES[7]!.facts, deviceId: DEVICE_ID });
    expect(await mac.headers("chat")).toEqual({
      "User-Agent": "KimiCLI/1.49.0",
      "X-Msh-Platform": "kimi_cli",
      "X-Msh-Version": "1.49.0",
      "X-Msh-Device-Name": "Jos's MacBook",
      "X-Msh-Device-Model": "macOS 15.1.1 arm64",
      "X-Msh-Os-Version": DARWIN_24,
      "X-Msh-Device-Id": DEVICE_ID,
    });
    const win = createIdentity("kimi-cli", { kimiShareDir: share, facts: CASES[12]!.facts, deviceId: DEVICE_ID });
    expect(await win.headers("oauth")).toEqual({
      "User-Agent": "Python/3.14 aiohttp/3.13.3",
      "X-Msh-Platform": "kimi_cli",
      "X-Msh-Version": "1.49.0",
      "X-Msh-Device-Name": "DESKTOP-7H2K9QL",
      "X-Msh-Device-Model": "Windows 11 AMD64",
      "X-Msh-Os-Version": "10.0.22631",
      "X-Msh-Device-Id": DEVICE_ID,
    });
  });

  test("kimi-cli reads (creating) <kimiShareDir>/device_id and this machine's facts", async () => {
    const dir = join(share, ".kimi");
    const id = createIdentity("kimi-cli", { kimiShareDir: dir });
    const [chat, oauth] = await Promise.all([id.headers("chat"), id.headers("oauth")]);
    const deviceId = await readFile(join(dir, "device_id"), "utf8");
    expect(deviceId).toMatch(/^[0-9a-f]{32}$/);
    expect(chat["X-Msh-Device-Id"]).toBe(deviceId);
    expect(oauth["X-Msh-Device-Id"]).toBe(deviceId);
    expect(chat["X-Msh-Device-Name"]).toBe(asciiHeaderValue(os.hostname()));
    expect(chat["X-Msh-Device-Model"]).toBe(deviceModel(pythonPlatform(await readHostFacts())));
  });

  test("memoised, but each call returns a fresh object", async () => {
    const id = createIdentity("kimi-cli", { kimiShareDir: share, facts, deviceId: DEVICE_ID });
    const a = await id.headers("chat");
    a["X-Msh-Device-Id"] = "tampered";
    delete a["User-Agent"];
    const b = await id.headers("chat");
    expect(b["X-Msh-Device-Id"]).toBe(DEVICE_ID);
    expect(b["User-Agent"]).toBe("KimiCLI/1.49.0");
    expect(b).not.toBe(await id.headers("chat"));
  });
});

describe("readHostFacts", () => {
  test("reads this machine once", async () => {
    const p = readHostFacts();
    expect(readHostFacts()).toBe(p);
    const f = await p;
    expect(f.hostname).toBe(os.hostname());
    expect(f.release).toBe(os.release());
    expect(f.version).toBe(os.version());
    expect(f.system).toBe(os.type());
    expect(f.machine).toBe(os.machine());
    if (os.type() !== "Darwin") expect(f.macProductVersion).toBeUndefined();
  });
});

describe("applyIdentityHeaders", () => {
  test("replaces the caller's User-Agent case-insensitively and adds the rest", () => {
    const h = new Headers({ "user-agent": "opencode/1.18.33 ai-sdk/provider-utils/3.0", authorization: "Bearer x" });
    applyIdentityHeaders(h, { "User-Agent": "KimiCLI/1.49.0", "X-Msh-Platform": "kimi_cli" });
    expect(h.get("User-Agent")).toBe("KimiCLI/1.49.0");
    expect(h.get("x-msh-platform")).toBe("kimi_cli");
    expect(h.get("authorization")).toBe("Bearer x");
    expect([...h.keys()].filter((k) => k === "user-agent").length).toBe(1);
  });

  test("{} leaves the headers untouched", () => {
    const h = new Headers({ "user-agent": "opencode/1.18.33" });
    applyIdentityHeaders(h, {});
    expect([...h.entries()]).toEqual([["user-agent", "opencode/1.18.33"]]);
  });

  test("a value HTTP cannot carry is skipped with a warning, not thrown", () => {
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      const h = new Headers();
      applyIdentityHeaders(h, { "X-Msh-Device-Name": "bad\r\nvalue", "X-Msh-Version": "1.49.0" });
      expect(h.get("x-msh-version")).toBe("1.49.0");
      expect(h.get("x-msh-device-name")).toBeNull();
    } finally {
      restore();
    }
    expect(lines.some((l) => l.includes("X-Msh-Device-Name"))).toBe(true);
  });
});
