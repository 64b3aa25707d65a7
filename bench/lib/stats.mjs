/**
 * Statistics and number formats for the benchmark: medians and spreads over
 * rounds, nearest-rank percentiles over samples.
 */

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile: the smallest sample with at least p % of the samples at or below it. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

/** Median, min and max of one figure over the measured rounds. */
export function spread(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: xs.map((x) => round(x, 2)) };
}

/** Per-round percentiles of samples, then their median and spread over rounds, plus the pooled figures. */
export function distribution(roundsOfSamples) {
  const per = (fn) => spread(roundsOfSamples.map(fn));
  const pooled = roundsOfSamples.flat();
  return {
    p50: per((s) => percentile(s, 50)),
    p99: per((s) => percentile(s, 99)),
    max: per((s) => Math.max(...s)),
    pooled: { samples: pooled.length, p50: percentile(pooled, 50), p99: percentile(pooled, 99), max: Math.max(...pooled) },
  };
}

export const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
export const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (x) => (x >= 100 ? fmtInt(x) : String(round(x, 1)));
export const fmtUs = (x) => (Math.abs(x) >= 100 ? fmtInt(x) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
/** A ratio: "0.012" style below 1, "3.4" style above. */
export const fmtRatio = (x) => (x === null || !Number.isFinite(x) ? "n/a" : x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2));
/** `median [min–max]` of a spread, with `fmt`. */
export const fmtSpread = (s, fmt = fmtMs) => `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
