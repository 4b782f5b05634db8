// `VAE.encode` of sparse data: a CSR SparseMatrix (or dense rows with `sparseInput`) through the encoder's first
// layer on its stored entries alone (`denseOfSparse` of @varia/layers; dense rows the native kernel scans for their
// non-zeros: `denseOfSparseInput`), then the rest of the encoder as for dense x.
import * as tf from '@tensorflow/tfjs-core';
import {
  assertSparseMatrix,
  assertSparseShape,
  DataError,
  type Matrix,
  ShapeError,
  type SparseMatrix,
  sparseRowsInto,
} from '@varia/core';
import {
  denseOfHost,
  denseOfSparse,
  denseOfSparseInput,
  MLP,
  sparseDenseIsNative,
  sparseDenseReadsInPlace,
} from '@varia/layers';
import { type DataRules, validateDomain } from './data.js';
import type { EncodeOptions } from './inference-options.js';
import { rowOfEntry } from './sources/block-rows.js';
import type { VaeParts } from './vae-parts.js';

/**
 * The densities (stored entries ÷ cells) up to which `encode(x, { sparseInput: 'auto' })` takes the sparse path where
 * the backend has the sparse kernel: `csr` for a CSR input, `dense` for dense rows, which must first be converted (one
 * pass over every cell). Measured on MNIST's 784→400 first layer (one thread, AVX-512): the sparse kernel costs
 * ~21 ns per stored entry, oneDNN's dense product ~5.5 ns per cell, so they meet near 26 % non-zeros; the conversion
 * of dense rows and the check of their values (~3 ns per cell) moves that to ~15 %, taken with a margin.
 */
export const SPARSE_AUTO_DENSITY = {
  /** For a CSR `SparseMatrix` input: its stored entries ÷ rows·cols at most 25 %. */
  csr: 0.25,
  /** For dense rows (Matrix, tensor, arrays), converted to CSR first: non-zero cells at most 10 %. */
  dense: 0.1,
} as const;

/**
 * The most cells (rows × columns) of one dense block that `encode` makes of a CSR matrix it must densify (an encoder
 * other than the built-in MLP, `sparseInput: false`, or `'auto'` above its density): 2²² (16 MiB of float32), the
 * bound `denseOfSparse` of `@varia/layers` densifies with. A block has at least one row.
 */
const DENSE_BLOCK_CELLS = 2 ** 22;

/** Rows per dense block of a CSR matrix of `cols` columns: as many as fit in {@link DENSE_BLOCK_CELLS}, at least 1. */
function denseBlockRows(cols: number): number {
  return Math.max(1, Math.floor(DENSE_BLOCK_CELLS / cols));
}

/**
 * `encodeBlock` on the rows of a CSR matrix densified block by block ({@link denseBlockRows} rows each, one block's
 * tensors freed before the next is made), the results stacked in row order: a matrix larger than a block never exists
 * densely. `encodeBlock` gets the block and the index of its first row; with one block this is `encodeBlock(x, 0)`
 * on the whole matrix densified. Lives in the caller's tidy scope.
 */
export function encodeInDenseBlocks(
  x: SparseMatrix,
  encodeBlock: (block: tf.Tensor2D, start: number) => tf.Tensor2D,
): tf.Tensor2D {
  const perBlock = denseBlockRows(x.cols);
  const block = (start: number) =>
    tf.tidy(() => {
      const count = Math.min(perBlock, x.rows - start);
      const rows = Int32Array.from({ length: count }, (_, k) => start + k);
      const values = sparseRowsInto(x, rows, new Float32Array(count * x.cols));
      return encodeBlock(tf.tensor2d(values, [count, x.cols], 'float32'), start);
    });
  if (x.rows <= perBlock) return block(0);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < x.rows; start += perBlock) parts.push(block(start));
  return tf.concat(parts, 0);
}

/** Whether `x` is a CSR {@link SparseMatrix} (it has row pointers), not a dense Matrix, tensor or rows. */
export function isSparseInput(x: unknown): x is SparseMatrix {
  return typeof x === 'object' && x !== null && !(x instanceof tf.Tensor) && 'indptr' in x;
}

/**
 * CSR batches that `encode` of a sparse source checked already, with the whole source, just before it hands them to
 * `encode`: {@link readSparseData} takes each once without checking it again (one-shot: the mark is consumed).
 */
const checkedBatches = new WeakSet<SparseMatrix>();

