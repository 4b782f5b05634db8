import { describe, expect, it } from 'vitest';
import { ArgumentError, DisposedError, VariaError } from './index.js';

describe('DisposedError', () => {
  it('is a VariaError naming what was used after dispose, with a default message', () => {
    const e = new DisposedError('Normal');
    expect(e).toBeInstanceOf(VariaError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(ArgumentError);
    expect(e.name).toBe('DisposedError');
    expect(e.subject).toBe('Normal');
    expect(e.message).toBe('Normal was disposed: it cannot be used after dispose()');
  });

  it('keeps a custom message', () => {
    expect(new DisposedError('VAE', 'VAE.encode: the model was disposed').message).toBe(
      'VAE.encode: the model was disposed',
    );
  });
});
