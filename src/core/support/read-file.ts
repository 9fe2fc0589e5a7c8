// Reading a local file someone else may have replaced (auth.json, the model cache, device_id, the
// refresh lock). A plain read of a FIFO waits for a writer forever, holding a thread of the runtime's
// I/O pool (a few such reads and every file operation of the process stalls), and a read of a device
// such as /dev/zero never ends. So the file is opened non-blocking, must be a regular file once
// opened (symlinks are followed, as before: a user may link their dotfiles), and is read up to a bound.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

/** The code of the error for a path that is not a regular file (a FIFO, a directory, a device). */
export const NOT_A_FILE = "ENOTREG";

function notAFile(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is not a regular file`), { code: NOT_A_FILE });
}

/**
 * The file's text, or undefined when it holds more than `maxBytes` (never reading past that) or grew
 * while being read (bounded reads only).
 * Rejects as fs does (ENOENT, EACCES, …), and with code NOT_A_FILE for a FIFO, directory or device.
 */
export async function readRegularFile(path: string, maxBytes = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer. No effect on files.
  // (Windows has no O_NONBLOCK and no FIFOs in the file system.)
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EISDIR") throw notAFile(path);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notAFile(path);
    if (maxBytes === Number.POSITIVE_INFINITY) return await handle.readFile("utf8");
    if (stat.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(Math.min(Math.max(stat.size, 4096), maxBytes) + 1); // +1: tells a file that grew since stat
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size === buffer.length) return undefined; // grew since stat: a writer is at work, or it is hostile
    }
    return buffer.subarray(0, size).toString("utf8");
  } finally {
    await handle.close();
  }
}


/**
 * readRegularFile, synchronously and always bounded: for the few small files read on the plugin's start
 * path, where the thread-pool round trips of the asynchronous read cost more than the read. O_NONBLOCK
 * keeps a FIFO from blocking the open, and a FIFO or device is refused before any read.
 */
export function readRegularFileSync(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EISDIR") throw notAFile(path);
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notAFile(path);
    if (stat.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(Math.min(Math.max(stat.size, 4096), maxBytes) + 1); // +1: tells a file that grew since stat
    let size = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, size, buffer.length - size, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size === buffer.length) return undefined; // grew since stat: a writer is at work, or it is hostile
    }
    return buffer.subarray(0, size).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
