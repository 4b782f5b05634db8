import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_KERNEL, JOIN_DEFERRED_KERNEL } from '@varia/core';
import type { Batch, FusedGradients, StepContext } from '../trainer/trainable-model.js';
import { chainBackward, chainForward, denseBackwardInto, denseForward, type GradientSink } from './dense-chain.js';
import type { KernelRunner } from './kernel-runner.js';
import { likelihoodPart } from './likelihood-terms.js';
import { normalBackward, normalKlRows, normalSample } from './normal-latent.js';
import { seededStandardNormalInfo } from './seeded-normal.js';
import { keptTerms, stepTerms } from './step-terms.js';
import { stepGradients, wholeMlpVaeStep } from './whole-step.js';
import type { MlpVaeLayout } from './mlp-vae-layout.js';

/** Every kernel a fused step may call (it runs only where the backend has them all). */
export const FUSED_STEP_KERNELS: readonly string[] = [
  tf._FusedMatMul,
  DENSE_BACKWARD_KERNEL,
  'Log1p',
  'Exp',
  'Log',
  'Softplus',
  'Sigmoid',
  'Square',
  'Neg',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Sum',
  'Mean',
];

/** What every plan's tensors must still be: alive (a disposed model takes the generic path, which throws). */
function alive(layout: MlpVaeLayout): boolean {
  const all = [...layout.encoder, layout.loc, layout.scale, ...layout.decoder, layout.out];
  const l = layout.likelihood;
  return (
    all.every((p) => !p.kernel.isDisposed && !p.bias.isDisposed) && (l.kind !== 'gaussian' || !l.rawScale.isDisposed)
  );
}

/** Whether a step can be replayed: one sample, no free bits, a training step, a batch of x alone of the right width. */
function stepFits(layout: MlpVaeLayout, batch: Batch, ctx: StepContext): boolean {
  const x = batch.x;
  return (
    ctx.training &&
    ctx.samples === 1 &&
    ctx.freeBits === 0 &&
    Object.keys(batch).length === 1 &&
    x !== undefined &&
    x.dtype === 'float32' &&
    x.rank === 2 &&
    x.shape[1] === layout.inputDim &&
    x.shape[0]! > 0
  );
}

/**
 * One training step of the built-in MLP VAE (Gaussian posterior σ = exp(s/2), standard-normal prior, analytic KL,
 * one reparameterized sample) without the tape: the kernels the generic path runs, in its order, on the same inputs,
 * so the loss and every gradient are the same bits. Kernels that only copy or relabel data (Identity, Reshape, Cast
 * to the same type) are skipped, and constants the generic path computes from scalars by exact float32 arithmetic
 * (β/n, −1/n, their halves and negations) are written directly. Returns undefined for a step it does not cover.
 * With `sparseInput` the encoder's first layer runs from the non-zeros of its input (the kernels the taped path's
 * `denseOfSparseInput` runs: the same bits as that path with the option), and the terms say so. With `lossOnly` it
 * stops after the forward pass: the terms hold the loss alone and there are no gradients.
 */
