// Small statistics over latency samples. Medians and p95s rather than means: a shared machine produces
// occasional stalls that would drag a mean around but barely move a median.

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
}

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = ascending(values);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile: a value that was actually observed, never an interpolation. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = ascending(values);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[], decimals = 3): Summary {
  return {
    n: values.length,
    median: round(median(values), decimals),
    p95: round(percentile(values, 95), decimals),
  };
}

export function round(value: number, decimals = 3): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** a / b rounded, or null when either side is missing (e.g. nginx is not installed). */
export function ratio(
  a: number | null | undefined,
  b: number | null | undefined,
  decimals = 3,
): number | null {
  if (a == null || b == null || b === 0) return null;
  return round(a / b, decimals);
}
