import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { showValue } from '../show-value.js';
import type { Batch, LossTerms } from './trainable-model.js';

/** A value for a message: tensors by shape, anything else as `showValue` prints it. */
function show(v: unknown): string {
  return v instanceof tf.Tensor ? `a tensor of shape [${v.shape}]` : showValue(v);
}

/**
 * Checks what a model's `namedVariables()` or `stateVariables()` returned: a Map of live `tf.Variable`s (a user
 * model that returns an array, a plain tensor or a disposed variable gets a typed error here instead of a raw tfjs
 * error from inside the optimizer).
 * @throws ArgumentError naming `model`.
 */
export function checkModelVariables(
  vars: unknown,
  method: 'namedVariables' | 'stateVariables',
): Map<string, tf.Variable> {
  if (!(vars instanceof Map)) {
    throw new ArgumentError(
      'model',
      `fit: model.${method}() must return a Map<string, tf.Variable>, got ${show(vars)}`,
    );
  }
  for (const [name, v] of vars as Map<unknown, unknown>) {
    if (!(v instanceof tf.Variable)) {
      throw new ArgumentError(
        'model',
        `fit: model.${method}() gives "${String(name)}" as ${show(v)}, not a tf.Variable`,
      );
    }
    if (v.isDisposed) throw new ArgumentError('model', `fit: the variable "${String(name)}" of the model is disposed`);
  }
  // one variable under two names would be stepped twice a step (Adam's moments and update applied to it twice)
  const seen = new Map<tf.Variable, string>();
  for (const [name, v] of vars as Map<string, tf.Variable>) {
    const first = seen.get(v);
    if (first !== undefined) {
      throw new ArgumentError(
        'model',
        `fit: model.${method}() gives one variable under two names, "${first}" and "${name}" (it would be updated twice a step; a network shared by two parts of a model must be listed once)`,
      );
    }
    seen.set(v, name);
  }
  return vars as Map<string, tf.Variable>;
}

/**
 * Checks a batch a source gave against its declared `widths`: an object holding, for every declared field, a 2-D
 * tensor of that width, all with the same number (≥ 1) of rows. An invalid batch's tensors are disposed (the Trainer
 * owns every batch it receives).
 * @throws ShapeError naming `argument` (the source) and the field.
 */
export function checkBatch(batch: unknown, widths: Readonly<Record<string, number>>, argument: string): Batch {
  if (typeof batch !== 'object' || batch === null)
    return refuseBatch(batch, argument, `must be an object of 2-D tensors, got ${show(batch)}`);
  let rows: number | undefined;
  for (const name of Object.keys(widths)) {
    const width = widths[name]!;
    const t = (batch as Record<string, unknown>)[name];
    if (!(t instanceof tf.Tensor) || t.rank !== 2) {
      return refuseBatch(batch, argument, `must hold field "${name}" as a 2-D tensor [rows, ${width}], got ${show(t)}`);
    }
    if (t.shape[1] !== width)
      return refuseBatch(
        batch,
        argument,
        `has field "${name}" of shape [${t.shape}]; the source declares width ${width}`,
      );
    if (t.shape[0] < 1 || (rows !== undefined && t.shape[0] !== rows)) {
      return refuseBatch(
        batch,
        argument,
        `has field "${name}" with ${t.shape[0]} rows${rows === undefined ? '' : `, the others ${rows}`}`,
      );
    }
    rows = t.shape[0];
  }
  return batch as Batch;
}

/** Disposes the tensors of a refused batch (the Trainer owns it) and throws. */
function refuseBatch(batch: unknown, argument: string, message: string): never {
  if (typeof batch === 'object' && batch !== null) {
    tf.dispose(Object.values(batch).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
  }
  throw new ShapeError(argument, `fit: a batch of "${argument}" ${message}`);
}

/** Whether `v` is a scalar tensor. */
function isScalar(v: unknown): boolean {
  return v instanceof tf.Tensor && v.rank === 0;
}

/**
 * Checks what `lossTerms` returned: an object whose `loss` is a scalar tensor, and whose `reconstruction` and `kl`,
 * when given, are scalar tensors too.
 * @throws ArgumentError naming `model`.
 */
export function checkLossTerms(terms: unknown): LossTerms {
  const t = terms as Partial<Record<keyof LossTerms, unknown>> | null;
  if (typeof (t as { then?: unknown } | null)?.then === 'function') {
    // an async lossTerms: the gradient tape records only what runs before the first await
    throw new ArgumentError(
      'model',
      'fit: model.lossTerms() returned a Promise; it must compute the loss synchronously (the gradient tape records only what runs before an await)',
    );
  }
  if (typeof t !== 'object' || t === null || !isScalar(t.loss)) {
    throw new ArgumentError(
      'model',
      `fit: model.lossTerms() must return { loss: a scalar tensor, reconstruction?, kl? }, got ${
        typeof t === 'object' && t !== null ? `loss ${show(t.loss)}` : show(t)
      }`,
    );
  }
  const badTerm =
    t.reconstruction !== undefined && !isScalar(t.reconstruction)
      ? 'reconstruction'
      : t.kl !== undefined && !isScalar(t.kl)
        ? 'kl'
        : undefined;
  if (badTerm) {
    throw new ArgumentError(
      'model',
      `fit: model.lossTerms() gave "${badTerm}" as ${show(t[badTerm])}, not a scalar tensor`,
    );
  }
  return t as LossTerms;
}

/**
 * Checks what `fusedLoss` returned: undefined or a scalar tensor. Anything else is disposed (when a tensor).
 * @throws ArgumentError naming `model`.
 */
export function checkFusedLoss(loss: unknown): tf.Scalar | undefined {
  if (loss === undefined || (loss instanceof tf.Tensor && loss.rank === 0 && !loss.isDisposed)) {
    return loss as tf.Scalar | undefined;
  }
  if (loss instanceof tf.Tensor && !loss.isDisposed) loss.dispose();
  throw new ArgumentError(
    'model',
    `fit: model.fusedLoss() must return undefined or a scalar tensor, got ${show(loss)}`,
  );
}

/**
 * Checks what a source's `epoch()` returned: an iterable or async iterable of batches.
 * @throws ArgumentError naming `argument` (the source).
 */
export function checkEpochIterable(it: unknown, argument: string): Iterable<Batch> | AsyncIterable<Batch> {
  const o = it as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    (typeof o[Symbol.iterator] !== 'function' && typeof o[Symbol.asyncIterator] !== 'function')
  ) {
    throw new ArgumentError(
      argument,
      `fit: "${argument}".epoch() must return an iterable or async iterable of batches, got ${show(it)}`,
    );
  }
  return it as Iterable<Batch> | AsyncIterable<Batch>;
}
