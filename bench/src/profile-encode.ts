#!/usr/bin/env node
/**
 * `node bench/dist/profile-encode.js [--backend wasm-native] [--repeats N] [--no-torch] [--json FILE]`: where the
 * time of the `mnist-vae-encode` workload goes — `VAE.encode` of MNIST's 10,000 images (784-400-20 Bernoulli) —
 * split into the data check, the upload, each kernel (a census of one call), the JavaScript around them and the
 * read-back, beside the first layer's product alone; and the same split for PyTorch (`torch_vae.py`'s
 * `encode_profile`: the whole encode and its parts alone). Each figure is the best of `--repeats` after a warm-up.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';
import { VAE, validateDomain } from '@varia/vae';
import { ENCODE_WORKLOADS } from './encode-workloads.js';
import { startKernelCensus } from './kernel-census.js';
import { runTorch } from './torch.js';
import { cpuNow } from './workloads.js';
import { flagValue } from './script-flags.js';

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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const repeats = Number(flagValue('--repeats') ?? 7);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`--repeats must be a positive integer, got ${repeats}`);
  const selection = await selectBackend((flagValue('--backend') ?? 'wasm-native') as BackendRequest);
  const spec = ENCODE_WORKLOADS['mnist-vae-encode'];
  const data = spec.data(false);
  const { inputDim, hidden, latentDim, likelihood } = spec.model;
  const vae = new VAE({ inputDim, latentDim, hiddenUnits: [hidden], likelihood, seed: 0 });
  const kernel = vae.namedVariables().get('encoder/0/kernel')!;
  const bias = vae.namedVariables().get('encoder/0/bias')!;
  const x = tf.tensor2d(data.data, [data.rows, data.cols], 'float32');
  const varia: Record<string, Phase> = {};
  const census: { name: string; calls: number; ms: number }[] = [];
  try {
    varia.encode = await bestPhase(repeats, async () => {
      const z = vae.encode(data);
      await z.data();
      z.dispose();
    });
    varia['encode call (until it returns)'] = await bestPhase(repeats, () => vae.encode(data).dispose());
    // the read-back: the whole minus the call (kernels run synchronously on wasm and cpu: the call computes z)
    varia['read-back of z (z.data())'] = {
      ms: Math.max(0, varia.encode.ms - varia['encode call (until it returns)'].ms),
      cpuMs: Math.max(0, varia.encode.cpuMs - varia['encode call (until it returns)'].cpuMs),
    };
    varia['data check ([0, 1], finite)'] = await bestPhase(repeats, () =>
      validateDomain(data, 'unit-interval', likelihood, 'x'),
    );
    varia['upload (tf.tensor2d of the rows)'] = await bestPhase(repeats, () =>
      tf.tensor2d(data.data, [data.rows, data.cols], 'float32').dispose(),
    );
    varia['first layer alone (fused x·W + b, relu)'] = await bestPhase(repeats, () =>
      tf.fused.matMul({ a: x, b: kernel, bias, activation: 'relu' }).dispose(),
    );
    // a census per call, the best time of each kernel kept (the figures above are bests too)
    for (let r = 0; r < repeats; r++) {
      const c = startKernelCensus(tf.getBackend());
      try {
        vae.encode(data).dispose();
      } finally {
        for (const t of c.stop()) {
          const seen = census.find((k) => k.name === t.name);
          if (!seen) census.push({ name: t.name, calls: t.calls, ms: t.ms });
          else seen.ms = Math.min(seen.ms, t.ms);
        }
      }
    }
  } finally {
    x.dispose();
    vae.dispose();
  }
  const torch =
    argv.includes('--no-torch') === false
      ? runTorch(data, {
          workload: 'encode_profile',
          likelihood,
          hidden,
          latent: latentDim,
          encode_repeats: repeats,
          threads: 1,
        })
      : undefined;
  const f = (v: number): string => v.toFixed(1).padStart(8);
  const inKernels = census.reduce((s, t) => s + t.ms, 0);
  const call = varia['encode call (until it returns)'];
  const outside =
    call.ms - inKernels - varia['data check ([0, 1], finite)'].ms - varia['upload (tf.tensor2d of the rows)'].ms;
  const backend = `${selection.candidate}${selection.native ? ` (${selection.native.description})` : ''}`;
  const lines = [
    `VAE.encode of ${data.rows} MNIST images (${inputDim}-${hidden}-${latentDim} ${likelihood}) on ${backend}; best of ${repeats}; load ${os.loadavg()[0]!.toFixed(2)}`,
    '',
    'varia                                           wall ms   CPU ms',
    ...Object.entries(varia).map(([k, p]) => `${k.padEnd(44)} ${f(p.ms)} ${f(p.cpuMs)}`),
    '',
    'kernels of one encode call (census)       calls   ms',
    ...census.map((t) => `${t.name.padEnd(40)} ${t.calls.toFixed(0).padStart(5)} ${f(t.ms)}`),
    `${'all kernels'.padEnd(46)} ${f(inKernels)}`,
    `${'JS around them (call − kernels − check − upload)'.padEnd(46)} ${f(outside)}`,
  ];
  if (torch?.phases)
    lines.push(
      '',
      `PyTorch ${torch.torch_version}, 1 thread                     wall ms   CPU ms`,
      ...Object.entries(torch.phases).map(
        ([k, p]) => `${k.padEnd(44)} ${f(p.seconds * 1e3)} ${f(p.cpu_seconds * 1e3)}`,
      ),
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = flagValue('--json');
  if (out)
    writeFileSync(
      out,
      `${JSON.stringify({ backend, rows: data.rows, repeats, load: os.loadavg(), varia, census, torch }, null, 2)}\n`,
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
