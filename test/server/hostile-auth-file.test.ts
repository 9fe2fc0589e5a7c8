// The server plugin's start on a hostile auth.json (issue 14 §3): the plugin reads auth.json itself
// before the loader runs (are the web tools wanted?); a FIFO there must not stall opencode's start.
import { describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createHooks } from "../../src/server/hooks.ts";
import { fakeOpencode } from "../helpers/fake-opencode.ts";
import { plantFifo, releaseFifo, within } from "../helpers/fifo.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("server start with auth.json a FIFO", () => {
  test("server(), the config hook and the loader all return at once; no web tools", async () => {
    const home = await tempDir("okc-hostile-auth-");
    const env = { HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CACHE_HOME: join(home, "cache"), KIMI_SHARE_DIR: join(home, "kimi") };
    await mkdir(join(env.XDG_DATA_HOME, "opencode"), { recursive: true });
    const file = join(env.XDG_DATA_HOME, "opencode", "auth.json");
    plantFifo(file);
    try {
      const store = fakeOpencode(env.XDG_DATA_HOME);
      const hooks = await within(createHooks(store.input, {}, { env }), 3000);
      if (hooks === "still waiting") throw new Error("server() waits on the FIFO");
      expect(hooks.tool).toBeUndefined();
      const config: { provider?: Record<string, unknown> } = {};
      expect(await within(Promise.resolve(hooks.config?.(config as never)).then(() => "done"), 2000)).toBe("done");
      expect(Object.keys(config.provider ?? {})).toContain("kimi-for-coding-oauth");
      expect(await within(hooks.auth!.loader!((async () => undefined) as never, {} as never), 2000)).toEqual({});
    } finally {
      await releaseFifo(file);
    }
  });
});
