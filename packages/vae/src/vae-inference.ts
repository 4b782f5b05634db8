// Inference with a trained VAE on in-memory data: encode, decode, reconstruct, sample and interpolate. The VAE class
// checks that it is alive (and routes sources elsewhere) before it calls these.
import * as tf from '@tensorflow/tfjs-core';
import {
  ArgumentError,
  DENSE_HOST_KERNEL,
  type Matrix,
  ShapeError,
  type SparseMatrix,
  sparseRowsInto,
} from '@varia/core';
import { buildOwned, type Distribution } from '@varia/distributions';
import { denseReadsInPlace, type MLP, sparseDenseIsNative, sparseInputDenseApplies } from '@varia/layers';
import { readCovariates } from './covariates-rows.js';
import { applyHidden } from './covariates-network.js';
import { type DataInput, type DataRules, readData, toMatrix } from './data.js';
import {
  checkInferenceOptions,
  checkOutputSize,
  type DecodeOptions,
  type EncodeOptions,
  type GenerateOptions,
  INFERENCE_LIMITS,
  type InterpolateOptions,
  librarySizes,
  type ReconstructOptions,
} from './inference-options.js';
import { csrRowsTwice, matrixRowsTwice, meanOfOneRow, rowsTwice } from './one-row.js';
import { showValue } from './show-value.js';
import {
  checkSparseValues,
  csrOfDense,
  encodeHostRows,
  encodeInDenseBlocks,
  encodeSparse,
  isSparseInput,
  kernelChecksStructure,
  readSparseData,
  SPARSE_AUTO_DENSITY,
  sparseEncoderLayers,
  structureErrorsFirst,
  takesSparsePath,
} from './sparse-input.js';
import {
  covariateBlock,
  covariateRows,
  dataRules,
  inputTensor,
  likelihoodOf,
  posteriorFrom,
  posteriorPoint,
  variationalInputsOf,
} from './vae-forward.js';
import type { VaeParts } from './vae-parts.js';

/** The rules a latent z must follow in `decode`: finite real values. */
const LATENT_RULES: DataRules = { domain: 'real', likelihood: 'latent', subject: 'a latent z', width: 'latentDim' };

/**
 * `VAE.encode` of in-memory x (options already checked): the posterior point, or a sample with `{ sample: true }`.
 * A CSR x, or dense x with `sparseInput`, goes through the encoder's first layer on its stored entries where the
 * encoder is the built-in MLP (see `sparseInput`); dense x without the option takes the dense path, as always. A CSR
 * x that must be densified (another encoder, `sparseInput: false`, `'auto'` above its density) is, block by block
 * (`encodeInDenseBlocks`); a seeded sample of the block starting at row r then uses seed + r, as `encode` of a source
 * does (one block — up to 2²² cells — is the whole matrix with the seed itself).
 */
export function encodeMatrix(
  parts: VaeParts,
  x: DataInput | tf.Tensor | SparseMatrix,
  options: EncodeOptions,
): tf.Tensor2D {
  // a CSR x's entries checked by the kernel that reads them in place, the errors as the JavaScript check's
  const deferred =
    isSparseInput(x) && kernelChecksStructure(sparseEncoderLayers(parts), x, options.sparseInput, dataRules(parts));
  return structureErrorsFirst(deferred ? (x as SparseMatrix) : undefined, () =>
    encodeInput(parts, x, options, deferred),
  );
}

