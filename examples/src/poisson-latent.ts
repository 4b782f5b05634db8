// The Poisson latent model: z ~ Poisson(λ₀) per latent dimension, q(z|x) = Poisson(λ(x)), on synthetic counts,
// trained with the score-function estimator of @varia/losses (no baseline, moving average, NVIL's learned baseline,
// leave-one-out over K = 4 samples), and compared on the same data with a Gaussian latent (reparameterized), a
// Bernoulli latent (enumerated exactly) and a relaxed Bernoulli latent (binary Concrete, reparameterized).
// Prints test −ELBO per model and the variance of the encoder's gradient for each estimator (the guide's table), then
// the same comparison with the VAE preset (`posterior: 'poisson'`, Gaussian, relaxed one-hot) trained by VAE.fit.
// Run: pnpm --filter @varia/examples build && node examples/dist/poisson-latent.js
import * as tf from '@tensorflow/tfjs';
import { mulberry32, samplePoisson } from '@varia/core';
import { Bernoulli, type Distribution, Independent, Normal, Poisson, RelaxedBernoulli } from '@varia/distributions';
import { Dense, MLP } from '@varia/layers';
import {
  type BaselineOption,
  type GradientEstimator,
  LearnedBaseline,
  MovingAverageBaseline,
  negativeElbo,
  type VariationalInputs,
} from '@varia/losses';
import { VAE, type VAEConfig } from '@varia/vae';
import { check, report } from './report.js';

await tf.ready();
const D = 12; // features
const HIDDEN = 32;

// Data: 2 true Poisson causes z* ~ Poisson(3), x ~ Poisson(0.2 + z*·W) with W ≥ 0 (each feature loads on one cause).
function counts(n: number, seed: number): tf.Tensor2D {
  const rng = mulberry32(seed);
  const values = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const z = [samplePoisson(rng, 3), samplePoisson(rng, 3)];
    for (let j = 0; j < D; j++) values[i * D + j] = samplePoisson(rng, 0.2 + z[j % 2]! * (0.5 + (j % 3) * 0.4));
  }
  return tf.tensor2d(values, [n, D]);
}
const train = counts(512, 1);
const test = counts(256, 2);

type Latent = 'poisson' | 'gaussian' | 'bernoulli' | 'relaxed';

