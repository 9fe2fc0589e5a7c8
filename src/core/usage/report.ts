// GET /usages as a report for display: the quota windows (usage.ts parses every known shape) and the
// plan's name when the answer carries one. Kimi's production answer has no plan name (`subType` is a
// purchase type such as TYPE_PURCHASE, emulator/quota.ts; the membership level is on /me, landscape.md
// §6), so only explicit plan keys count; they are guesses that cost nothing to accept.
import { describeJson, getJson, isRecord, type JsonGetArgs } from "../support/http.ts";
import { parseUsage, UsageError } from "./usage.ts";
import type { UsageReport } from "./usage-view.ts";

const PLAN_KEYS = ["plan", "planName", "plan_name", "membership", "level"] as const;

function planOf(r: Record<string, unknown>): string | undefined {
  for (const key of PLAN_KEYS) {
    if (!Object.hasOwn(r, key)) continue;
    const v = r[key];
    if (typeof v === "string" && v.trim() !== "" && v.length <= 60) return v.trim();
    if (isRecord(v)) {
      const inner = planOf(v);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The plan's name in a /usages body (top level, or under `data`/`user`), else undefined. Never throws. */
export function parsePlanName(json: unknown): string | undefined {
  let node: unknown = json;
  for (let i = 0; i < 3 && isRecord(node); i++) {
    const found = planOf(node) ?? (isRecord(node.user) ? planOf(node.user) : undefined);
    if (found) return found;
    node = node.data;
  }
  return undefined;
}

/** GET {apiBase}/usages → windows and plan. Throws UsageError only. */
export async function fetchUsageReport(args: JsonGetArgs & { now?: Date }): Promise<UsageReport> {
  const json = await getJson("/usages", args, (m, k, s) => new UsageError(m, k, s));
  if (!isRecord(json)) throw new UsageError(`GET /usages returned ${describeJson(json)}, not an object`, "shape");
  const report: UsageReport = { windows: parseUsage(json, args.now ?? new Date()) };
  const plan = parsePlanName(json);
  if (plan) report.plan = plan;
  return report;
}
