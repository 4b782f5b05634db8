import { describe, expect, it } from 'vitest';
import { tfjsAleaState } from './tfjs-alea.js';

// The state's values are checked where they are used: @varia/vae's seededStandardNormal and @varia/native-kernels'
// standard-normal kernel draw tf.randomNormal's values bit for bit from it (tests there, against tfjs itself).
describe('tfjsAleaState', () => {
  it('gives three integers in [0, 2³²), the same for the same seed and for its string', () => {
    for (const seed of [1, 2, -5, 0.25, 1e-7, 123456789.5, 2 ** 32, 2 ** 53]) {
      const state = tfjsAleaState(seed);
      expect(state).toHaveLength(3);
      for (const k of state) {
        expect(Number.isInteger(k)).toBe(true);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(k).toBeLessThan(2 ** 32);
      }
      expect(tfjsAleaState(seed)).toEqual(state);
    }
    expect(tfjsAleaState(1)).not.toEqual(tfjsAleaState(2));
  });

  it('seeds from Math.random() for a seed of 0 or none, as tfjs does', () => {
    expect(tfjsAleaState(0)).not.toEqual(tfjsAleaState(0));
    expect(tfjsAleaState(undefined)).not.toEqual(tfjsAleaState(undefined));
  });
});