export function fusedMlpVaeStep(
  layout: MlpVaeLayout,
  batch: Batch,
  ctx: StepContext,
  runner: KernelRunner,
  sparseInput = false,
  lossOnly = false,
): FusedGradients | undefined {
  if (!stepFits(layout, batch, ctx) || !alive(layout)) return undefined;
  const x = batch.x!;
  const n = x.shape[0]!;
  const L = layout.latentDim;
  const r = runner;
  const extra: tf.Tensor[] = [];
  // the output layer's W update may run on in helper threads beside the small layers' backward passes (the kernel
  // defers it only on more than one thread where dW goes in row blocks); joined before the runner frees anything
  const defer = r.has(JOIN_DEFERRED_KERNEL);
  let deferred = false;
  let failed = false;
  try {
    // the whole step in one kernel where the backend has it (the same kernels, in this order)
    const whole = sparseInput || lossOnly ? undefined : wholeMlpVaeStep(layout, x, ctx, r);
    if (whole) return whole;
    // ε ~ N(0, 1): the values Normal.rsample's tf.randomNormal draws with the step's seed, as a runner tensor
    const eps = seededStandardNormalInfo(r, [n, L], ctx.seed);
    // forward: encoder, q(z|x), z = μ + σ·ε, decoder, log p(x|z), KL
    const xin = layout.log1p ? r.run('Log1p', { x }) : x;
    const hs = chainForward(r, xin, layout.encoder, sparseInput);
    const h = hs[hs.length - 1]!;
    const loc = denseForward(r, h, layout.loc);
    const s = denseForward(r, h, layout.scale);
    const { scale, z } = normalSample(r, loc, s, eps);
    const ds = chainForward(r, z, layout.decoder);
    const out = denseForward(r, ds[ds.length - 1]!, layout.out);
    // ∂loss/∂log p(x_n|z) = g (stepGradients), known before the likelihood's forward pass
    const { g, half } = stepGradients(n, ctx.beta);
    const lik = likelihoodPart(r, layout.likelihood, x, out, g);
    if (!lik) return undefined;
    extra.push(...lik.extra);
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − log σ²) (klStandardNormal's kernels), row sums; then the means
    const { variance, klRows } = normalKlRows(r, loc, scale);
    const { loss, reconstruction, kl } = stepTerms(r, lik.rowSums, klRows, ctx.beta);
    if (lossOnly) return { terms: { loss: r.keep<tf.Scalar>(loss) }, grads: new Map() };

    // backward (∂loss/∂KL_nj·½ = half, from stepGradients; the likelihood's from above)
    // each layer's gradients go to the trainer, or (ctx.inStepAdam) into Adam as soon as they are known: a layer's
    // weights are read again only by its own backward pass, so the update cannot change what follows
    const sink: GradientSink = { grads: new Map(), updated: new Set(), adam: ctx.inStepAdam };
    const grads = sink.grads;
    const { dOut, grads: likelihoodGrads } = lik.backward();
    for (const [name, g] of likelihoodGrads) grads.set(name, g);
    const dHidden = denseBackwardInto(r, dOut, out, ds[ds.length - 1]!, layout.out, true, sink, undefined, defer)!;
    deferred = defer && sink.updated.has(layout.out.kernelName);
    const dz = chainBackward(r, dHidden, ds, layout.decoder, true, sink)!;
    const { dLoc, dS } = normalBackward(r, { loc, scale, variance, eps, dz }, half);
    // dh = dx of the scale head + dx of the loc head: the second head's kernel adds the first's (an Add's bits)
    const fromScale = denseBackwardInto(r, dS, s, h, layout.scale, true, sink)!;
    const dh = denseBackwardInto(r, dLoc, loc, h, layout.loc, true, sink, fromScale)!;
    chainBackward(r, dh, hs, layout.encoder, false, sink, sparseInput);

    // joined before anything is handed out (a failure of the deferred job then leaves no kept tensor behind)
    if (deferred) {
      deferred = false;
      r.runAll(JOIN_DEFERRED_KERNEL, {});
    }
    const kept = new Map<string, tf.Tensor>();
    for (const [name, info] of grads) kept.set(name, r.keep(info));
    return {
      terms: {
        ...keptTerms(r, { loss, reconstruction, kl }),
        ...(sparseInput ? { sparseInput } : {}),
      },
      grads: kept,
      ...(sink.updated.size > 0 ? { updated: sink.updated } : {}),
    };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    finishStep(r, extra, deferred, failed);
  }
}

/**
 * Joins a deferred update still running (`join`), then frees the runner's outputs and `extra`. A failed join is
 * thrown unless the step is already failing (`failing`): its own error is the one to report (the join still waited
 * for the helpers).
 */
function finishStep(r: KernelRunner, extra: tf.Tensor[], join: boolean, failing: boolean): void {
  try {
    if (join) r.runAll(JOIN_DEFERRED_KERNEL, {});
  } catch (joinError) {
    if (!failing) throw joinError;
  } finally {
    r.dispose();
    tf.dispose(extra);
  }
}
