// When a process started, to tell a lock holder that is still running from an unrelated process that
// was given its PID later: on a busy machine PIDs wrap (Linux's default pid_max is 32768, and every
// thread takes one), and `kill(pid, 0)` alone would call a dead holder's lock alive until it is
// 120 s old, every waiter waiting the full 60 s meanwhile. Linux only (/proc); elsewhere undefined,
// and liveness rests on the PID alone.
import { readFileSync } from "node:fs";

/** Linux reports process times in USER_HZ, fixed at 100 for user space on every architecture. */
const USER_HZ = 100;

type ReadText = (path: string) => string;
const readText: ReadText = (path) => readFileSync(path, "utf8");

/** Epoch ms at which process (or thread) `pid` started, or undefined when this cannot be told. */
export function processStartMs(pid: number, read: ReadText = readText): number | undefined {
  try {
    const stat = read(`/proc/${pid}/stat`);
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]); // field 22 of the whole line: starttime, ticks since boot
    const btime = Number(/^btime (\d+)$/m.exec(read("/proc/stat"))?.[1]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(btime)) return undefined;
    return btime * 1000 + (startTicks * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}
