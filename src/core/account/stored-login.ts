// This provider's entry in opencode's auth.json ($XDG_DATA_HOME/opencode/auth.json, a JSON object
// keyed by provider id, mode 0600; opencode-plugin-api.md §5). For front doors that run outside the
// server plugin's loader (the TUI), which hands the plugin no auth reader.
import { join } from "node:path";
import { PROVIDER_ID } from "../config/constants.ts";
import { writeFileAtomic } from "../support/atomic-file.ts";
import { isRecord } from "../support/http.ts";
import { NOT_A_FILE, readRegularFile } from "../support/read-file.ts";
import { credentialFromStore, credentialToStore, type Credential } from "../tokens/credential.ts";

export const authFilePath = (opencodeDataDir: string) => join(opencodeDataDir, "auth.json");
/** The refresh lock every front door shares with the server plugin (AGENTS.md contract 9). */
export const refreshLockPath = (opencodeDataDir: string) => join(opencodeDataDir, `auth.json.${PROVIDER_ID}.lock`);

export type StoredLogin =
  | { state: "none"; path: string }
  | { state: "damaged"; path: string; problem: string }
  | { state: "present"; path: string; credential: Credential };

/** Reads auth.json once. A missing file or entry is "none"; never throws. */
export async function readStoredLogin(opencodeDataDir: string, fallbackApiBase: string): Promise<StoredLogin> {
  const path = authFilePath(opencodeDataDir);
  let text: string;
  try {
    text = (await readRegularFile(path)) ?? "";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { state: "none", path };
    return { state: "damaged", path, problem: code === NOT_A_FILE ? "it is not a regular file" : `cannot read it (${code ?? "error"})` };
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return { state: "damaged", path, problem: "it is not valid JSON" };
  }
  if (!isRecord(parsed)) return { state: "damaged", path, problem: "it is not a JSON object" };
  if (!Object.hasOwn(parsed, PROVIDER_ID)) return { state: "none", path };
  const credential = credentialFromStore(parsed[PROVIDER_ID], fallbackApiBase);
  if (!credential) return { state: "damaged", path, problem: `its "${PROVIDER_ID}" entry is not a login opencode can use` };
  return { state: "present", path, credential };
}

/**
 * Replaces this provider's entry, keeping every other entry as read; atomic, 0600. Called by the
 * TokenKeeper inside the refresh lock. Refuses to overwrite a file it cannot read as a JSON object.
 */
export async function writeStoredLogin(opencodeDataDir: string, credential: Credential): Promise<void> {
  const path = authFilePath(opencodeDataDir);
  let entries: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse((await readRegularFile(path)) ?? "");
    if (!isRecord(parsed)) throw new Error(`${path} is not a JSON object; left untouched`);
    entries = parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await writeFileAtomic(path, JSON.stringify({ ...entries, [PROVIDER_ID]: credentialToStore(credential) }, null, 2), 0o600);
}
