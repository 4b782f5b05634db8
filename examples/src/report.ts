/**
 * Every example ends by printing one line `RESULT {json}`: the sanity values its test checks (see test/examples.test.ts).
 */
export function report(values: Record<string, number | string | boolean>): void {
  console.log(`RESULT ${JSON.stringify(values)}`);
}

/** Throws when a sanity check fails, so the example exits non-zero. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sanity check failed: ${message}`);
}
