import { ArgumentError, SerializationError, type VariaError } from '@varia/core';
import { nodeFs } from './node-fs.js';

/** Options of {@link assertWritableDestination}. */
export interface DestinationOptions {
  /** The name of the argument or flag the path came from, for the error (default `"dir"`). */
  argument?: string;
}

const ERRNO_REASONS: Record<string, string> = {
  EEXIST: 'a file is in the way (the destination, or one of its parents, is a file, not a directory)',
  ENOTDIR: 'a file is in the way (one of its parents is a file, not a directory)',
  EISDIR: 'it is a directory where a file is needed',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'a parent directory does not exist and cannot be created',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

/**
 * A typed error for a failed file operation on `path`: an {@link ArgumentError} (naming `argument`) when the path
 * itself is unusable (a file in the way, no permission, read-only), a {@link SerializationError} otherwise
 * (disk full, I/O error).
 */
export function destinationError(e: unknown, path: string, argument: string, doing = 'write to'): VariaError {
  if (e instanceof ArgumentError || e instanceof SerializationError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code !== undefined ? ERRNO_REASONS[code] : undefined;
  if (reason !== undefined)
    return new ArgumentError(argument, `cannot ${doing} ${JSON.stringify(path)}: ${reason} (${code})`, { cause: e });
  return new SerializationError(`could not ${doing} ${JSON.stringify(path)}: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
  });
}

/**
 * Checks, before any work is done, that `dir` can receive a saved model or checkpoints: it is a non-empty path that
 * is an existing writable directory, or does not exist yet under a writable directory (it is not created here).
 * Writability is tested by creating and removing a probe file, which also catches read-only mounts and ACLs.
 * Call it before training so that a bad `--out` fails in a second, not after the run.
 *
 * @example
 * ```ts
 * await assertWritableDestination('models/run-1', { argument: 'out' });
 * ```
 * @throws ArgumentError naming `options.argument` and the path when it cannot be written.
 */
export async function assertWritableDestination(dir: string, options: DestinationOptions = {}): Promise<void> {
  const argument = options.argument ?? 'dir';
  if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0')) {
    throw new ArgumentError(argument, `"${argument}" must be a non-empty path, got ${JSON.stringify(dir)}`);
  }
  const { fs, path } = await nodeFs();
  // The nearest existing ancestor decides: it must be a directory we can create files in.
  let existing = path.resolve(dir);
  for (;;) {
    let stats: Awaited<ReturnType<typeof fs.stat>> | undefined;
    try {
      stats = await fs.stat(existing);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw destinationError(e, dir, argument);
    }
    if (stats) {
      if (!stats.isDirectory()) {
        const where =
          existing === path.resolve(dir)
            ? 'it is a file, not a directory'
            : `${JSON.stringify(existing)} is a file, not a directory`;
        throw new ArgumentError(argument, `cannot write to ${JSON.stringify(dir)}: ${where}`);
      }
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing)
      throw new ArgumentError(argument, `cannot write to ${JSON.stringify(dir)}: no part of the path exists`);
    existing = parent;
  }
  const probe = path.join(existing, `.varia-probe.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    await (await fs.open(probe, 'wx')).close();
  } catch (e) {
    throw destinationError(e, dir, argument);
  }
  await fs.rm(probe, { force: true });
}
