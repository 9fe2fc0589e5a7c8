// Option values that are Object.prototype names (issue 8 F12, own-property lookups): unknown values,
// reported and replaced by the default, never a lookup on the prototype chain.
import { expect, test } from "bun:test";
import { resolveOptions } from "../../../src/core/config/options.ts";
import { setLogSink } from "../../../src/core/support/log.ts";

for (const region of ["constructor", "toString", "__proto__"]) {
  test(`region "${region}" is unknown: the cn region is used and the user is told`, () => {
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      const o = resolveOptions({ region }, { HOME: "/nonexistent-home" });
      expect(o.region).toBe("cn");
      expect(o.apiBase).toBe("https://api.kimi.com/coding/v1");
    } finally {
      restore();
    }
    expect(lines.some((l) => l.includes(`region "${region}" is unknown`))).toBe(true);
  });
}
