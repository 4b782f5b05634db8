// mnist-vae-train-poisson's training loss over seeds, varia and PyTorch 1.13 side by side: the bench reports one seed's
// loss per library, and this model's first steps are unstable in both (see bench/README.md, "The Poisson loss").
//   node bench/scripts/poisson-seeds.mjs [--seeds 10] [--first 0] [--mode bench|curve] [--epochs N] [--lr 1e-3]
//                                        [--backend wasm-native] [--no-torch] [--varia-config JSON]
// --varia-config: more VAE options for varia's side only (e.g. '{"encoderScaleTransform":"softplus"}'; use --no-torch).
// mode bench (default, epochs 2): the bench's protocol — varia: VAE seed s, a warm-up fit on the first 4,096 rows
//   (fit seed s + 1), then `epochs` epochs on all 8,000 (fit seed s); s = 0 is exactly the bench's run. PyTorch:
//   torch.manual_seed(s), torch_vae.train's warm-up on 4,096 rows of a permutation, then `epochs` epochs.
// mode curve (epochs 20): both from their initial weights, one optimizer, the loss of every epoch.
// Prints one JSON line per seed and library, then the median (quartiles, min–max) of the last epoch's loss and, in
// bench mode, how many warm-up epochs averaged above 10⁵ nats (a step whose sampled rates overflowed); in curve mode
// the median of each epoch over the seeds. After `pnpm build`; PyTorch via /usr/bin/python3 (VARIA_BENCH_PYTHON).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DivergenceError } from '@varia/core';
import { mnistCounts } from '@varia/datasets';
import { selectBackend } from '@varia/playground/backend';
import { VAE } from '@varia/vae';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    first: { type: 'string', default: '0' },
    mode: { type: 'string', default: 'bench' },
    epochs: { type: 'string' },
    lr: { type: 'string', default: '1e-3' },
    backend: { type: 'string', default: 'wasm-native' },
    'no-torch': { type: 'boolean', default: false },
    'varia-config': { type: 'string', default: '{}' },
  },
});
const mode = flags.mode;
if (mode !== 'bench' && mode !== 'curve') throw new Error(`--mode must be bench or curve, got ${mode}`);
const seeds = Number(flags.seeds);
const first = Number(flags.first);
const epochs = Number(flags.epochs ?? (mode === 'bench' ? 2 : 20));
const learningRate = Number(flags.lr);
const ROWS = 8000;
const WARMUP = 4096;
const BATCH = 128;

const all = mnistCounts({ split: 'train' }).x;
const rows = (n) => ({ data: all.data.subarray(0, n * all.cols), rows: n, cols: all.cols });
const data = rows(ROWS);

/** varia: one JSON line per seed. */
async function variaRuns() {
  const selection = await selectBackend(flags.backend);
  const runs = [];
  for (let s = first; s < first + seeds; s++) {
    const vae = new VAE({
      inputDim: 784,
      latentDim: 20,
      hiddenUnits: [400],
      likelihood: 'poisson',
      activation: 'relu',
      seed: s,
      ...JSON.parse(flags['varia-config']),
    });
    try {
      const fit = { batchSize: BATCH, learningRate };
      const run = { library: 'varia', backend: selection.candidate, seed: s };
      try {
        if (mode === 'bench')
          run.warm = (await vae.fit(rows(WARMUP), { ...fit, epochs: 1, seed: s + 1 })).epochs[0].loss;
        run.losses = (await vae.fit(data, { ...fit, epochs, seed: s })).epochs.map((e) => e.loss);
      } catch (error) {
        if (!(error instanceof DivergenceError)) throw error;
        // the divergence guard: a step's loss was not finite (fit restored the last finite weights and stopped)
        run.diverged = `${run.warm === undefined && mode === 'bench' ? 'warm-up' : 'fit'} epoch ${error.epoch} step ${error.step}`;
      }
      console.log(JSON.stringify(run));
      runs.push(run);
    } finally {
      vae.dispose();
    }
  }
  return runs;
}

/** PyTorch (bench/python/poisson_seeds.py) on the same rows: one JSON line per seed. */
function torchRuns() {
  const dir = mkdtempSync(join(tmpdir(), 'varia-poisson-seeds-'));
  try {
    const file = join(dir, 'x.f32');
    writeFileSync(file, Buffer.from(data.data.buffer, data.data.byteOffset, ROWS * 784 * 4));
    const config = join(dir, 'config.json');
    const cfg = {
      data: file,
      rows: ROWS,
      first,
      seeds,
      mode,
      epochs,
      lr: learningRate,
      batch_size: BATCH,
      warmup_examples: WARMUP,
    };
    writeFileSync(config, JSON.stringify(cfg));
    const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'poisson_seeds.py');
    const python = process.env.VARIA_BENCH_PYTHON ?? '/usr/bin/python3';
    const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
    const r = spawnSync(python, [script, config], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`poisson_seeds.py failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
    const runs = r.stdout
      .trim()
      .split('\n')
      .map((line) => ({ library: 'torch', ...JSON.parse(line) }));
    for (const run of runs) console.log(JSON.stringify(run));
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const quantile = (sorted, q) => {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.ceil(i)] - sorted[lo]) * (i - lo);
};
const fmt = (v) => Math.round(v).toLocaleString('en-US');

function summary(library, all) {
  const runs = all.filter((r) => r.losses !== undefined);
  const last = runs.map((r) => r.losses.at(-1)).sort((a, b) => a - b);
  const q = (p) => fmt(quantile(last, p));
  let line = `${library}: last epoch's loss over ${runs.length} seeds: median ${q(0.5)} (quartiles ${q(0.25)}–${q(0.75)}, range ${q(0)}–${q(1)})`;
  if (mode === 'bench') line += `; warm-up epochs above 1e5: ${runs.filter((r) => r.warm > 1e5).length}`;
  line += `; diverged (a non-finite loss): ${all.length - runs.length}`;
  console.log(line);
  if (mode === 'curve') {
    const medians = Array.from({ length: epochs }, (_, e) =>
      quantile(
        runs.map((r) => r.losses[e]).sort((a, b) => a - b),
        0.5,
      ),
    );
    console.log(`${library}: median per epoch: ${medians.map(fmt).join(', ')}`);
  }
}

const varia = await variaRuns();
const torch = flags['no-torch'] ? [] : torchRuns();
summary('varia', varia);
if (torch.length > 0) summary('torch', torch);
