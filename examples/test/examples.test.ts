// Runs each compiled example as a plain Node ESM subprocess (as a user would) and checks its exit code and the
// sanity values it prints on its `RESULT {json}` line. `pnpm test` depends on `build` (turbo), so dist/ is current.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, number | string | boolean>;
}

function runExample(name: string): Promise<Run> {
  const file = fileURLToPath(new URL(`../dist/${name}.js`, import.meta.url));
  if (!existsSync(file)) throw new Error(`${file} is missing: run "pnpm build" first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ code, stdout, stderr, result: line ? (JSON.parse(line.slice(7)) as Run['result']) : {} });
    });
  });
}

function expectOk(run: Run): void {
  expect(run.code, `exit code\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`).toBe(0);
}

describe('examples run under plain Node ESM', { timeout: 120_000 }, () => {
  it('distributions: closed-form log-densities, shapes and KL', async () => {
    const run = await runExample('distributions');
    expectOk(run);
    expect(run.result.normalLogProb0).toBeCloseTo(-0.5 - 0.5 * Math.log(2 * Math.PI), 5);
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (σ² + μ² − 1 − log σ²)
    const kl = 0.5 * (0.64 + 0.25 - 1 - Math.log(0.64) + (1.44 + 0.25 - 1 - Math.log(1.44)));
    expect(run.result.klAnalytic).toBeCloseTo(kl, 4);
    expect(run.result.nbVariance).toBeCloseTo(4 + 16 / 2, 4);
  });

  it('gaussian-vae: trains, the IWAE bound ≥ ELBO, save/load round trip', async () => {
    const run = await runExample('gaussian-vae');
    expectOk(run);
    expect(run.result.lastLoss as number).toBeLessThan(run.result.firstLoss as number);
    expect(run.result.iwae as number).toBeGreaterThanOrEqual((run.result.elbo as number) - 0.05);
  });

  it('poisson-vae: beats the independent-Poisson baseline on held-out counts', async () => {
    const run = await runExample('poisson-vae');
    expectOk(run);
    expect(run.result.testLoss as number).toBeLessThan(run.result.baselineNll as number);
  });

  it('custom-likelihood: a Laplace head trains and reloads', async () => {
    const run = await runExample('custom-likelihood');
    expectOk(run);
    expect(run.result.reloadedEqual).toBe(true);
    expect(run.result.lastLoss as number).toBeLessThan(run.result.firstLoss as number);
  });

  it('topic-model: logistic-normal and Dirichlet latents recover the known topics (best-match cosine)', async () => {
    const run = await runExample('topic-model');
    expectOk(run);
    for (const name of ['logisticNormal', 'dirichlet']) {
      expect(run.result[`${name}MeanCosine`] as number).toBeGreaterThan(0.9);
      expect(run.result[`${name}MeanCosine`] as number).toBeGreaterThan(run.result[`${name}InitialCosine`] as number);
    }
  });

  it('semi-supervised-m2: on the Trainer with labels as batch fields, q(y|x) learns the classes from 9 labels', async () => {
    const run = await runExample('semi-supervised-m2');
    expectOk(run);
    expect(run.result.accuracy as number).toBeGreaterThan(0.9);
  });

  it('cvae-mnist: samples of a requested digit are classified as that digit far above chance', {
    timeout: 240_000,
  }, async () => {
    const run = await runExample('cvae-mnist');
    expectOk(run);
    expect(run.result.classifierAccuracy as number).toBeGreaterThan(0.8);
    expect(run.result.matchRate as number).toBeGreaterThan(0.5);
    expect(run.result.baselineMatchRate as number).toBeLessThan(0.25);
  });

  it('batch-correction: the batch covariate mixes the batches in the latent and keeps the cell types', {
    timeout: 240_000,
  }, async () => {
    const run = await runExample('batch-correction');
    expectOk(run);
    expect(run.result.mixingCorrected as number).toBeGreaterThan((run.result.mixingPlain as number) + 0.3);
    expect(run.result.cellTypeCorrected as number).toBeGreaterThan(0.7);
  });

  it('hierarchical-vae: a user-written two-layer VAE trains on the Trainer (validation, early stopping, checkpoint)', async () => {
    const run = await runExample('hierarchical-vae');
    expectOk(run);
    expect(run.result.bestValLoss as number).toBeLessThan(run.result.firstValLoss as number);
    expect(run.result.bestEpoch as number).toBeGreaterThanOrEqual(1);
  });

  it('flow-posterior: IAF and RealNVP posteriors beat the best diagonal Gaussian on a banana posterior', async () => {
    const run = await runExample('flow-posterior');
    expectOk(run);
    const r = run.result as Record<string, number>;
    expect(r.diagonal!).toBeLessThan(r.bestDiagonal! + 0.02);
    expect(r.iaf!).toBeGreaterThan(r.bestDiagonal! + 0.1);
    expect(r.realNvp!).toBeGreaterThan(r.bestDiagonal! + 0.1);
  });

  it('poisson-latent: baselines cut the score-function variance; enumeration has none', async () => {
    const run = await runExample('poisson-latent');
    expectOk(run);
    const r = run.result as Record<string, number>;
    expect(r.varianceMovingAverage!).toBeLessThan(r.varianceNone! / 2);
    expect(r.varianceLeaveOneOutK4!).toBeLessThan(r.varianceNoneK4! / 2);
    expect(r.bernoulliVarianceEnumerate).toBe(0);
    expect(r['vae-gaussian-elbo']!).toBeLessThan(r['vae-poisson-none-elbo']!);
  });

  it('gaussian-mixture-vae: enumerating the cluster recovers the clusters', async () => {
    const run = await runExample('gaussian-mixture-vae');
    expectOk(run);
    expect(run.result.accuracy as number).toBeGreaterThanOrEqual(0.9);
    expect(run.result.lastLoss as number).toBeLessThan(run.result.firstLoss as number);
  });

  it('conv-vae: tf.layers conv encoder/decoder (batch norm, dropout) train and reload bit-identically', async () => {
    const run = await runExample('conv-vae');
    expectOk(run);
    expect(run.result.lastLoss as number).toBeLessThan(run.result.firstLoss as number);
    expect(run.result.reloadedEqual).toBe(true);
  }, 300_000); // convolutions on the cpu backend: ~25 s of CPU, several times that on a loaded machine
});
