import { spawn } from 'node:child_process';
import os from 'node:os';

/**
 * glibc's malloc settings every process of the bench runs with — its own (re-run with them by
 * {@link rerunWithMallocEnv}), its child runs and PyTorch's (`runTorch`): freed blocks up to 32 MiB stay in the
 * process for the next allocation instead of going back to the OS (`MALLOC_MMAP_THRESHOLD_`), and the heap is not
 * trimmed below 256 MiB of free space (`MALLOC_TRIM_THRESHOLD_`).
 *
 * Why: without them, glibc maps each large buffer afresh (and unmaps it when freed) until its adaptive threshold has
 * caught up, so the pages of a call's outputs fault in again on the next call. On the AMD EPYC Zen 5 PVM guest a minor
 * page fault costs about 14 µs, so PyTorch's MNIST encode (10,000 × 784 → 400: two 16 MiB buffers a call) took
 * 3,906–7,813 faults and 75–162 ms a call instead of 35.5–37.6 ms (one thread), depending on where glibc's
 * threshold stood — the "slow mode" of earlier sessions; varia's read-back of the same encode took 156 faults
 * (15.2 → 16.9 ms for 8,000 rows). Training is not affected: PyTorch's MNIST epochs took 0 faults after the first
 * either way (2026-12-02, `ru_minflt` and `process.resourceUsage()`, load ~1). Nothing in varia reads these; a user
 * who sees the same faults can set them too.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024),
};

/** Whether `env` already has every setting of {@link MALLOC_ENV} (any value: the user's own choice is kept). */
export function hasMallocEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.keys(MALLOC_ENV).every((k) => env[k] !== undefined);
}

/** `env` with {@link MALLOC_ENV}'s settings where it has none. */
export function withMallocEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(MALLOC_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** Signals the parent passes on to its re-run while it waits (Ctrl-C reaches both; `kill <pid>` only the parent). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * On Linux (glibc reads the settings when the process starts), when this process lacks them: runs this same script
 * again with them (same Node flags and arguments, same standard streams) and resolves to the status the caller exits
 * with: the re-run's exit code, or 128 + the signal's number where a signal ended it (as a shell reports it). While it
 * waits, SIGINT, SIGTERM and SIGHUP sent to this process are passed on to the re-run, so that stopping this process
 * (its pid is the one its starter knows) stops the run. Resolves to undefined where nothing was re-run (they are set,
 * or not Linux).
 */
export async function rerunWithMallocEnv(): Promise<number | undefined> {
  if (process.platform !== 'linux' || hasMallocEnv()) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: withMallocEnv(),
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve([c, s]));
    });
    if (signal !== null) return 128 + (os.constants.signals[signal] ?? 0);
    return code ?? 1;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

/**
 * What the results say of this process's allocator: the settings' values, or why they are not in effect — another
 * platform than Linux (not glibc's malloc), a missing setting (glibc's defaults), or `GLIBC_TUNABLES` naming a malloc
 * threshold, which glibc reads in preference to the `MALLOC_*` variables.
 */
export function mallocDescription(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string | Record<string, string> {
  if (platform !== 'linux') return `not glibc (${platform}): the settings do not apply`;
  const settings = mallocSettings(env);
  if (!settings) return 'glibc defaults';
  const tunables = env.GLIBC_TUNABLES;
  if (tunables && /malloc\.(mmap|trim)_threshold/.test(tunables))
    return { ...settings, GLIBC_TUNABLES: `${tunables} (glibc takes its thresholds over the MALLOC_* values)` };
  return settings;
}

/** The settings this process runs with, for the results (undefined where one is missing). */
export function mallocSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  if (!hasMallocEnv(env)) return undefined;
  return Object.fromEntries(Object.keys(MALLOC_ENV).map((k) => [k, env[k]!]));
}
