// `npm run bench`: every benchmark of the plugin, written to bench/RESULTS.md (or --out FILE).
// `--quick` runs each with a small N: it checks that the benchmarks work, not what they measure.
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { binaryVersion } from "../scripts/opencode-install.ts";
import { OPENCODE_BIN } from "../scripts/opencode-sandbox.ts";
import { runOpencodeBench } from "./opencode-runs.ts";
import { runServeBench } from "./opencode-serve.ts";
import { multiProcessStorm, oneProcessStorm } from "./refresh-storm.ts";
import { runRequestBench } from "./request-overhead.ts";
import { renderReport } from "./report.ts";
import { runStartupBench } from "./startup.ts";

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, out: { type: "string" } },
});
const quick = values.quick === true;
const out = values.out ?? resolve(import.meta.dir, "RESULTS.md");
const N = quick
  ? { pairs: 20, memory: [100, 400], storm: 100, procs: 2, each: 50, starts: 3, opencode: 1, serve: 2 }
  : { pairs: 2_000, memory: [1_000, 20_000], storm: 1_000, procs: 4, each: 250, starts: 20, opencode: 10, serve: 400 };

const step = (name: string) => console.error(`bench: ${name}…`);
step("request overhead, first SSE chunk, memory");
const request = await runRequestBench({ pairs: N.pairs, memoryCheckpoints: N.memory });
step("refresh storms");
const storms = [await oneProcessStorm(N.storm), await multiProcessStorm(N.procs, N.each)];
step("plugin start-up");
const startup = await runStartupBench(N.starts);
step("inside opencode");
const opencode = await runOpencodeBench(N.opencode);
step("turns inside opencode serve");
const serve = await runServeBench(N.serve);

const opencodeVersion = binaryVersion(OPENCODE_BIN);
const report = renderReport({
  quick,
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
  runtimes: `bun ${Bun.version}, opencode ${opencodeVersion}`,
  loadAverage: os.loadavg()[0] ?? 0,
  request,
  storms,
  startup,
  opencode,
  serve,
});
writeFileSync(out, report);
console.error(`bench: written to ${out}`);