/** Marks a CSR batch as checked for the next {@link readSparseData} of it (see `checkedBatches`). */
export function markChecked(x: SparseMatrix): SparseMatrix {
  checkedBatches.add(x);
  return x;
}

/**
 * Checks a CSR input like `readData` checks dense data: well-formed (`assertSparseMatrix`), at least one row,
 * `inputDim` columns, then its values ({@link checkSparseValues}) — unless it is a batch {@link markChecked} just now.
 * With `kernelChecks` (see {@link kernelChecksStructure}) only its shape (`assertSparseShape`): the kernel checks
 * the entries in its own pass, and the caller runs the rest under {@link structureErrorsFirst}.
 * @throws ShapeError / DataError naming `argument`, the row and the column.
 */
export function readSparseData(
  x: SparseMatrix,
  inputDim: number,
  rules: DataRules,
  argument = 'x',
  kernelChecks = false,
): SparseMatrix {
  if (checkedBatches.delete(x) && x.cols === inputDim) return x;
  if (kernelChecks) assertSparseShape(x, argument);
  else assertSparseMatrix(x, argument);
  if (x.rows === 0) throw new DataError(`"${argument}" is empty: it has no examples`);
  if (x.cols !== inputDim) {
    throw new ShapeError(
      argument,
      `"${argument}" must have ${inputDim} columns (the model's ${rules.width ?? 'inputDim'}), got ${x.cols}`,
    );
  }
  checkSparseValues(x, rules, argument);
  return x;
}

/**
 * Every stored value of a well-formed CSR matrix in the likelihood's domain (a zero fits every domain, so this is the
 * whole matrix's check, in the same row-major order: the same first error), then the likelihood's own `validate` on
 * the densified rows, 512 at a time.
 * @throws DataError naming `argument`, the row and the column.
 */
export function checkSparseValues(x: SparseMatrix, rules: DataRules, argument: string): void {
  const { data, indptr, indices } = x;
  validateDomain({ data, rows: data.length, cols: 1 }, rules.domain, rules.likelihood, argument, (e) => ({
    row: rowOfEntry(indptr, e),
    column: indices[e]!,
  }));
  if (rules.validate) for (let start = 0; start < x.rows; start += 512) rules.validate(denseRows(x, start, 512));
}

/** Rows [start, start + count) of a CSR matrix, dense. */
function denseRows(x: SparseMatrix, start: number, count: number): Matrix {
  const rows = Math.min(count, x.rows - start);
  const data = new Float32Array(rows * x.cols);
  for (let k = 0; k < rows; k++) {
    for (let e = x.indptr[start + k]!; e < x.indptr[start + k + 1]!; e++) data[k * x.cols + x.indices[e]!] = x.data[e]!;
  }
  return { data, rows, cols: x.cols };
}

/**
 * The CSR form of a dense row-major matrix, or undefined as soon as it has more than `maxStored` non-zeros (a dense
 * matrix costs a partial pass). One pass over the values' bits (a zero, +0 or −0, has no bits but the sign); the
 * stored values are the non-zero cells, bit for bit.
 */
export function csrOfDense(m: Matrix, maxStored = m.data.length): SparseMatrix | undefined {
  const { data, rows, cols } = m;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let capacity = Math.min(maxStored, Math.max(1024, data.length >> 3));
  let indices = new Int32Array(capacity);
  let values = new Uint32Array(capacity);
  const indptr = new Int32Array(rows + 1);
  let e = 0;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    for (let j = 0; j < cols; j++) {
      const b = bits[base + j]!;
      if ((b & 0x7fffffff) === 0) continue;
      if (e === capacity) {
        if (e >= maxStored) return undefined;
        capacity = Math.min(maxStored, 2 * capacity);
        const grownIndices = new Int32Array(capacity);
        grownIndices.set(indices);
        indices = grownIndices;
        const grownValues = new Uint32Array(capacity);
        grownValues.set(values);
        values = grownValues;
      }
      indices[e] = j;
      values[e++] = b;
    }
    indptr[r + 1] = e;
  }
  const stored = new Float32Array(values.buffer, 0, e);
  return { rows, cols, indptr, indices: indices.subarray(0, e), data: stored };
}

/**
 * Whether `encode` of a shape-checked CSR x takes the sparse path: the model has an MLP encoder (`encoder`), the
 * option allows it, and for `'auto'` x is sparse enough ({@link SPARSE_AUTO_DENSITY}).
 */
