import * as tf from '@tensorflow/tfjs';
import { memoryAfterRun } from './memory-probe.js';
import { type BaselineResult, type Figures, speedup, speedupCpu, type WorkloadResult } from './report.js';
import { againstFastest, median } from './rounds.js';
import type { Timing } from './workloads.js';

export function timingBaseline(t: Timing, note?: string): BaselineResult {
  return {
    examples_per_sec: t.examplesPerSec,
    seconds: t.seconds,
    cpu_seconds: t.cpuSeconds,
    examples: t.examples,
    loss: t.loss,
    ...(note ? { note } : {}),
  };
}

/**
 * A workload's result as it starts: varia's timing `t` (the headline `metric` among its figures), what was timed, and
 * no baselines or ratios yet; `extra` adds the workload's own fields (loss, memory, multithreaded).
 */
export function variaResult(
  name: string,
  backend: string,
  metric: WorkloadResult['metric'],
  t: Timing,
  description: string,
  extra: Partial<WorkloadResult> = {},
): WorkloadResult {
  return {
    name,
    backend,
    metric,
    examples_per_sec: t.examplesPerSec,
    seconds: t.seconds,
    cpu_seconds: t.cpuSeconds,
    examples: t.examples,
    ...extra,
    description,
    baselines: {},
    ratios: {},
  };
}

export function finish(w: WorkloadResult): WorkloadResult {
  // peak RSS and tf.memory() after every workload (training workloads recorded theirs after varia's run)
  w.memory ??= memoryAfterRun();
  for (const b of Object.values(w.baselines)) {
    if (b.skipped) continue;
    b.speedup = speedup(w.metric, w, b);
    if (!b.multithreaded && !w.multithreaded) b.speedup_cpu = speedupCpu(w.metric, w, b);
  }
  const s = (k: string, cpu = false): number | undefined =>
    cpu ? w.baselines[k]?.speedup_cpu : w.baselines[k]?.speedup;
  const inv = (v: number | undefined): number | undefined => (v ? 1 / v : undefined);
  const hand = w.baselines.hand_written;
  const handDefault = w.baselines.hand_written_default_grad;
  w.ratios = {
    // varia's time ÷ the hand-written loop's time (target ≤ 1.05)
    library_overhead: inv(s('hand_written')),
    library_overhead_cpu: inv(s('hand_written', true)),
    speedup_vs_tf_layers: s('tf_layers'),
    speedup_vs_tf_layers_cpu: s('tf_layers', true),
    transpose_free_vs_default_grad:
      hand && handDefault && !handDefault.skipped ? speedup(w.metric, hand, handDefault) : undefined,
    transpose_free_vs_default_grad_cpu:
      hand && handDefault && !handDefault.skipped ? speedupCpu(w.metric, hand, handDefault) : undefined,
    speedup_vs_plain_wasm: s('varia_plain_wasm'),
    speedup_vs_plain_wasm_cpu: s('varia_plain_wasm', true),
    speedup_vs_tf_layers_plain_wasm: s('tf_layers_plain_wasm'),
    speedup_vs_tf_layers_plain_wasm_cpu: s('tf_layers_plain_wasm', true),
    vs_torch_1_thread: s('torch_1_thread'),
    vs_torch_1_thread_cpu: s('torch_1_thread', true),
    vs_torch_all_threads: s('torch_all_threads'),
    vs_torch_1_thread_median: median(w.torch_rounds?.map((r) => r.speedup) ?? []),
    vs_torch_1_thread_cpu_median: median(w.torch_rounds?.map((r) => r.speedup_cpu) ?? []),
    vs_torch_1_thread_fastest: w.torch_rounds ? againstFastest(w.metric, w.torch_rounds) : undefined,
    vs_torch_best_threads: minDefined(s('torch_1_thread'), s('torch_all_threads')),
  };
  return w;
}

/** The figures alone (no baselines or notes), for a round's record. */
export function pickFigures({ examples_per_sec, seconds, cpu_seconds, examples }: Figures): Figures {
  return { examples_per_sec, seconds, cpu_seconds, examples };
}

/** The smaller of the defined values: varia's speed-up over PyTorch's best thread count. */
function minDefined(...values: (number | undefined)[]): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined);
  return xs.length > 0 ? Math.min(...xs) : undefined;
}

/** Size of the wasm backend's linear memory (its high-water mark: wasm memory never shrinks), when on wasm. */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return module?.HEAPU8?.buffer.byteLength;
}
