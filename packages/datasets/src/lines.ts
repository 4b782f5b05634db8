import { open } from 'node:fs/promises';
import { ArgumentError, DataError } from '@varia/core';

/*
 * Line-by-line input for the text loaders (CSV/TSV, Matrix Market): a file streamed in 64 KiB chunks, or text in
 * memory, split on LF (a CR before it is the sink's business), with a bound on the line length that holds before a
 * line is held whole. Internal: not re-exported from the index.
 */

/**
 * Where a text loader reads from. A plain string is always a **file path**; the content itself is passed as
 * `{ text }` (with an optional `name` used in error messages). Nothing is guessed from the string's content.
 */
export type TextSource =
  | string
  | {
      /** The text itself. */
      text: string;
      /** A name for error messages (in place of a file path). */
      name?: string;
    };

/**
 * The default line-length limit of the text loaders (`maxLineLength`): 2²⁴ characters (16 Mi), e.g. a row of 1.6
 * million ten-character values. JavaScript strings cannot exceed about 2²⁹ characters, so without a limit one huge
 * line would end the process with a `RangeError`.
 */
export const LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH = 2 ** 24;

/** What receives the lines: one call per line, and a DataError naming the next line when it is too long. */
export interface LineSink {
  line(raw: string): void;
  tooLong(limit: number): never;
}

/** Checks a `maxLineLength` option (default {@link LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH}). */
export function requireMaxLineLength(where: string, value: unknown): number {
  if (value === undefined) return LOAD_MATRIX_DEFAULT_MAX_LINE_LENGTH;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(
      'maxLineLength',
      `${where}: "maxLineLength" must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The label for messages and the file (for `DataError.location`) of a source; ArgumentError for a bad one. */
export function describeSource(where: string, source: TextSource): { label: string; file: string | undefined } {
  if (typeof source === 'string') return { label: source, file: source };
  if (source !== null && typeof source === 'object' && typeof source.text === 'string') {
    return { label: source.name ?? '<text>', file: undefined };
  }
  throw new ArgumentError('source', `${where}: "source" must be a file path or { text }, got ${typeof source}`);
}

/** A line of `length` characters ending in `text`'s last character is over the limit (a trailing CR is free). */
function over(length: number, lastChar: number, limit: number): boolean {
  return length > limit + 1 || (length === limit + 1 && lastChar !== 13);
}

/**
 * Splits a text arriving in chunks into lines (on LF). A partial line is kept as a rope of chunks and refused as soon
 * as it exceeds the limit, so no line longer than the limit (plus one chunk) is ever held.
 */
export class LineSplitter {
  private carry = '';

  constructor(
    private readonly sink: Pick<LineSink, 'tooLong'>,
    private readonly limit: number,
  ) {}

  /** The lines that `chunk` completes, in order (the sink's `tooLong` throws for an overlong one). */
  push(chunk: string): string[] {
    const { sink, limit } = this;
    const lines: string[] = [];
    let end = chunk.indexOf('\n');
    if (end < 0) {
      this.carry += chunk;
      if (this.carry.length > limit + 1) sink.tooLong(limit);
      return lines;
    }
    const first = this.carry + chunk.slice(0, end);
    if (over(first.length, first.charCodeAt(first.length - 1), limit)) sink.tooLong(limit);
    lines.push(first);
    let start = end + 1;
    for (end = chunk.indexOf('\n', start); end >= 0; end = chunk.indexOf('\n', start)) {
      if (over(end - start, chunk.charCodeAt(end - 1), limit)) sink.tooLong(limit);
      lines.push(chunk.slice(start, end));
      start = end + 1;
    }
    this.carry = chunk.slice(start);
    if (this.carry.length > limit + 1) sink.tooLong(limit);
    return lines;
  }

  /** The last line, when the text does not end with a line break. */
  end(): string[] {
    const { carry, limit } = this;
    this.carry = '';
    if (carry.length === 0) return [];
    if (over(carry.length, carry.charCodeAt(carry.length - 1), limit)) this.sink.tooLong(limit);
    return [carry];
  }
}

/** The size of the chunks a source is read in: 64 KiB of a file, 64 Ki characters of text. */
const CHUNK = 1 << 16;

/**
 * The text of `source` in chunks: a file streamed (DataError naming it when it cannot be read; closed when the
 * consumer stops early), text sliced. Only one chunk is held at a time.
 */
export async function* sourceChunks(where: string, source: TextSource): AsyncGenerator<string, void, undefined> {
  if (typeof source !== 'string') {
    for (let k = 0; k < source.text.length; k += CHUNK) yield source.text.slice(k, k + CHUNK);
    return;
  }
  const unreadable = (cause: unknown): DataError =>
    new DataError(`${where}: cannot read ${source}: ${(cause as Error).message}`, { file: source }, { cause });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(source, 'r');
  } catch (cause) {
    throw unreadable(cause);
  }
  const input = handle.createReadStream({ encoding: 'utf8', autoClose: true, highWaterMark: CHUNK });
  const chunks = (input as AsyncIterable<string>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await chunks.next();
      } catch (cause) {
        throw unreadable(cause);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    input.destroy();
  }
}

/**
 * Feeds every line of `source` to `sink`: a file is streamed (DataError naming it when it cannot be read), text is
 * split in place. Errors the sink throws pass through.
 */
export async function feedLines(
  where: string,
  source: TextSource,
  sink: LineSink,
  maxLineLength: number,
): Promise<void> {
  const splitter = new LineSplitter(sink, maxLineLength);
  for await (const chunk of sourceChunks(where, source)) for (const line of splitter.push(chunk)) sink.line(line);
  for (const line of splitter.end()) sink.line(line);
}
