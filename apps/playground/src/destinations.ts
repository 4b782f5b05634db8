/**
 * Checks where `train` will write (the model directory, the plots directory) before anything is trained, so a bad
 * destination fails in a second with a clear message instead of after the run.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';
import { ArgumentError } from '@varia/core';

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

/** `path`'s kind, or undefined when nothing is there. */
async function kind(path: string): Promise<'directory' | 'file' | undefined> {
  // ENOTDIR: a file on the way; the walk up to the nearest existing path finds and names it
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  });
  if (info === undefined) return undefined;
  return info.isDirectory() ? 'directory' : 'file';
}

/**
 * Throws an `ArgumentError` naming the flag when `dest.path` cannot become the directory written to: a file is
 * there (or on the way), the nearest existing directory is not writable, or (with `mustBeEmpty`) the directory has
 * entries and `force` is not set.
 */
export async function checkDestination(dest: Destination): Promise<void> {
  const { flag, path } = dest;
  const fail = (why: string): never => {
    throw new ArgumentError(flag, `--${flag} ${path}: ${why}`);
  };
  let existing = path;
  let here: Awaited<ReturnType<typeof kind>>;
  try {
    here = await kind(existing);
    while (here === undefined && dirname(existing) !== existing) {
      existing = dirname(existing);
      here = await kind(existing);
    }
  } catch (e) {
    return fail(`cannot be checked: ${(e as Error).message}`);
  }
  if (here === 'file') fail(existing === path ? 'is a file, not a directory' : `${existing} is a file, not a directory`);
  if (existing === path && dest.mustBeEmpty && !dest.force) {
    const entries = await readdir(path);
    const inside = dest.allowInside === undefined ? '' : relative(path, dest.allowInside);
    const resumedHere = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
    if (entries.length > 0 && !resumedHere) {
      const listed = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
      fail(`is not empty (${listed}); pass --force to overwrite it, or choose another directory`);
    }
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch {
    fail(existing === path ? 'is not writable' : `cannot be created: ${existing} is not writable`);
  }
}
