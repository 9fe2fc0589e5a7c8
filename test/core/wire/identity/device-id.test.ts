import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { clearDeviceIdCache, getDeviceId, newDeviceId, pythonStrip } from "../../../../src/core/wire/identity/kimi-cli/device-id.ts";
import { setLogSink } from "../../../../src/core/support/log.ts";
import { removeTempDir, tempDir } from "../../../helpers/tmp.ts";

const HEX32 = /^[0-9a-f]{32}$/;
const MODULE = resolve(import.meta.dir, "../../../../src/core/wire/identity/kimi-cli/device-id.ts");

let root: string;
beforeEach(async () => {
  clearDeviceIdCache();
  root = await tempDir("kimi-device-id-");
});
afterEach(async () => {
  clearDeviceIdCache();
  await removeTempDir(root);
});

describe("newDeviceId", () => {
  test("is uuid4().hex: 32 lowercase hex, version nibble 4", () => {
    const id = newDeviceId();
    expect(id).toMatch(HEX32);
    expect(id[12]).toBe("4");
    expect(newDeviceId()).not.toBe(id);
  });
});

describe("pythonStrip", () => {
  test("strips what Python's str.strip() strips, not what JS trim() strips", () => {
    expect(pythonStrip("  abc \n")).toBe("abc");
    expect(pythonStrip("\x1c\x1fabc\x1d\x1e")).toBe("abc");
    expect(pythonStrip("\x85abc\u3000")).toBe("abc");
    expect(pythonStrip("\ufeffabc")).toBe("\ufeffabc");
    expect(pythonStrip("a b\tc")).toBe("a b\tc");
    expect(pythonStrip(" \t\n ")).toBe("");
  });
});

describe("getDeviceId", () => {
  test("creates <dir>/device_id: 32 hex, no newline, mode 0600, in the given (new, nested) dir", async () => {
    const dir = join(root, "share", ".kimi");
    const id = await getDeviceId(dir);
    expect(id).toMatch(HEX32);
    const path = join(dir, "device_id");
    expect(await readFile(path, "utf8")).toBe(id);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["device_id"]);
    if (process.platform !== "win32") expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test("reads an existing id, stripped, and never rewrites it", async () => {
    await writeFile(join(root, "device_id"), "  0123456789abcdef0123456789abcdef\n", { mode: 0o600 }); // as kimi-cli writes it
    expect(await getDeviceId(root)).toBe("0123456789abcdef0123456789abcdef");
    expect(await readFile(join(root, "device_id"), "utf8")).toBe("  0123456789abcdef0123456789abcdef\n");
  });

  test("takes an existing id as is, without format checks (as kimi-cli)", async () => {
    await writeFile(join(root, "device_id"), "not-a-uuid-at-all", { mode: 0o600 });
    expect(await getDeviceId(root)).toBe("not-a-uuid-at-all");
  });

  test("an empty file gives an empty id (kimi-cli sends X-Msh-Device-Id empty, no regeneration)", async () => {
    await writeFile(join(root, "device_id"), "\n", { mode: 0o600 });
    expect(await getDeviceId(root)).toBe("");
    expect(await readFile(join(root, "device_id"), "utf8")).toBe("\n");
  });

  test("caches per path: later changes on disk are not seen in this process", async () => {
    const first = await getDeviceId(root);
    await writeFile(join(root, "device_id"), "changed", { mode: 0o600 });
    expect(await getDeviceId(root)).toBe(first);
    expect(await getDeviceId(root + "/")).toBe(first); // same resolved path
    clearDeviceIdCache();
    expect(await getDeviceId(root)).toBe("changed");
  });

  test("different dirs have different ids", async () => {
    const a = await getDeviceId(join(root, "a"));
    const b = await getDeviceId(join(root, "b"));
    expect(a).not.toBe(b);
  });

  test("concurrent calls in one process give one id and one file", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => getDeviceId(root)));
    expect(new Set(ids).size).toBe(1);
    expect(await readFile(join(root, "device_id"), "utf8")).toBe(ids[0]!);
    expect(await readdir(root)).toEqual(["device_id"]);
  });

  test("unreadable device_id: temporary in-memory id, warning logged, nothing thrown", async () => {
    await mkdir(join(root, "device_id")); // reading a directory fails with EISDIR
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      const id = await getDeviceId(root);
      expect(id).toMatch(HEX32);
      expect(await getDeviceId(root)).toBe(id); // stable for this process
    } finally {
      restore();
    }
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("warn: cannot read or create the device id");
  });

  test("share dir that cannot be created: temporary id, nothing thrown", async () => {
    await writeFile(join(root, "file"), "x");
    const restore = setLogSink(() => {});
    try {
      expect(await getDeviceId(join(root, "file", "sub"))).toMatch(HEX32);
    } finally {
      restore();
    }
  });

  test("separate processes racing on an empty dir all end with the same id, one file, no temp files", async () => {
    for (let round = 0; round < 4; round++) {
      const dir = join(root, `race-${round}`); // does not exist yet: the racers also race on mkdir
      const startAt = Date.now() + 700;
      const script = [
        `const { getDeviceId } = await import(${JSON.stringify(MODULE)});`,
        `while (Date.now() < ${startAt}) {}`,
        `console.log(await getDeviceId(${JSON.stringify(dir)}));`,
      ].join("\n");
      const children = Array.from({ length: 4 }, () =>
        Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" }),
      );
      const outputs = await Promise.all(
        children.map(async (c) => {
          const [out, err, code] = await Promise.all([new Response(c.stdout).text(), new Response(c.stderr).text(), c.exited]);
          expect(err).toBe("");
          expect(code).toBe(0);
          return out.trim();
        }),
      );
      expect(outputs[0]).toMatch(HEX32);
      expect(new Set(outputs).size).toBe(1);
      expect(await readdir(dir)).toEqual(["device_id"]);
      expect(await readFile(join(dir, "device_id"), "utf8")).toBe(outputs[0]!);
    }
  }, 30_000);
});
