import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { loadIdx, loadIdxDataset } from './idx.js';
import { loadMatrix } from './load-matrix.js';
import { loadMatrixMarket } from './load-matrix-market.js';

/** A mistyped option name must be refused (never silently ignored), naming the key and the closest known one. */
async function expectUnknown(run: () => Promise<unknown>, key: string, hint: string): Promise<void> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArgumentError);
  expect((error as ArgumentError).message).toContain(`unknown option "${key}"`);
  expect((error as ArgumentError).message).toContain(`did you mean '${hint}'`);
}

const mtx = '%%MatrixMarket matrix coordinate integer general\n2 3 1\n1 3 7\n';
// IDX: magic 0x00000801 (uint8, 1 dim), length 2, values 3 and 4.
const idx = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 3, 4]);

describe('dataset loaders refuse unknown option names', () => {
  it('loadMatrix: rownames (for rowNames) and delimeter (for delimiter)', async () => {
    // The correctly spelt option reads the first field as a name, so the mistyped one would silently read it as data.
    const good = await loadMatrix({ text: 'a,2\nb,4\n' }, { dtype: 'counts', rowNames: true });
    expect(good.rowNames).toEqual(['a', 'b']);
    await expectUnknown(
      () => loadMatrix({ text: '10,2\n20,4\n' }, { dtype: 'counts', rownames: true } as never),
      'rownames',
      'rowNames',
    );
    await expectUnknown(
      () => loadMatrix({ text: '1;2\n' }, { dtype: 'real', delimeter: ';' } as never),
      'delimeter',
      'delimiter',
    );
  });

  it('loadMatrixMarket: transpos (for transpose)', async () => {
    const good = await loadMatrixMarket({ text: mtx }, { dtype: 'real', transpose: true });
    expect([good.rows, good.cols]).toEqual([3, 2]);
    await expectUnknown(
      () => loadMatrixMarket({ text: mtx }, { dtype: 'real', transpos: true } as never),
      'transpos',
      'transpose',
    );
  });

  it('loadIdx and loadIdxDataset: maxbytes (for maxBytes)', async () => {
    expect(Array.from((await loadIdx(idx, { maxBytes: 10 })).data as Uint8Array)).toEqual([3, 4]);
    await expectUnknown(() => loadIdx(idx, { maxbytes: 10 } as never), 'maxbytes', 'maxBytes');
    await expectUnknown(() => loadIdxDataset({ images: idx, normalise: true } as never), 'normalise', 'normalize');
  });
});
