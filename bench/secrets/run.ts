// `npm run secrets` (issue 14 §6): the test suite, the demo and a short soak, each with the emulators
// noting every secret they issue or accept (emulator/secrets-log.ts) and every temp dir listed and
// scanned just before it is removed (scripts/secrets-snapshot.ts). Then: no known secret in any captured
// stdout/stderr (the plugin's log lines included: KIMI_CODE_TEST_LOGS=1) nor in any file but opencode's
// auth.json; the project's files 0600, their directories 0700; no temp file of an atomic write left.
// Writes bench/SECRETS.md (or --out); exits 1 on any violation.
//   bun bench/secrets/run.ts [--steps test,demo,soak] [--tests <path>,…] [--soak-seconds 60] [--out file]
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { knownSecrets, secretKindsIn, snapshot, type SnapshotEntry } from "../../scripts/secrets-snapshot.ts";
import { checkListing, TOKEN_HOLDERS, type Violation } from "./rules.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "test,demo,soak" },
    tests: { type: "string" },
    "soak-seconds": { type: "string", default: "60" },
    "soak-processes": { type: "string", default: "3" },
    out: { type: "string" },
  },
});
const REPO = resolve(import.meta.dir, "../..");
const out = values.out ?? join(REPO, "bench", "SECRETS.md");
const steps = values.steps!.split(",").filter(Boolean);
const work = mkdtempSync(join(os.tmpdir(), "okc-secrets-"));
const scanDir = join(work, "scan");
mkdirSync(scanDir, { mode: 0o700 });

interface StepResult {
  name: string;
  command: string;
  exitCode: number | null;
  seconds: number;
  outputBytes: number;
  outputFile: string;
}

const COMMANDS: Record<string, string[]> = {
  test: ["test", ...(values.tests ? values.tests.split(",") : [])],
  demo: ["scripts/demo.ts"],
  soak: ["bench/soak.ts", "--seconds", values["soak-seconds"]!, "--processes", values["soak-processes"]!, "--out", join(work, "SOAK.md")],
};

async function runStep(name: string): Promise<StepResult> {
  const args = COMMANDS[name];
  if (!args) throw new Error(`unknown step ${name} (test, demo, soak)`);
  const tmp = join(work, `tmp-${name}`);
  mkdirSync(tmp, { mode: 0o700 });
  const outputFile = join(work, `${name}.out`);
  const sink = createWriteStream(outputFile);
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, KIMI_SECRETS_SCAN_DIR: scanDir, TMPDIR: tmp, KIMI_CODE_TEST_LOGS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(sink, { end: false });
  child.stderr.pipe(sink, { end: false });
  const exitCode = await new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  await new Promise<void>((done) => sink.end(done));
  // Whatever the step left in its TMPDIR (nothing, if every temp dir was removed) is listed too.
  for (const name of readdirSync(tmp)) snapshot(join(tmp, name));
  rmSync(tmp, { recursive: true, force: true });
  const output = readFileSync(outputFile, "utf8");
  const outputBytes = Buffer.byteLength(output);
  process.stdout.write(`${name}: exit ${exitCode} in ${Math.round((Date.now() - started) / 1000)} s, ${outputBytes} bytes of output\n`);
  if (exitCode !== 0) {
    // What failed, before the work dir (and this output) is removed: bun's failed tests and its last lines.
    const lines = output.split("\n");
    const failed = lines.filter((l) => l.startsWith("(fail)"));
    process.stdout.write([...new Set(failed), ...lines.slice(-15)].map((l) => `  ${name}> ${l}`).join("\n") + "\n");
  }
  return { name, command: `bun ${args.join(" ")}`, exitCode, seconds: (Date.now() - started) / 1000, outputBytes, outputFile };
}

