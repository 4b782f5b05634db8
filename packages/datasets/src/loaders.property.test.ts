import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdx } from './idx.js';
import { type LoadedMatrix, loadMatrix, type LoadMatrixOptions } from './load-matrix.js';
import { CODES, encodeIdx } from './test-utils/idx-writer.js';
import { propertyRuns } from './test-utils/property-runs.js';

/*
 * Property-based tests of the file loaders (fast-check): every generated input either loads correctly or is refused
 * with a VariaError — never a raw error, a hang or a silently wrong value. Well-formed inputs are generated from
 * values and must load back exactly; arbitrary and mutated inputs must be refused cleanly or load self-consistently.
 */

const dir = mkdtempSync(join(tmpdir(), 'varia-loaders-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(bytes: string | Uint8Array): string {
  const path = join(dir, `f${files++}`);
  writeFileSync(path, bytes);
  return path;
}

async function outcome<T>(run: () => Promise<T>): Promise<{ ok: T } | { error: VariaError }> {
  try {
    return { ok: await run() };
  } catch (e) {
    if (!(e instanceof VariaError)) throw new Error(`a raw error escaped: ${String(e)}`, { cause: e });
    return { error: e };
  }
}

function consistent(m: LoadedMatrix, options: LoadMatrixOptions): void {
  expect(m.x.data.length).toBe(m.x.rows * m.x.cols);
  expect(m.x.rows).toBeGreaterThan(0);
  for (const v of m.x.data) {
    expect(Number.isFinite(v)).toBe(true);
    if (options.dtype === 'counts') expect(Number.isInteger(v) && v >= 0).toBe(true);
  }
  if (m.rowNames) expect(m.rowNames.length).toBe(m.x.rows);
  if (m.columnNames) expect(m.columnNames.length).toBe(m.x.cols);
}

describe('loadMatrix (properties)', () => {
  const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
  const count = fc.integer({ min: 0, max: 2 ** 24 });
  /** How a value may be written: shortest decimal, exponent form, padded with blanks, quoted. */
  const style = fc.constantFrom('plain', 'exp', 'padded', 'quoted');
  function format(v: number, how: string): string {
    const text = how === 'exp' ? v.toExponential() : String(v);
    return how === 'padded' ? `  ${text} ` : how === 'quoted' ? `"${text}"` : text;
  }

  it('loads every well-formed matrix back exactly (text and file, LF and CRLF, any delimiter)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }).chain((cols) =>
          fc.array(fc.array(fc.tuple(fc.oneof(float32, count), style), { minLength: cols, maxLength: cols }), {
            minLength: 1,
            maxLength: 8,
          }),
        ),
        fc.constantFrom(',', '\t', ';', ' | '),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        async (asFile, rows, delimiter, eol, trailingEol) => {
          const text =
            rows.map((r) => r.map(([v, how]) => format(v, how)).join(delimiter)).join(eol) + (trailingEol ? eol : '');
          const options: LoadMatrixOptions = { dtype: 'real', delimiter };
          const m = await loadMatrix(asFile ? write(text) : { text }, options);
          expect([m.x.rows, m.x.cols]).toEqual([rows.length, rows[0]!.length]);
          // the reference: the JavaScript spec's Number() of the written text, rounded to float32
          expect(Array.from(m.x.data)).toEqual(
            rows.flat().map(([v, how]) => Math.fround(Number(format(v, how === 'quoted' ? 'plain' : how)))),
          );
        },
      ),
      { numRuns: propertyRuns(100), seed: 1301 },
    );
  });

  /** Text from an alphabet that hits the parser's branches: digits, signs, exponents, x/b/o, quotes, blanks, breaks. */
  const csvish = fc.string({
    unit: fc.constantFrom(...'0123456789.,;\t\n\r "-+eExXbBoOaN I\u00a0\ufeff'.split('')),
    maxLength: 80,
  });

  it('either loads arbitrary text self-consistently or refuses it with a VariaError, the same from text and file', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvish,
        fc.constantFrom<LoadMatrixOptions['dtype']>('real', 'counts'),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        async (text, dtype, header, rowNames, maxLineLength) => {
          const options: LoadMatrixOptions = { dtype, header, rowNames, maxLineLength };
          const fromText = await outcome(() => loadMatrix({ text, name: 'the-input' }, options));
          const path = write(text);
          const fromFile = await outcome(() => loadMatrix(path, options));
          if ('ok' in fromText) {
            consistent(fromText.ok, options);
            expect('ok' in fromFile && fromFile.ok).toEqual(fromText.ok);
          } else {
            expect(fromText.error).toBeInstanceOf(DataError);
            expect('error' in fromFile && fromFile.error.message).toBe(
              fromText.error.message.replace('the-input', path),
            );
          }
        },
      ),
      { numRuns: propertyRuns(200), seed: 1302 },
    );
  });
});

