// The command line itself: help on every command, version, wrong usage (exit 2), errors without
// stack traces, --json errors, and colour only on a terminal without NO_COLOR.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { COMMANDS } from "../../src/cli/cli.ts";
import { PLUGIN_VERSION } from "../../src/core/config/constants.ts";
import { cliWorld } from "./cli-world.ts";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const ESC = "\u001b[";

describe("kimi-code", () => {
  test("every command has --help, listing --json and its own options; exit 0", async () => {
    const w = await cliWorld(emu);
    expect(COMMANDS.map((c) => c.name)).toEqual(["status", "usage", "models", "doctor", "login", "logout"]);
    for (const c of COMMANDS) {
      const r = await w.run([c.name, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: kimi-code ${c.name}`);
      expect(r.out).toContain("--json");
      for (const name of Object.keys(c.options)) expect(r.out).toContain(`--${name}`);
      expect((await w.run(["help", c.name])).out).toBe(r.out);
    }
    const top = await w.run(["--help"]);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.out).toContain(`  ${c.name} `);
    expect((await w.run(["--version"])).out.trim()).toBe(PLUGIN_VERSION);
  });

  test("wrong usage exits 2 with a pointer to the help, no stack trace", async () => {
    const w = await cliWorld(emu);
    const none = await w.run([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("Usage: kimi-code <command>");
    const unknown = await w.run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const badFlag = await w.run(["usage", "--bogus"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toContain("--bogus");
    expect(badFlag.err).toContain("kimi-code usage --help");
    for (const r of [none, unknown, badFlag]) expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("an expected failure as a real process: message and hint on stderr, exit 1, no stack", async () => {
    const w = await cliWorld(emu);
    const r = await w.spawn(["usage"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain("No usable Kimi Code login is stored");
    expect(r.err).toContain("kimi-code login");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("--json failures are JSON on stdout", async () => {
    const w = await cliWorld(emu);
    const r = await w.json(["usage"]);
    expect(r.code).toBe(1);
    expect(r.value.error.message).toContain("No usable Kimi Code login");
    expect(r.value.error.hint).toContain("kimi-code login");
  });

  test("colour only on a terminal, never with NO_COLOR or --no-color", async () => {
    const w = await cliWorld(emu);
    await w.seedLogin();
    expect((await w.run(["status"], { isTTY: true })).out).toContain(ESC);
    expect((await w.run(["status"], { isTTY: false })).out).not.toContain(ESC);
    expect((await w.run(["status"], { isTTY: true, env: { NO_COLOR: "1" } })).out).not.toContain(ESC);
    expect((await w.run(["status", "--no-color"], { isTTY: true })).out).not.toContain(ESC);
    expect((await w.run(["usage"], { isTTY: true, env: { NO_COLOR: "1" } })).out).not.toContain(ESC);
  });
});
