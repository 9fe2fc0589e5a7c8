// What `npm run secrets` counts as a violation, given the listings (scripts/secrets-snapshot.ts) and the
// captured output of each run. Pure: no file is read here.
import type { SnapshotEntry } from "../../scripts/secrets-snapshot.ts";

export interface Violation {
  what: string;
  where: string;
}

/**
 * Files allowed to hold a secret, each with its reason. The plugin writes only auth.json among them:
 * opencode's credential store, where the keeper's write-back and the CLI's login put its own entry by
 * design, 0600. The other is written by the test and bench harness, never by the plugin (the
 * architecture test lists every writer in src/).
 */
export const TOKEN_HOLDERS: ReadonlyArray<{ name: string; test: (e: SnapshotEntry) => boolean; why: string }> = [
  { name: "auth.json", test: (e) => /(^|\/)auth\.json$/.test(e.path), why: "opencode's credential store (contracts 6, 23)" },
  {
    name: "opencode.json with an API key",
    test: (e) => /(^|\/)opencode\/opencode\.json$/.test(e.path) && (e.hits ?? []).every((k) => k === "api_key"),
    why: "opencode's own config, written by the e2e and bench harness to give opencode's built-in Kimi provider an emulator key",
  },
];

/** The project's own files: how to recognise each and the mode it must have. */
export const OWN_FILES: ReadonlyArray<{ name: string; test: (e: SnapshotEntry) => boolean; mode: number }> = [
  // $XDG_CACHE_HOME/opencode-kimi-code; not the package of that name in a node_modules.
  { name: "model cache file", test: (e) => e.type === "file" && /(^|\/)(?<!node_modules\/)opencode-kimi-code\/[^/]+$/.test(e.path), mode: 0o600 },
  { name: "model cache directory", test: (e) => e.type === "dir" && /(^|\/)(?<!node_modules\/)opencode-kimi-code$/.test(e.path), mode: 0o700 },
  { name: "device id", test: (e) => e.type === "file" && /(^|\/)device_id$/.test(e.path), mode: 0o600 },
  { name: "refresh lock", test: (e) => e.type === "file" && /auth\.json\.kimi-for-coding-oauth\.lock$/.test(e.path), mode: 0o600 },
  { name: "auth.json", test: (e) => e.type === "file" && /(^|\/)auth\.json$/.test(e.path), mode: 0o600 },
];

/** A temp file of writeFileAtomic or the device id / lock publishers left behind: a write was not atomic. */
const LEFTOVER_TEMP = /(^|\/)\.(?:[^/]+)\.\d+\.[0-9a-f]+\.tmp$|(^|\/)\.device_id\.\d+\.[^/]+\.tmp$/;

export interface ListingFigures {
  entries: number;
  files: number;
  dirs: number;
  bytesScanned: number;
  filesScanned: number;
  skipped: number;
  ownFiles: Record<string, number>;
  allowedTokenHolders: number;
  /** Temp files of a write still in flight when listed. */
  inFlight: number;
}

export function checkListing(entries: readonly SnapshotEntry[]): { figures: ListingFigures; violations: Violation[] } {
  const figures: ListingFigures = { entries: entries.length, files: 0, dirs: 0, bytesScanned: 0, filesScanned: 0, skipped: 0, ownFiles: {}, allowedTokenHolders: 0, inFlight: 0 };
  const violations: Violation[] = [];
  for (const e of entries) {
    const where = `${e.root}/${e.path}`;
    if (e.type === "dir") figures.dirs++;
    if (e.type !== "file") {
      const own = OWN_FILES.find((o) => o.test(e));
      if (own) count(figures, own.name, e, own.mode, violations, where);
      continue;
    }
    figures.files++;
    if (e.skipped) figures.skipped++;
    if (e.hits) {
      figures.filesScanned++;
      figures.bytesScanned += e.size;
    }
    if (e.hits?.length) {
      if (TOKEN_HOLDERS.some((h) => h.test(e))) figures.allowedTokenHolders++;
      else violations.push({ what: `holds ${e.hits.join(", ")}`, where });
    }
    if (LEFTOVER_TEMP.test(e.path)) {
      // A write in flight when the directory was listed (its writer, named in the file, still runs) is no leftover.
      if (e.writerAlive) figures.inFlight++;
      else violations.push({ what: "a temp file left behind (write not atomic?)", where });
      continue;
    }
    const own = OWN_FILES.find((o) => o.test(e));
    if (own) count(figures, own.name, e, own.mode, violations, where);
  }
  return { figures, violations };
}

function count(figures: ListingFigures, name: string, e: SnapshotEntry, mode: number, violations: Violation[], where: string): void {
  figures.ownFiles[name] = (figures.ownFiles[name] ?? 0) + 1;
  if (e.mode !== mode) violations.push({ what: `${name} is ${e.mode.toString(8).padStart(4, "0")}, not ${mode.toString(8).padStart(4, "0")}`, where });
}
