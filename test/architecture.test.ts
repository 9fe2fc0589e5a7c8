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

  test(`no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f: rel(f), n: readFileSync(f, "utf8").split("\n").length }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f} (${x.n})`);
    expect(long).toEqual([]);
  });
});
