// Child process of the crash-safety tests (src/crash-safety.test.ts): saves models (or a checkpoint) with the
// build in dist/, and is killed with SIGKILL — by the parent at a random instant, or by itself after step k of the
// write sequence (the write-step hook). Usage:
//   node test/save-child.mjs model <dir> <seed> [killAtStep]     save one model; print each step's label
//   node test/save-child.mjs loop <dir> <firstSeed>              save models of seeds firstSeed, firstSeed+1, … forever
//   node test/save-child.mjs checkpoint <dir> <seed> [killAtStep] write one checkpoint
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { setWriteStepHook } from '../dist/atomic-write.js';
import { writeCheckpoint } from '../dist/checkpoint.js';
import { VAE } from '../dist/index.js';

const [mode, dir, seedText, killText] = process.argv.slice(2);
const killAt = killText === undefined ? Infinity : Number(killText);
await tf.setBackend('cpu');

/** The model saved for a seed (the parent builds the same one to compare). */
const modelFor = (seed) => new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4 + (seed % 2), seed });

let steps = 0;
setWriteStepHook((label) => {
  steps += 1;
  process.stdout.write(`step ${steps} ${label}\n`);
  if (steps >= killAt) process.kill(process.pid, 'SIGKILL');
});

if (mode === 'model') {
  const vae = modelFor(Number(seedText));
  await vae.save(dir);
} else if (mode === 'loop') {
  setWriteStepHook(undefined);
  process.stdout.write('ready\n');
  for (let seed = Number(seedText); ; seed++) {
    const vae = modelFor(seed);
    await vae.save(dir);
    vae.dispose();
    process.stdout.write(`saved ${seed}\n`);
  }
} else if (mode === 'checkpoint') {
  const seed = Number(seedText);
  const vae = modelFor(seed);
  const variables = vae.namedVariables();
  const optimizer = tf.train.adam(0.01);
  const state = { epoch: seed, step: seed * 10, history: [], fingerprint: { n: seed } };
  await writeCheckpoint(dir, variables, optimizer, state);
}
process.stdout.write('done\n');
