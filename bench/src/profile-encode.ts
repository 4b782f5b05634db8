#!/usr/bin/env node
/**
 * `node bench/dist/profile-encode.js [--workload mnist|counts] [--input dense|csr|dense-sparse] [--parallel N]
 * [--backend wasm-native] [--repeats N] [--no-torch] [--json FILE]`: where the time of an encode workload goes —
 * `VAE.encode` of MNIST's 10,000 images (784-400-20 Bernoulli; `mnist`) or of 10,000 synthetic count rows
 * (2000-128-10 Poisson, log1p input; `counts`) — given as dense rows (`dense`: the dense product), as a CSR
 * `SparseMatrix` (`csr`: the `*-encode-sparse` workloads) or as dense rows with `{ sparseInput: true }`
 * (`dense-sparse`: converted to CSR inside encode). It splits one encode into the checks of the input, the uploads,
 * each kernel (a census of one call), the JavaScript around them and the read-back; for dense input beside the first
 * layer's product alone and (MNIST) the same split for PyTorch (`torch_vae.py`'s `encode_profile`). `--parallel N`
 * (wasm-native): N threads share the large products (`enableNativeKernels({ parallel: N })`, the bench's both cores).
 * Each figure is the best of `--repeats` after a warm-up.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import {
  assertSparseMatrix,
  type Matrix,
  SPARSE_DENSE_HOST_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
  type SparseMatrix,
} from '@varia/core';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';
import { type EncodeOptions, VAE, validateDomain } from '@varia/vae';
import { ENCODE_WORKLOADS, type EncodeSpec } from './encode-workloads.js';
import { startKernelCensus } from './kernel-census.js';
import { rerunWithMallocEnv } from './malloc-env.js';
import { flagValue, parallelFlag } from './script-flags.js';
import { blasCandidates } from './openblas-core.js';
import { probeTorch, runTorch } from './torch.js';
import { cpuNow, csrOfDense } from './workloads.js';

/** One phase: best wall and CPU milliseconds. */
interface Phase {
  ms: number;
  cpuMs: number;
}

/** The best of `repeats` timings of `run` (after one warm-up call), wall and process CPU time. */
async function bestPhase(repeats: number, run: () => unknown): Promise<Phase> {
  await run();
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const c0 = cpuNow();
    await run();
    ms = Math.min(ms, performance.now() - t0);
    cpuMs = Math.min(cpuMs, (cpuNow() - c0) * 1e3);
  }
  return { ms, cpuMs };
}

const INPUTS = ['dense', 'csr', 'dense-sparse'] as const;
type InputKind = (typeof INPUTS)[number];
const WORKLOADS = { mnist: 'mnist-vae-encode', counts: 'counts-vae-encode-sparse' } as const;

/** A command-line choice among `allowed`. */
function choice<T extends string>(option: string, allowed: readonly T[], fallback: T): T {
  const v = (flagValue(option) ?? fallback) as T;
  if (!allowed.includes(v)) throw new Error(`${option} must be one of ${allowed.join(', ')}, got ${v}`);
  return v;
}

/**
 * The parts of encode that run outside kernels and can be timed alone, for the route encode took: dense rows read as
 * such (`denseRows`: dense input, or dense rows with sparseInput that the scanning kernel took) are checked cell by cell
 * and uploaded whole; a CSR — given, or made of dense rows by encode (a log1p model) — has its stored values checked
 * and its three arrays uploaded, and a given one its structure checked; unless the kernel read it in place
 * (`inPlace`: SPARSE_DENSE_HOST_KERNEL checks the structure itself; only values for a log1p on the backend uploaded).
 */
function hostParts(
  input: InputKind,
  denseRows: boolean,
  dense: Matrix,
  csr: SparseMatrix,
  spec: EncodeSpec,
  inPlace = { kernel: false, log1p: false },
) {
  const domain = spec.model.likelihood === 'poisson' ? 'counts' : 'unit-interval';
  const { likelihood } = spec.model;
  const parts: Record<string, () => unknown> = {};
  if (denseRows) {
    parts[`data check (${domain}, every cell)`] = () => validateDomain(dense, domain, likelihood, 'x');
    parts['upload (tf.tensor2d of the rows)'] = () => tf.tensor2d(dense.data, [dense.rows, dense.cols]).dispose();
    return parts;
  }
  if (input === 'csr' && !inPlace.kernel)
    parts['CSR structure check (assertSparseMatrix)'] = () => assertSparseMatrix(csr, 'x');
  parts[`stored values check (${domain})`] = () =>
    validateDomain({ data: csr.data, rows: csr.data.length, cols: 1 }, domain, likelihood, 'x');
  if (inPlace.kernel) {
    if (inPlace.log1p) parts['upload (values, for log1p on the backend)'] = () => tf.tensor1d(csr.data).dispose();
    return parts;
  }
  parts['uploads (indptr, indices, values)'] = () =>
    tf.dispose([tf.tensor1d(csr.indptr, 'int32'), tf.tensor1d(csr.indices, 'int32'), tf.tensor1d(csr.data)]);
  return parts;
}

