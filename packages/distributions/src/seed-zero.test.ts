import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Gamma } from './gamma.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';

// tfjs's random ops read seed 0 as "no seed" (`seed ? seed : Math.random()`): a seed of 0 must still be reproducible.
describe('seed 0', () => {
  const families = {
    Normal: () => new Normal({ loc: [0, 1], scale: [1, 2] }),
    Bernoulli: () => new Bernoulli({ probs: [0.3, 0.6] }),
    Poisson: () => new Poisson({ rate: [0.5, 4] }),
    Gamma: () => new Gamma({ concentration: [0.7, 3], rate: [1, 2] }),
  };
  for (const [name, make] of Object.entries(families)) {
    it(`${name}.sample([1000], { seed: 0 }) is the same on every call, and differs from seed 1`, () => {
      expectNoLeak(() => {
        const d = make();
        const a = d.sample([1000], { seed: 0 });
        const b = d.sample([1000], { seed: 0 });
        const c = d.sample([1000], { seed: 1 });
        expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
        expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
        tf.dispose([a, b, c]);
        d.dispose();
      });
    });
  }
  it('Normal.rsample([1000], { seed: 0 }) is the same on every call', () => {
    expectNoLeak(() => {
      const d = new Normal({ loc: 0, scale: 1 });
      const a = d.rsample([1000], { seed: 0 });
      const b = d.rsample([1000], { seed: 0 });
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
      d.dispose();
    });
  });
});
