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

/** What `apps/playground/scripts/browser-bench.mjs` writes. */
export interface BrowserResult {
  browser_plain: { examples_per_sec: number; browser: string; notes?: string[] };
  browser_isolated: { examples_per_sec: number; notes?: string[] };
  node_wasm: { examples_per_sec: number };
  node_wasm_native: { examples_per_sec: number; backend: string };
  ratios: Record<string, number>;
}

const BROWSER_SCRIPT = join(here, '..', '..', 'apps', 'playground', 'scripts', 'browser-bench.mjs');

/** The page's MNIST run in headless Chromium and the same run in Node (a child process), or why it was skipped. */
export function runBrowserBench(quick: boolean): BrowserResult | { skipped: string } {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) return { skipped: `${chromiumPath} not found (apt-get install -y chromium)` };
  const dir = mkdtempSync(join(os.tmpdir(), 'varia-bench-browser-'));
  try {
    const out = join(dir, 'browser.json');
    const r = spawnSync(process.execPath, [BROWSER_SCRIPT, '--epochs', quick ? '2' : '3', '--json', out], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    if (r.status !== 0)
      return {
        skipped: `browser-bench.mjs failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
      };
    return JSON.parse(readFileSync(out, 'utf8')) as BrowserResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBrowser(b: BrowserResult | { skipped: string }): string[] {
  if ('skipped' in b) return [`browser: skipped (${b.skipped})`];
  const n = (v: number): string => Math.round(v).toLocaleString('en-US');
  return [
    `browser (the playground page, MNIST 784-400-20, batch 128, ${b.browser_plain.browser}):`,
    `  plain wasm SIMD ${n(b.browser_plain.examples_per_sec)} ex/s, cross-origin isolated ${n(b.browser_isolated.examples_per_sec)} ex/s (${b.browser_isolated.notes?.join('; ') ?? ''})`,
    `  node: plain wasm ${n(b.node_wasm.examples_per_sec)} ex/s, ${b.node_wasm_native.backend} ${n(b.node_wasm_native.examples_per_sec)} ex/s`,
    `  browser ÷ node plain wasm: ${b.ratios.browser_plain_vs_node_wasm!.toFixed(2)}× (isolated ${b.ratios.browser_isolated_vs_node_wasm!.toFixed(2)}×); browser ÷ node default: ${b.ratios.browser_plain_vs_node_default!.toFixed(2)}× (isolated ${b.ratios.browser_isolated_vs_node_default!.toFixed(2)}×)`,
  ];
}
