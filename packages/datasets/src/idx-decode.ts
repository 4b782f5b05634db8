// Decoding a whole IDX file into its dtype, dims and big-endian values.
import { DataError, type DataLocation } from '@varia/core';
import { hex32, type IdxArray, type IdxData, IDX_TYPES } from './idx-header.js';

/** Decodes a whole IDX file; `cut`: reading stopped one byte past the declared size, so the file is longer. */
export function decodeIdx(bytes: Uint8Array, what: string, at: DataLocation, cut = false): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(`loadIdx: ${what} is truncated: expected a 4-byte magic number, got ${bytes.length} bytes`, at);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = IDX_TYPES[bytes[2]!];
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    throw new DataError(
      `loadIdx: ${what} has a bad magic number ${hex32(magic)}: expected 0x0000TTDD with type code TT in ` +
        `{08, 09, 0b, 0c, 0d, 0e} and DD ≥ 1 dimensions (0x00000801 for labels, 0x00000803 for images)`,
      at,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `loadIdx: ${what} is truncated: the header of a ${rank}-dimensional array needs ${headerBytes} bytes, got ${bytes.length}`,
      at,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d);
    dims.push(size);
    count *= size;
  }
  const expected = count * type.size;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new DataError(
      `loadIdx: ${what} is ${actual < expected ? 'truncated' : 'longer than its header says'}: dims [${dims.join(', ')}] ` +
        `of ${type.dtype} need ${expected} data bytes after the ${headerBytes}-byte header, got ${cut ? 'more' : actual}`,
      at,
    );
  }
  const start = headerBytes;
  let data: IdxData;
  switch (type.dtype) {
    case 'uint8':
    case 'int8': {
      // A copy into a fresh buffer: `bytes` may be a Node Buffer, whose `slice` is a view into a shared pool.
      const copy = new Uint8Array(count);
      copy.set(bytes.subarray(start, start + count));
      data = type.dtype === 'uint8' ? copy : new Int8Array(copy.buffer);
      break;
    }
    case 'int16':
      data = new Int16Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getInt16(start + 2 * k);
      break;
    case 'int32':
      data = new Int32Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getInt32(start + 4 * k);
      break;
    case 'float32':
      data = new Float32Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getFloat32(start + 4 * k);
      break;
    case 'float64':
      data = new Float64Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getFloat64(start + 8 * k);
      break;
  }
  return { dtype: type.dtype, dims, data };
}
