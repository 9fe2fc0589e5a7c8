// `npm run faults`: the fault matrix, written to bench/FAULTS.md (or --out FILE).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { setLogSink } from "../../src/core/support/log.ts";
import { CELLS, runCells } from "./cells.ts";
import { DEVICE_CELLS } from "./device-cells.ts";
import { ANTHROPIC_CELLS, CHAT_MORE_CELLS } from "./route-cells.ts";
import { TOKEN_NETWORK_CELLS } from "./token-cells.ts";
import { WEB_CELLS } from "./web-cells.ts";
import { localSection, runLocalCells } from "./local-run.ts";

setLogSink(() => {}); // the cells' outcomes are the report; the plugin's own log lines are noise here

const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = values.out ?? resolve(import.meta.dir, "../FAULTS.md");
const results = await runCells([...CELLS, ...TOKEN_NETWORK_CELLS, ...CHAT_MORE_CELLS, ...ANTHROPIC_CELLS, ...WEB_CELLS, ...DEVICE_CELLS]);
const esc = (s: string) => s.replace(/\|/g, "\\|");
const lines = [
  "# Fault matrix",
  "",
  `Run ${new Date().toISOString()} against the emulator. Re-run: \`npm run faults\`. Each cell: one failure injected, one chat`,
  "turn through the plugin's fetch; what opencode would show, whether opencode retries it silently, and whether the",
  "stored login survived (its refresh token still works). Web tool cells run the tool once (its result is read by the",
  "model; opencode never retries a tool); device login cells start with a login stored and run `opencode auth login`'s",
  "steps (\"Failed to authorize\" plus the plugin's error line, or a stored new login). \"fetch rejected\": the plugin's",
  "fetch rejects as fetch does (a network error), which opencode retries.",
  "",
  "| area | cell | what the user sees | opencode | login kept | observed |",
  "|---|---|---|---|---|---|",
  ...results.map(({ cell, outcome }) =>
    "error" in outcome
      ? `| ${cell.group} | ${cell.name} | **harness error**: ${esc(outcome.error)} | – | – | – |`
      : `| ${cell.group} | ${cell.name} | ${esc(outcome.shown)} | ${outcome.opencode} | ${outcome.loginKept ? "yes" : "**no**"} | ${esc(outcome.note)} |`,
  ),
  "",
  ...localSection(await runLocalCells()),
];
writeFileSync(out, lines.join("\n"));
console.error(`faults: written to ${out}`);
