// The layout's rules, checked on the source text (issue 9; AGENTS.md "Architecture"): no import cycle
// anywhere, front doors on top of one core, the plugin free of runtime dependencies, the kimi-cli
// parity mechanism off the default start path, and modules small enough to read in one sitting.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SOURCE_DIRS = ["src", "emulator", "scripts"];
const MAX_LINES = 300;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(path);
  }
  return out;
}

interface Edge {
  to: string;
  /** `import type` / `export type`: erased at run time, but still a dependency of the design. */
  typeOnly: boolean;
  /** `await import(...)`: loaded on demand. */
  dynamic: boolean;
}

const STATIC = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function edgesOf(file: string): { spec: string; edge: Omit<Edge, "to"> }[] {
  const text = readFileSync(file, "utf8");
  const out: { spec: string; edge: Omit<Edge, "to"> }[] = [];
  for (const m of text.matchAll(STATIC)) {
    const spec = m[3] ?? m[4];
    if (spec) out.push({ spec, edge: { typeOnly: m[2] !== undefined, dynamic: false } });
  }
  for (const m of text.matchAll(DYNAMIC)) if (m[1]) out.push({ spec: m[1], edge: { typeOnly: false, dynamic: true } });
  return out;
}

const files = SOURCE_DIRS.flatMap((d) => tsFiles(join(ROOT, d)));
const graph = new Map<string, Edge[]>();
const external = new Map<string, { spec: string; typeOnly: boolean }[]>();
for (const file of files) {
  const edges: Edge[] = [];
  const ext: { spec: string; typeOnly: boolean }[] = [];
  for (const { spec, edge } of edgesOf(file)) {
    if (spec.startsWith(".")) edges.push({ to: resolve(dirname(file), spec), ...edge });
    else ext.push({ spec, typeOnly: edge.typeOnly });
  }
  graph.set(file, edges);
  external.set(file, ext);
}
const rel = (p: string) => relative(ROOT, p);

function findCycle(include: (e: Edge) => boolean): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const e of graph.get(node) ?? []) {
      if (!include(e)) continue;
      if (state.get(e.to) === "open") return [...stack.slice(stack.indexOf(e.to)), e.to].map(rel);
      if (!state.has(e.to)) {
        const c = visit(e.to);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const f of files) if (!state.has(f)) {
    const c = visit(f);
    if (c) return c;
  }
  return undefined;
}

function reachable(from: string, include: (e: Edge) => boolean): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length) {
    for (const e of graph.get(queue.pop()!) ?? []) {
      if (include(e) && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return seen;
}

describe("architecture", () => {
  test("every relative import resolves to a file", () => {
    const missing = [...graph].flatMap(([f, es]) => es.filter((e) => !files.includes(e.to)).map((e) => `${rel(f)} → ${rel(e.to)}`));
    expect(missing).toEqual([]);
  });

  test("no import cycle in src, emulator or scripts (type imports and dynamic imports count)", () => {
    expect(findCycle(() => true)).toBeUndefined();
  });

  test("the core never imports a front door (src/server, src/cli, src/tui)", () => {
    const doors = ["src/server/", "src/cli/", "src/tui/"];
    const bad = [...graph]
      .filter(([f]) => rel(f).startsWith("src/core/"))
      .flatMap(([f, es]) => es.filter((e) => doors.some((d) => rel(e.to).startsWith(d))).map((e) => `${rel(f)} → ${rel(e.to)}`));
    expect(bad).toEqual([]);
  });

  test("the plugin has no runtime dependency: src imports only node: built-ins, itself, and types", () => {
    const bad = [...external]
      .filter(([f]) => rel(f).startsWith("src/"))
      .flatMap(([f, ext]) => ext.filter((x) => !x.spec.startsWith("node:") && !x.typeOnly).map((x) => `${rel(f)}: ${x.spec}`));
    expect(bad).toEqual([]);
  });

  test("the kimi-cli parity mechanism is not loaded at start: only a dynamic import reaches it", () => {
    const entry = join(ROOT, "src/server/index.ts");
    const atStart = [...reachable(entry, (e) => !e.dynamic && !e.typeOnly)].map(rel);
    expect(atStart).toContain("src/core/wire/identity/identity.ts");
    expect(atStart.filter((p) => p.includes("/identity/kimi-cli/"))).toEqual([]);
    const onDemand = [...reachable(entry, (e) => !e.typeOnly)].map(rel);
    expect(onDemand).toContain("src/core/wire/identity/kimi-cli/msh-headers.ts");
  });

  test(`no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f: rel(f), n: readFileSync(f, "utf8").split("\n").length }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f} (${x.n})`);
    expect(long).toEqual([]);
  });
});
