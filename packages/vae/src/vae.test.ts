import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, ShapeError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binary, counts, leakedBy, noisyLine, toySubset, values } from './test-utils/helpers.js';
import { VAE } from './vae.js';

let baseline = 0;
beforeEach(() => {
  baseline = tf.memory().numTensors;
});
afterEach(() => {
  // every test disposes its models: nothing may be left over
  expect(tf.memory().numTensors).toBe(baseline);
});

/** σ of the Gaussian likelihood, read through the public API (the decoder's stddev at z = 0). */
function observationScale(vae: VAE): number[] {
  return tf.tidy(() => {
    const p = vae.decode(tf.zeros([1, vae.config.latentDim]));
    return values(p.stddev());
  });
}

describe('VAE training lowers the loss for each likelihood', () => {
  const cases = [
    { likelihood: 'gaussian' as const, data: () => toySubset(400), inputDim: 2 },
    { likelihood: 'poisson' as const, data: () => counts(300), inputDim: 8 },
    { likelihood: 'bernoulli' as const, data: () => binary(300), inputDim: 8 },
    { likelihood: 'continuous-bernoulli' as const, data: () => binary(300), inputDim: 8 },
    { likelihood: 'negative-binomial' as const, data: () => counts(300), inputDim: 8 },
    { likelihood: 'zinb' as const, data: () => counts(300), inputDim: 8 },
  ];
  for (const c of cases) {
    it(c.likelihood, async () => {
      const vae = new VAE({ inputDim: c.inputDim, latentDim: 2, hiddenUnits: 16, likelihood: c.likelihood, seed: 1 });
      const h = await vae.fit(c.data(), { epochs: 6, batchSize: 32, learningRate: 1e-2, seed: 0 });
      const first = h.epochs[0]!;
      const last = h.epochs[h.epochs.length - 1]!;
      expect(h.epochs).toHaveLength(6);
      expect(h.stopReason).toBe('completed');
      for (const e of h.epochs) expect(Number.isFinite(e.loss)).toBe(true);
      // a clear decrease, not noise: at least 5% of the first epoch's loss (or 0.05 nats for small losses)
      expect(last.loss).toBeLessThan(first.loss - Math.max(0.05, 0.05 * Math.abs(first.loss)));
      // the loss is −(reconstruction − β·KL) with β = 1 and no free bits
      expect(last.loss).toBeCloseTo(-(last.reconstruction - last.kl), 4);
      vae.dispose();
    });
  }
});

describe('Gaussian observation scale', () => {
  it("'learned-scalar' moves σ from 1 towards the residual scale of the data", async () => {
    const data = noisyLine(400, 0.05, 3);
    const vae = new VAE({
      inputDim: 3,
      latentDim: 1,
      hiddenUnits: 16,
      likelihood: 'gaussian',
      observationScale: 'learned-scalar',
      activation: 'tanh',
    });
    const before = observationScale(vae);
    for (const s of before) expect(s).toBeCloseTo(1, 4);
    await vae.fit(data, { epochs: 12, batchSize: 25, learningRate: 2e-2, seed: 0 });
    const scales = observationScale(vae);
    const sigma = scales[0]!;
    for (const s of scales) expect(s).toBe(sigma); // one σ shared by all features
    // Reference: the maximum-likelihood σ for the learned decoder means is the RMS residual of x around them.
    const residual = tf.tidy(() => {
      const x = tf.tensor2d(data.data, [data.rows, data.cols]);
      return Math.sqrt(tf.mean(tf.square(tf.sub(x, vae.reconstruct(x)))).dataSync()[0]!);
    });
    expect(sigma).toBeLessThan(0.5);
    expect(sigma).toBeGreaterThan(residual * 0.5);
    expect(sigma).toBeLessThan(residual * 3);
    vae.dispose();
  });

  it('{ fixed: s } keeps σ = s and has no scale variable', async () => {
    const vae = new VAE({ inputDim: 3, latentDim: 1, hiddenUnits: 8, observationScale: { fixed: 0.3 } });
    expect([...vae.namedVariables().keys()].some((k) => k.includes('scale') && k.startsWith('likelihood'))).toBe(false);
    await vae.fit(noisyLine(100, 0.05), { epochs: 2, batchSize: 25, learningRate: 2e-2, seed: 0 });
    for (const s of observationScale(vae)) expect(s).toBeCloseTo(0.3, 6);
    vae.dispose();
  });

  it('rejects a non-positive fixed scale without leaking tensors', () => {
    expect(() => new VAE({ inputDim: 3, latentDim: 1, hiddenUnits: 8, observationScale: { fixed: -1 } })).toThrow(
      ArgumentError,
    );
  });
});

