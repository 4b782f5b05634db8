// The IDX header: element types by type code, and the size a header declares (checked before any allocation).
import { DataError, type DataLocation } from '@varia/core';

/** The element types of the IDX format, by their type code in the magic number. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array {@link loadIdx} returns for each {@link IdxDtype}. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: an n-dimensional array in row-major order. */
export interface IdxArray {
  /** The element type from the magic number. */
  readonly dtype: IdxDtype;
  /** The dimensions, outermost first, e.g. `[60000, 28, 28]` for MNIST training images. */
  readonly dims: readonly number[];
  /** The values in row-major order, converted from big-endian to native numbers. */
  readonly data: IdxData;
}

/** Where IDX bytes come from: a file path (`.idx*`, or gzipped `.gz`), or the file's bytes. */
export type IdxSource = string | Uint8Array;

/** type code → dtype, element size, and a big-endian reader. */
export const IDX_TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The decoded size an IDX header declares, or a DataError. Reads only the header (`bytes` may be a prefix of the
 * file); returns `undefined` while the prefix is too short to tell.
 */
export function declaredSize(bytes: Uint8Array, what: string, at: DataLocation, maxBytes: number): number | undefined {
  if (bytes.length < 4) return undefined;
  const type = IDX_TYPES[bytes[2]!];
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    throw new DataError(
      `loadIdx: ${what} has a bad magic number ${hex32(magic)}: expected 0x0000TTDD with type code TT in ` +
        `{08, 09, 0b, 0c, 0d, 0e} and DD ≥ 1 dimensions (0x00000801 for labels, 0x00000803 for images)`,
      at,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  let total = type.size;
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) {
    dims.push(view.getUint32(4 + 4 * d));
    total *= dims[d]!;
  }
  // `!(… <= …)`: a product that overflowed to Infinity, or Infinity · 0 = NaN, is refused too
  if (!(headerBytes + total <= maxBytes)) {
    throw new DataError(
      `loadIdx: ${what} declares dims [${dims.join(', ')}] of ${type.dtype}, ${headerBytes + total} bytes, more than ` +
        `the limit of ${maxBytes} bytes (option "maxBytes")`,
      at,
    );
  }
  return headerBytes + total;
}
