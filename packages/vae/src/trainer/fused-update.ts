import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { FusedAdamOptimizer, type InStepAdam } from '@varia/layers';
import { showValue } from '../show-value.js';
import { checkLossTerms } from './model-contract.js';
import type { FusedGradients, LossTerms } from './trainable-model.js';

/**
 * The in-step update a training step's context offers ({@link StepContext.inStepAdam}): a step of `optimizer` begun
 * over the trained variables, where it is a {@link FusedAdamOptimizer} on a backend with the in-place Adam kernel and
 * every variable is alive (a disposed one fails the step as it does without this); else undefined. The caller ends it
 * (`applyFusedGradients` does, or `close()` in a `finally`).
 */
export function beginInStepAdam(optimizer: tf.Optimizer, trainable: readonly tf.Variable[]): InStepAdam | undefined {
  // not `instanceof`: tfjs gives Optimizer a Symbol.hasInstance that every optimizer satisfies
  if (!Object.prototype.isPrototypeOf.call(FusedAdamOptimizer.prototype, optimizer)) return undefined;
  for (let i = 0; i < trainable.length; i++) if (trainable[i]!.isDisposed) return undefined;
  return (optimizer as FusedAdamOptimizer).beginStep(trainable);
}

/**
 * Applies a model's tape-free step ({@link FusedGradients}) as `optimizer.minimize` applies the tape's: the
 * gradients, in the order of the trained variables, go to `applyGradients` (which also ends `inStep`, the step's
 * in-step update, when one was offered), then are freed. Returns the step's terms (the caller owns them). Checks the
 * contract first: every trained variable has exactly one of a gradient and an in-step update; on any error every
 * tensor of `fused` is freed.
 * @throws ArgumentError naming the model when a gradient is missing or misshapen, a variable was updated in step and
 * not named in `updated` (or the reverse) or has both, or the terms are not scalars.
 */
export function applyFusedGradients(
  fused: FusedGradients,
  optimizer: tf.Optimizer,
  trainable: readonly tf.Variable[],
  names: readonly string[],
  inStep?: InStepAdam,
): LossTerms {
  if (!isFusedGradients(fused)) {
    freeTensorsOf(fused);
    throw new ArgumentError(
      'model',
      `fit: model.fusedGradients() must return undefined or { terms, grads: Map<variable name, tensor> }, got ${showValue(fused)}`,
    );
  }
  const { terms, grads } = fused;
  try {
    checkLossTerms(terms);
    const updated = checkUpdated(fused.updated, trainable, names, inStep);
    const named: { name: string; tensor: tf.Tensor }[] = [];
    for (let i = 0; i < trainable.length; i++) {
      const v = trainable[i]!;
      const name = names[i]!;
      const tensor = grads.get(name);
      if (updated?.has(name)) {
        if (tensor !== undefined) {
          throw new ArgumentError(
            'model',
            `fit: model.fusedGradients() gave "${name}" both a gradient and an in-step update (it takes one of them)`,
          );
        }
        continue;
      }
      if (tensor instanceof tf.Tensor && tensor.isDisposed) {
        throw new ArgumentError(
          'model',
          `fit: model.fusedGradients() gave a disposed gradient for "${name}" (a Map of gradients built inside tf.tidy loses them when the tidy ends: build it outside, or tf.keep each gradient)`,
        );
      }
      if (!(tensor instanceof tf.Tensor) || !tf.util.arraysEqual(tensor.shape, v.shape)) {
        throw new ArgumentError(
          'model',
          `fit: model.fusedGradients() must give a gradient of shape [${v.shape.join(', ')}] for "${name}", got ${
            tensor instanceof tf.Tensor
              ? `[${tensor.shape.join(', ')}]`
              : tensor === undefined
                ? 'none'
                : showValue(tensor)
          }`,
        );
      }
      named.push({ name: v.name, tensor });
    }
    optimizer.applyGradients(named);
  } catch (e) {
    tf.dispose([terms.loss, terms.reconstruction, terms.kl].filter((t): t is tf.Scalar => t instanceof tf.Tensor));
    throw e;
  } finally {
    // one by one: tf.dispose would walk the array as a container first
    for (const t of grads.values()) if (t instanceof tf.Tensor) t.dispose();
  }
  return terms;
}

/**
 * Checks `updated` of a model's {@link FusedGradients} against what the step's in-step update recorded: each name a
 * trained variable that was updated in step, and every variable updated in step named. Returns it (undefined for none).
 * @throws ArgumentError naming the model otherwise.
 */
function checkUpdated(
  updated: unknown,
  trainable: readonly tf.Variable[],
  names: readonly string[],
  inStep: InStepAdam | undefined,
): ReadonlySet<string> | undefined {
  if (updated !== undefined && !(updated instanceof Set)) {
    throw new ArgumentError(
      'model',
      `fit: model.fusedGradients() must give "updated" as a Set of variable names, got ${showValue(updated)}`,
    );
  }
  const claimed = updated as ReadonlySet<string> | undefined;
  const done = inStep?.updatedCount ?? 0;
  if (done === 0 && (claimed === undefined || claimed.size === 0)) return undefined;
  let matched = 0;
  for (let i = 0; i < trainable.length; i++) {
    const name = names[i]!;
    const said = claimed?.has(name) === true;
    if (said !== (inStep?.isUpdated(trainable[i]!) === true)) {
      throw new ArgumentError(
        'model',
        said
          ? `fit: model.fusedGradients() names "${name}" as updated in step, but ${
              inStep ? 'did not update it through ctx.inStepAdam' : 'this step offered no ctx.inStepAdam'
            }`
          : `fit: model.fusedGradients() updated "${name}" through ctx.inStepAdam but does not name it in "updated"`,
      );
    }
    if (said) matched++;
  }
  if (claimed && matched !== claimed.size) {
    const stray = [...claimed].find((name) => !names.includes(name));
    throw new ArgumentError(
      'model',
      `fit: model.fusedGradients() names ${showValue(stray)} as updated in step, which is no trained variable`,
    );
  }
  return claimed;
}

/** Whether a model's return value has the shape of {@link FusedGradients} (its contents are checked afterwards). */
function isFusedGradients(v: unknown): v is FusedGradients {
  const o = v as Partial<FusedGradients> | null;
  return (
    typeof o === 'object' && o !== null && typeof o.terms === 'object' && o.terms !== null && o.grads instanceof Map
  );
}

/** Frees the tensors a malformed return value holds (one level into its terms and grads: a Map, array or object). */
function freeTensorsOf(v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  const o = v as { terms?: unknown; grads?: unknown };
  const found: unknown[] = [];
  for (const part of [o.terms, o.grads]) {
    if (part instanceof Map) found.push(...part.values());
    else if (typeof part === 'object' && part !== null) found.push(...Object.values(part));
  }
  tf.dispose(found.filter((t): t is tf.Tensor => t instanceof tf.Tensor && !t.isDisposed));
}