/** {@link encodeMatrix} after its choice of who checks a CSR x's entries (`kernelChecks`: the kernel). */
function encodeInput(
  parts: VaeParts,
  x: DataInput | tf.Tensor | SparseMatrix,
  options: EncodeOptions,
  kernelChecks: boolean,
): tf.Tensor2D {
  const input = encoderInput(parts, x, options.sparseInput, kernelChecks);
  return tf.tidy(() => {
    const dense = input.dense && tf.tensor2d(input.dense.data, [input.dense.rows, input.dense.cols], 'float32');
    const csr = input.sparse ?? input.blocks;
    const xt = csr || input.host ? undefined : (dense ?? inputTensor(parts, x as DataInput | tf.Tensor));
    const rows = csr ? csr.rows : input.host ? input.host.rows.rows : xt!.shape[0];
    // required only where the encoder reads them (encodeCovariates), checked whenever given
    const needed = parts.config.encodeCovariates;
    const cov =
      needed || options.covariates !== undefined
        ? covariateRows(parts, options.covariates, rows, 'VAE.encode')
        : undefined;
    // a posterior mean of one row is computed on the row twice (one-row.ts): the bits it has among other rows
    if (input.host) {
      const { rows: m, encoder } = input.host;
      const run = (v: Matrix) => encodeHostRows(parts, encoder, v, options);
      return rows > 1 || options.sample ? run(m) : meanOfOneRow(m, matrixRowsTwice, run);
    }
    const sparseEncoder = input.encoder ?? input.scanned;
    if (sparseEncoder) {
      const first = input.sparse ?? (xt as tf.Tensor2D);
      const run = (v: SparseMatrix | tf.Tensor2D) => encodeSparse(parts, sparseEncoder, v, options);
      if (rows > 1 || options.sample) return run(first);
      return meanOfOneRow(first, (v) => (v instanceof tf.Tensor ? rowsTwice(v) : csrRowsTwice(v)), run);
    }
    const features = needed ? covariateBlock(parts, cov, rows, 'VAE.encode') : undefined;
    const encodeDense = (xb: tf.Tensor2D, fb: typeof features, seed: number | undefined): tf.Tensor2D => {
      if (options.sample) return posteriorFrom(parts, xb, fb).sample([], { seed }) as tf.Tensor2D;
      const mean = ([xr, fr]: [tf.Tensor2D, typeof features]) =>
        parts.latent.posteriorMean(
          applyHidden(parts.encoder, parts.config.inputTransform === 'log1p' ? tf.log1p(xr) : xr, fr),
        );
      if (xb.shape[0] > 1) return mean([xb, fb]);
      const twice = ([xr, fr]: [tf.Tensor2D, typeof features]): [tf.Tensor2D, typeof features] => [
        rowsTwice(xr),
        fr && { ...fr, block: rowsTwice(fr.block) },
      ];
      return meanOfOneRow([xb, fb], twice, mean);
    };
    if (!input.blocks) return encodeDense(xt!, features, options.seed);
    return encodeInDenseBlocks(input.blocks, (xb, start) =>
      encodeDense(
        xb,
        features && { ...features, block: tf.slice(features.block, [start, 0], [xb.shape[0], -1]) },
        options.seed === undefined ? undefined : options.seed + start,
      ),
    );
  });
}

/**
 * How encode reads x: checked CSR rows for the sparse path (with the MLP that takes them), checked CSR rows to densify
 * block by block (`blocks`: the sparse path does not apply), checked dense rows (dense x that `'auto'` found too
 * dense), dense x whose first layer the native kernel computes from the non-zeros it finds itself (`scanned`: the MLP;
 * x is read by `inputTensor`, as on the dense path), checked dense host rows that the first layer's kernel reads in
 * place (`host`: not uploaded; the dense path's bits), or none of these (dense x read by `inputTensor` as before:
 * today's bits). Nothing is a tensor yet: encode makes them in its tidy scope.
 */
function encoderInput(
  parts: VaeParts,
  x: DataInput | tf.Tensor | SparseMatrix,
  option: EncodeOptions['sparseInput'],
  kernelChecks = false,
): {
  sparse?: SparseMatrix;
  encoder?: MLP;
  blocks?: SparseMatrix;
  dense?: Matrix;
  scanned?: MLP;
  host?: { rows: Matrix; encoder: MLP };
} {
  const encoder = sparseEncoderLayers(parts);
  const rules = dataRules(parts);
  if (isSparseInput(x)) {
    const csr = readSparseData(x, parts.config.inputDim, rules, 'x', kernelChecks);
    return takesSparsePath(encoder, option, csr) ? { sparse: csr, encoder } : { blocks: csr };
  }
  if (!encoder || !(option === true || (option === 'auto' && sparseDenseIsNative())))
    return hostRows(parts, x, encoder);
  // `true` where the backend scans dense rows natively (SPARSE_INPUT_DENSE_KERNEL): the kernel makes the CSR of the
  // non-zero cells itself — the entries csrOfDense would store, in the same order, so the same bits — instead of a
  // pass of JavaScript over every cell (~2 ns each); x is checked and uploaded as for the dense path. With a log1p
  // input only for a tensor (already uploaded): for host rows log1p of every cell (0.85 ns each) and the dense upload
  // cost what the scan saves (10,000 × 2,000 counts: 1.04×, pairs 0.87–1.13), and the heap would hold x twice
  const scans = parts.config.inputTransform === 'none' || x instanceof tf.Tensor;
  if (option === true && scans && sparseInputDenseApplies(encoder.layers[0]!)) return { scanned: encoder };
  // rows of numbers are checked while they are read (before float32 rounds them); a Matrix or tensor is checked once,
  // on the stored values of its CSR form (a zero fits every domain: the same first error as the dense check)
  const rows = !(x instanceof tf.Tensor) && !isMatrixInput(x);
  const m = rows
    ? readData(x as DataInput, parts.config.inputDim, rules, 'x')
    : toMatrix(x as DataInput, parts.config.inputDim, 'x');
  const limit = option === 'auto' ? Math.floor(SPARSE_AUTO_DENSITY.dense * m.data.length) : m.data.length;
  const csr = csrOfDense(m, limit);
  if (!csr) {
    if (!rows) readData(m, parts.config.inputDim, rules, 'x');
    return inPlace(parts, m, encoder) ?? { dense: m };
  }
  if (!rows) checkSparseValues(csr, rules, 'x');
  return { sparse: csr, encoder };
}

