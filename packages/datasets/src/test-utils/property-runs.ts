/**
 * The number of generated inputs per fast-check property: `fallback` in CI (bounded, a few seconds), or
 * `VARIA_PROPERTY_RUNS` for a longer hunt, e.g. `VARIA_PROPERTY_RUNS=10000 pnpm --filter @varia/datasets test`.
 */
export function propertyRuns(fallback: number): number {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
}
