// What `/kimi-status` (and any other front door) says about the setup, from disk only (no network,
// no refresh): the login kind, region, token expiry, identity profile, and the cached model list.
import { REGIONS } from "../config/constants.ts";
import type { ResolvedOptions } from "../config/options.ts";
import { isStale, readModelCache } from "../models/model-cache.ts";
import { tokenTiming } from "../tokens/credential.ts";
import { localTime, relativeTime } from "../usage/usage-view.ts";
import { readStoredLogin, type StoredLogin } from "./stored-login.ts";

export interface StatusFacts {
  login: StoredLogin;
  apiBase: string;
  region: string;
  /** OAuth only: when the access token stops working (epoch ms). */
  expiresAt?: number;
  identity: { name: string; description: string };
  models: { count: number; fetchedAt?: number; stale: boolean };
  warnings: readonly string[];
}

/** "cn", "global", or "custom" for a base that is no known region's. */
export function regionOf(apiBase: string): string {
  for (const [name, r] of Object.entries(REGIONS)) if (r.apiBase === apiBase) return name;
  return "custom";
}

export async function gatherStatus(
  options: ResolvedOptions,
  identity: { name: string; description: string },
  now: number,
): Promise<StatusFacts> {
  const login = await readStoredLogin(options.opencodeDataDir, options.apiBase);
  const apiBase = login.state === "present" ? login.credential.apiBase : options.apiBase;
  const cached = await readModelCache(options.cacheDir, apiBase);
  const facts: StatusFacts = {
    login,
    apiBase,
    region: regionOf(apiBase),
    identity: { name: identity.name, description: identity.description },
    models: cached ? { count: cached.models.length, fetchedAt: cached.fetchedAt, stale: isStale(cached, now) } : { count: 0, stale: true },
    warnings: options.warnings,
  };
  if (login.state === "present" && login.credential.type === "oauth") facts.expiresAt = tokenTiming(login.credential).expiresAt;
  return facts;
}

function loginText(login: StoredLogin): string {
  if (login.state === "none") return "not logged in";
  if (login.state === "damaged") return `unusable: ${login.problem}`;
  return login.credential.type === "oauth" ? "device login (OAuth)" : "API key";
}

const row = (label: string, value: string) => `${label.padEnd(9)} ${value}`;

/** Plain text lines, one fact per line, narrow enough for opencode's dialog. Never shows a token. */
export function statusLines(f: StatusFacts, now: number): string[] {
  const lines = [row("Login", loginText(f.login)), row("Auth file", f.login.path)];
  lines.push(row("Region", `${f.region} (${f.apiBase})`));
  if (f.expiresAt !== undefined) {
    const at = new Date(f.expiresAt);
    const expired = f.expiresAt <= now ? ", expired: refreshed on next use" : "";
    lines.push(row("Expires", `${localTime(at)} (${relativeTime(at, now)})${expired}`));
  }
  lines.push(row("Identity", `${f.identity.name} (${f.identity.description})`));
  const m = f.models;
  if (m.fetchedAt === undefined) lines.push(row("Models", "none cached yet (discovered on the next start with a login)"));
  else {
    lines.push(row("Models", `${m.count} cached, fetched ${relativeTime(new Date(m.fetchedAt), now)}`));
    if (m.stale) lines.push(row("", "due for refresh at the next start"));
  }
  for (const w of f.warnings) lines.push(row("Warning", w));
  return lines;
}
