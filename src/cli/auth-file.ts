// opencode's auth.json, read and written the way opencode does (opencode-plugin-api.md §5;
// 3kaiu/opencode-x packages/opencode/src/auth/index.ts): $XDG_DATA_HOME/opencode/auth.json, a JSON
// object keyed by provider id, mode 0600. Only this provider's entry is ever changed; every other
// entry is written back exactly as it was read. A file that is not a JSON object is never written.
import { join } from "node:path";
import { PROVIDER_ID } from "../core/config/constants.ts";
import { writeFileAtomic } from "../core/support/atomic-file.ts";
import { isRecord } from "../core/support/http.ts";
import { NOT_A_FILE, readRegularFile } from "../core/support/read-file.ts";
import { credentialFromStore, credentialToStore, type Credential } from "../core/tokens/credential.ts";
import { CliError } from "./cli-error.ts";

export const authPath = (dataDir: string) => join(dataDir, "auth.json");
/** The plugin's refresh lock (keeper.ts, server/runtime.ts): the same path, so both serialise. */
export const lockPath = (dataDir: string) => join(dataDir, `auth.json.${PROVIDER_ID}.lock`);

export interface AuthRead {
  path: string;
  exists: boolean;
  entries: Record<string, unknown>;
}

/** Reads auth.json; a missing file is empty. Throws CliError for a file opencode cannot read either. */
export async function readAuthFile(dataDir: string): Promise<AuthRead> {
  const path = authPath(dataDir);
  let text: string;
  try {
    text = (await readRegularFile(path)) ?? "";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { path, exists: false, entries: {} };
    if ((error as NodeJS.ErrnoException).code === NOT_A_FILE) {
      throw new CliError(`Cannot read ${path}: it is not a regular file. It was left untouched.`, "opencode keeps its logins in a regular file there (mode 0600): move this aside and log in again (`kimi-code login`).");
    }
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, "Check the file's owner and permissions (it should be yours, mode 0600).");
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw corrupt(path, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(parsed)) throw corrupt(path, "it is not a JSON object");
  return { path, exists: true, entries: parsed };
}

function corrupt(path: string, why: string): CliError {
  return new CliError(
    `opencode's credential file ${path} is damaged: ${why}. It was left untouched.`,
    "opencode cannot read it either. Fix it by hand, or move it aside and log in again (`kimi-code login`).",
  );
}

/** Why opencode would drop this entry (its decoder), or [] when it is well-formed. */
export function entryProblems(entry: unknown): string[] {
  if (!isRecord(entry)) return ["the entry is not a JSON object"];
  const problems: string[] = [];
  if (entry.type === "oauth") {
    if (typeof entry.access !== "string" || entry.access === "") problems.push("`access` (the access token) is missing");
    if (typeof entry.refresh !== "string" || entry.refresh === "") problems.push("`refresh` (the refresh token) is missing");
    const e = entry.expires;
    if (typeof e !== "number" || !Number.isInteger(e) || e < 0) problems.push("`expires` is not a non-negative integer of milliseconds (opencode ignores such an entry)");
    if (entry.enterpriseUrl !== undefined && typeof entry.enterpriseUrl !== "string") problems.push("`enterpriseUrl` (the API base) is not a string");
  } else if (entry.type === "api") {
    if (typeof entry.key !== "string" || entry.key.trim() === "") problems.push("`key` is missing");
  } else {
    problems.push(`unknown entry type ${JSON.stringify(entry.type)} (expected "oauth" or "api")`);
  }
  return problems;
}

/** This provider's credential, or undefined when there is none or opencode would ignore it. */
export function storedCredential(read: AuthRead, fallbackApiBase: string): Credential | undefined {
  const entry = read.entries[PROVIDER_ID];
  if (entry === undefined || entryProblems(entry).length > 0) return undefined;
  return credentialFromStore(entry, fallbackApiBase);
}

/**
 * Sets (or with `undefined` removes) this provider's entry, atomically and 0600. Re-reads the file
 * first so a concurrent change to another provider is kept. Callers hold the refresh lock.
 */
export async function writeOwnEntry(dataDir: string, credential: Credential | undefined): Promise<void> {
  const current = await readAuthFile(dataDir);
  const next: Record<string, unknown> = { ...current.entries };
  if (credential) next[PROVIDER_ID] = credentialToStore(credential);
  else delete next[PROVIDER_ID];
  await writeFileAtomic(current.path, JSON.stringify(next, null, 2), 0o600);
}