/** Encoder log(1 + x) → 32 → latent parameters, decoder z → 32 → Poisson log-rates, one latent family. */
class LatentModel {
  readonly encoder: MLP;
  readonly head: Dense;
  readonly decoder: MLP;
  readonly out: Dense;
  constructor(
    readonly latent: Latent,
    readonly d: number,
    seed: number,
  ) {
    this.encoder = new MLP({ inputDim: D, hiddenUnits: [HIDDEN], activation: 'relu', seed });
    this.head = new Dense({ inputDim: HIDDEN, units: latent === 'gaussian' ? 2 * d : d, seed: seed + 1 });
    this.decoder = new MLP({ inputDim: d, hiddenUnits: [HIDDEN], activation: 'relu', seed: seed + 2 });
    this.out = new Dense({ inputDim: HIDDEN, units: D, seed: seed + 3 });
  }
  get encoderVariables(): tf.Variable[] {
    return [...this.encoder.namedVariables().values(), ...this.head.namedVariables().values()];
  }
  get variables(): tf.Variable[] {
    return [...this.encoderVariables, ...this.decoder.namedVariables().values(), ...this.out.namedVariables().values()];
  }
  inputs(x: tf.Tensor): VariationalInputs {
    const h = this.head.apply(this.encoder.apply(tf.log1p(x)));
    const n = x.shape[0]!;
    const d = this.d;
    let posterior: Distribution;
    let prior: Distribution;
    switch (this.latent) {
      case 'poisson':
        posterior = new Independent(new Poisson({ logRate: tf.clipByValue(h, -6, 4) }, { validateArgs: false }), 1);
        prior = new Independent(new Poisson({ rate: new Array<number>(d).fill(3) }), 1);
        break;
      case 'gaussian': {
        const loc = tf.slice(h, [0, 0], [n, d]);
        const scale = tf.add(tf.softplus(tf.slice(h, [0, d], [n, d])), 1e-3);
        posterior = new Independent(new Normal({ loc, scale }, { validateArgs: false }), 1);
        prior = new Independent(new Normal({ loc: new Array<number>(d).fill(0), scale: 1 }), 1);
        break;
      }
      case 'bernoulli':
        posterior = new Independent(new Bernoulli({ logits: h }, { validateArgs: false }), 1);
        prior = new Independent(new Bernoulli({ probs: new Array<number>(d).fill(0.5) }), 1);
        break;
      case 'relaxed':
        posterior = new Independent(new RelaxedBernoulli({ temperature: 0.5, logits: h }, { validateArgs: false }), 1);
        prior = new Independent(new RelaxedBernoulli({ temperature: 0.5, probs: new Array<number>(d).fill(0.5) }), 1);
        break;
    }
    const decode = (z: tf.Tensor): Distribution => {
      const input = this.latent === 'poisson' ? tf.div(z, 3) : z; // counts around λ₀ = 3 → order 1
      const logRate = this.out.apply(this.decoder.apply(input));
      return new Independent(new Poisson({ logRate }, { validateArgs: false, logProbMethod: 'direct' }), 1);
    };
    return { x, posterior, prior, decode };
  }
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

interface Variant {
  name: string;
  latent: Latent;
  d: number;
  estimator: GradientEstimator;
  samples?: number;
  baseline?: () => BaselineOption;
}

/** A small baseline network b_ψ(x) for NVIL: log(1 + x) → 16 → 1; its variables train with the model. */
function nvilNetwork(seed: number): { predict: (x: tf.Tensor) => tf.Tensor; variables: tf.Variable[] } {
  const hidden = new Dense({ inputDim: D, units: 16, activation: 'relu', seed });
  const out = new Dense({ inputDim: 16, units: 1, seed: seed + 1 });
  return {
    predict: (x) => tf.reshape(out.apply(hidden.apply(tf.log1p(x))), [-1]),
    variables: [...hidden.namedVariables().values(), ...out.namedVariables().values()],
  };
}

// CI size: 5 epochs (a few seconds); the guide's numbers: VARIA_EXAMPLE_EPOCHS=25 VARIA_EXAMPLE_DRAWS=64
const EPOCHS = Number(process.env.VARIA_EXAMPLE_EPOCHS ?? 5);
const DRAWS = Number(process.env.VARIA_EXAMPLE_DRAWS ?? 32);
const BATCH = 64;

/** Trains with Adam and returns the test −ELBO (Monte Carlo with 32 samples, exact under enumeration). */
function trainAndEvaluate(
  model: LatentModel,
  options: { estimator: GradientEstimator; samples?: number; baseline?: BaselineOption },
  extra: tf.Variable[] = [],
): { testLoss: number; estimator: string } {
  const optimizer = tf.train.adam(1e-2);
  const varList = [...model.variables, ...extra];
  let estimator = '';
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let start = 0; start < 512; start += BATCH) {
      const cost = optimizer.minimize(
        () => {
          const xb = tf.slice(train, [start, 0], [BATCH, D]);
          const out = negativeElbo(model.inputs(xb), { ...options, seed: epoch * 1000 + start });
          estimator = out.estimator;
          return out.loss;
        },
        true,
        varList,
      );
      cost?.dispose();
    }
  }
  optimizer.dispose();
  const testLoss = tf.tidy(
    () =>
      negativeElbo(model.inputs(test), {
        estimator: options.estimator,
        samples: 32,
        baseline: 'none',
        seed: 7,
      }).loss.dataSync()[0]!,
  );
  return { testLoss, estimator };
}

/**
 * Total variance (summed over `vars`) of R estimates of the gradient of −ELBO on the batch x, at fixed parameters:
 * `inputs` builds the model's variational inputs, `options` the estimator and baseline; draw i uses seed `seed + i`.
 */
