#!/usr/bin/env node
/**
 * `node bench/dist/sparse-input-ab.js [--pairs 11] [--reps 40] [--parallel 1] [--old-addon FILE]`: the kernels that
 * skip an input's zeros against the dense ones they stand for, on wasm-native, as interleaved pairs in one process
 * (A, B, B, A, …; per pair the speed-up of the sparse kernel in wall and process CPU time, the medians, the load
 * average):
 *
 * - `forward`: `SPARSE_INPUT_DENSE_KERNEL` (relu, bias) against `_FusedMatMul` for the encoder's first layer of
 *   mnist-vae-train (128 real MNIST rows × 784 → 400; batches cycle through the first 10,240 images) and of the
 *   counts workload (128 rows of `sparse-1m`'s counts, log1p, × 2,000 → 128);
 * - `backward`: `SPARSE_INPUT_DENSE_BACKWARD_KERNEL` against `DENSE_BACKWARD_KERNEL` without dx, same data;
 * - `csr-encode`: `SPARSE_DENSE_KERNEL` on MNIST's 10,000 images (split 'all') as CSR (→ 400, relu) against `_FusedMatMul` on
 *   the dense rows — and, with `--old-addon FILE` (another build of the addon, e.g. of an earlier commit), against
 *   that build's `sparseDense` on the same tensors.
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import {
  DENSE_BACKWARD_KERNEL,
  type Matrix,
  SPARSE_DENSE_KERNEL,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  sparseRowsToDense,
} from '@varia/core';
import { mnist } from '@varia/datasets';
import { selectBackend } from '@varia/playground/backend';
import { median } from './rounds.js';
import { flag } from './script-flags.js';
import { SPARSE_1M, SparseCounts } from './sparse-counts.js';

const pairs = Number(flag('pairs', '11'));
const reps = Number(flag('reps', '40'));
const parallel = Number(flag('parallel', '1'));
const oldAddon = flag('old-addon', '');

/** Wall and process-CPU milliseconds per call of `f` (run `reps` times; its outputs disposed). */
function time(f: () => tf.Tensor | tf.Tensor[]): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) tf.dispose(f());
  const wall = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / reps };
}

/** Interleaved pairs of the dense `a` and the sparse `b`: the medians of a/b (wall and CPU) and both medians in ms. */
function compare(name: string, a: () => tf.Tensor | tf.Tensor[], b: () => tf.Tensor | tf.Tensor[]): void {
  tf.dispose([a(), b()]); // warm up
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const [ta, tb] = p % 2 === 0 ? [time(a), time(b)] : [time(b), time(a)].reverse();
    ratios.push(ta!.wall / tb!.wall);
    cpuRatios.push(ta!.cpu / tb!.cpu);
    as.push(ta!.wall);
    bs.push(tb!.wall);
  }
  const f = (v: number | undefined, d = 3) => (v ?? Number.NaN).toFixed(d);
  console.log(
    `${name.padEnd(44)} dense ${f(median(as))} ms, sparse ${f(median(bs))} ms: ×${f(median(ratios), 2)} wall, ×${f(median(cpuRatios), 2)} cpu (load ${os.loadavg()[0]!.toFixed(2)})`,
  );
}

