/**
 * The run list: one row per training run or imported model (what it is, its losses, its final −ELBO), and the loss
 * chart with one panel per run. The row's `data-*` attributes carry the numbers for tests.
 */
import type { TopLevelSpec } from 'vega-lite';
import { lossSpec, type RunCurve } from '../src/charts.js';
import type { LiveChart } from './live-chart.js';
import type { EpochMetrics, RunConfig, RunSummary } from './protocol.js';

/** One training run (or imported model) on the page. */
export interface Run {
  id: number;
  /** Undefined for an imported model. */
  config: RunConfig | undefined;
  /** Its name in the loss chart, e.g. "bernoulli, IAF flow · mnist". */
  title: string;
  likelihood: string;
  /** The posterior in words: the choice while training, the model's resolved one once done. */
  posterior: string;
  /** Latent size and encoder widths (from the config, or from an imported model). */
  latentDim?: number;
  hiddenUnits?: number[];
  epochs: EpochMetrics[];
  summary?: RunSummary;
  row: HTMLTableRowElement;
  started: number;
  /** Wall time from Train to done, seconds (set when the run ends). */
  seconds?: number;
  status: string;
}

/** The columns, declared once: header, tooltip and the cell of a run. */
const COLUMNS: { header: string; title?: string; cell: (run: Run, backend: string) => string }[] = [
  { header: '#', cell: (r) => String(r.id) },
  {
    header: 'dataset',
    cell: (r) => (r.config ? `${r.config.dataset}${r.config.conditionOnDigit ? ' | digit' : ''}` : '(imported)'),
  },
  { header: 'likelihood', cell: (r) => r.likelihood },
  { header: 'posterior', title: 'the family of q(z|x)', cell: (r) => r.summary?.posterior ?? r.posterior },
  { header: 'latent', cell: (r) => String(r.latentDim ?? '') },
  { header: 'hidden', cell: (r) => r.hiddenUnits?.join(',') ?? '' },
  { header: 'epochs', cell: (r) => (r.config ? `${r.epochs.length}/${r.config.epochs}` : '') },
  {
    header: 'loss (first)',
    title: 'loss = −ELBO in nats per example (lower is better), averaged over the epoch',
    cell: (r) => fmt(r.epochs[0]?.loss),
  },
  { header: 'loss (last)', cell: (r) => fmt(r.epochs.at(-1)?.loss) },
  { header: 'valLoss', cell: (r) => fmt(r.epochs.at(-1)?.valLoss) },
  {
    header: '−ELBO (final)',
    title:
      'the −ELBO of the finished model, evaluated once on the held-out validation rows (the training rows without validation; the shown rows for an imported model): compare posteriors with it',
    cell: (r) => fmt(r.summary?.loss),
  },
  { header: 'backend', cell: (_, backend) => backend },
  {
    header: 'time',
    cell: (r) => `${(r.seconds ?? (performance.now() - r.started) / 1000).toFixed(1)} s`,
  },
  { header: 'status', cell: (r) => r.status },
];

/** A number as the table shows it: 3 decimals, none from 1000 on, — when missing. */
export const fmt = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '—' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3);

/** Writes the table's header row. */
export function renderRunHeader(table: HTMLTableElement): void {
  const row = table.createTHead().insertRow();
  for (const c of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = c.header;
    if (c.title) th.title = c.title;
    row.append(th);
  }
}

/** Redraws a run's row and its data attributes. */
export function renderRunRow(run: Run, backend: string): void {
  run.row.replaceChildren(
    ...COLUMNS.map((c) => {
      const td = document.createElement('td');
      td.textContent = c.cell(run, backend);
      return td;
    }),
  );
  const d = run.row.dataset;
  d.run = String(run.id);
  d.status = run.status;
  d.epochs = String(run.epochs.length);
  d.posterior = run.summary?.posterior ?? run.posterior;
  const first = run.epochs[0];
  const last = run.epochs.at(-1);
  if (first) d.firstLoss = String(first.loss);
  if (last) d.lastLoss = String(last.loss);
  if (run.summary) d.finalLoss = String(run.summary.loss);
}

/** Draws every run with epochs in the loss chart (a panel per run). */
export function drawLoss(runs: readonly Run[], chart: LiveChart): void {
  const curves: RunCurve[] = runs
    .filter((r) => r.epochs.length > 0)
    .map((r) => ({ run: `#${r.id} ${r.title}`, epochs: r.epochs }));
  if (curves.length === 0) return;
  const spec = (): TopLevelSpec => lossSpec(curves, { width: 300, height: 190, columns: 3 });
  const rows = (spec().data as { values: object[] }).values;
  // the legend lists only the series with values: a new spec when validation curves appear
  const validation = curves.some((c) => c.epochs.some((e) => e.valLoss !== undefined));
  chart.update(`loss-${curves.length}-${validation}`, 'loss', rows, spec);
}
