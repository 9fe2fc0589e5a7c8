// Builds the `kimi-code` CLI into dist/ as plain JavaScript, so it runs on Node ≥ 20 (which cannot run
// .ts) as well as bun. Runs at `npm pack` / `npm publish` (package.json "prepack"). The opencode plugin
// itself ships as TypeScript (opencode runs it with its own bun) and is not built.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = join(root, "node_modules", ".bin", "tsc");
if (!existsSync(tsc)) {
  console.error("build-cli: node_modules/.bin/tsc is missing; run `npm ci` first.");
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(tsc, ["-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(`build-cli: tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
const main = join(dist, "cli", "main.js");
if (!readFileSync(main, "utf8").startsWith("#!/usr/bin/env node")) {
  console.error("build-cli: dist/cli/main.js lost its #! line");
  process.exit(1);
}
chmodSync(main, 0o755);
