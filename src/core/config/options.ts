// Plugin options (from opencode.json's ["opencode-kimi-code", {...}]) and environment variables,
// resolved once into one plain object. Environment wins over plugin options, so a user can change
// a setting for one shell. A bad value is reported and replaced by the safe default, never thrown.
import { homedir } from "node:os";
import { join } from "node:path";
import { REGIONS, type Region } from "./constants.ts";
import { log } from "../support/log.ts";

export const IDENTITY_NAMES = ["opencode", "kimi-cli", "kimi-code"] as const;
export type IdentityName = (typeof IDENTITY_NAMES)[number];

/**
 * Kimi's two chat routes on the same API base: "openai" = POST /chat/completions (default), "anthropic"
 * = POST /messages (Anthropic Messages, not gated by client identity: landscape.md §2.4).
 */
export const PROTOCOL_NAMES = ["openai", "anthropic"] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

export interface ResolvedOptions {
  identity: IdentityName;
  protocol: ProtocolName;
  region: Region;
  /** OAuth host of logins for `apiBase`, without trailing slash, e.g. https://auth.kimi.com (see oauthHostFor). */
  oauthHost: string;
  /** API base without trailing slash, e.g. https://api.kimi.com/coding/v1 */
  apiBase: string;
  /** kimi-cli's share dir (device id lives here): $KIMI_SHARE_DIR or ~/.kimi */
  kimiShareDir: string;
  /** kimi-code's home (device id lives here): $KIMI_CODE_HOME or ~/.kimi-code */
  kimiCodeHome: string;
  /** opencode's data dir, where auth.json lives: $XDG_DATA_HOME/opencode */
  opencodeDataDir: string;
  /** Our cache dir (model list): $XDG_CACHE_HOME/opencode-kimi-code */
  cacheDir: string;
  /** Offer Kimi's web search and page fetch as tools (option `webTools`, env KIMI_CODE_WEB_TOOLS). */
  webTools: boolean;
  /** Problems found while resolving, already logged; shown by diagnostics. */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

function pick(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = env[name]?.trim();
    if (v) return v;
  }
  return undefined;
}

function optionString(options: Record<string, unknown>, key: string, warnings: string[]): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  warnings.push(`plugin option "${key}" must be a non-empty string; ignored`);
  return undefined;
}

/** Parses an http(s) URL and drops trailing slashes; undefined (with a warning) when invalid. */
export function normalizeBaseUrl(value: string, what: string, warnings: string[]): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
    url.search = "";
    url.hash = "";
    return url.toString().replace(/\/+$/, "");
  } catch {
    warnings.push(`${what} "${value}" is not an http(s) URL; ignored`);
    return undefined;
  }
}