function gradientVariance(
  inputs: (x: tf.Tensor) => VariationalInputs,
  vars: tf.Variable[],
  x: tf.Tensor,
  options: Parameters<typeof negativeElbo>[1],
  seed: number,
  r = DRAWS,
): number {
  const draws: Float32Array[] = [];
  for (let i = 0; i < r; i++) {
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => negativeElbo(inputs(x), { ...options, seed: seed + i }).loss, vars);
      return tf.concat(vars.map((v) => tf.reshape(grads[v.name]!, [-1])));
    });
    draws.push(g.dataSync() as Float32Array);
    g.dispose();
  }
  let total = 0;
  for (let j = 0; j < draws[0]!.length; j++) {
    let mean = 0;
    for (const d of draws) mean += d[j]! / r;
    for (const d of draws) total += (d[j]! - mean) ** 2 / (r - 1);
  }
  return total;
}

/** The encoder-gradient variance of a hand-written model on the first test batch. */
function encoderGradientVariance(
  model: LatentModel,
  options: { estimator: GradientEstimator; samples?: number; baseline?: BaselineOption },
): number {
  const xb = tf.slice(test, [0, 0], [BATCH, D]);
  const v = gradientVariance((x) => model.inputs(x), model.encoderVariables, xb, options, 10_000);
  xb.dispose();
  return v;
}

const results: Record<string, number | string | boolean> = {};
const rows: string[] = [];
const started = Date.now();

