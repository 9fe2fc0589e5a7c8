// kimi-code 2.1.0's X-Msh set, computed from host facts as kimi-code computes it.
import { afterEach, describe, expect, test } from "bun:test";
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { removeTempDir, tempDir } from "../../../helpers/tmp.ts";
import { clearDeviceIdCache, getDeviceId, KIMI_CODE_DEVICE_ID_FORMAT } from "../../../../src/core/wire/identity/kimi-cli/device-id.ts";
import { kimiCodeAscii, kimiCodeDeviceModel, kimiCodeMshHeaders } from "../../../../src/core/wire/identity/kimi-code/msh-headers.ts";
import { createIdentity } from "../../../../src/core/wire/identity/identity.ts";
import type { HostFacts } from "../../../../src/core/wire/identity/kimi-cli/python-platform.ts";

const LINUX: HostFacts = { system: "Linux", release: "6.18.44-fc", version: "#1 SMP", machine: "x86_64", hostname: "build-box" };
const MAC: HostFacts = { system: "Darwin", release: "24.1.0", version: "Darwin Kernel", machine: "arm64", hostname: "Mäc’s Book", macProductVersion: "15.1.1" };
const WIN: HostFacts = { system: "Windows_NT", release: "10.0.22631", version: "Windows 11 Pro", machine: "x86_64", hostname: "DESKTOP-1" };
const ID = "0d4f9a52-3c1e-4b7a-9f00-6a2b8c1d2e3f";

const dirs: string[] = [];
afterEach(async () => {
  clearDeviceIdCache();
  for (const d of dirs.splice(0)) await removeTempDir(d);
});

describe("kimi-code's X-Msh headers", () => {
  test("device model per OS, as kimi-code's deviceModel()", () => {
    expect(kimiCodeDeviceModel(LINUX, "x64")).toBe("Linux 6.18.44-fc x64");
    expect(kimiCodeDeviceModel(MAC, "arm64")).toBe("macOS 15.1.1 arm64");
    expect(kimiCodeDeviceModel({ ...MAC, macProductVersion: undefined }, "arm64")).toBe("macOS 24.1.0 arm64");
    expect(kimiCodeDeviceModel(WIN, "x64")).toBe("Windows 10.0.22631 x64");
  });

  test("printable ASCII only, trimmed, 'unknown' when nothing is left", () => {
    expect(kimiCodeAscii("Mäc’s Book")).toBe("Mcs Book");
    expect(kimiCodeAscii(" tab\there\n ")).toBe("tabhere");
    expect(kimiCodeAscii("ääá")).toBe("unknown");
  });

  test("the six headers in kimi-code's order, sanitised", () => {
    const h = kimiCodeMshHeaders(MAC, ID, undefined, "arm64");
    expect(Object.entries(h)).toEqual([
      ["X-Msh-Platform", "kimi_code_cli"],
      ["X-Msh-Version", "2.1.0"],
      ["X-Msh-Device-Name", "Mcs Book"],
      ["X-Msh-Device-Model", "macOS 15.1.1 arm64"],
      ["X-Msh-Os-Version", "24.1.0"],
      ["X-Msh-Device-Id", ID],
    ]);
  });

  test("the identity: kimi-code-cli/2.1.0 + the X-Msh set on chat, OAuth and API calls", async () => {
    const id = createIdentity("kimi-code", { kimiShareDir: "/nonexistent", facts: LINUX, deviceId: ID });
    for (const kind of ["chat", "oauth", "api"] as const) {
      const h = await id.headers(kind);
      expect([kind, h["User-Agent"], h["X-Msh-Platform"], h["X-Msh-Device-Id"]]).toEqual([kind, "kimi-code-cli/2.1.0", "kimi_code_cli", ID]);
    }
    expect(id.description).toBe("kimi-code 2.1.0");
  });

  test("device id: randomUUID with dashes in <KIMI_CODE_HOME>/device_id, reused; an empty file counts as none", async () => {
    const home = await tempDir("okc-kimi-code-");
    dirs.push(home);
    const created = await getDeviceId(join(home, "a"), KIMI_CODE_DEVICE_ID_FORMAT);
    expect(created).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await readFile(join(home, "a", "device_id"), "utf8")).toBe(created);
    clearDeviceIdCache();
    expect(await getDeviceId(join(home, "a"), KIMI_CODE_DEVICE_ID_FORMAT)).toBe(created);
    // kimi-code would overwrite an empty file; the plugin never overwrites one: a temporary id instead
    const dir = join(home, "b");
    await Bun.write(join(dir, "device_id"), "  \n");
    await chmod(join(dir, "device_id"), 0o600); // as kimi-code 2.1.0 writes it (dist/main.mjs 61152)
    const temporary = await getDeviceId(dir, KIMI_CODE_DEVICE_ID_FORMAT);
    expect(temporary).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readFile(join(dir, "device_id"), "utf8")).toBe("  \n");
  });
});
