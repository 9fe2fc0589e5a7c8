// The opencode version matrix: runs the real-opencode e2e suite (test/e2e) against every release in
// test/e2e/opencode-range.json, each installed from the npm registry into .cache/opencode/<version>/
// (scripts/opencode-install.ts), and prints a version × check table. `npm run test:opencode-matrix`.
//
//   bun scripts/opencode-matrix.ts                 every version of the matrix, whole e2e suite
//   bun scripts/opencode-matrix.ts --oldest --core the oldest version, the core journey and the package only (CI)
//   bun scripts/opencode-matrix.ts --versions=1.15.13,1.18.3
//   bun scripts/opencode-matrix.ts --table [--core] the table of the latest saved run per version
//
// Results: stdout, and .cache/opencode-matrix/results.{md,json}; per version and mode (full, core) a
// log, the JUnit report and the row (<version>.<mode>.row.json: a version can be re-run alone and
// `--table` still shows them all).
// Exit 1 when any check fails or a version cannot be installed (never skipped).

import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installOpencode, OPENCODE_CACHE, REPO_ROOT } from "./opencode-install.ts";

export interface Range {
  oldest: string;
  newest: string;
  /** package.json `engines.opencode`: the releases the matrix covers, minus known-broken ones. */
  engines: string;
  matrix: string[];
}

export const RANGE_FILE = join(REPO_ROOT, "test", "e2e", "opencode-range.json");

export function readRange(): Range {
  return JSON.parse(readFileSync(RANGE_FILE, "utf8")) as Range;
}

/** A column of the table: the tests (by file and name prefix) it is made of. */
interface Check {
  label: string;
  file: string;
  /** Test-name prefix; every test of the file when absent. */
  test?: string;
}

const JOURNEY = "test/e2e/journey.test.ts";
export const CHECKS: Check[] = [
  { label: "login", file: JOURNEY, test: "providers login" },
  { label: "models", file: JOURNEY, test: "models lists" },
  { label: "chat+variant", file: JOURNEY, test: "chat turns" },
  { label: "refresh", file: "test/e2e/refresh.test.ts" },
  { label: "errors", file: "test/e2e/errors.test.ts" },
  { label: "package", file: "test/e2e/package.test.ts" },
  { label: "kimi-cli identity", file: "test/e2e/identity-kimi-cli.test.ts" },
];
/**
 * The core journey (CI's run of the oldest version): login, models, a chat turn with variants; and the
 * package as users install it, whose plugin is the bundle built by bun at npm pack, not the source.
 */
export const CORE_FILES = [JOURNEY, "test/e2e/package.test.ts"];

export interface TestResult {
  file: string;
  name: string;
  passed: boolean;
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Test results from bun's JUnit report (`--reporter=junit`). */
export function parseJunit(xml: string): TestResult[] {
  const results: TestResult[] = [];
  const caseRe = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(caseRe)) {
    const attrs = m[1] ?? "";
    const attr = (n: string) => unescapeXml(new RegExp(`\\b${n}="([^"]*)"`).exec(attrs)?.[1] ?? "");
    const body = m[3] ?? "";
    const skipped = /<skipped\b/.test(body);
    results.push({ file: attr("file"), name: attr("name"), passed: !skipped && !/<(failure|error)\b/.test(body) });
  }
  return results;
}

export type Cell = { state: "pass" | "fail" | "missing"; passed: number; total: number };

/** One cell per check: pass when every test it covers passed; "missing" when no test matched (a renamed test). */
export function cellsFor(results: TestResult[], files: string[]): Record<string, Cell | undefined> {
  const cells: Record<string, Cell | undefined> = {};
  for (const c of CHECKS) {
    if (!files.includes(c.file)) continue;
    const mine = results.filter((r) => r.file.endsWith(c.file) && (c.test === undefined || r.name.startsWith(c.test)));
    const passed = mine.filter((r) => r.passed).length;
    cells[c.label] = { state: mine.length === 0 ? "missing" : passed === mine.length ? "pass" : "fail", passed, total: mine.length };
  }
  return cells;
}

export interface VersionRow {
  version: string;
  /** Set when the version could not be installed or the suite did not report. */
  error?: string;
  cells: Record<string, Cell | undefined>;
  seconds: number;
  /** ISO time the row was finished; the table shows its date. */
  finishedAt?: string;
}

function cellText(c: Cell | undefined): string {
  if (!c) return "–";
  if (c.state === "missing") return "no test";
  return c.state === "pass" ? `pass (${c.total})` : `FAIL (${c.passed}/${c.total})`;
}

export function markdownTable(rows: VersionRow[]): string {
  const head = ["opencode", ...CHECKS.map((c) => c.label), "time", "run on"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const cells = r.error ? CHECKS.map(() => "–") : CHECKS.map((c) => cellText(r.cells[c.label]));
    const day = r.finishedAt?.slice(0, 10) ?? "–";
    lines.push(`| ${r.version}${r.error ? ` (${r.error})` : ""} | ${cells.join(" | ")} | ${Math.round(r.seconds)} s | ${day} |`);
  }
  return lines.join("\n");
}

