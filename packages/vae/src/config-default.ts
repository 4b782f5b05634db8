/**
 * The value of a config field, or `fallback` where the field is absent (`undefined`). Only `undefined` takes the
 * default: `null` is a value like any other, so the check that follows refuses it as an `ArgumentError` naming the
 * field — the convention of the trainer's options (`fit`, `fitModel`). A field whose documented values include
 * `null` (`librarySizeMedian`) says so in its type.
 */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
