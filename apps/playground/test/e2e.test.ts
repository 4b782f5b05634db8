/**
 * The web page in real headless Chromium (Debian's `chromium`, driven by playwright-core), served from 127.0.0.1 by
 * the CLI's static server: train the toy data with a Gaussian likelihood and then an IAF flow posterior, switch to
 * Poisson on the count data (a Poisson likelihood, then a Poisson latent), train MNIST plainly and as a CVAE
 * conditioned on the digit (with the digit picker and a nearest-neighbour check of its samples), check that the losses
 * fell and the charts are drawn, export the CVAE and import it back.
 * The page is served both ways: cross-origin isolated (COOP/COEP, as `serve` does by default: wasm runs threaded)
 * for the main flow, and without the headers for one short run (wasm single-threaded).
 * Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../src/serve.js';
import { defaultWasmThreads } from '../web/protocol.js';
import { ARTIFACTS, PACKAGE_ROOT } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_ROOT = join(PACKAGE_ROOT, 'dist-web');

let server: StaticServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    execFileSync(join(PACKAGE_ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
      cwd: PACKAGE_ROOT,
      stdio: 'inherit',
    });
  }
  await mkdir(ARTIFACTS, { recursive: true });
  server = await serveStatic(WEB_ROOT);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1300, height: 1000 }, acceptDownloads: true });
  // the training worker's epoch messages carry tf.memory() at each epoch end: kept by run, without touching the page
  await context.addInitScript(() => {
    const Native = window.Worker;
    const seen: { runId: number; numTensors: number }[] = [];
    (window as unknown as { __variaEpochTensors: typeof seen }).__variaEpochTensors = seen;
    window.Worker = class extends Native {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        super(...args);
        this.addEventListener('message', (e: MessageEvent) => {
          if (e.data?.type === 'epoch') seen.push({ runId: e.data.runId, numTensors: e.data.memory?.numTensors });
        });
      }
    };
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(server.url) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Non-background pixels of the first canvas under `selector` (0 when there is none). */
function inkedPixels(selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
    if (!canvas || canvas.width === 0) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i + 3]! > 0 && (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200)) inked++;
    return inked;
  }, selector);
}

async function expectChartDrawn(selector: string, minimum = 500): Promise<void> {
  await page.waitForFunction(
    ({ sel, min }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
      if (!canvas || canvas.width === 0) return false;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i + 3]! > 0 && (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200)) inked++;
      return inked >= min;
    },
    { sel: selector, min: minimum },
    { timeout: 30_000 },
  );
  expect(await inkedPixels(selector)).toBeGreaterThanOrEqual(minimum);
}

/** Clicks Train and waits for run `id` to finish; returns the wall time in seconds. */
async function train(id: number): Promise<number> {
  const started = Date.now();
  await page.click('#train');
  await page.waitForSelector(`#runs tr[data-run="${id}"][data-status="completed"], body[data-state="error"]`, {
    timeout: 90_000,
  });
  const seconds = (Date.now() - started) / 1000;
  const state = await page.getAttribute('body', 'data-state');
  if (state === 'error') throw new Error(`run ${id} failed: ${await page.textContent('#status')}`);
  return seconds;
}

/** The picture of the sample grid (a PNG data URL of its canvas). */
function samplesPicture(): Promise<string> {
  return page.evaluate(() => document.querySelector<HTMLCanvasElement>('#samples-images canvas')?.toDataURL() ?? '');
}
/** The trained CVAE's samples of the digit 7, to compare with the same model exported and imported back. */
let trainedSevens = '';

/** The run's posterior (the table's words) and its final −ELBO, evaluated once at the end. */
async function summary(id: number): Promise<{ posterior: string; finalLoss: number }> {
  const row = page.locator(`#runs tr[data-run="${id}"]`);
  return {
    posterior: (await row.getAttribute('data-posterior')) ?? '',
    finalLoss: Number(await row.getAttribute('data-final-loss')),
  };
}

async function losses(id: number): Promise<{ first: number; last: number; epochs: number }> {
  const row = page.locator(`#runs tr[data-run="${id}"]`);
  return {
    first: Number(await row.getAttribute('data-first-loss')),
    last: Number(await row.getAttribute('data-last-loss')),
    epochs: Number(await row.getAttribute('data-epochs')),
  };
}

