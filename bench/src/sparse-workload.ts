/**
 * The `sparse-1m` workload: a Poisson VAE trained for one epoch on a synthetic 1,000,000 × 2,000 count matrix with
 * ≈ 5 % non-zeros (dense float32 would be 8 GB) — from a {@link RandomAccessSource} that generates each batch's rows
 * from the seed (nothing stored), or from a {@link SparseBatchSource} over the whole matrix as CSR in memory
 * (`storage: 'csr'`, 8 bytes per entry: ≈ 0.8 GB) — against the same model trained in memory (a dense matrix) on a
 * slice of the first rows. Reports examples/s of both, their ratio, peak RSS and tf.memory().
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { RandomAccessSource, SparseBatchSource, VAE } from '@varia/vae';
import { MemoryProbe, type MemoryReport } from './memory-probe.js';
import { SPARSE_1M, SparseCounts } from './sparse-counts.js';
import { median } from './rounds.js';
import { sliceMedians } from './step-deciles.js';

/** Options of {@link runSparseWorkload}. */
export interface SparseWorkloadOptions {
  /** Rows of the streamed matrix (default 1,000,000; CI and `--quick` use far fewer). */
  rows: number;
  /** Rows of the in-memory slice (default 50,000). */
  sliceRows: number;
  /** `generated`: rows made per batch from the seed; `csr`: the whole matrix built as CSR in memory first. */
  storage: 'generated' | 'csr';
  /** Progress lines to stderr every this many batches (0: none). */
  progressEvery?: number;
  /**
   * Interleaved pairs after the full run (default 3): one epoch of the same source path over the slice's rows and one
   * of the in-memory slice, alternately first, so that the speed ratio does not rest on two runs minutes apart.
   */
  pairs?: number;
}

/** The interleaved pairs' figures: per pair the source path's examples/s ÷ the in-memory slice's (wall, CPU time). */
export interface SparsePairs {
  rows: number;
  ratios: number[];
  ratios_cpu: number[];
  median: number;
  median_cpu: number;
}

/** The model and training of the workload. */
export const SPARSE_MODEL = {
  config: { inputDim: SPARSE_1M.cols, latentDim: 10, hiddenUnits: [128], likelihood: 'poisson', activation: 'relu' },
  training: { epochs: 1, batchSize: 256, learningRate: 1e-3, seed: 0 },
} as const;

/** One training run's figures. */
export interface SparseRun {
  rows: number;
  seconds: number;
  examples_per_sec: number;
  cpu_seconds: number;
  /** Examples per CPU-second of the process: robust to other load on a shared machine. */
  examples_per_cpu_sec: number;
  loss: number;
  /**
   * The median wall time of a step (ms) in each tenth of the run, callbacks included: flat unless the steps get
   * slower part-way (a long epoch's Adam moments of dead units decaying into subnormals, after ~800 steps here).
   */
  ms_per_batch_by_tenth: number[];
  memory: MemoryReport;
}

