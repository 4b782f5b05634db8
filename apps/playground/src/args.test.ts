import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { INFERENCE_LIMITS } from '@varia/vae';
import { describe, expect, it } from 'vitest';
import {
  DATASET_DEFAULTS,
  DATASETS,
  MAX_PARAMETERS,
  parameterCount,
  parseServeArgs,
  parseTrainArgs,
  type TrainArgs,
  UsageError,
} from './args.js';

const runs = Number(process.env.VARIA_PROPERTY_RUNS) || 300;

function usage(argv: string[]): string {
  try {
    parseTrainArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(argv)}`);
}

describe('parseTrainArgs', () => {
  it('caps --iwae-k at INFERENCE_LIMITS.maxIwaeK (the limit VAE.evaluate enforces), not a number of its own', () => {
    const max = INFERENCE_LIMITS.maxIwaeK;
    expect((parseTrainArgs(['--iwae-k', String(max)]) as TrainArgs).iwaeK).toBe(max);
    expect(usage(['--iwae-k', String(max + 1)])).toBe(
      `--iwae-k must be at most ${max} (INFERENCE_LIMITS.maxIwaeK), got "${max + 1}"`,
    );
  });
  it.each([
    [['--lr', '0x10'], /--lr must be a decimal number > 0, got "0x10"/],
    [['--lr', '0b11'], /--lr must be a decimal number > 0/],
    [['--lr', 'Infinity'], /--lr must be a decimal number > 0/],
    [['--beta', ' 0o7'], /--beta must be a decimal number >= 0/],
    [['--epochs', '-1'], /--epochs must be an integer >= 1, got "-1"/],
    [['--lr', '-0.5'], /--lr must be a decimal number > 0, got "-0.5"/],
    [['--epochs', '--json'], /--epochs needs a value, got the option "--json"/],
    [['--epochs', '3', '--epochs', '4'], /--epochs is given more than once/],
    [['--json', '--json'], /--json is given more than once/],
    [['--lr=0.1', '--lr', '0.2'], /--lr is given more than once/],
    [
      ['--blas-threads', '4096'],
      new RegExp(`--blas-threads must be at most ${availableParallelism()} \\(the cores of this machine`),
    ],
    [['--parallel', 'two'], /--parallel must be "auto" or an integer from 1 to \d \(.*\), got "two"/],
    [['--parallel', '0'], /--parallel must be "auto" or an integer from 1 to \d/],
    [['--parallel', '9'], /--parallel must be "auto" or an integer from 1 to \d \(8, or the cores of this machine/],
    [['--parallel', '1.5'], /--parallel must be "auto"/],
    [['--hidden', '300000000'], /--hidden must be at most 65536, got "300000000"/],
    [['--hidden', '60000,60000'], /has about 7\.\de\+9 weights, more than the CLI's limit of 5e\+7/],
    [['--out', ''], /--out needs a path/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(usage(argv)).toMatch(message);
  });

  it('uses per-dataset defaults that flags override', () => {
    const mnist = parseTrainArgs([]) as TrainArgs;
    expect(mnist).toMatchObject({
      dataset: 'mnist',
      likelihood: 'bernoulli',
      hidden: [400],
      latentDim: 20,
      batchSize: 128,
      lr: 1e-3,
    });
    expect(parseTrainArgs(['--dataset', 'counts'])).toMatchObject({ likelihood: 'poisson' });
    expect(
      parseTrainArgs(['--dataset', 'mnist', '--likelihood', 'gaussian', '--hidden', '64,32', '--lr', '1e-2']),
    ).toMatchObject({
      likelihood: 'gaussian',
      hidden: [64, 32],
      lr: 0.01,
    });
    expect(usage(['--epochs=-0'])).toMatch(/--epochs must be an integer >= 1/);
    // the threads sharing products: auto unless a count is given
    expect(mnist.parallel).toBe('auto');
    expect((parseTrainArgs(['--parallel', 'auto']) as TrainArgs).parallel).toBe('auto');
    expect((parseTrainArgs(['--parallel', '1']) as TrainArgs).parallel).toBe(1);
  });

  it('counts weights like the dense layers of a VAE (784-400-20: 2·(785·400) + 401·40 + 21·400 + 401·1568)', () => {
    expect(parameterCount(784, [400], 20)).toBe(785 * 400 + 401 * 40 + 21 * 400 + 401 * 1568);
    expect(parameterCount(2, [], 2)).toBe(3 * 4 + 3 * 4);
  });

  /** argv entries: known flags, values of every shape (numbers, negatives, hex, junk, empty), and arbitrary strings. */
  const flag = fc.constantFrom(
    ...[
      'dataset',
      'likelihood',
      'epochs',
      'batch-size',
      'latent-dim',
      'hidden',
      'lr',
      'seed',
      'backend',
      'blas-threads',
      'parallel',
      'out',
      'force',
      'json',
      'verbose',
      'beta',
      'kl-warmup',
      'iwae-k',
      'validation-split',
      'patience',
      'checkpoint-every',
      'resume',
      'plots',
      'help',
      'bogus',
    ].map((f) => `--${f}`),
    '-h',
    '-x',
    '--',
  );
  const value = fc.oneof(
    fc.constantFrom(
      ...DATASETS,
      'gaussian',
      'poisson',
      'bernoulli',
      'wasm',
      'auto',
      '0x10',
      '0b11',
      '1e-3',
      '-1',
      '-0.5',
      '',
      ' ',
      '1,2',
      '300000000',
      'NaN',
      'Infinity',
      '0.5',
      '2',
      '64,32',
      '4096',
      '1e400',
      '--json',
      '-',
      '=',
      '1.',
    ),
    fc.integer({ min: -10, max: 1e9 }).map(String),
    fc.double().map(String),
    fc.string({ maxLength: 12 }),
  );
  const argv = fc.array(
    fc.oneof(
      flag,
      value,
      fc.tuple(flag, value).map(([f, v]) => `${f}=${v}`),
    ),
    { maxLength: 8 },
  );

  it('every argv either parses into valid settings or is a UsageError (exit code 2), never another throw', () => {
    fc.assert(
      fc.property(argv, (args) => {
        let parsed: TrainArgs | 'help';
        try {
          parsed = parseTrainArgs(args);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          expect(e.message.length).toBeGreaterThan(0);
          return;
        }
        if (parsed === 'help') return;
        expect(DATASETS).toContain(parsed.dataset);
        for (const n of [parsed.epochs, parsed.batchSize, parsed.latentDim, ...parsed.hidden]) {
          expect(Number.isSafeInteger(n) && n >= 1).toBe(true);
        }
        expect(parsed.lr > 0 && Number.isFinite(parsed.lr)).toBe(true);
        expect(parsed.blasThreads).toBeLessThanOrEqual(availableParallelism());
        if (parsed.parallel !== 'auto')
          expect(parsed.parallel >= 1 && parsed.parallel <= Math.min(8, availableParallelism())).toBe(true);
        expect(
          parameterCount(DATASET_DEFAULTS[parsed.dataset].inputDim, parsed.hidden, parsed.latentDim),
        ).toBeLessThanOrEqual(MAX_PARAMETERS);
        expect(parsed.out.trim()).not.toBe('');
      }),
      { numRuns: runs, seed: 1313 },
    );
  });

  it('serve: every argv parses or is a UsageError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('--port', '--dir', '--no-isolation', '-h', '--port=99999'), value), {
          maxLength: 5,
        }),
        (args) => {
          try {
            const parsed = parseServeArgs(args);
            if (parsed !== 'help') expect(parsed.port >= 0 && parsed.port <= 65535).toBe(true);
          } catch (e) {
            if (!(e instanceof UsageError)) throw e;
          }
        },
      ),
      { numRuns: runs, seed: 1314 },
    );
  });
});
