// Runs every example in its own Node process, in order; exits non-zero if one fails.
// Run: pnpm --filter @varia/examples build && node examples/dist/run-all.js
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const EXAMPLES = [
  'distributions',
  'gaussian-vae',
  'poisson-vae',
  'custom-likelihood',
  'poisson-latent',
  'gaussian-mixture-vae',
  'semi-supervised-m2',
  'cvae-mnist',
  'batch-correction',
  'flow-posterior',
  'topic-model',
  'hierarchical-vae',
  'conv-vae',
] as const;

let failed = 0;
for (const name of EXAMPLES) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const started = Date.now();
  console.log(`\n=== ${name}`);
  const run = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  console.log(
    `=== ${name}: ${run.status === 0 ? 'ok' : `FAILED (exit ${run.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (run.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
