/**
 * The playground page: the form, the run list and the live charts. Training happens in `worker.ts`; this thread only
 * draws (Vega-Lite specs from `src/charts.ts`, rendered to canvas by Vega; MNIST images drawn on plain canvases).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { type LabelledPoint, lossSpec, type RunCurve, scatterSpec } from '../src/charts.js';
import { labelShare } from '../src/learned.js';
import {
  type EpochMetrics,
  type FromWorker,
  type RunConfig,
  type Snapshot,
  type ToWorker,
  WEB_BACKENDS,
  WEB_DATASETS,
  WEB_LIKELIHOODS,
  type WebBackend,
  type WebDataset,
  type WebLikelihood,
  type WireMatrix,
} from './protocol.js';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

const form = $<HTMLFormElement>('controls');
const datasetSelect = $<HTMLSelectElement>('dataset');
const likelihoodSelect = $<HTMLSelectElement>('likelihood');
const backendSelect = $<HTMLSelectElement>('backend-pref');
const latentInput = $<HTMLInputElement>('latent');
const hiddenInput = $<HTMLInputElement>('hidden');
const lrInput = $<HTMLInputElement>('lr');
const epochsInput = $<HTMLInputElement>('epochs');
const batchInput = $<HTMLInputElement>('batch');
const validationInput = $<HTMLInputElement>('validation');
const seedInput = $<HTMLInputElement>('seed');
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
/** The name of exported models: `vae.save('downloads://varia-model')` writes varia-model.json + .weights.bin. */
const EXPORT_NAME = 'varia-model';
const exportButton = $<HTMLButtonElement>('export');
const importInput = $<HTMLInputElement>('import');
const statusLine = $<HTMLParagraphElement>('status');
const runsBody = $<HTMLTableElement>('runs').tBodies[0]!;

for (const [value, text] of Object.entries(WEB_DATASETS)) datasetSelect.add(new Option(text, value));
for (const l of WEB_LIKELIHOODS) likelihoodSelect.add(new Option(l, l));
for (const b of WEB_BACKENDS) backendSelect.add(new Option(b === 'auto' ? 'auto (webgl → wasm → cpu)' : b, b));

/** Sensible settings per dataset, applied when the dataset changes (the user can still edit them). */
const DEFAULTS: Record<
  WebDataset,
  { likelihood: WebLikelihood; hidden: string; latent: number; lr: number; epochs: number; batch: number }
> = {
  toy2d: { likelihood: 'gaussian', hidden: '16', latent: 2, lr: 0.02, epochs: 12, batch: 64 },
  'toy2d-separated': { likelihood: 'gaussian', hidden: '16', latent: 2, lr: 0.02, epochs: 12, batch: 64 },
  counts: { likelihood: 'poisson', hidden: '32', latent: 2, lr: 0.01, epochs: 20, batch: 64 },
  mnist: { likelihood: 'bernoulli', hidden: '256', latent: 2, lr: 0.001, epochs: 5, batch: 100 },
};

function applyDefaults(dataset: WebDataset): void {
  const d = DEFAULTS[dataset];
  likelihoodSelect.value = d.likelihood;
  hiddenInput.value = d.hidden;
  latentInput.value = String(d.latent);
  lrInput.value = String(d.lr);
  epochsInput.value = String(d.epochs);
  batchInput.value = String(d.batch);
}
datasetSelect.addEventListener('change', () => applyDefaults(datasetSelect.value as WebDataset));
// the separated blobs have structure for the latent space to find (plain toy2d is N(0, I) in every group)
datasetSelect.value = 'toy2d-separated';
applyDefaults('toy2d-separated');

// ---------------------------------------------------------------- charts

/** A Vega view in a container, rebuilt when its structure changes and fed new rows otherwise. */
class LiveChart {
  private view: vega.View | undefined;
  private key = '';
  private pending: { spec: () => TopLevelSpec; key: string; data: string; values: object[] } | undefined;
  private busy = false;

  constructor(private readonly container: HTMLElement) {}

  /** Shows `values` in data set `data`; `spec` builds the chart when `key` differs from the current one. */
  update(key: string, data: string, values: object[], spec: () => TopLevelSpec): void {
    this.pending = { spec, key, data, values };
    if (!this.busy) void this.flush();
  }

  clear(): void {
    this.pending = undefined;
    this.view?.finalize();
    this.view = undefined;
    this.key = '';
    this.container.replaceChildren();
  }

