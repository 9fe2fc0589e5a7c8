// The server plugin as the package ships it, built into a temp dir for the benchmarks (the same
// `bun build` as scripts/build.mjs, through scripts/server-bundle.mjs).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../scripts/import-graph.ts";
// @ts-expect-error plain ESM without types, shared with scripts/build.mjs
import { serverBundleArgs } from "../scripts/server-bundle.mjs";

/** Bundles the server plugin into `dir`; returns the entry file (dir/index.js). */
export function buildServerBundle(dir: string): string {
  const built = spawnSync(process.execPath, (serverBundleArgs as (d: string) => string[])(dir), { cwd: REPO_ROOT, encoding: "utf8" });
  if (built.status !== 0) throw new Error(`bundling the server plugin failed: ${built.stderr}`);
  return join(dir, "index.js");
}
