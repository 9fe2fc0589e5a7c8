// Summaries for paired measurements: medians, spreads and per-pair ratios. Pure.

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
}

export function summarise(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9) };
}

export interface PairedSummary {
  pairs: number;
  base: Summary;
  subject: Summary;
  /** subject − base, per pair. */
  added: Summary;
  /** subject / base, per pair. */
  ratio: Summary;
}

/** Pairs measured side by side (same index = same pair). */
export function summarisePairs(base: readonly number[], subject: readonly number[]): PairedSummary {
  const n = Math.min(base.length, subject.length);
  const added: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < n; i++) {
    added.push(subject[i]! - base[i]!);
    ratio.push(subject[i]! / base[i]!);
  }
  return { pairs: n, base: summarise(base), subject: summarise(subject), added: summarise(added), ratio: summarise(ratio) };
}

/** Runs `a` and `b` alternately, `pairs` times, switching which goes first every pair. */
export async function alternate(
  pairs: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

export const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
export const ms = (v: number) => `${v.toFixed(2)} ms`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * A 95 % interval for the median of `values` (percentile bootstrap, 2,000 resamples, fixed seed so a
 * report can be re-derived from its figures).
 */
export function medianInterval(values: readonly number[], seed = 1): { low: number; high: number } {
  if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const medians: number[] = [];
  const sample = new Array<number>(values.length);
  for (let r = 0; r < 2_000; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    medians.push(quantile([...sample].sort((a, b) => a - b), 0.5));
  }
  medians.sort((a, b) => a - b);
  return { low: quantile(medians, 0.025), high: quantile(medians, 0.975) };
}
