import { describe, expect, it } from 'vitest';
import { formatTable, speedup, speedupCpu, type WorkloadResult } from './report.js';

const workload = (over: Partial<WorkloadResult> = {}): WorkloadResult => ({
  name: 'mnist-vae-train',
  backend: 'wasm',
  metric: 'examples_per_sec',
  examples_per_sec: 1000,
  seconds: 8,
  cpu_seconds: 8,
  examples: 8000,
  description: '',
  baselines: {
    hand_written: {
      examples_per_sec: 1100,
      seconds: 8000 / 1100,
      cpu_seconds: 4,
      examples: 4000,
      speedup: 1000 / 1100,
      speedup_cpu: 1,
    },
    tf_layers: { examples_per_sec: 250, speedup: 4 },
    torch_1_thread: { skipped: 'PyTorch is not importable' },
    torch_all_threads: { examples_per_sec: 2000, multithreaded: true, speedup: 0.5 },
  },
  ratios: {},
  ...over,
});

describe('speedup', () => {
  it('divides throughputs, varia over the baseline', () => {
    expect(speedup('examples_per_sec', { examples_per_sec: 300 }, { examples_per_sec: 100 })).toBe(3);
  });
  it('divides times the other way round for the seconds metric', () => {
    expect(speedup('seconds', { seconds: 2 }, { seconds: 6 })).toBe(3);
  });
  it('is undefined when a figure is missing', () => {
    expect(speedup('examples_per_sec', { examples_per_sec: 300 }, {})).toBeUndefined();
  });
});

describe('speedupCpu', () => {
  it('compares CPU seconds per example', () => {
    // a: 8 cpu-s for 8000 examples (1 ms each); b: 4 cpu-s for 2000 (2 ms each) → a is twice as fast
    expect(speedupCpu('examples_per_sec', { cpu_seconds: 8, examples: 8000 }, { cpu_seconds: 4, examples: 2000 })).toBe(
      2,
    );
  });
  it('compares CPU seconds for the seconds metric', () => {
    expect(speedupCpu('seconds', { cpu_seconds: 5 }, { cpu_seconds: 10 })).toBe(2);
  });
});

describe('formatTable', () => {
  it('shows each baseline with the ratio and marks skipped ones', () => {
    const table = formatTable([workload()]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^workload\s+backend\s+varia\s+hand-written/);
    expect(lines[2]).toContain('1,000 /s');
    expect(lines[2]).toContain('1,100 (0.91×)');
    expect(lines[2]).toContain('250 (4.00×)');
    expect(lines[2]).toContain('skipped');
    expect(lines[2]).toContain('n/a'); // no default-gradient column for this workload
  });
  it('leaves multithreaded contenders out of the CPU-time table', () => {
    const row = formatTable([workload()], 'cpu').split('\n')[2]!;
    expect(row).toContain('1,000 /cpu-s');
    expect(row).toContain('1,000 (1.00×)'); // hand-written: 4000 examples in 4 cpu-s
    expect(row).toMatch(/—$/);
  });
  it('prints seconds with two decimals for the seconds metric', () => {
    const row = formatTable([
      workload({
        name: 'toy2d-seed',
        metric: 'seconds',
        seconds: 12.345,
        baselines: { hand_written: { seconds: 10, speedup: 10 / 12.345 } },
      }),
    ]).split('\n')[2]!;
    expect(row).toContain('12.35 s');
    expect(row).toContain('10.00 (0.81×)');
  });
});