export function rowPassed(r: VersionRow): boolean {
  const cells = Object.values(r.cells).filter((c): c is Cell => c !== undefined);
  return !r.error && cells.length > 0 && cells.every((c) => c.state === "pass");
}

const OUT_DIR = join(REPO_ROOT, ".cache", "opencode-matrix");

function runSuite(version: string, files: string[], logPath: string, junitPath: string): Promise<number | null> {
  const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
  const log = createWriteStream(logPath);
  const child = spawn(bun, ["test", "--reporter=junit", `--reporter-outfile=${junitPath}`, ...files], {
    cwd: REPO_ROOT,
    env: { ...process.env, KIMI_E2E_OPENCODE_VERSION: version, KIMI_E2E_OPENCODE_BIN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((resolve) => child.on("close", (code) => log.end(() => resolve(code))));
}

async function runVersion(version: string, files: string[], say: (l: string) => void): Promise<VersionRow> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    installOpencode(version, say);
  } catch (e) {
    say(e instanceof Error ? e.message : String(e));
    return { version, error: "install failed", cells: {}, seconds: seconds() };
  }
  const base = rowFile(version, files).replace(/\.row\.json$/, "");
  const logPath = `${base}.log`;
  const junitPath = `${base}.junit.xml`;
  rmSync(junitPath, { force: true });
  say(`opencode ${version}: bun test ${files.join(" ")} (log: ${logPath})`);
  const code = await runSuite(version, files, logPath, junitPath);
  let results: TestResult[] = [];
  try {
    results = parseJunit(readFileSync(junitPath, "utf8"));
  } catch {
    return { version, error: `no test report, bun test exited ${code}`, cells: {}, seconds: seconds() };
  }
  const row: VersionRow = { version, cells: cellsFor(results, files), seconds: seconds() };
  // A failure outside every check (e.g. a file that did not load) must not pass unnoticed.
  if (code !== 0 && rowPassed(row)) row.error = `bun test exited ${code}`;
  return row;
}

function rowFile(version: string, files: string[]): string {
  return join(OUT_DIR, `${version}.${files.length === CORE_FILES.length ? "core" : "full"}.row.json`);
}

/** The latest saved row of each version for these test files (whole suite or `--core`): `--table`. */
export function savedRows(versions: string[], files: string[]): VersionRow[] {
  return versions.map((version) => {
    const file = rowFile(version, files);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as VersionRow) : { version, error: "not run", cells: {}, seconds: 0 };
  });
}

function parseArgs(argv: string[], range: Range): { versions: string[]; files: string[]; tableOnly: boolean } {
  let versions = range.matrix;
  let files = [...new Set(CHECKS.map((c) => c.file))];
  let tableOnly = false;
  for (const a of argv) {
    if (a === "--table") tableOnly = true;
    else
    if (a === "--oldest") versions = [range.oldest];
    else if (a === "--newest") versions = [range.newest];
    else if (a === "--ends") versions = [range.oldest, range.newest];
    else if (a === "--core") files = CORE_FILES;
    else if (a.startsWith("--versions=")) versions = a.slice("--versions=".length).split(",").filter(Boolean);
    else throw new Error(`unknown argument ${a} (use --oldest, --newest, --ends, --core, --versions=a,b, --table)`);
  }
  return { versions, files, tableOnly };
}

if (import.meta.main) {
  const range = readRange();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2), range);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  }
  mkdirSync(OUT_DIR, { recursive: true });
  if (args.tableOnly) {
    const rows = savedRows(args.versions, args.files);
    console.log(markdownTable(rows));
    process.exit(rows.every(rowPassed) ? 0 : 1);
  }
  const say = (l: string) => console.error(`[matrix] ${l}`);
  say(`versions: ${args.versions.join(", ")}; cache: ${OPENCODE_CACHE}`);
  const rows: VersionRow[] = [];
  for (const v of args.versions) {
    const row = { ...(await runVersion(v, args.files, say)), finishedAt: new Date().toISOString() };
    rows.push(row);
    writeFileSync(rowFile(v, args.files), JSON.stringify(row, null, 2) + "\n");
    say(`opencode ${v}: ${rowPassed(row) ? "pass" : "FAIL"} (${Math.round(row.seconds)} s)`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const table = markdownTable(rows);
  const md = `opencode version matrix, ${date} (${args.files.join(", ")})\n\n${table}\n`;
  writeFileSync(join(OUT_DIR, "results.md"), md);
  writeFileSync(join(OUT_DIR, "results.json"), JSON.stringify({ date, files: args.files, rows }, null, 2) + "\n");
  console.log(md);
  process.exit(rows.every(rowPassed) ? 0 : 1);
}
