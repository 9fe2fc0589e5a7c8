// Atomic file writes: a reader sees either the old file or the complete new one, never a torn write.
// Used for the model cache; the lead reuses it for other private files. node: built-ins only.
import { chmod, mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomHex } from "./unique.ts";

/** Suffix of in-flight temp files, so a cleanup or a test can recognise leftovers. */
export const TEMP_SUFFIX = ".tmp";

/**
 * Writes `data` to `path` atomically with permissions `mode` (default 0600):
 * creates the parent directory (0700) if needed, writes a temp file in the same directory,
 * fsyncs it, renames it over `path`, then fsyncs the directory (best effort).
 * On any failure the temp file is removed and the error is rethrown; `path` is untouched.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomHex(6)}${TEMP_SUFFIX}`);
  let renamed = false;
  try {
    // "wx": fail rather than follow a planted file or symlink at the temp name.
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have narrowed (or an odd umask widened) the creation mode; set it exactly.
    await chmod(temp, mode);
    await rename(temp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself is still atomic.
  }
}
