// @varia/distributions on its own: log-densities, sampling shapes, Independent, and KL (analytic vs Monte Carlo).
// Run: pnpm --filter @varia/examples build && node examples/dist/distributions.js
import * as tf from '@tensorflow/tfjs'; // the union package: a backend and the gradient registrations
import { Independent, klDivergence, NegativeBinomial, Normal, Poisson } from '@varia/distributions';
import { check, report } from './report.js';

await tf.ready();

// 1. A batch of 3 univariate normals: batchShape [3], eventShape [].
const normal = new Normal({ loc: [0, 1, 2], scale: [1, 1, 2] });
const lp = normal.logProb(1); // log N(1; μ, σ) for each of the 3: shape [3]
const lpValues = Array.from(await lp.data());
// Closed form: log N(x; μ, σ) = −(x−μ)²/(2σ²) − log σ − ½ log 2π
const expected = [0, 1, 2].map((mu, i) => {
  const sigma = [1, 1, 2][i]!;
  return -((1 - mu) ** 2) / (2 * sigma ** 2) - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
});
expected.forEach((e, i) =>
  check(Math.abs(e - lpValues[i]!) < 1e-5, `Normal.logProb[${i}] = ${lpValues[i]}, expected ${e}`),
);
console.log('Normal.logProb(1)      ', lpValues.map((v) => v.toFixed(4)).join(', '));

// 2. The shape rule: sample → [...sampleShape, ...batchShape, ...eventShape]; logProb → [...sampleShape, ...batchShape].
const draws = normal.sample([5], { seed: 1 });
console.log('sample([5]) shape      ', draws.shape, '  logProb shape', normal.logProb(draws).shape);
check(draws.shape.join() === '5,3', 'sample shape');

// 3. Independent moves the batch dim into the event: one 3-dimensional diagonal Gaussian.
const diag = new Independent(normal, 1); // batchShape [], eventShape [3]
const joint = diag.logProb(draws); // [5]: the sum of the 3 log-densities
console.log('Independent shapes     ', `batch [${diag.batchShape}] event [${diag.eventShape}] logProb`, joint.shape);
check(joint.shape.join() === '5', 'Independent logProb shape');

// 4. KL(q ‖ p) between diagonal Gaussians: analytic, and its Monte-Carlo estimate.
const q = new Independent(new Normal({ loc: tf.tensor1d([0.5, -0.5]), scale: tf.tensor1d([0.8, 1.2]) }), 1);
const p = new Independent(new Normal({ loc: tf.zeros([2]), scale: tf.ones([2]) }), 1);
const analytic = (await klDivergence(q, p).data())[0]!;
// Monte Carlo: E_q[log q(z) − log p(z)] with 20,000 reparameterized samples.
const z = q.rsample([20000], { seed: 2 });
const mc = (await tf.mean(tf.sub(q.logProb(z), p.logProb(z))).data())[0]!;
console.log('KL(q‖p) analytic / MC  ', analytic.toFixed(4), '/', mc.toFixed(4));
check(Math.abs(analytic - mc) < 0.02, `KL analytic ${analytic} vs Monte Carlo ${mc}`);

// 5. Counts: Poisson in log space, and an overdispersed negative binomial with the same mean.
const poisson = new Poisson({ logRate: Math.log(4) });
const nb = NegativeBinomial.fromMeanDispersion({ mean: 4, dispersion: 2 });
const k = tf.tensor1d([0, 4, 12]);
const lpPoisson = Array.from(await poisson.logProb(k).data());
const lpNb = Array.from(await nb.logProb(k).data());
console.log('Poisson(4) logProb     ', lpPoisson.map((v) => v.toFixed(3)).join(', '));
console.log('NB(mean 4, r 2) logProb', lpNb.map((v) => v.toFixed(3)).join(', '));
// log p(k) = k log λ − λ − log k!  at k = 4, λ = 4
const poisson4 = 4 * Math.log(4) - 4 - Math.log(24);
check(Math.abs(lpPoisson[1]! - poisson4) < 1e-4, 'Poisson logProb');
check(lpNb[2]! > lpPoisson[2]!, 'the negative binomial has the heavier tail');

const nbVariance = (await nb.variance().data())[0]!;
console.log('NB variance (μ + μ²/r) ', nbVariance.toFixed(3));
report({ normalLogProb0: lpValues[0]!, klAnalytic: analytic, klMonteCarlo: mc, nbVariance });
