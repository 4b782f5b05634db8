import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasMallocEnv, MALLOC_ENV, mallocSettings, withMallocEnv } from './malloc-env.js';

const KEYS = Object.keys(MALLOC_ENV);

describe('withMallocEnv', () => {
  it('adds the settings that are missing and keeps the ones the user set', () => {
    const env = withMallocEnv({ PATH: '/bin', MALLOC_TRIM_THRESHOLD_: '7' });
    expect(env.PATH).toBe('/bin');
    expect(env.MALLOC_TRIM_THRESHOLD_).toBe('7');
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe(String(32 * 1024 * 1024));
    expect(hasMallocEnv(env)).toBe(true);
  });

  it('says a setting is missing while any one is', () => {
    expect(hasMallocEnv({})).toBe(false);
    expect(hasMallocEnv({ [KEYS[0]!]: '1' })).toBe(false);
    expect(hasMallocEnv(Object.fromEntries(KEYS.map((k) => [k, '1'])))).toBe(true);
  });
});

describe.runIf(process.platform === 'linux')('rerunWithMallocEnv', () => {
  // a script that calls it first, as run.ts does, then prints what it runs with and exits 3 (the built module: the
  // child is plain Node; tests run after the build)
  const module = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'malloc-env.js')).href;
  const script = [
    `import { rerunWithMallocEnv, mallocSettings } from ${JSON.stringify(module)};`,
    'const rerun = rerunWithMallocEnv();',
    'if (rerun !== undefined) process.exit(rerun);',
    'console.log(JSON.stringify({ settings: mallocSettings(), args: process.argv.slice(2) }));',
    'process.exit(3);',
  ].join('\n');

  function runScript(env: NodeJS.ProcessEnv) {
    const dir = mkdtempSync(join(os.tmpdir(), 'varia-malloc-env-'));
    try {
      const file = join(dir, 'script.mjs');
      writeFileSync(file, script);
      return spawnSync(process.execPath, [file, 'a', 'b'], { encoding: 'utf8', env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('runs the script again with the settings, the same arguments, and passes its exit status on', () => {
    const env = { ...process.env };
    for (const k of KEYS) delete env[k];
    const r = runScript(env);
    expect(r.status).toBe(3);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.args).toEqual(['a', 'b']);
    expect(out.settings).toEqual(MALLOC_ENV);
  });

  it('runs nothing again when the user set them, and keeps their values', () => {
    const env = { ...process.env, ...Object.fromEntries(KEYS.map((k) => [k, '4096'])) };
    const r = runScript(env);
    expect(r.status).toBe(3);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.settings).toEqual(Object.fromEntries(KEYS.map((k) => [k, '4096'])));
  });
});

describe('mallocSettings', () => {
  it('is undefined unless every setting is there', () => {
    const saved = KEYS.map((k) => process.env[k]);
    try {
      for (const k of KEYS) delete process.env[k];
      expect(mallocSettings()).toBeUndefined();
      for (const k of KEYS) process.env[k] = '1';
      expect(mallocSettings()).toEqual(Object.fromEntries(KEYS.map((k) => [k, '1'])));
    } finally {
      KEYS.forEach((k, i) => {
        if (saved[i] === undefined) delete process.env[k];
        else process.env[k] = saved[i];
      });
    }
  });
});
