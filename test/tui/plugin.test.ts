// The TUI front door with a stand-in for opencode's TUI API: which registration API is used, what the
// dialogs say, and that nothing throws into opencode (a throwing API, a throwing lookup).
import { describe, expect, test } from "bun:test";
import type { KimiCalls, UsageOutcome } from "../../src/tui/kimi-calls.ts";
import { kimiCommands, registerCommands, startTui, type TuiApi } from "../../src/tui/plugin.ts";

interface Shown {
  title: string;
  message: string;
}

function fakeApi(kind: "keymap" | "command" | "none", opts: { throwOnRegister?: boolean } = {}) {
  const shown: Shown[] = [];
  const registered: Record<string, unknown>[] = [];
  let onClose: (() => void) | undefined;
  const api = {
    ui: {
      DialogAlert: (p: Shown) => p,
      dialog: {
        replace: (render: () => unknown, close?: () => void) => {
          shown.push(render() as Shown);
          onClose = close;
        },
      },
    },
    ...(kind === "keymap"
      ? {
          keymap: {
            registerLayer: (layer: { commands: Record<string, unknown>[] }) => {
              if (opts.throwOnRegister) throw new Error("boom");
              registered.push(...layer.commands);
              return () => {};
            },
          },
        }
      : {}),
    ...(kind === "command"
      ? { command: { register: (cb: () => Record<string, unknown>[]) => (registered.push(...cb()), () => {}), trigger() {}, show() {} } }
      : {}),
  } as unknown as TuiApi;
  return { api, shown, registered, close: () => onClose?.() };
}

const windows = [{ label: "5h limit", used: 90, limit: 300, remaining: 210, unit: "count" as const, resetAt: new Date(Date.now() + 3_600_000) }];
function fakeCalls(usage: () => Promise<UsageOutcome>): KimiCalls {
  return { usage, status: () => Promise.reject(new Error("disk on fire")) } as unknown as KimiCalls;
}

describe("registration", () => {
  test("keymap layer first: palette commands with slash names and aliases", () => {
    const f = fakeApi("keymap");
    expect(registerCommands(f.api, kimiCommands(f.api, fakeCalls(async () => ({ kind: "failed", message: "x" }))))).toBe("keymap");
    expect(f.registered.map((c) => [c.namespace, c.slashName, c.slashAliases])).toEqual([
      ["palette", "kimi-usage", ["kimi:usage"]],
      ["palette", "kimi-status", ["kimi:status"]],
    ]);
  });

  test("legacy api.command.register when there is no keymap", () => {
    const f = fakeApi("command");
    expect(registerCommands(f.api, kimiCommands(f.api, fakeCalls(async () => ({ kind: "failed", message: "x" }))))).toBe("command");
    expect(f.registered.map((c) => c.slash)).toEqual([
      { name: "kimi-usage", aliases: ["kimi:usage"] },
      { name: "kimi-status", aliases: ["kimi:status"] },
    ]);
  });

  test("an opencode without either API, or one whose API throws, is left working: startTui resolves", async () => {
    await expect(startTui(fakeApi("none").api, undefined)).resolves.toBeUndefined();
    await expect(startTui(fakeApi("keymap", { throwOnRegister: true }).api, undefined)).resolves.toBeUndefined();
    await expect(startTui({} as TuiApi, "not an object")).resolves.toBeUndefined();
  });
});

describe("dialogs", () => {
  test("/kimi-usage shows a loading state, then the windows", async () => {
    const f = fakeApi("keymap");
    const [usage] = kimiCommands(f.api, fakeCalls(async () => ({ kind: "ok", report: { windows }, apiBase: "https://x" })));
    await usage!.run();
    expect(f.shown.map((s) => s.title)).toEqual(["Kimi Code usage", "Kimi Code usage"]);
    expect(f.shown[0]!.message).toContain("Asking Kimi Code");
    expect(f.shown[1]!.message).toContain("5h limit\n");
    expect(f.shown[1]!.message).toContain("30%   90/300 used");
  });

  test("a late answer does not reopen a dialog the user closed", async () => {
    const f = fakeApi("keymap");
    let answer!: (o: UsageOutcome) => void;
    const [usage] = kimiCommands(f.api, fakeCalls(() => new Promise((r) => (answer = r))));
    const running = usage!.run();
    f.close();
    answer({ kind: "ok", report: { windows }, apiBase: "https://x" });
    await running;
    expect(f.shown.length).toBe(1);
  });

  test("each failure has its own clear line", async () => {
    const cases: [UsageOutcome, RegExp][] = [
      [{ kind: "not-logged-in", detail: "no Kimi Code login in /a/auth.json" }, /^Not logged in to Kimi Code .*\nRun `opencode auth login`/],
      [{ kind: "api-key-without-usage", message: "HTTP 403" }, /does not show usage for this API key/],
      [{ kind: "unreachable", message: "connection refused" }, /^Cannot reach Kimi Code: connection refused/],
      [{ kind: "login-required", message: "Kimi Code login is no longer valid." }, /no longer valid/],
    ];
    for (const [outcome, expected] of cases) {
      const f = fakeApi("keymap");
      await kimiCommands(f.api, fakeCalls(async () => outcome))[0]!.run();
      expect(f.shown.at(-1)!.message).toMatch(expected);
    }
  });

  test("a throwing lookup becomes a dialog line, never a rejection into opencode", async () => {
    const f = fakeApi("keymap");
    const [usage, status] = kimiCommands(f.api, fakeCalls(() => Promise.reject(new Error("kaputt"))));
    await expect(usage!.run()).resolves.toBeUndefined();
    expect(f.shown.at(-1)!.message).toBe("The Kimi Code plugin failed: kaputt");
    await expect(status!.run()).resolves.toBeUndefined();
    expect(f.shown.at(-1)).toEqual({ title: "Kimi Code status", message: "The Kimi Code plugin failed: disk on fire" });
  });

  test("a throwing dialog API is caught too", async () => {
    const f = fakeApi("keymap");
    (f.api.ui.dialog as { replace: unknown }).replace = () => {
      throw new Error("renderer gone");
    };
    await expect(kimiCommands(f.api, fakeCalls(async () => ({ kind: "failed", message: "x" })))[0]!.run()).resolves.toBeUndefined();
  });
});

describe("options", () => {
  test("without tui.json options, the server plugin's options from opencode's config are used", async () => {
    const { serverPluginOptions } = await import("../../src/tui/plugin.ts");
    expect(serverPluginOptions({ plugin: ["other", ["opencode-kimi-code@0.1.0", { region: "global" }]] })).toEqual({ region: "global" });
    expect(serverPluginOptions({ plugin: [["/home/me/okc/src/server/index.ts", { identity: "kimi-cli" }]] })).toEqual({ identity: "kimi-cli" });
    expect(serverPluginOptions({ plugin: ["opencode-kimi-code"] })).toBeUndefined();
    expect(serverPluginOptions(undefined)).toBeUndefined();
    expect(serverPluginOptions({ plugin: "not a list" })).toBeUndefined();
  });
});
