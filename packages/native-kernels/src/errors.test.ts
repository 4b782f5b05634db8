import { ArgumentError, DataError, ShapeError, VariaError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { kernelInputError, kernelShapeError, nativeCallError } from './errors.js';
import { skipNative } from './test-support.js';

describe('the errors of the native kernels', () => {
  it('kernelInputError / kernelShapeError: the subclass, the input as argument, the kernel first in the message', () => {
    const a = kernelInputError('VariaThing', 'x', '"x" must be float32');
    expect(a).toBeInstanceOf(ArgumentError);
    expect([a.argument, a.message, a.name]).toEqual(['x', 'VariaThing: "x" must be float32', 'ArgumentError']);
    const s = kernelShapeError('VariaThing', 'b', 'shapes do not match');
    expect(s).toBeInstanceOf(ShapeError);
    expect([s.argument, s.message]).toEqual(['b', 'VariaThing: shapes do not match']);
  });

  it('nativeCallError: a VARIA_CSR failure is a DataError at its row and 1-based column; others an ArgumentError', () => {
    const csr = Object.assign(new Error('row 3: column index 50 is outside 0…49'), {
      code: 'VARIA_CSR',
      row: 3,
      column: 50,
    });
    const d = nativeCallError('sparseDense', csr);
    expect(d).toBeInstanceOf(DataError);
    expect((d as DataError).location).toEqual({ row: 3, column: 51 });
    expect(d.message).toBe(csr.message);
    expect(d.cause).toBe(csr);
    const plain = new Error('native-kernels: gemm operand outside the heap');
    const g = nativeCallError('gemm', plain);
    expect(g).toBeInstanceOf(ArgumentError);
    expect([(g as ArgumentError).argument, g.message, g.cause]).toEqual(['gemm', plain.message, plain]);
    expect(nativeCallError('lookup', 'thrown text').message).toBe('native-kernels: lookup: thrown text');
    const already = new ShapeError('x', 'already typed');
    expect(nativeCallError('gemm', already)).toBe(already);
  });

  it.skipIf(skipNative)(
    'the loaded addon refuses out-of-heap operands with an ArgumentError naming its entry point',
    () => {
      const addon = loadAddon();
      const heap = new ArrayBuffer(1024);
      for (const call of [
        () => addon.mulSub(heap, 64, 0, 256, 512, 800),
        () => addon.scaledSum(heap, -1, 0, 256, 1, 2, 768),
        () => addon.unary(heap, 0, 1024, 0, 512),
      ]) {
        let error: unknown;
        try {
          call();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error).toBeInstanceOf(VariaError);
        expect((error as ArgumentError).argument).toMatch(/^(mulSub|scaledSum|unary)$/);
        expect((error as Error).message).toMatch(/^native-kernels: /);
      }
    },
  );
});
