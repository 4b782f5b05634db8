import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ArgumentError, ShapeError, VariaError } from '@varia/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Bernoulli,
  Categorical,
  declareParameters,
  Dirichlet,
  Gamma,
  Independent,
  MultivariateNormalDiag,
  NegativeBinomial,
  Normal,
  Poisson,
  setValidateArgs,
  StudentT,
  ZeroInflatedPoisson,
} from './index.js';
import { positive, real } from './constraints.js';
import { expectClose, expectNoLeak } from '../test/helpers.js';

/** Asserts `fn` throws an instance of `type` naming `argument`, and leaks no tensor. */
function expectTyped(
  fn: () => unknown,
  type: typeof ArgumentError | typeof ShapeError,
  argument: string,
  message?: RegExp,
): void {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as ArgumentError).argument).toBe(argument);
  if (message) expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('declareParameters', () => {
  it('derives the constraints, parameterizations and default transforms from one declaration', () => {
    const decl = declareParameters({ loc: { constraint: real }, scale: { constraint: positive } });
    expect(decl.constraints).toEqual({ loc: real, scale: positive });
    expect(decl.parameterizations).toEqual([['loc', 'scale']]);
    expectNoLeak(() => {
      const s = tf.tidy(() => decl.transform('scale', tf.tensor([-2, 0, 3])));
      expectClose(s, [Math.log1p(Math.exp(-2)), Math.LN2, Math.log1p(Math.exp(3))]);
      return s;
    });
    const n = new Normal({ loc: 0, scale: 1 });
    expect(n.argConstraints).toEqual({ loc: real, scale: positive });
    const b = new Bernoulli({ probs: 0.5 });
    expect(Object.keys(b.argConstraints)).toEqual(['logits', 'probs']);
    n.dispose();
    b.dispose();
  });

  it('broadcasts batch dims, and event dims only among parameters of the same event rank', () => {
    const d = new MultivariateNormalDiag({ loc: [[0, 1, 2]], scaleDiag: [[1], [2]] });
    expect([d.batchShape, d.eventShape]).toEqual([[2], [3]]);
    d.dispose();
    const k = new Dirichlet({ concentration: [[1, 2, 3]] });
    expect([k.batchShape, k.eventShape]).toEqual([[1], [3]]);
    k.dispose();
  });

  it('stored parameters are properties, derived ones methods', () => {
    const p = new Poisson({ logRate: [0, Math.log(3)] });
    expectClose(p.rate, [1, 3]);
    expectClose(p.logRate, [0, Math.log(3)]);
    const g = new Gamma({ concentration: 2, rate: 3 });
    expectClose(g.rate, 3);
    const b = new Bernoulli({ probs: 0.25 });
    expectNoLeak(() => {
      const q = b.probsParameter();
      expectClose(q, 0.25);
      return q;
    });
    const z = new ZeroInflatedPoisson({ rate: 2, gate: 0.25 });
    expectNoLeak(() => z.gateParameter());
    for (const d of [p, g, b, z]) d.dispose();
  });

  it('copy() rebuilds the family with overrides and keeps the options; expand keeps the given parameterization', () => {
    const before = tf.memory().numTensors;
    const d = new Poisson({ rate: [1, 2] }, { logProbMethod: 'direct' });
    const c = d.copy({ rate: [5, 6] });
    expect(c).toBeInstanceOf(Poisson);
    expect(c.logProbMethod).toBe('direct');
    expectClose(c.rate, [5, 6]);
    const e = d.expand([3, 2]);
    expect(e.logProbMethod).toBe('direct');
    expectClose(e.rate, [1, 2, 1, 2, 1, 2]);
    const nb = new NegativeBinomial({ mean: [2], dispersion: [3] });
    const nb2 = nb.copy({ dispersion: [4] });
    expectClose(nb2.totalCount, 4);
    d.dispose();
    for (const x of [c, e, nb, nb2]) x.dispose();
    expect(c.rate.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const n = new Normal({ loc: 0, scale: 1 });
    expectTyped(() => n.copy({ scale: -1 }), ArgumentError, 'scale');
    n.dispose();
  });
});

describe('setValidateArgs', () => {
  afterEach(() => setValidateArgs(true));
  it('turns validation off globally; a per-instance option wins', () => {
    setValidateArgs(false);
    const d = new Normal({ loc: 0, scale: -1 });
    expect(d.validateArgs).toBe(false);
    d.dispose();
    expectTyped(() => new Normal({ loc: 0, scale: -1 }, { validateArgs: true }), ArgumentError, 'scale');
    setValidateArgs(true);
    expectTyped(
      () => new Normal({ loc: 0, scale: -1 }),
      ArgumentError,
      'scale',
      /"scale" must be finite and > 0, got -1/,
    );
    const off = new Normal({ loc: 0, scale: -1 }, { validateArgs: false });
    expect(off.validateArgs).toBe(false);
    off.dispose();
    expect(() => setValidateArgs('no' as never)).toThrowError(ArgumentError);
  });
});

describe('typed errors for bad parameters (issue 13, items 6, 9, 10)', () => {
  it('names the parameter for strings, booleans, null, objects, ragged and disposed inputs', () => {
    expectTyped(() => new Normal({ loc: 'a' as never, scale: 1 }), ArgumentError, 'loc', /"loc" must be a number/);
    expectTyped(() => new Normal(null as never), ArgumentError, 'params', /must be an object like \{ loc, scale \}/);
    expectTyped(() => new Normal(undefined as never), ArgumentError, 'params');
    expectTyped(() => new Normal({ loc: true as never, scale: 1 }), ArgumentError, 'loc');
    expectTyped(() => new Normal({ loc: [[1, 2], [3]] as never, scale: 1 }), ArgumentError, 'loc', /ragged/);
    expectTyped(() => new Normal({ loc: [[1, 2], 3] as never, scale: 1 }), ArgumentError, 'loc', /ragged/);
    expectTyped(
      () => new Normal({ loc: [1, '2'] as never, scale: 1 }),
      ArgumentError,
      'loc',
      /numbers only.*index \[1\]/,
    );
    expectTyped(() => new Normal({ loc: [1, null] as never, scale: 1 }), ArgumentError, 'loc');
    expectTyped(() => new Normal({ loc: {} as never, scale: 1 }), ArgumentError, 'loc');
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expectTyped(() => new Normal({ loc: cyclic as never, scale: 1 }), ArgumentError, 'loc');
    const t = tf.scalar(1);
    t.dispose();
    expectTyped(() => new Normal({ loc: t, scale: 1 }), ArgumentError, 'loc', /disposed/);
    expectTyped(() => new Normal({ loc: 0, scale: 1 }, null as never), ArgumentError, 'options');
    expectTyped(
      () => new Normal({ loc: 0, scale: 1 }, { validateArgs: 'yes' as never }),
      ArgumentError,
      'validateArgs',
    );
  });

  it('missing, unknown and conflicting parameters are ArgumentErrors that leak nothing', () => {
    expectTyped(() => new Normal({ loc: [1, 2] } as never), ArgumentError, 'scale', /"scale" is required/);
    expectTyped(() => new Normal({ loc: 0, scal: 1 } as never), ArgumentError, 'scal', /did you mean "scale"/);
    expectTyped(
      () => new Bernoulli({ logits: 0, probs: 0.5 } as never),
      ArgumentError,
      'probs',
      /exactly one of \{ logits \} or \{ probs \}/,
    );
    expectTyped(() => new Bernoulli({} as never), ArgumentError, 'logits');
    expectTyped(() => new NegativeBinomial({ totalCount: 2, dispersion: 2 } as never), ArgumentError, 'dispersion');
  });

  it('shapes that cannot broadcast and too small event ranks are ShapeErrors that leak nothing', () => {
    expectTyped(
      () => new Normal({ loc: [1, 2], scale: [1, 2, 3] }),
      ShapeError,
      'loc, scale',
      /"loc" \[2\], "scale" \[3\]/,
    );
    expectTyped(() => new StudentT({ df: [1, 2], loc: [[1, 2, 3]], scale: 1 }), ShapeError, 'df, loc, scale');
    expectTyped(() => new Dirichlet({ concentration: 2 }), ShapeError, 'concentration', /at least one axis/);
    expectTyped(() => new Dirichlet({ concentration: [] }), ShapeError, 'concentration');
    expectTyped(() => new Categorical({ logits: 1 }), ShapeError, 'logits');
  });

  it('Poisson refuses a logRate whose rate overflows float32; sample never fails on an internal check', () => {
    expectTyped(() => new Poisson({ logRate: 100 }), ArgumentError, 'logRate', /< 88\.72/);
    expectTyped(() => new Poisson({ rate: Infinity }), ArgumentError, 'rate');
    const ok = new Poisson({ logRate: 88 });
    expectNoLeak(() => ok.sample([2], { seed: 1 }));
    ok.dispose();
    const off = new Poisson({ logRate: 100 }, { validateArgs: false });
    expectNoLeak(() => {
      const s = off.sample([2], { seed: 1 });
      expect(Array.from(s.dataSync())).toEqual([Infinity, Infinity]);
      return s;
    });
    off.dispose();
  });

  it('logProb and cdf values get the same checks', () => {
    const d = new Normal({ loc: 0, scale: 1 });
    expectTyped(() => d.logProb('x' as never), ArgumentError, 'value');
    expectTyped(() => d.cdf([[1], [2, 3]] as never), ArgumentError, 'value', /ragged/);
    d.dispose();
  });

  it('errors are VariaErrors', () => {
    expect(() => new Gamma({ concentration: 'x' as never, rate: 1 })).toThrowError(VariaError);
  });
});

describe('wrappers', () => {
  it('Independent refuses a base that is not a distribution', () => {
    expectTyped(() => new Independent(null as never, 1), ArgumentError, 'base');
    expectTyped(() => new Independent({ batchShape: [2] } as never, 1), ArgumentError, 'base');
  });
});
