/** The result document (`bench/results/latest.json`) and its tables. Pure functions: no tfjs, no timing. */
import type { PairedRound } from './rounds.js';
import type { SparseInputCheck } from './sparse-train.js';

/** A contender's figures. */
export interface Figures {
  /** Examples per wall-clock second (throughput workloads). */
  examples_per_sec?: number;
  /** Wall seconds of the timed part (the headline of the toy2d workload). */
  seconds?: number;
  /** Process CPU seconds of the timed part (all threads). */
  cpu_seconds?: number;
  /** Examples in the timed part. */
  examples?: number;
}

/** A baseline's figures beside a workload, with varia's speed-up over it. */
export interface BaselineResult extends Figures {
  /** varia's speed ÷ this baseline's speed in wall-clock time (> 1 means varia is faster). */
  speedup?: number;
  /** The same in process CPU time; only where both sides run on one thread. */
  speedup_cpu?: number;
  /** Uses more than one thread (CPU-time ratios do not apply). */
  multithreaded?: boolean;
  /** Final training loss, a sanity check that it trains the same model. */
  loss?: number;
  /** PyTorch's encode: the minor page faults of its fastest call. */
  minor_faults?: number;
  /** Why it was not measured. */
  skipped?: string;
  /** What was timed, threads, versions. */
  note?: string;
  /**
   * PyTorch with `sparse` or with two OpenBLAS cores (openblas-core.ts): the variant these figures are (the faster of
   * its dense and torch.sparse ones, of its runs with each core: `OpenBLAS <core>[: <variant>]`).
   */
  variant?: string;
  /** PyTorch with `sparse` or two OpenBLAS cores: every variant's figures (a core's variants timed in one run). */
  variants?: Record<string, { seconds: number; cpu_seconds: number; loss?: number; minor_faults?: number }>;
  /**
   * PyTorch training with `sparse`: the variants' largest relative loss difference (the same job: rounding), within
   * one OpenBLAS core's run (two cores' kernels round differently).
   */
  variant_loss_spread?: number;
}

/** One workload's result. */
export interface WorkloadResult extends Figures {
  name: string;
  backend: string;
  /** What the headline figure is. */
  metric: 'examples_per_sec' | 'seconds';
  examples: number;
  description: string;
  /** Final −ELBO per example (training workloads). */
  loss?: number;
  /** varia runs on more than one thread (threaded wasm, native backends). */
  multithreaded?: boolean;
  baselines: Record<string, BaselineResult>;
  /** The targets' ratios, spelled out (wall clock, and CPU time where it applies). */
  ratios: Record<string, number | undefined>;
  /** varia and PyTorch (1 thread) measured alternately, a ratio per pair (`--rounds`). */
  torch_rounds?: PairedRound[];
  /** Memory after the workload's varia run (or after all its runs). */
  memory?: WorkloadMemory;
  /** Sparse-input training: the first layer's path and the −ELBO beside the dense fit's (see sparse-train.ts). */
  sparse_input?: SparseInputCheck;
}

/** A workload's memory figures (see bench/src/memory-probe.ts). */
export interface WorkloadMemory {
  /** The process's peak resident set so far (Linux VmHWM). */
  peak_rss_bytes: number;
  /** tf.memory() after the run. */
  tf_num_tensors: number;
  tf_num_bytes: number;
  /** varia's live tensors at each epoch end of its timed fit; `tensors_flat`: the same at every one (no growth per epoch). */
  tensors_per_epoch?: number[];
  tensors_flat?: boolean;
}

/**
 * One line per workload with interleaved rounds: each pair's speed-up over PyTorch on one thread and the median, in
 * wall-clock and CPU time, varia's median speed against PyTorch's fastest round (wall), with the load average at each
 * pair's end.
 */
