// The import graph of this repository's TypeScript, read from the source text: which module imports
// which (static, type-only or dynamic), and which packages. Used by test/architecture.test.ts and by
// the benchmarks (what the plugin loads at start).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "..");

export interface Edge {
  /** Absolute path of the imported module (relative imports), or the package specifier. */
  to: string;
  external: boolean;
  /** `import type` / `export type`: erased at run time, but still a dependency of the design. */
  typeOnly: boolean;
  /** `await import(...)`: loaded on demand. */
  dynamic: boolean;
}

export type ImportGraph = Map<string, Edge[]>;

export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(path);
  }
  return out;
}

const STATIC = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const edge = (spec: string, typeOnly: boolean, dynamic: boolean): Edge =>
    spec.startsWith(".")
      ? { to: resolve(dirname(file), spec), external: false, typeOnly, dynamic }
      : { to: spec, external: true, typeOnly, dynamic };
  const out: Edge[] = [];
  for (const m of text.matchAll(STATIC)) {
    const spec = m[3] ?? m[4];
    if (spec) out.push(edge(spec, m[2] !== undefined, false));
  }
  for (const m of text.matchAll(DYNAMIC)) if (m[1]) out.push(edge(m[1], false, true));
  return out;
}

/** The graph of every module under `dirs` (relative to the repository root). */
export function importGraph(dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of dirs.flatMap((d) => tsFiles(join(REPO_ROOT, d)))) graph.set(file, edgesOf(file));
  return graph;
}

/** Every module and package reachable from `from` over edges that `include` accepts. */
export function reachable(graph: ImportGraph, from: string, include: (e: Edge) => boolean): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length) {
    for (const e of graph.get(queue.pop()!) ?? []) {
      if (include(e) && !seen.has(e.to)) {
        seen.add(e.to);
        if (!e.external) queue.push(e.to);
      }
    }
  }
  return seen;
}

/** One import cycle over edges that `include` accepts (as a path that returns to its start), if any. */
export function findCycle(graph: ImportGraph, include: (e: Edge) => boolean): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const e of graph.get(node) ?? []) {
      if (e.external || !include(e)) continue;
      if (state.get(e.to) === "open") return [...stack.slice(stack.indexOf(e.to)), e.to];
      if (!state.has(e.to)) {
        const c = visit(e.to);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const f of graph.keys()) {
    if (state.has(f)) continue;
    const c = visit(f);
    if (c) return c;
  }
  return undefined;
}

/** Modules and node: built-ins the opencode server entry loads when it starts (no dynamic imports). */
export function loadedAtStart(graph: ImportGraph = importGraph(["src"])): string[] {
  const entry = join(REPO_ROOT, "src/server/index.ts");
  return [...reachable(graph, entry, (e) => !e.dynamic && !e.typeOnly)];
}
