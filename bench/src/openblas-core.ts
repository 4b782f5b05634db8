/**
 * PyTorch's baseline where its OpenBLAS runs AVX2 kernels on an AVX-512 CPU. Debian's PyTorch runs OpenBLAS 0.3.21
 * (DYNAMIC_ARCH), which takes its kernels from `OPENBLAS_CORETYPE` when set, else from CPUID at load time. Either can
 * leave it on AVX2 kernels on a CPU with AVX-512: on the AMD Zen 5 (family 26) of 2026-12-02 the environment held
 * `OPENBLAS_CORETYPE=Haswell` (unset, 0.3.21 does not know family 26 and falls back to `Cooperlake` there, an AVX-512
 * core; an older CPU it does not know may get AVX2 ones), and PyTorch ran slower than it can (`SkylakeX`: 1.4× on
 * mnist-vae-train, 1.85× on the dense MNIST encode). So where the CPU has AVX-512 and the core PyTorch runs as the
 * environment stands is not an AVX-512 one, each PyTorch contender runs twice, as the environment stands and with
 * `OPENBLAS_CORETYPE=SkylakeX`, and the faster is the baseline (the rule of the sparse variants: CPU time on one
 * thread, wall time with more). Pure functions, no timing.
 */
import { readFileSync } from 'node:fs';
import type { BaselineResult } from './report.js';
import type { TorchResult } from './torch.js';

/**
 * The AVX-512 core types of OpenBLAS 0.3.21's x86-64 DYNAMIC_ARCH build (driver/others/dynamic.c: `SkylakeX`, and
 * `Cooperlake`, SkylakeX's SGEMM kernels plus BF16 ones; `SapphireRapids` arrives in 0.3.22), lower case.
 */
export const AVX512_CORES: ReadonlySet<string> = new Set(['skylakex', 'cooperlake', 'sapphirerapids']);

/**
 * The core forced where the environment's is not an AVX-512 one: SkylakeX needs only AVX-512 F/BW/VL/DQ (what
 * its kernels use), and 0.3.21 accepts the name (an unknown name is ignored with a warning OpenBLAS does not print by
 * default, and the library then takes its fallback). Cooperlake runs the same float32 kernels (measured the same
 * here: a 10,000×784·784×400 product 37–38 ms with either, 73–77 ms with Haswell, best of 7, 1 thread).
 */
export const FORCED_CORE = 'SkylakeX';

/** The AVX-512 subsets SkylakeX's kernels need. */
const AVX512_FLAGS = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'] as const;

/** What the bench knows about PyTorch's BLAS before measuring (probed once per run). */
export interface BlasProbe {
  /**
   * The core PyTorch's OpenBLAS runs as the environment stands (`openblas_get_corename`: its own choice, or
   * `OPENBLAS_CORETYPE`'s); absent when PyTorch's BLAS is not OpenBLAS.
   */
  core?: string;
  /** `OPENBLAS_CORETYPE` as the environment has it. */
  coretypeEnv?: string;
  /** The CPU has AVX-512 F, BW, VL and DQ. */
  avx512: boolean;
}

/** One way to run PyTorch: extra environment variables for its process. */
export interface BlasCandidate {
  /** The `OPENBLAS_CORETYPE` the bench sets; absent: the environment as it stands. */
  coretype?: string;
  env: Record<string, string>;
}

/** A PyTorch baseline with the OpenBLAS core it ran with. */
export interface TorchBaselineResult extends BaselineResult {
  /** The core OpenBLAS ran (`openblas_get_corename` in the measured process). */
  openblas_core?: string;
  /** `OPENBLAS_CORETYPE` as the bench set it for these figures (absent: the environment as it stands). */
  openblas_coretype?: string;
}

/** Whether `/proc/cpuinfo`'s text lists AVX-512 F, BW, VL and DQ on its first `flags` line. */
export function cpuinfoHasAvx512(cpuinfo: string): boolean {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return false;
  const flags = new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return AVX512_FLAGS.every((f) => flags.has(f));
}

