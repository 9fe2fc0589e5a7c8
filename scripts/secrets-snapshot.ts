// For `npm run secrets` (bench/secrets/run.ts): with KIMI_SECRETS_SCAN_DIR set, a temporary directory is
// looked at just before it is removed (test/helpers/tmp.ts, the opencode sandbox, the soak, the bench
// homes): one JSON line per entry with its path, type, mode and size, and for files the kinds of the
// known secrets (those the emulators noted so far, emulator/secrets-log.ts) found in it. A secret is
// never written here, only its kind. Unset (always, outside that run), snapshot() does nothing.
import { appendFileSync, existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";

export interface SnapshotEntry {
  root: string;
  path: string;
  type: "file" | "dir" | "link" | "other";
  mode: number;
  size: number;
  /** Kinds of known secrets found in a file (empty: none); undefined when the file was not read. */
  hits?: string[];
  /** Why the file was not read. */
  skipped?: string;
  /** For a temp file named `.<name>.<pid>.<…>.tmp`: whether that pid was running when listed. */
  writerAlive?: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Files above this are listed but not read (none of the project's files comes near it). */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;
/** Where every secret of the emulator's issuing starts; a secret of another shape is searched for whole. */
const MARKERS = ["eyJ", "kimi-emu-rt-", "sk-"];

export interface KnownSecrets {
  /** secret → kind */
  byValue: Map<string, string>;
  /** Lengths of the marked secrets, per marker. */
  lengths: Map<string, number[]>;
  /** Secrets that start with no marker (device codes): searched for one by one. */
  unmarked: string[];
}

/** The secrets noted in `dir` (secrets-<pid>.tsv files of kind<TAB>value lines). */
export function knownSecrets(dir: string): KnownSecrets {
  const byValue = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith("secrets-") && n.endsWith(".tsv"));
  } catch {
    // no secrets noted yet
  }
  for (const name of names) {
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      const tab = line.indexOf("\t");
      if (tab > 0 && line.length > tab + 1) byValue.set(line.slice(tab + 1), line.slice(0, tab));
    }
  }
  const lengths = new Map<string, number[]>();
  const unmarked: string[] = [];
  for (const value of byValue.keys()) {
    const marker = MARKERS.find((m) => value.startsWith(m));
    if (!marker) {
      unmarked.push(value);
      continue;
    }
    const list = lengths.get(marker) ?? [];
    if (!list.includes(value.length)) list.push(value.length);
    lengths.set(marker, list);
  }
  return { byValue, lengths, unmarked };
}

/** The kinds of the known secrets that occur in `text` (each kind once). */
export function secretKindsIn(text: string, known: KnownSecrets): string[] {
  const kinds = new Set<string>();
  for (const [marker, lengths] of known.lengths) {
    for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
      for (const len of lengths) {
        const kind = known.byValue.get(text.slice(at, at + len));
        if (kind) kinds.add(kind);
      }
    }
  }
  for (const value of known.unmarked) if (text.includes(value)) kinds.add(known.byValue.get(value)!);
  return [...kinds];
}

const typeOf = (st: import("node:fs").Stats): SnapshotEntry["type"] =>
  st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";

/** Lists (and scans) `root` into KIMI_SECRETS_SCAN_DIR/listing-<pid>.jsonl; never throws. */
export function snapshot(root: string): void {
  const dir = process.env.KIMI_SECRETS_SCAN_DIR;
  if (!dir) return;
  try {
    if (!existsSync(root) || !statSync(root).isDirectory()) return; // removed already: nothing to list
    const known = knownSecrets(dir);
    const lines: string[] = [];
    const walk = (path: string) => {
      const st = lstatSync(path);
      const entry: SnapshotEntry = { root, path: relative(root, path) || ".", type: typeOf(st), mode: st.mode & 0o7777, size: st.size };
      if (entry.type === "file") {
        if (st.size > MAX_SCAN_BYTES) entry.skipped = "too large";
        else entry.hits = secretKindsIn(readFileSync(path).toString("latin1"), known);
        const writer = /^\.[^/]*\.(\d+)\.[^./]+\.tmp$/.exec(basename(path))?.[1];
        if (writer) entry.writerAlive = alive(Number(writer));
      }
      lines.push(JSON.stringify(entry));
      if (entry.type === "dir") for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(root);
    appendFileSync(join(dir, `listing-${process.pid}.jsonl`), lines.map((l) => l + "\n").join(""), { mode: 0o600 });
  } catch (error) {
    try {
      appendFileSync(join(dir, `errors-${process.pid}.txt`), `${root}: ${(error as Error).message}\n`);
    } catch {
      // the scan dir is gone: nothing to report to
    }
  }
}
