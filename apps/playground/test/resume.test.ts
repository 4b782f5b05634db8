/**
 * A resumed CLI run says that it resumed and from which epoch (text and --json), as a subprocess under plain Node.
 * Needs `dist/` (the package's `build`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'varia-cli-resume-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const small = ['--dataset', 'toy2d-separated', '--likelihood', 'gaussian', '--hidden', '8', '--batch-size', '128'];

describe('train --resume', () => {
  it('says it resumed, after which epoch, and trains only the remaining epochs', async () => {
    const first = join(work, 'first');
    const run1 = await runCli([
      'train',
      ...small,
      '--epochs',
      '2',
      '--checkpoint-every',
      '1',
      '--json',
      '--out',
      first,
    ]);
    expect(run1.code, run1.stderr).toBe(0);
    expect(run1.stdout).not.toContain('"resumed"');

    const checkpoint = join(first, 'checkpoint');
    const run2 = await runCli([
      'train',
      ...small,
      '--epochs',
      '3',
      '--resume',
      checkpoint,
      '--json',
      '--out',
      join(work, 'second'),
    ]);
    expect(run2.code, run2.stderr).toBe(0);
    const events = run2.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toEqual({ event: 'resumed', checkpoint, epoch: 2 });
    expect(events.filter((e) => e.event === 'epoch').map((e) => e.epoch)).toEqual([3]);
    const summary = events.at(-1)!;
    expect(summary.event).toBe('summary');
    expect(summary.resumedFromEpoch).toBe(2);
    expect(summary.epochsRun).toBe(3);

    const run3 = await runCli([
      'train',
      ...small,
      '--epochs',
      '4',
      '--resume',
      checkpoint,
      '--out',
      join(work, 'third'),
    ]);
    expect(run3.code, run3.stderr).toBe(0);
    expect(run3.stdout).toContain(
      `resumed from the checkpoint in ${checkpoint} after epoch 2 of 4: training epochs 3–4`,
    );
    expect(run3.stdout).toContain('4 epochs (2 of them before the resume)');
  }, 120_000);
});
