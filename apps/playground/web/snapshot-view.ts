/**
 * Draws what a model makes of the data (a `Snapshot` from the worker): latent means coloured by label with the η²
 * note, reconstructions, samples (points for vectors, image grids for MNIST), the interpolation strip, and for a
 * conditional model the samples of the picked digit with their nearest-neighbour check and the style grid.
 */
import { type LabelledPoint, scatterSpec } from '../src/charts.js';
import { labelShare } from '../src/learned.js';
import { $ } from './dom.js';
import { imageCanvas, showImages } from './images.js';
import { LiveChart } from './live-chart.js';
import type { DigitCheck, Snapshot, WireMatrix } from './protocol.js';
import type { Run } from './run-table.js';

/** The shown rows of the data (the worker's `data` message). */
export interface ShownData {
  runId: number;
  name: string;
  x: WireMatrix;
  labels: Int32Array;
  shape: number[];
}

function points(m: WireMatrix, label: (i: number) => number | string, rows = m.rows): LabelledPoint[] {
  const out: LabelledPoint[] = [];
  for (let i = 0; i < Math.min(rows, m.rows); i++) {
    out.push({ x: m.data[i * m.cols]!, y: m.cols > 1 ? m.data[i * m.cols + 1]! : 0, label: label(i) });
  }
  return out;
}

const isPoissonLatent = (run: Run): boolean => run.posterior.startsWith('Poisson');

/**
 * The note under the latent chart: η² in words, what the colours are, and why 0% can be the right answer.
 */
function latentNote(dataset: string, share: number, kl: number | undefined, run: Run): string {
  const percent = `${(100 * share).toFixed(0)}%`;
  const parts = [
    `Labels explain ${percent} of the latent means' spread (η² = between-label / total sum of squares; 0% = the latent space ignores the labels, 100% = one point per label).`,
  ];
  if (run.summary?.conditional ?? run.config?.conditionOnDigit) {
    parts.push(
      "A CVAE is given the digit, so its latent space need not encode it (compare its share with an unconditional run's): z is left to hold the style — slant, width, stroke — and the grid below writes one z as every digit.",
    );
  } else if (dataset.startsWith('synthetic-counts')) {
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
  if (isPoissonLatent(run)) {
    parts.push(
      'Poisson latent: the points are the posterior rates λ(x) of z₁, z₂ — z itself is a vector of counts, drawn from Poisson(λ(x)).',
    );
  }
  return parts.join(' ');
}

/** The latent, reconstruction and sample panels. */
export class SnapshotView {
  private readonly latentChart: LiveChart;
  private readonly reconChart: LiveChart;
  private readonly samplesChart: LiveChart;

  constructor(onError: (message: string) => void) {
    this.latentChart = new LiveChart($('latent-chart'), onError);
    this.reconChart = new LiveChart($('recon-chart'), onError);
    this.samplesChart = new LiveChart($('samples-chart'), onError);
  }

  /** Draws a snapshot of run `run` on the data `d`. */
  draw(s: Snapshot, run: Run, d: ShownData): void {
    const image = d.shape.length === 2;
    const key = `${run.id}`;
    const label = (i: number): number => d.labels[i] ?? -1;
    const what = isPoissonLatent(run) ? 'Posterior rates λ(x)' : 'Latent means';
    const latentTitle = s.latent.cols > 2 ? `${what} (z₁, z₂ of ${s.latent.cols})` : what;
    const separation = labelShare(s.latent, d.labels.subarray(0, s.latent.rows));
    $('latent-chart').dataset.separation = separation.toFixed(4);
    if (separation > 0.5 && run.row.dataset.structuredAfter === undefined) {
      // when the latent space first showed the labels' structure (seconds since Train was pressed)
      run.row.dataset.structuredAfter = ((performance.now() - run.started) / 1000).toFixed(2);
    }
    $('latent-note').textContent = latentNote(d.name, separation, run.epochs.at(-1)?.kl, run);
    const labelTitle = image ? 'digit' : d.name.startsWith('synthetic-counts') ? 'dominant factor' : 'group';
    this.latentChart.update(`${key}-latent`, 'points', points(s.latent, label), () =>
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
      if (s.digit) this.drawDigit(s.samples, s.digit, d);
      else {
        $('digit-picker').hidden = true;
        showImages($('samples-images'), 'Samples from the prior (decoder means)', [imageCanvas(s.samples, shape, 8)]);
      }
      if (s.styles)
        showImages($('interp-images'), 'One z, every digit: each row decodes one prior draw z as the digits 0–9', [
          imageCanvas(s.styles, shape, 10),
        ]);
      else if (s.interpolation)
        showImages($('interp-images'), 'Interpolation between two digits in latent space', [
          imageCanvas(s.interpolation, shape, 10),
        ]);
      this.reconChart.clear();
      this.samplesChart.clear();
      return;
    }
    $('recon-images').replaceChildren();
    $('samples-images').replaceChildren();
    $('digit-picker').hidden = true;
    $('interp-images').replaceChildren();
    if (d.x.cols === 2) {
      const recon = [...points(d.x, () => 'input', s.recon.rows), ...points(s.recon, () => 'reconstruction')];
      this.reconChart.update(`${key}-recon2`, 'points', recon, () =>
        scatterSpec(recon, { title: 'Input and reconstruction', labelTitle: 'series', width: 240, height: 240 }),
      );
    } else {
      const recon: LabelledPoint[] = [];
      for (let k = 0; k < s.recon.rows * s.recon.cols; k++)
        recon.push({ x: d.x.data[k]!, y: s.recon.data[k]!, label: label(Math.floor(k / s.recon.cols)) });
      this.reconChart.update(`${key}-reconN`, 'points', recon, () =>
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
    this.samplesChart.update(`${key}-samples`, 'points', samples, () =>
      scatterSpec(samples, {
        title: `Samples from the prior vs data${featureNote}`,
        labelTitle: 'series',
        width: 240,
        height: 240,
        opacity: 0.5,
      }),
    );
  }

  /** A conditional model's samples of one digit, with how many a 1-NN classifier of the shown digits agrees on. */
  drawDigit(samples: WireMatrix, check: DigitCheck, d: ShownData): void {
    const picker = $('digit-picker');
    picker.hidden = false;
    const container = $('samples-images');
    const agreeing = Math.round(check.agreement * samples.rows);
    showImages(container, `Samples of the digit ${check.digit} (decoder means of p(x | z, digit), z ~ p(z))`, [
      imageCanvas(samples, [d.shape[0]!, d.shape[1]!], 10),
    ]);
    $('digit-check').textContent =
      `${agreeing} of ${samples.rows} look like a ${check.digit} to a 1-nearest-neighbour classifier of the ${d.x.rows} shown training digits (chance: 1 in 10).`;
    container.dataset.digit = String(check.digit);
    container.dataset.agreement = check.agreement.toFixed(4);
  }
}