describe('loadIdx (properties)', () => {
  const dtypes = Object.keys(CODES) as (keyof typeof CODES)[];
  /** Values that each dtype holds exactly. */
  function valuesOf(dtype: keyof typeof CODES): fc.Arbitrary<number> {
    switch (dtype) {
      case 'uint8':
        return fc.integer({ min: 0, max: 255 });
      case 'int8':
        return fc.integer({ min: -128, max: 127 });
      case 'int16':
        return fc.integer({ min: -32768, max: 32767 });
      case 'int32':
        return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      case 'float32':
        return fc.float({ noNaN: true });
      case 'float64':
        return fc.double({ noNaN: true });
    }
  }
  const wellFormed = fc
    .record({
      dtype: fc.constantFrom(...dtypes),
      dims: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
    })
    .chain(({ dtype, dims }) => {
      const n = dims.reduce((a, b) => a * b, 1);
      return fc.record({
        dtype: fc.constant(dtype),
        dims: fc.constant(dims),
        values: fc.array(valuesOf(dtype), { minLength: n, maxLength: n }),
      });
    });

  it('loads every well-formed file back exactly, plain or gzipped, from bytes or a file', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormed, fc.boolean(), fc.boolean(), async ({ dtype, dims, values }, gzip, asFile) => {
        const plain = encodeIdx(dtype, dims, values);
        const bytes = gzip ? gzipSync(plain) : plain;
        const a = await loadIdx(asFile ? write(bytes) : bytes);
        expect(a.dtype).toBe(dtype);
        expect(a.dims).toEqual(dims);
        expect(Array.from(a.data)).toEqual(values.map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
      }),
      { numRuns: propertyRuns(100), seed: 1303 },
    );
  });

  /** A well-formed file with bytes overwritten, cut or appended, or plain random bytes; gzipped or not. */
  const mutated = fc.oneof(
    fc
      .tuple(
        wellFormed.map(({ dtype, dims, values }) => encodeIdx(dtype, dims, values)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -8, max: 8 }),
      )
      .map(([bytes, edits, delta]) => {
        const out = new Uint8Array(Math.max(0, bytes.length + delta));
        out.set(bytes.subarray(0, out.length));
        for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
        return out;
      }),
    fc.uint8Array({ maxLength: 64 }),
  );

  it('either loads mutated or random bytes self-consistently or refuses them with a DataError', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.boolean(), fc.integer({ min: 8, max: 4096 }), async (plain, gzip, maxBytes) => {
        const result = await outcome(() => loadIdx(gzip ? gzipSync(plain) : plain, { maxBytes }));
        if ('error' in result) {
          expect(result.error).toBeInstanceOf(DataError);
          return;
        }
        const { dims, data } = result.ok;
        expect(data.length).toBe(dims.reduce((a, b) => a * b, 1));
        expect(4 + 4 * dims.length + data.length * data.BYTES_PER_ELEMENT).toBe(plain.length);
        expect(plain.length).toBeLessThanOrEqual(maxBytes);
      }),
      { numRuns: propertyRuns(200), seed: 1304 },
    );
  });
});
