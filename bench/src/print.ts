import * as tf from '@tensorflow/tfjs';
import type { BrowserResult } from './browser.js';
import { formatBrowser } from './browser.js';
import type { ChildRun } from './child.js';
import { type ComposedResult, formatComposed } from './composed.js';
import { type CpuIdentity, describeCpu } from './cpu-identity.js';
import type { StepProfile } from './profile-step.js';
import { type BlasSummary, formatBlasFooter } from './openblas-core.js';
import { formatRounds, formatTable, mib, type WorkloadResult } from './report.js';
import { formatSparseInput } from './sparse-train.js';
import { formatSparse } from './sparse-workload.js';

/** What the printed report shows: the results document's parts. */
export interface ReportInputs {
  doc: {
    date: string;
    machine: { cpu: string; cpu_identity?: CpuIdentity; cores: number };
    gpu: string;
    torch: unknown;
    malloc?: string | Record<string, string>;
    total_seconds: number;
  };
  out: string;
  backend: string;
  q: boolean;
  rounds: number;
  cores: number;
  torchProbe: { version: string } | { skipped: string };
  workloads: WorkloadResult[];
  plainWasm: ChildRun | undefined;
  wasmThreaded: unknown;
  twoCore: unknown;
  browser: BrowserResult | { skipped: string } | undefined;
  census: StepProfile[];
  memory: Record<string, unknown> | undefined;
  mnistPeak: Record<string, unknown> | undefined;
  sparse: Record<string, unknown> | { skipped: string } | undefined;
  composed: ComposedResult[] | undefined;
}

/** The tables and summaries `pnpm bench` prints to stdout, one string per line. */
export function formatReport(r: ReportInputs): string[] {
  const { doc, backend, q, rounds, cores, torchProbe, workloads, plainWasm, wasmThreaded, twoCore } = r;
  const { browser, census, memory, mnistPeak, sparse, composed } = r;
  const lines = [
    `varia bench — ${doc.date.slice(0, 10)}, ${describeCpu(doc.machine.cpu, doc.machine.cpu_identity)}, ${doc.machine.cores} cores, node ${process.version}, tfjs ${tf.version.tfjs}, backend ${backend}`,
  ];
  if (workloads.length > 0)
    lines.push(
      `(each baseline: its figure, then varia's speed-up over it; > 1× means varia is faster)`,
      '',
      'wall clock:',
      formatTable(workloads),
      '',
      'process CPU time (robust to other load on a shared machine; single-threaded contenders only):',
      formatTable(workloads, 'cpu'),
    );
  const sparseLines = formatSparseInput(workloads);
  if (sparseLines.length > 0) lines.push('', 'sparse-input training against the dense fit:', ...sparseLines);
  const roundLines = formatRounds(workloads);
  if (roundLines.length > 0)
    lines.push('', `varia ÷ PyTorch 1 thread, ${rounds} interleaved rounds (A B A B …):`, ...roundLines);
  if (plainWasm && 'skipped' in plainWasm) lines.push('', `plain wasm baselines: ${plainWasm.skipped}`);
  const threadedRow = (wasmThreaded as { workloads?: WorkloadResult[] } | undefined)?.workloads?.[0];
  if (threadedRow) lines.push('', 'experimental, multithreaded wasm (see README):', formatTable([threadedRow]));
  else if (wasmThreaded)
    lines.push('', `experimental multithreaded wasm: ${(wasmThreaded as { skipped?: string }).skipped}`);
  const twoCoreRows = (twoCore as { workloads?: WorkloadResult[] } | undefined)?.workloads;
  if (twoCoreRows?.length) {
    lines.push('', `both cores (wasm-native, ${cores} threads sharing blocks):`, formatTable(twoCoreRows));
    lines.push(...formatRounds(twoCoreRows));
  } else if (twoCore) lines.push('', `both cores: ${(twoCore as { skipped?: string }).skipped}`);
  if (browser) lines.push('', ...formatBrowser(browser));
  if (census.length > 0) {
    lines.push('', 'kernels per training step (kernel census, one epoch after a warm-up):');
    for (const c of census) {
      const top = c.kernels
        .slice(0, 5)
        .map((k) => `${k.name} ${k.perStep.toFixed(0)}× ${k.msPerStep.toFixed(2)} ms`)
        .join(', ');
      lines.push(
        `  ${c.workload.padEnd(24)} ${c.kernelsPerStep.toFixed(0)} kernels${c.partsPerStep === undefined ? '' : ` (the step one kernel; ${c.partsPerStep.toFixed(0)} kernel by kernel)`}, ${c.msPerStep.toFixed(2)} ms/step, ${(100 * c.shareOutsideBlas).toFixed(0)} % outside BLAS${c.partsPerStep === undefined ? '' : ' (kernel by kernel)'} (${(100 * (1 - c.shareInKernels)).toFixed(0)} % outside any kernel); ${top}`,
      );
    }
  }
  if (memory) {
    const e1 = memory.epoch_1 as { numTensors: number; numBytes: number };
    const e10 = memory.epoch_10 as { numTensors: number; numBytes: number } | undefined;
    lines.push(
      '',
      `memory: tf.memory() epoch 1: ${e1.numTensors} tensors / ${mib(e1.numBytes)}; epoch 10: ${e10?.numTensors} tensors / ${e10 ? mib(e10.numBytes) : '—'} (${memory.flat ? 'flat' : 'NOT flat'})`,
    );
    if (mnistPeak) {
      lines.push(
        `        mnist-vae-train peak: RSS ${mib(mnistPeak.rss_bytes as number)}, JS heap ${mib(mnistPeak.heap_used_bytes as number)}, tf ${mib(mnistPeak.tf_num_bytes as number)}` +
          (mnistPeak.wasm_heap_bytes ? `, wasm heap ${mib(mnistPeak.wasm_heap_bytes as number)}` : '') +
          `; process max RSS ${mib(mnistPeak.max_rss_bytes as number)}`,
      );
    }
  }
  if (sparse) lines.push('', formatSparse(sparse));
  if (composed)
    lines.push('', `composed models (${q ? 'CI size, --quick' : 'full size'}):`, ...formatComposed(composed));
  lines.push(
    '',
    `GPU: ${doc.gpu}`,
    `PyTorch: ${'version' in torchProbe ? `${torchProbe.version} via ${doc.torch && (doc.torch as { python?: string }).python}` : `skipped (${torchProbe.skipped})`}`,
  );
  if ('version' in torchProbe)
    lines.push(
      formatBlasFooter((doc.torch as { openblas?: BlasSummary }).openblas, [...workloads, ...(twoCoreRows ?? [])]),
    );
  lines.push(
    `malloc (every process of the run, PyTorch's too): ${
      typeof doc.malloc === 'string'
        ? doc.malloc
        : Object.entries(doc.malloc ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'glibc defaults'
    }`,
  );
  lines.push(`total ${doc.total_seconds.toFixed(0)} s; results written to ${r.out}`);
  return lines;
}
