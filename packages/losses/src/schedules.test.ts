import { describe, expect, it } from 'vitest';
import { constantBeta, cyclicalAnnealing, linearWarmup } from './schedules.js';

describe('KL schedules', () => {
  it('linear warm-up reaches 1 after N steps', () => {
    const s = linearWarmup(4);
    expect([0, 1, 2, 3, 4, 10].map(s)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    expect(() => linearWarmup(0)).toThrowError(/"n"/);
  });
  it('cyclical annealing ramps then holds, each period', () => {
    const s = cyclicalAnnealing(4, 0.5);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(s)).toEqual([0, 0.5, 1, 1, 0, 0.5, 1, 1]);
    expect(() => cyclicalAnnealing(4, 0)).toThrowError(/"rampFraction"/);
  });
  it('constant', () => {
    expect(constantBeta(0.5)(100)).toBe(0.5);
  });
});
