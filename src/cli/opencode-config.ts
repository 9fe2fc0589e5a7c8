// The opencode configuration as opencode itself finds it, to learn whether this plugin is loaded and
// with which options. Order and sources (opencode-plugin-api.md §8; 3kaiu/opencode-x
// packages/opencode/src/config/config.ts, config/paths.ts): global $XDG_CONFIG_HOME/opencode/
// {config.json, opencode.json, opencode.jsonc}, then $OPENCODE_CONFIG, then project opencode.json[c]
// from the worktree root down to cwd (unless OPENCODE_DISABLE_PROJECT_CONFIG), then opencode.json[c]
// in each .opencode/ dir, ~/.opencode and $OPENCODE_CONFIG_DIR, then $OPENCODE_CONFIG_CONTENT.
// `plugin` arrays add up over the layers and the last spec of a package wins (config/plugin.ts:64-77).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PLUGIN_NAME, PROVIDER_ID } from "../core/config/constants.ts";
import { isRecord } from "../core/support/http.ts";
import { parseJsonc } from "./jsonc.ts";

type Env = Record<string, string | undefined>;

export interface ConfigSource {
  /** A file path, or "OPENCODE_CONFIG_CONTENT". */
  path: string;
  layer: "global" | "OPENCODE_CONFIG" | "project" | ".opencode" | "OPENCODE_CONFIG_DIR" | "OPENCODE_CONFIG_CONTENT";
  /** Why the file could not be used (opencode refuses to start with such a file). */
  error?: string;
  config?: Record<string, unknown>;
}

export interface PluginLine {
  spec: string;
  options: unknown;
  source: ConfigSource;
  /** For a path spec: the resolved path, and whether it exists. */
  resolvedPath?: string;
  missing?: boolean;
}

export interface OpencodeConfig {
  sources: ConfigSource[];
  /** The spec of this plugin opencode would load (the last one), if any. */
  plugin?: PluginLine;
  /** Every spec of this plugin found, in load order. */
  pluginLines: PluginLine[];
  /** The merged `provider["kimi-for-coding-oauth"]` block of the user's config, if any. */
  providerBlock?: unknown;
  globalDir: string;
}

const FILE_NAMES = ["opencode.json", "opencode.jsonc"];

/** `{env:VAR}` is replaced by the variable's value before parsing, as opencode does. */
function substituteEnv(text: string, env: Env): string {
  return text.replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? "");
}

function readSource(path: string, layer: ConfigSource["layer"], env: Env): ConfigSource {
  const source: ConfigSource = { path, layer };
  try {
    const parsed = parseJsonc(substituteEnv(readFileSync(path, "utf8"), env));
    if (isRecord(parsed)) source.config = parsed;
    else source.error = "not a JSON object";
  } catch (error) {
    source.error = `not valid JSON: ${(error as Error).message}`;
  }
  return source;
}

/** The git worktree root above `cwd` (a `.git` dir or file), else the filesystem root. */
function worktreeOf(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return dir;
  }
}

/** Directories from the worktree root down to cwd. */
function dirsDown(cwd: string): string[] {
  const root = worktreeOf(cwd);
  const dirs: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dir === root || dirname(dir) === dir) break;
  }
  return dirs;
}

const isPathSpec = (spec: string) => spec.startsWith("file://") || spec.startsWith(".") || isAbsolute(spec) || /^[A-Za-z]:[\\/]/.test(spec);

/** The package name an npm spec installs: "pkg", "pkg@1.2", "@scope/pkg@^1" → name. */
function npmName(spec: string): string {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  return at === -1 ? spec : spec.slice(0, at);
}

/** The name in the package.json at or above `path` (a path plugin may point into a package). */
function packageNameAt(path: string): string | undefined {
  let dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (isRecord(pkg) && typeof pkg.name === "string") return pkg.name;
    } catch {
      // no package.json here: look higher
    }
    if (dirname(dir) === dir) break;
  }
  return undefined;
}

function pluginLine(entry: unknown, source: ConfigSource): PluginLine | undefined {
  const spec = typeof entry === "string" ? entry : Array.isArray(entry) && typeof entry[0] === "string" ? entry[0] : undefined;
  if (!spec) return undefined;
  const options = Array.isArray(entry) ? entry[1] : undefined;
  if (!isPathSpec(spec)) return npmName(spec) === PLUGIN_NAME ? { spec, options, source } : undefined;
  const base = source.layer === "OPENCODE_CONFIG_CONTENT" ? process.cwd() : dirname(source.path);
  const resolvedPath = spec.startsWith("file://") ? fileURLToPath(spec) : resolve(base, spec);
  const missing = !existsSync(resolvedPath);
  const named = missing ? /opencode-kimi-code/.test(resolvedPath) : packageNameAt(resolvedPath) === PLUGIN_NAME;
  return named ? { spec, options, source, resolvedPath, missing } : undefined;
}

/** Config layers merge like opencode's (remeda mergeDeep): records recursively, anything else replaced. */
function mergeLayers(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeLayers(out[key], value);
  return out;
}

/** Finds and reads every config layer opencode would read from `cwd`. Never throws. */
export function readOpencodeConfig(env: Env, cwd: string, home: string): OpencodeConfig {
  const globalDir = join(env.XDG_CONFIG_HOME || join(home, ".config"), "opencode");
  const sources: ConfigSource[] = [];
  const add = (path: string, layer: ConfigSource["layer"]) => {
    if (existsSync(path) && !sources.some((s) => s.path === path)) sources.push(readSource(path, layer, env));
  };
  for (const name of ["config.json", ...FILE_NAMES]) add(join(globalDir, name), "global");
  if (env.OPENCODE_CONFIG) add(resolve(cwd, env.OPENCODE_CONFIG), "OPENCODE_CONFIG");
  const projectDirs = env.OPENCODE_DISABLE_PROJECT_CONFIG ? [] : dirsDown(cwd);
  for (const dir of projectDirs) for (const name of FILE_NAMES) add(join(dir, name), "project");
  for (const dir of [join(home, ".opencode"), ...projectDirs.map((d) => join(d, ".opencode"))]) {
    for (const name of FILE_NAMES) add(join(dir, name), ".opencode");
  }
  if (env.OPENCODE_CONFIG_DIR) for (const name of FILE_NAMES) add(join(env.OPENCODE_CONFIG_DIR, name), "OPENCODE_CONFIG_DIR");
  if (env.OPENCODE_CONFIG_CONTENT) {
    const source: ConfigSource = { path: "OPENCODE_CONFIG_CONTENT", layer: "OPENCODE_CONFIG_CONTENT" };
    try {
      const parsed = parseJsonc(substituteEnv(env.OPENCODE_CONFIG_CONTENT, env));
      if (isRecord(parsed)) source.config = parsed;
      else source.error = "not a JSON object";
    } catch (error) {
      source.error = `not valid JSON: ${(error as Error).message}`;
    }
    sources.push(source);
  }

  const pluginLines: PluginLine[] = [];
  let providerBlock: unknown;
  for (const source of sources) {
    const plugins = source.config?.plugin;
    if (Array.isArray(plugins)) for (const entry of plugins) {
      const line = pluginLine(entry, source);
      if (line) pluginLines.push(line);
    }
    const provider = source.config?.provider;
    if (isRecord(provider) && provider[PROVIDER_ID] !== undefined) providerBlock = mergeLayers(providerBlock, provider[PROVIDER_ID]);
  }
  const plugin = pluginLines.at(-1);
  return { sources, pluginLines, globalDir, ...(plugin ? { plugin } : {}), ...(providerBlock !== undefined ? { providerBlock } : {}) };
}
