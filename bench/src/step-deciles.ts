/**
 * The median time of a step in each tenth of a run: where a long epoch slows down, and from which step. A one-epoch
 * run of 3,907 steps (sparse-1m at 1,000,000 rows) is slower per row than a 196-step one when its steps get slower
 * part-way — e.g. Adam's first moments of dead ReLU units decaying into float32 subnormals after ~800 steps.
 */

/**
 * The median of each of `parts` consecutive, equal-as-possible slices of `times` (slice k holds the entries
 * ⌊k·n/parts⌋ … ⌊(k+1)·n/parts⌋ − 1; the median of an even count is the mean of its two middle values). Fewer
 * entries than `parts`: one median per entry.
 * @throws RangeError for a `parts` that is not a positive integer.
 */
export function sliceMedians(times: readonly number[], parts = 10): number[] {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`parts must be a positive integer, got ${parts}`);
  const n = times.length;
  const k = Math.min(parts, n);
  const out: number[] = [];
  for (let p = 0; p < k; p++) {
    const slice = times.slice(Math.floor((p * n) / k), Math.floor(((p + 1) * n) / k)).sort((a, b) => a - b);
    const mid = slice.length >> 1;
    out.push(slice.length % 2 === 1 ? slice[mid]! : (slice[mid - 1]! + slice[mid]!) / 2);
  }
  return out;
}
