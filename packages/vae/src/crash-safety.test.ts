// Crash safety for real: a child process saves (with the build in dist/) and is killed with SIGKILL after every step
// of the write sequence, then at random instants while saving in a loop. After every kill the directory must load as
// the previous model or the new one, bit for bit — never an error, never a mix.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fnv1a } from './model-format.js';
import { decodeTensorValues } from './serialization.js';
import { maxWeightDiff, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

const CHILD = new URL('../test/save-child.mjs', import.meta.url).pathname;
/** Random kills per run; raise it for a longer soak, e.g. VARIA_KILL_RUNS=500. */
const RANDOM_KILLS = Number(process.env.VARIA_KILL_RUNS ?? 16);
/** Children run two at a time (independent directories). */
const LANES = 2;

/** Runs `task(i)` for i = 0 … count−1, `LANES` at a time. */
async function inLanes(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: LANES }, lane));
}

/** The model the child saves for a seed (same construction as test/save-child.mjs). */
const modelFor = (seed: number): VAE => new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4 + (seed % 2), seed });
const weightsOf = (seed: number): Map<string, Float32Array> => {
  const vae = modelFor(seed);
  const w = weightValues(vae);
  vae.dispose();
  return w;
};

interface ChildResult {
  stdout: string;
  /** The tail of stderr, to explain an unexpected exit. */
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Runs the child; with `killAfter`, the parent sends SIGKILL `delayMs` after the child printed `line`. */
function runChild(args: string[], killAfter?: { line: string; delayMs: number }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const seenBefore = killAfter !== undefined && stdout.includes(killAfter.line);
      stdout += chunk.toString();
      if (killAfter && !seenBefore && stdout.includes(killAfter.line))
        setTimeout(() => child.kill('SIGKILL'), killAfter.delayMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ stdout, stderr, signal, code }));
  });
}

/** Loads `dir` and says which of the candidate seeds it holds (throws on any load error). */
async function loadedSeed(dir: string, candidates: number[]): Promise<number> {
  const vae = await VAE.load(dir);
  const w = weightValues(vae);
  vae.dispose();
  const match = candidates.find((seed) => maxWeightDiff(w, weightsOf(seed)) === 0);
  if (match === undefined) throw new Error(`${dir} holds none of the models ${candidates.join(', ')}`);
  return match;
}

describe('crash-safe save (SIGKILL during the write sequence)', () => {
  it('a kill after any step of a save leaves the previous model or the new one; the commit is the rename of model.json', async () => {
    const probe = await tempDir();
    await seedModel(probe, 1);
    const full = await runChild(['model', probe, '2']);
    expect(full.code).toBe(0);
    const labels = full.stdout.split('\n').filter((l) => l.startsWith('step '));
    const commit = labels.findIndex((l) => l.includes('rename model.json')) + 1;
    expect(commit).toBeGreaterThan(0);
    expect(labels.length).toBeGreaterThan(commit); // cleanup of the old weight file comes after the commit
    await inLanes(labels.length, async (i) => {
      const k = i + 1;
      const dir = await tempDir();
      await seedModel(dir, 1);
      const run = await runChild(['model', dir, '2', String(k)]);
      expect(run.signal, `step ${k}`).toBe('SIGKILL');
      expect(await loadedSeed(dir, [1, 2]), `killed after ${labels[k - 1]}`).toBe(k < commit ? 1 : 2);
      // the next save cleans what the killed one left behind
      await seedModel(dir, 3);
      expect(
        (await readdir(dir)).filter((n) => n !== 'model.json' && !/^weights-[0-9a-f]{16}\.bin$/.test(n)),
        `after step ${k}`,
      ).toEqual([]);
      expect((await readdir(dir)).length).toBe(2);
    });
  }, 180_000);

  it(
    `random SIGKILLs (${RANDOM_KILLS}) while saving in a loop never lose or tear the model`,
    async () => {
      const outcomes = { previous: 0, new: 0 };
      await Promise.all(
        Array.from({ length: LANES }, (_, lane) => killLoop(lane, Math.ceil(RANDOM_KILLS / LANES), outcomes)),
      );
      expect(outcomes.previous + outcomes.new).toBe(LANES * Math.ceil(RANDOM_KILLS / LANES));
    },
    60_000 + RANDOM_KILLS * 3_000,
  );
});