export function formatRounds(workloads: readonly WorkloadResult[]): string[] {
  const x = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);
  return workloads
    .filter((w) => (w.torch_rounds?.length ?? 0) > 0)
    .map((w) => {
      const rounds = w.torch_rounds!;
      return `${w.name.padEnd(24)} wall ${rounds.map((r) => x(r.speedup)).join(' ')} → median ${x(w.ratios.vs_torch_1_thread_median)}; CPU ${rounds.map((r) => x(r.speedup_cpu)).join(' ')} → median ${x(w.ratios.vs_torch_1_thread_cpu_median)}; varia's median ÷ PyTorch's fastest round ${x(w.ratios.vs_torch_1_thread_fastest)} (load ${rounds.map((r) => r.load_average.toFixed(1)).join(', ')})`;
    });
}

/** Wall-clock speed of `a` ÷ speed of `b` (> 1: `a` is faster). */
export function speedup(metric: WorkloadResult['metric'], a: Figures, b: Figures): number | undefined {
  if (metric === 'seconds') return a.seconds && b.seconds ? b.seconds / a.seconds : undefined;
  return a.examples_per_sec && b.examples_per_sec ? a.examples_per_sec / b.examples_per_sec : undefined;
}

/** CPU-time speed of `a` ÷ speed of `b`: CPU seconds per example of b ÷ those of a. */
export function speedupCpu(metric: WorkloadResult['metric'], a: Figures, b: Figures): number | undefined {
  if (!a.cpu_seconds || !b.cpu_seconds) return undefined;
  if (metric === 'seconds') return b.cpu_seconds / a.cpu_seconds;
  if (!a.examples || !b.examples) return undefined;
  return b.cpu_seconds / b.examples / (a.cpu_seconds / a.examples);
}

function fmtNumber(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtRatio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`;
}

/** Column order of the baselines in the tables. */
export const BASELINE_ORDER = [
  'hand_written',
  'hand_written_default_grad',
  'tf_layers',
  'varia_plain_wasm',
  'tf_layers_plain_wasm',
  'torch_1_thread',
  'torch_all_threads',
] as const;

const BASELINE_TITLES: Record<string, string> = {
  hand_written: 'hand-written',
  hand_written_default_grad: 'hand, default grad',
  tf_layers: 'tf.layers',
  varia_plain_wasm: 'varia, plain wasm',
  tf_layers_plain_wasm: 'tf.layers, plain wasm',
  torch_1_thread: 'torch 1 thr',
  torch_all_threads: 'torch all thr',
};

/**
 * A fixed-width table: one row per workload with varia's figure, then per baseline its figure and varia's speed-up
 * over it (`3.80×`: varia is 3.8 times as fast; below 1 it is slower). `basis: 'cpu'` shows examples per CPU-second
 * (seconds of CPU for toy2d) and CPU-time ratios, `—` where a side is multithreaded.
 */
export function formatTable(workloads: WorkloadResult[], basis: 'wall' | 'cpu' = 'wall'): string {
  const header = ['workload', 'backend', 'varia', ...BASELINE_ORDER.map((b) => BASELINE_TITLES[b]!)];
  const figure = (w: WorkloadResult, f: Figures): number | undefined => {
    if (basis === 'wall') return w.metric === 'seconds' ? f.seconds : f.examples_per_sec;
    if (w.metric === 'seconds') return f.cpu_seconds;
    return f.cpu_seconds && f.examples ? f.examples / f.cpu_seconds : undefined;
  };
  const rows = workloads.map((w) => {
    const unit = w.metric === 'seconds' ? (basis === 'cpu' ? 's cpu' : 's') : basis === 'cpu' ? '/cpu-s' : '/s';
    const digits = w.metric === 'seconds' ? 2 : 0;
    const variaCell = basis === 'cpu' && w.multithreaded ? '—' : `${fmtNumber(figure(w, w), digits)} ${unit}`;
    return [
      w.name,
      w.backend,
      variaCell,
      ...BASELINE_ORDER.map((b) => {
        const base = w.baselines[b];
        if (!base) return 'n/a';
        if (base.skipped) return 'skipped';
        if (basis === 'cpu' && (base.multithreaded || w.multithreaded)) return '—';
        return `${fmtNumber(figure(w, base), digits)} (${fmtRatio(basis === 'cpu' ? base.speedup_cpu : base.speedup)})`;
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Formats bytes as MiB. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