  private async flush(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending) {
        const { spec, key, data, values } = this.pending;
        this.pending = undefined;
        if (this.view && key === this.key) {
          try {
            await this.view.data(data, values).runAsync();
            continue;
          } catch {
            // fall through: rebuild
          }
        }
        this.view?.finalize();
        this.container.replaceChildren();
        this.view = new vega.View(vega.parse(compile(spec()).spec), {
          renderer: 'canvas',
          container: this.container,
          hover: false,
        });
        this.key = key;
        await this.view.runAsync();
      }
    } catch (e) {
      showError(`chart: ${(e as Error).message}`);
    } finally {
      this.busy = false;
      document.body.dataset.charts = String(Number(document.body.dataset.charts ?? '0') + 1);
    }
  }
}

const lossChart = new LiveChart($('loss-chart'));
const latentChart = new LiveChart($('latent-chart'));
const reconChart = new LiveChart($('recon-chart'));
const samplesChart = new LiveChart($('samples-chart'));

/** Draws images (rows of `m`, each `h × w` in [0, 1]) in a strip of `columns` per row on a new canvas. */
function imageCanvas(m: WireMatrix, shape: [number, number], columns: number, scale = 2): HTMLCanvasElement {
  const [h, w] = shape;
  const gridRows = Math.ceil(m.rows / columns);
  const canvas = document.createElement('canvas');
  canvas.width = columns * (w + 1) - 1;
  canvas.height = gridRows * (h + 1) - 1;
  canvas.style.width = `${canvas.width * scale}px`; // shrinks to the column's width (style.css)
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < m.rows; i++) {
    const img = ctx.createImageData(w, h);
    for (let p = 0; p < w * h; p++) {
      const v = Math.round(255 * (1 - Math.min(1, Math.max(0, m.data[i * m.cols + p]!))));
      img.data[4 * p] = v;
      img.data[4 * p + 1] = v;
      img.data[4 * p + 2] = v;
      img.data[4 * p + 3] = 255;
    }
    ctx.putImageData(img, (i % columns) * (w + 1), Math.floor(i / columns) * (h + 1));
  }
  return canvas;
}

function showImages(container: HTMLElement, title: string, canvases: HTMLCanvasElement[]): void {
  const heading = document.createElement('h3');
  heading.textContent = title;
  container.replaceChildren(heading, ...canvases);
}

function points(m: WireMatrix, label: (i: number) => number | string, rows = m.rows): LabelledPoint[] {
  const out: LabelledPoint[] = [];
  for (let i = 0; i < Math.min(rows, m.rows); i++) {
    out.push({ x: m.data[i * m.cols]!, y: m.cols > 1 ? m.data[i * m.cols + 1]! : 0, label: label(i) });
  }
  return out;
}

// ---------------------------------------------------------------- state

interface Run {
  id: number;
  config: RunConfig | undefined;
  title: string;
  epochs: EpochMetrics[];
  row: HTMLTableRowElement;
  started: number;
  status: string;
}

interface DataView {
  runId: number;
  name: string;
  x: WireMatrix;
  labels: Int32Array;
  shape: number[];
}

const runs: Run[] = [];
let current: Run | undefined;
let data: DataView | undefined;
let backendName = '';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer);

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

const fmt = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '—' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3);

function renderRunRow(run: Run): void {
  const first = run.epochs[0];
  const last = run.epochs.at(-1);
  const c = run.config;
  const cells = [
    String(run.id),
    c ? c.dataset : '(imported)',
    run.title.split(' · ')[0] ?? '',
    c ? String(c.latentDim) : '',
    c ? c.hiddenUnits.join(',') : '',
    c ? `${run.epochs.length}/${c.epochs}` : '',
    fmt(first?.loss),
    fmt(last?.loss),
    fmt(last?.valLoss),
    backendName,
    `${((performance.now() - run.started) / 1000).toFixed(1)} s`,
    run.status,
  ];
  if (run.status !== 'training') cells[10] = run.row.cells[10]?.textContent ?? cells[10]!;
  run.row.replaceChildren(
    ...cells.map((text) => {
      const td = document.createElement('td');
      td.textContent = text;
      return td;
    }),
  );
  run.row.dataset.run = String(run.id);
  run.row.dataset.status = run.status;
  run.row.dataset.epochs = String(run.epochs.length);
  if (first) run.row.dataset.firstLoss = String(first.loss);
  if (last) run.row.dataset.lastLoss = String(last.loss);
}

function drawLoss(): void {
  const curves: RunCurve[] = runs
    .filter((r) => r.epochs.length > 0)
    .map((r) => ({ run: `#${r.id} ${r.title}`, epochs: r.epochs }));
  if (curves.length === 0) return;
  const spec = (): TopLevelSpec => lossSpec(curves, { width: 300, height: 190 });
  const rows = (spec().data as { values: object[] }).values;
  // the legend lists only the series with values: a new spec when validation curves appear
  const validation = curves.some((c) => c.epochs.some((e) => e.valLoss !== undefined));
  lossChart.update(`loss-${curves.length}-${validation}`, 'loss', rows, spec);
}

