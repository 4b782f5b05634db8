/**
 * The training worker: picks a backend (`worker-backend.ts`), builds the data, trains a VAE and posts each epoch's
 * metrics with a snapshot (latent means, reconstructions, prior samples; `worker-views.ts`) so the page stays
 * responsive. It keeps the latest model for export, import and a conditional model's digit samples.
 */
import * as tf from '@tensorflow/tfjs';
import { getLikelihood, listLikelihoods, VAE } from '@varia/vae';
import { posteriorConfig, posteriorUnavailable } from './posteriors.js';
import { type RunConfig, type ToWorker, WEB_POSTERIORS, type WebBackend, type WebDataset } from './protocol.js';
import { postToPage as post, useBackend } from './worker-backend.js';
import { requestWasmThreads } from './worker-wasm.js';
import { copy, holdOut, type LoadedData, loadData, shownSubset } from './worker-data.js';
import { DIGIT_COVARIATE, digitSamples, snapshot, snapshotTransfer, summarize } from './worker-views.js';

/** Least time between two live snapshots. */
const SNAPSHOT_INTERVAL_MS = 1000;

let model: VAE | undefined;
/** The rows the page draws for the current model. */
let shownRows: LoadedData | undefined;
/** The digit a conditional model samples (the page's digit picker). */
let digit = 0;
let abort: AbortController | undefined;

function postData(runId: number, shown: LoadedData, trainRows: number): void {
  const x = copy(shown.x);
  const labels = shown.labels.slice();
  post({ type: 'data', runId, name: shown.name, x, labels, shape: shown.shape, trainRows }, [
    x.data.buffer as ArrayBuffer,
    labels.buffer as ArrayBuffer,
  ]);
}

/** Replaces the current model (disposing the old one). */
function setModel(vae: VAE | undefined, shown: LoadedData | undefined): void {
  if (model !== vae) model?.dispose();
  model = vae;
  shownRows = shown;
}

async function train(runId: number, config: RunConfig): Promise<void> {
  const unavailable = posteriorUnavailable(config.posterior, config.dataset);
  if (unavailable) throw new Error(`${WEB_POSTERIORS[config.posterior]}: ${unavailable}`);
  const conditional = config.conditionOnDigit;
  if (conditional && config.dataset !== 'mnist') throw new Error('"condition on digit" needs the MNIST dataset');
  await useBackend(config.backend);
  post({ type: 'status', runId, text: `loading ${config.dataset}…` });
  const data = await loadData(config.dataset, config.seed);
  const shown = shownSubset(data);
  postData(runId, shown, data.x.rows);
  setModel(undefined, undefined);
  const vae = new VAE({
    inputDim: data.x.cols,
    latentDim: config.latentDim,
    hiddenUnits: config.hiddenUnits,
    likelihood: config.likelihood,
    seed: config.seed,
    ...posteriorConfig(config.posterior),
    // a CVAE (Sohn et al. 2015): the digit enters the encoder, q(z|x, c), and the decoder, p(x|z, c)
    ...(conditional && { covariates: [DIGIT_COVARIATE], encodeCovariates: true }),
  });
  setModel(vae, shown);
  const { train: rows, validation } = holdOut(data, config.validationSplit, config.seed);
  abort = new AbortController();
  post({ type: 'status', runId, text: `training on ${tf.getBackend()}…` });
  let lastSnapshot = performance.now();
  const history = await vae.fit(rows.x, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed: config.seed,
    ...(validation && { validationData: validation.x }),
    ...(conditional && { covariates: { digit: rows.labels } }),
    ...(conditional && validation && { validationCovariates: { digit: validation.labels } }),
    signal: abort.signal,
    onEpochEnd: async (log) => {
      const now = performance.now();
      // snapshots cost reads here and redraws on the page (which shares the CPU): at most one a second, and none on
      // the last epoch (the final one follows)
      const snap =
        log.epoch < log.epochs && now - lastSnapshot > SNAPSHOT_INTERVAL_MS ? snapshot(vae, shown, digit) : undefined;
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
      const { numTensors, numBytes } = tf.memory();
      post(
        { type: 'epoch', runId, log: metrics, snapshot: snap, memory: { numTensors, numBytes } },
        snap ? snapshotTransfer(snap) : [],
      );
      // yield so a Stop message can be handled between epochs even on a busy backend
      await new Promise((r) => setTimeout(r, 0));
    },
  });
  abort = undefined;
  const summary = await summarize(
    vae,
    validation ?? rows,
    validation ? `the ${validation.x.rows} validation rows` : `the ${rows.x.rows} training rows (no validation)`,
  );
  const snap = snapshot(vae, shown, digit);
  post(
    {
      type: 'done',
      runId,
      stopReason: history.stopReason,
      seconds: history.seconds,
      snapshot: snap,
      epochs: history.epochs.length,
      summary,
    },
    snapshotTransfer(snap),
  );
}

async function importModel(runId: number, files: File[], dataset: WebDataset, backend: WebBackend): Promise<void> {
  await useBackend(backend);
  const vae = await VAE.load(tf.io.browserFiles(files));
  try {
    const data = await loadData(dataset, 0);
    if (data.x.cols !== vae.config.inputDim) {
      throw new Error(
        `the imported model expects ${vae.config.inputDim} inputs but ${dataset} has ${data.x.cols}; pick a matching dataset and import again`,
      );
    }
    const shown = shownSubset(data);
    // the summary also checks the covariates: a model conditioned on anything but the digit is refused here
    const summary = await summarize(vae, shown, `${shown.x.rows} rows of ${dataset}`);
    setModel(vae, shown);
    postData(runId, shown, data.x.rows);
    const snap = snapshot(vae, shown, digit);
    post(
      {
        type: 'imported',
        runId,
        likelihood: vae.config.likelihood,
        inputDim: vae.config.inputDim,
        latentDim: vae.config.latentDim,
        hiddenUnits: vae.config.encoderUnits,
        snapshot: snap,
        summary,
      },
      snapshotTransfer(snap),
    );
  } catch (e) {
    if (model !== vae) vae.dispose();
    throw e;
  }
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
    case 'settings':
      requestWasmThreads(message.wasmThreads);
      break;
    case 'train':
      train(message.runId, message.config).catch(fail(message.runId));
      break;
    case 'stop':
      abort?.abort();
      break;
    case 'digit':
      digit = message.digit;
      // a conditional model answers at once (between two epochs while training); otherwise the next snapshot uses it
      if (model && shownRows && model.config.covariates.length > 0) {
        try {
          const { samples, digit: check } = digitSamples(model, shownRows, digit);
          post({ type: 'digit-samples', samples, digit: check }, [samples.data.buffer as ArrayBuffer]);
        } catch (e) {
          fail(-1)(e);
        }
      }
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
