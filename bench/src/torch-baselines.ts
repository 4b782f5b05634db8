import type { Matrix } from '@varia/core';
import { log } from './log.js';
import {
  type BlasProbe,
  type BlasRun,
  blasCandidates,
  combineBlasRuns,
  type TorchBaselineResult,
} from './openblas-core.js';
import type { Figures, WorkloadResult } from './report.js';
import { pickFigures } from './results.js';
import { interleavedRounds } from './rounds.js';
import { runTorch } from './torch.js';
import { torchVariants } from './torch-variants.js';
import type { Timing } from './workloads.js';

/** What the PyTorch contenders need from the run: the baselines wanted, the probe, the thread count and `--rounds`. */
export interface TorchContext {
  want: (key: string) => boolean;
  torchProbe: { version: string; blas?: BlasProbe } | { skipped: string };
  torchOk: boolean;
  allThreads: number;
  rounds: number;
}

/**
 * The PyTorch baselines of a workload (1 thread and all threads) and the interleaved varia/PyTorch-1-thread rounds
 * after them (`--rounds`). Where OpenBLAS does not pick an AVX-512 core on an AVX-512 CPU, each baseline runs with its
 * choice and with `OPENBLAS_CORETYPE=SkylakeX`, the faster is the baseline, and the rounds use its core
 * (openblas-core.ts).
 */
export function torchContenders({ want, torchProbe, torchOk, allThreads, rounds }: TorchContext) {
  const candidates = blasCandidates('blas' in torchProbe ? torchProbe.blas : undefined);
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
    const first: TorchBaselineResult | undefined = w.baselines.torch_1_thread;
    if (!first || first.skipped) return;
    // the core the baseline chose, probed there (its figures are the rounds' first pair)
    const env: Record<string, string> = first.openblas_coretype ? { OPENBLAS_CORETYPE: first.openblas_coretype } : {};
    const r = await interleavedRounds(
      w.metric,
      rounds,
      { varia: pickFigures(w), torch: pickFigures(first) },
      async () => figures(await runVaria()),
      () => {
        const t = runTorch(data, { ...config, threads: 1 }, undefined, env);
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
      try {
        // a candidate that fails (a forced core this PyTorch cannot run, a timeout) leaves the others as the baseline,
        // named in the note; only when every run fails is the baseline skipped
        const runs: BlasRun[] = [];
        const failed: { name: string; message: string }[] = [];
        for (const candidate of candidates) {
          const name = candidate.coretype ? `OPENBLAS_CORETYPE=${candidate.coretype}` : "the environment's core";
          log(`  torch, ${threads} thread(s)${candidate.coretype ? `, ${name}` : ''}`);
          try {
            runs.push({ candidate, result: runTorch(data, { ...config, threads }, undefined, candidate.env) });
          } catch (e) {
            failed.push({ name, message: (e as Error).message });
          }
        }
        const told = failed.map((f) => `${f.name}: ${f.message}`).join('; ');
        if (runs.length === 0) throw new Error(failed.length === 1 ? failed[0]!.message : told);
        const { result: r, chosen, lossGroups } = combineBlasRuns(runs);
        const { note, ...variants } = torchVariants(r, lossGroups);
        const core = r.blas_core ? `, OpenBLAS ${r.blas_core}` : '';
        const baseline: TorchBaselineResult = {
          examples_per_sec: r.examples_per_sec ?? r.examples / r.seconds,
          seconds: r.seconds,
          cpu_seconds: r.cpu_seconds,
          examples: r.examples,
          loss: r.loss,
          ...(r.minor_faults !== undefined ? { minor_faults: r.minor_faults } : {}),
          multithreaded: threads > 1,
          note: `torch ${r.torch_version}, ${r.threads} thread(s), BLAS ${r.blas}${core}${chosen.candidate.coretype ? ` (OPENBLAS_CORETYPE=${chosen.candidate.coretype})` : ''}${note}${failed.length > 0 ? `; not measured (failed): ${told}` : ''}`,
          ...variants,
          ...(r.blas_core ? { openblas_core: r.blas_core } : {}),
          ...(chosen.candidate.coretype ? { openblas_coretype: chosen.candidate.coretype } : {}),
        };
        w.baselines[key] = baseline;
      } catch (e) {
        w.baselines[key] = { skipped: (e as Error).message };
      }
    }
  };

  return { torchRounds, torchBaselines };
}
