import { SerializationError } from '@varia/core';

/** Node's `fs/promises` and `path`, loaded on first use so that the browser build never touches them. */
export interface NodeFs {
  /** `node:fs/promises`. */
  fs: typeof import('node:fs/promises');
  /** `node:path`. */
  path: typeof import('node:path');
}

let cached: Promise<NodeFs> | undefined;

/** Loads `node:fs/promises` and `node:path`. @throws SerializationError outside Node. */
export function nodeFs(): Promise<NodeFs> {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
    // a browser bundle may stub node:* modules: never touch them there
    return Promise.reject(
      new SerializationError(
        'reading or writing files needs Node.js; in the browser use a URL (indexeddb://, localstorage://, downloads://, http(s)://) or a tfjs IOHandler',
      ),
    );
  }
  cached ??= Promise.all([import('node:fs/promises'), import('node:path')]).then(
    ([fs, path]) => ({ fs, path }),
    (e: unknown) => {
      cached = undefined;
      throw new SerializationError(
        'reading or writing files needs Node.js; in the browser use a URL (indexeddb://, …) or toArtifacts/fromArtifacts',
        {
          cause: e,
        },
      );
    },
  );
  return cached;
}

/**
 * Reads a file whose size is checked first (from `stat`, before reading): at most `maxBytes`, and exactly
 * `exactBytes` when given. @throws SerializationError naming the file.
 */
export async function readFileLimited(file: string, maxBytes: number, exactBytes?: number): Promise<Uint8Array> {
  const { fs } = await nodeFs();
  try {
    const size = (await fs.stat(file)).size;
    if (exactBytes !== undefined && size !== exactBytes) {
      throw new SerializationError(
        `${file} has ${size} bytes, ${exactBytes} expected (truncated, or from another save)`,
      );
    }
    if (size > maxBytes) throw new SerializationError(`${file} has ${size} bytes, more than the limit of ${maxBytes}`);
    return await fs.readFile(file);
  } catch (e) {
    if (e instanceof SerializationError) throw e;
    throw new SerializationError(`could not read ${file}: ${(e as Error).message}`, { cause: e });
  }
}
