// Hostile device_id files (issue 14 §3). A FIFO never answers a read: the id must not wait for it
// (every request under the kimi-cli identity would hang), but fall back to a temporary id and warn.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { lstat, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setLogSink } from "../../../../src/core/support/log.ts";
import { clearDeviceIdCache, getDeviceId, KIMI_CODE_DEVICE_ID_FORMAT } from "../../../../src/core/wire/identity/kimi-cli/device-id.ts";
import { plantFifo, releaseFifo, within } from "../../../helpers/fifo.ts";
import { tempDir } from "../../../helpers/tmp.ts";

const fifos: string[] = [];
let restoreLog: () => void = () => {};
let lines: string[] = [];
beforeEach(() => {
  clearDeviceIdCache();
  lines = [];
  restoreLog = setLogSink((l) => lines.push(l));
});
afterEach(async () => {
  restoreLog();
  clearDeviceIdCache();
  for (const f of fifos.splice(0)) await releaseFifo(f);
});

describe("device_id: a FIFO at its path", () => {
  for (const [name, format, shape] of [
    ["kimi-cli", undefined, /^[0-9a-f]{32}$/],
    ["kimi-code", KIMI_CODE_DEVICE_ID_FORMAT, /^[0-9a-f-]{36}$/],
  ] as const) {
    test(`${name}: a temporary id at once, a warning, the FIFO left as it is`, async () => {
      const dir = join(await tempDir(), "share");
      await mkdir(dir);
      plantFifo(join(dir, "device_id"));
      fifos.push(join(dir, "device_id"));
      const id = await within(getDeviceId(dir, format), 2000);
      expect(id).toMatch(shape);
      expect(lines.join("\n")).toContain("cannot read or create the device id");
      expect((await lstat(join(dir, "device_id"))).isFIFO()).toBe(true);
    });
  }
});
