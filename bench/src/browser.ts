/**
 * The playground page's MNIST training in headless Chromium against the same run in Node: runs
 * `apps/playground/scripts/browser-bench.mjs` in a child process and formats what it measured.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** One contender of the browser bench: its median speed over the rounds, each round's, and the load at each. */
interface BrowserContender {
  examples_per_sec: number;
  rounds: number[];
  loads: number[];
  backend?: string;
  /** XNNPACK threads (browser contenders). */
  threads?: number;
  notes?: string[];
  browser?: string;
  /**
   * tf.memory() at each epoch end of the last round (`tensors_flat`: the same count at every epoch end, in every round)
   * and peak resident sets, the largest of any round: Node's process (`peak_rss_bytes`), or the page's Chromium
   * renderer (`renderer_peak_rss_bytes`, the page and its training worker) beside the sum over the browser's
   * processes (`tree_peak_rss_bytes_sum`, an upper bound).
   */
  memory?: {
    peak_rss_bytes?: number;
    renderer_peak_rss_bytes?: number;
    tree_peak_rss_bytes_sum?: number;
    processes?: number;
    tf_tensors_per_epoch: (number | undefined)[];
    tf_bytes_per_epoch: (number | undefined)[];
    tensors_flat: boolean;
  };
}

/** What `apps/playground/scripts/browser-bench.mjs` writes. */
export interface BrowserResult {
  machine: string;
  config: { epochs: number; rounds: number };
  browser_plain: BrowserContender;
  browser_isolated_1: BrowserContender;
  /** The isolated page's default (absent in results from before it was measured). */
  browser_isolated_default?: BrowserContender;
  browser_isolated: BrowserContender;
  /** Present when headless Chromium offered a hardware WebGPU adapter. */
  browser_webgpu?: BrowserContender;
  node_wasm: BrowserContender;
  /** tfjs-wasm's threaded build in Node (every core, as the isolated page's `?threads=N` row). */
  node_wasm_threaded: BrowserContender;
  node_wasm_native: BrowserContender;
  webgpu: {
    probe: { adapter: string | null; software?: boolean; reason?: string };
    /** Why there is no WebGPU row. */
    skipped?: string;
    /** The software adapter run once (`--webgpu-software`): its speed, or the error it ended with. */
    software_run?: { examples_per_sec?: number; error?: string };
  };
  /**
   * Medians of per-round ratios: `<browser contender>_vs_node_wasm`, `<browser contender>_vs_node_default`,
   * `browser_isolated_vs_node_wasm_threaded`, `isolated_threads_vs_1_thread`, `isolated_default_vs_1_thread`,
   * `node_threaded_vs_plain`.
   */
  ratios: Record<string, number>;
}

const BROWSER_SCRIPT = join(here, '..', '..', 'apps', 'playground', 'scripts', 'browser-bench.mjs');

/**
 * The page's MNIST run in headless Chromium (plain wasm SIMD; cross-origin isolated with 1 thread and with every
 * core; WebGPU where a hardware adapter is offered) and the same run in Node (plain wasm,
 * wasm-native), alternated over `rounds` rounds; or why it was skipped.
 */
