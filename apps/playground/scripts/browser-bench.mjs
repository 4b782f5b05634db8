#!/usr/bin/env node
// The playground page's MNIST training speed in headless Chromium, as a ratio to the same run in Node.
//
//   node scripts/browser-bench.mjs [--epochs 3] [--rounds 3] [--json FILE] [--webgpu-software] [--only KEY,KEY]
//   (after `pnpm --filter @varia/playground build`)
//
// The same model and data in every run: MNIST 784-400-20-400-784 ReLU, Bernoulli, batch 128, Adam 1e-3, seed 0,
// the 8,000 training digits, no validation split. Speed = examples ÷ the epochs' own `seconds` (fit's step time,
// without the page's per-epoch snapshots), over the epochs after the first (the warm-up: JIT, kernel compilation).
//
// Memory, per contender: tf.memory() at each epoch end (the page's training worker sends it with each epoch; flat:
// the same tensor count at every one) and the peak resident set (Linux VmHWM): Node's process, or the largest
// Chromium renderer's (the page and its worker run in one) beside the sum over the browser's processes.
//
// Contenders, each a fresh browser or Node process, run in interleaved rounds (A B C … A B C …; the machine may be
// shared, so every ratio is taken within a round and the median over rounds is reported):
// - the page on plain wasm SIMD (served without cross-origin isolation: single-threaded);
// - the page cross-origin isolated (COOP/COEP: tfjs-wasm's threaded SIMD build) with `?threads=1`, with its default
//   (half the logical cores; where that is one thread, @varia/wasm-kernels' products shared with a helper worker),
//   and with `?threads=N` for every logical core (at most 8);
// - the page on WebGPU, when headless Chromium offers a hardware adapter (probed with --enable-unsafe-webgpu); a
//   software adapter (SwiftShader: the shaders run on the CPU) is recorded as the reason for no WebGPU row, and timed
//   once only with --webgpu-software (it trains ~30× slower than wasm, and failed in its second epoch here);
// - Node on plain wasm (the same kernels as the browser), on tfjs-wasm's threaded build (every core, as the
//   isolated page; experimental in Node, see src/wasm-threads.ts) and on wasm-native (Node's default), each in a
//   child process.
// A run that fails (e.g. a package rebuilt under it) is recorded with its error and left out of that round's ratios.
// --only keeps some contenders (keys as in the JSON: browser_plain, browser_isolated_1, browser_isolated,
// browser_isolated_default, browser_webgpu, node_wasm, node_wasm_native); the ratios need the ones they divide.
// CHROMIUM_PATH overrides /usr/bin/chromium. bench/src/browser.ts runs this for `pnpm bench`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveStatic, WEB_ROOT } from '../dist/serve.js';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const EPOCHS = Number(flag('--epochs') ?? 3);
const ROUNDS = Number(flag('--rounds') ?? 3);
const CONFIG = { hidden: 400, latent: 20, batch: 128, lr: 0.001, seed: 0 };
const ROWS = 8000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--no-first-run'];
/** What headless Chromium needs to offer WebGPU on Linux (and Vulkan for a real GPU's adapter). */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];
const load = () => Number(os.loadavg()[0].toFixed(2));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** examples/s over the epochs after the first. */
function speed(epochs, rows) {
  const timed = epochs.slice(1);
  const seconds = timed.reduce((s, e) => s + e.seconds, 0);
  return { examples_per_sec: (rows * timed.length) / seconds, seconds, epochs: timed.length, rows };
}

/** kB fields of /proc/PID/status (`VmHWM`: the peak resident set), in bytes; undefined where unreadable. */
function statusBytes(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident sets (Linux `VmHWM`) of the browser's processes (this process's descendants: Playwright starts
 * Chromium as a child, and the bench runs one browser at a time), read before it closes: the largest renderer's (the
 * page and its training worker run in one), and the sum over every process (an upper bound on the browser's peak: the
 * processes' peaks need not coincide). Undefined without /proc.
 */
function browserPeakRss() {
  let parents;
  try {
    parents = new Map(
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map((d) => {
          try {
            // the field after the parenthesised command (which may hold spaces) is the state, then the parent's pid
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            return [Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])];
          } catch {
            return [Number(d), -1];
          }
        }),
    );
  } catch {
    return undefined;
  }
  const tree = [process.pid];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  tree.shift();
  let renderer = 0;
  let total = 0;
  for (const pid of tree) {
    const peak = statusBytes(pid, 'VmHWM') ?? 0;
    total += peak;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {}
    if (cmd.includes('--type=renderer')) renderer = Math.max(renderer, peak);
  }
  return { renderer_peak_rss_bytes: renderer, tree_peak_rss_bytes_sum: total, processes: tree.length };
}

