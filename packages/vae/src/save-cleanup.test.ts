// save() into a directory removes only the weight files that saves wrote or replaced — never a user's file that
// merely looks like one (issue 13 leftover: a stray `weights-<16 hex>.bin` used to be deleted).
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxWeightDiff, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

const modelFor = (seed: number) => new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, seed });
const STRAY = 'weights-0123456789abcdef.bin';
const strayBytes = new Uint8Array([1, 2, 3, 4, 5]);

async function save(dir: string, seed: number): Promise<void> {
  const vae = modelFor(seed);
  await vae.save(dir);
  vae.dispose();
}

async function expectHolds(dir: string, seed: number): Promise<void> {
  const loaded = await VAE.load(dir);
  const expected = modelFor(seed);
  expect(maxWeightDiff(weightValues(loaded), weightValues(expected))).toBe(0);
  loaded.dispose();
  expected.dispose();
}

/** The weight file model.json names. */
async function namedWeights(dir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  return json.weightsManifest[0]!.paths[0]!;
}

/** A process id that no longer runs. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('save() cleanup', () => {
  it("keeps a stray weights-<16 hex>.bin it did not write; removes the previous save's weight file", async () => {
    const dir = await tempDir();
    await save(dir, 1);
    const first = await namedWeights(dir);
    await writeFile(join(dir, STRAY), strayBytes);
    await save(dir, 2);
    const second = await namedWeights(dir);
    expect(second).not.toBe(first);
    expect((await readdir(dir)).sort()).toEqual(['model.json', second, STRAY].sort());
    expect(new Uint8Array(await readFile(join(dir, STRAY)))).toEqual(strayBytes);
    await expectHolds(dir, 2);
  });

  it('removes what the journal of a killed save lists (its new weights, the files it replaced), not the stray file', async () => {
    const dir = await tempDir();
    await save(dir, 1);
    await writeFile(join(dir, STRAY), strayBytes);
    // as a save killed after renaming its weight file into place, before the commit: its journal and its weights
    const killedWeights = 'weights-fedcba9876543210.bin';
    await writeFile(join(dir, killedWeights), new Uint8Array(8));
    const journal = `.model.json-journal.tmp-${deadPid()}-abc123`;
    await writeFile(join(dir, journal), JSON.stringify(['model.json', killedWeights, await namedWeights(dir)]));
    await save(dir, 2);
    expect((await readdir(dir)).sort()).toEqual(['model.json', await namedWeights(dir), STRAY].sort());
    await expectHolds(dir, 2);
  });

  it('saving the same model again keeps its weight file (same content, same name)', async () => {
    const dir = await tempDir();
    await save(dir, 4);
    await save(dir, 4);
    expect((await readdir(dir)).sort()).toEqual(['model.json', await namedWeights(dir)].sort());
    await expectHolds(dir, 4);
  });
});
