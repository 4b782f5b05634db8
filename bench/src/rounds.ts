/**
 * Interleaved rounds against PyTorch: varia, then PyTorch, then varia again, … in one run, a ratio per pair, and the
 * median of the ratios. On a shared machine the load changes between minutes; a pair measured back to back sees
 * nearly the same load, so the per-pair ratio is steadier than a ratio of figures taken minutes apart.
 */
import os from 'node:os';
import { type Figures, speedup, speedupCpu, type WorkloadResult } from './report.js';

/** One varia/PyTorch pair. */
export interface PairedRound {
  round: number;
  varia: Figures;
  torch: Figures;
  /** varia's speed ÷ PyTorch's (wall clock; > 1: varia is faster). */
  speedup?: number;
  /** The same in process CPU time. */
  speedup_cpu?: number;
  /** The 1-minute load average when the pair finished. */
  load_average: number;
}

/** The median of the finite values (the mean of the middle two for an even count); undefined when there are none. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2;
}

/**
 * varia's median speed over the rounds ÷ PyTorch's fastest round (wall clock): the conservative reading where
 * PyTorch's own time varies between processes (its dense MNIST encode was bimodal on the Zen 5 machine: 38.7 ms in
 * one run, 98.7 ms in the next, same input). Undefined without rounds or speeds.
 */
export function againstFastest(metric: WorkloadResult['metric'], rounds: readonly PairedRound[]): number | undefined {
  if (metric === 'seconds') {
    const varia = median(rounds.map((r) => r.varia.seconds));
    const torch = Math.min(...rounds.map((r) => r.torch.seconds ?? Number.POSITIVE_INFINITY));
    return varia && Number.isFinite(torch) ? torch / varia : undefined;
  }
  const varia = median(rounds.map((r) => r.varia.examples_per_sec));
  const torch = Math.max(...rounds.map((r) => r.torch.examples_per_sec ?? 0));
  return varia && torch > 0 ? varia / torch : undefined;
}

/** A pair's ratios. */
export function pairRound(
  metric: WorkloadResult['metric'],
  round: number,
  varia: Figures,
  torch: Figures,
): PairedRound {
  return {
    round,
    varia,
    torch,
    speedup: speedup(metric, varia, torch),
    speedup_cpu: speedupCpu(metric, varia, torch),
    load_average: os.loadavg()[0]!,
  };
}

/**
 * Runs `count − 1` more pairs after `first` (the pair already measured), alternating `runVaria` and `runTorch`, and
 * returns every pair with the medians of the ratios.
 */
export async function interleavedRounds(
  metric: WorkloadResult['metric'],
  count: number,
  first: { varia: Figures; torch: Figures },
  runVaria: () => Promise<Figures>,
  runTorch: () => Figures,
  log: (msg: string) => void = () => {},
): Promise<{ rounds: PairedRound[]; median?: number; median_cpu?: number }> {
  const rounds = [pairRound(metric, 0, first.varia, first.torch)];
  for (let r = 1; r < count; r++) {
    log(`  round ${r + 1}/${count}: varia, then torch 1 thread`);
    const varia = await runVaria();
    rounds.push(pairRound(metric, r, varia, runTorch()));
  }
  return {
    rounds,
    median: median(rounds.map((r) => r.speedup)),
    median_cpu: median(rounds.map((r) => r.speedup_cpu)),
  };
}
