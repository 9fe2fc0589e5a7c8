// FIFOs planted where the plugin reads a file. A read of a FIFO waits for a writer forever and holds a
// thread of the runtime's I/O pool while it waits; releaseFifo gives every such reader an end of file.
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";

export function plantFifo(path: string): void {
  execFileSync("mkfifo", ["-m", "600", path]);
}

/** Opens the FIFO for writing while a reader waits (non-blocking: fails at once when none does). */
export async function releaseFifo(path: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      return;
    }
    await Bun.sleep(5);
  }
}

/** The promise's value, or "still waiting" after ms. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | "still waiting"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"still waiting">((resolve) => (timer = setTimeout(() => resolve("still waiting"), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
