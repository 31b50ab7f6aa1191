export interface ZTest {
  /** (p_b − p_a) / its standard error under the pooled proportion. */
  z: number;
  /** Two-sided. */
  p_value: number;
  /** p_value below alpha. */
  significant: boolean;
  alpha: number;
}

/**
 * Two-proportion z-test: do `successesA / trialsA` and `successesB / trialsB` differ more than
 * chance would explain? Undefined when either side has no trials or the pooled proportion is 0
 * or 1 (no variance: nothing to test). Needs enough trials for the normal approximation (about
 * 5 successes and 5 failures per side) to be trusted; the report shows the counts.
 */
export function twoProportionZTest(successesA: number, trialsA: number, successesB: number, trialsB: number, alpha = 0.05): ZTest | undefined {
  if (trialsA <= 0 || trialsB <= 0) return undefined;
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB));
  if (!(se > 0)) return undefined;
  const z = (successesB / trialsB - successesA / trialsA) / se;
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { z: round(z, 4), p_value: round(pValue, 6), significant: pValue < alpha, alpha };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Φ(x) via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return sign * y;
}
