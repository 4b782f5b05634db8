import { ArgumentError, type Matrix, SerializationError } from '@varia/core';

/**
 * What must be the same for a resumed run to continue the checkpointed one exactly: the data, the model's
 * architecture and every option that changes the trajectory. A custom `klSchedule` (a function) cannot be compared
 * and is the caller's responsibility.
 */
export interface RunFingerprint {
  /** Number of training examples. */
  n: number;
  /** Hash of the training examples (after a validation split): 64 bits over their shape and float32 bits. */
  dataHash: string;
  /** Hash of the validation examples (null: none). */
  validationHash: string | null;
  /** The model's resolved config (without the statistics `fit` records, such as `librarySizeMedian`). */
  config: Record<string, unknown>;
  /** Examples per step. */
  batchSize: number;
  /** The run's seed. */
  seed: number;
  /** Adam's step size. */
  learningRate: number;
  /** The constant KL weight β. */
  beta: number;
  /** Samples of z per example. */
  samples: number;
  /** Free bits per latent dimension. */
  freeBits: number;
  /** Whether examples are reshuffled each epoch. */
  shuffle: boolean;
  /** Warm-up epochs (null: none). */
  klWarmupEpochs: number | null;
  /** Warm-up steps (null: none). */
  klWarmupSteps: number | null;
  /** `fit`'s `sparseInput` when on (absent: false; it changes the weights by float32 rounding). */
  sparseInput?: true | 'auto';
}

/** Config fields that `fit` itself records from the data (covered by the data hash, not by the config). */
const RECORDED_BY_FIT = new Set(['librarySizeMedian']);

/** The part of a model config a checkpoint is tied to: a JSON copy without what `fit` records. */
export function configFingerprint(config: object): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const key of RECORDED_BY_FIT) delete copy[key];
  return copy;
}

/**
 * A 64-bit hash (16 hex digits) of a matrix's shape and float32 bits: two independent multiply–xor lanes (FNV-1a
 * style over 32-bit words, different primes and offsets), ~1 ns per value. Not cryptographic: it tells a resumed run
 * that it was given other data, not an attacker's.
 */
export function matrixHash(m: Matrix): string {
  const words = new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length);
  let a = 0x811c9dc5 ^ m.rows;
  let b = 0x9747b28c ^ Math.imul(m.cols, 0x85ebca6b);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x5bd1e995) ^ (b >>> 15);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ m.cols;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35) ^ m.rows;
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

/** The first difference between two JSON values, as `path: saved vs current`, or undefined. */
function difference(saved: unknown, current: unknown, path: string): string | undefined {
  if (typeof saved === 'object' && saved !== null && typeof current === 'object' && current !== null) {
    const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
    for (const key of keys) {
      const d = difference(
        (saved as Record<string, unknown>)[key],
        (current as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(saved, current)
    ? undefined
    : `${path}: the checkpoint has ${show(saved)}, this run has ${show(current)}`;
}

/**
 * Checks that a checkpoint can be resumed by this run, before anything is restored: the same data, config and
 * options, and no more epochs done than this run asks for.
 * @throws ArgumentError naming what differs (`data`, `validationData`, `config`, or the option); SerializationError
 *   for a fingerprint without the data and config (a checkpoint of an older version).
 */
export function assertResumable(
  saved: { epoch: number; fingerprint: Partial<RunFingerprint> },
  current: RunFingerprint,
  epochs: number,
): void {
  const fp = saved.fingerprint;
  if (typeof fp.dataHash !== 'string' || typeof fp.config !== 'object' || fp.config === null) {
    throw new SerializationError(
      'fit: cannot resume: the checkpoint has no hash of its data or config (it was written by an older version of @varia/vae)',
    );
  }
  const cannot = 'fit: cannot resume:';
  if (fp.n !== current.n || fp.dataHash !== current.dataHash) {
    throw new ArgumentError(
      'data',
      `${cannot} the training data differ from the checkpoint's (${fp.n} examples, hash ${fp.dataHash}; this run: ${current.n} examples, hash ${current.dataHash})`,
    );
  }
  if (fp.validationHash !== current.validationHash) {
    throw new ArgumentError(
      'validationData',
      `${cannot} the validation data differ from the checkpoint's (hash ${show(fp.validationHash)}, this run ${show(current.validationHash)})`,
    );
  }
  const configDiff = difference(fp.config, current.config, 'config');
  if (configDiff) throw new ArgumentError('config', `${cannot} the model differs from the checkpoint's: ${configDiff}`);
  for (const key of Object.keys(current) as (keyof RunFingerprint)[]) {
    if (key === 'n' || key === 'dataHash' || key === 'validationHash' || key === 'config' || key === 'sparseInput')
      continue;
    if (!Object.is(fp[key], current[key])) {
      throw new ArgumentError(
        key,
        `${cannot} the checkpoint was made with ${key} = ${show(fp[key])}, this run has ${show(current[key])}`,
      );
    }
  }
  const [savedSparse, sparse] = [fp.sparseInput ?? false, current.sparseInput ?? false];
  if (savedSparse !== sparse) {
    throw new ArgumentError(
      'sparseInput',
      `${cannot} the checkpoint was made with sparseInput = ${show(savedSparse)}, this run has ${show(sparse)}`,
    );
  }
  if (saved.epoch > epochs) {
    throw new ArgumentError(
      'epochs',
      `${cannot} the checkpoint has already completed ${saved.epoch} epochs, more than "epochs" = ${epochs}`,
    );
  }
}
