// The opencode version matrix without running opencode: the declared range is consistent everywhere
// it is stated, version selection refuses bad input before npm sees it, and the runner's report parsing
// and table are right. The matrix itself: `npm run test:opencode-matrix` (AGENTS.md "opencode versions").
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkVersion, OpencodeInstallError, platformPackages } from "../../scripts/opencode-install.ts";
import { CHECKS, cellsFor, markdownTable, parseJunit, readRange, rowPassed, type TestResult } from "../../scripts/opencode-matrix.ts";
import { PINNED_OPENCODE_VERSION, REPO_ROOT, selectOpencode } from "../../scripts/opencode-sandbox.ts";
import { behaviourOf, compareVersions } from "../e2e/opencode-behaviour.ts";

const range = readRange();
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  engines: { opencode: string };
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

describe("the declared opencode range", () => {
  test("package.json engines.opencode is the range the matrix tests", () => {
    expect(pkg.engines.opencode).toBe(range.engines);
    expect(pkg.engines.opencode).toBe(`>=${range.oldest}`);
  });

  test("the newest tested version is the pinned devDependency (what npm test runs)", () => {
    expect(range.newest).toBe(pkg.devDependencies["opencode-ai"]!);
    expect(range.newest).toBe(PINNED_OPENCODE_VERSION);
    expect(pkg.devDependencies["@opencode-ai/plugin"]).toBe(range.newest);
  });

  test("the matrix starts at the oldest, ends at the newest, ascending, and leaves out 1.15 (its \`opencode run\` prints no answer)", () => {
    expect(range.matrix[0]).toBe(range.oldest);
    expect(range.matrix.at(-1)).toBe(range.newest);
    for (let i = 1; i < range.matrix.length; i++) expect(compareVersions(range.matrix[i - 1]!, range.matrix[i]!)).toBeLessThan(0);
    expect(range.matrix.filter((v) => v.startsWith("1.15."))).toEqual([]);
  });

  test("README states the range and CI runs the oldest version", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).toContain(`opencode **${range.oldest}**`);
    for (const v of range.matrix) expect(readme).toContain(v);
    expect(pkg.scripts["test:opencode-matrix"]).toBe("bun scripts/opencode-matrix.ts");
    expect(pkg.scripts["test:opencode-oldest"]).toBe("bun scripts/opencode-matrix.ts --oldest --core");
    expect(readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8")).toContain("npm run test:opencode-oldest");
  });
});

describe("choosing the opencode binary", () => {
  test("versions are plain release numbers; anything else is refused before npm runs", () => {
    expect(checkVersion("1.14.34")).toBe("1.14.34");
    expect(checkVersion("0.0.0-dev-202609212252")).toBe("0.0.0-dev-202609212252");
    for (const bad of ["latest", "1.14", "^1.14.34", "1.14.34 --global", "../1.2.3", ""]) {
      expect(() => checkVersion(bad)).toThrow(OpencodeInstallError);
    }
  });

  test("default and pinned version: the npm ci binary; a bad override fails loudly", () => {
    expect(selectOpencode({})).toEqual({ bin: join(REPO_ROOT, "node_modules", ".bin", "opencode"), version: PINNED_OPENCODE_VERSION });
    expect(selectOpencode({ KIMI_E2E_OPENCODE_VERSION: PINNED_OPENCODE_VERSION }).version).toBe(PINNED_OPENCODE_VERSION);
    expect(() => selectOpencode({ KIMI_E2E_OPENCODE_VERSION: "newest" })).toThrow(/not an opencode version/);
    expect(() => selectOpencode({ KIMI_E2E_OPENCODE_BIN: "relative/opencode" })).toThrow(/absolute path/);
    expect(() => selectOpencode({ KIMI_E2E_OPENCODE_BIN: "/nonexistent/opencode" })).toThrow(/absolute path/);
  });

  test("platform packages follow opencode-ai's own order for this machine", () => {
    const names = platformPackages();
    expect(names.length).toBeGreaterThanOrEqual(1);
    for (const n of names) expect(n).toMatch(/^opencode-(linux|darwin|windows)-(x64|arm64)(-baseline)?(-musl)?$/);
  });
});