async function main(): Promise<void> {
  // with glibc's malloc keeping freed buffers, as the bench runs (malloc-env.ts): this script is run again with it
  const rerun = await rerunWithMallocEnv();
  if (rerun !== undefined) process.exit(rerun);
  const repeats = Number(flagValue('--repeats') ?? 7);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`--repeats must be a positive integer, got ${repeats}`);
  const parallel = parallelFlag(flagValue('--parallel'));
  const workload = choice('--workload', ['mnist', 'counts'] as const, 'mnist');
  const input = choice('--input', INPUTS, workload === 'mnist' ? 'dense' : 'csr');
  const selection = await selectBackend((flagValue('--backend') ?? 'wasm-native') as BackendRequest, {
    nativeParallel: parallel,
  });
  const spec = ENCODE_WORKLOADS[WORKLOADS[workload]];
  const dense = spec.data(false);
  const csr = csrOfDense(dense);
  const data: Matrix | SparseMatrix = input === 'csr' ? csr : dense;
  const options: EncodeOptions = input === 'dense-sparse' ? { sparseInput: true } : {};
  const { inputDim, hidden, latentDim, likelihood } = spec.model;
  const vae = new VAE({ inputDim, latentDim, hiddenUnits: [hidden], likelihood, seed: 0 });
  const varia: Record<string, Phase> = {};
  const census: { name: string; calls: number; ms: number }[] = [];
  let denseRows = false;
  const inPlace = { kernel: false, log1p: false };
  try {
    varia.encode = await bestPhase(repeats, async () => {
      const z = vae.encode(data, options);
      await z.data();
      z.dispose();
    });
    // the call (kernels run synchronously on wasm and cpu: the call computes z) and the read-back, each timed alone
    const call = { ms: Infinity, cpuMs: Infinity };
    const readBack = { ms: Infinity, cpuMs: Infinity };
    const keepBest = (into: Phase, t0: number, c0: number) => {
      into.ms = Math.min(into.ms, performance.now() - t0);
      into.cpuMs = Math.min(into.cpuMs, (cpuNow() - c0) * 1e3);
    };
    for (let r = 0; r <= repeats; r++) {
      const t0 = performance.now();
      const c0 = cpuNow();
      const z = vae.encode(data, options);
      if (r > 0) keepBest(call, t0, c0);
      const t1 = performance.now();
      const c1 = cpuNow();
      await z.data();
      if (r > 0) keepBest(readBack, t1, c1);
      z.dispose();
    }
    varia['encode call (until it returns)'] = call;
    varia['read-back of z (z.data())'] = readBack;
    // a census per call, the best time of each kernel kept (the figures above are bests too)
    for (let r = 0; r < repeats; r++) {
      const c = startKernelCensus(tf.getBackend());
      try {
        vae.encode(data, options).dispose();
      } finally {
        for (const t of c.stop()) {
          const seen = census.find((k) => k.name === t.name);
          if (!seen) census.push({ name: t.name, calls: t.calls, ms: t.ms });
          else seen.ms = Math.min(seen.ms, t.ms);
        }
      }
    }
    denseRows = input === 'dense' || census.some((t) => t.name === SPARSE_INPUT_DENSE_KERNEL);
    inPlace.kernel = census.some((t) => t.name === SPARSE_DENSE_HOST_KERNEL);
    inPlace.log1p = census.some((t) => t.name === 'Log1p');
    for (const [name, run] of Object.entries(hostParts(input, denseRows, dense, csr, spec, inPlace)))
      varia[name] = await bestPhase(repeats, run);
    if (input === 'dense') {
      const kernel = vae.namedVariables().get('encoder/0/kernel')!;
      const bias = vae.namedVariables().get('encoder/0/bias')!;
      const x = tf.tensor2d(dense.data, [dense.rows, dense.cols], 'float32');
      try {
        varia['first layer alone (fused x·W + b, relu)'] = await bestPhase(repeats, () =>
          tf.fused.matMul({ a: x, b: kernel, bias, activation: 'relu' }).dispose(),
        );
      } finally {
        x.dispose();
      }
    }
  } finally {
    vae.dispose();
  }
  const torch =
    input === 'dense' && workload === 'mnist' && !process.argv.includes('--no-torch')
      ? runTorch(
          dense,
          {
            workload: 'encode_profile',
            likelihood,
            hidden,
            latent: latentDim,
            encode_repeats: repeats,
            threads: 1,
          },
          undefined,
          strongestBlas(),
        )
      : undefined;
  const f = (v: number): string => v.toFixed(1).padStart(8);
  const inKernels = census.reduce((s, t) => s + t.ms, 0);
  const call = varia['encode call (until it returns)']!;
  const hostNames = Object.keys(hostParts(input, denseRows, dense, csr, spec, inPlace));
  const host = hostNames.reduce((s, k) => s + varia[k]!.ms, 0);
  const outside = call.ms - inKernels - host;
  // on one thread the call's CPU time is its wall time without the waits of a busy machine (the kernels' times are
  // wall: best of repeats); with helpers it also counts their time, so only the wall figure is given
  const outsideCpu = parallel === 1 ? call.cpuMs - inKernels - hostNames.reduce((s, k) => s + varia[k]!.cpuMs, 0) : NaN;
  const backend = `${selection.candidate}${selection.native ? ` (${selection.native.description})` : ''}`;
  const stored = `${((100 * csr.data.length) / (dense.rows * dense.cols)).toFixed(1)} % non-zero`;
  const lines = [
    `VAE.encode of ${dense.rows} ${spec.what} (${inputDim}-${hidden}-${latentDim} ${likelihood}; ${stored}) given as ${
      input === 'csr' ? 'CSR' : input === 'dense' ? 'dense rows' : 'dense rows with sparseInput: true'
    } on ${backend}${parallel > 1 ? `, parallel ${parallel}` : ''}; best of ${repeats}; load ${os.loadavg()[0]!.toFixed(2)}`,
    '',
    'varia                                           wall ms   CPU ms',
    ...Object.entries(varia).map(([k, p]) => `${k.padEnd(44)} ${f(p.ms)} ${f(p.cpuMs)}`),
    '',
    'kernels of one encode call (census)       calls  wall ms   CPU ms (JS: one thread)',
    ...census.map((t) => `${t.name.padEnd(40)} ${t.calls.toFixed(0).padStart(5)} ${f(t.ms)}`),
    `${'all kernels'.padEnd(46)} ${f(inKernels)}`,
    `${(input === 'dense-sparse' && !denseRows ? 'JS: the CSR conversion of the rows and the rest' : 'JS around them (call − kernels − parts above)').padEnd(46)} ${f(outside)} ${Number.isNaN(outsideCpu) ? '' : f(outsideCpu)}`,
  ];
  if (torch?.phases)
    lines.push(
      '',
      `${`PyTorch ${torch.torch_version}, 1 thread${torch.blas_core ? `, OpenBLAS ${torch.blas_core}` : ''}`.padEnd(44)}  wall ms   CPU ms`,
      ...Object.entries(torch.phases).map(
        ([k, p]) => `${k.padEnd(44)} ${f(p.seconds * 1e3)} ${f(p.cpu_seconds * 1e3)}`,
      ),
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = flagValue('--json');
  if (out)
    writeFileSync(
      out,
      `${JSON.stringify({ backend, workload, input, parallel, rows: dense.rows, repeats, load: os.loadavg(), varia, census, outside, outsideCpu, torch }, null, 2)}\n`,
    );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`profile failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * The environment of PyTorch's strongest OpenBLAS core here: `OPENBLAS_CORETYPE=SkylakeX` where the bench would try it
 * (an AVX-512 CPU whose OpenBLAS runs another core, see openblas-core.ts), else the environment as it stands.
 */
function strongestBlas(): Record<string, string> {
  const probe = probeTorch();
  const candidates = blasCandidates('blas' in probe ? probe.blas : undefined);
  return candidates[candidates.length - 1]!.env;
}
