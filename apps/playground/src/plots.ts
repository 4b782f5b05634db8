/**
 * `train --plots DIR`: the loss curve, the data scatter, the latent scatter and, for images, a reconstruction grid, each
 * as SVG (Vega-Lite compiled to Vega, rendered headlessly by Vega's SVG string renderer) and PNG (the SVG rasterized by
 * resvg). The specs are the ones the web page draws ({@link ./charts.ts}).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { Matrix } from '@varia/core';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { imageGridCells, imageGridSpec, type LabelledPoint, lossSpec, type RunCurve, scatterSpec } from './charts.js';

/** Renders a Vega-Lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG(2);
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG document to PNG bytes (system fonts, white background). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Writes `NAME.svg` and `NAME.png` for a spec; returns both paths. */
export async function writePlot(dir: string, name: string, spec: TopLevelSpec): Promise<string[]> {
  const svg = await renderSvg(spec);
  const svgFile = join(dir, `${name}.svg`);
  const pngFile = join(dir, `${name}.png`);
  await writeAtomic(svgFile, svg);
  await writeAtomic(pngFile, svgToPng(svg));
  return [svgFile, pngFile];
}

/** What {@link writePlots} draws. */
export interface PlotInputs {
  /** The run's per-epoch metrics. */
  curve: RunCurve;
  /** The plotted (training) examples (a random subset, say), their labels, the shape of one example. */
  data: { x: Matrix; labels: Int32Array; shape: readonly number[]; name: string };
  /** Posterior means of the plotted examples, in the same order. */
  latent: Matrix;
  /** Reconstructions E[x | z = μ(x)] of the first `reconstruction.rows` plotted examples. */
  reconstruction: Matrix;
}

/** Points from the first two columns of `m` (or the only one, against 0), labelled by `labels`. */
export function matrixPoints(m: Matrix, labels: ArrayLike<number | string>): LabelledPoint[] {
  const points: LabelledPoint[] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    points[i] = { x: m.data[i * m.cols]!, y: m.cols > 1 ? m.data[i * m.cols + 1]! : 0, label: labels[i] ?? -1 };
  }
  return points;
}

/** Whether examples of this shape are drawn as images. */
export function isImage(shape: readonly number[]): shape is readonly [number, number] {
  return shape.length === 2;
}

/**
 * Writes the playground's plots to `dir` (created if needed): `loss`, `data` (not for images), `latent`,
 * `reconstruction` (a grid of inputs above reconstructions for images, else input vs reconstruction points).
 * @returns the files written.
 */
export async function writePlots(dir: string, inputs: PlotInputs): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { data, latent, reconstruction } = inputs;
  const files: string[] = [];
  files.push(...(await writePlot(dir, 'loss', lossSpec([inputs.curve]))));
  const labels = data.labels;
  if (!isImage(data.shape)) {
    const cols = data.x.cols;
    const title = cols === 2 ? `Data: ${data.name}` : `Data: ${data.name}, features 1 and 2 of ${cols}`;
    files.push(
      ...(await writePlot(dir, 'data', scatterSpec(matrixPoints(data.x, labels), { title, labelTitle: 'label' }))),
    );
  }
  const latentTitle =
    latent.cols > 2
      ? `Latent means (z₁, z₂ of ${latent.cols})`
      : latent.cols === 1
        ? 'Latent means (z₁)'
        : 'Latent means';
  files.push(
    ...(await writePlot(
      dir,
      'latent',
      scatterSpec(matrixPoints(latent, labels), {
        title: latentTitle,
        xTitle: 'z₁',
        yTitle: latent.cols > 1 ? 'z₂' : '',
        labelTitle: 'label',
      }),
    )),
  );
  if (isImage(data.shape)) {
    const [h, w] = data.shape;
    const n = Math.min(reconstruction.rows, 10);
    const px = h * w;
    const images: Float32Array[] = [];
    for (let i = 0; i < n; i++) images.push(data.x.data.subarray(i * px, (i + 1) * px));
    for (let i = 0; i < n; i++) images.push(reconstruction.data.subarray(i * px, (i + 1) * px));
    const cells = imageGridCells(images, [h, w], n);
    const spec = imageGridSpec(cells, {
      title: 'Inputs (top) and reconstructions (bottom)',
      gridCols: n * (w + 1) - 1,
      gridRows: 2 * (h + 1) - 1,
    });
    files.push(...(await writePlot(dir, 'reconstruction', spec)));
  } else if (data.x.cols === 2) {
    const n = reconstruction.rows;
    const points = [
      ...matrixPoints({ data: data.x.data.subarray(0, n * 2), rows: n, cols: 2 }, new Array<string>(n).fill('input')),
      ...matrixPoints(reconstruction, new Array<string>(n).fill('reconstruction')),
    ];
    files.push(
      ...(await writePlot(
        dir,
        'reconstruction',
        scatterSpec(points, { title: 'Input and reconstruction', labelTitle: 'series' }),
      )),
    );
  } else {
    const points: LabelledPoint[] = [];
    const n = reconstruction.rows * data.x.cols;
    for (let k = 0; k < n; k++)
      points.push({ x: data.x.data[k]!, y: reconstruction.data[k]!, label: labels[Math.floor(k / data.x.cols)] ?? -1 });
    files.push(
      ...(await writePlot(
        dir,
        'reconstruction',
        scatterSpec(points, {
          title: 'Reconstruction vs input (every entry)',
          xTitle: 'input',
          yTitle: 'reconstruction (mean)',
          labelTitle: 'label',
          // counts are heavy-tailed: a symmetric-log scale keeps the bulk visible next to the few large values
          scale: isWideCounts(data.x.data) ? 'symlog' : 'linear',
        }),
      )),
    );
  }
  return files;
}

/** Non-negative integers reaching 20 or more: count data whose outliers would squash a linear axis. */
function isWideCounts(values: Float32Array): boolean {
  let max = 0;
  for (const v of values) {
    if (v < 0 || !Number.isInteger(v)) return false;
    if (v > max) max = v;
  }
  return max >= 20;
}