describe("version-specific expectations", () => {
  test("compareVersions orders numerically", () => {
    expect(compareVersions("1.18.3", "1.18.33")).toBeLessThan(0);
    expect(compareVersions("1.14.34", "1.3.2")).toBeGreaterThan(0);
    expect(compareVersions("1.17.0", "1.17.0")).toBe(0);
  });

  test("x-session-id and exit 1 on a failed turn from 1.17.0, the first variant on the title request from 1.15.0", () => {
    expect(behaviourOf("1.14.41")).toEqual({ sessionIdHeader: false, titleUsesFirstVariant: false, failedRunExitCode: 0 });
    expect(behaviourOf("1.15.0")).toEqual({ sessionIdHeader: false, titleUsesFirstVariant: true, failedRunExitCode: 0 });
    expect(behaviourOf("1.17.0")).toEqual({ sessionIdHeader: true, titleUsesFirstVariant: true, failedRunExitCode: 1 });
    expect(behaviourOf("1.18.33")).toEqual({ sessionIdHeader: true, titleUsesFirstVariant: true, failedRunExitCode: 1 });
  });
});

describe("the matrix report", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="4">
  <testsuite name="test/e2e/journey.test.ts" file="test/e2e/journey.test.ts" tests="3">
    <testcase name="providers login: device flow" classname="" time="8.5" file="test/e2e/journey.test.ts" line="44" assertions="20" />
    <testcase name="models lists every model" classname="" time="1" file="test/e2e/journey.test.ts" line="71" assertions="6">
      <failure type="AssertionError" />
    </testcase>
    <testcase name="chat turns: opencode&apos;s User-Agent &amp; more" classname="" time="1" file="test/e2e/journey.test.ts" line="85" assertions="2" />
  </testsuite>
  <testsuite name="test/e2e/refresh.test.ts" file="test/e2e/refresh.test.ts" tests="1">
    <testcase name="an expired login" classname="" time="1" file="test/e2e/refresh.test.ts" line="1"><skipped /></testcase>
  </testsuite>
</testsuites>`;

  test("parses passes, failures, skips and escaped names", () => {
    const r = parseJunit(xml);
    expect(r.map((t) => [t.name, t.passed])).toEqual([
      ["providers login: device flow", true],
      ["models lists every model", false],
      ["chat turns: opencode's User-Agent & more", true],
      ["an expired login", false],
    ]);
    expect(r[0]?.file).toBe("test/e2e/journey.test.ts");
  });

  test("cells: a failing or skipped test fails its check; a check with no test is reported, not passed", () => {
    const results = parseJunit(xml);
    const files = ["test/e2e/journey.test.ts", "test/e2e/refresh.test.ts", "test/e2e/errors.test.ts"];
    const cells = cellsFor(results, files);
    expect(cells.login).toEqual({ state: "pass", passed: 1, total: 1 });
    expect(cells.models).toEqual({ state: "fail", passed: 0, total: 1 });
    expect(cells.refresh?.state).toBe("fail");
    expect(cells.errors?.state).toBe("missing");
    expect(cells.package).toBeUndefined(); // not run
    expect(rowPassed({ version: "1", cells, seconds: 1 })).toBe(false);
    const ok: TestResult[] = [{ file: "test/e2e/journey.test.ts", name: "providers login: x", passed: true }];
    expect(rowPassed({ version: "1", cells: cellsFor(ok, ["test/e2e/journey.test.ts"]), seconds: 1 })).toBe(false); // models, chat missing
    expect(rowPassed({ version: "1", error: "install failed", cells: {}, seconds: 1 })).toBe(false);
  });

  test("the table has one column per check and says FAIL with counts", () => {
    const cells = cellsFor(parseJunit(xml), ["test/e2e/journey.test.ts"]);
    const md = markdownTable([
      { version: "1.14.34", cells, seconds: 35.2, finishedAt: "2026-12-02T15:00:00.000Z" },
      { version: "9.9.9", error: "install failed", cells: {}, seconds: 3 },
    ]);
    const lines = md.split("\n");
    expect(lines[0]).toBe(`| opencode | ${CHECKS.map((c) => c.label).join(" | ")} | time | run on |`);
    expect(lines[2]).toContain("| 1.14.34 | pass (1) | FAIL (0/1) | pass (1) | – |");
    expect(lines[2]).toContain("| 35 s | 2026-12-02 |");
    expect(lines[3]).toContain("9.9.9 (install failed)");
  });
});
