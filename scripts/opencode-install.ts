// Installs a given opencode release from the npm registry into a cache this repo owns
// (`.cache/opencode/<version>/`, gitignored), never into the user's system, and reuses it when present.
// What is installed is what a user's `npm i -g opencode-ai@<version>` fetches: the `opencode-ai`
// wrapper package and the platform package holding the compiled binary (e.g. `opencode-linux-x64`).
// Scripts are not run: the wrapper's postinstall only copies (or re-downloads) that same binary, and
// its layout changed between releases, so the binary is taken straight from the platform package.
//
// `selectOpencode` picks the binary the e2e sandbox runs (scripts/opencode-sandbox.ts).
//
// CLI: `bun scripts/opencode-install.ts <version>...` prints one binary path per version; exit 1 with
// the reason when a version cannot be installed (never a silent fallback to another version).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "..");
/** Where every installed opencode lives, one directory per version. */
export const OPENCODE_CACHE = join(REPO_ROOT, ".cache", "opencode");
/** The opencode of `npm ci` (the pinned devDependency `opencode-ai`): used unless the env picks another. */
export const PINNED_OPENCODE_BIN = join(REPO_ROOT, "node_modules", ".bin", "opencode");
export const PINNED_OPENCODE_VERSION = pinnedOpencodeVersion();

const VERSION_RE = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export class OpencodeInstallError extends Error {
  override name = "OpencodeInstallError";
}

/** A plain `x.y.z` release (or pre-release) string; anything else is refused before npm sees it. */
export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version)) throw new OpencodeInstallError(`not an opencode version: ${JSON.stringify(version)} (expected e.g. 1.14.34)`);
  return version;
}