/**
 * The note under the latent chart: η² in words, what the colours are, and why 0% can be the right answer.
 */
function latentNote(dataset: string, share: number, kl: number | undefined): string {
  const percent = `${(100 * share).toFixed(0)}%`;
  const parts = [
    `Labels explain ${percent} of the latent means' spread (η² = between-label / total sum of squares; 0% = the latent space ignores the labels, 100% = one point per label).`,
  ];
  if (dataset.startsWith('synthetic-counts')) {
    parts.push(
      'Colours: the "dominant factor" of each row — which of the 2 true latent coordinates that generated its counts is larger (argmax z). ' +
        'A good Poisson VAE recovers the true latent plane up to rotation and scale, so the two colours fall on two sides of a line.',
    );
  } else if (dataset === 'toy2d') {
    parts.push(
      'Here 0% is the right answer: in toy2d every group is drawn from the same N(0, I), so the labels carry no information and a good model ignores them ' +
        '(with KL ≈ 0 the posterior has collapsed to the prior: nothing to encode). Pick "toy 2-D, separated" to see the groups pulled apart.',
    );
  } else if (share < 0.05 && kl !== undefined && kl < 0.05) {
    parts.push(
      'KL ≈ 0: the posterior collapsed to the prior and the latent space carries no information yet — train longer, widen the hidden layer, or lower the learning rate.',
    );
  }
  return parts.join(' ');
}

function drawSnapshot(s: Snapshot, run: Run): void {
  if (!data) return;
  const d = data;
  const image = d.shape.length === 2;
  const key = `${run.id}`;
  const label = (i: number): number => d.labels[i] ?? -1;
  const latentTitle = s.latent.cols > 2 ? `Latent means (z₁, z₂ of ${s.latent.cols})` : 'Latent means';
  const separation = labelShare(s.latent, d.labels.subarray(0, s.latent.rows));
  $('latent-chart').dataset.separation = separation.toFixed(4);
  if (separation > 0.5 && run.row.dataset.structuredAfter === undefined) {
    // when the latent space first showed the labels' structure (seconds since Train was pressed)
    run.row.dataset.structuredAfter = ((performance.now() - run.started) / 1000).toFixed(2);
  }
  $('latent-note').textContent = latentNote(d.name, separation, run.epochs.at(-1)?.kl);
  const labelTitle = image ? 'digit' : d.name.startsWith('synthetic-counts') ? 'dominant factor' : 'group';
  latentChart.update(`${key}-latent`, 'points', points(s.latent, label), () =>
    scatterSpec(points(s.latent, label), {
      title: `${latentTitle} · run #${run.id}`,
      xTitle: 'z₁',
      yTitle: 'z₂',
      labelTitle,
      width: 240,
      height: 240,
    }),
  );
  if (image) {
    const shape: [number, number] = [d.shape[0]!, d.shape[1]!];
    const inputs: WireMatrix = {
      data: d.x.data.subarray(0, s.recon.rows * d.x.cols),
      rows: s.recon.rows,
      cols: d.x.cols,
    };
    showImages($('recon-images'), 'Inputs (top) and reconstructions (bottom)', [
      imageCanvas(inputs, shape, 8),
      imageCanvas(s.recon, shape, 8),
    ]);
    showImages($('samples-images'), 'Samples from the prior (decoder means)', [imageCanvas(s.samples, shape, 8)]);
    if (s.interpolation)
      showImages($('interp-images'), 'Interpolation between two digits in latent space', [
        imageCanvas(s.interpolation, shape, 10),
      ]);
    reconChart.clear();
    samplesChart.clear();
    return;
  }
  $('recon-images').replaceChildren();
  $('samples-images').replaceChildren();
  $('interp-images').replaceChildren();
  if (d.x.cols === 2) {
    const recon = [...points(d.x, () => 'input', s.recon.rows), ...points(s.recon, () => 'reconstruction')];
    reconChart.update(`${key}-recon2`, 'points', recon, () =>
      scatterSpec(recon, { title: 'Input and reconstruction', labelTitle: 'series', width: 240, height: 240 }),
    );
  } else {
    const recon: LabelledPoint[] = [];
    for (let k = 0; k < s.recon.rows * s.recon.cols; k++)
      recon.push({ x: d.x.data[k]!, y: s.recon.data[k]!, label: label(Math.floor(k / s.recon.cols)) });
    reconChart.update(`${key}-reconN`, 'points', recon, () =>
      // counts are heavy-tailed: a symmetric-log scale keeps the bulk visible next to the few large values
      scatterSpec(recon, {
        title: 'Reconstruction vs input (every entry)',
        xTitle: 'input',
        yTitle: 'reconstruction (mean)',
        labelTitle,
        width: 240,
        height: 240,
        scale: d.name.startsWith('synthetic-counts') ? 'symlog' : 'linear',
      }),
    );
  }
  const samples = [...points(d.x, () => 'data', 600), ...points(s.samples, () => 'prior sample')];
  const featureNote = d.x.cols > 2 ? ` (features 1, 2 of ${d.x.cols})` : '';
  samplesChart.update(`${key}-samples`, 'points', samples, () =>
    scatterSpec(samples, {
      title: `Samples from the prior vs data${featureNote}`,
      labelTitle: 'series',
      width: 240,
      height: 240,
      opacity: 0.5,
    }),
  );
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
      renderRunRow(run);
      drawLoss();
      if (m.snapshot) drawSnapshot(m.snapshot, run);
      break;
    case 'done': {
      if (!run) break;
      run.status = m.stopReason === 'aborted' ? 'aborted' : 'completed';
      renderRunRow(run);
      run.row.cells[10]!.textContent = `${((performance.now() - run.started) / 1000).toFixed(1)} s`;
      drawLoss();
      drawSnapshot(m.snapshot, run);
      statusLine.textContent = `run #${run.id} ${run.status}: ${m.epochs} epoch${m.epochs === 1 ? '' : 's'} in ${m.seconds.toFixed(1)} s of training on ${backendName}`;
      setState('done');
      break;
    }
    case 'imported': {
      if (!run) break;
      run.status = 'imported';
      run.title = `${m.likelihood} · imported`;
      renderRunRow(run);
      drawSnapshot(m.snapshot, run);
      statusLine.textContent = `imported a ${m.likelihood} VAE (input ${m.inputDim}, latent ${m.latentDim})`;
      setState('done');
      break;
    }
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
        renderRunRow(run);
      }
      showError(m.message);
      break;
  }
};
worker.onerror = (e) => showError(`worker: ${e.message}`);

