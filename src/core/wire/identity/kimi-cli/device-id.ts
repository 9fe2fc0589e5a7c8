// kimi-cli's device id: `<share dir>/device_id`, share dir = $KIMI_SHARE_DIR or ~/.kimi (resolved by
// options.ts and passed in). Only the "kimi-cli" identity reads it (X-Msh-Device-Id); the default
// identity never touches ~/.kimi.
//
// Same file, same format as kimi-cli 1.49.0 (kimi-cli-wire.md §3), so both tools present one device:
// - exists → its text, Python-`str.strip()`-ed, no format check (an empty file gives "", as kimi-cli);
// - missing → `uuid4().hex` (32 lowercase hex, no dashes), UTF-8, no trailing newline, mode 0600.
//
// kimi-code keeps its own id the same way (`<KIMI_CODE_HOME>/device_id`) in another format: see
// KIMI_CODE_DEVICE_ID_FORMAT.
//
// Where we differ from kimi-cli, on purpose:
// - Creation is atomic and race-free across processes: the id is written to a temp file in the same
//   directory and published with link(2), which fails with EEXIST instead of overwriting, so when two
//   processes create the file at once the loser adopts the winner's id. (If the filesystem has no hard
//   links, an exclusive `wx` create is used instead: still never overwrites, but not atomic.)
// - The id is read once per path and process and cached (kimi-cli re-reads it for every request).
// - Errors never throw: an unreadable file (a directory, a FIFO, over 4 KiB) or an uncreatable directory
//   yields a random id kept in memory for this process (cached like a real one, so headers stay
//   stable), and a logged warning.
import { randomUUID } from "node:crypto";
import { chmod, link, mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { log } from "../../../support/log.ts";
import { readRegularFile } from "../../../support/read-file.ts";

export const DEVICE_ID_FILE = "device_id";
/** Far above any id (32 or 36 characters); a longer file is unreadable as an id (a header could not carry it). */
const DEVICE_ID_MAX_BYTES = 4096;

/** Characters Python's `str.isspace()` accepts (what `str.strip()` with no argument removes). */
const PY_WS = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "gu");

/** Python's `str.strip()`: unlike JS `trim()` it removes U+001C–U+001F and U+0085 but keeps U+FEFF. */
export function pythonStrip(value: string): string {
  return value.replace(PY_STRIP, "");
}

/** `uuid.uuid4().hex`: 32 lowercase hex characters, no dashes. */
export function newDeviceId(): string {
  return randomUUID().replaceAll("-", "");
}

/** How a client reads an existing id and makes a new one. */
export interface DeviceIdFormat {
  read: (text: string) => string;
  create: () => string;
  /** An empty file counts as no id (kimi-code) rather than as the id "" (kimi-cli). */
  emptyIsMissing: boolean;
}

/** kimi-cli 1.49.0: Python `str.strip()`, `uuid4().hex` (oauth.py:228-238). */
export const KIMI_CLI_DEVICE_ID_FORMAT: DeviceIdFormat = { read: (t) => pythonStrip(t), create: newDeviceId, emptyIsMissing: false };

/**
 * kimi-code 2.1.0: JS `trim()`, `randomUUID()` with dashes; an empty file counts as missing
 * (`readKimiDeviceId` / `createKimiDeviceId`, dist/main.mjs 61135-61160).
 */
export const KIMI_CODE_DEVICE_ID_FORMAT: DeviceIdFormat = {
  read: (t) => t.trim(),
  create: () => randomUUID(),
  emptyIsMissing: true,
};

const cache = new Map<string, Promise<string>>();

/**
 * The device id kept in `<dir>/device_id`, creating the file if needed. Never rejects (see the
 * file header for the fallback). Concurrent callers for one path share one read.
 */
export function getDeviceId(shareDir: string, format: DeviceIdFormat = KIMI_CLI_DEVICE_ID_FORMAT): Promise<string> {
  const dir = resolve(shareDir);
  let pending = cache.get(dir);
  if (!pending) {
    pending = loadOrCreate(dir, format);
    cache.set(dir, pending);
  }
  return pending;
}

/** Tests only: forget cached ids so the next call reads the disk again. */
export function clearDeviceIdCache(): void {
  cache.clear();
}

function errorCode(err: unknown): string | undefined {
  return err && typeof err === "object" && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

async function readIfExists(path: string, format: DeviceIdFormat): Promise<string | undefined> {
  try {
    // Lenient UTF-8 (kimi-cli would raise on invalid bytes); replacement characters are non-ASCII and
    // are later dropped by the header sanitiser. A FIFO or device there is an error, never waited on.
    const text = await readRegularFile(path, DEVICE_ID_MAX_BYTES);
    if (text === undefined) throw new Error(`${path} is larger than ${DEVICE_ID_MAX_BYTES} bytes`);
    const id = format.read(text);
    return id === "" && format.emptyIsMissing ? undefined : id;
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

/** Errors that mean "this filesystem cannot hard-link", not "someone else was faster". */
const NO_LINK_CODES = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV", "EMLINK", "EINVAL"]);

async function loadOrCreate(dir: string, format: DeviceIdFormat): Promise<string> {
  const path = join(dir, DEVICE_ID_FILE);
  try {
    const existing = await readIfExists(path, format);
    if (existing !== undefined) return existing;

    await mkdir(dir, { recursive: true, mode: 0o700 });
    const id = format.create();
    const temp = join(dir, `.${DEVICE_ID_FILE}.${process.pid}.${newDeviceId().slice(0, 12)}.tmp`);
    try {
      await writeFile(temp, id, { encoding: "utf8", mode: 0o600, flag: "wx" });
      await chmod(temp, 0o600).catch(() => {}); // best effort, as kimi-cli
      try {
        await link(temp, path);
        return id;
      } catch (err) {
        const code = errorCode(err);
        if (code === "EEXIST") return await adoptWinner(path, format);
        if (!code || !NO_LINK_CODES.has(code)) throw err;
      }
      // No hard links here: exclusive create, which also never overwrites another process's id.
      try {
        await writeFile(path, id, { encoding: "utf8", mode: 0o600, flag: "wx" });
        await chmod(path, 0o600).catch(() => {});
        return id;
      } catch (err) {
        if (errorCode(err) === "EEXIST") return await adoptWinner(path, format);
        throw err;
      }
    } finally {
      await rm(temp, { force: true }).catch(() => {});
    }
  } catch (err) {
    const fallback = format.create();
    log("warn", `cannot read or create the device id at ${path}; using a temporary id for this process`, {
      error: err instanceof Error ? err.message : String(err),
    });
    return fallback;
  }
}

async function adoptWinner(path: string, format: DeviceIdFormat): Promise<string> {
  const winner = await readIfExists(path, format);
  if (winner === undefined) throw new Error(`${path} is missing or empty right after another process created it`);
  return winner;
}
