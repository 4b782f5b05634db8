import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, positive, real } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { cpuRng } from './sampling.js';
import { expm1, gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link VonMises}. */
export interface VonMisesParams {
  /** Mean direction μ (radians). */
  loc: TensorLike;
  /** Concentration κ > 0. */
  concentration: TensorLike;
}

// Abramowitz & Stegun 9.8.1–9.8.4 (torch's coefficients): Iₙ(x) for x < 3.75 and e⁻ˣ√x·Iₙ(x) for x ≥ 3.75.
const COEF_SMALL = [
  [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2],
  [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3],
];
const COEF_LARGE = [
  [
    0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1, -0.1647633e-1,
    0.392377e-2,
  ],
  [
    0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1, 0.1787654e-1,
    -0.420059e-2,
  ],
];

function poly(y: tf.Tensor, coeffs: readonly number[]): tf.Tensor {
  return coeffs
    .slice(0, -1)
    .reduceRight<tf.Tensor>((acc, c) => tf.add(c, tf.mul(y, acc)), tf.fill(y.shape, coeffs[coeffs.length - 1]!));
}

/** Coefficients cₖ of the large-x expansion e⁻ˣIₙ(x) ≈ (2πx)^{−½} Σₖ cₖ x⁻ᵏ, cₖ = (−1)ᵏ Πⱼ₌₁ᵏ (4n² − (2j − 1)²)/(8j). */
function asymptoticCoefficients(order: number, terms: number): number[] {
  const c = [1];
  for (let k = 1; k < terms; k++) c.push((-c[k - 1]! * (4 * order * order - (2 * k - 1) ** 2)) / (8 * k));
  return c;
}
const ASYM = [asymptoticCoefficients(0, 14), asymptoticCoefficients(1, 14)] as const;
/** Beyond this x the expansion (14 terms) is exact to float64; below it A&S 9.8.2/9.8.4. */
const ASYMPTOTIC_FROM = 30;

/** The three regimes of the Bessel evaluation, each with its argument made safe where unused. */
function regimes(x: tf.Tensor): { small: tf.Tensor; asym: tf.Tensor; xs: tf.Tensor; xm: tf.Tensor; xa: tf.Tensor } {
  const small = gradFreeMask([x], (v) => tf.less(v, 3.75));
  const asym = gradFreeMask([x], (v) => tf.greaterEqual(v, ASYMPTOTIC_FROM));
  const mid = gradFreeMask([x], (v) => tf.logicalAnd(tf.greaterEqual(v, 3.75), tf.less(v, ASYMPTOTIC_FROM)));
  return {
    small,
    asym,
    xs: tf.where(small, x, tf.fill(x.shape, 1)),
    xm: tf.where(mid, x, tf.fill(x.shape, 10)),
    xa: tf.where(asym, x, tf.fill(x.shape, 2 * ASYMPTOTIC_FROM)),
  };
}

/**
 * log(e⁻ˣ Iₙ(x)) for x > 0, n ∈ {0, 1}: the exponentially scaled modified Bessel function of the first kind, in log:
 * A&S 9.8.1–9.8.4 (torch's polynomials, relative error ≲ 2e-7) below x = 30, the asymptotic expansion above.
 * Scaling keeps large-κ terms free of float32 cancellation (log I₀(300) ≈ 297 would carry an absolute error of 3e-5).
 * Each branch is fed a safe argument where unused, so no gradient is NaN.
 */
export function logBesselIe(order: 0 | 1, x: tf.Tensor): tf.Tensor {
  const { small, asym, xs, xm, xa } = regimes(x);
  let s = poly(tf.square(tf.div(xs, 3.75)), COEF_SMALL[order]!);
  if (order === 1) s = tf.mul(xs, s);
  const logSmall = tf.sub(tf.log(s), xs);
  const logMid = tf.sub(tf.log(poly(tf.div(3.75, xm), COEF_LARGE[order]!)), tf.mul(0.5, tf.log(xm)));
  const logAsym = tf.sub(tf.log(poly(tf.reciprocal(xa), ASYM[order])), tf.mul(0.5, tf.log(tf.mul(2 * Math.PI, xa))));
  return tf.where(small, logSmall, tf.where(asym, logAsym, logMid));
}

/** 1 − I₁(κ)/I₀(κ) without cancellation: (S₀ − S₁)/S₀ from the expansion's coefficient differences for large κ. */
function oneMinusBesselRatio(k: tf.Tensor): tf.Tensor {
  const { asym, xa } = regimes(k);
  const direct = tf.neg(expm1(tf.sub(logBesselIe(1, k), logBesselIe(0, k))));
  const inv = tf.reciprocal(xa);
  const diff = poly(
    inv,
    ASYM[0].map((c, i) => c - ASYM[1][i]!),
  );
  const expansion = tf.div(diff, poly(inv, ASYM[0]));
  return tf.where(asym, expansion, direct);
}

