import * as tf from '@tensorflow/tfjs-core';

/**
 * A declarative constraint on a tensor's values (torch.distributions' `constraints`). Validation reads these: a
 * distribution declares `argConstraints` for its parameters and `support` for its values.
 */
export interface Constraint {
  /** A short name, e.g. `"positive"`. */
  readonly name: string;
  /** What a valid value looks like, for error messages, e.g. `"> 0"`. */
  readonly description: string;
  /** Whether the constraint holds for finite values only (NaN and ±Infinity are always rejected when true). */
  readonly finite: boolean;
  /** Element-wise check of `value` (a bool tensor of the same shape). `eventDims` trailing dims form one event. */
  check(value: tf.Tensor): tf.Tensor;
  /** How many trailing dimensions one event of this constraint spans (0 for element-wise constraints). */
  readonly eventDims: number;
  /**
   * A value inside the support (element-wise constraints), which `logProb` without validation puts in place of the
   * values outside it before a family's formula: their −∞ then comes from the mask alone, and no NaN of the formula
   * at such a value reaches the gradients of the values inside (0 · NaN is NaN through the mask's `where`).
   */
  readonly inside?: number;
}

function elementwise(
  name: string,
  description: string,
  check: (x: tf.Tensor) => tf.Tensor,
  inside: number,
  finite = true,
): Constraint {
  return { name, description, finite, check, eventDims: 0, inside };
}

const isInteger = (x: tf.Tensor): tf.Tensor => tf.equal(x, tf.round(x));

/** Any real number. */
export const real = elementwise('real', 'a finite real number', (x) => tf.cast(tf.onesLike(x), 'bool'), 0);
/** x > 0. */
export const positive = elementwise('positive', '> 0', (x) => tf.greater(x, 0), 1);
/** x ≥ 0. */
export const nonNegative = elementwise('nonNegative', '>= 0', (x) => tf.greaterEqual(x, 0), 1);
/** x ∈ {0, 1, 2, …}. */
export const nonNegativeInteger = elementwise(
  'nonNegativeInteger',
  'a non-negative integer',
  (x) => tf.logicalAnd(tf.greaterEqual(x, 0), isInteger(x)),
  0,
);
/** x ∈ {0, 1}. */
export const boolean = elementwise('boolean', '0 or 1', (x) => tf.logicalOr(tf.equal(x, 0), tf.equal(x, 1)), 0);
/** 0 ≤ x ≤ 1. */
export const unitInterval = elementwise(
  'unitInterval',
  'in [0, 1]',
  (x) => tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 1)),
  0.5,
);
/** 0 < x < 1. */
export const openUnitInterval = elementwise(
  'openUnitInterval',
  'in (0, 1)',
  (x) => tf.logicalAnd(tf.greater(x, 0), tf.less(x, 1)),
  0.5,
);

/** x > lower. */
export function greaterThan(lower: number): Constraint {
  return elementwise(
    `greaterThan(${lower})`,
    `> ${lower}`,
    (x) => tf.greater(x, lower),
    lower + Math.max(1, Math.abs(lower)),
  );
}

/** x < upper. */
export function lessThan(upper: number): Constraint {
  return elementwise(
    `lessThan(${upper})`,
    `< ${upper}`,
    (x) => tf.less(x, upper),
    upper - Math.max(1, Math.abs(upper)),
  );
}

/** Vectors on the probability simplex along the last axis: entries ≥ 0 that sum to 1 (within 1e-5). */
export const simplex: Constraint = {
  name: 'simplex',
  description: 'non-negative and summing to 1 along the last axis',
  finite: true,
  eventDims: 1,
  check: (x) => tf.logicalAnd(tf.all(tf.greaterEqual(x, 0), -1), tf.less(tf.abs(tf.sub(tf.sum(x, -1), 1)), 1e-5)),
};

/** One-hot vectors along the last axis. */
export const oneHot: Constraint = {
  name: 'oneHot',
  description: 'one-hot along the last axis',
  finite: true,
  eventDims: 1,
  check: (x) => tf.logicalAnd(tf.all(tf.logicalOr(tf.equal(x, 0), tf.equal(x, 1)), -1), tf.equal(tf.sum(x, -1), 1)),
};

/** Element-wise real values forming events of `eventDims` trailing dims (e.g. the support of a multivariate normal). */
export function independent(base: Constraint, eventDims: number): Constraint {
  return {
    name: `independent(${base.name}, ${eventDims})`,
    description: base.description,
    finite: base.finite,
    eventDims: base.eventDims + eventDims,
    check: (x) => {
      let ok = base.check(x);
      const rank = ok.rank;
      if (eventDims > 0)
        ok = tf.all(
          ok,
          Array.from({ length: eventDims }, (_, i) => rank - 1 - i),
        );
      return ok;
    },
  };
}

/** Integers in [lower, upper] (e.g. category indices 0…K−1). */
export function integerInterval(lower: number, upper: number): Constraint {
  return elementwise(
    `integerInterval(${lower}, ${upper})`,
    `an integer in [${lower}, ${upper}]`,
    (x) => tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(x, lower), tf.lessEqual(x, upper)), isInteger(x)),
    lower,
  );
}

/**
 * Unnormalized log-probabilities along the last axis: each entry a real number or −∞ (a category of probability 0),
 * at least one finite entry per vector; NaN and +∞ are refused.
 */
export const logitsVector: Constraint = {
  name: 'logitsVector',
  description: 'real or -Infinity along the last axis, with at least one finite entry',
  finite: false,
  eventDims: 1,
  check: (x) =>
    tf.logicalAnd(
      tf.all(tf.logicalAnd(tf.logicalNot(tf.isNaN(x)), tf.less(x, Infinity)), -1),
      tf.any(tf.greater(x, -Infinity), -1),
    ),
};