/** The CSR of a dense matrix. */
function csrOf(m: Matrix) {
  const indptr = new Int32Array(m.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < m.cols; k++) {
      const v = m.data[i * m.cols + k]!;
      if (v !== 0) {
        indices.push(k);
        values.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

/** Forward and backward A/B for a first layer inDim → units on batches of 128 rows of `data`. */
function layer(name: string, data: Matrix, units: number, seed: number): void {
  const batch = 128;
  const batches = Math.min(80, Math.floor(data.rows / batch));
  const xs = Array.from({ length: batches }, (_, b) =>
    tf.tensor2d(data.data.subarray(b * batch * data.cols, (b + 1) * batch * data.cols), [batch, data.cols]),
  );
  const density = xs.reduce((s, x) => s + tf.tidy(() => tf.notEqual(x, 0).sum().dataSync()[0]!), 0);
  console.log(
    `${name}: ${batches} batches of ${batch} × ${data.cols}, ${((100 * density) / (batches * batch * data.cols)).toFixed(1)} % non-zero, → ${units}`,
  );
  const w = tf.randomNormal([data.cols, units], 0, 0.05, 'float32', seed) as tf.Tensor2D;
  const bias = tf.randomNormal([units], 0, 0.05, 'float32', seed + 1) as tf.Tensor1D;
  const dy = tf.randomNormal([batch, units], 0, 1, 'float32', seed + 2) as tf.Tensor2D;
  let i = 0;
  const next = () => xs[i++ % batches]!;
  compare(
    `${name} forward (relu)`,
    () => tf.fused.matMul({ a: next(), b: w, bias, activation: 'relu' }),
    () =>
      tf
        .engine()
        .runKernel(SPARSE_INPUT_DENSE_KERNEL, { x: next(), kernel: w, bias }, { activation: 'relu' }) as tf.Tensor,
  );
  const ys = xs.map((x) => tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }));
  let j = 0;
  const pair = () => {
    const k = j++ % batches;
    return { dy, y: ys[k]!, x: xs[k]! };
  };
  compare(
    `${name} backward (dW, db; relu)`,
    () =>
      tf
        .engine()
        .runKernel(
          DENSE_BACKWARD_KERNEL,
          { ...pair(), kernel: w },
          { activation: 'relu', inputGradient: false },
        ) as tf.Tensor[],
    () => tf.engine().runKernel(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, pair(), { activation: 'relu' }) as tf.Tensor[],
  );
  tf.dispose([...xs, ...ys, w, bias, dy]);
}

/** The CSR kernel on MNIST's 10,000 images against the dense product (and another build's CSR kernel). */
function csrEncode(): void {
  const test = mnist({ split: 'all' }).x;
  const csr = csrOf(test);
  const units = 400;
  const w = tf.randomNormal([test.cols, units], 0, 0.05, 'float32', 7) as tf.Tensor2D;
  const bias = tf.randomNormal([units], 0, 0.05, 'float32', 8) as tf.Tensor1D;
  const x = tf.tensor2d(test.data, [test.rows, test.cols]);
  const inputs = {
    indptr: tf.tensor1d(csr.indptr, 'int32'),
    indices: tf.tensor1d(csr.indices, 'int32'),
    values: tf.tensor1d(csr.values),
    kernel: w,
    bias,
  };
  const sparse = () => tf.engine().runKernel(SPARSE_DENSE_KERNEL, inputs, { activation: 'relu' }) as tf.Tensor;
  console.log(
    `csr-encode: ${test.rows} × ${test.cols}, ${((100 * csr.values.length) / test.data.length).toFixed(1)} % stored, → ${units}`,
  );
  compare(
    'csr-encode SPARSE_DENSE_KERNEL vs _FusedMatMul',
    () => tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }),
    sparse,
  );
  if (oldAddon) {
    const old = createRequire(import.meta.url)(oldAddon) as { sparseDense(...args: unknown[]): void };
    const backend = tf.backend() as unknown as {
      dataIdMap: { get(id: unknown): { memoryOffset: number } };
      makeOutput(shape: number[], dtype: string): tf.TensorInfo;
      wasm: { HEAPU8: Uint8Array };
    };
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const oldCall = () => {
      const out = tf.zeros([test.rows, units]);
      old.sparseDense(
        backend.wasm.HEAPU8.buffer,
        test.rows,
        test.cols,
        units,
        csr.values.length,
        at(inputs.indptr),
        at(inputs.indices),
        at(inputs.values),
        at(w),
        at(bias),
        at(out),
        1,
        0.2,
      );
      return out;
    };
    const check = tf.tidy(() => tf.sub(oldCall(), sparse()).abs().max().dataSync()[0]!);
    console.log(`  old build vs this one: max |Δ| = ${check}`);
    compare('csr-encode old sparseDense (A) vs this one (B)', oldCall, sparse);
  }
  tf.dispose([x, inputs.indptr, inputs.indices, inputs.values, w, bias]);
}

await selectBackend('wasm-native', { nativeParallel: parallel });
await tf.ready();
console.log(
  `backend ${tf.getBackend()}, parallel ${parallel}, ${pairs} pairs of ${reps} calls; uptime load ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
const images = mnist({ split: 'train' }).x;
layer('mnist 784→400', images, 400, 1);
const counts = new SparseCounts(SPARSE_1M).csr(128 * 20);
const countRows = sparseRowsToDense(counts, 0, counts.rows);
layer('counts log1p 2000→128', { ...countRows, data: countRows.data.map(Math.log1p) }, 128, 2);
csrEncode();
