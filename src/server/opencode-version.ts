// Which opencode runs this plugin, when it can be told: an npm-installed opencode runs the binary of
// its platform package (`…/node_modules/opencode-<platform>/bin/opencode`), whose package.json names
// the release. Other installs (install script, Homebrew) give undefined, read as "current".
// Read synchronously: one small file at start, where a thread-pool round trip costs more than the read.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export async function runningOpencodeVersion(execPath: string = process.execPath): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(execPath), "..", "package.json"), "utf8")) as { name?: unknown; version?: unknown };
    if (typeof pkg.name !== "string" || !pkg.name.startsWith("opencode-") || typeof pkg.version !== "string") return undefined;
    return /^\d+\.\d+\.\d+/.exec(pkg.version)?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Plugin tools whose `args` are plain JSON Schema (no zod: the plugin has no runtime dependency) work
 * from opencode 1.18; opencode 1.14.34 wraps them in zod and every `opencode run` dies
 * ("undefined is not an object (evaluating 'n._zod.def')", measured with the version matrix).
 */
export const JSON_SCHEMA_TOOLS_SINCE = [1, 18, 0] as const;

export function acceptsJsonSchemaTools(version: string | undefined): boolean {
  if (version === undefined) return true;
  const parts = version.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (parts[i] ?? 0) - JSON_SCHEMA_TOOLS_SINCE[i]!;
    if (d !== 0) return d > 0;
  }
  return true;
}
