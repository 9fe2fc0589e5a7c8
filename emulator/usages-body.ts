// GET /usages as live Kimi sends it today: both shapes in one body plus the booster wallet
// (kimi-code-official.md "/usages: the production body"; public captures MoonshotAI/kimi-code#3951,
// getpaseo/paseo#3024, diegosouzapw/OmniRoute PR #10712, kunchenguid/quota-axi PR #201), and the
// contradictory body of kimi-code#3951. The single-shape bodies of older captures are in quota.ts.
import { usageBody, type UsageSnapshot, type WindowUsage } from "./quota.ts";

export type BoosterWalletForm = "disabled" | "funded" | "none";

export interface ProductionUsagesOptions {
  parallelLimit: number;
  /** Add `usages.limit_month_total` / `limit_month_code` (sent on plans with a monthly pool). */
  monthly: boolean;
  boosterWallet: BoosterWalletForm;
  /** kimi-code#3951: `usage` says the week is used up while `usages.limit_7d.used_ratio` says 0. */
  contradictory: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Share used, as a JSON number (the capture has `"used_ratio": 0.27`). */
export function usedRatio(w: WindowUsage): number {
  return w.limit > 0 ? Math.min(1, w.used / w.limit) : 1;
}

const ratioEntry = (w: WindowUsage, ratio = usedRatio(w)) => ({ used_ratio: ratio, reset_time: iso(w.resetAt) });

/**
 * The funded wallet: amounts fixed-point, 1e6 per cent (kimi-code 2.1.0 dist/main.mjs 61356-61380,
 * `parseBoosterWallet`): $50.00 bought, $32.50 left, a $100.00 monthly cap of which $17.50 is used.
 */
export const FUNDED_BOOSTER_WALLET = {
  balance: { type: "BOOSTER", amount: "5000000000", amountLeft: "3250000000" },
  monthlyChargeLimit: { priceInCents: "10000", currency: "USD" },
  monthlyUsed: { priceInCents: "1750", currency: "USD" },
  monthlyChargeLimitEnabled: true,
};

/** The zero-balance wallet as captured: only a status. */
export const DISABLED_BOOSTER_WALLET = { status: "STATUS_DISABLED" };

function boosterWallet(form: BoosterWalletForm) {
  if (form === "funded") return { boosterWallet: FUNDED_BOOSTER_WALLET };
  if (form === "disabled") return { boosterWallet: DISABLED_BOOSTER_WALLET };
  return {};
}

/**
 * Counted `usage` (weekly) + `limits[]` (5-hour) + `parallel` + `totalQuota` + `subType`, the ratio map
 * `usages{limit_5h, limit_7d[, limit_month_total, limit_month_code]}` over the same counters, and
 * `boosterWallet`. Both shapes agree unless `contradictory`.
 */
export function productionUsagesBody(u: UsageSnapshot, opts: ProductionUsagesOptions) {
  const weekly: WindowUsage = opts.contradictory ? { ...u.weekly, used: u.weekly.limit, remaining: 0 } : u.weekly;
  const counted = usageBody({ ...u, weekly }, opts.parallelLimit);
  const usages: Record<string, { used_ratio: number; reset_time: string }> = {
    limit_5h: ratioEntry(u.fiveHour),
    limit_7d: ratioEntry(u.weekly, opts.contradictory ? 0 : usedRatio(u.weekly)),
  };
  if (opts.monthly) {
    usages.limit_month_total = ratioEntry(u.monthly);
    usages.limit_month_code = ratioEntry(u.monthly); // every emulated request is a coding request
  }
  return {
    ...counted,
    totalQuota: {},
    subType: "TYPE_PURCHASE",
    usages,
    ...boosterWallet(opts.boosterWallet),
  };
}