/** A run's memory figures from tf.memory() at each epoch end (`perEpoch`) and its peak resident set(s). */
function memoryOf(perEpoch, peaks) {
  const tensors = perEpoch.map((m) => m?.numTensors);
  return {
    ...peaks,
    tf_tensors_per_epoch: tensors,
    tf_bytes_per_epoch: perEpoch.map((m) => m?.numBytes),
    tensors_flat: tensors.length > 0 && tensors.every((t) => t !== undefined && t === tensors[0]),
  };
}

/** One training run of the page: `isolated` serves it with COOP/COEP, `query` is appended to its URL. */
async function browserRun({ isolated, query = '', backend = 'wasm', args = ['--disable-gpu'] }) {
  const server = await serveStatic(WEB_ROOT, 0, { isolated });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...args] });
  try {
    const page = await browser.newPage();
    // record the worker's epoch messages without touching the page's code
    await page.addInitScript(() => {
      const Native = window.Worker;
      window.__variaEpochs = [];
      window.__variaMemory = [];
      window.Worker = class extends Native {
        constructor(...a) {
          super(...a);
          this.addEventListener('message', (e) => {
            if (e.data?.type === 'epoch') {
              window.__variaEpochs.push(e.data.log);
              window.__variaMemory.push(e.data.memory);
            }
            if (e.data?.type === 'backend') window.__variaBackend = e.data;
          });
        }
      };
    });
    await page.goto(server.url + query);
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#likelihood', 'bernoulli');
    await page.selectOption('#backend-pref', backend);
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
      timeout: 900_000,
    });
    if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(await page.textContent('#status'));
    const info = await page.evaluate(() => ({
      epochs: window.__variaEpochs,
      memory: window.__variaMemory,
      backend: window.__variaBackend,
      isolatedPage: window.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
    }));
    const notes = info.backend?.notes ?? [];
    const threads = notes.join(' ').match(/(\d+) threads?:/);
    return {
      ...speed(info.epochs, ROWS),
      backend: info.backend?.backend,
      notes,
      threads: threads ? Number(threads[1]) : 1,
      cross_origin_isolated: info.isolatedPage,
      hardware_concurrency: info.cores,
      browser: `Chromium ${browser.version()}`,
      loss: info.epochs.at(-1)?.loss,
      memory: memoryOf(info.memory, browserPeakRss()),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The same training in Node, in this process (`--node-run CANDIDATE`): prints `RESULT {json}`. */
async function nodeRunHere(candidate) {
  const tf = await import('@tensorflow/tfjs');
  const { selectBackend } = await import('../dist/backend.js');
  const { mnist } = await import('@varia/datasets');
  const { VAE } = await import('@varia/vae');
  // one thread for wasm-native (the library's default is both cores): the page runs on one unless isolated
  const selection = await selectBackend(candidate, { nativeParallel: 1 });
  const x = mnist({ split: 'train' }).x;
  const vae = new VAE({
    inputDim: 784,
    latentDim: CONFIG.latent,
    hiddenUnits: [CONFIG.hidden],
    likelihood: 'bernoulli',
    seed: CONFIG.seed,
  });
  try {
    const cpu0 = process.cpuUsage();
    const perEpoch = [];
    const history = await vae.fit(x, {
      epochs: EPOCHS,
      batchSize: CONFIG.batch,
      learningRate: CONFIG.lr,
      seed: 0,
      onEpochEnd: () => {
        const { numTensors, numBytes } = tf.memory();
        perEpoch.push({ numTensors, numBytes });
      },
    });
    const cpu = process.cpuUsage(cpu0);
    return {
      ...speed(history.epochs, x.rows),
      backend: selection.native ? selection.native.description : tf.getBackend(),
      threads: selection.threads,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      loss: history.epochs.at(-1).loss,
      memory: memoryOf(perEpoch, { peak_rss_bytes: process.resourceUsage().maxRSS * 1024 }),
    };
  } finally {
    vae.dispose();
  }
}

/** A Node run in a child process (wasm-native replaces kernels process-wide, so each run gets its own process). */
function nodeRun({ node }) {
  const r = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--node-run', node, '--epochs', String(EPOCHS)],
    {
      encoding: 'utf8',
      timeout: 900_000,
    },
  );
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) {
    const error = (r.stderr ?? '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status ?? r.signal}`;
    throw new Error(`node run (${node}) failed: ${error.trim()}`);
  }
  return JSON.parse(line.slice('RESULT '.length));
}

