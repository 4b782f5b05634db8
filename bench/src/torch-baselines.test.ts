// torchContenders' baselines with two OpenBLAS cores to try (openblas-core.ts): a run that fails leaves the other as
// the baseline (named in the note), and only when every run fails is the baseline skipped. PyTorch is stubbed.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkloadResult } from './report.js';
import type { TorchResult } from './torch.js';

type RunTorch = (data: unknown, config: unknown, timeout: unknown, env?: Record<string, string>) => TorchResult;
/** The stub's behaviour in the current test, and how often it ran. */
const stub = vi.hoisted((): { run: RunTorch; calls: number } => ({
  run: () => {
    throw new Error('no stub set');
  },
  calls: 0,
}));
vi.mock('./torch.js', () => ({
  runTorch: (...a: Parameters<RunTorch>) => {
    stub.calls++;
    return stub.run(...a);
  },
}));
vi.mock('./log.js', () => ({ log: () => {} }));
const { torchContenders } = await import('./torch-baselines.js');

const result = (core: string, seconds: number): TorchResult => ({
  torch_version: '1.13.1',
  blas: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
  blas_core: core,
  threads: 1,
  examples: 100,
  seconds,
  cpu_seconds: seconds,
  examples_per_sec: 100 / seconds,
});

/** The 1-thread baseline of a workload, with PyTorch on Haswell in the environment and an AVX-512 CPU. */
function baseline(): WorkloadResult['baselines'][string] {
  const { torchBaselines } = torchContenders({
    want: (k) => k === 'torch_1_thread',
    torchProbe: { version: '1.13.1', blas: { core: 'Haswell', coretypeEnv: 'Haswell', avx512: true } },
    torchOk: true,
    allThreads: 2,
    rounds: 0,
  });
  const w = { baselines: {} } as WorkloadResult;
  torchBaselines(w, { data: new Float32Array(4), rows: 2, cols: 2 }, { workload: 'encode' });
  return w.baselines.torch_1_thread!;
}

describe('torchContenders with two OpenBLAS cores', () => {
  beforeEach(() => {
    stub.calls = 0;
  });

  it('takes the faster core when both run', () => {
    stub.run = (_d, _c, _t, env) =>
      env?.OPENBLAS_CORETYPE === 'SkylakeX' ? result('SkylakeX', 1) : result('Haswell', 2);
    const b = baseline();
    expect(stub.calls).toBe(2);
    expect(b.skipped).toBeUndefined();
    expect(b).toMatchObject({ seconds: 1, openblas_core: 'SkylakeX', openblas_coretype: 'SkylakeX' });
  });

  it("keeps the environment's run as the baseline when the forced core's run fails, and says so", () => {
    stub.run = (_d, _c, _t, env) => {
      if (env?.OPENBLAS_CORETYPE === 'SkylakeX') throw new Error('torch_vae.py failed: Illegal instruction');
      return result('Haswell', 2);
    };
    const b = baseline();
    expect(b.skipped).toBeUndefined();
    expect(b).toMatchObject({ seconds: 2, openblas_core: 'Haswell' });
    expect(b).not.toHaveProperty('openblas_coretype');
    expect(b.note).toMatch(
      /not measured \(failed\): OPENBLAS_CORETYPE=SkylakeX: torch_vae\.py failed: Illegal instruction/,
    );
  });

  it('is skipped, with every reason, only when every run fails', () => {
    stub.run = (_d, _c, _t, env) => {
      throw new Error(env?.OPENBLAS_CORETYPE ? 'forced failed' : 'own failed');
    };
    const b = baseline();
    expect(b.skipped).toBe("the environment's core: own failed; OPENBLAS_CORETYPE=SkylakeX: forced failed");
  });
});
