import type { Matrix } from '@varia/core';
import { log } from './log.js';
import type { Figures, WorkloadResult } from './report.js';
import { pickFigures } from './results.js';
import { interleavedRounds } from './rounds.js';
import { runTorch } from './torch.js';
import { torchVariants } from './torch-variants.js';
import type { Timing } from './workloads.js';

/** What the PyTorch contenders need from the run: the baselines wanted, the probe, the thread count and `--rounds`. */
export interface TorchContext {
  want: (key: string) => boolean;
  torchProbe: { version: string } | { skipped: string };
  torchOk: boolean;
  allThreads: number;
  rounds: number;
}

/**
 * The PyTorch baselines of a workload (1 thread and all threads) and the interleaved varia/PyTorch-1-thread rounds
 * after them (`--rounds`).
 */
export function torchContenders({ want, torchProbe, torchOk, allThreads, rounds }: TorchContext) {
  const figures = (t: Timing): Figures => ({
    examples_per_sec: t.examplesPerSec,
    seconds: t.seconds,
    cpu_seconds: t.cpuSeconds,
    examples: t.examples,
  });
  /** More varia/PyTorch-1-thread pairs after the first (`--rounds`), alternated, into `w.torch_rounds`. */
  const torchRounds = async (
    w: WorkloadResult,
    data: Matrix,
    config: Record<string, unknown>,
    runVaria: () => Promise<Timing>,
  ): Promise<void> => {
    const first = w.baselines.torch_1_thread;
    if (!first || first.skipped) return;
    const r = await interleavedRounds(
      w.metric,
      rounds,
      { varia: pickFigures(w), torch: pickFigures(first) },
      async () => figures(await runVaria()),
      () => {
        const t = runTorch(data, { ...config, threads: 1 });
        return {
          examples_per_sec: t.examples_per_sec,
          seconds: t.seconds,
          cpu_seconds: t.cpu_seconds,
          examples: t.examples,
        };
      },
      log,
    );
    w.torch_rounds = r.rounds;
  };

  const torchBaselines = (w: WorkloadResult, data: Matrix, config: Record<string, unknown>): void => {
    for (const [key, threads] of [
      ['torch_1_thread', 1],
      ['torch_all_threads', allThreads],
    ] as const) {
      if (!want(key)) continue;
      if (!torchOk) {
        w.baselines[key] = { skipped: 'skipped' in torchProbe ? torchProbe.skipped : 'not requested' };
        continue;
      }
      log(`  torch, ${threads} thread(s)`);
      try {
        const r = runTorch(data, { ...config, threads });
        const { note, ...variants } = torchVariants(r);
        w.baselines[key] = {
          examples_per_sec: r.examples_per_sec ?? r.examples / r.seconds,
          seconds: r.seconds,
          cpu_seconds: r.cpu_seconds,
          examples: r.examples,
          loss: r.loss,
          multithreaded: threads > 1,
          note: `torch ${r.torch_version}, ${r.threads} thread(s), BLAS ${r.blas}${note}`,
          ...variants,
        };
      } catch (e) {
        w.baselines[key] = { skipped: (e as Error).message };
      }
    }
  };

  return { torchRounds, torchBaselines };
}
