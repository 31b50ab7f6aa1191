/**
 * The reference distribution's CDF at `x`, from its quantiles (0 %, 5 %, … 100 %), linearly
 * interpolated between them: 0 below the minimum, 1 above the maximum.
 */
export function referenceCdf(quantiles: readonly number[], x: number): number {
  const last = quantiles.length - 1;
  if (x < (quantiles[0] as number)) return 0;
  if (x >= (quantiles[last] as number)) return 1;
  let i = 0;
  while (i < last && x >= (quantiles[i + 1] as number)) i++;
  const low = quantiles[i] as number;
  const high = quantiles[i + 1] as number;
  const within = high > low ? (x - low) / (high - low) : 0;
  return (i + within) / last;
}

/**
 * The Kolmogorov–Smirnov statistic of a live sample against the reference: the largest gap
 * between the sample's empirical CDF and the reference CDF (0 = same shape, 1 = disjoint).
 */
export function ksStatistic(sample: readonly number[], quantiles: readonly number[]): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const reference = referenceCdf(quantiles, sorted[i] as number);
    d = Math.max(d, Math.abs((i + 1) / n - reference), Math.abs(i / n - reference));
  }
  return d;
}

/**
 * The KS statistic above which two samples (n live, m reference) differ at a confidence set by
 * `c` (1.36 ≈ 5 %, 1.63 ≈ 1 %, 1.95 ≈ 0.1 %).
 */
export function ksCritical(c: number, n: number, m: number): number {
  return c * Math.sqrt((n + m) / (n * m));
}

/** The population stability index of observed shares against expected ones (same bins). */
export function psi(expected: readonly number[], observed: readonly number[]): number {
  const floor = 1e-4;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] ?? 0, floor);
    const o = Math.max(observed[i] ?? 0, floor);
    sum += (o - e) * Math.log(o / e);
  }
  return sum;
}

/** The `p`-th percentile (0–100) of values, nearest rank; undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
