/**
 * The playground page: the form (`controls.ts`), the run list (`run-table.ts`) and the live charts
 * (`snapshot-view.ts`). Training happens in `worker.ts`; this thread only draws (Vega-Lite specs from `src/charts.ts`,
 * rendered to canvas by Vega; MNIST images drawn on plain canvases) and wires the worker's messages to the views.
 */
import {
  backendSelect,
  datasetSelect,
  digitSelect,
  form,
  likelihoodSelect,
  posteriorShortName,
  readConfig,
} from './controls.js';
import { $ } from './dom.js';
import { LiveChart } from './live-chart.js';
import {
  type FromWorker,
  parseWasmThreads,
  type RunConfig,
  type RunSummary,
  type ToWorker,
  type WebBackend,
  type WebDataset,
} from './protocol.js';
import { drawLoss, fmt, type Run, renderRunHeader, renderRunRow } from './run-table.js';
import { type ShownData, SnapshotView } from './snapshot-view.js';

const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
/** The name of exported models: `vae.save('downloads://varia-model')` writes varia-model.json + .weights.bin. */
const EXPORT_NAME = 'varia-model';
const exportButton = $<HTMLButtonElement>('export');
const importInput = $<HTMLInputElement>('import');
const statusLine = $<HTMLParagraphElement>('status');
const runsTable = $<HTMLTableElement>('runs');
const runsBody = runsTable.tBodies[0]!;
renderRunHeader(runsTable);

const runs: Run[] = [];
let data: ShownData | undefined;
let backendName = '';

const lossChart = new LiveChart($('loss-chart'), showError);
const views = new SnapshotView(showError);

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer);

// the page URL's settings, first: the worker applies them when it starts a backend
try {
  send({ type: 'settings', wasmThreads: parseWasmThreads(new URLSearchParams(location.search).get('threads')) });
} catch (e) {
  showError((e as Error).message);
}

function setState(state: 'idle' | 'training' | 'done' | 'error'): void {
  document.body.dataset.state = state;
  const training = state === 'training';
  trainButton.disabled = training;
  stopButton.disabled = !training;
  importInput.disabled = training;
  exportButton.disabled =
    training || !runs.some((r) => r.status === 'completed' || r.status === 'aborted' || r.status === 'imported');
}

function showError(message: string): void {
  statusLine.textContent = `Error: ${message}`;
  setState('error');
}

const render = (run: Run): void => renderRunRow(run, backendName);

/** The summary in words: "IAF flow posterior: −ELBO 143.210 nats (recon 130.1 + kl 13.1) on …". */
function summaryText(s: RunSummary): string {
  const conditional = s.conditional ? ', conditioned on the digit' : '';
  return `${s.posterior} posterior${conditional}: −ELBO ${fmt(s.loss)} nats per example (recon ${fmt(s.reconstruction)} + kl ${fmt(s.kl)}) on ${s.evaluatedOn}`;
}

