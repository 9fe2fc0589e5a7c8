// The local-state fault matrix (bench/faults/local-state.ts, issue 14 §3) run as a test: every cell but
// the minute-long one, each against its invariants: opencode keeps working (no hook throws or hangs),
// the stored login survives, nothing is written through a planted symlink or left with a mode other
// than 0600, and what the user is told is a sentence, never empty, never a stack trace. No timings.
// The cells that need a mount (a read-only bind, a full tmpfs) run only where mount is allowed (root).
import { afterAll, describe, expect, test } from "bun:test";
import { runLocalCells } from "../bench/faults/local-run.ts";
import { forwardLogsTo } from "../src/core/support/log.ts";
import { LOCAL_CELLS } from "../bench/faults/local-state.ts";

// The cells start the plugin as opencode does, which points its log at their fake opencode; later test files log to the sink again.
afterAll(() => forwardLogsTo(undefined));

const STACK = /\n\s+at \S|\.ts:\d+:\d+/;

describe("local-state fault matrix", () => {
  for (const cell of LOCAL_CELLS.filter((c) => !c.slow)) {
    test(`${cell.group}: ${cell.name}`, async () => {
      const [result] = await runLocalCells([cell]);
      const o = result!.outcome;
      if ("error" in o) throw new Error(`harness error: ${o.error}`);
      if ("skipped" in o) {
        expect(o.skipped).toContain("mount");
        return;
      }
      expect(o.broken).toEqual([]);
      if (!cell.knownLimit) expect(o.login).toMatch(/^unchanged byte-for-byte$|^rotated and saved/);
      expect(o.loginKept || cell.knownLimit !== undefined).toBe(true);
      expect(o.violations).toEqual([]);
      expect(o.chat.trim()).not.toBe("");
      expect(o.chat).not.toMatch(STACK);
      expect(o.log).not.toMatch(STACK);
      expect(o.cli).toMatch(/^status \(exit [01]\): \S.* — doctor \(exit [01]\): \S/);
      expect(o.cli).not.toContain("unexpected error");
      if (o.chat !== "ok") expect(o.chat.length).toBeGreaterThan(20);
    }, 60_000);
  }
});
