// The Trainer's per-step cost against another build of varia (e.g. the commit before the Trainer), interleaved:
//   node bench/scripts/trainer-overhead.mjs <treeA> <treeB> [rounds=5] [examples=4096]
// Each round runs one child process per tree (A, B, A, B, …): plain tfjs-wasm, MLP VAE 784-400-20 Bernoulli on
// the offline MNIST training digits, batch 128, Adam 1e-3; a warm-up fit, then one timed epoch of `examples` images.
// A tree is a checkout of this repository with packages built (vae and its dependencies, datasets, playground's deps
// installed). Prints ms/step of each child and the ratio B/A per round and its median.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [, script, ...args] = process.argv;

if (args[0] === '--child') {
  const [, root, examplesText] = args;
  const examples = Number(examplesText);
  const req = createRequire(`${root}/apps/playground/package.json`);
  const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);
  const tf = await import(pathToFileURL(createRequire(`${root}/bench/package.json`).resolve('@tensorflow/tfjs')).href);
  await load('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const { VAE } = await import(pathToFileURL(`${root}/packages/vae/dist/index.js`).href);
  const { mnist } = await import(pathToFileURL(`${root}/packages/datasets/dist/index.js`).href);
  const all = mnist({ split: 'train' }).x;
  const rows = (n) => ({ data: all.data.subarray(0, n * all.cols), rows: n, cols: all.cols });
  const vae = new VAE({ inputDim: 784, hiddenUnits: 400, latentDim: 20, likelihood: 'bernoulli', seed: 0 });
  const options = { epochs: 1, batchSize: 128, learningRate: 1e-3, seed: 0 };
  await vae.fit(rows(1024), options);
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await vae.fit(rows(examples), options);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  vae.dispose();
  const steps = Math.ceil(examples / 128);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
  process.stdout.write(`${JSON.stringify({ msPerStep: ms / steps, cpuMsPerStep, backend: tf.getBackend() })}\n`);
  process.exit(0);
}

const [treeA, treeB, roundsText = '5', examplesText = '4096'] = args;
if (!treeA || !treeB) {
  console.error('usage: node bench/scripts/trainer-overhead.mjs <treeA> <treeB> [rounds] [examples]');
  process.exit(2);
}
const child = (root) => {
  const r = spawnSync(process.execPath, ['--expose-gc', script, '--child', root, examplesText], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child for ${root} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
};
// ABBA order: A first in odd rounds, B first in even ones, so a drift in the machine's load cancels out
const wall = [];
const cpu = [];
for (let round = 1; round <= Number(roundsText); round++) {
  const [a, b] = round % 2 === 1 ? [child(treeA), child(treeB)] : [child(treeB), child(treeA)].reverse();
  wall.push(b.msPerStep / a.msPerStep);
  cpu.push(b.cpuMsPerStep / a.cpuMsPerStep);
  console.log(
    `round ${round}: A ${a.msPerStep.toFixed(2)} ms/step (cpu ${a.cpuMsPerStep.toFixed(2)}), B ${b.msPerStep.toFixed(2)} ms/step (cpu ${b.cpuMsPerStep.toFixed(2)}); B/A wall ${wall.at(-1).toFixed(3)}, cpu ${cpu.at(-1).toFixed(3)}`,
  );
}
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
console.log(`median B/A over ${wall.length} rounds: wall ${median(wall).toFixed(3)}, cpu ${median(cpu).toFixed(3)}`);
