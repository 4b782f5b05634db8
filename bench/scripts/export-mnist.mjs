// Writes the fixed MNIST split of @varia/datasets as raw float32 files for bench/python/mnist_parity.py.
// Usage: node bench/scripts/export-mnist.mjs DIR   (after `pnpm build`)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnist } from '@varia/datasets';

const dir = process.argv[2] ?? 'mnist-export';
mkdirSync(dir, { recursive: true });
for (const split of ['train', 'test']) {
  const { x } = mnist({ split });
  writeFileSync(join(dir, `${split}.f32`), Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength));
  console.log(`${split}: ${x.rows} × ${x.cols} → ${join(dir, `${split}.f32`)}`);
}