// ---------------------------------------------------------------- worker messages

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  const run = 'runId' in m ? runs.find((r) => r.id === m.runId) : undefined;
  switch (m.type) {
    case 'likelihoods': {
      const selected = likelihoodSelect.value;
      likelihoodSelect.replaceChildren(
        ...m.likelihoods.map((l) => Object.assign(new Option(l.name, l.name), { title: l.description })),
      );
      likelihoodSelect.value = selected;
      break;
    }
    case 'backend':
      backendName = m.backend;
      $('backend').textContent = m.backend;
      $('backend-note').textContent = m.notes.length ? `(${m.notes.join('; ')})` : '';
      document.body.dataset.backend = m.backend;
      break;
    case 'status':
      statusLine.textContent = m.text;
      break;
    case 'data':
      data = { runId: m.runId, name: m.name, x: m.x, labels: m.labels, shape: m.shape };
      break;
    case 'epoch':
      if (!run) break;
      run.epochs.push(m.log);
      statusLine.textContent = `run #${run.id}: epoch ${m.log.epoch}/${m.log.epochs}, loss ${fmt(m.log.loss)}${m.log.valLoss !== undefined ? `, valLoss ${fmt(m.log.valLoss)}` : ''}`;
      render(run);
      drawLoss(runs, lossChart);
      if (m.snapshot && data) views.draw(m.snapshot, run, data);
      break;
    case 'done': {
      if (!run) break;
      run.status = m.stopReason === 'aborted' ? 'aborted' : 'completed';
      run.summary = m.summary;
      run.seconds = (performance.now() - run.started) / 1000;
      render(run);
      drawLoss(runs, lossChart);
      if (data) views.draw(m.snapshot, run, data);
      statusLine.textContent = `run #${run.id} ${run.status}: ${m.epochs} epoch${m.epochs === 1 ? '' : 's'} in ${m.seconds.toFixed(1)} s of training on ${backendName}. ${summaryText(m.summary)}.`;
      setState('done');
      break;
    }
    case 'imported': {
      if (!run) break;
      run.status = 'imported';
      run.likelihood = m.likelihood;
      run.latentDim = m.latentDim;
      run.hiddenUnits = m.hiddenUnits;
      run.summary = m.summary;
      run.title = `${m.likelihood}, ${m.summary.posterior} · imported`;
      run.seconds = (performance.now() - run.started) / 1000;
      render(run);
      if (data) views.draw(m.snapshot, run, data);
      statusLine.textContent = `imported a ${m.likelihood} VAE (input ${m.inputDim}, latent ${m.latentDim}). ${summaryText(m.summary)}.`;
      setState('done');
      break;
    }
    case 'digit-samples':
      if (data) views.drawDigit(m.samples, m.digit, data);
      break;
    case 'exported': {
      // The same call as `vae.save('downloads://varia-model')`, on this thread (it needs a document); tfjs is loaded
      // only when a model is exported.
      void import('@tensorflow/tfjs')
        .then(({ io }) => {
          const handler = io.getSaveHandlers(`downloads://${EXPORT_NAME}`)[0];
          if (!handler?.save) throw new Error('this browser has no downloads:// handler');
          return handler.save(m.artifacts);
        })
        .then(
          () => {
            statusLine.textContent = `exported ${EXPORT_NAME}.json and ${EXPORT_NAME}.weights.bin`;
          },
          (e: unknown) => showError(`export failed: ${(e as Error).message}`),
        );
      break;
    }
    case 'error':
      if (run) {
        run.status = 'failed';
        run.seconds = (performance.now() - run.started) / 1000;
        render(run);
      }
      showError(m.message);
      break;
  }
};
worker.onerror = (e) => showError(`worker: ${e.message}`);

// ---------------------------------------------------------------- controls

function newRun(config: RunConfig | undefined): Run {
  const row = runsBody.insertRow();
  const posterior = config ? posteriorShortName(config.posterior) : '';
  const run: Run = {
    id: runs.length + 1,
    config,
    title: config
      ? `${config.likelihood}, ${posterior}${config.conditionOnDigit ? ' | digit' : ''} · ${config.dataset}`
      : 'imported',
    likelihood: config?.likelihood ?? '',
    posterior,
    latentDim: config?.latentDim,
    hiddenUnits: config?.hiddenUnits,
    epochs: [],
    row,
    started: performance.now(),
    status: config ? 'training' : 'importing',
  };
  runs.push(run);
  render(run);
  return run;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  let config: RunConfig;
  try {
    config = readConfig();
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  const run = newRun(config);
  statusLine.textContent = `run #${run.id}: starting…`;
  setState('training');
  send({ type: 'train', runId: run.id, config });
});

stopButton.addEventListener('click', () => {
  send({ type: 'stop' });
  statusLine.textContent = 'stopping after this batch…';
});

exportButton.addEventListener('click', () => send({ type: 'export' }));

digitSelect.addEventListener('change', () => send({ type: 'digit', digit: Number(digitSelect.value) }));

importInput.addEventListener('change', async () => {
  const files = [...(importInput.files ?? [])];
  importInput.value = '';
  const json = files.find((f) => f.name.endsWith('.json'));
  const bin = files.find((f) => f.name.endsWith('.bin'));
  if (!json || !bin) {
    showError(`select both files of a saved model: ${EXPORT_NAME}.json and ${EXPORT_NAME}.weights.bin`);
    return;
  }
  const run = newRun(undefined);
  setState('training');
  statusLine.textContent = `importing ${json.name} + ${bin.name}…`;
  send({
    type: 'import',
    runId: run.id,
    files: [json, bin],
    dataset: datasetSelect.value as WebDataset,
    backend: backendSelect.value as WebBackend,
  });
});

setState('idle');
