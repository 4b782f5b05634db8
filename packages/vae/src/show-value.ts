/**
 * A value for an error message: numbers as JavaScript prints them (`NaN`, `Infinity`, `-0` stay visible, where
 * `JSON.stringify` would print `null`), strings quoted, functions, arrays and objects by kind.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