/** Whether headless Chromium offers a WebGPU adapter, and whether it is a real GPU. */
async function probeWebGpu() {
  const server = await serveStatic(WEB_ROOT, 0, { isolated: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    return await page.evaluate(async () => {
      if (!navigator.gpu) return { adapter: null, reason: 'navigator.gpu is absent' };
      const a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!a) return { adapter: null, reason: 'navigator.gpu.requestAdapter() returned null' };
      const info = a.info ?? {};
      const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ');
      return {
        adapter: name,
        software: info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(name),
      };
    });
  } finally {
    await browser.close();
    await server.close();
  }
}

if (flag('--node-run')) {
  console.log(`RESULT ${JSON.stringify(await nodeRunHere(flag('--node-run')))}`);
  process.exit(0);
}

const CONTENDERS = [
  { key: 'browser_plain', label: 'browser, plain wasm SIMD (1 thread)', isolated: false },
  { key: 'browser_isolated_1', label: 'browser, isolated, ?threads=1', isolated: true, query: '?threads=1' },
  // the page's default: tfjs's pool of half the logical cores; at one thread (2–3 cores) @varia/wasm-kernels computes
  // the products and shares them with a helper worker
  { key: 'browser_isolated_default', label: 'browser, isolated, default', isolated: true },
  {
    key: 'browser_isolated',
    label: 'browser, isolated, every core',
    isolated: true,
    query: `?threads=${Math.min(8, os.availableParallelism())}`,
  },
  { key: 'node_wasm', label: 'node, plain wasm', node: 'wasm' },
  { key: 'node_wasm_threaded', label: 'node, threaded wasm, every core', node: 'wasm-threaded' },
  { key: 'node_wasm_native', label: 'node, wasm-native (default)', node: 'wasm-native' },
];

const webgpuProbe = await probeWebGpu();
const webgpu = { flags: WEBGPU_ARGS, probe: webgpuProbe };
const webgpuContender = {
  key: 'browser_webgpu',
  label: 'browser, WebGPU',
  isolated: true,
  backend: 'webgpu',
  args: WEBGPU_ARGS,
};
if (webgpuProbe.adapter && !webgpuProbe.software) CONTENDERS.splice(3, 0, webgpuContender);
else
  webgpu.skipped = webgpuProbe.adapter
    ? `only a software WebGPU adapter (${webgpuProbe.adapter}: the shaders run on the CPU), no GPU`
    : `no WebGPU adapter (${webgpuProbe.reason}) even with ${WEBGPU_ARGS.join(' ')}`;

const only = flag('--only')?.split(',');
if (only) CONTENDERS.splice(0, CONTENDERS.length, ...CONTENDERS.filter((c) => only.includes(c.key)));
const runs = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONTENDERS) {
    const loadAtStart = load();
    let r;
    try {
      r = c.node ? nodeRun(c) : await browserRun(c);
    } catch (e) {
      r = { examples_per_sec: Number.NaN, error: e.message.split('\n')[0] };
    }
    runs[c.key].push({ ...r, load: loadAtStart });
    const what = r.error ? `failed: ${r.error}` : `${Math.round(r.examples_per_sec)} ex/s`;
    console.error(`round ${round + 1}/${ROUNDS} ${c.label}: ${what} (load ${loadAtStart})`);
  }
}
if (webgpu.skipped && webgpuProbe.adapter && argv.includes('--webgpu-software')) {
  const loadAtStart = load();
  try {
    // without Vulkan: SwiftShader's Vulkan path failed here in createBuffer (a 401,408-byte mapped buffer) in epoch 2
    const args = ['--enable-unsafe-webgpu'];
    webgpu.software_run = { ...(await browserRun({ ...webgpuContender, args })), args, load: loadAtStart };
  } catch (e) {
    webgpu.software_run = { error: e.message.split('\n')[0], load: loadAtStart };
  }
}