function hasAvx2(): boolean {
  try {
    return /(^|\s)avx2(\s|$)/i.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

function isMusl(): boolean {
  if (existsSync("/etc/alpine-release")) return true;
  const r = spawnSync("ldd", ["--version"], { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.toLowerCase().includes("musl");
}

/**
 * The platform packages that can run here, best first. Same preference order as opencode-ai's own
 * postinstall.mjs (1.18.33): AVX2-capable x64 takes the plain build, older CPUs the `-baseline` one.
 */
export function platformPackages(): string[] {
  const os = platform() === "win32" ? "windows" : platform();
  const cpu = arch();
  const base = `opencode-${os}-${cpu}`;
  if (cpu !== "x64") return os === "linux" && isMusl() ? [`${base}-musl`, base] : [base];
  const order = hasAvx2() ? [base, `${base}-baseline`] : [`${base}-baseline`, base];
  if (os !== "linux") return order;
  return isMusl() ? order.map((p) => `${p}-musl`).concat(order) : order;
}

function binaryName(): string {
  return platform() === "win32" ? "opencode.exe" : "opencode";
}

/** The cached binary of `version`, or undefined when that version is not installed (completely). */
export function cachedOpencode(version: string): string | undefined {
  const dir = join(OPENCODE_CACHE, checkVersion(version));
  const marker = join(dir, "installed.json");
  if (!existsSync(marker)) return undefined;
  const { binary } = JSON.parse(readFileSync(marker, "utf8")) as { binary?: string };
  return binary && existsSync(join(dir, binary)) ? join(dir, binary) : undefined;
}

function npmInstall(dir: string, specs: string[]): { ok: boolean; output: string } {
  const r = spawnSync(
    "npm",
    ["install", "--ignore-scripts", "--omit=optional", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", ...specs],
    { cwd: dir, encoding: "utf8", timeout: 600_000 },
  );
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim() };
}

/**
 * `<binary> --version`, trimmed, or the failure. Even `--version` makes opencode create its directory
 * under the temp dir (`$TMPDIR/opencode`), so it runs with a temp dir of its own, removed afterwards.
 */
export function binaryVersion(binary: string): string {
  const scratch = mkdtempSync(join(tmpdir(), "okc-opencode-version-"));
  let r;
  try {
    const env = { PATH: process.env.PATH ?? "", HOME: scratch, TMPDIR: scratch, XDG_CONFIG_HOME: scratch, XDG_DATA_HOME: scratch, XDG_CACHE_HOME: scratch, XDG_STATE_HOME: scratch };
    r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 60_000, env });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (r.status !== 0) throw new OpencodeInstallError(`${binary} --version failed (exit ${r.status}): ${`${r.stderr ?? ""}${r.error ?? ""}`.trim()}`);
  return r.stdout.trim();
}

/**
 * Moves a finished install into place. Another process may have finished the same version meanwhile
 * (and may be running it): then its copy wins and ours is dropped. A `dir` without the marker is a
 * broken leftover and is replaced.
 */
function publish(version: string, staging: string, dir: string, binary: string): string {
  const done = cachedOpencode(version);
  if (done) return done;
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (e) {
    const other = cachedOpencode(version);
    if (other) return other;
    throw e;
  }
  return join(dir, binary);
}

/**
 * The binary of opencode `version`, installing it into the cache first if needed. Throws an
 * OpencodeInstallError naming what was tried when the registry does not serve it.
 */
export function installOpencode(version: string, log: (line: string) => void = () => {}): string {
  const cached = cachedOpencode(version);
  if (cached) return cached;
  const dir = join(OPENCODE_CACHE, version);
  const staging = `${dir}.partial-${process.pid}`;
  const failures: string[] = [];
  try {
    for (const pkg of platformPackages()) {
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      writeFileSync(join(staging, "package.json"), JSON.stringify({ name: "opencode-cache", private: true }, null, 2) + "\n");
      log(`installing opencode-ai@${version} + ${pkg}@${version} into ${dir} …`);
      const res = npmInstall(staging, [`opencode-ai@${version}`, `${pkg}@${version}`]);
      if (!res.ok) {
        failures.push(`${pkg}@${version}: ${res.output.split("\n").slice(0, 4).join(" | ")}`);
        continue;
      }
      const binary = join("node_modules", pkg, "bin", binaryName());
      const got = binaryVersion(join(staging, binary));
      if (got !== version) throw new OpencodeInstallError(`${pkg}@${version} reports version ${got}`);
      writeFileSync(join(staging, "installed.json"), JSON.stringify({ version, package: pkg, binary }, null, 2) + "\n");
      return publish(version, staging, dir, binary);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  throw new OpencodeInstallError(
    `opencode ${version} could not be installed from the npm registry (${platformPackages().join(", ")}):\n  ${failures.join("\n  ")}`,
  );
}

function pinnedOpencodeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.["opencode-ai"];
  if (!v) throw new Error("package.json has no devDependency opencode-ai");
  return v;
}

/**
 * Which opencode the sandbox runs. `KIMI_E2E_OPENCODE_BIN=<path>` takes that binary (its version from
 * `--version`); `KIMI_E2E_OPENCODE_VERSION=<x.y.z>` takes that release from the test cache, installing it
 * from the npm registry on first use. Otherwise the pinned devDependency.
 * A version that cannot be installed throws: a run never silently falls back to another opencode.
 */
export function selectOpencode(env: Record<string, string | undefined>): { bin: string; version: string } {
  const bin = env.KIMI_E2E_OPENCODE_BIN;
  if (bin) {
    if (!isAbsolute(bin) || !existsSync(bin)) throw new Error(`KIMI_E2E_OPENCODE_BIN must be an existing absolute path: ${bin}`);
    return { bin, version: binaryVersion(bin) };
  }
  const version = env.KIMI_E2E_OPENCODE_VERSION;
  if (version && version !== PINNED_OPENCODE_VERSION) {
    return { bin: installOpencode(checkVersion(version), (l) => process.stderr.write(`${l}\n`)), version };
  }
  return { bin: PINNED_OPENCODE_BIN, version: PINNED_OPENCODE_VERSION };
}

if (import.meta.main) {
  const versions = process.argv.slice(2);
  if (versions.length === 0) {
    console.error("usage: bun scripts/opencode-install.ts <version>...   (installs into .cache/opencode/<version>/)");
    process.exit(2);
  }
  try {
    for (const v of versions) console.log(installOpencode(checkVersion(v), (l) => console.error(l)));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
