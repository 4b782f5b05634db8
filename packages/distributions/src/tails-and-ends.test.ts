// icdf at and near the ends of [0, 1], and log-densities in heavy tails, against the closed forms in float64: the Cauchy quantile tan(π(q − ½)) is
// −1/tan(πq) (exact tails), HalfCauchy's tan(πq/2), HalfNormal's σ√2·erf⁻¹(q) (+∞ at q = 1). Before, float32's π/2
// made tan finite and negative at the ends: Cauchy.icdf([0, 1]) was [+2.3e7, −2.3e7] and HalfNormal.icdf(1) −∞.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Beta } from './beta.js';
import { Cauchy } from './cauchy.js';
import { Dirichlet } from './dirichlet.js';
import { FisherSnedecor } from './fisher-snedecor.js';
import { HalfCauchy, HalfNormal } from './half-normal.js';
import { Kumaraswamy } from './kumaraswamy.js';
import { StudentT } from './student-t.js';
import { erfinv } from './quantile.js';

const values = (t: tf.Tensor): number[] => {
  const v = [...t.dataSync()];
  t.dispose();
  return v;
};

/** |a − e| ≤ 2e-6·|e| (float32 rounding of a few operations), exact at ±∞ and 0. */
function expectNear(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e) || e === 0) expect(a, `at ${i}`).toBe(e);
    else expect(Math.abs(a - e), `at ${i}: ${a} against ${e}`).toBeLessThanOrEqual(2e-6 * Math.abs(e));
  });
}

describe('icdf at the ends', () => {
  it('Cauchy: −∞ and +∞ at 0 and 1, the tails to float32 precision, 0 at ½', () => {
    const q = [0, 1e-30, 1e-7, 0.01, 0.2, 0.3, 0.5, 0.7, 0.9, 1 - 1e-7, 1];
    const f32 = q.map((v) => Math.fround(v));
    const exact = f32.map((p) =>
      p === 0
        ? -Infinity
        : p === 1
          ? Infinity
          : p === 0.5
            ? 0
            : p < 0.5
              ? -1 / Math.tan(Math.PI * p)
              : 1 / Math.tan(Math.PI * (1 - p)),
    );
    const before = tf.memory().numTensors;
    const c = new Cauchy({ loc: 0, scale: 1 });
    expectNear(values(c.icdf(q)), exact);
    const shifted = new Cauchy({ loc: 2, scale: 3 });
    expectNear(values(shifted.icdf([1e-7, 0.25, 1])), [
      2 + 3 * exact[2]!,
      2 + 3 * Math.tan(Math.PI * (0.25 - 0.5)),
      Infinity,
    ]);
    c.dispose();
    shifted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Cauchy: dx/dq = π(1 + x²) through every branch', () => {
    const q = [1e-3, 0.3, 0.5, 0.8, 0.999];
    const g = tf.tidy(() => [
      ...tf
        .grad((p: tf.Tensor) => new Cauchy({ loc: 0, scale: 1 }).icdf(p))(tf.tensor1d(q))
        .dataSync(),
    ]);
    q.forEach((p, i) => {
      const x = Math.tan(Math.PI * (p - 0.5));
      expect(g[i]! / (Math.PI * (1 + x * x))).toBeCloseTo(1, 3);
    });
  });

  it('HalfCauchy: +∞ at 1, tan(πq/2) elsewhere; HalfNormal and erfinv: +∞ at 1', () => {
    const q = [0, 1e-7, 0.3, 0.5, 0.9, 1 - 1e-6, 1];
    const exact = q
      .map((v) => Math.fround(v))
      .map((p) => (p === 1 ? Infinity : p > 0.5 ? 1 / Math.tan((Math.PI / 2) * (1 - p)) : Math.tan((Math.PI / 2) * p)));
    const h = new HalfCauchy({ scale: 1 });
    expectNear(values(h.icdf(q)), exact);
    h.dispose();
    const n = new HalfNormal({ scale: 2 });
    const ends = values(n.icdf([0, 1]));
    n.dispose();
    expect(ends).toEqual([0, Infinity]);
    expect(values(tf.tidy(() => erfinv(tf.tensor1d([-1, 1, 0]))))).toEqual([-Infinity, Infinity, 0]);
  });
});

