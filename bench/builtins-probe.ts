// A plugin that runs inside the real opencode only to measure: how long importing each node: built-in
// takes there. A built-in opencode has already loaded imports in microseconds; one it has not costs
// milliseconds. The start-up benchmark preloads the loaded ones in its bare bun process, so the plugin
// is not charged for built-ins that cost it nothing inside opencode. Writes one JSON line to $PROBE_OUT.
import { appendFileSync } from "node:fs";

export const PROBED_BUILTINS = ["node:fs", "node:fs/promises", "node:path", "node:os", "node:crypto", "node:child_process", "node:url", "node:util"];

export default {
  id: "okc-bench-builtins-probe",
  server: async () => {
    const importMs: Record<string, number> = {};
    for (const name of PROBED_BUILTINS) {
      const t0 = performance.now();
      await import(name);
      importMs[name] = performance.now() - t0;
    }
    const out = process.env.PROBE_OUT;
    if (out) appendFileSync(out, `${JSON.stringify(importMs)}\n`);
    return {};
  },
};
