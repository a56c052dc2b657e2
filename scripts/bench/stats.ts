// Figures the bench sections share: medians, timing, and how numbers print.

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs `fn`, returning its value and the milliseconds it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/** 1.23 M, 45.6 k, 7.8 */
export const si = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

/** Milliseconds, as precise as their size needs. */
export const ms = (x: number): string => (Number.isNaN(x) ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`);

/** A count with thousands separators. */
export const count = (n: number): string => (Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** Schedules a baseline needed over the best strategy's; a lower bound when the
 * baseline found nothing within `budget`. */
export function ratio(best: number, baseline: number, budget: number): { value: number; lowerBound: boolean } {
  return Number.isNaN(baseline) ? { value: budget / best, lowerBound: true } : { value: baseline / best, lowerBound: false };
}