/** The rounds' memory: each peak the largest of any round, tensors flat in every round, the last round's per epoch. */
const memorySummary = (ms) => {
  const present = ms.filter(Boolean);
  const most = (k) =>
    present.some((m) => m[k] !== undefined) ? Math.max(...present.map((m) => m[k] ?? 0)) : undefined;
  const peaks = Object.fromEntries(
    ['peak_rss_bytes', 'renderer_peak_rss_bytes', 'tree_peak_rss_bytes_sum']
      .map((k) => [k, most(k)])
      .filter(([, v]) => v !== undefined),
  );
  return { ...present.at(-1), ...peaks, tensors_flat: present.every((m) => m.tensors_flat) };
};
/** A contender's median speed, its per-round speeds and loads, and its last run's details. */
const summary = (key) => {
  const rs = runs[key].filter((r) => !r.error);
  const errors = runs[key].filter((r) => r.error).map((r) => r.error);
  return {
    ...rs.at(-1),
    examples_per_sec: rs.length ? median(rs.map((r) => r.examples_per_sec)) : Number.NaN,
    rounds: rs.map((r) => Math.round(r.examples_per_sec)),
    loads: rs.map((r) => r.load),
    ...(rs.some((r) => r.memory) ? { memory: memorySummary(rs.map((r) => r.memory)) } : {}),
    ...(errors.length ? { errors } : {}),
  };
};
/** The median over rounds of a ÷ b, each pair from one round. */
const ratio = (a, b) => {
  if (!runs[a] || !runs[b]) return Number.NaN;
  const pairs = runs[a].map((r, i) => r.examples_per_sec / runs[b][i].examples_per_sec).filter(Number.isFinite);
  return pairs.length ? median(pairs) : Number.NaN;
};

const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical cores`,
  config: { ...CONFIG, epochs: EPOCHS, rounds: ROUNDS, data: 'MNIST, 8,000 training digits', likelihood: 'bernoulli' },
  ...Object.fromEntries(CONTENDERS.map((c) => [c.key, summary(c.key)])),
  webgpu,
};
result.ratios = {};
for (const c of CONTENDERS.filter((c) => !c.node)) {
  result.ratios[`${c.key}_vs_node_wasm`] = ratio(c.key, 'node_wasm');
  result.ratios[`${c.key}_vs_node_default`] = ratio(c.key, 'node_wasm_native');
}
result.ratios.browser_isolated_vs_node_wasm_threaded = ratio('browser_isolated', 'node_wasm_threaded');
result.ratios.isolated_threads_vs_1_thread = ratio('browser_isolated', 'browser_isolated_1');
result.ratios.isolated_default_vs_1_thread = ratio('browser_isolated_default', 'browser_isolated_1');
result.ratios.node_threaded_vs_plain = ratio('node_wasm_threaded', 'node_wasm');

const out = flag('--json');
if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
const n = (v) => Math.round(v).toLocaleString('en-US');
const line = (c) => {
  const s = result[c.key];
  const threads = s.threads ? `, ${s.threads} thread${s.threads === 1 ? '' : 's'}` : '';
  const m = s.memory;
  const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const peak = m?.renderer_peak_rss_bytes ?? m?.peak_rss_bytes;
  const memory = m
    ? `; peak RSS ${peak === undefined ? '?' : mib(peak)}${m.renderer_peak_rss_bytes === undefined ? '' : ' (renderer)'}, tensors at epoch ends ${m.tf_tensors_per_epoch.join('/')}${m.tensors_flat ? ' (flat)' : ' (NOT flat)'}`
    : '';
  return `${c.label.padEnd(38)} ${n(s.examples_per_sec).padStart(7)} ex/s  (rounds ${s.rounds.map(n).join(', ')}; ${s.backend ?? ''}${threads}${memory})`;
};
console.log(
  [
    `MNIST training speed, page in headless Chromium vs Node (epochs 2–${EPOCHS} of ${EPOCHS}, median of ${ROUNDS} interleaved rounds):`,
    ...CONTENDERS.map(line),
    `webgpu: ${webgpu.skipped ?? `adapter ${webgpuProbe.adapter}`}${webgpu.software_run ? `; software adapter run once: ${webgpu.software_run.error ?? `${n(webgpu.software_run.examples_per_sec)} ex/s`}` : ''}`,
    `ratios (median of per-round ratios): ${Object.entries(result.ratios)
      .map(([k, v]) => `${k} ${v.toFixed(2)}×`)
      .join(', ')}`,
  ].join('\n'),
);
process.exit(0);