describe('heavy tails far out', () => {
  it('Cauchy, HalfCauchy and StudentT log-densities stay finite where z² overflows float32 (float64 references)', () => {
    const lp = (d: { logProb(x: number[]): tf.Tensor; dispose(): void }, x: number[]) => {
      const v = values(d.logProb(x));
      d.dispose();
      return v;
    };
    // Cauchy: −log π − log σ − log(1 + z²), z = x/σ in float64 (z² fine in float64)
    const cauchy = (x: number, s: number) => -Math.log(Math.PI) - Math.log(s) - Math.log1p((x / s) ** 2);
    expectNear(
      lp(new Cauchy({ loc: 0, scale: 1 }), [1e20, 1e30, -3e38, 2]),
      [1e20, 1e30, -3e38, 2].map((x) => cauchy(Math.fround(x), 1)),
    );
    const tiny = Math.fround(1e-30);
    expectNear(lp(new HalfCauchy({ scale: tiny }), [1]), [
      Math.log(2 / Math.PI) - Math.log(tiny) - Math.log1p((1 / tiny) ** 2),
    ]);
    // StudentT(ν = 3): log Γ(2) − log Γ(1.5) − ½ log(3π) − log σ − 2·log(1 + z²/3)
    const t3 = (x: number, s: number) =>
      -Math.log(Math.sqrt(Math.PI) / 2) - 0.5 * Math.log(3 * Math.PI) - Math.log(s) - 2 * Math.log1p((x / s) ** 2 / 3);
    expectNear(lp(new StudentT({ df: 3, loc: 0, scale: 1 }), [1e20, 5]), [t3(1e20, 1), t3(5, 1)]);
    expectNear(lp(new StudentT({ df: 3, loc: 0, scale: Math.fround(1e-30) }), [1]), [t3(1, Math.fround(1e-30))]);
  });
});

describe('huge concentrations', () => {
  it('FisherSnedecor variance at df2 = 1e30 is 2/df1 (NaN before), and at df2 = 10 the closed form', () => {
    const d = new FisherSnedecor({ df1: [1, 4, 4], df2: [1e30, 1e30, 10] });
    const v = values(d.variance());
    d.dispose();
    const closed = (d1: number, d2: number) => (2 * d2 * d2 * (d1 + d2 - 2)) / (d1 * (d2 - 2) ** 2 * (d2 - 4));
    expect(v[0]).toBeCloseTo(2, 5);
    expect(v[1]).toBeCloseTo(0.5, 5);
    expect(v[2]! / closed(4, 10)).toBeCloseTo(1, 5);
  });

  it('Beta and Dirichlet variances at concentrations of 1e20 are 1.25e-21 and 2/(9·(3e20 + 1)), not NaN', () => {
    const beta = new Beta({ concentration1: 1e20, concentration0: 1e20 });
    const dirichlet = new Dirichlet({ concentration: [1e20, 1e20, 1e20] });
    const [vb] = values(beta.variance());
    const vd = values(dirichlet.variance());
    const small = new Beta({ concentration1: 1e-30, concentration0: 1e-30 });
    const tiny = values(small.variance());
    small.dispose();
    beta.dispose();
    dirichlet.dispose();
    expect(vb! / 1.25e-21).toBeCloseTo(1, 5);
    for (const v of vd) expect(v / (2 / 9 / 3e20)).toBeCloseTo(1, 5);
    expect(tiny[0]).toBeCloseTo(0.25, 6);
  });

  it('Kumaraswamy(1e30, 1e30): entropy −67.50034 (mpmath) and logProb(0.5) ≈ −6.93e29, not −∞ and +∞ (a·b overflowed)', () => {
    const d = new Kumaraswamy({ concentration1: 1e30, concentration0: 1e30 });
    const [h] = values(d.entropy());
    const [lp] = values(d.logProb([0.5]));
    d.dispose();
    expect(h).toBeCloseTo(-67.50034, 3);
    // log a + log b + (a − 1)·log ½ + (b − 1)·log1p(−½^a), ½^a = 0
    expect(lp! / (Math.log(1e30) * 2 + (1e30 - 1) * Math.log(0.5))).toBeCloseTo(1, 5);
  });
});
