// The statistics and number formats every row uses.

export const holds = (ok: boolean) => (ok ? "yes" : "no");
export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
/**
 * Pairs of turns of two contenders alone, which one goes first alternating (so neither always
 * follows the other's load): on a shared machine a slow moment then hits both turns of a pair.
 * @returns each one's figure per pair, aligned, for the median of the pairs' ratios.
 */
export async function alternatingPairs<T>(pairs: number, a: () => Promise<T>, b: () => Promise<T>) {
  const first: T[] = [];
  const second: T[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    for (const turn of pair % 2 === 0 ? [0, 1] : [1, 0])
      (turn === 0 ? first : second).push(await (turn === 0 ? a : b)());
  }
  return { a: first, b: second };
}
export const medianRatio = (over: number[], under: number[]) =>
  median(over.map((v, k) => v / (under[k] ?? NaN)));
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** A difference with its sign and unit, one decimal: `+5.0 MB`, `-2.4 ms`. */
export const signed = (n: number | undefined, unit: "MB" | "ms") =>
  `${(n ?? 0) >= 0 ? "+" : ""}${fmt(n ?? 0, 1)} ${unit}`;
export const signedMB = (mb: number | undefined) => signed(mb, "MB");
export const mb = (bytes: number) => bytes / 2 ** 20;
export const signedMs = (ms: number) => signed(ms, "ms");

/** The median and the noise (half the interquartile range) of a list. */
export function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: median(values), noise: (at(0.75) - at(0.25)) / 2 };
}
