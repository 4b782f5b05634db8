#!/usr/bin/env node
/**
 * Checks the addon's σ (native/xnn_sigmoid.h, the addon's `unary` op 5) against tfjs-backend-wasm's own `Sigmoid`
 * kernel on every one of the 2³² float32 bit patterns, bit for bit (NaN payloads included). Run once by hand after
 * building the addon, not in CI (about a minute or two of CPU):
 *
 *   node packages/native-kernels/scripts/sigmoid-exhaustive.mjs [--from CHUNK] [--to CHUNK]
 *
 * The patterns go in 256 chunks of 2²⁴; --from/--to (0 … 256) run a part. Prints the number of inputs that differ
 * (and the first few), and exits 1 if any does.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const flag = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CHUNK = 1 << 24;
const from = flag('--from', 0);
const to = flag('--to', 256);

await tf.setBackend('wasm');
await tf.ready();
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addon = createRequire(import.meta.url)(join(root, 'native', 'build', 'Release', 'varia_native.node'));
const backend = tf.backend();
const offset = (t) => backend.dataIdMap.get(t.dataId).memoryOffset;

const start = Date.now();
let differ = 0;
let nanPayloadOnly = 0;
const examples = [];
const patterns = new Uint32Array(CHUNK);
const x = tf.tensor1d(new Float32Array(CHUNK));
const ours = tf.zeros([CHUNK]);
for (let chunk = from; chunk < to; chunk++) {
  const base = chunk * CHUNK;
  for (let i = 0; i < CHUNK; i++) patterns[i] = base + i;
  new Uint32Array(backend.wasm.HEAPU8.buffer, offset(x), CHUNK).set(patterns);
  const theirs = tf.sigmoid(x);
  addon.unary(backend.wasm.HEAPU8.buffer, 5, CHUNK, offset(x), offset(ours));
  const heap = backend.wasm.HEAPU8.buffer;
  const a = new Uint32Array(heap, offset(theirs), CHUNK);
  const b = new Uint32Array(heap, offset(ours), CHUNK);
  const af = new Float32Array(heap, offset(theirs), CHUNK);
  const bf = new Float32Array(heap, offset(ours), CHUNK);
  for (let i = 0; i < CHUNK; i++) {
    if (a[i] === b[i]) continue;
    differ++;
    if (Number.isNaN(af[i]) && Number.isNaN(bf[i])) nanPayloadOnly++;
    if (examples.length < 10)
      examples.push(`x = 0x${(base + i).toString(16)}: tfjs 0x${a[i].toString(16)}, addon 0x${b[i].toString(16)}`);
  }
  theirs.dispose();
  if ((chunk + 1) % 16 === 0)
    console.log(`chunks ${from}…${chunk}: ${differ} differ so far (${(Date.now() - start) / 1000} s)`);
}
tf.dispose([x, ours]);
const total = (to - from) * CHUNK;
console.log(
  `σ on ${total} float32 inputs (0x${(from * CHUNK).toString(16)} … 0x${(to * CHUNK - 1).toString(16)}): ${differ} differ` +
    ` (${nanPayloadOnly} only in a NaN's payload), ${(Date.now() - start) / 1000} s`,
);
for (const line of examples) console.log(`  ${line}`);
process.exit(differ === 0 ? 0 : 1);
