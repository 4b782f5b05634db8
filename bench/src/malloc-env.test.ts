import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasMallocEnv, MALLOC_ENV, mallocDescription, mallocSettings, withMallocEnv } from './malloc-env.js';

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
  // a script that calls it first, as run.ts does, then prints what it runs with and exits 3, or (`wait FILE`) writes
  // its pid to FILE and waits 30 s (the built module: the child is plain Node; tests run after the build)
  const module = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'malloc-env.js')).href;
  const script = [
    "import { writeFileSync } from 'node:fs';",
    `import { rerunWithMallocEnv, mallocSettings } from ${JSON.stringify(module)};`,
    'const rerun = await rerunWithMallocEnv();',
    'if (rerun !== undefined) process.exit(rerun);',
    "if (process.argv[2] === 'wait') {",
    '  writeFileSync(process.argv[3], String(process.pid));',
    '  setTimeout(() => process.exit(0), 30_000);',
    '} else {',
    '  const gc = typeof globalThis.gc;',
    '  console.log(JSON.stringify({ settings: mallocSettings(), args: process.argv.slice(2), gc }));',
    '  process.exit(3);',
    '}',
  ].join('\n');

  const withoutSettings = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    for (const k of KEYS) delete env[k];
    return env;
  };

  function inDir<T>(run: (file: string) => T): T {
    const dir = mkdtempSync(join(os.tmpdir(), 'varia-malloc-env-'));
    try {
      const file = join(dir, 'script.mjs');
      writeFileSync(file, script);
      return run(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const runScript = (env: NodeJS.ProcessEnv, args = ['a', 'b']) =>
    inDir((file) => spawnSync(process.execPath, ['--expose-gc', file, ...args], { encoding: 'utf8', env }));

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  /** Starts the script (`wait`), sends `signal` to the re-run (`child`) or to the first process, and waits for it. */
  async function stopWhileRunning(signal: NodeJS.Signals, to: 'parent' | 'child') {
    const dir = mkdtempSync(join(os.tmpdir(), 'varia-malloc-env-'));
    let pid = 0;
    try {
      const file = join(dir, 'script.mjs');
      const pidFile = join(dir, 'pid');
      writeFileSync(file, script);
      const parent = spawn(process.execPath, [file, 'wait', pidFile], { env: withoutSettings(), stdio: 'ignore' });
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        parent.once('exit', (code, s) => resolve({ code, signal: s })),
      );
      // the file exists before its pid is written (open, then write): an empty read is 0, and process.kill(0, 0)
      // signals this test's own process group (a CI failure read that as "the re-run is left running")
      const pidIn = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
      for (let i = 0; i < 400 && !(pidIn() > 0); i++) await new Promise((r) => setTimeout(r, 50));
      pid = pidIn();
      expect(pid).toBeGreaterThan(0);
      expect(pid).not.toBe(parent.pid);
      if (to === 'parent') parent.kill(signal);
      else process.kill(pid, signal);
      const end = await ended;
      return { ...end, childAlive: alive(pid) };
    } finally {
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('runs the script again with the settings, the same Node flags and arguments, and passes its exit status on', () => {
    const r = runScript(withoutSettings(), ['a b', '--out', '/tmp/x y.json']);
    expect(r.status).toBe(3);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.args).toEqual(['a b', '--out', '/tmp/x y.json']);
    expect(out.gc, '--expose-gc passed on').toBe('function');
    expect(out.settings).toEqual(MALLOC_ENV);
  });

  it('runs nothing again when the user set them, and keeps their values', () => {
    const env = { ...process.env, ...Object.fromEntries(KEYS.map((k) => [k, '4096'])) };
    const r = runScript(env);
    expect(r.status).toBe(3);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.settings).toEqual(Object.fromEntries(KEYS.map((k) => [k, '4096'])));
  });

  it('SIGTERM to the first process (the pid its starter knows) ends the re-run too; the status says so', async () => {
    const end = await stopWhileRunning('SIGTERM', 'parent');
    expect(end.childAlive, 'the re-run is left running').toBe(false);
    expect(end.code ?? 128 + os.constants.signals[end.signal!]).toBe(128 + os.constants.signals.SIGTERM);
  });

  it("a re-run ended by a signal gives 128 + the signal's number, as a shell reports it", async () => {
    const end = await stopWhileRunning('SIGKILL', 'child');
    expect(end.code).toBe(128 + os.constants.signals.SIGKILL);
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

describe('mallocDescription', () => {
  const all = Object.fromEntries(KEYS.map((k) => [k, '8']));
  it('gives the values on Linux, glibc defaults where one is missing, and says where they do not apply', () => {
    expect(mallocDescription('linux', all)).toEqual(all);
    expect(mallocDescription('linux', {})).toBe('glibc defaults');
    expect(mallocDescription('darwin', all)).toMatch(/not glibc \(darwin\)/);
  });

  it('names GLIBC_TUNABLES when it sets a malloc threshold (glibc prefers it)', () => {
    const tunables = 'glibc.malloc.trim_threshold=1';
    expect(mallocDescription('linux', { ...all, GLIBC_TUNABLES: tunables })).toEqual({
      ...all,
      GLIBC_TUNABLES: `${tunables} (glibc takes its thresholds over the MALLOC_* values)`,
    });
    expect(mallocDescription('linux', { ...all, GLIBC_TUNABLES: 'glibc.cpu.x86_shstk=0' })).toEqual(all);
  });
});
