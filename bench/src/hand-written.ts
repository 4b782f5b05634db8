/**
 * The reference the library is measured against: the same VAE written as a plain tfjs training loop by someone who
 * knows tfjs-wasm well — no library code, plain variables, one `optimizer.minimize` per step, the data shuffled once
 * per epoch on the host and each batch uploaded from that copy, losses read once per epoch.
 *
 * `gradients: 'transpose-free'` writes the dense backward by hand with explicitly transposed operands (the trick
 * `@varia/layers` uses); `gradients: 'default'` lets tfjs differentiate `tf.fused.matMul`, whose gradient multiplies
 * with transpose flags (slow on wasm). The two isolate the effect of the custom backward from everything else.
 */
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@varia/core';
import { FAST_TRANSPOSED_MATMUL, mulberry32, permutation } from '@varia/core';

/** The likelihoods the benchmarks use. */
export type BenchLikelihood = 'bernoulli' | 'poisson' | 'gaussian';

/** Architecture of the benchmarked VAE: D-H-(d, d)-H-D with ReLU hidden layers. */
export interface VaeShape {
  inputDim: number;
  hidden: number;
  latentDim: number;
  likelihood: BenchLikelihood;
}

/** How the hand-written loop differentiates its dense layers. */
export type GradientMode = 'transpose-free' | 'default';

type DenseFn = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Whether the backend's matMul is marked as reading transposed operands at full speed (the native kernels are). */
function transposeFlagsAreFast(): boolean {
  const kernel = tf.getKernel('BatchMatMul', tf.getBackend()) as
    | (tf.KernelConfig & Record<string, unknown>)
    | undefined;
  return kernel?.[FAST_TRANSPOSED_MATMUL] === true;
}

function transposeFreeDense(relu: boolean): DenseFn {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' });
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const delta = (relu ? tf.mul(dy as tf.Tensor, tf.step(ys, 0)) : dy) as tf.Tensor2D;
        // explicit transposes for tfjs-wasm's own matMul; transpose flags where they cost nothing
        if (transposeFlagsAreFast())
          return [tf.matMul(delta, ws, false, true), tf.matMul(xs, delta, true, false), tf.sum(delta, 0)];
        return [tf.matMul(delta, tf.transpose(ws)), tf.matMul(tf.transpose(xs), delta), tf.sum(delta, 0)];
      },
    };
  }) as unknown as DenseFn;
}

function defaultDense(relu: boolean): DenseFn {
  return (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
}

interface Layer {
  w: tf.Variable;
  b: tf.Variable;
}

function layer(fanIn: number, fanOut: number, seed: number): Layer {
  // PyTorch nn.Linear's default: U(−1/√fanIn, 1/√fanIn) for kernel and bias.
  const bound = 1 / Math.sqrt(fanIn);
  return {
    w: tf.variable(tf.randomUniform([fanIn, fanOut], -bound, bound, 'float32', seed)),
    b: tf.variable(tf.randomUniform([fanOut], -bound, bound, 'float32', seed + 1)),
  };
}

/**
 * −ELBO averaged over the batch from the decoder output o and the posterior (μ, log σ²), the same math in every
 * baseline: mean_n [KL(N(μ, σ²) ‖ N(0, I)) − log p(xₙ | o)] with the Bernoulli (x·ℓ − softplus ℓ), Poisson
 * (x·log λ − λ − log Γ(x + 1), `logNormalizer` = Σⱼ log Γ(xⱼ + 1) per example) or Gaussian (σ = softplus(u) + 1e-4)
 * log-likelihood.
 */
export function vaeNegativeElbo(
  likelihood: BenchLikelihood,
  x: tf.Tensor,
  o: tf.Tensor,
  mu: tf.Tensor,
  logVar: tf.Tensor,
  rawScale?: tf.Tensor,
  logNormalizer?: tf.Tensor1D,
): tf.Scalar {
  let logLik: tf.Tensor;
  switch (likelihood) {
    case 'bernoulli':
      logLik = tf.sum(tf.sub(tf.mul(x, o), tf.softplus(o)), 1);
      break;
    case 'poisson':
      logLik = tf.sub(tf.sum(tf.sub(tf.mul(x, o), tf.exp(o)), 1), logNormalizer!);
      break;
    case 'gaussian': {
      const scale = tf.add(tf.softplus(rawScale!), 1e-4);
      const sq = tf.div(tf.square(tf.sub(x, o)), tf.mul(2, tf.square(scale)));
      logLik = tf.neg(tf.sum(tf.add(sq, tf.add(tf.log(scale), 0.5 * Math.log(2 * Math.PI))), 1));
      break;
    }
  }
  const kl = tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.exp(logVar), tf.square(mu)), tf.add(logVar, 1)), 1));
  return tf.mean(tf.sub(kl, logLik)) as tf.Scalar;
}

/** The plain-tfjs VAE. */
export class HandWrittenVae {
  readonly shape: VaeShape;
  private readonly enc: Layer;
  private readonly mu: Layer;
  private readonly logVar: Layer;
  private readonly dec: Layer;
  private readonly out: Layer;
  /** Gaussian likelihood: unconstrained observation scale, σ = softplus(u) + 1e-4 (varia's learned-scalar). */
  private readonly rawScale?: tf.Variable;
  private readonly reluDense: DenseFn;
  private readonly linearDense: DenseFn;

