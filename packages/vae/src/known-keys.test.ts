import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { assertOptions, closestName } from './known-keys.js';

describe('closestName', () => {
  it('suggests the nearest known name for typos, plurals and case slips; nothing for unrelated names', () => {
    const known = ['epochs', 'batchSize', 'learningRate', 'patience', 'seed'];
    expect(closestName('epoch', known)).toBe('epochs');
    expect(closestName('batchsize', known)).toBe('batchSize');
    expect(closestName('learningrate', known)).toBe('learningRate');
    expect(closestName('lerningRate', known)).toBe('learningRate');
    expect(closestName('patiense', known)).toBe('patience');
    expect(closestName('colour', known)).toBeUndefined();
  });
});

describe('assertOptions', () => {
  it('accepts known keys and names an unknown one with a hint', () => {
    expect(() => assertOptions({ epochs: 1 }, ['epochs'], 'fit')).not.toThrow();
    const e = (() => {
      try {
        assertOptions({ epoch: 5 }, ['epochs', 'seed'], 'fit');
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('epoch');
    expect((e as Error).message).toBe(
      `fit: unknown option "epoch" (did you mean 'epochs'?); known options: epochs, seed`,
    );
  });

  it('rejects non-objects', () => {
    for (const bad of [null, 3, 'x', [1]]) expect(() => assertOptions(bad, ['a'], 'fit')).toThrow(ArgumentError);
  });
});