describe('playground page in headless Chromium', () => {
  it('trains a Gaussian VAE on the toy data in a worker and draws its charts', async () => {
    await page.selectOption('#dataset', 'toy2d-separated');
    await page.selectOption('#likelihood', 'gaussian');
    const seconds = await train(1);
    const backend = await page.textContent('#backend');
    console.log(
      `toy 2-D (separated) Gaussian run: ${seconds.toFixed(1)} s wall time in headless Chromium on ${backend} (${await page.textContent('#backend-note')})`,
    );
    expect(['webgl', 'wasm', 'cpu']).toContain(backend);
    // served with COOP/COEP: cross-origin isolated, and wasm takes its multithreaded SIMD build
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const note = (await page.textContent('#backend-note')) ?? '';
    if (backend === 'wasm') {
      // the page's default pool: half the logical cores (?threads=N below gets more)
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(Number(note.match(/SIMD, (\d+) threads?: cross-origin isolated/)?.[1])).toBe(defaultWasmThreads(cores));
      // a pool of one thread (2–3 logical cores): @varia/wasm-kernels computes the products and shares them with a
      // helper worker; with a larger pool XNNPACK shares them
      if (defaultWasmThreads(cores) === 1 && cores >= 2)
        expect(note).toMatch(/shared with a helper worker \(2 threads\)/);
    }
    // auto tries WebGPU first; headless Chromium without a GPU offers no adapter, and the note says so
    if (backend !== 'webgpu') expect(note).toMatch(/skipped webgpu: /);
    const run = await losses(1);
    expect(run.epochs).toBe(12);
    expect(run.last).toBeLessThan(run.first);
    // the worker's live tensors at each epoch end (tf.memory(), sent with the epoch): the same at every one
    const tensors = await page.evaluate(() =>
      (window as unknown as { __variaEpochTensors: { runId: number; numTensors: number }[] }).__variaEpochTensors
        .filter((e) => e.runId === 1)
        .map((e) => e.numTensors),
    );
    expect(tensors).toHaveLength(12);
    expect(tensors[0]).toBeGreaterThan(0);
    expect(new Set(tensors).size, `tensors at the epoch ends: ${tensors.join(', ')}`).toBe(1);
    await expectChartDrawn('#loss-chart');
    await expectChartDrawn('#latent-chart');
    await expectChartDrawn('#recon-chart');
    await expectChartDrawn('#samples-chart');
    // the ten blobs must be told apart in the latent space: labels explain most of the latent means' spread
    await page.waitForFunction(() => document.querySelector('#latent-chart')?.getAttribute('data-separation') !== null);
    const separation = Number(await page.getAttribute('#latent-chart', 'data-separation'));
    const structuredAfter = await page.getAttribute('#runs tr[data-run="1"]', 'data-structured-after');
    console.log(
      `latent space: labels explain ${(100 * separation).toFixed(0)}% of the latent means' spread at the end; first > 50% in a live snapshot ${structuredAfter ?? '(none)'} s after Train`,
    );
    expect(separation).toBeGreaterThan(0.5);
    await page.screenshot({ path: join(ARTIFACTS, 'toy-gaussian.png'), fullPage: true });
  });

  it('trains an IAF flow posterior on the same data and reports its final −ELBO next to the Gaussian one', async () => {
    // the Poisson latent is offered on the count data only, and conditioning on the digit on MNIST only
    expect(await page.locator('#posterior option[value="poisson"]').isDisabled()).toBe(true);
    expect(await page.isDisabled('#condition')).toBe(true);
    await page.selectOption('#posterior', 'iaf');
    expect(await page.textContent('#choice-help')).toMatch(/IAF flow: .*inverse autoregressive/);
    await page.fill('#epochs', '6');
    const seconds = await train(2);
    const flow = await summary(2);
    const gaussian = await summary(1);
    console.log(
      `toy 2-D IAF flow run (6 epochs): ${seconds.toFixed(1)} s; final −ELBO ${flow.finalLoss.toFixed(3)} (Gaussian, 12 epochs: ${gaussian.finalLoss.toFixed(3)})`,
    );
    expect(flow.posterior).toBe('flow (IAF, 2 steps × 16)');
    expect(gaussian.posterior).toBe('Gaussian');
    expect((await losses(2)).last).toBeLessThan((await losses(2)).first);
    // both are −ELBOs of the same data in nats: finite, and the trained models are within a few nats of each other
    expect(Number.isFinite(flow.finalLoss) && Number.isFinite(gaussian.finalLoss)).toBe(true);
    expect(Math.abs(flow.finalLoss - gaussian.finalLoss)).toBeLessThan(3);
    expect(await page.textContent('#status')).toMatch(
      /flow \(IAF, 2 steps × 16\) posterior: −ELBO \d+\.\d+ nats per example .* on the 225 validation rows/,
    );
    await expectChartDrawn('#latent-chart');
    await expectChartDrawn('#recon-chart');
  });

  it('switches to Poisson on the count data, trains again and keeps both runs side by side', async () => {
    await page.selectOption('#dataset', 'counts');
    await page.selectOption('#likelihood', 'poisson');
    await page.fill('#epochs', '8');
    await page.selectOption('#posterior', 'gaussian');
    const lossBefore = await page.evaluate(
      () => document.querySelector<HTMLCanvasElement>('#loss-chart canvas')?.width ?? 0,
    );
    const seconds = await train(3);
    console.log(`synthetic counts Poisson run (8 epochs): ${seconds.toFixed(1)} s wall time`);
    const run = await losses(3);
    expect(run.epochs).toBe(8);
    expect(run.last).toBeLessThan(run.first);
    // all runs are listed, and the loss chart grew another panel
    expect(await page.locator('#runs tbody tr[data-status="completed"]').count()).toBe(3);
    await page.waitForFunction(
      (w) => (document.querySelector<HTMLCanvasElement>('#loss-chart canvas')?.width ?? 0) > w * 1.2,
      lossBefore,
      { timeout: 30_000 },
    );
    await expectChartDrawn('#loss-chart');
    await expectChartDrawn('#latent-chart');
    await expectChartDrawn('#recon-chart');
    await expectChartDrawn('#samples-chart');
    await page.screenshot({ path: join(ARTIFACTS, 'counts-poisson.png'), fullPage: true });
  });

  it('trains the Poisson latent model on the count data (score-function gradients) in reasonable time', async () => {
    await page.selectOption('#posterior', 'poisson');
    expect(await page.textContent('#choice-help')).toMatch(/score-function \(REINFORCE\) gradients/);
    const seconds = await train(4);
    const run = await losses(4);
    const poisson = await summary(4);
    console.log(
      `synthetic counts, Poisson latent (8 epochs): ${seconds.toFixed(1)} s wall time; final −ELBO ${poisson.finalLoss.toFixed(2)} (Gaussian latent: ${(await summary(3)).finalLoss.toFixed(2)})`,
    );
    expect(run.epochs).toBe(8);
    expect(run.last).toBeLessThan(run.first);
    expect(poisson.posterior).toBe('Poisson (moving-average baseline)');
    expect(Number.isFinite(poisson.finalLoss)).toBe(true);
    expect(await page.textContent('#latent-note')).toMatch(/Poisson latent: the points are the posterior rates/);
    await expectChartDrawn('#latent-chart');
    await page.screenshot({ path: join(ARTIFACTS, 'counts-poisson-latent.png'), fullPage: true });
  });

  it('trains on MNIST, fetched as local assets and split by @varia/datasets in the worker', async () => {
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#likelihood', 'bernoulli');
    // switching to MNIST dropped the Poisson latent (not offered here) for the Gaussian
    expect(await page.inputValue('#posterior')).toBe('gaussian');
    await page.fill('#epochs', '2');
    const seconds = await train(5);
    console.log(`MNIST Bernoulli run (2 epochs of 7,200 digits): ${seconds.toFixed(1)} s wall time`);
    const run = await losses(5);
    expect(run.epochs).toBe(2);
    expect(run.last).toBeLessThan(run.first);
    expect(await page.isHidden('#digit-picker')).toBe(true);
    expect(await page.textContent('#interp-images h3')).toMatch(/Interpolation between two digits/);
  });

  it('trains a CVAE on MNIST (digit as a covariate, IAF flow posterior) and samples a picked digit', async () => {
    await page.check('#condition');
    await page.selectOption('#posterior', 'iaf');
    const seconds = await train(6);
    const run = await losses(6);
    expect(run.last).toBeLessThan(run.first);
    expect((await summary(6)).posterior).toBe('flow (IAF, 2 steps × 16)');
    expect(await page.textContent('#status')).toMatch(/posterior, conditioned on the digit: −ELBO/);
    expect(await page.textContent('#interp-images h3')).toMatch(/One z, every digit/);
    // the picker regenerates the sample grid for the digit; a 1-NN classifier of the shown digits checks them
    await page.selectOption('#digit', '7');
    await page.waitForSelector('#samples-images[data-digit="7"]', { timeout: 30_000 });
    const agreement = Number(await page.getAttribute('#samples-images', 'data-agreement'));
    console.log(
      `MNIST CVAE (IAF flow, 2 epochs): ${seconds.toFixed(1)} s wall time; ${await page.textContent('#digit-check')}`,
    );
    expect(await page.isVisible('#digit-picker')).toBe(true);
    expect(agreement).toBeGreaterThan(0.25); // chance is 0.1
    expect(await inkedPixels('#samples-images')).toBeGreaterThan(1000);
    trainedSevens = await samplesPicture();
    await page.screenshot({ path: join(ARTIFACTS, 'mnist-cvae.png'), fullPage: true });
  });

  it('exports the CVAE with downloads:// and imports it back with tf.io.browserFiles, covariates and flow included', async () => {
    const downloads: string[] = [];
    const saved = new Promise<void>((resolve) => {
      page.on('download', async (download) => {
        const file = join(ARTIFACTS, 'exported', download.suggestedFilename());
        await download.saveAs(file);
        downloads.push(download.suggestedFilename());
        if (downloads.length === 2) resolve();
      });
    });
    await page.click('#export');
    await saved;
    expect(downloads.sort()).toEqual(['varia-model.json', 'varia-model.weights.bin']);
    const modelJson = JSON.stringify(
      JSON.parse(await readFile(join(ARTIFACTS, 'exported', 'varia-model.json'), 'utf8')) as unknown,
    );
    expect(modelJson).toContain('"digit"');
    expect(modelJson).toContain('"flow"');
    await page.setInputFiles('#import', [
      join(ARTIFACTS, 'exported', 'varia-model.json'),
      join(ARTIFACTS, 'exported', 'varia-model.weights.bin'),
    ]);
    await page.waitForSelector('#runs tr[data-run="7"][data-status="imported"], body[data-state="error"]', {
      timeout: 60_000,
    });
    expect(await page.textContent('#status')).toMatch(
      /imported a bernoulli VAE \(input 784, latent 2\)\. flow \(IAF, 2 steps × 16\) posterior, conditioned on the digit: −ELBO/,
    );
    expect(Number.isFinite((await summary(7)).finalLoss)).toBe(true);
    // the same weights and seed: the imported model draws exactly the sevens the trained one drew
    expect(await page.getAttribute('#samples-images', 'data-digit')).toBe('7');
    expect(await samplesPicture()).toBe(trainedSevens);
    // latent size and hidden widths come from the imported model's config
    const cells = await page.locator('#runs tr[data-run="7"] td').allTextContents();
    expect(cells.slice(3, 6)).toEqual(['flow (IAF, 2 steps × 16)', '2', '256']);
    await page.selectOption('#digit', '3');
    await page.waitForSelector('#samples-images[data-digit="3"]', { timeout: 30_000 });
  });

  it('explains the latent chart: η², the colours of the count data, and why 0% is right on toy2d', async () => {
    // the count run (#2) is the last snapshot drawn before the MNIST run; check the note of a fresh toy2d run instead
    await page.selectOption('#dataset', 'toy2d');
    await page.selectOption('#likelihood', 'gaussian');
    await page.selectOption('#posterior', 'gaussian');
    await page.fill('#epochs', '3');
    await train(8);
    const note = await page.textContent('#latent-note');
    expect(note).toMatch(/Labels explain \d+% of the latent means' spread \(η²/);
    expect(note).toMatch(/0% is the right answer: in toy2d every group is drawn from the same N\(0, I\)/);
  });

  it('stops a long run cleanly with Stop, leaving the page usable', async () => {
    await page.selectOption('#dataset', 'toy2d-separated');
    await page.fill('#epochs', '500');
    await page.click('#train');
    // at least one epoch done (the row may skip from 0 to 2+ between two UI updates, so no exact-count selector)
    await page.waitForFunction(
      () =>
        document.body.dataset.state === 'error' ||
        Number(document.querySelector('#runs tr[data-run="9"]')?.getAttribute('data-epochs') ?? 0) >= 1,
      undefined,
      { timeout: 60_000 },
    );
    await page.click('#stop');
    await page.waitForSelector('#runs tr[data-run="9"][data-status="aborted"], body[data-state="error"]', {
      timeout: 60_000,
    });
    expect(Number(await page.getAttribute('#runs tr[data-run="9"]', 'data-epochs'))).toBeLessThan(500);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    expect(await page.isEnabled('#train')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'final.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});

describe('playground page without cross-origin isolation', () => {
  it('trains (a RealNVP flow posterior) on single-threaded wasm with @varia/wasm-kernels’ products, and says why it is not threaded', async () => {
    const plain = await serveStatic(WEB_ROOT, 0, { isolated: false });
    const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
    try {
      const other = await context.newPage();
      const errors: string[] = [];
      other.on('pageerror', (e) => errors.push(e.message));
      await other.goto(plain.url);
      expect(await other.evaluate(() => crossOriginIsolated)).toBe(false);
      await other.selectOption('#dataset', 'toy2d-separated');
      await other.selectOption('#posterior', 'realnvp');
      await other.fill('#epochs', '4');
      await other.click('#train');
      await other.waitForSelector('#runs tr[data-run="1"][data-status="completed"], body[data-state="error"]', {
        timeout: 90_000,
      });
      expect(await other.getAttribute('body', 'data-state')).toBe('done');
      expect(await other.getAttribute('#runs tr[data-run="1"]', 'data-posterior')).toBe('flow (RealNVP, 2 steps × 16)');
      if ((await other.textContent('#backend')) === 'wasm') {
        const note = (await other.textContent('#backend-note')) ?? '';
        expect(note).toMatch(/single-threaded: not cross-origin isolated/);
        expect(note).toMatch(/matMul, dense backward and Adam by @varia\/wasm-kernels \(SIMD128\)/);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await plain.close();
    }
  });
});

describe('playground page: wasm thread count and the WebGPU choice', () => {
  /** Opens the isolated page at `query` in a new context, runs `body` on it, and closes the context. */
  async function withPage(query: string, body: (p: Page) => Promise<void>): Promise<void> {
    const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
    try {
      const p = await context.newPage();
      await p.goto(server.url + query);
      await body(p);
    } finally {
      await context.close();
    }
  }
  /** Trains 2 epochs of the toy data on `backend` and waits for the run to end (completed or failed). */
  async function shortRun(p: Page, backend: string): Promise<string | null> {
    await p.selectOption('#dataset', 'toy2d-separated');
    await p.selectOption('#backend-pref', backend);
    await p.fill('#epochs', '2');
    await p.click('#train');
    await p.waitForSelector('#runs tr[data-run="1"][data-status="completed"], body[data-state="error"]', {
      timeout: 90_000,
    });
    return p.getAttribute('body', 'data-state');
  }

  it('starts the number of wasm threads asked for with ?threads=N, and refuses a bad value', async () => {
    // tfjs-wasm alone caps the pool at half of navigator.hardwareConcurrency (1 thread on a 2-core machine)
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    for (const threads of [1, Math.min(8, Math.max(2, cores))]) {
      await withPage(`?threads=${threads}`, async (p) => {
        expect(await shortRun(p, 'wasm')).toBe('done');
        const note = (await p.textContent('#backend-note')) ?? '';
        expect(note).toContain(
          `SIMD, ${threads} thread${threads === 1 ? '' : 's'}: cross-origin isolated, ?threads= in the URL`,
        );
        // @varia/wasm-kernels' products where the pool has one thread; XNNPACK's shared ones with more (Adam's steps
        // are the module's either way)
        if (threads === 1)
          expect(note).toMatch(/; matMul, dense backward and Adam by @varia\/wasm-kernels \(SIMD128\)\)$/);
        else expect(note).toMatch(/; Adam by @varia\/wasm-kernels \(SIMD128\)\)$/);
      });
    }
    await withPage('?threads=0', async (p) => {
      expect(await p.textContent('#status')).toBe('Error: ?threads= must be "auto" or an integer from 1 to 8, got "0"');
    });
  });

  it('trains on WebGPU when the browser offers an adapter, and says why not when it does not', async () => {
    await withPage('', async (p) => {
      const adapter = await p.evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        return gpu ? (await gpu.requestAdapter()) !== null : false;
      });
      const state = await shortRun(p, 'webgpu');
      if (adapter) {
        expect(state).toBe('done');
        expect(await p.textContent('#backend')).toBe('webgpu');
      } else {
        expect(state).toBe('error');
        expect(await p.textContent('#status')).toMatch(
          /no usable backend \(webgpu: (no WebGPU adapter|navigator\.gpu is absent)/,
        );
      }
    });
  });
});
