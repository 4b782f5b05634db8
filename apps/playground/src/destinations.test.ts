import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDestination, freeOutDir } from './destinations.js';

const dir = mkdtempSync(join(tmpdir(), 'varia-dest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(dest: Parameters<typeof checkDestination>[0]): Promise<string> {
  try {
    await checkDestination(dest);
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe(dest.flag);
    return (e as Error).message;
  }
  throw new Error('expected an ArgumentError');
}

describe('checkDestination', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const full = join(dir, 'full');
  mkdirSync(join(full, 'checkpoint'), { recursive: true });
  writeFileSync(join(full, 'model.json'), '{}');

  it('accepts a new directory (under existing or missing parents) and an empty one', async () => {
    await checkDestination({ flag: 'out', path: join(dir, 'new', 'deeper'), mustBeEmpty: true });
    mkdirSync(join(dir, 'empty'));
    await checkDestination({ flag: 'out', path: join(dir, 'empty'), mustBeEmpty: true });
  });

  it('refuses a file, a path through a file, and a non-empty directory without force', async () => {
    expect(await refusal({ flag: 'out', path: file, mustBeEmpty: true })).toMatch(
      /^--out: .*a-file.*: it is a file, not a directory$/,
    );
    expect(await refusal({ flag: 'plots', path: join(file, 'sub'), mustBeEmpty: false })).toMatch(
      /^--plots: cannot write to .*a-file\/sub": a file is in the way/,
    );
    expect(await refusal({ flag: 'out', path: full, mustBeEmpty: true })).toMatch(
      /is not empty \(checkpoint, model\.json\); pass --force/,
    );
    await checkDestination({ flag: 'out', path: full, mustBeEmpty: true, force: true });
    await checkDestination({ flag: 'plots', path: full, mustBeEmpty: false });
    // resuming from a checkpoint inside --out writes the model next to it
    await checkDestination({ flag: 'out', path: full, mustBeEmpty: true, allowInside: join(full, 'checkpoint') });
  });

  it.skipIf(process.getuid?.() === 0)('refuses an unwritable place', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    expect(await refusal({ flag: 'out', path: join(locked, 'model'), mustBeEmpty: true })).toMatch(/^--out: .*locked/);
    chmodSync(locked, 0o700);
  });
});

describe('freeOutDir', () => {
  it('takes the base when missing or empty, else the first missing or empty numbered sibling', async () => {
    const base = join(dir, 'varia-model');
    expect(await freeOutDir(base)).toBe(base);
    mkdirSync(base);
    expect(await freeOutDir(base)).toBe(base);
    writeFileSync(join(base, 'model.json'), '{}');
    expect(await freeOutDir(base)).toBe(`${base}-2`);
    mkdirSync(`${base}-2`);
    writeFileSync(join(`${base}-2`, 'model.json'), '{}');
    writeFileSync(`${base}-3`, 'a file, not a directory');
    expect(await freeOutDir(base)).toBe(`${base}-4`);
  });
});
