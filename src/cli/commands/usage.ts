// `kimi-code usage`: the quota windows from GET /usages (core/usage/usage.ts parses every shape
// Kimi sends) as bars with used/limit, percentage, and the reset in local time and relative.
import { fetchUsage, type QuotaWindow } from "../../core/usage/usage.ts";
import { CliError } from "../cli-error.ts";
import { printJson, type Command, type RunContext } from "../command.ts";
import { tokenOf, withLogin } from "../session.ts";
import { bar, localTime, relative } from "../ui.ts";
import { HttpError } from "../../core/support/http.ts";

const BAR_WIDTH = 24;

/** 5-hour window first, then weekly, then monthly, then anything else in body order. */
function rank(label: string): number {
  if (/^\d+\s*[hm]\b|^\d+[hm] limit/i.test(label)) return 0;
  if (/week/i.test(label)) return 1;
  if (/month/i.test(label)) return 2;
  return 3;
}

export function orderWindows(windows: readonly QuotaWindow[]): QuotaWindow[] {
  return windows.map((w, i) => ({ w, i })).sort((a, b) => rank(a.w.label) - rank(b.w.label) || a.i - b.i).map((x) => x.w);
}

const share = (w: QuotaWindow) => (w.limit > 0 ? w.used / w.limit : 0);

function windowLine(w: QuotaWindow, labelWidth: number, ctx: RunContext): string {
  const s = ctx.style;
  const amount = w.unit === "percent" ? `${w.used}% used` : `${w.used}/${w.limit}`;
  const pct = `${Math.round(share(w) * 100)}%`.padStart(4);
  const reset = w.resetAt ? `resets ${localTime(w.resetAt)} (${relative(w.resetAt, ctx.setup.io.now())})` : "no reset time given";
  const full = w.remaining <= 0 || w.used >= w.limit;
  return `  ${w.label.padEnd(labelWidth)} ${bar(share(w), BAR_WIDTH, s)} ${amount.padStart(11)} ${pct}  ${full ? s.red(reset) : reset}`;
}

function explainFailure(error: unknown, apiKey: boolean): unknown {
  if (!(error instanceof HttpError)) return error;
  if (apiKey && (error.status === 401 || error.status === 403 || error.status === 404)) {
    return new CliError(`Kimi Code does not show usage for this API key (${error.message}).`, "Usage is shown for device logins; see https://www.kimi.com/code for the key's plan.");
  }
  if (error.kind === "network" || error.kind === "timeout") return new CliError(`Cannot reach Kimi Code: ${error.message}.`, "Check your network connection, then run `kimi-code doctor`.");
  return new CliError(`Kimi Code's usage lookup failed: ${error.message}.`, "Run `kimi-code doctor` to see what is wrong.");
}

export const usage: Command = {
  name: "usage",
  summary: "quota: the 5-hour window, the week and the month, with their resets",
  description: "Asks Kimi Code (GET /usages) with the stored login; refreshes a due token under opencode's lock.",
  options: {},
  async run(ctx) {
    const { setup } = ctx;
    let apiKey = false;
    let apiBase = setup.options.apiBase;
    const windows = await withLogin(setup, async (c) => {
      apiKey = c.type === "api";
      apiBase = c.apiBase;
      return fetchUsage({ apiBase: c.apiBase, token: tokenOf(c), headers: await setup.identity.headers("usage"), fetch: setup.io.fetch, now: new Date(setup.io.now()) });
    }).catch((error: unknown) => {
      throw explainFailure(error, apiKey);
    });
    const ordered = orderWindows(windows);
    const now = setup.io.now();
    if (ctx.json) {
      printJson(ctx, {
        apiBase,
        windows: ordered.map((w) => ({
          label: w.label,
          unit: w.unit,
          used: w.used,
          limit: w.limit,
          remaining: w.remaining,
          percentUsed: Math.round(share(w) * 1000) / 10,
          resetAt: w.resetAt?.toISOString() ?? null,
          resetInSeconds: w.resetAt ? Math.max(0, Math.round((w.resetAt.getTime() - now) / 1000)) : null,
        })),
      });
      return 0;
    }
    if (ordered.length === 0) {
      ctx.print("Kimi Code answered, but its usage answer lists no quota windows this version understands.");
      return 1;
    }
    const width = Math.max(...ordered.map((w) => w.label.length));
    ctx.print([ctx.style.bold(`Kimi Code usage`) + ctx.style.dim(`  (${apiBase})`), ...ordered.map((w) => windowLine(w, width, ctx))].join("\n"));
    return 0;
  },
};
