/**
 * Memory figures for the bench results: the process's peak resident set (Linux `VmHWM`, else `maxRSS`), RSS and JS
 * heap sampled while a workload runs, and `tf.memory()` — with a check that the live tensor count does not grow from
 * one sample to the next (per epoch, or every few steps of a one-epoch run).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { WorkloadMemory } from './report.js';

/** The process's peak resident set in bytes: `VmHWM` of `/proc/self/status` on Linux, else `resourceUsage().maxRSS`. */
export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Resets the kernel's peak-RSS mark (`VmHWM`) to the current RSS (Linux ≥ 4.0: write 5 to `/proc/self/clear_refs`),
 * so that the next {@link peakRssBytes} is the peak of what runs from now on. Returns false where that is not possible.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** What {@link MemoryProbe.report} returns (bytes; tensor counts). */
export interface MemoryReport {
  /** Largest RSS sampled during the run. */
  rss_sampled_max_bytes: number;
  /** The kernel's peak RSS of the process (VmHWM) at the end of the run (since the last reset when `peak_reset`). */
  peak_rss_bytes: number;
  /** Whether the kernel's peak mark was reset at the start of the run (else it covers the whole process). */
  peak_reset: boolean;
  /** Largest JS heap in use sampled. */
  heap_used_max_bytes: number;
  /** tf.memory() at the end of the run. */
  tf_num_tensors: number;
  tf_num_bytes: number;
  /** tf.memory().numTensors at each sample (epoch ends, or every few steps). */
  tf_num_tensors_samples: number[];
  /** True when every tensor-count sample equals the first (sample at epoch ends: no growth per epoch). */
  tensors_flat: boolean;
  /** tf.memory().numTensors when the probe was created (compare with `tf_num_tensors`: nothing left behind). */
  tf_num_tensors_start: number;
}

/** Samples memory while a workload runs; `report()` at the end. */
export class MemoryProbe {
  private rss = 0;
  private heap = 0;
  private readonly tensors: number[] = [];
  private readonly reset: boolean;
  private readonly startTensors = tf.memory().numTensors;

  /** `resetPeak`: reset the kernel's peak mark first (see {@link resetPeakRss}). */
  constructor(resetPeak = false) {
    this.reset = resetPeak && resetPeakRss();
    this.sample(false);
  }

  /**
   * Records RSS and heap; with `tensors`, also the live tensor count — call it where the count should be the same
   * every time, such as epoch ends (within an epoch the Trainer keeps each step's metrics on the device until the
   * epoch's single read).
   */
  sample(tensors = true): void {
    const m = process.memoryUsage();
    this.rss = Math.max(this.rss, m.rss);
    this.heap = Math.max(this.heap, m.heapUsed);
    if (tensors) this.tensors.push(tf.memory().numTensors);
  }

  report(): MemoryReport {
    this.sample(false);
    const t = tf.memory();
    const samples = this.tensors;
    return {
      rss_sampled_max_bytes: this.rss,
      peak_rss_bytes: peakRssBytes(),
      peak_reset: this.reset,
      heap_used_max_bytes: this.heap,
      tf_num_tensors: t.numTensors,
      tf_num_bytes: t.numBytes,
      tf_num_tensors_samples: samples,
      tensors_flat: samples.every((n) => n === samples[0]),
      tf_num_tensors_start: this.startTensors,
    };
  }
}

/**
 * What every bench workload records about memory (`WorkloadResult.memory`): the process's peak RSS so far,
 * tf.memory() now, and — given the live tensor count at each epoch end of a fit — whether it stayed flat.
 */
export function memoryAfterRun(tensorsPerEpoch?: number[]): WorkloadMemory {
  const t = tf.memory();
  const out: WorkloadMemory = {
    peak_rss_bytes: peakRssBytes(),
    tf_num_tensors: t.numTensors,
    tf_num_bytes: t.numBytes,
  };
  if (tensorsPerEpoch) {
    out.tensors_per_epoch = tensorsPerEpoch;
    out.tensors_flat = tensorsPerEpoch.every((n) => n === tensorsPerEpoch[0]);
  }
  return out;
}
