// Property-based tests of the host-evaluated special functions (fast-check): over shapes from 1e-6 to 1e6 they return
// probabilities in [0, 1] whose tails sum to 1, and the inverses invert.
// VARIA_PROPERTY_RUNS sets the number of runs (e.g. 5000 for a long run).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logIncompleteBeta, betaIncInv } from './incomplete-beta-float64.js';
import { gammaPInv, logGammaSampleGradA, logIncompleteGamma } from './incomplete-gamma-float64.js';

/** Fixed seed (reproducible CI); VARIA_PROPERTY_SEED overrides it for exploration. */
const SEED = Number(process.env.VARIA_PROPERTY_SEED ?? 20261201);
const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};
/** Positive shapes over 12 orders of magnitude. */
const shape = fc.double({ min: -6, max: 6, noNaN: true }).map((e) => 10 ** e);

describe('special functions: properties', () => {
  it('P(a, x) + Q(a, x) = 1 with both in [0, 1], for a in [1e-6, 1e6] and x over 24 orders of magnitude', () => {
    fc.assert(
      fc.property(shape, fc.double({ min: -12, max: 12, noNaN: true }), (a, e) => {
        const { logP, logQ } = logIncompleteGamma(a, e * Math.LN10 + Math.log(Math.max(a, 1)));
        expect(logP).toBeLessThanOrEqual(0);
        expect(logQ).toBeLessThanOrEqual(0);
        expect(Math.abs(Math.exp(logP) + Math.exp(logQ) - 1)).toBeLessThan(1e-12);
      }),
      { numRuns: runs(200), seed: SEED },
    );
  });
  it('the inverse of P(a, ·) inverts it (1e-9 relative in the smaller tail), and implicit gradients are finite', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 5, noNaN: true }),
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        (e, p) => {
          const a = 10 ** e;
          const x = gammaPInv(a, p);
          if (x === 0) return; // below the double range (tiny a and p)
          const { logP, logQ } = logIncompleteGamma(a, Math.log(x));
          const got = p <= 0.5 ? Math.exp(logP) : Math.exp(logQ);
          const want = p <= 0.5 ? p : 1 - p;
          expect(Math.abs(got - want) / want).toBeLessThan(1e-9);
          expect(Number.isFinite(logGammaSampleGradA(a, Math.log(x)))).toBe(true);
        },
      ),
      { numRuns: runs(200), seed: SEED },
    );
  });
  it('I_x(a, b) and its inverse: complementary tails sum to 1, the inverse inverts', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 4, noNaN: true }),
        fc.double({ min: -3, max: 4, noNaN: true }),
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        (ea, eb, p) => {
          const a = 10 ** ea;
          const b = 10 ** eb;
          const x = betaIncInv(a, b, p);
          // p within rounding of an end, or x so close to 1 that 1 − x keeps few digits (double's absolute grid)
          if (x <= 0 || x >= 1 - 1e-6) return;
          const { logI, logIc } = logIncompleteBeta(a, b, x);
          expect(Math.abs(Math.exp(logI) + Math.exp(logIc) - 1)).toBeLessThan(1e-12);
          const got = p <= 0.5 ? Math.exp(logI) : Math.exp(logIc);
          const want = p <= 0.5 ? p : 1 - p;
          expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
        },
      ),
      { numRuns: runs(200), seed: SEED },
    );
  });
});
