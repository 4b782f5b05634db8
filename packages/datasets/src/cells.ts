/*
 * One numeric cell of a text matrix (CSV/TSV, Matrix Market): the rules and the messages, shared by the loaders.
 * Internal: not re-exported from the index.
 */

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The largest count float32 holds exactly (every integer up to it is representable). */
export const MAX_EXACT_COUNT = 2 ** 24;

/**
 * Whether a cell that `Number` read as finite is a hexadecimal, binary or octal literal (`0x10`, ` 0b11`, `\u00a00o7`).
 * `Number` accepts those, surrounded by any white space; a decimal literal has no x, b or o anywhere, so a scan of
 * the whole cell (not its second character, which white space can shift) decides.
 */
function nonDecimal(cell: string): boolean {
  for (let k = 0; k < cell.length; k++) {
    const c = cell.charCodeAt(k) | 32;
    if (c === 120 || c === 98 || c === 111) return true;
  }
  return false;
}

/** Why `cell` is not a number at all (empty, NaN, infinite, a non-decimal literal, text). */
function notANumber(cell: string): string {
  const trimmed = cell.trim();
  const shown = JSON.stringify(cell);
  if (trimmed.length === 0) return 'empty cell, expected a number';
  if (/^[+-]?nan$/i.test(trimmed)) return `NaN is not allowed, got ${shown}`;
  if (/^[+-]?inf(inity)?$/i.test(trimmed) || Math.abs(Number(trimmed)) === Infinity)
    return `infinite values are not allowed, got ${shown}`;
  if (Number.isFinite(Number(trimmed))) return `hexadecimal, binary and octal literals are not allowed, got ${shown}`;
  return `not a number: ${shown}`;
}

/**
 * The value of one cell: a decimal number (JavaScript's `Number` syntax without hexadecimal, binary or octal
 * literals), finite and within float32 range; with `counts`, a non-negative integer ≤ 2²⁴. Otherwise calls `fail`
 * with the reason (which must throw).
 */
export function readCell(cell: string, counts: boolean, fail: (message: string) => never): number {
  const value = Number(cell);
  if (
    !Number.isFinite(value) ||
    (value === 0 && cell.trim().length === 0) ||
    (Number.isInteger(value) && nonDecimal(cell))
  ) {
    fail(notANumber(cell));
  }
  if (counts) {
    if (value < 0 || !Number.isInteger(value) || value > MAX_EXACT_COUNT) {
      fail(`dtype 'counts' needs a non-negative integer ≤ ${MAX_EXACT_COUNT}, got ${JSON.stringify(cell)}`);
    }
  } else if (Math.abs(value) > FLOAT32_MAX) {
    fail(`value ${JSON.stringify(cell)} is outside the float32 range (±${FLOAT32_MAX})`);
  }
  return value;
}
