import * as tf from '@tensorflow/tfjs';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';

/** The value after `option` (e.g. `--rows`) on the command line, or undefined when it is not there. */
export function flagValue(option: string): string | undefined {
  const i = process.argv.indexOf(option);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The value after `--name` on the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  return flagValue(`--${name}`) ?? fallback;
}

/**
 * A `--parallel` value (threads sharing products on wasm-native): an integer from 1 to 8, or `fallback` when absent.
 * @throws Error naming the flag and the value otherwise.
 */
export function parallelFlag(text: string | undefined, fallback = 1): number {
  const parallel = Number(text ?? fallback);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8)
    throw new Error(`--parallel must be an integer from 1 to 8, got ${text}`);
  return parallel;
}

/**
 * Selects the backend named by `--backend` (default `fallback`), with `--parallel N` threads sharing products on
 * wasm-native (default 1, as the bench's one-thread figures: the library's own default is both cores), waits for it,
 * and logs it with `detail` to stderr.
 */
export async function useBackendFlag(fallback: BackendRequest, detail: string): Promise<void> {
  const parallel = parallelFlag(flagValue('--parallel'));
  const selection = await selectBackend(flag('backend', fallback) as BackendRequest, { nativeParallel: parallel });
  await tf.ready();
  console.error(`backend ${tf.getBackend()} (${selection.candidate}); ${detail}`);
}
