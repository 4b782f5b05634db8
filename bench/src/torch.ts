/**
 * Runs the PyTorch version of a workload (`python/torch_vae.py`) with Debian's `python3-torch`, called through
 * `/usr/bin/python3` explicitly (a pyenv `python3` earlier on PATH would not see the Debian package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '@varia/core';
import { withMallocEnv } from './malloc-env.js';
import { type BlasProbe, hostHasAvx512 } from './openblas-core.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'torch_vae.py');

/** The interpreter: `VARIA_BENCH_PYTHON`, else Debian's. */
export const PYTHON = process.env.VARIA_BENCH_PYTHON ?? '/usr/bin/python3';

/** What the Python script prints. */
export interface TorchResult {
  torch_version: string;
  /** The BLAS library behind Debian's libblas.so.3 alternative. */
  blas: string;
  /** The core OpenBLAS ran in this process (`openblas_get_corename`); null when PyTorch's BLAS is not OpenBLAS. */
  blas_core?: string | null;
  threads: number;
  examples: number;
  seconds: number;
  cpu_seconds: number;
  examples_per_sec?: number;
  loss?: number;
  /** encode: the minor page faults of the fastest call (the OS mapping pages of its outputs afresh). */
  minor_faults?: number;
  /**
   * With `sparse` (encode and train): which of PyTorch's variants, dense or torch.sparse, was faster (the figures are
   * its: CPU time decides on one thread, wall time with more), and every variant's timings (and training loss).
   */
  variant?: string;
  variants?: Record<string, { seconds: number; cpu_seconds: number; loss?: number; minor_faults?: number }>;
  /** `encode_profile`: the whole encode and its parts alone (best of `encode_repeats`). */
  phases?: Record<string, { seconds: number; cpu_seconds: number }>;
}

/** The torch version and its BLAS (OpenBLAS's core, the CPU's AVX-512), or why PyTorch cannot be used. */
export function probeTorch(): { version: string; blas: BlasProbe } | { skipped: string } {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, [SCRIPT, '--probe'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    return {
      skipped: `PyTorch is not importable by ${PYTHON} (${why}); install it with "apt-get install -y python3-torch"`,
    };
  }
  // the probe's last line: {"torch_version", "blas", "blas_core"}; anything else (a script of another version, a
  // wrapper printing more) is a PyTorch the bench cannot use, not a crash of the run
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let p: { torch_version?: unknown; blas_core?: unknown } | undefined;
  try {
    p = JSON.parse(last) as typeof p;
  } catch {
    p = undefined;
  }
  if (typeof p !== 'object' || p === null || typeof p.torch_version !== 'string')
    return {
      skipped: `${PYTHON} ${SCRIPT} --probe did not print its JSON line (got ${JSON.stringify(last.slice(0, 80))})`,
    };
  const coretypeEnv = process.env.OPENBLAS_CORETYPE;
  return {
    version: p.torch_version,
    blas: {
      ...(typeof p.blas_core === 'string' && p.blas_core ? { core: p.blas_core } : {}),
      ...(coretypeEnv ? { coretypeEnv } : {}),
      avx512: hostHasAvx512(),
    },
  };
}

/**
 * Runs one PyTorch measurement on `data` (written to a temporary float32 file); `env` adds to the process's
 * environment (e.g. `OPENBLAS_CORETYPE`, read by OpenBLAS when it loads).
 */
export function runTorch(
  data: Matrix,
  config: Record<string, unknown>,
  timeoutMs = 300_000,
  env: Record<string, string> = {},
): TorchResult {
  const dir = mkdtempSync(join(tmpdir(), 'varia-bench-torch-'));
  try {
    const dataFile = join(dir, 'x.f32');
    writeFileSync(dataFile, new Uint8Array(data.data.buffer, data.data.byteOffset, data.rows * data.cols * 4));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...config, data: dataFile, rows: data.rows, cols: data.cols }));
    const r = spawnSync(PYTHON, [SCRIPT, configFile], {
      encoding: 'utf8',
      timeout: timeoutMs,
      // torch.set_num_threads decides; keep OpenMP from spinning up extra threads beyond it.
      // glibc's malloc keeping freed buffers, as in the bench's own processes (malloc-env.ts)
      env: {
        ...withMallocEnv(),
        OMP_NUM_THREADS: String(config.threads),
        MKL_NUM_THREADS: String(config.threads),
        OPENBLAS_NUM_THREADS: String(config.threads),
        ...env,
      },
    });
    if (r.status !== 0)
      throw new Error(
        `torch_vae.py failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