export function resolveOptions(pluginOptions: unknown, env: Env = process.env): ResolvedOptions {
  const warnings: string[] = [];
  const options: Record<string, unknown> =
    pluginOptions && typeof pluginOptions === "object" && !Array.isArray(pluginOptions)
      ? (pluginOptions as Record<string, unknown>)
      : {};
  if (pluginOptions !== undefined && options !== pluginOptions) {
    warnings.push("plugin options must be an object; ignored");
  }

  const identityRaw = pick(env, "KIMI_CODE_IDENTITY") ?? optionString(options, "identity", warnings);
  let identity: IdentityName = "opencode";
  if (identityRaw !== undefined) {
    if ((IDENTITY_NAMES as readonly string[]).includes(identityRaw)) identity = identityRaw as IdentityName;
    else warnings.push(`identity "${identityRaw}" is unknown (use ${IDENTITY_NAMES.join(", ")}); using "opencode"`);
  }

  const protocolRaw = pick(env, "KIMI_CODE_PROTOCOL") ?? optionString(options, "protocol", warnings);
  let protocol: ProtocolName = "openai";
  if (protocolRaw !== undefined) {
    if ((PROTOCOL_NAMES as readonly string[]).includes(protocolRaw)) protocol = protocolRaw as ProtocolName;
    else warnings.push(`protocol "${protocolRaw}" is unknown (use ${PROTOCOL_NAMES.join(" or ")}); using "openai"`);
  }

  const regionRaw = pick(env, "KIMI_CODE_REGION") ?? optionString(options, "region", warnings);
  let region: Region = "cn";
  if (regionRaw !== undefined) {
    if (Object.hasOwn(REGIONS, regionRaw)) region = regionRaw as Region;
    else warnings.push(`region "${regionRaw}" is unknown (use cn or global); using "cn"`);
  }

  const oauthRaw = pick(env, "KIMI_CODE_OAUTH_HOST", "KIMI_OAUTH_HOST") ?? optionString(options, "oauthHost", warnings);
  const baseRaw = pick(env, "KIMI_CODE_BASE_URL") ?? optionString(options, "baseURL", warnings);
  const apiBase = (baseRaw && normalizeBaseUrl(baseRaw, "API base URL", warnings)) || REGIONS[region].apiBase;
  const overrideHost = oauthRaw ? normalizeBaseUrl(oauthRaw, "OAuth host", warnings) : undefined;
  const kimiHost = kimiOAuthHost(apiBase);
  if (kimiHost && overrideHost && overrideHost !== kimiHost) {
    warnings.push(
      `OAuth host "${overrideHost}" ignored: logins for Kimi's API ${apiBase} are refreshed only at ${kimiHost}. ` +
        `An OAuth host applies together with a non-Kimi API base (KIMI_CODE_BASE_URL or "baseURL").`,
    );
  }
  const oauthHost = kimiHost ?? overrideHost ?? REGIONS[region].oauthHost;

  const webTools = resolveSwitch(pick(env, "KIMI_CODE_WEB_TOOLS"), options.webTools, "webTools", warnings);

  const home = env.HOME || homedir();
  const kimiShareDir = pick(env, "KIMI_SHARE_DIR") ?? join(home, ".kimi");
  const kimiCodeHome = pick(env, "KIMI_CODE_HOME") ?? join(home, ".kimi-code");
  const dataHome = pick(env, "XDG_DATA_HOME") ?? join(home, ".local", "share");
  const cacheHome = pick(env, "XDG_CACHE_HOME") ?? join(home, ".cache");

  for (const w of warnings) log("error", `configuration: ${w}`);
  return {
    identity,
    protocol,
    region,
    oauthHost,
    apiBase,
    kimiShareDir,
    kimiCodeHome,
    opencodeDataDir: join(dataHome, "opencode"),
    cacheDir: join(cacheHome, "opencode-kimi-code"),
    webTools,
    warnings,
  };
}

const ON = ["1", "true", "on", "yes"];
const OFF = ["0", "false", "off", "no"];

function switchWord(raw: string): boolean | undefined {
  const word = raw.trim().toLowerCase();
  return ON.includes(word) ? true : OFF.includes(word) ? false : undefined;
}

/** An on/off setting, default on: the env word wins over the option (a boolean or the same words). */
function resolveSwitch(envRaw: string | undefined, option: unknown, key: string, warnings: string[]): boolean {
  if (envRaw !== undefined) {
    const v = switchWord(envRaw);
    if (v !== undefined) return v;
    warnings.push(`${key} "${envRaw}" is not one of ${[...ON, ...OFF].join(", ")}; keeping it on`);
  }
  if (option === undefined || option === null) return true;
  if (typeof option === "boolean") return option;
  const v = typeof option === "string" ? switchWord(option) : undefined;
  if (v !== undefined) return v;
  warnings.push(`plugin option "${key}" must be true or false; keeping it on`);
  return true;
}

/** Kimi's own login server for one of Kimi's own API bases, else undefined. */
function kimiOAuthHost(apiBase: string): string | undefined {
  for (const r of Object.values(REGIONS)) if (r.apiBase === apiBase) return r.oauthHost;
  return undefined;
}

/**
 * The OAuth host that may receive the refresh token of a login made for `apiBase`: bound to the
 * login the way its API base is. Kimi's own bases pair with Kimi's own login servers whatever is
 * configured (so kimi-cli's KIMI_OAUTH_HOST, often exported by kimi-cli developers, never receives a
 * real Kimi refresh token); a configured OAuth host serves only logins for the configured non-Kimi
 * base (a staging server, the emulator). Undefined: no login server is known for that base.
 */
export function oauthHostFor(apiBase: string, configured: ResolvedOptions): string | undefined {
  return kimiOAuthHost(apiBase) ?? (apiBase === configured.apiBase ? configured.oauthHost : undefined);
}
