import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkloadResult } from './report.js';

/** bench/dist/run.js: the children of a run are this same script with other flags. */
const RUN_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'run.js');

/** A child run's workloads, or why it has none. */
export type ChildRun = { backend: string; workloads: WorkloadResult[] } | { skipped: string };

/** This script in a child process with `flags`; its workloads, or why it failed. */
export function runChild(flags: string[], quick: boolean, timeout: number): ChildRun {
  const dir = mkdtempSync(join(os.tmpdir(), 'varia-bench-child-'));
  const out = join(dir, 'child.json');
  try {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', RUN_SCRIPT, ...flags, '--out', out, ...(quick ? ['--quick'] : [])],
      {
        encoding: 'utf8',
        timeout,
      },
    );
    if (r.status !== 0)
      return {
        skipped: `the child run failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
      };
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { workloads: WorkloadResult[]; backend: string };
    return { backend: doc.backend, workloads: doc.workloads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The plain-wasm figures of the same workload (`plainWasm`, a child run) as `w`'s baselines `varia_plain_wasm` and `tf_layers_plain_wasm`. */
export function plainBaselines(plainWasm: ChildRun | undefined, w: WorkloadResult): void {
  if (!plainWasm) return;
  if ('skipped' in plainWasm) {
    w.baselines.varia_plain_wasm = { skipped: plainWasm.skipped };
    return;
  }
  const p = plainWasm.workloads.find((x) => x.name === w.name);
  if (!p) return;
  const { baselines, ratios, name, backend: b, metric, description, multithreaded: mt, ...figures } = p;
  void [name, ratios, b, metric, description, mt];
  w.baselines.varia_plain_wasm = {
    ...figures,
    note: 'varia on plain wasm (tfjs-wasm kernels only), child process of this run',
  };
  const layers = baselines.tf_layers;
  if (layers && !layers.skipped) {
    const { speedup: _s, speedup_cpu: _c, ...rest } = layers;
    void [_s, _c];
    w.baselines.tf_layers_plain_wasm = {
      ...rest,
      note: `tf.layers on plain wasm, child process of this run${layers.note ? `; ${layers.note}` : ''}`,
    };
  }
}
