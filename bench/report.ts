// Renders the benchmark figures as the Markdown of bench/RESULTS.md. Pure.
import type { OpencodeBenchResult } from "./opencode-runs.ts";
import type { ServeBenchResult } from "./opencode-serve.ts";
import type { StormResult } from "./refresh-storm.ts";
import type { RequestBenchResult } from "./request-overhead.ts";
import type { StartupResult } from "./startup.ts";
import { mb, ms, us, type PairedSummary } from "./stats.ts";

export interface ReportInput {
  quick: boolean;
  date: string;
  machine: string;
  runtimes: string;
  loadAverage: number;
  request: RequestBenchResult;
  storms: StormResult[];
  startup: StartupResult;
  opencode: OpencodeBenchResult;
  serve: ServeBenchResult;
}

const ratio = (p: PairedSummary) => `${p.ratio.median.toFixed(3)} (${p.ratio.p10.toFixed(3)}–${p.ratio.p90.toFixed(3)})`;
const interval = (i: { low: number; high: number }) => `${i.low.toFixed(3)}–${i.high.toFixed(3)}`;
const spread = (p: PairedSummary, f: (v: number) => string) => `${f(p.added.p10)} … ${f(p.added.p90)}`;

function pairedRow(label: string, p: PairedSummary, f: (v: number) => string): string {
  return `| ${label} | ${p.pairs} | ${f(p.base.median)} | ${f(p.subject.median)} | **${f(p.added.median)}** | ${spread(p, f)} | ${ratio(p)} |`;
}

const PAIRED_HEAD = [
  "| case | pairs | bare (median) | plugin (median) | added (median of pairs) | added p10 … p90 | ratio (median, p10–p90) |",
  "|---|---|---|---|---|---|---|",
];

export function renderReport(r: ReportInput): string {
  const lines = [
    "# Benchmarks",
    "",
    `${r.quick ? "**Quick run (small N; the figures mean nothing)** · " : ""}Run ${r.date} · ${r.machine} · ${r.runtimes} · load average at the end ${r.loadAverage.toFixed(2)}.`,
    "Re-run: `npm run bench` (writes this file). Pairs alternate which side goes first; medians of per-pair figures.",
    "",
    "## Per request: the plugin's own work (no network)",
    "",
    "The loader's fetch over an inner fetch that answers at once, next to that inner fetch alone; 2,000 calls per round, 2 KB body, opencode's headers.",
    "",
    ...PAIRED_HEAD.map((l) => l.replace("bare (median)", "inner fetch alone (median)")),
    pairedRow("per call", r.request.ownWork, us),
    "",
    "## Per request: what the plugin's fetch adds to bare fetch (same process, same loopback server)",
    "",
    ...PAIRED_HEAD,
    ...r.request.bodies.map((b) => pairedRow(`request body ${b.label}, with opencode's headers`, b.result, us)),
    pairedRow("time to the first SSE chunk", r.request.firstChunk, us),
    "",
    "## Memory of one plugin instance after many requests (after a full GC)",
    "",
    "| requests | heap used | RSS |",
    "|---|---|---|",
    ...r.request.memory.map((m) => `| ${m.requests.toLocaleString("en")} | ${mb(m.heapUsed)} | ${mb(m.rss)} |`),
    "",
    "## Requests arriving on an expired token (emulator, single-use refresh tokens)",
    "",
    "| case | requests | succeeded | failed | refresh grants | total |",
    "|---|---|---|---|---|---|",
    ...r.storms.map((s) => `| ${s.label} | ${s.requests} | ${s.ok} | ${s.failed} | **${s.refreshes}** | ${ms(s.totalMs)} |`),
    "",
    "## Start-up: import + server() + config hook, warm model cache",
    "",
    "In a warm process (how opencode is when it loads plugins: its built-ins, file system and JSON/URL machinery already in use), each run imports a fresh copy of the plugin (code that has never run) next to a fresh copy of an empty plugin. In a fresh bun process per run, the plugin is also charged for the runtime's own first-use costs, which opencode has paid before it loads any plugin.",
    "",
    ...PAIRED_HEAD.map((l) => l.replace("bare (median)", "empty plugin (median)")),
    ...r.startup.cases.map((c) => pairedRow(c.label, c.result, ms)),
    "",
    `The first turn then loads the rest on demand (auth loader with an API-key login, chat.params, one request answered at once; as packaged, warm process): median **${ms(r.startup.firstTurn.median)}** (p10 ${ms(r.startup.firstTurn.p10)}, p90 ${ms(r.startup.firstTurn.p90)}; ${r.startup.firstTurn.n} runs).`,
    "",
    `Network calls during start: **${r.startup.networkCalls}** (all runs). Provider registered: ${r.startup.providersRegistered.join(", ") || "none"}.`,
    `Loaded at start: from source, ${r.startup.modulesAtStart} modules of ours and ${r.startup.builtinsAtStart.map((b) => `\`${b}\``).join(", ")}; as packaged, ${r.startup.bundleFilesAtStart} files of the bundle (the rest are chunks imported on first use).`,
    `Built-ins inside opencode (import time there, probe plugin): ${Object.entries(r.startup.builtinsInOpencode)
      .map(([b, t]) => `\`${b}\` ${t.toFixed(3)} ms`)
      .join(", ")}; preloaded as already loaded (under 0.2 ms): ${r.startup.preloaded.length ? r.startup.preloaded.map((b) => `\`${b}\``).join(", ") : "none"}.`,
    "",
    "## Inside the real opencode",
    "",
    ...PAIRED_HEAD.map((l) => l.replace("bare (median)", "baseline (median)")),
    pairedRow("`opencode models`: without vs with the plugin", r.opencode.models, ms),
    pairedRow("`opencode run` turn, first text event: built-in `kimi-code-plan-cn` vs this plugin", r.opencode.firstText, ms),
    pairedRow("`opencode run` turn, total: built-in vs this plugin", r.opencode.total, ms),
    "",
    `Failed runs: ${r.opencode.failedRuns}. Both sides use an API key against the same emulator; the built-in provider is pointed at it with \`provider.kimi-code-plan-cn.options.baseURL\`.`,
    "",
    "### Turns inside one running opencode (`opencode serve`)",
    "",
    "A run of `opencode run` also times opencode's own start, which varies by hundreds of ms; here one `opencode serve` takes turns for both providers in alternation (a session each, fresh sessions every 50 pairs, their first turns not counted). First token: from `POST /session/:id/message` until an `/event` client sees the reply's first part; opencode flushes a turn's events in bursts, partly after the POST has answered, so this can exceed the total.",
    "",
    ...PAIRED_HEAD.map((l) => l.replace("bare (median)", "built-in (median)")),
    pairedRow("turn, first token: built-in `kimi-code-plan-cn` vs this plugin", r.serve.firstText, ms),
    pairedRow("turn, total: built-in vs this plugin", r.serve.total, ms),
    "",
    `Median ratio, 95 % interval (bootstrap): first token **${interval(r.serve.firstTextRatioInterval)}**, total ${interval(r.serve.totalRatioInterval)}. Failed turns: ${r.serve.failedTurns}.`,
    "",
  ];
  return lines.join("\n");
}
