import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, assertMatrix, DataError, type Matrix, ShapeError } from '@varia/core';
import { showValue } from '../show-value.js';
import { describe, rowArraysToMatrix } from './block-rows.js';

/*
 * The fields a random-access or stream source's batches carry besides `x` — `labels`, a user model's own covariates,
 * … — declared once by width (`fields: { labels: 10 }`) and read from each callback result or block
 * (`{ matrix, labels }`), for a model trained with `fitModel`. Internal.
 */

/**
 * Checks a source's `fields` option (the widths of the fields its batches carry besides `x`).
 * @throws ArgumentError for something that is not a record of positive integer widths, or a field named `x` or
 *   `matrix` (the names of the examples' rows) or `__proto__`.
 */
export function checkFields(fields: unknown, where: string): Readonly<Record<string, number>> {
  if (fields === undefined) return {};
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new ArgumentError(
      'fields',
      `${where}: "fields" must be a record of widths, e.g. { labels: 10 }, got ${describe(fields)}`,
    );
  }
  const out: Record<string, number> = {};
  for (const [name, width] of Object.entries(fields)) {
    if (name === 'x' || name === 'matrix') {
      throw new ArgumentError('fields', `${where}: "fields" cannot declare "${name}": it names the examples' rows`);
    }
    if (name === '__proto__') {
      // (an own "__proto__" key, e.g. from JSON.parse, would set the record's prototype instead: silently dropped)
      throw new ArgumentError('fields', `${where}: "fields" cannot declare "__proto__"`);
    }
    if (typeof width !== 'number' || !Number.isSafeInteger(width) || width < 1) {
      throw new ArgumentError(
        'fields',
        `${where}: field "${name}" must have a positive integer width, got ${showValue(width)}`,
      );
    }
    out[name] = width;
  }
  return out;
}

/**
 * Reads the rows of the declared field `name` that a callback result or stream block carries (`{ matrix, [name] }`):
 * a Matrix `[rows, width]` or rows as an array, every value finite. `what` names the callback or block, `rowAt(k)` the
 * row of its row k in the whole data.
 * @returns the values, `rows × width`, row-major (the given Matrix's own array, or a copy of the rows).
 * @throws ArgumentError when the field is missing or not rows; ShapeError for a wrong number of rows or columns;
 *   DataError naming the field, row and column of a value that is not a finite number.
 */
export function readField(
  given: unknown,
  name: string,
  width: number,
  rows: number,
  what: string,
  rowAt: (k: number) => number,
): Float32Array {
  const isItem = typeof given === 'object' && given !== null && !Array.isArray(given) && !(given instanceof tf.Tensor);
  const value = isItem ? (given as Record<string, unknown>)[name] : undefined;
  const where = `${what}, field "${name}"`;
  if (value === undefined) {
    throw new ArgumentError(
      name,
      `${what} carries no "${name}" rows: the source declares the field "${name}" (${width} values per example), so each must give { matrix, ${name} } with one row per example`,
    );
  }
  let m: Matrix;
  if (Array.isArray(value)) {
    if (value.length !== rows) {
      throw new ShapeError(name, `${where} has ${value.length} rows, the block ${rows}: one row per example`);
    }
    m = rowArraysToMatrix(value, width, where, rowAt, name);
  } else if (typeof value === 'object' && value !== null && (value as Matrix).data instanceof Float32Array) {
    m = value as Matrix;
    assertMatrix(m, name);
    if (m.rows !== rows || m.cols !== width) {
      throw new ShapeError(
        name,
        `${where} is ${m.rows} × ${m.cols}, expected ${rows} × ${width} (one row per example)`,
      );
    }
  } else {
    throw new ArgumentError(
      name,
      `${where} must be a Matrix { data: Float32Array, rows, cols } or rows (number[][], Float32Array[]); got ${describe(value)}`,
    );
  }
  const data = m.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const [k, j] = [Math.floor(i / width), i % width];
      throw new DataError(
        `${where} at row ${rowAt(k)}, column ${j} is ${showValue(data[i])}: a field's values must be finite`,
        { row: rowAt(k), column: j + 1 }, // DataLocation: 1-based column
      );
    }
  }
  return data;
}
