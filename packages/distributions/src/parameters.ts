import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import type { Constraint } from './constraints.js';
import { assertBackendRegistered } from './backend-check.js';
import { toTensorChecked } from './tensor-input.js';
import { broadcastShapes, shapesEqual, type TensorLike, uniformValue } from './tensor-like.js';
import { validateValue } from './validate.js';

/**
 * What a family declares about one constructor parameter (TFP's `ParameterProperties`): validation, broadcasting,
 * `expand` and `copy` read it.
 */
export interface ParameterProperties {
  /** The valid values; validated at construction when `validateArgs` is on. */
  readonly constraint: Constraint;
  /**
   * How many trailing dims of the parameter describe one event rather than one batch member (default 0): 1 for a
   * vector per distribution such as Dirichlet's `concentration` or Categorical's `logits`. A parameter given with
   * fewer dims is a ShapeError.
   */
  readonly eventRank?: number;
  /**
   * Maps an unconstrained real tensor onto the valid values (TFP's default constraining bijector), for heads
   * that predict this parameter. Default: {@link defaultTransform} of the constraint.
   */
  readonly transform?: (unconstrained: tf.Tensor) => tf.Tensor;
}

/** A family's parameter declaration, made once by {@link declareParameters}. */
export interface ParameterDeclaration<K extends string = string> {
  /** The properties of every parameter the constructor accepts, by name. */
  readonly properties: Readonly<Record<K, ParameterProperties>>;
  /** The accepted sets of names (alternative parameterizations): exactly one is given. */
  readonly parameterizations: readonly (readonly K[])[];
  /** The constraints by name (torch's `arg_constraints`). */
  readonly constraints: Readonly<Record<K, Constraint>>;
  /** The value of parameter `name` for an unconstrained real tensor (see {@link ParameterProperties.transform}). */
  transform(name: K, unconstrained: tf.Tensor): tf.Tensor;
}

/** Constraint name → map from ℝ onto the constraint (identity for `real`). */
const DEFAULT_TRANSFORMS: Readonly<Record<string, (x: tf.Tensor) => tf.Tensor>> = {
  real: (x) => x,
  positive: (x) => tf.softplus(x),
  nonNegative: (x) => tf.softplus(x),
  unitInterval: (x) => tf.sigmoid(x),
  openUnitInterval: (x) => tf.sigmoid(x),
  simplex: (x) => tf.softmax(x),
};

/** The map from unconstrained reals onto `constraint`: softplus for positive, sigmoid for the unit interval, … */
export function defaultTransform(constraint: Constraint): (x: tf.Tensor) => tf.Tensor {
  const base = constraint.name.replace(/^independent\((\w+), \d+\)$/, '$1');
  const f = DEFAULT_TRANSFORMS[base];
  if (!f) throw new ArgumentError('constraint', `no default transform onto "${constraint.name}"; declare one`);
  return f;
}

/**
 * Declares a family's parameters once. `parameterizations` lists the accepted sets of names when there are
 * alternatives (e.g. `[['logits'], ['probs']]`); by default all parameters are required together.
 */
export function declareParameters<K extends string>(
  properties: Record<K, ParameterProperties>,
  parameterizations?: readonly (readonly K[])[],
): ParameterDeclaration<K> {
  const names = Object.keys(properties) as K[];
  const constraints = {} as Record<K, Constraint>;
  for (const n of names) constraints[n] = properties[n].constraint;
  return {
    properties,
    parameterizations: parameterizations ?? [names],
    constraints,
    transform(name, unconstrained) {
      const p = properties[name];
      return (p.transform ?? defaultTransform(p.constraint))(unconstrained);
    },
  };
}