/** One lane of the random-kill test: its own directory and random delays. */
async function killLoop(lane: number, kills: number, outcomes: { previous: number; new: number }): Promise<void> {
  const rng = mulberry32(2026 + lane);
  const dir = await tempDir();
  await seedModel(dir, 0);
  let next = 1;
  for (let i = 0; i < kills; i++) {
    const run = await runChild(['loop', dir, String(next)], { line: 'ready', delayMs: Math.floor(rng() * 40) });
    expect(run.signal, `exit code ${run.code}: ${run.stderr}`).toBe('SIGKILL');
    const saved = [...run.stdout.matchAll(/saved (\d+)/g)].map((m) => Number(m[1]));
    const lastComplete = saved.length > 0 ? saved[saved.length - 1]! : next - 1;
    const seed = await loadedSeed(dir, [lastComplete, lastComplete + 1]);
    outcomes[seed === lastComplete ? 'previous' : 'new'] += 1;
    next = seed + 1;
  }
}

describe('crash-safe checkpoint writes', () => {
  it('a kill after any step of a checkpoint write leaves the previous checkpoint or the new one, complete', async () => {
    const probe = await tempDir();
    expect((await runChild(['checkpoint', probe, '1'])).code).toBe(0);
    const full = await runChild(['checkpoint', probe, '2']);
    const labels = full.stdout.split('\n').filter((l) => l.startsWith('step '));
    const commit = labels.findIndex((l) => l.includes('rename checkpoint.json')) + 1;
    expect(commit).toBeGreaterThan(10);
    // The sequence is the model save's (tested at every step above) with three binaries: kill around each rename,
    // the commit and the cleanup.
    const points = labels.flatMap((l, i) => (/ (rename|unlink) /.test(l) ? [i, i + 1] : [])).filter((k) => k >= 1);
    const ks = [...new Set([1, commit - 1, ...points])].sort((a, b) => a - b);
    await inLanes(ks.length, async (i) => {
      const k = ks[i]!;
      const dir = await tempDir();
      expect((await runChild(['checkpoint', dir, '1'])).code).toBe(0);
      expect((await runChild(['checkpoint', dir, '2', String(k)])).signal).toBe('SIGKILL');
      expect(await checkpointSeed(dir), `killed after ${labels[k - 1]}`).toBe(k < commit ? 1 : 2);
    });
  }, 180_000);
});

/** Saves the model of `seed` into `dir` in this process. */
async function seedModel(dir: string, seed: number): Promise<void> {
  const vae = modelFor(seed);
  await vae.save(dir);
  vae.dispose();
}

/** Reads a checkpoint completely (every file it names, checksums, weights) and returns the seed its weights are from. */
async function checkpointSeed(dir: string): Promise<number> {
  const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
    state: { epoch: number };
    weights: { file: string; checksum: string; specs: unknown };
    optimizer: { file: string; checksum: string };
  };
  const seed = json.state.epoch;
  for (const part of [json.weights, json.optimizer]) {
    const bytes = await readFile(join(dir, part.file));
    expect(fnv1a(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)).toBe(
      part.checksum,
    );
  }
  const bytes = await readFile(join(dir, json.weights.file));
  const expected = weightsOf(seed);
  const shapes = new Map([...modelShapes(seed)]);
  const decoded = decodeTensorValues(
    json.weights.specs,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    shapes,
    'checkpoint',
  );
  expect(maxWeightDiff(decoded, expected)).toBe(0);
  return seed;
}

function modelShapes(seed: number): Map<string, readonly number[]> {
  const vae = modelFor(seed);
  const shapes = new Map([...vae.namedVariables()].map(([k, v]) => [k, v.shape] as const));
  vae.dispose();
  return shapes;
}