  constructor(shape: VaeShape, gradients: GradientMode, seed = 0) {
    this.shape = shape;
    const { inputDim: D, hidden: H, latentDim: d } = shape;
    this.enc = layer(D, H, seed);
    this.mu = layer(H, d, seed + 2);
    this.logVar = layer(H, d, seed + 4);
    this.dec = layer(d, H, seed + 6);
    this.out = layer(H, D, seed + 8);
    if (shape.likelihood === 'gaussian') this.rawScale = tf.variable(tf.scalar(Math.log(Math.expm1(1 - 1e-4))));
    this.reluDense = gradients === 'transpose-free' ? transposeFreeDense(true) : defaultDense(true);
    this.linearDense = gradients === 'transpose-free' ? transposeFreeDense(false) : defaultDense(false);
  }

  variables(): tf.Variable[] {
    const layers = [this.enc, this.mu, this.logVar, this.dec, this.out].flatMap((l) => [l.w, l.b]);
    return this.rawScale ? [...layers, this.rawScale] : layers;
  }

  private encodeHidden(x: tf.Tensor2D): tf.Tensor2D {
    const input = this.shape.likelihood === 'poisson' ? tf.log1p(x) : x;
    return this.reluDense(input, this.enc.w as tf.Tensor2D, this.enc.b as tf.Tensor1D);
  }

  /** Posterior mean μ(x). */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.linearDense(this.encodeHidden(x), this.mu.w as tf.Tensor2D, this.mu.b as tf.Tensor1D));
  }

  /**
   * −ELBO averaged over the batch: mean_n [KL(q(z|xₙ) ‖ N(0, I)) − log p(xₙ|zₙ)], one reparameterized sample.
   * `logNormalizer` [n] holds Σⱼ log Γ(xⱼ + 1) per example for the Poisson likelihood (constant in the parameters).
   */
  loss(x: tf.Tensor2D, seed: number, logNormalizer?: tf.Tensor1D): tf.Scalar {
    const h = this.encodeHidden(x);
    const mu = this.linearDense(h, this.mu.w as tf.Tensor2D, this.mu.b as tf.Tensor1D);
    const logVar = this.linearDense(h, this.logVar.w as tf.Tensor2D, this.logVar.b as tf.Tensor1D);
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', seed);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
    const hd = this.reluDense(z, this.dec.w as tf.Tensor2D, this.dec.b as tf.Tensor1D);
    const o = this.linearDense(hd, this.out.w as tf.Tensor2D, this.out.b as tf.Tensor1D);
    return vaeNegativeElbo(this.shape.likelihood, x, o, mu, logVar, this.rawScale, logNormalizer);
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}

/** Σⱼ log Γ(xⱼ + 1) = Σⱼ log xⱼ! per row (the Poisson normalizer) for integer counts, computed once on the host. */
export function poissonLogNormalizer(m: Matrix): Float32Array {
  const logFactorial = [0];
  const lf = (k: number): number => {
    for (let i = logFactorial.length; i <= k; i++) logFactorial.push(logFactorial[i - 1]! + Math.log(i));
    return logFactorial[k]!;
  };
  const out = new Float32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += lf(Math.round(m.data[r * m.cols + c]!));
    out[r] = s;
  }
  return out;
}

/** Options of {@link trainHandWritten}. */
export interface HandWrittenFitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

/** Trains with Adam; returns the mean loss of the last epoch (read once per epoch). */
export async function trainHandWritten(
  model: HandWrittenVae,
  data: Matrix,
  options: HandWrittenFitOptions,
): Promise<number> {
  const { epochs, batchSize, learningRate } = options;
  const n = data.rows;
  const D = data.cols;
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  const varList = model.variables();
  const normalizer = model.shape.likelihood === 'poisson' ? poissonLogNormalizer(data) : undefined;
  const rng = mulberry32(options.seed);
  const shuffled = new Float32Array(n * D);
  const shuffledNorm = new Float32Array(n);
  let lastLoss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = permutation(n, rng);
      for (let i = 0; i < n; i++) {
        shuffled.set(data.data.subarray(order[i]! * D, (order[i]! + 1) * D), i * D);
        if (normalizer) shuffledNorm[i] = normalizer[order[i]!]!;
      }
      const losses: tf.Tensor[] = [];
      try {
        for (let start = 0; start < n; start += batchSize) {
          const size = Math.min(batchSize, n - start);
          const stepSeed = Math.floor(rng() * 2 ** 31);
          // Upload each batch from the host-shuffled copy: tfjs-wasm's Slice kernel copies its whole input
          // (readSync), so slicing one big on-device tensor costs O(data) per step; this costs O(batch).
          const xb = tf.tensor2d(shuffled.subarray(start * D, (start + size) * D), [size, D], 'float32');
          const nb = normalizer ? tf.tensor1d(shuffledNorm.subarray(start, start + size), 'float32') : undefined;
          const cost = optimizer.minimize(() => model.loss(xb, stepSeed, nb), true, varList)!;
          tf.dispose([xb, ...(nb ? [nb] : [])]);
          losses.push(tf.mul(cost, size));
          cost.dispose();
        }
        const total = tf.addN(losses);
        lastLoss = (await total.data())[0]! / n;
        total.dispose();
      } finally {
        tf.dispose(losses);
      }
    }
  } finally {
    optimizer.dispose();
  }
  return lastLoss;
}
