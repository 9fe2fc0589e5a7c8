// Kimi's "extra usage" wallet in GET /usages (`boosterWallet`), as kimi-code 2.1.0 reads it
// (dist/main.mjs 61356-61380, parseBoosterWallet): `{balance:{type:"BOOSTER", amount, amountLeft},
// monthlyChargeLimit:{priceInCents, currency}, monthlyUsed:{priceInCents, currency},
// monthlyChargeLimitEnabled}`; balance amounts are fixed-point, 1e6 per cent. At zero balance the
// production body carries only a status, e.g. `{status:"STATUS_DISABLED"}` (kimi-code-official.md).
import { isRecord } from "../support/http.ts";

export interface BoosterWallet {
  /** `status` as sent (e.g. "STATUS_DISABLED"), if any. */
  status?: string;
  /** Bought and left, in cents (fixed-point amounts divided by 1e6). */
  amountCents?: number;
  leftCents?: number;
  /** The monthly spending cap and what of it is used, in cents, and its currency. */
  monthlyLimitCents?: number;
  monthlyUsedCents?: number;
  currency?: string;
  monthlyLimitEnabled?: boolean;
  /** True when extra usage can be spent now: a positive balance and not disabled. */
  usable: boolean;
}

const FIXED_POINT_PER_CENT = 1e6;

function number(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function cents(holder: unknown): { cents?: number; currency?: string } {
  if (!isRecord(holder)) return {};
  const c = number(holder.priceInCents);
  return {
    ...(c !== undefined ? { cents: c } : {}),
    ...(typeof holder.currency === "string" && /^[A-Z]{3}$/.test(holder.currency) ? { currency: holder.currency } : {}),
  };
}

/** The wallet of a /usages body's `boosterWallet`; undefined when absent or not an object. Never throws. */
export function parseBoosterWallet(raw: unknown): BoosterWallet | undefined {
  if (!isRecord(raw)) return undefined;
  const wallet: BoosterWallet = { usable: false };
  if (typeof raw.status === "string" && raw.status.length <= 64) wallet.status = raw.status;
  if (isRecord(raw.balance)) {
    const amount = number(raw.balance.amount);
    const left = number(raw.balance.amountLeft);
    if (amount !== undefined) wallet.amountCents = Math.floor(amount / FIXED_POINT_PER_CENT);
    if (left !== undefined) wallet.leftCents = Math.floor(left / FIXED_POINT_PER_CENT);
  }
  const limit = cents(raw.monthlyChargeLimit);
  const used = cents(raw.monthlyUsed);
  if (limit.cents !== undefined) wallet.monthlyLimitCents = limit.cents;
  if (used.cents !== undefined) wallet.monthlyUsedCents = used.cents;
  const currency = limit.currency ?? used.currency;
  if (currency) wallet.currency = currency;
  if (typeof raw.monthlyChargeLimitEnabled === "boolean") wallet.monthlyLimitEnabled = raw.monthlyChargeLimitEnabled;
  wallet.usable = (wallet.leftCents ?? 0) > 0 && !/DISABLED/i.test(wallet.status ?? "");
  return wallet;
}
