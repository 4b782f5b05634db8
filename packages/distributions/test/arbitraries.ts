// fast-check arbitraries shared by the property tests.
import fc from 'fast-check';

/** Rectangular nested arrays of rank 0–3 (each dim 1–3) whose entries are drawn from `entry`. */
export function rectangularArrays(entry: fc.Arbitrary<number>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
    )
    .chain(([rank, a, b, c]) => {
      const dims = [a, b, c].slice(0, rank);
      const build = (level: number): fc.Arbitrary<unknown> =>
        level === dims.length
          ? entry
          : fc.array(build(level + 1), { minLength: dims[level]!, maxLength: dims[level]! });
      return build(0);
    });
}
