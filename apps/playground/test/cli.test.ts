/**
 * The CLI as a subprocess under plain Node (not vitest's module loader: tfjs' gradient registration differs there).
 * Needs `dist/` (the package's `build`; turbo's `test` depends on it).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silenceCpuBanner } from '../src/backend.js';
import { PACKAGE_ROOT, runCli } from './helpers.js';

let work: string;

beforeAll(async () => {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run `pnpm --filter @varia/playground build` first');
  }
  work = await mkdtemp(join(tmpdir(), 'varia-cli-test-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface EpochLine {
  event: 'epoch';
  epoch: number;
  loss: number;
}

/** Parses stdout of `--json`: every line must be one JSON object. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`--json printed a line that is not JSON: ${JSON.stringify(line)}`);
    }
  });
}

function expectTrainedRun(stdout: string, epochs: number): Record<string, unknown> {
  const events = jsonLines(stdout);
  // one key style (camelCase) and one sign convention (costs, ≥ 0, loss = recon + β·kl) in every event
  for (const e of events) for (const key of Object.keys(e)) expect(key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
  for (const e of events.filter((e) => e.event === 'epoch')) {
    const { loss, recon, kl, beta } = e as { loss: number; recon: number; kl: number; beta: number };
    expect(kl).toBeGreaterThanOrEqual(0);
    expect(loss).toBeCloseTo(recon + beta * kl, 2);
  }
  const epochLines = events.filter((e) => e.event === 'epoch') as unknown as EpochLine[];
  expect(epochLines.map((e) => e.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  expect(epochLines.at(-1)!.loss).toBeLessThan(epochLines[0]!.loss);
  const summary = events.at(-1)!;
  expect(summary.event).toBe('summary');
  expect(events.filter((e) => e.event !== 'epoch' && e.event !== 'summary')).toEqual([]);
  return summary;
}

/** The saved model loads back (whatever files the format uses) with the dataset's input width. */
async function expectLoadableModel(dir: string, inputDim: number): Promise<{ likelihood: string }> {
  // vitest may load a second copy of tfjs-backend-cpu; its first-use banner checks IS_TEST
  const tf = await import('@tensorflow/tfjs');
  tf.env().set('IS_TEST', true);
  silenceCpuBanner(tf);
  const { VAE } = await import('@varia/vae');
  const vae = await VAE.load(dir);
  try {
    expect(vae.config.inputDim).toBe(inputDim);
    return { likelihood: String(vae.config.likelihood) };
  } finally {
    vae.dispose();
  }
}

