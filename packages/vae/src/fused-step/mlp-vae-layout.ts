import { isBuiltinMlp } from './builtin-methods.js';
import type * as tf from '@tensorflow/tfjs-core';
import { type Activation, BernoulliHead, type MLP, NormalHead, PoissonHead } from '@varia/layers';
import { type DenseParams, FUSED_STEP_ACTIVATIONS } from './dense-chain.js';
import type { FusedLikelihood } from './likelihood-terms.js';

/** The layers of a built-in MLP VAE that a fused step replays. */
export interface MlpVaeLayout {
  encoder: readonly DenseParams[];
  loc: DenseParams;
  scale: DenseParams;
  decoder: readonly DenseParams[];
  out: DenseParams;
  likelihood: FusedLikelihood;
  /** The encoder reads log(1 + x). */
  log1p: boolean;
  inputDim: number;
  latentDim: number;
}

/** The parts of a VAE a layout is read from (the `VAE` class has them). */
export interface MlpVaeSource {
  readonly config: object;
  readonly encoder?: unknown;
  readonly decoder?: unknown;
  readonly likelihoodHead?: unknown;
  namedVariables(): Map<string, tf.Variable>;
}

/** The resolved config fields eligibility reads. */
interface EligibleConfig {
  inputDim: number;
  latentDim: number;
  likelihood: string;
  librarySize: boolean;
  inputTransform: string;
  covariates: unknown[];
  posterior: unknown;
  prior: unknown;
  encoderScaleTransform: string;
  deterministic: boolean;
}

/** Whether `value` is an instance of `cls` itself, not of a subclass. */
function exactly<T>(value: unknown, cls: abstract new (...args: never[]) => T): value is T {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === cls.prototype;
}

/** The likelihood of a config and head that a fused step replays, or undefined. */
function fusedLikelihood(
  name: string | undefined,
  head: unknown,
  variables: Map<string, tf.Variable>,
): FusedLikelihood | undefined {
  // a head whose parameters come from its own dense layer (not read directly from the decoder's output)
  if ((head as { parameters?: unknown } | undefined)?.parameters !== undefined) {
    if ((head as { parameters: unknown }).parameters !== 'dense') return undefined;
  }
  // the built-in head classes themselves: a subclass (a user's override of a built-in likelihood) may compute
  // something else from the same layer
  if (name === 'bernoulli' && exactly(head, BernoulliHead)) return { kind: name };
  if (name === 'poisson' && exactly(head, PoissonHead) && !head.librarySize) return { kind: name };
  if (name !== 'gaussian' || !exactly(head, NormalHead)) return undefined;
  const rawScaleName = 'likelihood/raw_scale';
  const rawScale = variables.get(rawScaleName);
  const learned = head.scaleMode === 'learned-scalar' || head.scaleMode === 'learned-per-feature';
  if (!learned || head.scaleTransform !== 'softplus' || !rawScale || rawScale !== head.rawScale) return undefined;
  return { kind: 'gaussian', rawScale, rawScaleName, minScale: head.minScale };
}

/**
 * The layout of a VAE whose training step a fused step replays, or undefined: the built-in MLP encoder and decoder
 * (at least one encoder layer; activations linear, relu or sigmoid), the Gaussian posterior with σ = exp(s/2) and the
 * standard-normal prior, a Bernoulli, Poisson or Gaussian likelihood (the latter with a learned scalar or per-feature
 * σ = softplus(u) + minScale), input transform none or log1p, no covariates, no library size, and no variables
 * besides these.
 */
export function mlpVaeLayout(vae: MlpVaeSource): MlpVaeLayout | undefined {
  const c = vae.config as Partial<EligibleConfig>;
  if (c.posterior !== 'gaussian' || c.prior !== 'standard-normal' || c.encoderScaleTransform !== 'exp')
    return undefined;
  if (c.deterministic || c.librarySize || (c.covariates?.length ?? 0) > 0) return undefined;
  if (c.inputTransform !== 'none' && c.inputTransform !== 'log1p') return undefined;
  const { encoder, decoder } = vae;
  // exactly the built-in networks: a subclass or an instance with its own apply computes something else
  if (!isBuiltinMlp(encoder) || !isBuiltinMlp(decoder) || encoder.layers.length === 0) return undefined;
  const variables = vae.namedVariables();
  const likelihood = fusedLikelihood(c.likelihood, vae.likelihoodHead, variables);
  if (!likelihood) return undefined;
  const dense = (prefix: string, activation: Activation): DenseParams | undefined => {
    const kernel = variables.get(`${prefix}/kernel`);
    const bias = variables.get(`${prefix}/bias`);
    if (!kernel || !bias) return undefined;
    return { kernel, bias, activation, kernelName: `${prefix}/kernel`, biasName: `${prefix}/bias` };
  };
  const layers = (net: MLP, prefix: string): DenseParams[] | undefined => {
    const out = net.layers.map((l, i) => {
      const p = dense(`${prefix}/${i}`, l.activation);
      return p && p.kernel === l.kernel && p.bias === l.bias ? p : undefined;
    });
    return out.every((p) => p !== undefined) ? out : undefined;
  };
  const enc = layers(encoder, 'encoder');
  const dec = layers(decoder, 'decoder');
  const loc = dense('encoder_head/loc', 'linear');
  const scale = dense('encoder_head/scale', 'linear');
  const out = dense(likelihood.kind === 'gaussian' ? 'likelihood/loc' : 'likelihood', 'linear');
  if (!enc || !dec || !loc || !scale || !out) return undefined;
  // the head's layer is the one the plan replays
  const head = vae.likelihoodHead as { layer?: { kernel?: unknown }; locLayer?: { kernel?: unknown } };
  if ((likelihood.kind === 'gaussian' ? head.locLayer : head.layer)?.kernel !== out.kernel) return undefined;
  const all = [...enc, loc, scale, ...dec, out];
  const expected = 2 * all.length + (likelihood.kind === 'gaussian' ? 1 : 0);
  if (!all.every((p) => FUSED_STEP_ACTIVATIONS.has(p.activation)) || variables.size !== expected) return undefined;
  return {
    encoder: enc,
    loc,
    scale,
    decoder: dec,
    out,
    likelihood,
    log1p: c.inputTransform === 'log1p',
    inputDim: c.inputDim!,
    latentDim: c.latentDim!,
  };
}