export function runBrowserBench(quick: boolean, rounds: number): BrowserResult | { skipped: string } {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) return { skipped: `${chromiumPath} not found (apt-get install -y chromium)` };
  const dir = mkdtempSync(join(os.tmpdir(), 'varia-bench-browser-'));
  try {
    const out = join(dir, 'browser.json');
    const epochs = quick ? '2' : '3';
    const r = spawnSync(
      process.execPath,
      [BROWSER_SCRIPT, '--epochs', epochs, '--rounds', String(rounds), '--json', out],
      {
        encoding: 'utf8',
        timeout: 1_800_000,
      },
    );
    if (r.status !== 0)
      return {
        skipped: `browser-bench.mjs failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
      };
    return JSON.parse(readFileSync(out, 'utf8')) as BrowserResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `--webgpu-software` run in words, or nothing when it was not asked for. */
function softwareRun(run: BrowserResult['webgpu']['software_run']): string {
  if (!run) return '';
  const speed = run.examples_per_sec;
  return `; the software adapter run once: ${speed !== undefined ? `${Math.round(speed)} ex/s` : `failed: ${run.error}`}`;
}

export function formatBrowser(b: BrowserResult | { skipped: string }): string[] {
  if ('skipped' in b) return [`browser: skipped (${b.skipped})`];
  const n = (v: number): string => Math.round(v).toLocaleString('en-US');
  const x = (key: string): string => `${b.ratios[key]!.toFixed(2)}×`;
  const row = (label: string, key: string, c: BrowserContender): string =>
    `  ${label.padEnd(34)} ${n(c.examples_per_sec).padStart(7)} ex/s  ÷ node plain wasm ${x(`${key}_vs_node_wasm`)}, ÷ node default ${x(`${key}_vs_node_default`)}  (${c.threads ?? 1} thread${c.threads === 1 ? '' : 's'}; rounds ${c.rounds.map(n).join(', ')})`;
  const webgpu = b.browser_webgpu
    ? row(`WebGPU (${b.webgpu.probe.adapter})`, 'browser_webgpu', b.browser_webgpu)
    : `  WebGPU: none — ${b.webgpu.skipped}${softwareRun(b.webgpu.software_run)}`;
  const loads = b.browser_plain.loads.map((l) => l.toFixed(1)).join(', ');
  return [
    `browser (the playground page, MNIST 784-400-20, batch 128, ${b.browser_plain.browser}; median of ${b.config.rounds} interleaved rounds, load ${loads}):`,
    row('plain wasm SIMD', 'browser_plain', b.browser_plain),
    row('cross-origin isolated, ?threads=1', 'browser_isolated_1', b.browser_isolated_1),
    ...(b.browser_isolated_default
      ? [row('cross-origin isolated, default', 'browser_isolated_default', b.browser_isolated_default)]
      : []),
    row('cross-origin isolated, every core', 'browser_isolated', b.browser_isolated),
    webgpu,
    `  node: plain wasm ${n(b.node_wasm.examples_per_sec)} ex/s, threaded wasm ${n(b.node_wasm_threaded.examples_per_sec)} ex/s (${b.node_wasm_threaded.threads ?? '?'} threads, ${x('node_threaded_vs_plain')} plain), ${b.node_wasm_native.backend} ${n(b.node_wasm_native.examples_per_sec)} ex/s`,
    `  threads: isolated page every core ÷ ?threads=1 ${x('isolated_threads_vs_1_thread')}${b.ratios.isolated_default_vs_1_thread === undefined ? '' : `, its default ÷ ?threads=1 ${x('isolated_default_vs_1_thread')}`}; isolated page ÷ node threaded wasm ${x('browser_isolated_vs_node_wasm_threaded')}`,
    ...formatMemory(b),
  ];
}

/** The contenders' memory in one line: peak RSS (the page's renderer; Node's process) and whether tensors stay flat. */
function formatMemory(b: BrowserResult): string[] {
  const contenders: [string, BrowserContender | undefined][] = [
    ['page plain', b.browser_plain],
    ['page isolated ?threads=1', b.browser_isolated_1],
    ['page isolated default', b.browser_isolated_default],
    ['page isolated every core', b.browser_isolated],
    ['page WebGPU', b.browser_webgpu],
    ['node plain wasm', b.node_wasm],
    ['node threaded wasm', b.node_wasm_threaded],
    ['node default', b.node_wasm_native],
  ];
  const parts = contenders.flatMap(([label, c]) => {
    const m = c?.memory;
    const peak = m?.renderer_peak_rss_bytes ?? m?.peak_rss_bytes;
    if (!m || peak === undefined) return [];
    const tensors = m.tf_tensors_per_epoch.join('/');
    return [`${label} ${(peak / 2 ** 20).toFixed(0)} MiB, tensors ${tensors}${m.tensors_flat ? '' : ' NOT flat'}`];
  });
  return parts.length
    ? [`  memory (peak RSS: the page's renderer, Node's process; tf tensors at each epoch end): ${parts.join('; ')}`]
    : [];
}
