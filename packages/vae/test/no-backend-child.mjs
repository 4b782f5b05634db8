// Child process of src/backend-check.test.ts: a fresh Node process that imports @varia/vae's build (dist/) and
// @tensorflow/tfjs-core, like an application that forgot `import '@tensorflow/tfjs'`. Prints one JSON line per
// entry point: the error's name and message (or "ok"). Usage:
//   node test/no-backend-child.mjs none <modelDir>     no backend at all: constructor, fromArtifacts, load
//   node test/no-backend-child.mjs cpu                 CPU backend but no gradient registrations: fit
const [mode, modelDir] = process.argv.slice(2);
if (mode === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
const { VAE } = await import('../dist/index.js');

/** Runs one entry point and reports how it ended. */
async function report(entry, run) {
  try {
    await run();
    process.stdout.write(`${JSON.stringify({ entry, name: 'ok' })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ entry, name: e.name, message: e.message, varia: e.constructor.name })}\n`);
  }
}

const config = { inputDim: 3, latentDim: 2, hiddenUnits: 4, seed: 1 };
if (mode === 'none') {
  await report('constructor', () => new VAE(config));
  await report('load', () => VAE.load(modelDir));
  await report('fromArtifacts', () => VAE.fromArtifacts({ modelJson: {}, weights: new Uint8Array(0) }));
} else {
  await report('constructor', () => new VAE(config).dispose());
  await report('fit', async () => {
    const vae = new VAE(config);
    await vae.fit(
      [
        [0, 1, 2],
        [1, 2, 3],
      ],
      { epochs: 1, batchSize: 2 },
    );
  });
}