// 1. The Poisson latent under each score-function baseline (same initial weights), then the other latents.
const variants: Variant[] = [
  { name: 'poisson-sf-none', latent: 'poisson', d: 2, estimator: 'score-function', baseline: () => 'none' },
  {
    name: 'poisson-sf-moving-average',
    latent: 'poisson',
    d: 2,
    estimator: 'score-function',
    baseline: () => new MovingAverageBaseline(),
  },
  { name: 'poisson-sf-nvil', latent: 'poisson', d: 2, estimator: 'score-function' },
  {
    name: 'poisson-sf-loo-k4',
    latent: 'poisson',
    d: 2,
    estimator: 'score-function',
    samples: 4,
    baseline: () => 'leave-one-out',
  },
  { name: 'gaussian-reparam', latent: 'gaussian', d: 2, estimator: 'reparam' },
  { name: 'bernoulli-enumerate', latent: 'bernoulli', d: 4, estimator: 'enumerate' },
  { name: 'relaxed-bernoulli-reparam', latent: 'relaxed', d: 4, estimator: 'reparam' },
];
let nvilModel: LatentModel | undefined;
let nvil: ReturnType<typeof nvilNetwork> | undefined;
let bernoulliModel: LatentModel | undefined;
for (const v of variants) {
  const model = new LatentModel(v.latent, v.d, 0);
  let baseline = v.baseline?.();
  let extra: tf.Variable[] = [];
  if (v.name === 'poisson-sf-nvil') {
    nvil = nvilNetwork(50);
    baseline = new LearnedBaseline({ predict: nvil.predict });
    extra = nvil.variables;
  }
  const t0 = Date.now();
  const { testLoss, estimator } = trainAndEvaluate(
    model,
    { estimator: v.estimator, samples: v.samples, baseline },
    extra,
  );
  rows.push(
    `${v.name.padEnd(28)} estimator ${estimator.padEnd(15)} test −ELBO ${testLoss.toFixed(2)} nats  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  results[v.name] = Number(testLoss.toFixed(3));
  check(Number.isFinite(testLoss), `${v.name}: finite test −ELBO`);
  if (baseline instanceof MovingAverageBaseline) baseline.dispose();
  if (v.name === 'poisson-sf-nvil') nvilModel = model;
  else if (v.latent === 'bernoulli') bernoulliModel = model;
  else model.dispose();
}
console.log(`test −ELBO (nats per example, ${EPOCHS} epochs, D = ${D}):\n${rows.join('\n')}`);

// 2. Gradient variance of each estimator at the same parameters: the NVIL-trained Poisson model (its baseline network
//    trained with it), and the trained Bernoulli model (where enumeration is exact: variance 0).
const variances: string[] = [];
const measure = (label: string, model: LatentModel, options: Parameters<typeof encoderGradientVariance>[1]): number => {
  const v = encoderGradientVariance(model, options);
  variances.push(`${label.padEnd(40)} ${v.toExponential(3)}`);
  return v;
};
const warmed = new MovingAverageBaseline();
for (let i = 0; i < 20; i++)
  tf.tidy(
    () =>
      void negativeElbo(nvilModel!.inputs(tf.slice(train, [0, 0], [BATCH, D])), {
        estimator: 'score-function',
        baseline: warmed,
        seed: i,
      }),
  );
const learned = new LearnedBaseline({ predict: nvil!.predict });
const vNone = measure('Poisson, score function, none, K = 1', nvilModel!, {
  estimator: 'score-function',
  baseline: 'none',
});
const vMa = measure('Poisson, score function, moving average', nvilModel!, {
  estimator: 'score-function',
  baseline: warmed,
});
const vNvil = measure('Poisson, score function, NVIL (learned)', nvilModel!, {
  estimator: 'score-function',
  baseline: learned,
});
const vNone4 = measure('Poisson, score function, none, K = 4', nvilModel!, {
  estimator: 'score-function',
  samples: 4,
  baseline: 'none',
});
const vLoo = measure('Poisson, score function, leave-one-out K=4', nvilModel!, {
  estimator: 'score-function',
  samples: 4,
  baseline: 'leave-one-out',
});
const bNone = measure('Bernoulli, score function, none, K = 1', bernoulliModel!, {
  estimator: 'score-function',
  baseline: 'none',
});
const bLoo = measure('Bernoulli, score function, leave-one-out K=4', bernoulliModel!, {
  estimator: 'score-function',
  samples: 4,
});
const bEnum = measure('Bernoulli, enumerate (exact)', bernoulliModel!, { estimator: 'enumerate' });
console.log(
  `encoder-gradient variance (sum over parameters, ${DRAWS} draws, one batch of ${BATCH}):\n${variances.join('\n')}`,
);
check(bEnum < 1e-6 * bNone, 'enumeration is exact: no sampling variance');
check(vLoo < vNone4, 'leave-one-out reduces the variance of K = 4 samples');
check(vNvil < vNone && vMa < vNone, 'the baselines reduce the variance');
warmed.dispose();
learned.dispose();
for (const v of nvil!.variables) v.dispose();
nvilModel!.dispose();
bernoulliModel!.dispose();

// 3. The same comparison with the VAE preset: `posterior: 'poisson'` (prior Poisson(λ₀ = 3), score function with each
//    baseline), the Gaussian VAE and a relaxed one-hot (Gumbel-softmax) VAE, each 12 → 32 → latent → 32 → 12 with a
//    Poisson likelihood, trained by VAE.fit on the same counts: test −ELBO per model, then the encoder-gradient
//    variance of each estimator/baseline at the same weights (the NVIL-trained Poisson VAE, its baseline trained with it).
const presetRows: string[] = [];
const preset: Record<string, number> = {};
const presets: [string, Pick<VAEConfig, 'posterior' | 'prior'>][] = [
  [
    'vae-poisson-moving-average',
    { posterior: { poisson: { baseline: 'moving-average' } }, prior: { poisson: { rate: 3 } } },
  ],
  ['vae-poisson-learned', { posterior: { poisson: { baseline: 'learned' } }, prior: { poisson: { rate: 3 } } }],
  ['vae-poisson-none', { posterior: { poisson: { baseline: 'none' } }, prior: { poisson: { rate: 3 } } }],
  ['vae-gaussian', {}],
  ['vae-relaxed-one-hot', { posterior: { relaxedOneHot: { temperature: { initial: 1, minimum: 0.5, rate: 5e-3 } } } }],
];
const trainRows = (await train.array()) as number[][];
const testRows = (await test.array()) as number[][];
const presetBatch = tf.tensor2d(testRows.slice(0, BATCH));
/** The encoder-gradient variance of a VAE preset on one test batch. */
function presetVariance(vae: VAE, options: Parameters<typeof negativeElbo>[1]): number {
  const vars = [...vae.namedVariables()].filter(([k]) => k.startsWith('encoder')).map(([, v]) => v);
  return gradientVariance((x) => vae.variationalInputs(x), vars, presetBatch, options, 20_000);
}
let learnedVae: VAE | undefined;
for (const [name, latent] of presets) {
  const latentDim = name === 'vae-relaxed-one-hot' ? 4 : 2;
  const vae = new VAE({ inputDim: D, latentDim, hiddenUnits: HIDDEN, likelihood: 'poisson', seed: 0, ...latent });
  const t0 = Date.now();
  const history = await vae.fit(trainRows, { epochs: EPOCHS, batchSize: BATCH, learningRate: 1e-2, seed: 1 });
  const ev = await vae.evaluate(testRows, { seed: 7 });
  const estimator = history.epochs.at(-1)?.estimator ?? 'reparam';
  presetRows.push(
    `${name.padEnd(28)} estimator ${String(estimator).padEnd(15)} test −ELBO ${(-ev.elbo).toFixed(2)} nats  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  preset[`${name}-elbo`] = Number((-ev.elbo).toFixed(3));
  check(Number.isFinite(ev.elbo), `${name}: finite test −ELBO`);
  if (name === 'vae-poisson-learned') learnedVae = vae;
  else if (name === 'vae-gaussian' || name === 'vae-relaxed-one-hot') {
    // reparameterized: the pathwise gradient's variance at that model's own weights
    preset[`${name}-variance`] = presetVariance(vae, {});
    vae.dispose();
  } else vae.dispose();
}
console.log(`VAE presets, test −ELBO (${EPOCHS} epochs):\n${presetRows.join('\n')}`);
const sf = { estimator: 'score-function' } as const;
const warmedPreset = new MovingAverageBaseline();
for (let i = 0; i < 20; i++)
  tf.tidy(
    () => void negativeElbo(learnedVae!.variationalInputs(presetBatch), { ...sf, baseline: warmedPreset, seed: i }),
  );
const presetVariances: [string, Parameters<typeof negativeElbo>[1]][] = [
  ['none, K = 1', { ...sf, baseline: 'none' }],
  ['moving average', { ...sf, baseline: warmedPreset }],
  ['learned (NVIL, trained with the model)', learnedVae!.latent.objectiveOptions(true)],
  ['none, K = 4', { ...sf, samples: 4, baseline: 'none' }],
  ['leave-one-out, K = 4', { ...sf, samples: 4, baseline: 'leave-one-out' }],
];
const varianceRows: string[] = [];
for (const [label, options] of presetVariances) {
  const v = presetVariance(learnedVae!, options);
  preset[`vae-poisson-variance ${label}`] = v;
  varianceRows.push(`  Poisson VAE, score function, ${label.padEnd(40)} ${v.toExponential(3)}`);
}
varianceRows.push(
  `  Gaussian VAE, reparameterized (its own weights)             ${preset['vae-gaussian-variance']!.toExponential(3)}`,
);
varianceRows.push(
  `  relaxed one-hot VAE, reparameterized (its own weights)      ${preset['vae-relaxed-one-hot-variance']!.toExponential(3)}`,
);
console.log(
  `VAE presets, encoder-gradient variance (${DRAWS} draws, one batch of ${BATCH}):\n${varianceRows.join('\n')}`,
);
check(
  preset['vae-poisson-variance leave-one-out, K = 4']! < preset['vae-poisson-variance none, K = 4']!,
  'leave-one-out reduces the Poisson VAE encoder-gradient variance',
);
warmedPreset.dispose();
learnedVae!.dispose();
presetBatch.dispose();
Object.assign(results, preset);
tf.dispose([train, test]);
console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
report({
  ...results,
  varianceNone: vNone,
  varianceMovingAverage: vMa,
  varianceNvil: vNvil,
  varianceNoneK4: vNone4,
  varianceLeaveOneOutK4: vLoo,
  bernoulliVarianceNone: bNone,
  bernoulliVarianceLeaveOneOut: bLoo,
  bernoulliVarianceEnumerate: bEnum,
});
