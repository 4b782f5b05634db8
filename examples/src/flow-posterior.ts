// Flow posteriors from @varia/layers fitted to a banana-shaped 2-D target by maximizing the ELBO (reverse KL):
// a diagonal Gaussian, a full-covariance Gaussian, IAF (MADE) steps and RealNVP coupling steps. The target is
// normalized, so ELBO = −KL(q ‖ p) ≤ 0 and the best any diagonal Gaussian can do has a closed form.
// Run: pnpm --filter @varia/examples build && node examples/dist/flow-posterior.js
// Bench size: VARIA_EXAMPLE_STEPS=3000 VARIA_EXAMPLE_FLOW_STEPS=4 VARIA_EXAMPLE_BATCH=128 node examples/dist/flow-posterior.js
// Measured there (tfjs cpu backend, 2026-12-01, affine IAF update with identity init, load ~12): ELBO diagonal −0.571
// (closed-form best −0.561), full covariance −0.574, 4 IAF steps −0.0105, 4 RealNVP steps −0.017 — the flows remove
// ~98% of the diagonal Gaussian's KL (0.571 nats). Wall 285 s (diagonal 10 s, full 44 s, IAF 97 s, RealNVP 132 s).
import * as tf from '@tensorflow/tfjs'; // the union package: a backend and the gradient registrations
import {
  type DistributionHead,
  FlowPosterior,
  FlowPosteriorHead,
  FullCovarianceNormalHead,
  NormalHead,
} from '@varia/layers';
import { check, report } from './report.js';

await tf.ready();

const STEPS = Number(process.env.VARIA_EXAMPLE_STEPS ?? 300);
const FLOW_STEPS = Number(process.env.VARIA_EXAMPLE_FLOW_STEPS ?? 2);
const BATCH = Number(process.env.VARIA_EXAMPLE_BATCH ?? 32);
const HIDDEN = STEPS >= 1000 ? 64 : 16;

// Banana: z₁ ~ N(0, 1), z₂ | z₁ ~ N(z₁² − 1, ½²).
const S = 0.5;
function logTarget(z: tf.Tensor): tf.Tensor {
  const [z1, z2] = tf.split(z, 2, -1) as [tf.Tensor, tf.Tensor];
  const r = tf.div(tf.sub(z2, tf.sub(tf.square(z1), 1)), S);
  return tf.squeeze(
    tf.sub(tf.mul(-0.5, tf.add(tf.square(z1), tf.square(r))), Math.log(2 * Math.PI) + Math.log(S)),
    [-1],
  );
}

/** E_q[log p(z) − log q(z)] by Monte Carlo; flows return log q with their draws (rsampleAndLogProb). */
function elbo(head: DistributionHead, h: tf.Tensor, n: number, seed?: number): tf.Scalar {
  return tf.tidy(() => {
    const q = head.apply(h);
    let z: tf.Tensor;
    let logQ: tf.Tensor;
    if (q instanceof FlowPosterior) ({ z, logProb: logQ } = q.rsampleAndLogProb([n], { seed }));
    else {
      z = q.rsample([n], { seed });
      logQ = q.logProb(z);
    }
    return tf.mean(tf.sub(logTarget(z), logQ)) as tf.Scalar;
  });
}

function train(head: DistributionHead): { elbo: number; seconds: number } {
  const started = Date.now();
  const h = tf.ones([1, 1]);
  const optimizer = tf.train.adam(0.01);
  const vars = [...head.namedVariables().values()];
  for (let i = 0; i < STEPS; i++)
    optimizer.minimize(() => tf.neg(elbo(head, h, BATCH, 1000 + i)) as tf.Scalar, false, vars);
  const value = tf.tidy(() => elbo(head, h, 20000, 7).dataSync()[0]!);
  optimizer.dispose();
  h.dispose();
  head.dispose();
  return { elbo: value, seconds: (Date.now() - started) / 1000 };
}

// Best diagonal Gaussian: μ₁ = 0, σ₂ = S, μ₂ = σ₁² − 1, u = σ₁² solving 4u²/S² + u − 1 = 0.
const a = 4 / (S * S);
const u = (-1 + Math.sqrt(1 + 4 * a)) / (2 * a);
const bestDiagonal = -u / 2 - (u * u) / (S * S) + 0.5 + 0.5 * Math.log(u);

const flowOptions = {
  inputDim: 1,
  units: 2,
  steps: FLOW_STEPS,
  hiddenUnits: [HIDDEN],
  conditionOnInput: false,
  seed: 1,
};
const results = {
  diagonal: train(new NormalHead({ inputDim: 1, units: 2, seed: 1 })),
  fullCovariance: train(new FullCovarianceNormalHead({ inputDim: 1, units: 2, seed: 1 })),
  iaf: train(new FlowPosteriorHead(flowOptions)),
  realNvp: train(new FlowPosteriorHead({ ...flowOptions, flow: 'affine-coupling' })),
};
console.log(
  `${STEPS} Adam steps, batch ${BATCH}, ${FLOW_STEPS} flow steps, hidden ${HIDDEN}; ELBO = −KL(q ‖ p) (20,000 draws):`,
);
console.log(`  best diagonal Gaussian (closed form) ${bestDiagonal.toFixed(4)}`);
for (const [name, r] of Object.entries(results))
  console.log(`  ${name.padEnd(16)} ${r.elbo.toFixed(4)}   (${r.seconds.toFixed(1)} s)`);
check(results.diagonal.elbo < bestDiagonal + 0.02, 'no diagonal Gaussian beats the closed-form optimum');
check(
  results.iaf.elbo > results.diagonal.elbo && results.realNvp.elbo > results.diagonal.elbo,
  'flows beat the Gaussian',
);
report({
  bestDiagonal,
  diagonal: results.diagonal.elbo,
  fullCovariance: results.fullCovariance.elbo,
  iaf: results.iaf.elbo,
  realNvp: results.realNvp.elbo,
});
