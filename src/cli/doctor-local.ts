// Doctor checks that need no network: opencode and its version, the plugin line in the config opencode
// would load, the options, and the stored auth entry.
import { PLUGIN_NAME, PROVIDER_ID } from "../core/config/constants.ts";
import { apiKeyProblem } from "../core/login/auth-methods.ts";
import type { LoginFacts } from "./account.ts";
import { findOnPath, opencodeVersion, satisfies, supportedOpencodeRange } from "./opencode-install.ts";
import { LOGIN_ADVICE } from "./session.ts";
import type { Setup } from "./setup.ts";
import type { Level } from "./ui.ts";
import { localTime, relative } from "./ui.ts";

export interface Check {
  id: string;
  level: Level;
  /** What was found. */
  text: string;
  /** What to do about it (warn/fail). */
  fix?: string;
  /** Extra lines (e.g. the headers). */
  lines?: string[];
}

const VERSION_TIMEOUT_MS = 60_000; // a cold opencode start takes seconds on a loaded machine

export async function opencodeCheck(setup: Setup): Promise<Check> {
  const range = supportedOpencodeRange() ?? "(unknown)";
  const bin = findOnPath("opencode", setup.io.env);
  if (!bin) return { id: "opencode", level: "warn", text: "opencode is not on PATH", fix: `Install opencode ${range} (npm i -g opencode-ai), or ignore this if you run it from elsewhere.` };
  const { version, error } = await opencodeVersion(bin, setup.io.env, VERSION_TIMEOUT_MS);
  if (!version) return { id: "opencode", level: "warn", text: `${bin}: version unknown (${error})`, fix: `This plugin needs opencode ${range}.` };
  if (!satisfies(version, range)) {
    return { id: "opencode", level: "fail", text: `opencode ${version} at ${bin}; this plugin needs ${range}`, fix: "Upgrade opencode (opencode upgrade, or npm i -g opencode-ai@latest); older versions refuse to load the plugin." };
  }
  return { id: "opencode", level: "ok", text: `opencode ${version} at ${bin} (supported: ${range})` };
}

export function configChecks(setup: Setup): Check[] {
  const { config, io } = setup;
  const checks: Check[] = [];
  for (const s of config.sources.filter((x) => x.error)) {
    checks.push({ id: "config-file", level: "fail", text: `${s.path}: ${s.error}`, fix: "opencode refuses to start with a broken config file; fix it." });
  }
  const plugin = config.plugin;
  const read = config.sources.filter((s) => !s.error).map((s) => s.path);
  if (!plugin) {
    checks.push({
      id: "plugin-line",
      level: "fail",
      text: `no "${PLUGIN_NAME}" in the "plugin" list of any config opencode reads (${read.length ? read.join(", ") : "none found"})`,
      fix: `Add "plugin": ["${PLUGIN_NAME}"] to ${config.globalDir}/opencode.json (or your project's opencode.json).`,
    });
  } else if (plugin.missing) {
    checks.push({ id: "plugin-line", level: "fail", text: `"${plugin.spec}" in ${plugin.source.path} points to ${plugin.resolvedPath}, which does not exist`, fix: "Fix the path, or use the npm name instead." });
  } else {
    checks.push({ id: "plugin-line", level: "ok", text: `"${plugin.spec}" in ${plugin.source.path} (${plugin.source.layer} config)` });
  }
  if (io.env.OPENCODE_PURE) checks.push({ id: "plugin-line", level: "warn", text: "OPENCODE_PURE is set: opencode skips every external plugin", fix: "Unset OPENCODE_PURE." });
  for (const w of setup.options.warnings) checks.push({ id: "options", level: "warn", text: w, fix: "Fix the plugin option or environment variable named." });
  const id = setup.identity;
  checks.push({ id: "identity", level: "info", text: `identity "${id.name}" (${setup.identitySource.detail}): requests go out as ${id.description}` });
  if (io.env.OPENCODE_AUTH_CONTENT) {
    checks.push({ id: "auth-entry", level: "warn", text: "OPENCODE_AUTH_CONTENT is set: opencode reads logins from it, not from auth.json", fix: "Unset it, or put the Kimi Code entry into it." });
  }
  return checks;
}

export function authCheck(setup: Setup, f: LoginFacts): Check[] {
  if (!f.present) return [{ id: "auth-entry", level: "fail", text: `no "${PROVIDER_ID}" entry in ${f.authPath}`, fix: LOGIN_ADVICE }];
  if (!f.credential) {
    return [{ id: "auth-entry", level: "fail", text: `the "${PROVIDER_ID}" entry in ${f.authPath} is malformed: ${f.problems.join("; ")}`, fix: `opencode ignores it. ${LOGIN_ADVICE}` }];
  }
  const c = f.credential;
  const checks: Check[] = [];
  if (c.apiBase !== setup.options.apiBase) {
    checks.push({
      id: "auth-entry",
      level: "fail",
      text: `the login belongs to ${c.apiBase}, but the plugin is configured for ${setup.options.apiBase}`,
      fix: `Set the region (plugin option "region" or KIMI_CODE_REGION) to match the login, or log in again. ${LOGIN_ADVICE}`,
    });
  }
  if (!f.apiBaseRecorded) {
    checks.push({ id: "auth-entry", level: "warn", text: `the entry has no API base recorded; ${c.apiBase} (the configured one) is assumed`, fix: "Log in again to record it, or make sure the region matches the one you logged in with." });
  }
  if (c.type === "api") {
    const problem = apiKeyProblem(c.key);
    checks.push(problem ? { id: "auth-entry", level: "fail", text: `the stored API key is ${problem}`, fix: LOGIN_ADVICE } : { id: "auth-entry", level: "ok", text: `API key for ${c.apiBase}` });
    return checks;
  }
  const at = f.expiresAt!;
  const expiry = `${localTime(at)} (${relative(at, setup.io.now())})`;
  checks.push({ id: "auth-entry", level: "ok", text: `OAuth login for ${c.apiBase}: integer expires, refresh token present; access token expires ${expiry}` });
  return checks;
}