const now = (): number => performance.now() / 1000;
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function train(
  data: Parameters<VAE['fit']>[0],
  rows: number,
  probe: MemoryProbe,
  progressEvery: number,
  label: string,
  epochs: number = SPARSE_MODEL.training.epochs,
): Promise<Omit<SparseRun, 'memory'>> {
  const vae = new VAE({ ...SPARSE_MODEL.config, hiddenUnits: [...SPARSE_MODEL.config.hiddenUnits], seed: 0 });
  try {
    const [t0, c0] = [now(), cpu()];
    const stepMs: number[] = [];
    let last = t0;
    const history = await vae.fit(data, {
      ...SPARSE_MODEL.training,
      epochs,
      onEpochEnd: () => probe.sample(true),
      onBatchEnd: (b) => {
        const t = now();
        stepMs.push((t - last) * 1000);
        last = t;
        if (b.batch % 16 === 0) probe.sample(false);
        if (progressEvery > 0 && b.batch % progressEvery === 0) {
          const s = now() - t0;
          process.stderr.write(
            `[${label}] batch ${b.batch}/${b.batches}: ${(((b.batch + 1) * SPARSE_MODEL.training.batchSize) / s).toFixed(0)} ex/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
          );
        }
      },
    });
    const seconds = now() - t0;
    const cpuSeconds = cpu() - c0;
    return {
      rows,
      seconds,
      examples_per_sec: (rows * epochs) / seconds,
      cpu_seconds: cpuSeconds,
      examples_per_cpu_sec: (rows * epochs) / cpuSeconds,
      loss: history.epochs.at(-1)!.loss,
      ms_per_batch_by_tenth: sliceMedians(stepMs).map((ms) => Number(ms.toFixed(3))),
    };
  } finally {
    vae.dispose();
  }
}

/**
 * Runs the workload: a warm-up, the source run (its peak RSS measured from a reset peak mark where Linux allows it),
 * then the in-memory run on the slice.
 */
export async function runSparseWorkload(o: SparseWorkloadOptions): Promise<Record<string, unknown>> {
  const shape = { ...SPARSE_1M, rows: o.rows };
  const counts = new SparseCounts(shape);
  const progress = o.progressEvery ?? 0;
  // warm-up: kernels and JIT of this shape, on 2,048 dense rows
  await train(counts.dense(2048), 2048, new MemoryProbe(), 0, 'warm-up');

  const sourceProbe = new MemoryProbe(true);
  const t0 = now();
  let source: RandomAccessSource | SparseBatchSource | undefined =
    o.storage === 'csr'
      ? new SparseBatchSource(counts.csr(o.rows))
      : new RandomAccessSource({ length: o.rows, width: shape.cols, rows: (indices) => counts.rows(indices) });
  const buildSeconds = now() - t0;
  const nonZeros = source instanceof SparseBatchSource ? source.matrix.data.length : undefined;
  const streamed = { ...(await train(source, o.rows, sourceProbe, progress, 'source')), memory: sourceProbe.report() };
  source = undefined; // a CSR matrix is not held during the in-memory run

  // no growth per epoch: the same source path for 4 epochs on its first 4,096 rows, tf.memory() at every epoch end
  const epochProbe = new MemoryProbe();
  const first = new RandomAccessSource({ length: 4096, width: shape.cols, rows: (indices) => counts.rows(indices) });
  await train(first, 4096, epochProbe, 0, 'per-epoch', 4);
  const perEpoch = epochProbe.report();

  // the in-memory reference: the same model on a dense slice (its memory is measured separately)
  const sliceProbe = new MemoryProbe(true);
  const slice = counts.dense(Math.min(o.sliceRows, o.rows));
  const inMemory = {
    ...(await train(slice, slice.rows, sliceProbe, progress, 'in-memory')),
    memory: sliceProbe.report(),
  };
  const pairs = await interleavedPairs(o, counts, slice, o.pairs ?? 3);
  return {
    name: 'sparse-1m',
    description: `VAE.fit, one epoch, Poisson VAE ${shape.cols}-${SPARSE_MODEL.config.hiddenUnits[0]}-${SPARSE_MODEL.config.latentDim}, batch ${SPARSE_MODEL.training.batchSize}, Adam ${SPARSE_MODEL.training.learningRate}, on a synthetic ${o.rows.toLocaleString('en-US')} × ${shape.cols} count matrix (≈ 5 % non-zeros) ${o.storage === 'csr' ? 'held as CSR in memory (SparseBatchSource)' : 'generated per batch from the seed (RandomAccessSource, nothing stored)'}; reference: the same model on a dense in-memory slice of ${slice.rows.toLocaleString('en-US')} rows`,
    storage: o.storage,
    backend: tf.getBackend(),
    source_build_seconds: buildSeconds,
    ...(nonZeros !== undefined && { non_zeros: nonZeros, density: nonZeros / (o.rows * shape.cols) }),
    source: streamed,
    in_memory_slice: inMemory,
    per_epoch_memory: {
      run: 'the source path, 4 epochs on 4,096 rows; tf.memory().numTensors at every epoch end',
      tf_num_tensors_samples: perEpoch.tf_num_tensors_samples,
      flat: perEpoch.tensors_flat,
      tf_num_tensors_after: perEpoch.tf_num_tensors,
      tf_num_tensors_before: perEpoch.tf_num_tensors_start,
    },
    speed_ratio: streamed.examples_per_sec / inMemory.examples_per_sec,
    speed_ratio_cpu: streamed.examples_per_cpu_sec / inMemory.examples_per_cpu_sec,
    ...(pairs && { interleaved: pairs }),
    targets: { speed_ratio_at_least: 0.8, peak_rss_below_bytes: 2 * 2 ** 30 },
  };
}

/**
 * `pairs` pairs of one epoch over the slice's rows from the source path (`storage`) and one of the dense slice in
 * memory, the order alternating (source first in even pairs): the ratio of each pair, and their medians.
 */
async function interleavedPairs(
  o: SparseWorkloadOptions,
  counts: SparseCounts,
  slice: ReturnType<SparseCounts['dense']>,
  pairs: number,
): Promise<SparsePairs | undefined> {
  if (pairs < 1) return undefined;
  const rows = slice.rows;
  const cols = slice.cols;
  const sourceOf = (): RandomAccessSource | SparseBatchSource =>
    o.storage === 'csr'
      ? new SparseBatchSource(counts.csr(rows))
      : new RandomAccessSource({ length: rows, width: cols, rows: (indices) => counts.rows(indices) });
  const ratios: number[] = [];
  const ratiosCpu: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const runs: Record<'source' | 'memory', Omit<SparseRun, 'memory'> | undefined> = {
      source: undefined,
      memory: undefined,
    };
    for (const side of p % 2 === 0 ? (['source', 'memory'] as const) : (['memory', 'source'] as const)) {
      const data = side === 'source' ? sourceOf() : slice;
      runs[side] = await train(data, rows, new MemoryProbe(), 0, `pair ${p + 1} ${side}`);
    }
    ratios.push(runs.source!.examples_per_sec / runs.memory!.examples_per_sec);
    ratiosCpu.push(runs.source!.examples_per_cpu_sec / runs.memory!.examples_per_cpu_sec);
  }
  return { rows, ratios, ratios_cpu: ratiosCpu, median: median(ratios)!, median_cpu: median(ratiosCpu)! };
}

/**
 * The workload in a child process (`dist/sparse-1m.js`), so that its peak RSS is its own: its result document, or why
 * it failed. `rows`: the matrix size (`pnpm bench` uses 100,000, 10,000 with `--quick`; `--sparse-rows 1000000` for
 * the full size, ~10 minutes on 2 quiet cores).
 */
export function sparseWorkloadInChild(
  rows: number,
  backend: string,
  timeoutMs: number,
  parallel = 1,
): Record<string, unknown> | { skipped: string } {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'sparse-1m.js');
  const slice = String(Math.min(50_000, rows));
  const r = spawnSync(
    process.execPath,
    [script, '--rows', String(rows), '--slice', slice, '--backend', backend, '--parallel', String(parallel)],
    { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) {
    return {
      skipped: `the child run failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
    };
  }
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** One summary line of a {@link sparseWorkloadInChild} result for the bench's printout. */
export function formatSparse(r: Record<string, unknown> | { skipped: string }): string {
  if ('skipped' in r) return `sparse-1m: skipped (${r.skipped})`;
  const run = (k: string) => r[k] as SparseRun;
  const [s, m] = [run('source'), run('in_memory_slice')];
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const tenths = (x: SparseRun): string => {
    const t = x.ms_per_batch_by_tenth ?? [];
    return t.length === 0 ? '–' : `${t[0]!.toFixed(1)} → ${t.at(-1)!.toFixed(1)}`;
  };
  const perEpoch = r.per_epoch_memory as { flat: boolean };
  const pairs = r.interleaved as SparsePairs | undefined;
  const interleaved = pairs
    ? `; ${pairs.ratios.length} interleaved pairs on ${pairs.rows.toLocaleString('en-US')} rows: ${pairs.median.toFixed(2)}× ` +
      `(${Math.min(...pairs.ratios).toFixed(2)}–${Math.max(...pairs.ratios).toFixed(2)}; CPU time ${pairs.median_cpu.toFixed(2)}×)`
    : '';
  return (
    `sparse-1m (${s.rows.toLocaleString('en-US')} rows, ${r.storage}): ${s.examples_per_sec.toFixed(0)} ex/s vs ${m.examples_per_sec.toFixed(0)} in memory ` +
    `(${(r.speed_ratio as number).toFixed(2)}×; CPU time ${(r.speed_ratio_cpu as number).toFixed(2)}×), peak RSS ${mib(s.memory.peak_rss_bytes)}, ` +
    `tf tensors after ${s.memory.tf_num_tensors}, per epoch ${perEpoch.flat ? 'flat' : 'NOT flat'}; ms per batch, first → last tenth: ` +
    `source ${tenths(s)}, in memory ${tenths(m)}${interleaved}`
  );
}

/** The value of `--sparse-rows`: a positive integer. @throws Error otherwise. */
export function sparseRowsFlag(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--sparse-rows must be a positive integer, got ${value}`);
  return n;
}