/** The result of {@link prepareParameters}. */
export interface PreparedParams<K extends string = string> {
  /**
   * The given parameters as float32 tensors, broadcast to `[...batchShape, ...eventShape of the parameter]`. Only the
   * names of the parameterization that was given are present.
   */
  readonly tensors: Record<K, tf.Tensor>;
  /** The names given (one of the declared parameterizations). */
  readonly given: readonly K[];
  /** The common batch shape. */
  readonly batchShape: number[];
  /** The broadcast shape of the parameters of the largest event rank (batch shape + their event dims). */
  readonly shape: number[];
  /** Tensors created here; the distribution disposes them. */
  readonly owned: tf.Tensor[];
  /** Parameters given as host data with one value everywhere, by name (see `Distribution.knownConstant`). */
  readonly constants: Readonly<Partial<Record<K, number>>>;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

const listOf = (names: readonly string[]): string => `{ ${names.join(', ')} }`;

/** Picks the parameterization matching the given names. @throws ArgumentError naming the missing or extra one. */
function chooseParameterization<K extends string>(owner: string, decl: ParameterDeclaration<K>, params: object): K[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params) || params instanceof tf.Tensor) {
    const expected = decl.parameterizations.map(listOf).join(' or ');
    throw new ArgumentError(
      'params',
      `${owner}: parameters must be an object like ${expected}, got ${params === null ? 'null' : Array.isArray(params) ? 'an array' : typeof params}`,
    );
  }
  const declared = Object.keys(decl.properties);
  const given: K[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (!declared.includes(key)) {
      const near = declared.filter((d) => editDistance(d.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = near.length > 0 ? `; did you mean "${near[0]}"?` : '';
      throw new ArgumentError(
        key,
        `${owner}: unknown parameter "${key}"${hint} (expected ${decl.parameterizations.map(listOf).join(' or ')})`,
      );
    }
    if (value !== undefined) given.push(key as K);
  }
  const match = decl.parameterizations.find(
    (set) => set.length === given.length && set.every((n) => given.includes(n)),
  );
  if (match) return [...match];
  const superset = decl.parameterizations.find((set) => given.every((n) => set.includes(n)));
  if (superset) {
    const missing = superset.find((n) => !given.includes(n))!;
    const message =
      decl.parameterizations.length > 1
        ? `pass exactly one of ${decl.parameterizations.map(listOf).join(' or ')}, got ${listOf(given)}`
        : `"${missing}" is required`;
    throw new ArgumentError(missing, `${owner}: ${message}`);
  }
  const extra = given[given.length - 1]!;
  throw new ArgumentError(
    extra,
    `${owner}: pass exactly one of ${decl.parameterizations.map(listOf).join(' or ')}, got ${listOf(given)}`,
  );
}

/**
 * Each parameter of event rank r needs r non-empty trailing dims, except that one with fewer dims broadcasts
 * against another parameter of the same event rank that has them (MultivariateNormalDiag's `scaleDiag: 1`).
 * @throws ShapeError naming the first parameter without its event dims.
 */
function checkEventRanks<K extends string>(
  owner: string,
  given: readonly K[],
  raw: Record<K, tf.Tensor>,
  rankOf: (n: K) => number,
): void {
  for (const name of given) {
    const r = rankOf(name);
    if (r === 0) continue;
    const t = raw[name];
    const full = (n: K): boolean => rankOf(n) === r && raw[n].rank >= r;
    const ok = (full(name) || given.some(full)) && !(t.rank >= r && t.shape.slice(-r).some((d) => d === 0));
    if (!ok) {
      throw new ShapeError(
        name,
        `${owner}: "${name}" must have at least ${r === 1 ? 'one axis (its last axis is the event)' : `${r} axes (its last ${r} axes are the event)`} of non-zero length, got shape [${t.shape.join(', ')}]`,
      );
    }
  }
}

/**
 * Checks and converts a family's constructor parameters: picks the parameterization, converts each value with a
 * typed error for anything but numbers, rectangular arrays and tensors, checks event ranks, broadcasts the batch
 * dims (and the event dims of parameters of equal event rank) and, when `validate`, checks the constraints. Nothing
 * leaks when it throws.
 * @throws ArgumentError for missing, unknown, mistyped or invalid parameters; ShapeError for shapes that do not fit.
 */
export function prepareParameters<K extends string>(
  owner: string,
  decl: ParameterDeclaration<K>,
  params: Partial<Record<K, TensorLike>>,
  validate: boolean,
): PreparedParams<K> {
  // a BackendError that says what to import, before tfjs's own "No backend found in registry." at the first tensor
  assertBackendRegistered();
  const given = chooseParameterization(owner, decl, params);
  const owned: tf.Tensor[] = [];
  try {
    const raw = {} as Record<K, tf.Tensor>;
    const constants: Partial<Record<K, number>> = {};
    for (const name of given) {
      const value = params[name] as TensorLike;
      const t = toTensorChecked(owner, name, value);
      if (t !== value) owned.push(t);
      raw[name] = t;
      const constant = uniformValue(value);
      if (constant !== undefined) constants[name] = constant;
    }
    const rankOf = (n: K): number => decl.properties[n].eventRank ?? 0;
    checkEventRanks(owner, given, raw, rankOf);
    const describeShapes = (): string => given.map((n) => `"${n}" [${raw[n].shape.join(', ')}]`).join(', ');
    let batchShape: number[];
    const eventShapes = new Map<number, number[]>();
    try {
      batchShape = broadcastShapes(given.map((n) => raw[n].shape.slice(0, Math.max(0, raw[n].rank - rankOf(n)))));
      for (const n of given) {
        const r = rankOf(n);
        if (r === 0) continue;
        const ev = raw[n].shape.slice(Math.max(0, raw[n].rank - r));
        eventShapes.set(r, eventShapes.has(r) ? broadcastShapes([eventShapes.get(r)!, ev]) : ev);
      }
    } catch {
      throw new ShapeError(
        given.join(', '),
        `${owner}: parameter shapes ${describeShapes()} cannot be broadcast together`,
      );
    }
    const tensors = {} as Record<K, tf.Tensor>;
    for (const name of given) {
      const t = raw[name];
      const target = [...batchShape, ...(eventShapes.get(rankOf(name)) ?? [])];
      if (shapesEqual(t.shape, target)) {
        tensors[name] = t;
      } else {
        // t + 0 broadcasts like tf.broadcastTo, but its gradient is one reduction: broadcastTo is a Tile, whose
        // gradient takes one Slice per repeat (128 per step for a shared scale over a batch of 128)
        const b = tf.tidy(() => tf.add(t, tf.zeros(target)));
        owned.push(b);
        tensors[name] = b;
      }
    }
    if (validate) for (const name of given) validateValue(owner, name, tensors[name], decl.properties[name].constraint);
    const maxRank = Math.max(0, ...eventShapes.keys());
    return {
      tensors,
      given,
      batchShape,
      shape: [...batchShape, ...(eventShapes.get(maxRank) ?? [])],
      owned,
      constants,
    };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
}
