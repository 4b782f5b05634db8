import type { Rng } from '@varia/core';
import type { EpochArgs } from '../trainer/batch-source.js';
import { makeYielder } from '../trainer/yielder.js';

/*
 * The order in which a random-access source visits its rows in one epoch, built without blocking: a source of
 * 2³¹ − 1 rows shuffles for tens of seconds, and the run must stay abortable meanwhile. Internal.
 */

/** Fisher–Yates steps (or identity entries) between two checks of the run's signal: ~5–10 ms of work. */
export const SHUFFLE_CHUNK = 1 << 20;

/**
 * A seeded random permutation of 0…n−1, the same as `permutation(n, rng)` of `@varia/core` — the identity, then
 * Fisher–Yates: for i = n−1 down to 1, j = ⌊u·(i+1)⌋ with u = rng(), swap(i, j) — so every order is what it was
 * when the whole permutation was built at once, but built in chunks of `chunk` steps: between two chunks the run's
 * `checkStop` is called, its `signal` read, and the event loop gets a turn (at most every ~25 ms, like the training
 * loop), so that an abort or a dispose stops a long shuffle.
 *
 * Memory: one Int32Array of n entries, 4n bytes (2³¹ − 1 rows, the most a source may have: 8 GiB — an exact
 * shuffle of n rows needs them); nothing else grows with n. Int32Array because every n a source may have fits
 * (its row indices are Int32Array) and V8 runs this loop ~1.3× slower on a Uint32Array (measured, n = 2·10⁷), and
 * one array type keeps the loop monomorphic (a 2-byte array for small n would save nothing that matters).
 *
 * @param n number of rows, an integer in [1, 2³¹).
 * @param control the epoch's `signal` and `checkStop` (see {@link EpochArgs}).
 * @param chunk steps between checks (a positive integer; tests pass small ones).
 * @returns the permutation, or undefined when the signal was aborted before it was finished.
 * @throws whatever `checkStop` throws.
 */
export async function shuffledOrder(
  n: number,
  rng: Rng,
  control: Pick<EpochArgs, 'signal' | 'checkStop'>,
  chunk = SHUFFLE_CHUNK,
): Promise<Int32Array | undefined> {
  const order = new Int32Array(n);
  const yieldNow = makeYielder();
  const pause = async (): Promise<boolean> => {
    control.checkStop?.();
    if (control.signal?.aborted) return true;
    await yieldNow();
    control.checkStop?.();
    return control.signal?.aborted === true;
  };
  for (let start = 0; start < n; start += chunk) {
    fillIdentity(order, start, Math.min(n, start + chunk));
    if (await pause()) return undefined;
  }
  for (let top = n - 1; top > 0; top -= chunk) {
    fisherYates(order, top, Math.max(0, top - chunk), rng);
    if (await pause()) return undefined;
  }
  return order;
}

/** order[i] = i for i in [start, end). */
function fillIdentity(order: Int32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) order[i] = i;
}

/**
 * The Fisher–Yates steps i = top down to bottom + 1: j = ⌊u·(i+1)⌋, swap(i, j). A function of its own: the variables
 * of an async function that live across an await sit in its context, and the loop runs ~1.3× slower there.
 */
function fisherYates(order: Int32Array, top: number, bottom: number, rng: Rng): void {
  for (let i = top; i > bottom; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
}
