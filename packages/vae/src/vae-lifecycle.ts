// The life of a VAE: alive, training (a dispose() then waits for the running fit to unwind), disposed.
import { ArgumentError, DisposedError, type VariaError } from '@varia/core';

/** What a training run asks between steps: the error to stop with (the model was disposed during it). */
interface TrainingControl {
  stopError(): VariaError | undefined;
}

/**
 * The lifecycle state of one VAE. `free` releases the model's variables; it runs once, when `dispose()` is called
 * outside a fit, or as the fit during which it was called unwinds.
 */
export class VaeLifecycle {
  private disposed = false;
  /** Set while `fit` runs; `dispose()` then only requests the disposal, which `fit` carries out as it rejects. */
  private training = false;
  private disposeRequested = false;

  constructor(private readonly free: () => void) {}

  /** Whether `dispose()` was called (also while a fit is still unwinding). */
  get isDisposed(): boolean {
    return this.disposed || this.disposeRequested;
  }

  /** Throws a DisposedError once the model was disposed. */
  assertAlive(): void {
    // variables stay alive until a running fit unwinds: the training loop may still use them after dispose()
    if (this.disposed || (this.disposeRequested && !this.training))
      throw new DisposedError('VAE', 'VAE: the model was disposed (dispose() was called): it cannot be used');
  }

  /** Frees the model now, or, during a fit, as soon as the running step ends. A second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    if (this.training) {
      this.disposeRequested = true;
      return;
    }
    this.free();
    this.disposed = true;
  }

  /**
   * Runs one fit: `run` gets the control its training loop polls, which stops it with a DisposedError once
   * `dispose()` was called; the disposal is carried out as the fit unwinds.
   * @throws ArgumentError when a fit is already running.
   */
  async train<T>(run: (control: TrainingControl) => Promise<T>): Promise<T> {
    if (this.training) {
      throw new ArgumentError(
        'this',
        'VAE.fit: this model is already training: await the running fit() before starting another',
      );
    }
    this.training = true;
    try {
      const control = {
        stopError: () =>
          this.disposeRequested
            ? new DisposedError('VAE', 'VAE.fit: the model was disposed during training')
            : undefined,
      };
      return await run(control);
    } finally {
      this.training = false;
      if (this.disposeRequested) this.dispose();
    }
  }
}