/** This machine's AVX-512 support (false where `/proc/cpuinfo` cannot be read). */
export function hostHasAvx512(): boolean {
  try {
    return cpuinfoHasAvx512(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** Whether OpenBLAS's core name is one of its AVX-512 cores. */
export function isAvx512Core(core: string): boolean {
  return AVX512_CORES.has(core.toLowerCase());
}

/**
 * The ways to run each PyTorch contender: as the environment stands, and with `OPENBLAS_CORETYPE=SkylakeX` too where
 * the CPU has AVX-512, PyTorch's BLAS is OpenBLAS and the core it runs is not an AVX-512 one. Otherwise nothing
 * changes: one run, as on the Intel machines where OpenBLAS picks SkylakeX itself. An `OPENBLAS_CORETYPE` in the
 * environment is the first candidate, not a veto: the baseline is PyTorch's best on the machine.
 */
export function blasCandidates(probe: BlasProbe | undefined): BlasCandidate[] {
  const own: BlasCandidate = { env: {} };
  if (!probe?.core || !probe.avx512 || isAvx512Core(probe.core)) return [own];
  return [own, { coretype: FORCED_CORE, env: { OPENBLAS_CORETYPE: FORCED_CORE } }];
}

/** One run of a contender with one candidate. */
export interface BlasRun {
  candidate: BlasCandidate;
  result: TorchResult;
}

/** A run's label: the core it reports, with the variable the bench set if two runs report the same core. */
function labels(runs: readonly BlasRun[]): string[] {
  const names = runs.map((r) => `OpenBLAS ${r.result.blas_core ?? 'unknown core'}`);
  return names.map((n, i) =>
    names.indexOf(n) !== names.lastIndexOf(n) && runs[i]!.candidate.coretype
      ? `${n} (OPENBLAS_CORETYPE=${runs[i]!.candidate.coretype})`
      : n,
  );
}

/**
 * One contender's result from its runs (one per candidate, same threads): with one run, that run; with more, the
 * faster run's figures (CPU time on one thread, wall time with more, as the script picks its variants), every run's
 * variants under `variants` (keys `OpenBLAS <core>: <variant>`, or `OpenBLAS <core>` for a run without variants) and
 * the chosen key under `variant`, so that `torchVariants` checks and notes it as any other choice; `lossGroups`: each
 * run's keys, the variants whose losses must agree (one core's kernels: the same job to float32 rounding, while two
 * cores' kernels round differently, see `torchVariants`).
 */
export function combineBlasRuns(runs: readonly BlasRun[]): {
  result: TorchResult;
  chosen: BlasRun;
  lossGroups: string[][];
} {
  if (runs.length === 0) throw new Error('combineBlasRuns: no runs');
  if (runs.length === 1) {
    const { result } = runs[0]!;
    return { result, chosen: runs[0]!, lossGroups: [Object.keys(result.variants ?? {})] };
  }
  const threads = runs[0]!.result.threads;
  const key = (r: TorchResult): number => (threads === 1 ? r.cpu_seconds : r.seconds);
  const names = labels(runs);
  let best = 0;
  for (let i = 1; i < runs.length; i++) if (key(runs[i]!.result) < key(runs[best]!.result)) best = i;
  const variants: NonNullable<TorchResult['variants']> = {};
  const lossGroups: string[][] = [];
  let variant = '';
  runs.forEach(({ result: r }, i) => {
    const group: string[] = [];
    lossGroups.push(group);
    const own = r.variants ?? {
      '': {
        seconds: r.seconds,
        cpu_seconds: r.cpu_seconds,
        ...(r.loss !== undefined ? { loss: r.loss } : {}),
        ...(r.minor_faults !== undefined ? { minor_faults: r.minor_faults } : {}),
      },
    };
    for (const [k, v] of Object.entries(own)) {
      const name = k === '' ? names[i]! : `${names[i]}: ${k}`;
      variants[name] = v;
      group.push(name);
      if (i === best && (r.variants ? k === r.variant : true)) variant = name;
    }
  });
  return { result: { ...runs[best]!.result, variant, variants }, chosen: runs[best]!, lossGroups };
}

/** The bench's summary of PyTorch's OpenBLAS core (`torch.openblas` in results/latest.json). */
export interface BlasSummary {
  /** The core PyTorch's OpenBLAS runs as the environment stands (its own choice, or `OPENBLAS_CORETYPE`'s). */
  own_core?: string;
  /** `OPENBLAS_CORETYPE` as the environment has it. */
  coretype_env?: string;
  cpu_avx512: boolean;
  /** The `OPENBLAS_CORETYPE` values each contender was also run with (empty: the environment's core only). */
  also_measured: string[];
}

/** The summary of a probe. */
export function blasSummary(probe: BlasProbe): BlasSummary {
  return {
    ...(probe.core !== undefined ? { own_core: probe.core } : {}),
    ...(probe.coretypeEnv !== undefined ? { coretype_env: probe.coretypeEnv } : {}),
    cpu_avx512: probe.avx512,
    also_measured: blasCandidates(probe).flatMap((c) => (c.coretype ? [c.coretype] : [])),
  };
}

/** The workloads' rows as the footer needs them. */
interface Row {
  name: string;
  baselines: Record<string, TorchBaselineResult>;
}

/**
 * The footer's line on PyTorch's OpenBLAS core: its own choice and, where another core was also measured, which core
 * won how many contenders (with the minority named).
 */
export function formatBlasFooter(summary: BlasSummary | undefined, rows: readonly Row[]): string {
  if (!summary) return 'OpenBLAS core of PyTorch: not probed';
  if (summary.own_core === undefined) return "OpenBLAS core of PyTorch: none (PyTorch's BLAS is not OpenBLAS)";
  const own = summary.coretype_env
    ? `${summary.own_core} (OPENBLAS_CORETYPE=${summary.coretype_env} in the environment)`
    : `${summary.own_core} (its own choice)`;
  if (summary.also_measured.length === 0) return `OpenBLAS core of PyTorch: ${own}`;
  const cores = new Map<string, string[]>();
  for (const w of rows)
    for (const [k, b] of Object.entries(w.baselines)) {
      const core = b.openblas_core;
      if (!k.startsWith('torch_') || core === undefined) continue;
      cores.set(core, [...(cores.get(core) ?? []), `${w.name} ${k === 'torch_1_thread' ? '1 thr' : 'all thr'}`]);
    }
  const total = [...cores.values()].reduce((n, c) => n + c.length, 0);
  const sorted = [...cores.entries()].sort((a, b) => b[1].length - a[1].length);
  const won = sorted
    .map(([core, who], i) => `${core} ${who.length} of ${total}${i > 0 ? ` (${who.join(', ')})` : ''}`)
    .join(', ');
  return `OpenBLAS core of PyTorch: ${own}; the CPU has AVX-512, so every PyTorch contender also ran with OPENBLAS_CORETYPE=${summary.also_measured.join(', ')} and the faster is the baseline: ${won || 'no contender measured'}`;
}
