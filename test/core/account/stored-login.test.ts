// The TUI's reader and writer of auth.json (core/account/stored-login.ts) on hostile files (issue 14 §3):
// a FIFO is reported as damaged at once (a read of it would wait forever) and never written over.
import { describe, expect, test } from "bun:test";
import { lstat, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { readStoredLogin, writeStoredLogin } from "../../../src/core/account/stored-login.ts";
import { plantFifo, releaseFifo, within } from "../../helpers/fifo.ts";
import { tempDir } from "../../helpers/tmp.ts";

const BASE = "https://api.kimi.com/coding/v1";

describe("stored login: auth.json a FIFO", () => {
  test("read: damaged, at once; write: refused, the FIFO left as it is", async () => {
    const dir = join(await tempDir(), "opencode");
    await mkdir(dir);
    const file = join(dir, "auth.json");
    plantFifo(file);
    try {
      const read = await within(readStoredLogin(dir, BASE), 2000);
      expect(read).toMatchObject({ state: "damaged", problem: expect.stringContaining("not a regular file") });
      const write = await within(writeStoredLogin(dir, { type: "api", key: "sk-kimi-x", apiBase: BASE }).then(() => "written", (e: Error) => e.message), 2000);
      expect(write).toContain("not a regular file");
      expect((await lstat(file)).isFIFO()).toBe(true);
    } finally {
      await releaseFifo(file);
    }
  });
});
