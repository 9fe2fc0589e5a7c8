// Facts about the stored login shared by status and doctor: what kind, which region, when it expires.
import { PROVIDER_ID, REGIONS } from "../core/config/constants.ts";
import { readModelCache, isStale } from "../core/models/model-cache.ts";
import { isRecord } from "../core/support/http.ts";
import { tokenTiming, type Credential } from "../core/tokens/credential.ts";
import { entryProblems, readAuthFile, storedCredential } from "./auth-file.ts";
import type { Setup } from "./setup.ts";

export interface LoginFacts {
  authPath: string;
  /** The raw entry is there (even if malformed). */
  present: boolean;
  problems: string[];
  credential?: Credential;
  region: string;
  apiBase: string;
  /** OAuth only. */
  expiresAt?: Date;
  refreshTokenPresent?: boolean;
  /** The entry names its API base (`enterpriseUrl` / `metadata.baseURL`); else the configured one is assumed. */
  apiBaseRecorded: boolean;
}

export function regionOf(apiBase: string): string {
  for (const [name, r] of Object.entries(REGIONS)) if (r.apiBase === apiBase) return name;
  return "custom";
}

/** Reads auth.json (throws CliError when it is damaged) and describes this provider's entry. */
export async function loginFacts(setup: Setup): Promise<LoginFacts> {
  const read = await readAuthFile(setup.options.opencodeDataDir);
  const entry = read.entries[PROVIDER_ID];
  const problems = entry === undefined ? [] : entryProblems(entry);
  const credential = storedCredential(read, setup.options.apiBase);
  const apiBase = credential?.apiBase ?? setup.options.apiBase;
  const recorded = isRecord(entry) && (typeof entry.enterpriseUrl === "string" || (isRecord(entry.metadata) && typeof entry.metadata.baseURL === "string"));
  const facts: LoginFacts = { authPath: read.path, present: entry !== undefined, problems, region: regionOf(apiBase), apiBase, apiBaseRecorded: recorded };
  if (credential) facts.credential = credential;
  if (credential?.type === "oauth") {
    facts.expiresAt = new Date(tokenTiming(credential).expiresAt);
    facts.refreshTokenPresent = credential.refresh !== "";
  }
  return facts;
}

export interface CacheFacts {
  count: number;
  ids: string[];
  fetchedAt?: Date;
  stale: boolean;
}

export async function cacheFacts(setup: Setup, apiBase: string): Promise<CacheFacts> {
  const cached = await readModelCache(setup.options.cacheDir, apiBase);
  if (!cached) return { count: 0, ids: [], stale: true };
  return {
    count: cached.models.length,
    ids: cached.models.map((m) => m.id),
    fetchedAt: new Date(cached.fetchedAt),
    stale: isStale(cached, setup.io.now()),
  };
}
