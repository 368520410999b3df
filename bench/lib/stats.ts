// Small figures helpers, importable by a bench's client process without the server's code.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
