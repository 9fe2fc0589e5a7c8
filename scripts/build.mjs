// Builds what the package runs into dist/ (package.json "prepack": runs at `npm pack` / `npm publish`):
// - the `kimi-code` CLI as plain JavaScript (tsc, one file per module), so it runs on Node ≥ 20, which
//   cannot run .ts, as well as bun;
// - the opencode server plugin (package.json "main"/"exports") bundled by bun for bun, with the parts
//   it imports on first use split into chunks: opencode then neither transpiles TypeScript nor resolves
//   dozens of modules at every start (bench/RESULTS.md, start-up). The TUI plugin ships as TypeScript.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serverBundleArgs } from "./server-bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = join(root, "node_modules", ".bin", "tsc");
const bun = join(root, "node_modules", ".bin", "bun");
for (const tool of [tsc, bun]) {
  if (!existsSync(tool)) {
    console.error(`build: ${tool} is missing; run \`npm ci\` first.`);
    process.exit(1);
  }
}
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(tsc, ["-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(`build: tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
const main = join(dist, "cli", "main.js");
if (!readFileSync(main, "utf8").startsWith("#!/usr/bin/env node")) {
  console.error("build: dist/cli/main.js lost its #! line");
  process.exit(1);
}
chmodSync(main, 0o755);

const server = spawnSync(bun, serverBundleArgs(join(dist, "server")), { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (server.status !== 0 || !existsSync(join(dist, "server", "index.js"))) {
  console.error(`build: bundling the server plugin failed (exit ${server.status ?? server.signal})`);
  process.exit(1);
}
