/**
 * The page URL's `?threads=` (web/protocol.ts `parseWasmThreads`): `auto` or an integer 1…8 (tfjs-wasm's 8 pthread
 * workers); anything else is refused with a message that names the parameter and quotes the value. The page showing
 * the count it got is checked in headless Chromium (test/e2e.test.ts).
 */
import { ArgumentError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultWasmThreads, MAX_WASM_THREADS, parseWasmThreads } from '../web/protocol.js';

const RUNS = Number(process.env.VARIA_PROPERTY_RUNS ?? 200);

describe('defaultWasmThreads', () => {
  it('is half the logical cores (as tfjs-wasm chooses), at least 1, at most 8', () => {
    const expected: [number, number][] = [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [6, 3],
      [8, 4],
      [12, 6],
      [16, 8],
      [64, 8],
      [0, 1],
      [Number.NaN, 1],
    ];
    for (const [cores, threads] of expected) expect(defaultWasmThreads(cores)).toBe(threads);
  });
});

describe('parseWasmThreads', () => {
  it('reads an absent, empty or "auto" value as auto, and 1…8 as that count', () => {
    expect(parseWasmThreads(null)).toBe('auto');
    expect(parseWasmThreads('')).toBe('auto');
    expect(parseWasmThreads('auto')).toBe('auto');
    for (let n = 1; n <= 8; n++) expect(parseWasmThreads(String(n))).toBe(n);
    expect(MAX_WASM_THREADS).toBe(8);
  });

  it.each(['0', '9', '16', '-1', '1.5', '2e0', '0x2', ' 2', 'two', 'Auto', '1000000'])('refuses %j', (value) => {
    expect(() => parseWasmThreads(value)).toThrow(ArgumentError);
    expect(() => parseWasmThreads(value)).toThrow(`?threads= must be "auto" or an integer from 1 to 8, got "${value}"`);
  });

  it('any string gives auto, a count in 1…8 equal to its digits, or an ArgumentError naming threads (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -20, max: 20 }).map(String)), (value) => {
        let out: ReturnType<typeof parseWasmThreads>;
        try {
          out = parseWasmThreads(value);
        } catch (e) {
          expect(e).toBeInstanceOf(ArgumentError);
          expect((e as ArgumentError).argument).toBe('threads');
          expect((e as Error).message).toContain(`got "${value}"`);
          return;
        }
        if (out === 'auto') expect(['', 'auto']).toContain(value);
        else {
          expect(Number.isInteger(out) && out >= 1 && out <= 8).toBe(true);
          expect(String(out)).toBe(value);
        }
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });
});
