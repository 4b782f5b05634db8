/**
 * How `train` reports, in one place so text and `--json` cannot drift. The convention (also the page's): every
 * figure is a **cost in nats per example, lower is better** — `loss` = −ELBO (what is minimised), `recon` = the
 * reconstruction negative log-likelihood −E_q[log p(x|z)], `kl` = KL(q(z|x) ‖ p(z)); so `loss = recon + β·kl`.
 * Keys are camelCase and the same words in text and JSON (text `val_loss` is JSON `valLoss`, nothing else).
 */
import type { EpochLog } from '@varia/vae';

/** One epoch as `train` reports it (the JSON `epoch` event). */
export interface EpochReport {
  event: 'epoch';
  epoch: number;
  epochs: number;
  /** −ELBO on the training batches (with the epoch's β). */
  loss: number;
  /** −E_q[log p(x|z)] on the training batches. */
  recon: number;
  kl: number;
  beta: number;
  valLoss?: number;
  valRecon?: number;
  valKl?: number;
  seconds: number;
  examplesPerSecond: number;
}

/** The library's epoch log (reconstruction as a log-likelihood) in the report's convention (as a cost). */
export function epochReport(log: EpochLog): EpochReport {
  const report: EpochReport = {
    event: 'epoch',
    epoch: log.epoch,
    epochs: log.epochs,
    loss: log.loss,
    recon: -log.reconstruction,
    kl: log.kl,
    beta: log.beta,
    seconds: log.seconds,
    examplesPerSecond: log.examplesPerSecond,
  };
  if (log.valLoss !== undefined) report.valLoss = log.valLoss;
  if (log.valReconstruction !== undefined) report.valRecon = -log.valReconstruction;
  if (log.valKl !== undefined) report.valKl = log.valKl;
  return report;
}

/** A number for text output: 4 decimals, exponent form when very large or very small. */
export function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(3)
    : v.toFixed(Math.abs(v) >= 100 ? 2 : 4);
}

/** The text line of one epoch: the same names as the JSON keys. */
export function epochLine(r: EpochReport): string {
  let line = `Epoch ${r.epoch}/${r.epochs}  loss ${fmt(r.loss)}  recon ${fmt(r.recon)}  kl ${fmt(r.kl)}`;
  if (r.valLoss !== undefined) line += `  valLoss ${fmt(r.valLoss)}`;
  return `${line}  (${r.seconds.toFixed(1)}s, ${Math.round(r.examplesPerSecond)} ex/s)`;
}

const SHADES = ' .:-=+*#%@';

/**
 * Images as ASCII art, side by side: each image `width` × `height` values in [0, max], drawn with two pixel rows per
 * text line (terminal cells are about twice as tall as wide) and ten shades ` .:-=+*#%@`.
 */
export function asciiImages(images: readonly ArrayLike<number>[], width: number, height: number, gap = 2): string[] {
  const lines: string[] = [];
  for (let y = 0; y < height; y += 2) {
    const parts = images.map((img) => {
      let max = 0;
      for (let k = 0; k < width * height; k++) max = Math.max(max, img[k]!);
      let row = '';
      for (let x = 0; x < width; x++) {
        const a = img[y * width + x]!;
        const b = y + 1 < height ? img[(y + 1) * width + x]! : a;
        const v = max > 0 ? (a + b) / 2 / Math.max(max, 1) : 0;
        row += SHADES[Math.min(SHADES.length - 1, Math.max(0, Math.round(v * (SHADES.length - 1))))];
      }
      return row;
    });
    lines.push(parts.join(' '.repeat(gap)).trimEnd());
  }
  // blank margins (MNIST digits have ~4 empty pixel rows above and below) carry nothing
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** Rows of input next to reconstruction for vector data (at most `rows` rows, 4 features). */
export function reconstructionTable(
  input: ArrayLike<number>,
  recon: ArrayLike<number>,
  rows: number,
  cols: number,
): string[] {
  const shown = Math.min(cols, 4);
  const width = 11;
  const cell = (v: number): string => ` ${fmt(v)}`.padStart(width);
  const more = cols > shown ? ' …' : '';
  const lines = [`${'input'.padEnd(shown * width + more.length)}   reconstruction (mean)`];
  for (let i = 0; i < rows; i++) {
    const a = Array.from({ length: shown }, (_, j) => cell(input[i * cols + j]!)).join('');
    const b = Array.from({ length: shown }, (_, j) => cell(recon[i * cols + j]!)).join('');
    lines.push(`${a}${more}   ${b}${more}`);
  }
  return lines;
}