/** One von Mises draw around 0 (Best & Fisher 1979, torch's rejection sampler) in double precision. */
function sampleVonMises0(rng: () => number, kappa: number): number {
  if (!(kappa > 0 && kappa < Infinity)) return NaN; // unvalidated parameters: no draw, no endless loop
  if (kappa < 1e-6) return Math.PI * (2 * rng() - 1);
  // r − f underflows for huge κ: then X·√κ → N(0, 1), with an error far below float32 resolution
  const normal = (): number =>
    (Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-300))) * Math.cos(2 * Math.PI * rng())) / Math.sqrt(kappa);
  if (kappa > 1e8) return normal();
  const tau = 1 + Math.sqrt(1 + 4 * kappa * kappa);
  const rho = (tau - Math.sqrt(2 * tau)) / (2 * kappa);
  const r = (1 + rho * rho) / (2 * rho);
  for (let tries = 0; tries < 10000; tries++) {
    const z = Math.cos(Math.PI * rng());
    const f = (1 + r * z) / (r + z);
    const c = kappa * (r - f);
    const u2 = rng();
    if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) {
      const theta = Math.acos(Math.min(Math.max(f, -1), 1));
      return rng() < 0.5 ? -theta : theta;
    }
  }
  return normal();
}

/**
 * The von Mises distribution on the circle (angles in radians, any real; periodic with period 2π):
 *
 * log p(x) = κ cos(x − μ) − log(2π I₀(κ)).
 *
 * Samples (wrapped to [−π, π)) by Best–Fisher rejection on the host in double precision (beyond κ = 10⁸, where the
 * rejection step underflows, by the normal limit N(μ, 1/κ), exact at float32 resolution).
 * `variance` is the circular variance 1 − I₁(κ)/I₀(κ) (torch). Not reparameterized.
 */
export class VonMises extends Distribution {
  /** The parameters: `loc` (real) and `concentration` (positive). */
  static readonly parameters = declareParameters({
    loc: { constraint: real },
    concentration: { constraint: positive },
  });
  /** μ, broadcast to the batch shape. */
  readonly loc: tf.Tensor;
  /** κ, broadcast to the batch shape. */
  readonly concentration: tf.Tensor;

  constructor(params: VonMisesParams, options: DistributionOptions = {}) {
    const p = prepareParameters('VonMises', VonMises.parameters, params, resolveValidateArgs('VonMises', options));
    super(p, options);
    this.loc = p.tensors.loc;
    this.concentration = p.tensors.concentration;
  }
  override get support(): Constraint {
    return real;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    // κ cos(x − μ) − log I₀(κ) = κ(cos(x − μ) − 1) − log(e^{−κ} I₀(κ))
    const k = this.concentration;
    return tf.sub(tf.mul(k, tf.sub(tf.cos(tf.sub(x, this.loc)), 1)), tf.add(logBesselIe(0, k), Math.log(2 * Math.PI)));
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const [locB, kB] = tf.tidy(() => [tf.broadcastTo(this.loc, shape), tf.broadcastTo(this.concentration, shape)]);
    const loc = locB!.dataSync();
    const kappa = kB!.dataSync();
    locB!.dispose();
    kB!.dispose();
    const rng = cpuRng(seed);
    const out = new Float32Array(loc.length);
    for (let i = 0; i < loc.length; i++) {
      const x = sampleVonMises0(rng, kappa[i]!) + loc[i]!;
      out[i] = ((((x + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
    }
    return tf.tensor(out, shape, 'float32');
  }
  /** μ (the circular mean). */
  protected override _mean(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** μ. */
  protected override _mode(): tf.Tensor {
    return tf.clone(this.loc);
  }
  /** The circular variance 1 − I₁(κ)/I₀(κ). */
  protected override _variance(): tf.Tensor {
    return oneMinusBesselRatio(this.concentration);
  }
  /** H = log(2π I₀(κ)) − κ I₁(κ)/I₀(κ) = log(2π e^{−κ}I₀(κ)) + κ(1 − I₁(κ)/I₀(κ)). */
  protected override _entropy(): tf.Tensor {
    const k = this.concentration;
    return tf.add(tf.add(logBesselIe(0, k), Math.log(2 * Math.PI)), tf.mul(k, oneMinusBesselRatio(k)));
  }
}
