/**
 * The training worker: picks a backend (webgl → wasm → cpu), builds the data, trains a VAE and posts each epoch's
 * metrics with a snapshot (latent means, reconstructions, prior samples) so the page stays responsive.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type Matrix, mulberry32, permutation, takeRows } from '@varia/core';
import { syntheticCounts, toyGaussian2d } from '@varia/datasets';
import { getLikelihood, listLikelihoods, VAE } from '@varia/vae';
import type { FromWorker, RunConfig, Snapshot, ToWorker, WebBackend, WebDataset, WireMatrix } from './protocol.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

// Cross-origin isolated: tfjs takes the threaded SIMD build; without a count XNNPACK's pool got 1 thread here
if (self.crossOriginIsolated) setThreadsCount(Math.max(1, navigator.hardwareConcurrency || 1));

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

/** Least time between two live snapshots. */
const SNAPSHOT_INTERVAL_MS = 1000;

let model: VAE | undefined;
let abort: AbortController | undefined;
let currentBackend: string | undefined;

/** The WebGL renderer's name (e.g. "ANGLE (…SwiftShader…)"), or undefined when WebGL is unavailable. */
function webglRenderer(): string | undefined {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return name;
  } catch {
    return undefined;
  }
}

/** Software WebGL (SwiftShader, llvmpipe) runs tfjs' shaders on the CPU: far slower than wasm. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** Selects the preferred backend, or the first of webgl → wasm → cpu that initializes and computes. */
async function useBackend(preference: WebBackend): Promise<string> {
  const order = preference === 'auto' ? ['webgl', 'wasm', 'cpu'] : [preference];
  if (currentBackend !== undefined && order[0] === currentBackend) return currentBackend;
  if (preference === 'auto' && currentBackend !== undefined) return currentBackend;
  const skipped: string[] = [];
  const notes: string[] = [];
  for (const name of order) {
    try {
      if (name === 'webgl') {
        const renderer = webglRenderer();
        if (renderer === undefined) {
          skipped.push('webgl: no WebGL context (no GPU, or WebGL disabled)');
          continue;
        }
        if (preference === 'auto' && SOFTWARE_GL.test(renderer)) {
          skipped.push(
            `webgl: software renderer (${renderer.match(SOFTWARE_GL)![0]}), slower than wasm; choose webgl to force it`,
          );
          continue;
        }
      }
      if (!(await tf.setBackend(name))) {
        skipped.push(`${name}: did not initialize`);
        continue;
      }
      await tf.ready();
      const check = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])));
      const value = (await check.data())[0];
      check.dispose();
      if (value !== 6) {
        skipped.push(`${name}: computed 1+2+3 = ${value}`);
        continue;
      }
      currentBackend = tf.getBackend();
      if (currentBackend === 'wasm') {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        // tfjs takes the threaded SIMD build when the page is cross-origin isolated (SharedArrayBuffer available)
        notes.push(
          threads && simd
            ? `SIMD, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'}: cross-origin isolated`
            : `${simd ? 'SIMD' : 'no SIMD'}, single-threaded: not cross-origin isolated (serve with COOP/COEP headers, as pnpm playground serve does, for threads)`,
        );
      }
      post({ type: 'backend', backend: currentBackend, notes: [...notes, ...skipped.map((s) => `skipped ${s}`)] });
      return currentBackend;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no usable backend (${skipped.join('; ')})`);
}

interface LoadedData {
  name: string;
  x: Matrix;
  labels: Int32Array;
  shape: number[];
}

async function loadData(dataset: WebDataset, seed: number): Promise<LoadedData> {
  switch (dataset) {
    case 'toy2d':
    case 'toy2d-separated': {
      const d = toyGaussian2d({ seed, separated: dataset === 'toy2d-separated' });
      return { name: d.name, x: d.x, labels: d.labels, shape: [...d.shape] };
    }
    case 'counts': {
      const d = syntheticCounts({ n: 2000, dim: 20, latentDim: 2, seed });
      return { name: d.name, x: d.x, labels: d.labels, shape: [...d.shape] };
    }
    case 'mnist': {
      const { mnistTrain } = await import('./mnist-web.js');
      const d = await mnistTrain();
      return { name: 'mnist-train', x: { data: d.x, rows: d.rows, cols: 784 }, labels: d.labels, shape: [28, 28] };
    }
  }
}

function firstRows(m: Matrix, rows: number): Matrix {
  const n = Math.min(rows, m.rows);
  return { data: m.data.subarray(0, n * m.cols), rows: n, cols: m.cols };
}

function wire(t: tf.Tensor2D): WireMatrix {
  const [rows, cols] = t.shape;
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { data: Float32Array.from(data), rows, cols };
}

function copy(m: Matrix): WireMatrix {
  return { data: Float32Array.from(m.data), rows: m.rows, cols: m.cols };
}

function snapshotTransfer(s: Snapshot): Transferable[] {
  return [s.latent, s.recon, s.samples, s.interpolation].flatMap((m) => (m ? [m.data.buffer as ArrayBuffer] : []));
}

/** What the model makes of the data now. */
function snapshot(vae: VAE, data: LoadedData): Snapshot {
  const image = data.shape.length === 2;
  const latent = wire(vae.encode(data.x));
  const recon = wire(vae.reconstruct(firstRows(data.x, image ? 8 : data.x.cols === 2 ? 400 : 60)));
  const samples = wire(vae.sample(image ? 16 : 400, { seed: 1, mean: image }));
  let interpolation: WireMatrix | undefined;
  if (image) {
    // two examples of different classes: the first row and the first row with another label
    const other = data.labels.findIndex((l) => l !== data.labels[0]);
    const row = (i: number): Matrix => ({
      data: data.x.data.subarray(i * data.x.cols, (i + 1) * data.x.cols),
      rows: 1,
      cols: data.x.cols,
    });
    interpolation = wire(vae.interpolate(row(0), row(Math.max(other, 1)), 10));
  }
  return { latent, recon, samples, interpolation };
}

/**
 * The examples the page draws: a seeded random subset (1,500 rows; 1,000 images), so that any prefix of it is a
 * sample too (the toy data is ordered by group). Snapshots use prefixes of it.
 */
function shownSubset(data: LoadedData): LoadedData {
  const order = permutation(data.x.rows, mulberry32(1)).subarray(
    0,
    Math.min(data.x.rows, data.shape.length === 2 ? 1000 : 1500),
  );
  return { ...data, x: takeRows(data.x, order), labels: Int32Array.from(order, (i) => data.labels[i]!) };
}

function postData(runId: number, shown: LoadedData, trainRows: number): void {
  const x = copy(shown.x);
  const labels = shown.labels.slice();
  post({ type: 'data', runId, name: shown.name, x, labels, shape: shown.shape, trainRows }, [
    x.data.buffer as ArrayBuffer,
    labels.buffer as ArrayBuffer,
  ]);
}

async function train(runId: number, config: RunConfig): Promise<void> {
  await useBackend(config.backend);
  post({ type: 'status', runId, text: `loading ${config.dataset}…` });
  const data = await loadData(config.dataset, config.seed);
  const shown = shownSubset(data);
  postData(runId, shown, data.x.rows);
  model?.dispose();
  model = undefined;
  const vae = new VAE({
    inputDim: data.x.cols,
    latentDim: config.latentDim,
    hiddenUnits: config.hiddenUnits,
    likelihood: config.likelihood,
    seed: config.seed,
  });
  model = vae;
  abort = new AbortController();
  post({ type: 'status', runId, text: `training on ${tf.getBackend()}…` });
  let lastSnapshot = performance.now();
  const history = await vae.fit(data.x, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed: config.seed,
    validationSplit: config.validationSplit > 0 ? config.validationSplit : undefined,
    signal: abort.signal,
    onEpochEnd: async (log) => {
      const now = performance.now();
      // snapshots cost reads here and redraws on the page (which shares the CPU): at most one a second, and none on
      // the last epoch (the final one follows)
      const snap =
        log.epoch < log.epochs && now - lastSnapshot > SNAPSHOT_INTERVAL_MS ? snapshot(vae, shown) : undefined;
      if (snap) lastSnapshot = performance.now();
      const metrics = {
        epoch: log.epoch,
        epochs: log.epochs,
        loss: log.loss,
        reconstruction: log.reconstruction,
        kl: log.kl,
        valLoss: log.valLoss,
        valReconstruction: log.valReconstruction,
        valKl: log.valKl,
        seconds: log.seconds,
      };
      post({ type: 'epoch', runId, log: metrics, snapshot: snap }, snap ? snapshotTransfer(snap) : []);
      // yield so a Stop message can be handled between epochs even on a busy backend
      await new Promise((r) => setTimeout(r, 0));
    },
  });
  abort = undefined;
  const snap = snapshot(vae, shown);
  post(
    {
      type: 'done',
      runId,
      stopReason: history.stopReason,
      seconds: history.seconds,
      snapshot: snap,
      epochs: history.epochs.length,
    },
    snapshotTransfer(snap),
  );
}

async function importModel(runId: number, files: File[], dataset: WebDataset, backend: WebBackend): Promise<void> {
  await useBackend(backend);
  const vae = await VAE.load(tf.io.browserFiles(files));
  const data = await loadData(dataset, 0);
  if (data.x.cols !== vae.config.inputDim) {
    vae.dispose();
    throw new Error(
      `the imported model expects ${vae.config.inputDim} inputs but ${dataset} has ${data.x.cols}; pick a matching dataset and import again`,
    );
  }
  model?.dispose();
  model = vae;
  const shown = shownSubset(data);
  postData(runId, shown, data.x.rows);
  const snap = snapshot(vae, shown);
  post(
    {
      type: 'imported',
      runId,
      likelihood: vae.config.likelihood,
      inputDim: vae.config.inputDim,
      latentDim: vae.config.latentDim,
      snapshot: snap,
    },
    snapshotTransfer(snap),
  );
}

post({
  type: 'likelihoods',
  likelihoods: listLikelihoods().map((name) => ({ name, description: getLikelihood(name).description })),
});

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const fail = (runId: number) => (e: unknown) => {
    abort = undefined;
    post({ type: 'error', runId, message: (e as Error).message ?? String(e) });
  };
  switch (message.type) {
    case 'train':
      train(message.runId, message.config).catch(fail(message.runId));
      break;
    case 'stop':
      abort?.abort();
      break;
    case 'export':
      if (!model) {
        post({ type: 'error', runId: -1, message: 'no model to export: train or import one first' });
        break;
      }
      // `downloads://` needs a document, so the worker saves through a handler that hands the artifacts to the page.
      model
        .save(
          tf.io.withSaveHandler(async (artifacts) => {
            post({ type: 'exported', artifacts });
            return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
          }),
        )
        .catch(fail(-1));
      break;
    case 'import':
      importModel(message.runId, message.files, message.dataset, message.backend).catch(fail(message.runId));
      break;
  }
};
