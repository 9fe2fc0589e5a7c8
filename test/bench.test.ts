// The benchmarks run (small N) and report what they must: this checks the harness and the counts that
// are contracts (one refresh per rotation, no network at start), never a timing.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "./helpers/tmp.ts";

test("npm run bench --quick writes every table; storms refresh once; start makes no network call", async () => {
  const out = join(await tempDir("okc-bench-out-"), "RESULTS.md");
  const r = spawnSync(process.execPath, [resolve(import.meta.dir, "../bench/run.ts"), "--quick", "--out", out], {
    encoding: "utf8",
    timeout: 600_000,
  });
  expect(r.status).toBe(0);
  const md = readFileSync(out, "utf8");
  for (const heading of ["## Per request", "## Memory", "## Requests arriving on an expired token", "## Start-up", "## Inside the real opencode"]) {
    expect(md).toContain(heading);
  }
  expect(md).toContain("| 1 process × 100 | 100 | 100 | 0 | **1** |");
  expect(md).toContain("| 2 processes × 50 | 100 | 100 | 0 | **1** |");
  expect(md).toContain("Network calls during start: **0**");
  expect(md).toContain("## Per request: the plugin's own work (no network)");
  expect(md).toMatch(/\| package \(bundle\), in a warm process, logged in \(web tools defined\) \| 6 \|/);
  // The probe ran inside opencode and found the built-ins it has loaded (node:fs at least).
  expect(md).toMatch(/preloaded as already loaded \(under 0\.2 ms\): [^\n]*`node:fs`/);
  expect(md).toContain("Failed runs: 0.");
  // Turns inside one `opencode serve`: both providers answered every turn.
  expect(md).toMatch(/\| turn, first token: built-in `kimi-code-plan-cn` vs this plugin \| 2 \|/);
  expect(md).toContain("Failed turns: 0.");
}, 600_000);
