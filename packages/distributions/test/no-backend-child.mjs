// Child process of src/backend-check.test.ts: a fresh Node process that imports @varia/distributions' build (dist/)
// and @tensorflow/tfjs-core only, like an application that forgot `import '@tensorflow/tfjs'`. Prints one JSON line
// per constructor: the error's name and message (or "ok").
const { Normal, Poisson, Categorical } = await import('../dist/index.js');

/** Runs one constructor and reports how it ended. */
function report(entry, run) {
  try {
    run();
    process.stdout.write(`${JSON.stringify({ entry, name: 'ok' })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ entry, name: e.name, message: e.message })}\n`);
  }
}

report('Normal', () => new Normal({ loc: 0, scale: 1 }));
report('Poisson', () => new Poisson({ rate: [1, 2] }));
report('Categorical', () => new Categorical({ logits: [0, 0, 0] }));
