/*
 * An independent IDX writer for the tests, straight from the format description: big-endian magic 0x0000TTDD,
 * DD big-endian uint32 sizes, then big-endian values.
 */
export const CODES = {
  uint8: [0x08, 1],
  int8: [0x09, 1],
  int16: [0x0b, 2],
  int32: [0x0c, 4],
  float32: [0x0d, 4],
  float64: [0x0e, 8],
} as const;
export function encodeIdx(dtype: keyof typeof CODES, dims: number[], values: number[]): Uint8Array {
  const [code, size] = CODES[dtype];
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length * size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (code << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  values.forEach((v, k) => {
    const at = header + k * size;
    if (dtype === 'uint8') view.setUint8(at, v);
    else if (dtype === 'int8') view.setInt8(at, v);
    else if (dtype === 'int16') view.setInt16(at, v);
    else if (dtype === 'int32') view.setInt32(at, v);
    else if (dtype === 'float32') view.setFloat32(at, v);
    else view.setFloat64(at, v);
  });
  return out;
}
