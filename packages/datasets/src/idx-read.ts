// Reading IDX bytes from a path or memory, inflating gzip, and stopping at the size the header declares.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ArgumentError, DataError, type DataLocation } from '@varia/core';
import { declaredSize, type IdxSource } from './idx-header.js';

/**
 * Collects the decoded bytes of an IDX file from a stream of chunks, checking the header as soon as it has
 * arrived: nothing beyond the header is buffered before the declared size is known and within `maxBytes`, and
 * reading stops one byte past the declared size (a gzip bomb is never inflated beyond it).
 */
async function collectIdx(
  chunks: AsyncIterable<Uint8Array>,
  what: string,
  at: DataLocation,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; cut: boolean }> {
  let head = new Uint8Array(0);
  let out: Uint8Array | undefined;
  let filled = 0;
  for await (const chunk of chunks) {
    if (out === undefined) {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      const size = declaredSize(joined.subarray(0, Math.min(joined.length, 4 + 4 * 255)), what, at, maxBytes);
      if (size === undefined) {
        head = joined.slice(0, Math.min(joined.length, 4 + 4 * 255));
        continue;
      }
      out = new Uint8Array(size + 1); // one spare byte detects "longer than its header says"
      filled = Math.min(joined.length, out.length);
      out.set(joined.subarray(0, filled));
    } else {
      const take = Math.min(chunk.length, out.length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
    }
    if (filled === out.length) break; // over-long: decodeIdx reports it; stop reading or inflating
  }
  return out === undefined
    ? { bytes: head, cut: false }
    : { bytes: out.subarray(0, filled), cut: filled === out.length };
}

/** Bytes already in memory need no streaming: only the limit check on the declared size. */
function checkedInMemory(bytes: Uint8Array, what: string, at: DataLocation, maxBytes: number): Uint8Array {
  declaredSize(bytes.subarray(0, 4 + 4 * 255), what, at, maxBytes);
  return bytes;
}

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>;
}

async function* inflated(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gz = createGunzip({ chunkSize: 1 << 16 });
  const piped = Readable.from(compressed).pipe(gz);
  try {
    yield* piped as AsyncIterable<Uint8Array>;
  } finally {
    piped.destroy();
  }
}

export async function readIdxBytes(
  source: IdxSource,
  argument: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; what: string; at: DataLocation; cut: boolean }> {
  let what: string;
  let at: DataLocation;
  let first: Uint8Array;
  let chunks: () => AsyncIterable<Uint8Array>;
  if (typeof source === 'string') {
    what = source;
    at = { file: source };
    try {
      const handle = await open(source, 'r');
      try {
        first = new Uint8Array(2);
        const { bytesRead } = await handle.read(first, 0, 2, 0);
        first = first.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (cause) {
      throw new DataError(`loadIdx: cannot read ${source}: ${(cause as Error).message}`, at, { cause });
    }
    chunks = () => fileChunks(source);
  } else if (source instanceof Uint8Array) {
    what = 'IDX data';
    at = {};
    first = source.subarray(0, 2);
    chunks = async function* () {
      for (let k = 0; k < source.length; k += 1 << 20) yield source.subarray(k, k + (1 << 20));
    };
  } else {
    throw new ArgumentError(
      argument,
      `loadIdx: "${argument}" must be a file path or a Uint8Array, got ${typeof source}`,
    );
  }
  const gzipped = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  if (!gzipped && source instanceof Uint8Array)
    return { bytes: checkedInMemory(source, what, at, maxBytes), what, at, cut: false };
  try {
    const { bytes, cut } = await collectIdx(gzipped ? inflated(chunks()) : chunks(), what, at, maxBytes);
    return { bytes, what, at, cut };
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const message = (cause as Error).message;
    throw new DataError(
      gzipped
        ? `loadIdx: ${what} is gzip data that is corrupt or truncated: ${message}`
        : `loadIdx: cannot read ${what}: ${message}`,
      at,
      { cause },
    );
  }
}
