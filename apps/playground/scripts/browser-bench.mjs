#!/usr/bin/env node
// The playground page's MNIST training speed in headless Chromium, as a ratio to the same run in Node.
//
//   node scripts/browser-bench.mjs [--epochs 3] [--json FILE]        (after `pnpm --filter @varia/playground build`)
//
// The same model and data in every run: MNIST 784-400-20-400-784 ReLU, Bernoulli, batch 128, Adam 1e-3, seed 0,
// the 8,000 training digits, no validation split. Speed = examples ÷ the epochs' own `seconds` (fit's step time,
// without the page's per-epoch snapshots), over the epochs after the first (the warm-up: JIT, kernel compilation).
// Runs: the page on plain wasm SIMD (single thread: served without cross-origin isolation), the page on threaded
// wasm SIMD (served with COOP/COEP: crossOriginIsolated, navigator.hardwareConcurrency threads), and Node on plain
// wasm (the same kernels as the browser) and on wasm-native (Node's default). CHROMIUM_PATH overrides
// /usr/bin/chromium. bench/src/run.ts runs this with `--browser`.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveStatic, WEB_ROOT } from '../dist/serve.js';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const EPOCHS = Number(flag('--epochs') ?? 3);
const CONFIG = { hidden: 400, latent: 20, batch: 128, lr: 0.001, seed: 0 };

/** examples/s over the epochs after the first. */
function speed(epochs, rows) {
  const timed = epochs.slice(1);
  const seconds = timed.reduce((s, e) => s + e.seconds, 0);
  return { examples_per_sec: (rows * timed.length) / seconds, seconds, epochs: timed.length, rows };
}

async function browserRun(isolated) {
  const server = await serveStatic(WEB_ROOT, 0, { isolated });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    // record the worker's epoch messages without touching the page's code
    await page.addInitScript(() => {
      const Native = window.Worker;
      window.__variaEpochs = [];
      window.Worker = class extends Native {
        constructor(...args) {
          super(...args);
          this.addEventListener('message', (e) => {
            if (e.data?.type === 'epoch') window.__variaEpochs.push(e.data.log);
            if (e.data?.type === 'backend') window.__variaBackend = e.data;
          });
        }
      };
    });
    await page.goto(server.url);
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#likelihood', 'bernoulli');
    await page.selectOption('#backend-pref', 'wasm');
    for (const [id, value] of [
      ['latent', CONFIG.latent],
      ['hidden', CONFIG.hidden],
      ['lr', CONFIG.lr],
      ['epochs', EPOCHS],
      ['batch', CONFIG.batch],
      ['validation', 0],
      ['seed', CONFIG.seed],
    ]) {
      await page.fill(`#${id}`, String(value));
    }
    await page.click('#train');
    await page.waitForSelector('#runs tr[data-run="1"][data-status="completed"], body[data-state="error"]', {
      timeout: 600_000,
    });
    if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(await page.textContent('#status'));
    const { epochs, backend, isolatedPage, threads } = await page.evaluate(() => ({
      epochs: window.__variaEpochs,
      backend: window.__variaBackend,
      isolatedPage: window.crossOriginIsolated,
      threads: navigator.hardwareConcurrency,
    }));
    return {
      ...speed(epochs, 8000),
      backend: backend?.backend,
      notes: backend?.notes,
      cross_origin_isolated: isolatedPage,
      hardware_concurrency: threads,
      browser: `Chromium ${browser.version()}`,
      loss: epochs.at(-1)?.loss,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function nodeRun(candidate) {
  const tf = await import('@tensorflow/tfjs');
  const { selectBackend } = await import('../dist/backend.js');
  const { mnist } = await import('@varia/datasets');
  const { VAE } = await import('@varia/vae');
  const selection = await selectBackend(candidate);
  const x = mnist({ split: 'train' }).x;
  const vae = new VAE({
    inputDim: 784,
    latentDim: CONFIG.latent,
    hiddenUnits: [CONFIG.hidden],
    likelihood: 'bernoulli',
    seed: CONFIG.seed,
  });
  try {
    const history = await vae.fit(x, {
      epochs: EPOCHS,
      batchSize: CONFIG.batch,
      learningRate: CONFIG.lr,
      seed: CONFIG.seed,
    });
    return {
      ...speed(history.epochs, x.rows),
      backend: selection.native ? selection.native.description : tf.getBackend(),
      loss: history.epochs.at(-1).loss,
    };
  } finally {
    vae.dispose();
  }
}

const result = {
  date: new Date().toISOString(),
  config: { ...CONFIG, epochs: EPOCHS, data: 'MNIST, 8,000 training digits', likelihood: 'bernoulli' },
  browser_plain: await browserRun(false),
  browser_isolated: await browserRun(true),
  node_wasm: await nodeRun('wasm'),
  node_wasm_native: await nodeRun('wasm-native'),
};
const r = (a, b) => a.examples_per_sec / b.examples_per_sec;
result.ratios = {
  browser_plain_vs_node_wasm: r(result.browser_plain, result.node_wasm),
  browser_isolated_vs_node_wasm: r(result.browser_isolated, result.node_wasm),
  browser_plain_vs_node_default: r(result.browser_plain, result.node_wasm_native),
  browser_isolated_vs_node_default: r(result.browser_isolated, result.node_wasm_native),
};
const out = flag('--json');
if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
const line = (name, x) =>
  `${name.padEnd(34)} ${Math.round(x.examples_per_sec).toLocaleString('en-US').padStart(7)} ex/s  ${x.backend ?? ''}`;
console.log(
  [
    `MNIST training speed, page in headless Chromium vs Node (epochs 2–${EPOCHS} of ${EPOCHS}):`,
    line('browser, plain wasm SIMD (1 thread)', result.browser_plain),
    line(`browser, isolated (threads)`, result.browser_isolated),
    line('node, plain wasm', result.node_wasm),
    line('node, wasm-native (default)', result.node_wasm_native),
    `ratios: ${Object.entries(result.ratios)
      .map(([k, v]) => `${k} ${v.toFixed(2)}×`)
      .join(', ')}`,
  ].join('\n'),
);
process.exit(0);