describe('varia-playground train (subprocess)', () => {
  it('trains a Gaussian VAE on the toy data, saves it and writes SVG + PNG plots', async () => {
    const out = join(work, 'gaussian-model');
    const plots = join(work, 'plots');
    const run = await runCli([
      'train',
      '--likelihood',
      'gaussian',
      '--dataset',
      'toy2d-separated',
      '--epochs',
      '4',
      '--batch-size',
      '64',
      '--hidden',
      '16',
      '--lr',
      '0.02',
      '--json',
      '--out',
      out,
      '--plots',
      plots,
    ]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const summary = expectTrainedRun(run.stdout, 4);
    expect(summary.likelihood).toBe('gaussian');
    await expectLoadableModel(out, 2);
    const files = (await readdir(plots)).sort();
    expect(files).toEqual(['data', 'latent', 'loss', 'reconstruction'].flatMap((n) => [`${n}.png`, `${n}.svg`]).sort());
    expect(summary.plotFiles).toHaveLength(8);
    for (const name of ['loss', 'data', 'latent', 'reconstruction']) {
      const svg = await readFile(join(plots, `${name}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/<path|<line|<circle|<rect/g)?.length ?? 0).toBeGreaterThan(10);
      const png = await readFile(join(plots, `${name}.png`));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBeGreaterThan(5_000);
    }
    // the latent scatter has one mark per plotted example (a random 2,000 of the 2,250 toy points)
    const latentSvg = await readFile(join(plots, 'latent.svg'), 'utf8');
    expect(latentSvg.match(/<path /g)?.length ?? 0).toBeGreaterThan(2000);
  });

  it('the default MNIST run shows what it learned: one backend line, ASCII digits, the gain over a latent-free model, η²', async () => {
    const out = join(work, 'mnist-model');
    const run = await runCli(['train', '--dataset', 'mnist', '--epochs', '3', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^backend: \S+ \(.*tfjs 4\.\d+\.\d+\)$/);
    expect(run.stdout).not.toMatch(/skipped|Hi, looks like|TensorFlow\.js in Node/);
    expect(lines[1]).toBe(
      'dataset: mnist-train (8000 × 784), bernoulli likelihood, network 784-400-20, 3 epochs, batch 128, lr 0.001',
    );
    expect(run.stdout).toMatch(/^Epoch 3\/3 {2}loss [\d.]+ {2}recon [\d.]+ {2}kl [\d.]+/m);
    // ASCII digits: inputs and reconstructions drawn with the ten shades, 4 images of 28 columns per line
    const art = lines.filter((l) => /^[ .:\-=+*#%@]+$/.test(l) && /[#%@]/.test(l));
    expect(art.length).toBeGreaterThan(10);
    const learned =
      /without a latent variable \(independent bernoulli features\): ([\d.]+) {2}→ the latent space saves ([\d.]+) nats/.exec(
        run.stdout,
      );
    expect(learned).not.toBeNull();
    expect(Number(learned![2])).toBeGreaterThan(20); // three epochs already beat the latent-free model clearly
    const share = /the labels \(digits\) explain (\d+)% of the latent means' spread/.exec(run.stdout);
    expect(Number(share![1])).toBeGreaterThan(5);
    expect(run.stdout).toContain(`model: ${out}`);
    expect(run.stdout).not.toMatch(/collapsed/);
  });

  it('trains a Poisson VAE on the count data', async () => {
    const out = join(work, 'poisson-model');
    const run = await runCli([
      'train',
      '--likelihood',
      'poisson',
      '--dataset',
      'counts',
      '--epochs',
      '3',
      '--batch-size',
      '64',
      '--hidden',
      '16',
      '--json',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const summary = expectTrainedRun(run.stdout, 3);
    expect(summary).toMatchObject({ likelihood: 'poisson', dataset: 'synthetic-counts', stopReason: 'completed' });
    const model = await expectLoadableModel(out, 20);
    expect(model.likelihood).toBe('poisson');
  });

  it('trains on the multithreaded wasm build with --backend wasm-threaded and says so', async () => {
    const run = await runCli([
      'train',
      '--dataset',
      'toy2d',
      '--backend',
      'wasm-threaded',
      '--epochs',
      '2',
      '--json',
      '--out',
      join(work, 'threaded-model'),
    ]);
    expect(run.code).toBe(0);
    const summary = expectTrainedRun(run.stdout, 2);
    expect(summary).toMatchObject({ backend: 'wasm', backendCandidate: 'wasm-threaded' });
  });

  // CI sets VARIA_REQUIRE_NATIVE_KERNELS=1 (it installs oneDNN and builds the addon); elsewhere the native path may be
  // absent, and then `auto` must fall back to plain wasm and say why.
  const nativeRequired = process.env.VARIA_REQUIRE_NATIVE_KERNELS === '1';

  it('auto picks wasm-native where the addon and a BLAS are present, and the same seed gives the same loss as plain wasm', async () => {
    const auto = await runCli([
      'train',
      '--dataset',
      'toy2d',
      '--epochs',
      '2',
      '--json',
      '--out',
      join(work, 'auto-model'),
    ]);
    expect(auto.code).toBe(0);
    const summary = expectTrainedRun(auto.stdout, 2);
    const plain = await runCli([
      'train',
      '--dataset',
      'toy2d',
      '--backend',
      'wasm',
      '--epochs',
      '2',
      '--json',
      '--out',
      join(work, 'plain-model'),
    ]);
    const plainSummary = expectTrainedRun(plain.stdout, 2);
    expect(plainSummary).toMatchObject({
      backend: 'wasm',
      backendCandidate: 'wasm',
      wasmKernels: '@varia/wasm-kernels (SIMD128)',
    });
    expect(plainSummary.nativeKernels).toBeUndefined();
    if (summary.backendCandidate === 'wasm-native') {
      expect(summary.wasmKernels).toBeUndefined();
      expect(summary.nativeKernels).toMatch(/^(oneDNN|OpenBLAS) .* \(1 thread(, 2 threads sharing blocks)?\)$/);
      // different summation order in the BLAS: equal to float rounding, not bit for bit
      expect(summary.finalLoss as number).toBeCloseTo(plainSummary.finalLoss as number, 3);
    } else {
      expect(nativeRequired).toBe(false);
      expect(summary.backendCandidate).toBe('wasm');
      expect(summary.wasmKernels).toBe('@varia/wasm-kernels (SIMD128)');
      // the same products in the same order: bit for bit
      expect(summary.finalLoss).toBe(plainSummary.finalLoss);
    }
  });

  // --parallel auto (the default): both cores where the machine has two or more; --parallel 1: one thread
  it.each([
    [[], availableParallelism() >= 2 ? ', 2 threads sharing blocks' : ''],
    [['--parallel', '1'], ''],
  ])(
    '--backend wasm-native %j says what computes the products, or fails with the reason (exit 1)',
    async (flags, sharing) => {
      const run = await runCli([
        'train',
        '--dataset',
        'toy2d',
        '--backend',
        'wasm-native',
        '--blas-threads',
        '1',
        ...flags,
        '--epochs',
        '1',
        '--out',
        join(work, `native-model${flags.join('')}`),
      ]);
      if (run.code === 0) {
        expect(run.stdout).toMatch(
          new RegExp(
            `^backend: wasm \\(wasm-native: (oneDNN|OpenBLAS) .*matMul \\(1 thread${sharing}\\) \\+ fused Adam, tfjs 4\\.\\d+\\.\\d+\\)$`,
            'm',
          ),
        );
      } else {
        expect(nativeRequired).toBe(false);
        expect(run.stderr).toMatch(/wasm-native: /);
      }
    },
  );

  it.each([
    [['train', '--epochs', '0'], /--epochs must be an integer >= 1, got "0"/],
    [['train', '--likelihood', 'gamma'], /--likelihood must be one of gaussian, .*poisson.*; got "gamma"/],
    [['train', '--bogus'], /Unknown option '--bogus'/],
    [['train', '--blas-threads', '0'], /--blas-threads must be an integer >= 1, got "0"/],
    [['train', '--epochs', '-1'], /--epochs must be an integer >= 1, got "-1"/],
    [['train', '--lr', '0x10'], /--lr must be a decimal number > 0, got "0x10"/],
    [['train', '--seed', '1', '--seed', '2'], /--seed is given more than once/],
    [['train', '--hidden', '300000000'], /--hidden must be at most 65536/],
    [['fly'], /unknown command "fly"/],
    [['serve', '--port', 'x'], /--port must be an integer >= 0, got "x"/],
  ])('rejects %j with exit code 2 and a clear message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
  });

  it('checks --out and --plots before training: a file, a non-empty directory without --force (exit 2, in seconds)', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'keep me');
    const started = Date.now();
    const asOut = await runCli(['train', '--dataset', 'toy2d', '--out', file]);
    expect(asOut.code).toBe(2);
    expect(asOut.stderr).toMatch(/^error: --out: .*a-file.*it is a file, not a directory$/m);
    const asPlots = await runCli(['train', '--dataset', 'toy2d', '--out', join(work, 'unused'), '--plots', file]);
    expect(asPlots.code).toBe(2);
    expect(asPlots.stderr).toMatch(/--plots: .*a-file.*is a file/);
    expect(asOut.stdout + asPlots.stdout).not.toMatch(/Epoch/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    const full = join(work, 'full');
    await mkdir(full);
    await writeFile(join(full, 'model.json'), '{}');
    const again = await runCli(['train', '--dataset', 'toy2d', '--epochs', '1', '--out', full]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty \(.*model\.json.*\); pass --force/);
    const forced = await runCli(['train', '--dataset', 'toy2d', '--epochs', '1', '--json', '--force', '--out', full]);
    expect(forced.code).toBe(0);
  });

  it('run again without --out, keeps the earlier model and saves to ./varia-model-2, saying so', async () => {
    const home = join(work, 'rerun');
    await mkdir(home);
    const args = ['train', '--dataset', 'toy2d', '--epochs', '1'];
    const first = await runCli(args, { cwd: home });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`model: ${join(home, 'varia-model')} `);
    expect(first.stdout).not.toMatch(/holds an earlier model/);
    const saved = await readdir(join(home, 'varia-model'));
    const second = await runCli(args, { cwd: home });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `varia-model holds an earlier model: this run saves to ${join(home, 'varia-model-2')} (--out DIR chooses, --force overwrites)`,
    );
    expect(second.stdout).toContain(`model: ${join(home, 'varia-model-2')} `);
    expect(await readdir(join(home, 'varia-model'))).toEqual(saved);
    await expectLoadableModel(join(home, 'varia-model-2'), 2);
    // --json prints JSON lines only; an empty ./varia-model-3 is taken as it is
    await mkdir(join(home, 'varia-model-3'));
    const third = await runCli(['train', '--dataset', 'toy2d', '--epochs', '2', '--json'], { cwd: home });
    expect(third.code).toBe(0);
    expect(expectTrainedRun(third.stdout, 2).modelDir).toBe(join(home, 'varia-model-3'));
    // an explicit --out keeps the strict rule
    const named = await runCli([...args, '--out', 'varia-model'], { cwd: home });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/--out .*varia-model: is not empty/);
  });

  it('exits 2 when the data does not fit the likelihood (Poisson on real-valued points)', async () => {
    const run = await runCli([
      'train',
      '--likelihood',
      'poisson',
      '--dataset',
      'toy2d',
      '--epochs',
      '1',
      '--out',
      join(work, 'never'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*(count|integer|non-negative)/im);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});
