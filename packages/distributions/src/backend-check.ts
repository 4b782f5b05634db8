import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '@varia/core';

/**
 * What an application imports to set TensorFlow.js up for varia. varia depends only on `@tensorflow/tfjs-core`; the
 * backend (where the kernels run) and the gradient registrations (needed to train) come from the application.
 */
const SETUP_HINT =
  "add `import '@tensorflow/tfjs'` (Node and browsers) or `import '@tensorflow/tfjs-node'` (Node, native) " +
  'once, before using varia; with "@tensorflow/tfjs-core" alone, import a backend such as ' +
  '"@tensorflow/tfjs-backend-cpu" (and, to train, "@tensorflow/tfjs-core/dist/register_all_gradients")';

/**
 * Throws a {@link @varia/core!BackendError} that says what to import when no TensorFlow.js backend is registered — instead of
 * tfjs's own `No backend found in registry.` at the first tensor. A registered backend that is not yet initialized
 * (webgl, wasm) passes: tfjs initializes it on first use.
 */
export function assertBackendRegistered(): void {
  if (tf.engine().backendNames().length === 0) {
    throw new BackendError(`no TensorFlow.js backend is registered: ${SETUP_HINT}`);
  }
}

/**
 * Throws a {@link @varia/core!BackendError} that says what to import when no backend is registered or the gradients are missing
 * (training needs `tf.variableGrads`; `@tensorflow/tfjs-core` alone registers none).
 */
export function assertGradientsRegistered(): void {
  assertBackendRegistered();
  if (!tf.getGradient('Sum') || !tf.getGradient('BatchMatMul')) {
    throw new BackendError(
      `no gradients are registered in this TensorFlow.js build, so varia cannot train: ${SETUP_HINT}`,
    );
  }
}
