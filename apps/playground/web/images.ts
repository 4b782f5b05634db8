/** Images on plain canvases: rows of a matrix drawn as h × w grey-scale pictures in a grid. */
import type { WireMatrix } from './protocol.js';

/** Draws images (rows of `m`, each `h × w` in [0, 1]) in a strip of `columns` per row on a new canvas. */
export function imageCanvas(m: WireMatrix, shape: [number, number], columns: number, scale = 2): HTMLCanvasElement {
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

export function showImages(container: HTMLElement, title: string, canvases: HTMLCanvasElement[]): void {
  const heading = document.createElement('h3');
  heading.textContent = title;
  container.replaceChildren(heading, ...canvases);
}
