// ContinuousBernoulli at the edges (issue 14, item 1): gradients at logits ±100 (where e^{|ℓ|} overflows and a
// tf.where's unused branch used to give NaN), the cdf and rsample gradients near ℓ = 0 (0/0 closed forms), all
// against mpmath at 50 digits (mpmath, not torch: torch's closed forms are wrong for |ℓ| ≳ 36). Reference values:
// mean(ℓ) = 1/(1 − e^{−ℓ}) − 1/ℓ, F(x) = expm1(ℓx)/expm1(ℓ), F⁻¹(u) = log1p(u·expm1(ℓ))/ℓ, differentiated by mp.diff.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../test/helpers.js';

/** |a − e| ≤ atol + rtol·|e| element-wise. */
function expectNear(actual: number[], expected: readonly number[], rtol: number, atol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i]!;
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) throw new Error(`element ${i}: got ${v}, expected ${e}`);
  });
}
import { ContinuousBernoulli } from './continuous-bernoulli.js';

const ref = {
  meanGrad: [
    [-100, 0.0001],
    [100, 0.0001],
    [-20, 0.002499997938846369],
  ],
  entropyGrad: [
    [-100, 0.01],
    [100, -0.01],
    [-20, 0.04999995877692738],
  ],
  entropy: [
    [-100, -3.6051701859880914],
    [100, -3.6051701859880914],
  ],
  cdfGrad: [
    [100, 0.3, -2.7828148151356776e-31],
    [100, 0.99, -0.0036787944117144234],
    [-100, 0.3, -2.8072868906520555e-14],
    [-100, 0.01, -0.0036787944117144234],
    [1e-7, 0.3, -0.10499999859999994],
    [-1e-7, 0.3, -0.10500000139999995],
    [-1e-5, 0.9, -0.04499987999989874],
    [0.001, 0.5, -0.12499999218750033],
    [0.03, 0.2, -0.07951714140631652],
    [0.2, 0.7, -0.10757377146802335],
  ],
  icdfGrad: [
    [1e-4, 0.2, 0.08000320000799706],
    [-0.001, 0.7, 0.105027993170744],
    [0.01, 0.5, 0.12499843751736092],
    [0.03, 0.9, 0.04428466231853617],
    [0.3, 0.2, 0.0895861989359813],
    [-5, 0.6, 0.03424822324040313],
    [50, 0.3, 0.0004815891217303744],
    [-50, 0.3, 0.00014266997757549294],
  ],
  logProbGrad: [
    [0.01, 0.3, -0.20083333194444777],
    [0.2, 0.3, -0.21665556612699483],
    [-0.4, 0.9, 0.4332447817197364],
    [3, 0.5, -0.21906236315792263],
  ],
} as const;

/** d f(ContinuousBernoulli(ℓ)) / dℓ at each ℓ, summed over a batch (each element depends on its own ℓ only). */
function gradAt(logits: readonly number[], f: (d: ContinuousBernoulli) => tf.Tensor): number[] {
  const g = tf.tidy(() =>
    tf.grad((l: tf.Tensor) => tf.sum(f(new ContinuousBernoulli({ logits: l }))))(tf.tensor([...logits])),
  );
  const out = Array.from(g.dataSync());
  g.dispose();
  return out;
}

describe('ContinuousBernoulli edges (vs mpmath)', () => {
  it('∂mean and ∂entropy at logits ±100 are finite and exact; entropy at ±100', () => {
    expectNear(
      gradAt(
        ref.meanGrad.map((r) => r[0]),
        (d) => d.mean(),
      ),
      ref.meanGrad.map((r) => r[1]),
      1e-4,
      1e-9,
    );
    expectNear(
      gradAt(
        ref.entropyGrad.map((r) => r[0]),
        (d) => d.entropy(),
      ),
      ref.entropyGrad.map((r) => r[1]),
      1e-4,
      1e-8,
    );
    tf.tidy(() =>
      expectClose(
        new ContinuousBernoulli({ logits: ref.entropy.map((r) => r[0]) }).entropy(),
        ref.entropy.map((r) => r[1]),
        1e-6,
        0,
      ),
    );
  });
  it('∂cdf/∂ℓ at ±100, below |ℓ| = 1e-6 (x(x − 1)/2, was 0) and at −1e-5 (was 21% off)', () => {
    const g = gradAt(
      ref.cdfGrad.map((r) => r[0]),
      (d) => d.cdf(ref.cdfGrad.map((r) => r[1])),
    );
    expectNear(
      g,
      ref.cdfGrad.map((r) => r[2]),
      2e-4,
      1e-9,
    );
  });
  it('rsample (inverse cdf) gradient for 1e-4 ≤ |ℓ| ≤ 1e-2 (was ~1.3% off) and at large |ℓ|', () => {
    const l = ref.icdfGrad.map((r) => r[0]);
    const g = gradAt(l, (d) => d.icdf(ref.icdfGrad.map((r) => r[1])));
    expectNear(
      g,
      ref.icdfGrad.map((r) => r[2]),
      2e-4,
      1e-9,
    );
    // rsample draws u and applies the same inverse cdf: its gradient is the icdf gradient at the drawn u
    expectNoLeak(() => {
      const lt = tf.tensor([1e-3, -1e-2]);
      const x = tf.tidy(() => new ContinuousBernoulli({ logits: lt }).rsample([4], { seed: 7 }));
      const gr = tf.grad((t: tf.Tensor) => tf.sum(new ContinuousBernoulli({ logits: t }).rsample([4], { seed: 7 })))(
        lt,
      );
      const u = tf.tidy(() => new ContinuousBernoulli({ logits: lt }).cdf(x));
      const gi = tf.grad((t: tf.Tensor) => tf.sum(new ContinuousBernoulli({ logits: t }).icdf(u)))(lt);
      expectClose(gr, Array.from(gi.dataSync()), 1e-4, 1e-7);
      return [lt, x, gr, u, gi];
    });
  });
  it('∂logProb/∂ℓ across the series/closed-form switch', () => {
    const g = gradAt(
      ref.logProbGrad.map((r) => r[0]),
      (d) => d.logProb(ref.logProbGrad.map((r) => r[1])),
    );
    expectNear(
      g,
      ref.logProbGrad.map((r) => r[2]),
      1e-4,
      1e-7,
    );
  });
  it('no NaN in any gradient at logits ±100, 0 and ±1e-30', () => {
    const l = [-100, 100, 0, 1e-30, -1e-30];
    for (const f of [
      (d: ContinuousBernoulli) => d.mean(),
      (d: ContinuousBernoulli) => d.variance(),
      (d: ContinuousBernoulli) => d.entropy(),
      (d: ContinuousBernoulli) => d.logProb(0.3),
      (d: ContinuousBernoulli) => d.cdf(0.3),
      (d: ContinuousBernoulli) => d.icdf(0.3),
    ]) {
      expect(gradAt(l, f).every(Number.isFinite)).toBe(true);
    }
  });
});
