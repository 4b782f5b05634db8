/**
 * Vega-Lite specs for the playground's charts, shared by the CLI (`--plots`, rendered headlessly to SVG/PNG) and the
 * web page (rendered live on a canvas). Pure data → spec functions: no DOM, no Node.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One run's epoch metrics, as plotted. */
export interface RunCurve {
  /** A label for the run, e.g. `"#2 poisson · counts"`. */
  run: string;
  /** Per-epoch metrics (nats per example). */
  epochs: ReadonlyArray<{
    epoch: number;
    loss: number;
    reconstruction: number;
    kl: number;
    valLoss?: number;
    valReconstruction?: number;
    valKl?: number;
  }>;
}

/** A 2-D point with a label (a class, cluster or series). */
export interface LabelledPoint {
  x: number;
  y: number;
  label: number | string;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/**
 * Loss metric series names, in legend order: the keys of the CLI's text and JSON output (`loss`, `valLoss`, `recon`,
 * `kl`; costs in nats per example, lower is better) with what they are.
 */
export const LOSS_SERIES = ['loss (−ELBO)', 'valLoss (−ELBO, validation)', 'recon (reconstruction NLL)', 'kl'] as const;

/** Rows `{ run, epoch, series, value }` for {@link lossSpec}. */
export function lossRows(curves: readonly RunCurve[]): { run: string; epoch: number; series: string; value: number }[] {
  const rows: { run: string; epoch: number; series: string; value: number }[] = [];
  for (const c of curves) {
    for (const e of c.epochs) {
      const push = (series: string, value: number | undefined): void => {
        if (value !== undefined && Number.isFinite(value)) rows.push({ run: c.run, epoch: e.epoch, series, value });
      };
      push(LOSS_SERIES[0], e.loss);
      push(LOSS_SERIES[1], e.valLoss);
      push(LOSS_SERIES[2], -e.reconstruction);
      push(LOSS_SERIES[3], e.kl);
    }
  }
  return rows;
}

/**
 * Loss curves, one panel per run side by side (independent y scales: a Poisson run's nats are not a Gaussian run's):
 * −ELBO on the training and validation data and its two terms, reconstruction NLL = −E_q[log p(x|z)] and KL(q‖p).
 * The data set is named `"loss"` so a live view can replace its rows. With `columns`, the panels wrap after that many.
 */
export function lossSpec(
  curves: readonly RunCurve[],
  options: { width?: number; height?: number; columns?: number } = {},
): TopLevelSpec {
  const rows = lossRows(curves);
  const header = { labelFontSize: 12 };
  // only the series that have values get a legend entry (no "validation" without validation data)
  const shown = LOSS_SERIES.map((series, k) => ({ series, k })).filter(({ series }) =>
    rows.some((r) => r.series === series),
  );
  const domain = shown.map(({ series }) => series);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const dashes = [
    [1, 0],
    [6, 3],
    [2, 2],
    [2, 2],
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    padding: { left: 12, right: 24, top: 8, bottom: 8 },
    title: 'Loss per epoch (nats per example)',
    data: { name: 'loss', values: rows },
    ...(options.columns === undefined
      ? { facet: { column: { field: 'run', type: 'nominal', title: null, sort: null, header } } }
      : { facet: { field: 'run', type: 'nominal', title: null, sort: null, header }, columns: options.columns }),
    spec: {
      width: options.width ?? 260,
      height: options.height ?? 180,
      mark: { type: 'line', point: { size: 18 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: 'nats', scale: { zero: false } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain, range: shown.map(({ k }) => colors[k]!) },
          legend: { orient: 'right', labelLimit: 240 },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: { domain, range: shown.map(({ k }) => dashes[k]!) },
        },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: CONFIG,
  };
}

/**
 * A scatter of labelled points coloured by label (data set `"points"`), e.g. the data or the latent means.
 * `labelTitle` names the colour legend (`"group"`, `"digit"`, `"series"`).
 */
export function scatterSpec(
  points: readonly LabelledPoint[],
  options: {
    title: string;
    xTitle?: string;
    yTitle?: string;
    labelTitle?: string;
    width?: number;
    height?: number;
    opacity?: number;
    /** `'symlog'` for heavy-tailed values such as counts (default `'linear'`). */
    scale?: 'linear' | 'symlog';
  },
): TopLevelSpec {
  const symlog = options.scale === 'symlog';
  const scale = symlog ? { type: 'symlog' as const } : { zero: false };
  // a symlog axis gets readable ticks at 1-2-5 steps (Vega's default ones bunch at the top)
  const axis = symlog ? { values: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] } : {};
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    padding: { left: 12, right: 24, top: 8, bottom: 8 },
    title: options.title,
    width: options.width ?? 300,
    height: options.height ?? 300,
    data: { name: 'points', values: points as LabelledPoint[] },
    mark: { type: 'circle', size: 10, opacity: options.opacity ?? 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle ?? 'x₁', scale, axis },
      y: { field: 'y', type: 'quantitative', title: options.yTitle ?? 'x₂', scale, axis },
      color: { field: 'label', type: 'nominal', title: options.labelTitle ?? 'label', scale: { scheme: 'category10' } },
    },
    config: CONFIG,
  };
}

/** Cells of a heat map: column `col`, row `row`, value `value`. */
export interface HeatCell {
  col: number;
  row: number;
  value: number;
}

/**
 * Images laid out in a grid as one grey-scale heat map (white on black), e.g. MNIST inputs above their reconstructions.
 * `images[i]` is row-major `shape[0] × shape[1]` in [0, 1]; `columns` images per grid row. Zero pixels are left out
 * (the background is black), which keeps the SVG small.
 */
export function imageGridCells(
  images: readonly ArrayLike<number>[],
  shape: readonly [number, number],
  columns: number,
): HeatCell[] {
  const [h, w] = shape;
  const cells: HeatCell[] = [];
  images.forEach((img, i) => {
    const gx = (i % columns) * (w + 1);
    const gy = Math.floor(i / columns) * (h + 1);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = img[r * w + c]!;
        if (v > 0.02) cells.push({ col: gx + c, row: gy + r, value: Math.min(1, v) });
      }
    }
  });
  return cells;
}

/** The spec of {@link imageGridCells}'s grid: `pixel` screen pixels per image pixel. */
export function imageGridSpec(
  cells: readonly HeatCell[],
  options: { title: string; gridCols: number; gridRows: number; pixel?: number },
): TopLevelSpec {
  const px = options.pixel ?? 4;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    padding: { left: 12, right: 24, top: 8, bottom: 8 },
    title: options.title,
    width: options.gridCols * px,
    height: options.gridRows * px,
    background: 'white',
    data: { name: 'cells', values: cells as HeatCell[] },
    transform: [
      { calculate: 'datum.col + 1', as: 'col2' },
      { calculate: 'datum.row + 1', as: 'row2' },
    ],
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'col', type: 'quantitative', scale: { domain: [0, options.gridCols], nice: false }, axis: null },
      x2: { field: 'col2' },
      y: {
        field: 'row',
        type: 'quantitative',
        scale: { domain: [0, options.gridRows], nice: false, reverse: true },
        axis: null,
      },
      y2: { field: 'row2' },
      color: {
        field: 'value',
        type: 'quantitative',
        scale: { domain: [0, 1], range: ['#000000', '#ffffff'] },
        legend: null,
      },
    },
    config: { ...CONFIG, view: { fill: 'black', stroke: null } },
  };
}
