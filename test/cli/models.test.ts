// `kimi-code models`: the list is what the plugin's config hook gives opencode (same functions, the
// user's provider block merged in), refreshed from Kimi and cached; --offline reads the cache only.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { fakeOpencode } from "../helpers/fake-opencode.ts";
import { createHooks } from "../../src/server/hooks.ts";
import { visibleVariants } from "../../src/cli/commands/models.ts";
import { cliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.state.clearFaults());

describe("kimi-code models", () => {
  test("every entitled model with limits, modalities and variants, as the config hook builds them", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin();
    const j = await w.json(["models"]);
    expect(j.code).toBe(0);
    expect(j.value.source).toBe("cache");
    const ids = j.value.models.map((m: { id: string }) => m.id);
    expect(ids).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k"]);
    // The plugin's config hook in the same world produces the same block.
    const hooks = await createHooks(fakeOpencode(w.env.XDG_DATA_HOME!).input, {}, { env: w.env });
    const config: Record<string, any> = {};
    await hooks.config!(config as never);
    const block = config.provider[PROVIDER_ID];
    for (const m of j.value.models) {
      const { variants, ...rest } = m;
      const { variants: hookVariants, ...hookRest } = block.models[m.id];
      expect(rest).toEqual(hookRest);
      expect(variants).toEqual(visibleVariants({ ...hookRest, variants: hookVariants }));
    }
    const k3 = j.value.models.find((m: { id: string }) => m.id === "k3");
    expect(k3.limit).toEqual({ context: 1048576, output: 32768 });
    expect(k3.modalities.input).toEqual(["text", "image", "video"]);
    expect(Object.keys(k3.variants)).not.toContain("medium"); // opencode's computed effort, declared disabled
    const human = (await w.run(["models"])).out;
    expect(human).toContain("kimi-for-coding  Kimi K2.8 Preview");
    expect(human).toContain("context 262144, output 32768, input text+image+video");
    expect(human).toMatch(/variants: off, low, high, max, auto/);
  });

  test("the user's provider block wins, as in opencode (limit override, a disabled variant, a blacklist)", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin();
    await writeFile(
      w.configFile,
      JSON.stringify({
        plugin: ["opencode-kimi-code"],
        provider: { [PROVIDER_ID]: { blacklist: ["k3-256k"], models: { "kimi-for-coding": { limit: { output: 16000 }, variants: { max: { disabled: true } } } } } },
      }),
    );
    const j = await w.json(["models"]);
    const ids = j.value.models.map((m: { id: string }) => m.id);
    expect(ids).not.toContain("k3-256k");
    const k = j.value.models.find((m: { id: string }) => m.id === "kimi-for-coding");
    expect(k.limit.output).toBe(16000);
    expect(Object.keys(k.variants)).toEqual(["off", "low", "high", "auto"]);
  });

  test("--offline sends nothing and shows the cache; not logged in shows the default model", async () => {
    const w = await cliWorld(emu);
    const none = await w.json(["models"]);
    expect(none.code).toBe(0);
    expect(none.value.source).toBe("default");
    expect(none.value.models.map((m: { id: string }) => m.id)).toEqual(["kimi-for-coding"]);
    await w.seedLogin();
    await w.run(["models"]);
    emu.state.clearRequests();
    const offline = await w.json(["models", "--offline"]);
    expect(offline.value.source).toBe("cache");
    expect(offline.value.models.length).toBe(4);
    expect(emu.state.requests.length).toBe(0);
  });

  test("Kimi failing: the cached list with a warning, exit 1", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin();
    await w.run(["models"]);
    emu.state.injectHtmlError("/coding/v1/models", { status: 502 });
    const r = await w.run(["models"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("could not ask Kimi Code for the list");
    expect(r.err).toContain("HTML");
    expect(r.out).toContain("k3-256k");
  });
});
