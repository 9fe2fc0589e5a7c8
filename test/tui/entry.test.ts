// opencode rejects a module that is both server and tui (`TuiPluginModule.server?: never`) and walks
// every export: the TUI entry has exactly one, a { id, tui } module.
import { expect, test } from "bun:test";
import * as entry from "../../src/tui/index.ts";
import pkg from "../../package.json";

test("the TUI entry has exactly one export, a { id, tui } plugin module without `server`", () => {
  expect(Object.keys(entry)).toEqual(["default"]);
  const mod = entry.default as unknown as Record<string, unknown>;
  expect(Object.keys(mod).sort()).toEqual(["id", "tui"]);
  expect(typeof mod.tui).toBe("function");
  expect(mod.id).toBe("opencode-kimi-code");
});

test('package.json exports "./tui" (what `opencode plugin install` looks for) next to "./server"', () => {
  const exports = pkg.exports as Record<string, string>;
  expect(exports["./tui"]).toBe("./src/tui/index.ts");
  // The server plugin ships bundled (scripts/build.mjs at `npm pack`; test/server/bundle.test.ts).
  expect(exports["./server"]).toBe("./dist/server/index.js");
  expect(exports["."]).toBe("./dist/server/index.js");
  expect(pkg.main).toBe("./dist/server/index.js");
});
