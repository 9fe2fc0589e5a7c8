// `kimi-code status`: reads disk only. Login kinds, expiry, identity source, cache age, and a damaged
// or malformed auth.json reported clearly with the file left exactly as it was.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstat, readFile, rm, stat, writeFile } from "node:fs/promises";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";
import { cliWorld } from "./cli-world.ts";
import { plantFifo, releaseFifo, within } from "../helpers/fifo.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

describe("kimi-code status", () => {
  test("not logged in: exit 1, says so; sends nothing", async () => {
    const w = await cliWorld(emu);
    emu.state.clearRequests();
    const r = await w.json(["status"]);
    expect(r.code).toBe(1);
    expect(r.value.loggedIn).toBe(false);
    expect(r.value.login.present).toBe(false);
    expect(r.value.identity).toMatchObject({ name: "opencode", source: "default" });
    expect(emu.state.requests.length).toBe(0);
    expect((await w.run(["status"])).out).toContain("not logged in");
  });

  test("OAuth login: expiry absolute and relative, refresh token, API base, cached models after `models`", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin(900);
    const before = await w.json(["status"]);
    expect(before.code).toBe(0);
    expect(before.value.login).toMatchObject({ type: "oauth", apiBase: emu.apiBase, region: "custom", refreshToken: true });
    expect(before.value.login.expiresInSeconds).toBeGreaterThan(800);
    expect(before.value.models).toMatchObject({ cached: 0, fetchedAt: null });
    expect(before.value.plugin.spec).toBe("opencode-kimi-code");
    expect((await w.run(["models"])).code).toBe(0);
    const after = await w.json(["status"]);
    expect(after.value.models.cached).toBe(4);
    expect(after.value.models.ageSeconds).toBeGreaterThanOrEqual(0);
    const human = (await w.run(["status"])).out;
    expect(human).toMatch(/token expires\s+\d{4}-\d\d-\d\d \d\d:\d\d \(in 1[45] min\)/);
    expect(human).toContain("4 cached");
    expect(human).not.toContain(before.value.login.access ?? "eyJ");
  });

  test("an expired token is reported as expired, not refreshed by status", async () => {
    const w = await cliWorld(emu);
    const entry = await w.seedLogin(0);
    const r = await w.run(["status"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("expired; refreshed on next use");
    expect((await w.readAuth())[PROVIDER_ID]).toEqual(entry);
  });

  test("identity: the env variable wins over the plugin option, which wins over the default", async () => {
    const w = await cliWorld(emu, { plugin: [["opencode-kimi-code", { identity: "kimi-cli" }]] });
    const fromOption = await w.json(["status"]);
    expect(fromOption.value.identity).toMatchObject({ name: "kimi-cli", source: "option" });
    expect(fromOption.value.identity.detail).toContain(w.configFile);
    const fromEnv = await w.run(["status", "--json"], { env: { KIMI_CODE_IDENTITY: "opencode" } });
    expect(JSON.parse(fromEnv.out).identity).toMatchObject({ name: "opencode", source: "env" });
  });

  test("an API key login shows the key redacted", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth({ [PROVIDER_ID]: { type: "api", key: "sk-kimi-abcdefghijklmnop", metadata: { baseURL: emu.apiBase } } });
    const r = await w.run(["status"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("API key sk-kim…[redacted]");
    expect(r.out).not.toContain("abcdefghijklmnop");
  });

  test("a malformed entry (non-integer expires) is named as opencode would ignore it", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth({ [PROVIDER_ID]: { type: "oauth", access: "a", refresh: "r", expires: 1.5 } });
    const r = await w.json(["status"]);
    expect(r.code).toBe(1);
    expect(r.value.login.present).toBe(true);
    expect(r.value.login.problems.join(" ")).toContain("`expires` is not a non-negative integer");
  });

  test("a damaged auth.json: a clear message, exit 1, the file untouched (every command)", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth({});
    const damaged = '{"openai": {"type": "api", "key": "sk-x"}, ';
    await writeFile(w.authFile, damaged, { mode: 0o600 });
    const before = await stat(w.authFile);
    for (const args of [["status"], ["usage"], ["models"], ["login", "--api-key"], ["logout"], ["doctor", "--no-probe"]]) {
      const r = await w.run(args, { stdin: "sk-kimi-0123456789abcdef\n" });
      expect(r.code, args.join(" ")).toBe(1);
      const said = r.err + r.out;
      expect(said).toContain(`opencode's credential file ${w.authFile} is damaged`);
      expect(said).toContain("It was left untouched");
      expect(said).not.toMatch(/\n\s+at /);
    }
    expect(await readFile(w.authFile, "utf8")).toBe(damaged);
    expect((await stat(w.authFile)).mtimeMs).toBe(before.mtimeMs);
  });

  test("auth.json a FIFO: a clear message at once, exit 1, nothing waits on it", async () => {
    const w = await cliWorld(emu);
    await w.writeAuth({});
    await rm(w.authFile);
    plantFifo(w.authFile);
    try {
      for (const args of [["status"], ["logout"], ["doctor", "--no-probe"]]) {
        const r = await within(w.run(args), 3000);
        if (r === "still waiting") throw new Error(`kimi-code ${args.join(" ")} waits on the FIFO`);
        expect(r.code, args.join(" ")).toBe(1);
        expect(r.err + r.out).toContain(`Cannot read ${w.authFile}: it is not a regular file`);
        expect(r.err + r.out).not.toMatch(/\n\s+at /);
      }
      expect((await lstat(w.authFile)).isFIFO()).toBe(true);
    } finally {
      await releaseFifo(w.authFile);
    }
  });
});
