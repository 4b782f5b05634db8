import { describe, expect, it } from 'vitest';
import { type BrowserResult, formatBrowser } from './browser.js';

/** A browser-bench result with the given memory figures on the plain page and on Node's default backend. */
function result(
  page?: BrowserResult['browser_plain']['memory'],
  node?: BrowserResult['node_wasm']['memory'],
): BrowserResult {
  const contender = (examples: number, memory?: BrowserResult['browser_plain']['memory']) => ({
    examples_per_sec: examples,
    rounds: [examples],
    loads: [0.5],
    threads: 1,
    ...(memory ? { memory } : {}),
  });
  return {
    machine: 'test',
    config: { epochs: 3, rounds: 1 },
    browser_plain: { ...contender(4000, page), browser: 'Chromium 1' },
    browser_isolated_1: contender(4100),
    browser_isolated: contender(3000),
    node_wasm: contender(4200),
    node_wasm_threaded: contender(2800),
    node_wasm_native: { ...contender(22000, node), backend: 'wasm-native' },
    webgpu: { probe: { adapter: null, reason: 'none' }, skipped: 'no adapter' },
    ratios: Object.fromEntries(
      [
        'browser_plain_vs_node_wasm',
        'browser_plain_vs_node_default',
        'browser_isolated_1_vs_node_wasm',
        'browser_isolated_1_vs_node_default',
        'browser_isolated_vs_node_wasm',
        'browser_isolated_vs_node_default',
        'browser_isolated_vs_node_wasm_threaded',
        'isolated_threads_vs_1_thread',
        'node_threaded_vs_plain',
      ].map((k) => [k, 1]),
    ),
  };
}

describe('formatBrowser', () => {
  it("prints each contender's peak RSS (the page's renderer, Node's process) and its tensors at the epoch ends", () => {
    const lines = formatBrowser(
      result(
        {
          renderer_peak_rss_bytes: 345 * 2 ** 20,
          tree_peak_rss_bytes_sum: 1200 * 2 ** 20,
          tf_tensors_per_epoch: [42, 42, 42],
          tf_bytes_per_epoch: [1, 1, 1],
          tensors_flat: true,
        },
        {
          peak_rss_bytes: 292 * 2 ** 20,
          tf_tensors_per_epoch: [42, 43, 44],
          tf_bytes_per_epoch: [1, 2, 3],
          tensors_flat: false,
        },
      ),
    );
    const memory = lines.find((l) => l.includes('memory'));
    expect(memory).toContain('page plain 345 MiB, tensors 42/42/42;');
    expect(memory).toContain('node default 292 MiB, tensors 42/43/44 NOT flat');
    expect(memory).not.toContain('page isolated');
  });

  it('prints no memory line for a result without memory figures (an older results file)', () => {
    expect(formatBrowser(result()).some((l) => l.includes('memory'))).toBe(false);
  });
});