// ---------------------------------------------------------------- controls

function readConfig(): RunConfig {
  const hiddenUnits = hiddenInput.value.split(',').map((s) => Number(s.trim()));
  if (hiddenUnits.some((h) => !Number.isInteger(h) || h < 1))
    throw new Error(`hidden units must be positive integers separated by commas, got "${hiddenInput.value}"`);
  const positiveInt = (name: string, input: HTMLInputElement): number => {
    const v = Number(input.value);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got "${input.value}"`);
    return v;
  };
  const learningRate = Number(lrInput.value);
  if (!(learningRate > 0)) throw new Error(`learning rate must be > 0, got "${lrInput.value}"`);
  const validationSplit = Number(validationInput.value);
  if (!(validationSplit >= 0 && validationSplit < 1))
    throw new Error(`validation must be in [0, 1), got "${validationInput.value}"`);
  const seed = Number(seedInput.value);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be an integer >= 0, got "${seedInput.value}"`);
  return {
    dataset: datasetSelect.value as WebDataset,
    likelihood: likelihoodSelect.value as WebLikelihood,
    latentDim: positiveInt('latent size', latentInput),
    hiddenUnits,
    learningRate,
    epochs: positiveInt('epochs', epochsInput),
    batchSize: positiveInt('batch size', batchInput),
    validationSplit,
    seed,
    backend: backendSelect.value as WebBackend,
  };
}

function newRun(config: RunConfig | undefined, title: string): Run {
  const row = runsBody.insertRow();
  const run: Run = {
    id: runs.length + 1,
    config,
    title,
    epochs: [],
    row,
    started: performance.now(),
    status: config ? 'training' : 'importing',
  };
  runs.push(run);
  renderRunRow(run);
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
  current = newRun(config, `${config.likelihood} · ${config.dataset}`);
  statusLine.textContent = `run #${current.id}: starting…`;
  setState('training');
  send({ type: 'train', runId: current.id, config });
});

stopButton.addEventListener('click', () => {
  send({ type: 'stop' });
  statusLine.textContent = 'stopping after this batch…';
});

exportButton.addEventListener('click', () => send({ type: 'export' }));

importInput.addEventListener('change', async () => {
  const files = [...(importInput.files ?? [])];
  importInput.value = '';
  const json = files.find((f) => f.name.endsWith('.json'));
  const bin = files.find((f) => f.name.endsWith('.bin'));
  if (!json || !bin) {
    showError(`select both files of a saved model: ${EXPORT_NAME}.json and ${EXPORT_NAME}.weights.bin`);
    return;
  }
  const run = newRun(undefined, 'imported');
  current = run;
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
