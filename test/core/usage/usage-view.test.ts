import { describe, expect, test } from "bun:test";
import type { QuotaWindow } from "../../../src/core/usage/usage.ts";
import { localTime, orderWindows, quotaBar, relativeTime, resetText, usageLines } from "../../../src/core/usage/usage-view.ts";
import { parsePlanName } from "../../../src/core/usage/report.ts";

const NOW = new Date(2026, 11, 2, 14, 31).getTime(); // local time
const w = (label: string, used: number, limit: number, resetInMin?: number, unit: QuotaWindow["unit"] = "count"): QuotaWindow => {
  const win: QuotaWindow = { label, used, limit, remaining: limit - used, unit };
  if (resetInMin !== undefined) win.resetAt = new Date(NOW + resetInMin * 60_000);
  return win;
};

describe("quotaBar", () => {
  test("fills in proportion, clamps, and treats NaN as empty", () => {
    expect(quotaBar(0.5, 10)).toBe("█████░░░░░");
    expect(quotaBar(0, 4)).toBe("░░░░");
    expect(quotaBar(1.7, 4)).toBe("████");
    expect(quotaBar(Number.NaN, 4)).toBe("░░░░");
  });
});

describe("times", () => {
  test("local time and relative time", () => {
    expect(localTime(new Date(2026, 11, 2, 16, 45))).toBe("2026-12-02 16:45");
    expect(relativeTime(new Date(NOW + 134 * 60_000), NOW)).toBe("in 2 h 14 min");
    expect(relativeTime(new Date(NOW - 3 * 60_000), NOW)).toBe("3 min ago");
  });
  test("a window without a reset says so; a past reset is 'resetting now'", () => {
    expect(resetText(w("5h limit", 1, 10), NOW)).toBe("no reset time given");
    expect(resetText(w("5h limit", 1, 10, -1), NOW)).toBe("resetting now");
  });
});

describe("usageLines", () => {
  test("5-hour window first, then weekly, then monthly, whatever the body order", () => {
    const order = orderWindows([w("Monthly limit", 1, 10), w("Weekly limit", 1, 10), w("5h limit", 1, 10), w("Other", 1, 10)]);
    expect(order.map((x) => x.label)).toEqual(["5h limit", "Weekly limit", "Monthly limit", "Other"]);
  });

  test("one block per window: label, bar with percentage and used/limit, reset local and relative", () => {
    const lines = usageLines({ windows: [w("Weekly limit", 500, 2000, 3 * 1440), w("5h limit", 90, 300, 134)] }, NOW, 10);
    expect(lines).toEqual([
      "5h limit",
      "███░░░░░░░   30%   90/300 used",
      "resets 2026-12-02 16:45 (in 2 h 14 min)",
      "",
      "Weekly limit",
      "███░░░░░░░   25%   500/2000 used",
      "resets 2026-12-05 14:31 (in 3 d)",
    ]);
  });

  test("a used-up window says so; a ratio-only window shows its percentage once; the plan comes first", () => {
    const lines = usageLines({ plan: "Allegretto", windows: [w("5h limit", 300, 300, 10), w("Monthly limit", 40, 100, 600, "percent")] }, NOW, 4);
    expect(lines[0]).toBe("Plan: Allegretto");
    expect(lines).toContain("5h limit · used up");
    expect(lines).toContain("████  100%   300/300 used");
    expect(lines).toContain("██░░   40%");
  });

  test("an answer without windows says that, not an empty dialog", () => {
    expect(usageLines({ windows: [] }, NOW).join("\n")).toContain("lists no quota windows");
  });

  test("no line is wider than opencode's dialog (about 52 columns) for the known labels", () => {
    const lines = usageLines({ windows: [w("Monthly coding limit", 12345, 60000, 20 * 1440), w("5h limit", 1, 300, 299)] }, NOW);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(52);
  });
});

describe("parsePlanName", () => {
  test("reads explicit plan names, nested too; a purchase type is not a plan", () => {
    expect(parsePlanName({ usage: {}, plan: "Allegretto" })).toBe("Allegretto");
    expect(parsePlanName({ usage: {}, subType: "TYPE_PURCHASE" })).toBeUndefined();
    expect(parsePlanName({ data: { user: { membership: { level: "Moderato" } } } })).toBe("Moderato");
    expect(parsePlanName({ usage: { limit: "10" } })).toBeUndefined();
    expect(parsePlanName("nope")).toBeUndefined();
  });
});