/**
 * Dense host x for the dense path: checked (`readData`, as `inputTensor` checks it) and read in place by the first
 * layer's kernel where {@link inPlace} allows, else {} (`inputTensor` reads x: a tensor, or no such kernel).
 */
function hostRows(
  parts: VaeParts,
  x: DataInput | tf.Tensor,
  encoder: MLP | undefined,
): { host?: { rows: Matrix; encoder: MLP } } {
  if (!encoder || x instanceof tf.Tensor || parts.config.inputTransform !== 'none' || !denseHostAvailable()) return {};
  return inPlace(parts, readData(x as DataInput, parts.config.inputDim, dataRules(parts), 'x'), encoder) ?? {};
}

/** Whether the backend has the kernel that reads dense host rows in place (`denseOfHost`). */
function denseHostAvailable(): boolean {
  return tf.getKernel(DENSE_HOST_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * `{ host }` for checked dense rows m that the encoder's first layer reads in place (`denseReadsInPlace`: the kernel,
 * and m's values over a plain ArrayBuffer), with no input transform (log1p would need a transformed copy); else
 * undefined.
 */
function inPlace(
  parts: VaeParts,
  m: Matrix,
  encoder: MLP | undefined,
): { host: { rows: Matrix; encoder: MLP } } | undefined {
  return encoder && parts.config.inputTransform === 'none' && m.rows > 0 && denseReadsInPlace(m)
    ? { host: { rows: m, encoder } }
    : undefined;
}

/** A Matrix `{ data, rows, cols }` (not rows of numbers). */
function isMatrixInput(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'data' in x && 'rows' in x && 'cols' in x;
}

/** `VAE.decode`: the likelihood p(x|z), owning the tensors it is built from. */
export function decodeLatents(
  parts: VaeParts,
  z: DataInput | tf.Tensor,
  options: DecodeOptions | ArrayLike<number>,
): Distribution {
  const opts: DecodeOptions =
    typeof options === 'object' && options !== null && 'length' in options
      ? { librarySize: options as ArrayLike<number> }
      : (options as DecodeOptions);
  checkInferenceOptions('decode', opts);
  const m = readData(z as DataInput, parts.config.latentDim, LATENT_RULES, 'z');
  const rows = m.rows;
  const sizes = librarySizes('VAE.decode', parts.config, rows, opts.librarySize);
  const cov = readCovariates(parts.config.covariates, opts.covariates, rows, 'VAE.decode', { broadcast: true });
  // The distribution owns what it is built from (docs/memory.md): its dispose() frees the tensors made here, and
  // an enclosing tidy frees them too. z is cloned (free: it shares the data): dispose() never frees the caller's z.
  return buildOwned(() => {
    const zt = z instanceof tf.Tensor && z.dtype === 'float32' ? tf.clone(z) : tf.tensor2d(m.data, [m.rows, m.cols]);
    const logLib = sizes ? tf.log(tf.tensor2d(sizes, [rows, 1])) : undefined;
    return likelihoodOf(parts, zt, logLib, cov && tf.tensor2d(cov.data, [cov.rows, cov.cols], 'float32'));
  });
}

/**
 * `VAE.reconstruct`: the decoder's mean at the posterior point. A CSR x goes through the encoder's first layer on its
 * stored entries, as in `encode` (row totals for a library-size model from the stored values).
 */
export function reconstructRows(
  parts: VaeParts,
  x: DataInput | tf.Tensor | SparseMatrix,
  options: ReconstructOptions,
): tf.Tensor2D {
  checkInferenceOptions('reconstruct', options);
  const input = isSparseInput(x) ? encoderInput(parts, x, undefined) : {};
  return tf.tidy(() => {
    const { sparse } = input;
    if (sparse) {
      const covariates = covariateRows(parts, options.covariates, sparse.rows, 'VAE.reconstruct');
      const logLib = parts.config.librarySize
        ? tf.log(tf.maximum(tf.tensor2d(rowTotals(sparse), [sparse.rows, 1]), 1))
        : undefined;
      return likelihoodOf(
        parts,
        encodeSparse(parts, input.encoder!, sparse, {}),
        logLib,
        covariates,
      ).mean() as tf.Tensor2D;
    }
    // reconstruct's output is as large as x dense: a CSR x is densified whole here
    const xt = input.blocks
      ? tf.tensor2d(densified(input.blocks), [input.blocks.rows, input.blocks.cols], 'float32')
      : inputTensor(parts, x as DataInput | tf.Tensor);
    const covariates = covariateRows(parts, options.covariates, xt.shape[0], 'VAE.reconstruct');
    const inputs = variationalInputsOf(parts, xt, { covariates });
    // the point summary of q(z|x) (not posterior.mean(): flows and relaxed latents have no closed-form mean)
    return inputs.decode(posteriorPoint(parts, xt, covariates)).mean() as tf.Tensor2D;
  });
}

/** Every row of a CSR matrix, dense (row-major). */
function densified(x: SparseMatrix): Float32Array {
  const all = Int32Array.from({ length: x.rows }, (_, i) => i);
  return sparseRowsInto(x, all, new Float32Array(x.rows * x.cols));
}

/** Σ_j x_ij of each row of a CSR matrix (float32, as the dense path sums). */
function rowTotals(x: SparseMatrix): Float32Array {
  const totals = new Float32Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let e = x.indptr[i]!; e < x.indptr[i + 1]!; e++) s += x.data[e]!;
    totals[i] = s;
  }
  return totals;
}

