// opencode walks every export of the entry module and rejects the whole module if one is not a plugin
// ("Plugin export is not a function", opencode-plugin-api.md §3). This guards the single export.
import { expect, test } from "bun:test";
import * as entry from "../../src/server/index.ts";

test("the entry module has exactly one export, a { id, server } plugin module", () => {
  expect(Object.keys(entry)).toEqual(["default"]);
  const mod = entry.default as unknown as Record<string, unknown>;
  expect(typeof mod.server).toBe("function");
  expect(mod.id).toBe("opencode-kimi-code");
  expect(Object.keys(mod).sort()).toEqual(["id", "server"]);
});

test("every export is a function or an object with a function `server` (opencode's own check)", () => {
  for (const value of Object.values(entry)) {
    const ok = typeof value === "function" || (typeof value === "object" && value !== null && typeof (value as { server?: unknown }).server === "function");
    expect(ok).toBe(true);
  }
});
