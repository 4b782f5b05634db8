import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs's engine state that records a gradient tape (tfjs-core 4.x `EngineState`). */
interface TapeState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/**
 * Frees what a gradient tape kept after a step threw. While recording, tfjs keeps a clone of every tensor a gradient
 * will need (`saveTensorsForBackwardMode`, exempt from `tidy`) and frees them only after a successful backward
 * pass: a loss that throws halfway (a custom head, a bad option) would leave them allocated — one per recorded
 * op, typically one per model variable. Call it in the `catch` of an outermost `minimize`/`variableGrads`; it does
 * nothing inside a nested gradient or when no tape is left.
 */
export function disposeTapeAfterError(): void {
  const state = (tf.engine() as unknown as { state: TapeState }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
  }
  state.activeTape = null;
}
