// What `npm run secrets` counts as a violation, given the listings (scripts/secrets-snapshot.ts) and the
// captured output of each run. Pure: no file is read here.
import type { SnapshotEntry } from "../../scripts/secrets-snapshot.ts";

export interface Violation {
  what: string;
  where: string;
}

/**
 * Files allowed to hold a token, each with its reason. Nothing the plugin writes is among them except
 * auth.json, which is opencode's credential store: the plugin (keeper write-back, CLI login) writes
 * its own entry there by design, 0600.
 */
export const TOKEN_HOLDERS: ReadonlyArray<{ name: string; test: (e: SnapshotEntry) => boolean; why: string }> = [
  { name: "auth.json", test: (e) => /(^|\/)auth\.json$/.test(e.path), why: "opencode's credential store (contract 6, 23)" },
];

/** The project's own files: how to recognise each and the mode it must have. */
export const OWN_FILES: ReadonlyArray<{ name: string; test: (e: SnapshotEntry) => boolean; mode: number }> = [
  { name: "model cache file", test: (e) => e.type === "file" && /(^|\/)opencode-kimi-code\/[^/]+$/.test(e.path), mode: 0o600 },
  { name: "model cache directory", test: (e) => e.type === "dir" && /(^|\/)opencode-kimi-code$/.test(e.path), mode: 0o700 },
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
}

export function checkListing(entries: readonly SnapshotEntry[]): { figures: ListingFigures; violations: Violation[] } {
  const figures: ListingFigures = { entries: entries.length, files: 0, dirs: 0, bytesScanned: 0, filesScanned: 0, skipped: 0, ownFiles: {}, allowedTokenHolders: 0 };
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
      violations.push({ what: "a temp file left behind (write not atomic?)", where });
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
