/**
 * Checks where `train` will write (the model directory, the plots directory) before anything is trained, so a bad
 * destination fails in a second with a clear message instead of after the run. Writability is
 * `@varia/vae`'s {@link assertWritableDestination} (a probe file in the nearest existing directory); the CLI adds the
 * flag to the message and its own rule that `--out` must be empty unless `--force`.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { ArgumentError } from '@varia/core';
import { assertWritableDestination } from '@varia/vae';

/** What {@link checkDestination} needs to know about one destination. */
export interface Destination {
  /** The flag, for messages and `ArgumentError.argument` (e.g. `out`). */
  flag: string;
  /** The absolute path. */
  path: string;
  /** Refuse a directory that already has entries (unless `force`). */
  mustBeEmpty: boolean;
  /** Allow a non-empty directory. */
  force?: boolean;
  /** A path inside the directory that may already be there (a checkpoint resumed from). */
  allowInside?: string;
}

/**
 * Throws an `ArgumentError` naming the flag when `dest.path` cannot become the directory written to: a file is
 * there (or on the way), the nearest existing directory is not writable, or (with `mustBeEmpty`) the directory has
 * entries and `force` is not set.
 */
export async function checkDestination(dest: Destination): Promise<void> {
  const { flag, path } = dest;
  try {
    await assertWritableDestination(path, { argument: flag });
  } catch (e) {
    if (e instanceof ArgumentError) throw new ArgumentError(flag, `--${flag}: ${e.message}`, { cause: e });
    throw e;
  }
  if (!dest.mustBeEmpty || dest.force) return;
  const isDirectory = await stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDirectory) return;
  const entries = await readdir(path);
  const inside = dest.allowInside === undefined ? '' : relative(path, dest.allowInside);
  const resumedHere = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
  if (entries.length > 0 && !resumedHere) {
    const listed = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new ArgumentError(
      flag,
      `--${flag} ${path}: is not empty (${listed}); pass --force to overwrite it, or choose another directory`,
    );
  }
}

/** The most numbered siblings {@link freeOutDir} tries. */
const MAX_NUMBERED = 999;

/**
 * The directory `train` saves to when `--out` is not given: `base` (./varia-model) when it is missing or empty, else
 * the first of `base-2`, `base-3`, … that is, so that running the same command again keeps the earlier models
 * (`--out DIR` chooses the directory, `--force` overwrites). `base` itself when 999 names are taken: the usual refusal
 * then says what to do.
 */
export async function freeOutDir(base: string): Promise<string> {
  for (let n = 1; n <= MAX_NUMBERED; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const free = await readdir(candidate).then(
      (entries) => entries.length === 0,
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
    );
    if (free) return candidate;
  }
  return base;
}