describe('inference API', () => {
  let vae: VAE;
  const data = toySubset(200);
  beforeEach(async () => {
    vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 16, seed: 2 });
    await vae.fit(data, { epochs: 2, batchSize: 50, learningRate: 1e-2, seed: 0 });
  });
  afterEach(() => {
    vae.dispose(); // then the outer afterEach checks the count is back to before the model
  });

  it('encode: posterior mean by default; a seeded sample is reproducible and differs between seeds', () => {
    const mean = vae.encode(data);
    expect(mean.shape).toEqual([200, 2]);
    const s1 = vae.encode(data, { sample: true, seed: 7 });
    const s2 = vae.encode(data, { sample: true, seed: 7 });
    const s3 = vae.encode(data, { sample: true, seed: 8 });
    expect(values(s1)).toEqual(values(s2));
    expect(values(s1)).not.toEqual(values(s3));
    expect(values(s1)).not.toEqual(values(mean));
    // samples scatter around the mean with the posterior's σ (well below the prior's 1 after training on 2-D blobs)
    const spread = tf.tidy(() => tf.mean(tf.abs(tf.sub(s1, mean))).dataSync()[0]!);
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThan(1);
    tf.dispose([mean, s1, s2, s3]);
  });

  it('encode accepts a Matrix, rows and a tensor alike', () => {
    const rows = [
      [1, 2],
      [3, -4],
    ];
    const t = tf.tensor2d(rows);
    const a = vae.encode(rows);
    const b = vae.encode(t);
    const c = vae.encode({ data: new Float32Array([1, 2, 3, -4]), rows: 2, cols: 2 });
    expect(values(a)).toEqual(values(b));
    expect(values(a)).toEqual(values(c));
    tf.dispose([a, b, c, t]);
  });

  it('sample(n) has shape [n, inputDim], is seeded, and mean mode is the decoder mean', () => {
    const a = vae.sample(5, { seed: 1 });
    const b = vae.sample(5, { seed: 1 });
    const m = vae.sample(5, { seed: 1, mean: true });
    expect(a.shape).toEqual([5, 2]);
    expect(m.shape).toEqual([5, 2]);
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(m));
    tf.dispose([a, b, m]);
    expect(() => vae.sample(0)).toThrow(ArgumentError);
  });

  it('interpolate: endpoints are the reconstructions of a and b', () => {
    const a = [[4, 1]];
    const b = [[-3, -2]];
    const path = vae.interpolate(a, b, 5);
    expect(path.shape).toEqual([5, 2]);
    const ra = vae.reconstruct(a);
    const rb = vae.reconstruct(b);
    const p = values(path);
    const [a0, a1] = values(ra);
    const [b0, b1] = values(rb);
    expect(p[0]).toBeCloseTo(a0!, 5);
    expect(p[1]).toBeCloseTo(a1!, 5);
    expect(p[8]).toBeCloseTo(b0!, 5);
    expect(p[9]).toBeCloseTo(b1!, 5);
    tf.dispose([path, ra, rb]);
    expect(() => vae.interpolate(a, b, 1)).toThrow(ArgumentError);
    const two = [
      [1, 1],
      [2, 2],
    ];
    expect(() => vae.interpolate(two, b, 3)).toThrow(ShapeError);
    expect(() => vae.interpolate(a, [[1, 2, 3]], 3)).toThrow(/"b"/);
  });

  it('evaluate: elbo = reconstruction − kl, and the IWAE bound (K = 10) is at least the ELBO', async () => {
    const e = await vae.evaluate(data, { iwaeK: 10, seed: 3 });
    expect(e.n).toBe(200);
    expect(e.elbo).toBeCloseTo(e.reconstruction - e.kl, 4);
    expect(e.kl).toBeGreaterThan(0);
    expect(e.iwae).toBeDefined();
    // IWAE_K ≥ ELBO in expectation; averaged over 200 examples the Monte-Carlo noise is far below 0.05 nats
    expect(e.iwae!).toBeGreaterThan(e.elbo - 0.05);
    // seeded: the same call gives the same numbers
    const again = await vae.evaluate(data, { iwaeK: 10, seed: 3 });
    expect(again).toEqual(e);
    const noIwae = await vae.evaluate(data, { seed: 3, batchSize: 64 });
    expect(noIwae.iwae).toBeUndefined();
    for (const iwaeK of [0, -1, 2.5]) await expect(vae.evaluate(data, { iwaeK })).rejects.toThrow(/"iwaeK"/);
    await expect(vae.evaluate(data, { batchSize: 0 })).rejects.toThrow(/"batchSize"/);
  });

  it('rejects data of the wrong width with a ShapeError naming the argument', async () => {
    expect(() => vae.encode([[1, 2, 3]])).toThrow(ShapeError);
    const wide = tf.zeros([2, 3]);
    expect(() => vae.reconstruct(wide)).toThrow(/"x"/);
    wide.dispose();
    await expect(vae.evaluate([[1, 2, 3]])).rejects.toThrow(ShapeError);
    expect(() => tf.tidy(() => vae.decode([[1, 2, 3]]).mean())).toThrow(ShapeError);
  });

  describe('leaves no tensors behind', () => {
    it('encode', async () => {
      expect(await leakedBy(() => tf.dispose(vae.encode(data)))).toBe(0);
      expect(await leakedBy(() => tf.dispose(vae.encode(data, { sample: true, seed: 1 })))).toBe(0);
      const t = tf.tensor2d(data.data, [data.rows, data.cols]);
      expect(await leakedBy(() => tf.dispose(vae.encode(t)))).toBe(0);
      t.dispose();
    });
    it('decode (inside tidy)', async () => {
      expect(await leakedBy(() => tf.tidy(() => vae.decode([[0, 1]]).mean()).dispose())).toBe(0);
      expect(await leakedBy(() => tf.tidy(() => vae.decode(tf.zeros([3, 2])).sample([], { seed: 1 })).dispose())).toBe(
        0,
      );
    });
    it('decode (disposing the distribution)', async () => {
      const z = tf.zeros([3, 2]);
      expect(
        await leakedBy(() => {
          const p = vae.decode(z);
          const m = p.mean();
          p.dispose();
          m.dispose();
        }),
      ).toBe(0);
      z.dispose();
    });
    it('reconstruct', async () => {
      expect(await leakedBy(() => tf.dispose(vae.reconstruct(data)))).toBe(0);
    });
    it('sample', async () => {
      expect(await leakedBy(() => tf.dispose(vae.sample(4, { seed: 0 })))).toBe(0);
      expect(await leakedBy(() => tf.dispose(vae.sample(4, { mean: true })))).toBe(0);
    });
    it('interpolate', async () => {
      expect(await leakedBy(() => tf.dispose(vae.interpolate([[1, 1]], [[2, 2]], 4)))).toBe(0);
    });
    it('evaluate', async () => {
      expect(await leakedBy(() => vae.evaluate(data, { iwaeK: 3, batchSize: 64 }))).toBe(0);
    });
    it('failing calls', async () => {
      expect(await leakedBy(() => expect(() => vae.encode([[1, 2, 3]])).toThrow())).toBe(0);
      expect(await leakedBy(() => expect(vae.evaluate([[1, Number.NaN]])).rejects.toThrow())).toBe(0);
    });
  });
});