/** `VAE.sample`: z ~ p(z), then x ~ p(x|z) (or E[x|z] with `{ mean: true }`). */
export function generate(parts: VaeParts, n: number, options: GenerateOptions): tf.Tensor2D {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ArgumentError('n', `VAE.sample: "n" must be a positive integer, got ${showValue(n)}`);
  }
  checkOutputSize('VAE.sample', 'n', n, parts.config.inputDim);
  checkInferenceOptions('sample', options);
  const sizes = librarySizes('VAE.sample', parts.config, n, options.librarySize);
  const covariates = readCovariates(parts.config.covariates, options.covariates, n, 'VAE.sample', {
    broadcast: true,
  });
  return tf.tidy(() => {
    const z = parts.latent.prior().sample([n], { seed: options.seed });
    const p = decodeLatents(parts, z, { ...(sizes && { librarySize: sizes }), ...(covariates && { covariates }) });
    return (
      options.mean ? p.mean() : p.sample([], { seed: options.seed === undefined ? undefined : options.seed + 1 })
    ) as tf.Tensor2D;
  });
}

/** `VAE.interpolate`: the decoder means along the line between the posterior points of a and b. */
export function interpolateRows(
  parts: VaeParts,
  a: DataInput | tf.Tensor,
  b: DataInput | tf.Tensor,
  steps: number,
  options: InterpolateOptions,
): tf.Tensor2D {
  checkInferenceOptions('interpolate', options);
  if (!Number.isInteger(steps) || steps < 2)
    throw new ArgumentError('steps', `VAE.interpolate: "steps" must be an integer >= 2, got ${showValue(steps)}`);
  if (steps > INFERENCE_LIMITS.maxInterpolationSteps) {
    throw new ArgumentError(
      'steps',
      `VAE.interpolate: "steps" is ${steps}, above the limit of ${INFERENCE_LIMITS.maxInterpolationSteps} (INFERENCE_LIMITS.maxInterpolationSteps)`,
    );
  }
  checkOutputSize('VAE.interpolate', 'steps', steps, parts.config.inputDim);
  const cov = readCovariates(parts.config.covariates, options.covariates, 1, 'VAE.interpolate');
  return tf.tidy(() => {
    const c1 = cov && tf.tensor2d(cov.data, [1, cov.cols], 'float32');
    const ends = (
      [
        [a, 'a'],
        [b, 'b'],
      ] as const
    ).map(([x, name]) => {
      const xt = inputTensor(parts, x, name);
      if (xt.shape[0] !== 1) {
        throw new ShapeError(
          name,
          `VAE.interpolate: "${name}" must be one example [1, ${parts.config.inputDim}], got ${xt.shape[0]} rows`,
        );
      }
      return xt;
    });
    const [xa, xb] = ends as [tf.Tensor2D, tf.Tensor2D];
    const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
    const along = (ua: tf.Tensor, ub: tf.Tensor) => tf.add(tf.mul(tf.sub(1, t), ua), tf.mul(t, ub));
    const z = along(posteriorPoint(parts, xa, c1), posteriorPoint(parts, xb, c1));
    const logLibrary = (x: tf.Tensor) => tf.log(tf.maximum(tf.sum(x, 1, true), 1));
    const logLib = parts.config.librarySize ? along(logLibrary(xa), logLibrary(xb)) : undefined;
    return likelihoodOf(parts, z, logLib, c1 && tf.tile(c1, [steps, 1])).mean() as tf.Tensor2D;
  });
}
