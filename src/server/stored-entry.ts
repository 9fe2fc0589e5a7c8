// This provider's entry of opencode's auth.json ($XDG_DATA_HOME/opencode/auth.json), read the way
// opencode stores it, for the server plugin before opencode hands over its own reader (the loader).
// Synchronous (a small file read at start, where a thread-pool round trip costs more than the read),
// never a FIFO's endless wait nor a device's endless read (read-file.ts).
import { join } from "node:path";
import { MAX_AUTH_FILE_BYTES, PROVIDER_ID } from "../core/config/constants.ts";
import { readRegularFileSync } from "../core/support/read-file.ts";

/** The raw entry, or undefined when there is none or the file cannot be read as JSON; never throws. */
export async function storedEntry(opencodeDataDir: string): Promise<unknown> {
  try {
    const all = JSON.parse(readRegularFileSync(join(opencodeDataDir, "auth.json"), MAX_AUTH_FILE_BYTES) ?? "") as Record<string, unknown> | null;
    return all !== null && typeof all === "object" && Object.hasOwn(all, PROVIDER_ID) ? all[PROVIDER_ID] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an entry has the shape of a login credentialFromStore accepts (core/tokens/credential.ts):
 * decided here without loading the token code, which the start path does not need otherwise.
 * test/server/stored-entry.test.ts checks that the two agree.
 */
export function isStoredLogin(entry: unknown): boolean {
  if (!entry || typeof entry !== "object") return false;
  const e = entry as Record<string, unknown>;
  return (e.type === "oauth" && typeof e.access === "string" && typeof e.refresh === "string") || (e.type === "api" && typeof e.key === "string");
}
