/**
 * The form: its fields, the settings each dataset suggests, which posterior and conditioning choices a dataset
 * allows (with the help text of the chosen posterior), and the validated run config it gives.
 */
import { $ } from './dom.js';
import { posteriorUnavailable } from './posteriors.js';
import {
  type RunConfig,
  WEB_BACKENDS,
  WEB_DATASETS,
  WEB_LIKELIHOODS,
  WEB_POSTERIORS,
  type WebBackend,
  type WebDataset,
  type WebLikelihood,
  type WebPosterior,
} from './protocol.js';

export const form = $<HTMLFormElement>('controls');
export const datasetSelect = $<HTMLSelectElement>('dataset');
export const likelihoodSelect = $<HTMLSelectElement>('likelihood');
export const backendSelect = $<HTMLSelectElement>('backend-pref');
const posteriorSelect = $<HTMLSelectElement>('posterior');
const conditionInput = $<HTMLInputElement>('condition');
const latentInput = $<HTMLInputElement>('latent');
const hiddenInput = $<HTMLInputElement>('hidden');
const lrInput = $<HTMLInputElement>('lr');
const epochsInput = $<HTMLInputElement>('epochs');
const batchInput = $<HTMLInputElement>('batch');
const validationInput = $<HTMLInputElement>('validation');
const seedInput = $<HTMLInputElement>('seed');
/** The digit picker of a conditional model's samples. */
export const digitSelect = $<HTMLSelectElement>('digit');

/** What each posterior choice is, shown under the form while it is selected. */
const POSTERIOR_HELP: Record<WebPosterior, string> = {
  gaussian: 'Gaussian: q(z|x) = N(μ(x), diag σ²(x)), the classic VAE posterior.',
  iaf: 'IAF flow: the Gaussian draw pushed through 2 inverse autoregressive steps (MADE networks, conditioned on the encoder): a posterior that can be skewed and correlated, so a lower (better) −ELBO at the same networks; compare the "−ELBO (final)" column with a Gaussian run.',
  realnvp:
    'RealNVP flow: the Gaussian draw pushed through 2 affine coupling steps (needs latent size ≥ 2): like IAF, more flexible than the Gaussian; compare the "−ELBO (final)" column with a Gaussian run.',
  poisson:
    'Poisson latent (count data): z is a vector of counts, q(z|x) = Πⱼ Poisson(λⱼ(x)) with a Poisson(1) prior and their exact KL. A count has no reparameterized sample, so the encoder learns from score-function (REINFORCE) gradients with a moving-average baseline: noisier than the Gaussian, so it trains more slowly and ends at a higher −ELBO in the same epochs (about as fast per epoch).',
};
const CONDITION_HELP =
  'Condition on digit (MNIST): a CVAE — the digit label is a categorical covariate of the encoder and the decoder, so the latent space keeps the style and the digit picker under the samples writes any digit.';

for (const [value, text] of Object.entries(WEB_DATASETS)) datasetSelect.add(new Option(text, value));
for (const l of WEB_LIKELIHOODS) likelihoodSelect.add(new Option(l, l));
for (const [value, text] of Object.entries(WEB_POSTERIORS)) posteriorSelect.add(new Option(text, value));
for (const b of WEB_BACKENDS) backendSelect.add(new Option(b === 'auto' ? 'auto (webgpu → webgl → wasm → cpu)' : b, b));
for (let digit = 0; digit < 10; digit++) digitSelect.add(new Option(String(digit), String(digit)));

/** Sensible settings per dataset, applied when the dataset changes (the user can still edit them). */
const DEFAULTS: Record<
  WebDataset,
  { likelihood: WebLikelihood; hidden: string; latent: number; lr: number; epochs: number; batch: number }
> = {
  toy2d: { likelihood: 'gaussian', hidden: '16', latent: 2, lr: 0.02, epochs: 12, batch: 64 },
  'toy2d-separated': { likelihood: 'gaussian', hidden: '16', latent: 2, lr: 0.02, epochs: 12, batch: 64 },
  counts: { likelihood: 'poisson', hidden: '32', latent: 2, lr: 0.01, epochs: 20, batch: 64 },
  mnist: { likelihood: 'bernoulli', hidden: '256', latent: 2, lr: 0.001, epochs: 5, batch: 100 },
};

/** Enables the choices the dataset allows (a disabled one says why) and shows the help of the chosen ones. */
function updateChoices(): void {
  const dataset = datasetSelect.value as WebDataset;
  for (const option of posteriorSelect.options) {
    const why = posteriorUnavailable(option.value as WebPosterior, dataset);
    option.disabled = why !== undefined;
    option.title = why ?? '';
  }
  if (posteriorSelect.selectedOptions[0]?.disabled) posteriorSelect.value = 'gaussian';
  conditionInput.disabled = dataset !== 'mnist';
  if (conditionInput.disabled) conditionInput.checked = false;
  const help = [POSTERIOR_HELP[posteriorSelect.value as WebPosterior]];
  if (dataset === 'mnist') help.push(CONDITION_HELP);
  $('choice-help').textContent = help.join(' ');
}

function applyDefaults(dataset: WebDataset): void {
  const d = DEFAULTS[dataset];
  likelihoodSelect.value = d.likelihood;
  hiddenInput.value = d.hidden;
  latentInput.value = String(d.latent);
  lrInput.value = String(d.lr);
  epochsInput.value = String(d.epochs);
  batchInput.value = String(d.batch);
  updateChoices();
}
datasetSelect.addEventListener('change', () => applyDefaults(datasetSelect.value as WebDataset));
posteriorSelect.addEventListener('change', updateChoices);
// the separated blobs have structure for the latent space to find (plain toy2d is N(0, I) in every group)
datasetSelect.value = 'toy2d-separated';
applyDefaults('toy2d-separated');

/**
 * The run config the form describes.
 * @throws Error naming the field, for a value the page cannot train with.
 */
export function readConfig(): RunConfig {
  const hiddenUnits = hiddenInput.value.split(',').map((s) => Number(s.trim()));
  if (hiddenUnits.some((h) => !Number.isInteger(h) || h < 1))
    throw new Error(`hidden units must be positive integers separated by commas, got "${hiddenInput.value}"`);
  const positiveInt = (name: string, input: HTMLInputElement): number => {
    const v = Number(input.value);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got "${input.value}"`);
    return v;
  };
  const learningRate = Number(lrInput.value);
  if (!(learningRate > 0)) throw new Error(`learning rate must be > 0, got "${lrInput.value}"`);
  const validationSplit = Number(validationInput.value);
  if (!(validationSplit >= 0 && validationSplit < 1))
    throw new Error(`validation must be in [0, 1), got "${validationInput.value}"`);
  const seed = Number(seedInput.value);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be an integer >= 0, got "${seedInput.value}"`);
  return {
    dataset: datasetSelect.value as WebDataset,
    likelihood: likelihoodSelect.value as WebLikelihood,
    latentDim: positiveInt('latent size', latentInput),
    hiddenUnits,
    learningRate,
    epochs: positiveInt('epochs', epochsInput),
    batchSize: positiveInt('batch size', batchInput),
    validationSplit,
    seed,
    backend: backendSelect.value as WebBackend,
    posterior: posteriorSelect.value as WebPosterior,
    conditionOnDigit: conditionInput.checked,
  };
}

/** The short name of a run config's posterior in the loss chart: "Gaussian", "IAF flow", … */
export function posteriorShortName(posterior: WebPosterior): string {
  return { gaussian: 'Gaussian', iaf: 'IAF flow', realnvp: 'RealNVP flow', poisson: 'Poisson latent' }[posterior];
}
