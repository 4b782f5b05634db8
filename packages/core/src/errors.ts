/**
 * The root of varia's error hierarchy. Every error that varia throws on purpose is a `VariaError`, so callers can
 * tell library-detected problems (bad arguments, bad data, corrupt files, divergence) from bugs.
 *
 * @example
 * ```ts
 * try { new Normal({ loc: 0, scale: -1 }); } catch (e) { if (e instanceof ArgumentError) console.log(e.argument); }
 * ```
 */
export class VariaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument has a wrong value: out of range, not finite, wrong type. `argument` names it. */
export class ArgumentError extends VariaError {
  /** The name of the offending argument, e.g. `"scale"` or `"batchSize"`. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.argument = argument;
  }
}

/** Tensor or array shapes do not fit together. `argument` names the offending argument. */
export class ShapeError extends VariaError {
  /** The name of the offending argument. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.argument = argument;
  }
}

/** Where in a file or data set a {@link DataError} was found (any field may be absent). */
export interface DataLocation {
  /** Path of the file, when the data came from a file. */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /**
   * 1-based column (field) number. For in-memory data, whose messages name 0-based indices ("row 3, column 1
   * (counting from 0)"), this is the column index + 1.
   */
  column?: number;
  /** 0-based row index of the example. */
  row?: number;
}

/** Input data is malformed: ragged rows, NaN, negative counts, bad magic numbers, truncated files, empty sets. */
export class DataError extends VariaError {
  /** Where the problem was found. */
  readonly location: DataLocation;
  constructor(message: string, location: DataLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }
}

/** A saved model or checkpoint could not be written or read: corrupt, truncated or mismatched. */
export class SerializationError extends VariaError {}

/** Training produced a non-finite loss. `epoch` and `step` say where; the model keeps its last good weights. */
export class DivergenceError extends VariaError {
  /** 1-based epoch in which the non-finite loss appeared. */
  readonly epoch: number;
  /** 0-based batch index within the epoch. */
  readonly step: number;
  constructor(message: string, epoch: number, step: number) {
    super(message);
    this.epoch = epoch;
    this.step = step;
  }
}

/**
 * TensorFlow.js is not set up for the requested operation: no backend is registered (the application did not import
 * `@tensorflow/tfjs`, `@tensorflow/tfjs-node` or a backend), or gradients are missing for training. The message says
 * what to import.
 */
export class BackendError extends VariaError {}

/** An operation is not defined for this object, e.g. `rsample` on a distribution without a reparameterized sampler. */
export class NotImplementedError extends VariaError {}

/**
 * An object was used after its `dispose()`: a model, a layer or module, a distribution or a bijector. `subject` names
 * it (e.g. `"VAE"`, `"Normal"`, `"Dense"`). Disposing twice is allowed (a no-op); any other use is this error.
 */
export class DisposedError extends VariaError {
  /** What was used after disposal, e.g. `"VAE"` or `"Normal"`. */
  readonly subject: string;
  constructor(subject: string, message = `${subject} was disposed: it cannot be used after dispose()`) {
    super(message);
    this.subject = subject;
  }
}
