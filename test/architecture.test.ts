// The layout's rules, checked on the source text (issue 9; AGENTS.md "Architecture"): no import cycle
// anywhere, front doors on top of one core, the plugin free of runtime dependencies, the kimi-cli
// parity mechanism off the default start path, and modules small enough to read in one sitting.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findCycle, importGraph, loadedAtStart, reachable, REPO_ROOT } from "../scripts/import-graph.ts";

const MAX_LINES = 300;
const graph = importGraph(["src", "emulator", "scripts", "bench"]);
const files = [...graph.keys()];
const rel = (p: string) => relative(REPO_ROOT, p);
const internal = [...graph].flatMap(([f, es]) => es.filter((e) => !e.external).map((e) => ({ from: rel(f), to: rel(e.to), e })));

describe("architecture", () => {
  test("every relative import resolves to a file", () => {
    expect(internal.filter((x) => !existsSync(join(REPO_ROOT, x.to))).map((x) => `${x.from} → ${x.to}`)).toEqual([]);
  });

  test("no import cycle in src, emulator, scripts or bench (type imports and dynamic imports count)", () => {
    expect(findCycle(graph, () => true)?.map(rel)).toBeUndefined();
  });

  test("the core never imports a front door (src/server, src/cli, src/tui)", () => {
    const doors = ["src/server/", "src/cli/", "src/tui/"];
    const bad = internal.filter((x) => x.from.startsWith("src/core/") && doors.some((d) => x.to.startsWith(d)));
    expect(bad.map((x) => `${x.from} → ${x.to}`)).toEqual([]);
  });

  test("the plugin has no runtime dependency: src imports only node: built-ins, itself, and types", () => {
    const bad = [...graph]
      .filter(([f]) => rel(f).startsWith("src/"))
      .flatMap(([f, es]) => es.filter((e) => e.external && !e.to.startsWith("node:") && !e.typeOnly).map((e) => `${rel(f)}: ${e.to}`));
    expect(bad).toEqual([]);
  });

  test("the parity mechanisms and node:crypto are not loaded at start: only a dynamic import reaches them", () => {
    const atStart = loadedAtStart().map((m) => (m.startsWith("node:") ? m : rel(m)));
    expect(atStart.filter((p) => p.includes("/identity/kimi-cli/") || p.includes("/identity/kimi-code/"))).toEqual([]);
    // node:crypto costs milliseconds to import; the default start needs none of it (support/unique.ts).
    expect(atStart).not.toContain("node:crypto");
    const onDemand = [...reachable(graph, join(REPO_ROOT, "src/server/index.ts"), (e) => !e.typeOnly)].map(rel);
    expect(onDemand).toContain("src/core/wire/identity/kimi-cli/msh-headers.ts");
  });

  test("the start path (import + server() + config) loads no runtime part: those are imported on first use", () => {
    const atStart = loadedAtStart().map((m) => (m.startsWith("node:") ? m : rel(m)));
    // What config needs: options, the model cache and the provider block; plus the web tools' definitions.
    expect(atStart).toContain("src/core/models/provider-config.ts");
    const runtimeParts = ["src/server/runtime.ts", "src/server/loader.ts", "src/core/wire/", "src/core/tokens/", "src/core/login/", "src/core/web/client.ts", "src/core/usage/", "src/core/support/http.ts", "src/core/support/errors.ts"];
    expect(atStart.filter((p) => runtimeParts.some((r) => p.startsWith(r)))).toEqual([]);
    const onDemand = [...reachable(graph, join(REPO_ROOT, "src/server/index.ts"), (e) => !e.typeOnly)].map(rel);
    for (const part of ["src/server/runtime.ts", "src/server/loader.ts", "src/core/wire/request.ts", "src/core/tokens/keeper.ts"]) expect(onDemand).toContain(part);
  });

  // Contract 20: every file the plugin writes is 0600 and atomic, its directories 0700. Only three
  // modules write: writeFileAtomic (temp file, fsync, rename) and the two link(2) publishers of a
  // complete temp file (the device id, the refresh lock), whose exclusive creates never overwrite.
  test("files are written only through writeFileAtomic or a link(2)-published exclusive create, 0600; directories 0700", () => {
    const WRITERS = ["src/core/support/atomic-file.ts", "src/core/wire/identity/kimi-cli/device-id.ts", "src/core/tokens/refresh-lock.ts"];
    const WRITE = /\b(writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|copyFileSync|cp|cpSync)\s*\(|\bopen(Sync)?\([^)]*["'](w|a|r\+)/;
    const src = files.filter((f) => rel(f).startsWith("src/"));
    const code = (f: string) => readFileSync(f, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "");
    expect(src.filter((f) => WRITE.test(code(f)) && !WRITERS.includes(rel(f))).map(rel)).toEqual([]);
    for (const f of WRITERS.filter((w) => w !== "src/core/support/atomic-file.ts")) {
      const calls = code(join(REPO_ROOT, f)).match(/\bwriteFile\([^;]*;/g) ?? [];
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect([f, call]).toEqual([f, expect.stringMatching(/mode: 0o600, flag: "wx"/)]);
    }
    const atomicCalls = src.flatMap((f) => (code(f).match(/\bawait writeFileAtomic\([^;]*;/g) ?? []).map((c) => `${rel(f)}: ${c}`));
    expect(atomicCalls.length).toBeGreaterThanOrEqual(3);
    expect(atomicCalls.filter((c) => !/, 0o600\);$/.test(c))).toEqual([]);
    const mkdirs = src.flatMap((f) => (code(f).match(/\bmkdir(Sync)?\([^;]*;/g) ?? []).map((c) => `${rel(f)}: ${c}`));
    expect(mkdirs.filter((c) => !c.includes("mode: 0o700"))).toEqual([]);
  });

  test(`no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f: rel(f), n: readFileSync(f, "utf8").split("\n").length }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f} (${x.n})`);
    expect(long).toEqual([]);
  });
});
