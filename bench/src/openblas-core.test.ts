import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  type BlasRun,
  blasCandidates,
  blasSummary,
  combineBlasRuns,
  cpuinfoHasAvx512,
  formatBlasFooter,
  hostHasAvx512,
} from './openblas-core.js';
import { PYTHON, probeTorch, runTorch, type TorchResult } from './torch.js';
import { torchVariants } from './torch-variants.js';

const ZEN5_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sse sse2 avx fma avx2 avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512_vnni';
const cpuinfo = (flags: string): string =>
  `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nflags\t\t: ${flags}\nbugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;

describe('cpuinfoHasAvx512', () => {
  it('needs AVX-512 F, BW, VL and DQ, as whole flags', () => {
    expect(cpuinfoHasAvx512(cpuinfo(ZEN5_FLAGS))).toBe(true);
    expect(cpuinfoHasAvx512(cpuinfo(ZEN5_FLAGS.replace(' avx512dq', '')))).toBe(false);
    expect(cpuinfoHasAvx512(cpuinfo('sse avx2 fma'))).toBe(false);
    expect(cpuinfoHasAvx512(cpuinfo('avx512fp16 avx512bwx avx512vl avx512dq'))).toBe(false);
    expect(cpuinfoHasAvx512('processor : 0\n')).toBe(false);
    expect(cpuinfoHasAvx512('')).toBe(false);
  });
});

describe('blasCandidates', () => {
  it('adds OPENBLAS_CORETYPE=SkylakeX where OpenBLAS runs a non-AVX-512 core on an AVX-512 CPU', () => {
    expect(blasCandidates({ core: 'Haswell', avx512: true })).toEqual([
      { env: {} },
      { coretype: 'SkylakeX', env: { OPENBLAS_CORETYPE: 'SkylakeX' } },
    ]);
    expect(blasCandidates({ core: 'Zen', avx512: true })).toHaveLength(2);
    // OPENBLAS_CORETYPE=Haswell in the environment (as on the Zen 5 of 2026-12-02) is measured, not obeyed alone
    expect(blasCandidates({ core: 'Haswell', avx512: true, coretypeEnv: 'Haswell' })).toHaveLength(2);
  });

  it('changes nothing where OpenBLAS runs an AVX-512 core, the CPU has no AVX-512, or the BLAS is not OpenBLAS', () => {
    for (const core of ['SkylakeX', 'cooperlake', 'SAPPHIRERAPIDS'])
      expect(blasCandidates({ core, avx512: true })).toEqual([{ env: {} }]);
    expect(blasCandidates({ core: 'Haswell', avx512: false })).toEqual([{ env: {} }]);
    expect(blasCandidates({ core: 'SkylakeX', avx512: true, coretypeEnv: 'SkylakeX' })).toEqual([{ env: {} }]);
    expect(blasCandidates({ avx512: true })).toEqual([{ env: {} }]);
    expect(blasCandidates(undefined)).toEqual([{ env: {} }]);
  });
});

const OWN = { env: {} };
const FORCED = { coretype: 'SkylakeX', env: { OPENBLAS_CORETYPE: 'SkylakeX' } };
const SPARSE = 'torch.sparse.mm(COO batch, dense weight)';
const run = (candidate: BlasRun['candidate'], over: Partial<TorchResult>): BlasRun => ({
  candidate,
  result: {
    torch_version: '1.13',
    blas: 'openblas',
    blas_core: candidate.coretype ?? 'Haswell',
    threads: 1,
    examples: 100,
    seconds: 2,
    cpu_seconds: 2,
    ...over,
  },
});

describe('combineBlasRuns', () => {
  it('returns a lone run as it is', () => {
    const only = run(OWN, { loss: 3 });
    expect(combineBlasRuns([only])).toEqual({ result: only.result, chosen: only, lossGroups: [[]] });
    expect(() => combineBlasRuns([])).toThrow(/no runs/);
  });

  it('takes the run with less CPU time on one thread (not less wall time), every run under variants', () => {
    const own = run(OWN, { seconds: 1.0, cpu_seconds: 1.6, loss: 150 });
    const forced = run(FORCED, { seconds: 1.2, cpu_seconds: 1.1, loss: 150.01 });
    const { result, chosen } = combineBlasRuns([own, forced]);
    expect(chosen).toBe(forced);
    expect(result).toMatchObject({ seconds: 1.2, cpu_seconds: 1.1, loss: 150.01, blas_core: 'SkylakeX' });
    expect(result.variant).toBe('OpenBLAS SkylakeX');
    expect(result.variants).toEqual({
      'OpenBLAS Haswell': { seconds: 1.0, cpu_seconds: 1.6, loss: 150 },
      'OpenBLAS SkylakeX': { seconds: 1.2, cpu_seconds: 1.1, loss: 150.01 },
    });
    const v = torchVariants(result); // what the baseline records: consistent, and the note names both
    expect(v.note).toContain('the faster (CPU time) of OpenBLAS Haswell 1000.0 ms');
    expect(v.note).toContain('OpenBLAS SkylakeX 1200.0 ms (CPU 1100.0 ms, loss 150.0100)');
  });

  it('takes the run with less wall time with more threads', () => {
    const own = run(OWN, { threads: 2, seconds: 1.0, cpu_seconds: 1.9 });
    const forced = run(FORCED, { threads: 2, seconds: 1.2, cpu_seconds: 1.1 });
    const { result, chosen } = combineBlasRuns([own, forced]);
    expect(chosen).toBe(own);
    expect(result.variant).toBe('OpenBLAS Haswell');
    expect(torchVariants(result).note).toContain('the faster (wall time)');
  });

  it("keeps each run's own variants, prefixed by its core, and names the faster run's chosen one", () => {
    const own = run(OWN, {
      seconds: 3,
      cpu_seconds: 3,
      variant: SPARSE,
      variants: { dense: { seconds: 3.5, cpu_seconds: 3.5 }, [SPARSE]: { seconds: 3, cpu_seconds: 3 } },
    });
    const forced = run(FORCED, {
      seconds: 2,
      cpu_seconds: 2,
      variant: 'dense',
      variants: { dense: { seconds: 2, cpu_seconds: 2 }, [SPARSE]: { seconds: 2.8, cpu_seconds: 2.8 } },
    });
    const { result } = combineBlasRuns([own, forced]);
    expect(Object.keys(result.variants!)).toEqual([
      'OpenBLAS Haswell: dense',
      `OpenBLAS Haswell: ${SPARSE}`,
      'OpenBLAS SkylakeX: dense',
      `OpenBLAS SkylakeX: ${SPARSE}`,
    ]);
    expect(result.variant).toBe('OpenBLAS SkylakeX: dense');
    expect(torchVariants(result).variant).toBe('OpenBLAS SkylakeX: dense');
  });

  it("checks the losses within each core's run, not across cores (their kernels round differently)", () => {
    const train = (candidate: BlasRun['candidate'], loss: number, cpu: number): BlasRun =>
      run(candidate, {
        seconds: cpu,
        cpu_seconds: cpu,
        loss,
        variant: 'dense',
        variants: {
          dense: { seconds: cpu, cpu_seconds: cpu, loss },
          [SPARSE]: { seconds: 9, cpu_seconds: 9, loss: loss * (1 + 1e-6) },
        },
      });
    // the Poisson model's losses after 2 epochs, Haswell against SkylakeX: 1.5e-3 apart (2026-12-02)
    const { result, lossGroups } = combineBlasRuns([train(OWN, 24_000, 2), train(FORCED, 24_036, 1)]);
    expect(lossGroups).toEqual([
      ['OpenBLAS Haswell: dense', `OpenBLAS Haswell: ${SPARSE}`],
      ['OpenBLAS SkylakeX: dense', `OpenBLAS SkylakeX: ${SPARSE}`],
    ]);
    expect(torchVariants(result, lossGroups).variant_loss_spread).toBeCloseTo(1e-6, 9);
    expect(() => torchVariants(result)).toThrow(/did not train the same model/);
    const apart = train(FORCED, 24_036, 1);
    apart.result.variants![SPARSE]!.loss = 24_036 * 1.002; // one core's variants apart: refused still
    const bad = combineBlasRuns([train(OWN, 24_000, 2), apart]);
    expect(() => torchVariants(bad.result, bad.lossGroups)).toThrow(/did not train the same model/);
  });

  it('labels two runs that report the same core by the variable the bench set (the name was not taken)', () => {
    const own = run(OWN, { blas_core: 'Haswell', cpu_seconds: 1 });
    const forced = run(FORCED, { blas_core: 'Haswell', cpu_seconds: 3 });
    const { result } = combineBlasRuns([own, forced]);
    expect(Object.keys(result.variants!)).toEqual([
      'OpenBLAS Haswell',
      'OpenBLAS Haswell (OPENBLAS_CORETYPE=SkylakeX)',
    ]);
    expect(result.variant).toBe('OpenBLAS Haswell');
  });
});

describe('blasSummary and formatBlasFooter', () => {
  const probe = { core: 'Haswell', avx512: true };
  const rows: Parameters<typeof formatBlasFooter>[1] = [
    {
      name: 'mnist-vae-train',
      baselines: {
        torch_1_thread: { openblas_core: 'SkylakeX' },
        torch_all_threads: { openblas_core: 'SkylakeX' },
        tf_layers: {},
      },
    },
    { name: 'toy2d-seed', baselines: { torch_1_thread: { openblas_core: 'Haswell' } } },
  ];

  it('records what was measured', () => {
    expect(blasSummary(probe)).toEqual({ own_core: 'Haswell', cpu_avx512: true, also_measured: ['SkylakeX'] });
    expect(blasSummary({ core: 'SkylakeX', avx512: true })).toEqual({
      own_core: 'SkylakeX',
      cpu_avx512: true,
      also_measured: [],
    });
    expect(blasSummary({ avx512: false, coretypeEnv: 'Haswell' })).toEqual({
      coretype_env: 'Haswell',
      cpu_avx512: false,
      also_measured: [],
    });
  });

  it('names the core each contender ran with, the minority by name', () => {
    const line = formatBlasFooter(blasSummary(probe), rows);
    expect(line).toContain('Haswell (its own choice)');
    expect(line).toContain('OPENBLAS_CORETYPE=SkylakeX');
    expect(line).toContain('SkylakeX 2 of 3, Haswell 1 of 3 (toy2d-seed 1 thr)');
    const env = formatBlasFooter(blasSummary({ ...probe, coretypeEnv: 'Haswell' }), rows);
    expect(env).toContain('Haswell (OPENBLAS_CORETYPE=Haswell in the environment); the CPU has AVX-512');
  });

  it('is one plain statement where nothing else was measured', () => {
    expect(formatBlasFooter(blasSummary({ core: 'SkylakeX', avx512: true }), rows)).toBe(
      'OpenBLAS core of PyTorch: SkylakeX (its own choice)',
    );
    expect(formatBlasFooter(blasSummary({ core: 'SkylakeX', avx512: true, coretypeEnv: 'SkylakeX' }), rows)).toBe(
      'OpenBLAS core of PyTorch: SkylakeX (OPENBLAS_CORETYPE=SkylakeX in the environment)',
    );
    expect(formatBlasFooter(blasSummary({ avx512: true }), rows)).toMatch(/not OpenBLAS/);
    expect(formatBlasFooter(undefined, rows)).toMatch(/not probed/);
  });
});

const torch = probeTorch();
describe.skipIf('skipped' in torch)('torch_vae.py reports its OpenBLAS core (needs python3-torch)', () => {
  const data = { data: new Float32Array(64 * 8).fill(0.5), rows: 64, cols: 8 };
  const config = {
    workload: 'encode',
    likelihood: 'bernoulli',
    hidden: 4,
    latent: 2,
    encode_repeats: 1,
    threads: 1,
  };

  it('reports the core the probe saw (the environment as it stands)', () => {
    if (!('blas' in torch) || torch.blas.core === undefined) return;
    expect(runTorch(data, config).blas_core).toBe(torch.blas.core);
  });

  it('reports the page faults of its fastest encode call, a count', () => {
    const r = runTorch(data, { ...config, encode_repeats: 3 });
    expect(Number.isInteger(r.minor_faults)).toBe(true);
    expect(r.minor_faults).toBeGreaterThanOrEqual(0);
  });

  it.skipIf(!hostHasAvx512())('runs the core that OPENBLAS_CORETYPE names', () => {
    if (!('blas' in torch) || torch.blas.core === undefined) return;
    expect(runTorch(data, config, undefined, { OPENBLAS_CORETYPE: 'SkylakeX' }).blas_core).toBe('SkylakeX');
  });
});

describe('probeTorch', () => {
  it('is skipped, not a crash, when the interpreter prints no JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'varia-probe-'));
    const fake = join(dir, 'python3');
    writeFileSync(fake, '#!/bin/sh\necho "torch 1.13 is here"\n');
    chmodSync(fake, 0o755);
    vi.stubEnv('VARIA_BENCH_PYTHON', fake);
    vi.resetModules();
    try {
      const fresh = await import('./torch.js');
      expect(fresh.PYTHON).toBe(fake);
      const probe = fresh.probeTorch();
      expect(probe).toHaveProperty('skipped');
      expect((probe as { skipped: string }).skipped).toMatch(/did not print its JSON line .*torch 1\.13 is here/);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
      rmSync(dir, { recursive: true });
    }
  });
});

describe.skipIf('skipped' in torch)('torch_vae.py openblas_core() (needs python3-torch)', () => {
  it('is None, not an error, where /proc/self/maps cannot be read (not Linux): the measurement still counts', () => {
    const python = join(dirname(fileURLToPath(import.meta.url)), '..', 'python');
    const code = [
      'import builtins, sys',
      `sys.path.insert(0, ${JSON.stringify(python)})`,
      'import torch_vae',
      'real = builtins.open',
      'def fake(path, *a, **k):',
      '    if path == "/proc/self/maps": raise FileNotFoundError(path)',
      '    return real(path, *a, **k)',
      'builtins.open = fake',
      'print(torch_vae.openblas_core())',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.stdout.trim()).toBe('None');
  });
});
