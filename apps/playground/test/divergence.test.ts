/**
 * The CLI on a diverging run (issue 13): a non-zero exit with the DivergenceError message, and no model saved.
 * Needs `dist/` (turbo's `test` depends on the build).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PACKAGE_ROOT, runCli } from './helpers.js';

let work: string;
beforeAll(async () => {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'cli.js')))
    throw new Error('dist/cli.js is missing: run `pnpm --filter @varia/playground build` first');
  work = await mkdtemp(join(tmpdir(), 'varia-cli-divergence-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('train --lr 1e6 --batch-size 5000 --epochs 1 exits 1 with the DivergenceError message and saves nothing', async () => {
  const out = join(work, 'model');
  const r = await runCli([
    'train',
    '--dataset',
    'toy2d',
    '--lr',
    '1e6',
    '--batch-size',
    '5000',
    '--epochs',
    '1',
    '--backend',
    'cpu',
    '--out',
    out,
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    /error: training diverged: .*epoch 1, step 0; the weights were restored to their initial values/,
  );
  expect(r.stdout).not.toMatch(/final loss|model saved/);
  expect(existsSync(out) ? await readdir(out) : []).toEqual([]);
});