describe('likelihood-specific models', () => {
  it('poisson: reconstruct gives positive rates; sample gives non-negative integer counts', async () => {
    const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson' });
    const x = counts(50);
    const r = vae.reconstruct(x);
    expect(values(r).every((v) => v > 0)).toBe(true);
    const s = vae.sample(10, { seed: 0 });
    expect(values(s).every((v) => v >= 0 && Number.isInteger(v))).toBe(true);
    tf.dispose([r, s]);
    vae.dispose();
  });

  it('bernoulli: reconstruct gives probabilities; sample gives 0/1', () => {
    const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: 8, likelihood: 'bernoulli' });
    const r = vae.reconstruct(binary(20));
    expect(values(r).every((v) => v > 0 && v < 1)).toBe(true);
    const s = vae.sample(10, { seed: 0 });
    expect(values(s).every((v) => v === 0 || v === 1)).toBe(true);
    tf.dispose([r, s]);
    vae.dispose();
  });

  it('library-size poisson: reconstruct/interpolate use the observed totals; sample takes a library size', () => {
    const vae = new VAE({ inputDim: 8, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', librarySize: true });
    const x = counts(20);
    const r = vae.reconstruct(x);
    // rates are proportions × the observed total: each row sums to its library size
    const totals = tf.tidy(() => values(tf.sum(tf.tensor2d(x.data, [x.rows, x.cols]), 1)));
    const sums = tf.tidy(() => values(tf.sum(r, 1)));
    for (let i = 0; i < totals.length; i++) expect(sums[i]).toBeCloseTo(Math.max(totals[i]!, 1), 2);
    // an unfitted model has no recorded default library size: sample needs one
    expect(() => vae.sample(3, { seed: 0 })).toThrow(/no recorded library size/);
    const s = vae.sample(3, { seed: 0, librarySize: 100 });
    const p = vae.interpolate([x.data.subarray(0, 8)], [x.data.subarray(8, 16)], 3);
    expect(s.shape).toEqual([3, 8]);
    expect(p.shape).toEqual([3, 8]);
    // the ends of the path are the reconstructions of a and b, library size included
    const path = values(p);
    const recon = values(r);
    for (let j = 0; j < 8; j++) {
      expect(path[j]).toBeCloseTo(recon[j]!, 3);
      expect(path[16 + j]).toBeCloseTo(recon[8 + j]!, 3);
    }
    tf.dispose([r, s, p]);
    vae.dispose();
  });
});

describe('lifecycle', () => {
  it('fit then dispose returns the tensor count to the baseline; a disposed model refuses work', async () => {
    const start = tf.memory().numTensors;
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8 });
    await vae.fit(toySubset(100), { epochs: 2, batchSize: 50, seed: 0 });
    vae.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(vae.isDisposed).toBe(true);
    expect(() => vae.encode([[0, 0]])).toThrow(DisposedError);
    await expect(vae.fit([[0, 0]])).rejects.toThrow(DisposedError);
    vae.dispose(); // idempotent
  });

  it('the same seed gives the same initial weights; a different seed different ones', () => {
    const a = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 5 });
    const b = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 5 });
    const c = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8, seed: 6 });
    const wa = a.namedVariables().get('encoder/0/kernel')!;
    expect(values(wa)).toEqual(values(b.namedVariables().get('encoder/0/kernel')!));
    expect(values(wa)).not.toEqual(values(c.namedVariables().get('encoder/0/kernel')!));
    for (const m of [a, b, c]) m.dispose();
  });
});