export function takesSparsePath(
  encoder: MLP | undefined,
  option: EncodeOptions['sparseInput'],
  x: SparseMatrix,
): encoder is MLP {
  const density = x.data.length / (x.rows * x.cols);
  return encoder !== undefined && option !== false && (option === undefined || wantsSparse(option, density));
}

/**
 * Whether `encode` leaves the check of a CSR x's entries (indptr and columns: `assertSparseMatrix`'s row pass, ~1.2 ms
 * for MNIST's 10,000 rows) to the kernel that reads x's arrays in place (`sparseDenseReadsInPlace` of
 * `@varia/layers`), which checks the same rules in its own pass: x takes the sparse path, has more than one row (one
 * row is encoded as a copy of itself: one-row.ts), and no likelihood `validate` reads the rows before the kernel. The
 * caller then runs encode under {@link structureErrorsFirst}, so the errors stay those of the JavaScript check.
 * @throws ShapeError from `assertSparseShape` for a malformed x (the first error `encode` throws for it anyway).
 */
export function kernelChecksStructure(
  encoder: MLP | undefined,
  x: SparseMatrix,
  option: EncodeOptions['sparseInput'],
  rules: DataRules,
): boolean {
  if (checkedBatches.has(x)) return false;
  assertSparseShape(x, 'x');
  return x.rows > 1 && !rules.validate && takesSparsePath(encoder, option, x) && sparseDenseReadsInPlace(x);
}

/**
 * `run()` for a CSR x whose entries a kernel checks (`x` given; see {@link kernelChecksStructure}): when anything
 * fails — a check that ran before the kernel's (rows, columns, values, covariates) or the kernel's own —
 * `assertSparseMatrix(x, 'x')` runs first, so a malformed x throws the same error as when the JavaScript check ran
 * before everything else, and a well-formed one lets the original error through.
 */
export function structureErrorsFirst<T>(x: SparseMatrix | undefined, run: () => T): T {
  if (!x) return run();
  try {
    return run();
  } catch (e) {
    assertSparseMatrix(x, 'x');
    throw e;
  }
}

/** Whether encode's `sparseInput` option picks the sparse path for data of this density. */
function wantsSparse(option: EncodeOptions['sparseInput'], density: number): boolean {
  if (option === 'auto') return sparseDenseIsNative() && density <= SPARSE_AUTO_DENSITY.csr;
  return option === true;
}

/** Whether the model's encoder can take the sparse path: the built-in MLP with at least one layer (no covariates). */
export function sparseEncoderLayers(parts: VaeParts): MLP | undefined {
  const encoder = parts.encoder;
  return encoder instanceof MLP && encoder.layers.length > 0 ? encoder : undefined;
}

/**
 * q(z|x)'s point summary (or a sample with `{ sample: true }`) for a checked x through an MLP encoder: the first layer
 * on x's stored entries (a CSR matrix: `denseOfSparse`) or on the non-zero cells of dense rows that the backend's kernel
 * finds itself (a tensor: `denseOfSparseInput`, where `sparseInputDenseApplies`), log1p of them for a log1p input
 * transform; the other layers and the head as for dense x. Lives in the caller's tidy scope.
 */
export function encodeSparse(
  parts: VaeParts,
  encoder: MLP,
  x: SparseMatrix | tf.Tensor2D,
  options: EncodeOptions,
): tf.Tensor2D {
  const [first, ...rest] = encoder.layers;
  const log1p = parts.config.inputTransform === 'log1p';
  let h =
    x instanceof tf.Tensor
      ? denseOfSparseInput(first!, log1p ? tf.log1p(x) : x)
      : denseOfSparse(first!, x, { checked: true, ...(log1p && { transformValues: 'log1p' }) });
  for (const layer of rest) h = layer.apply(h);
  if (!options.sample) return parts.latent.posteriorMean(h);
  return parts.latent.posterior(h).sample([], { seed: options.seed }) as tf.Tensor2D;
}

/**
 * {@link encodeSparse} for checked dense host rows m whose first layer reads them in place (`denseOfHost`: not
 * uploaded, the bits of the layer on the uploaded rows); the other layers and the head as for dense x. Lives in the
 * caller's tidy scope.
 */
export function encodeHostRows(parts: VaeParts, encoder: MLP, m: Matrix, options: EncodeOptions): tf.Tensor2D {
  const [first, ...rest] = encoder.layers;
  let h = denseOfHost(first!, m);
  for (const layer of rest) h = layer.apply(h);
  if (!options.sample) return parts.latent.posteriorMean(h);
  return parts.latent.posterior(h).sample([], { seed: options.seed }) as tf.Tensor2D;
}