process.env.KIMI_SECRETS_SCAN_DIR = scanDir; // for snapshot() of the leftovers, in this process
const results: StepResult[] = [];
try {
  for (const step of steps) results.push(await runStep(step));
  const known = knownSecrets(scanDir);
  const violations: Violation[] = [];
  for (const r of results) {
    const kinds = secretKindsIn(readFileSync(r.outputFile).toString("latin1"), known);
    if (kinds.length) violations.push({ what: `output holds ${kinds.join(", ")}`, where: `${r.name} stdout/stderr` });
  }
  // The soak's report quotes the plugin's log lines.
  const soakReport = join(work, "SOAK.md");
  if (existsSync(soakReport)) {
    const kinds = secretKindsIn(readFileSync(soakReport, "latin1"), known);
    if (kinds.length) violations.push({ what: `holds ${kinds.join(", ")}`, where: "the soak's report" });
  }
  const entries: SnapshotEntry[] = [];
  for (const name of readdirSync(scanDir).filter((n) => n.startsWith("listing-"))) {
    for (const line of readFileSync(join(scanDir, name), "utf8").split("\n")) if (line) entries.push(JSON.parse(line) as SnapshotEntry);
  }
  const listing = checkListing(entries);
  violations.push(...listing.violations);
  const snapshotErrors = readdirSync(scanDir)
    .filter((n) => n.startsWith("errors-"))
    .flatMap((n) => readFileSync(join(scanDir, n), "utf8").split("\n").filter(Boolean));
  const byKind: Record<string, number> = {};
  for (const kind of known.byValue.values()) byKind[kind] = (byKind[kind] ?? 0) + 1;
  const roots = new Set(entries.map((e) => e.root)).size;

  const lines = [
    "# Secrets scan",
    "",
    `Run ${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${os.type()} ${os.release()} · bun ${Bun.version} · load average at the end ${(os.loadavg()[0] ?? 0).toFixed(2)}.`,
    "Re-run: `npm run secrets` (writes this file; `-- --steps test --tests <path>,…` for a part). What it does: bench/secrets/run.ts.",
    "",
    "| run | command | exit | time | output scanned |",
    "|---|---|---|---|---|",
    ...results.map((r) => `| ${r.name} | \`${r.command}\` | ${r.exitCode} | ${Math.round(r.seconds)} s | ${r.outputBytes.toLocaleString("en")} bytes |`),
    "",
    `**Secrets known**: ${known.byValue.size.toLocaleString("en")} (${Object.entries(byKind).map(([k, n]) => `${k} ${n.toLocaleString("en")}`).join(", ") || "none"}), every one the emulators issued or accepted.`,
    "",
    `**Files**: ${roots.toLocaleString("en")} temp dirs listed before removal, ${listing.figures.files.toLocaleString("en")} files and ${listing.figures.dirs.toLocaleString("en")} directories; ${listing.figures.filesScanned.toLocaleString("en")} files (${listing.figures.bytesScanned.toLocaleString("en")} bytes) scanned, ${listing.figures.skipped} too large to read; ${listing.figures.allowedTokenHolders.toLocaleString("en")} files hold a token by design (${TOKEN_HOLDERS.map((h) => `${h.name}: ${h.why}`).join("; ")}).`,
    "",
    `**The project's files** checked for their mode: ${Object.entries(listing.figures.ownFiles).map(([k, n]) => `${k} ${n.toLocaleString("en")}`).join(", ") || "none"}.`,
    "",
    `**Violations: ${violations.length}**${violations.length ? "" : " (no known secret in any output or file outside auth.json; every file of the project 0600, its directories 0700; no temp file left)."}`,
    ...violations.slice(0, 50).map((v) => `- ${v.where}: ${v.what}`),
    ...(violations.length > 50 ? [`- … and ${violations.length - 50} more`] : []),
    ...(snapshotErrors.length ? ["", `Listing errors (${snapshotErrors.length}):`, ...snapshotErrors.slice(0, 10).map((e) => `- ${e}`)] : []),
    "",
  ];
  writeFileSync(out, lines.join("\n"));
  process.stdout.write(lines.join("\n"));
  const failedSteps = results.filter((r) => r.exitCode !== 0);
  if (failedSteps.length) process.stdout.write(`steps that failed (see their output above the scan): ${failedSteps.map((r) => r.name).join(", ")}\n`);
  process.exitCode = violations.length ? 1 : 0;
  if (violations.length && existsSync(work)) process.stdout.write(`kept ${work} for inspection (remove it when done)\n`);
} finally {
  if (!process.exitCode) rmSync(work, { recursive: true, force: true });
}
