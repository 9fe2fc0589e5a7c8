// The opencode binary on PATH, its version, and whether that version is one this package supports
// (package.json engines.opencode, the range opencode itself checks: opencode-plugin-api.md §3).
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Env } from "./setup.ts";

/** The engines.opencode range of this package (two folders up from src/cli/ and from dist/cli/). */
export function supportedOpencodeRange(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { engines?: { opencode?: unknown } };
    return typeof pkg.engines?.opencode === "string" ? pkg.engines.opencode : undefined;
  } catch {
    return undefined;
  }
}

export function findOnPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `opencode --version` (first x.y.z in its output), or an error message. Bounded by timeoutMs. */
export function opencodeVersion(bin: string, env: Env, timeoutMs: number): Promise<{ version?: string; error?: string }> {
  return new Promise((resolve) => {
    let out = "";
    const child = spawn(bin, ["--version"], { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ error: `\`${bin} --version\` did not finish within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ error: error.message });
    });
    child.on("close", () => {
      clearTimeout(timer);
      const m = /\b(\d+\.\d+\.\d+(?:-[\w.]+)?)\b/.exec(out);
      resolve(m ? { version: m[1]! } : { error: `unexpected output: ${out.trim().slice(0, 80)}` });
    });
  });
}

type Version = [number, number, number];

function parse(v: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(v.trim());
  if (!m) return undefined;
  const n = (s: string | undefined) => (s === undefined || s === "x" || s === "*" ? 0 : Number(s));
  return [n(m[1]), n(m[2]), n(m[3])];
}

function cmp(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function comparator(version: Version, c: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(c);
  const target = m ? parse(m[2]!) : undefined;
  if (!m || !target) return false;
  const d = cmp(version, target);
  switch (m[1]) {
    case ">=":
      return d >= 0;
    case "<=":
      return d <= 0;
    case ">":
      return d > 0;
    case "<":
      return d < 0;
    case "^":
      return d >= 0 && (target[0] > 0 ? version[0] === target[0] : version[0] === 0 && version[1] === target[1]);
    case "~":
      return d >= 0 && version[0] === target[0] && version[1] === target[1];
    default:
      return d === 0;
  }
}

/** A small semver range check: `||` alternatives of space-separated comparators (>=, <, ^, ~, =). */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  if (range.trim() === "" || range.trim() === "*") return true;
  return range.split("||").some((alt) => alt.trim().split(/\s+/).every((c) => comparator(v, c.replace(/^=+/, "="))));
}
