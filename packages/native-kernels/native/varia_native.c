/*
 * @varia/native-kernels — native float32 kernels for TensorFlow.js's wasm backend in Node.
 *
 * The wasm backend keeps every tensor in one WebAssembly.Memory; from JavaScript that memory is an ordinary
 * ArrayBuffer. These functions receive that buffer and byte offsets into it, check every access against its length,
 * and compute in place with a native BLAS that is loaded at run time with dlopen:
 *
 *   - oneDNN (libdnnl.so.2, Debian package libdnnl2): dnnl_sgemm, row-major, JIT kernels for the CPU's widest ISA
 *     (AVX-512 / AVX2) — the library PyTorch uses on the CPU;
 *   - OpenBLAS (libopenblas.so.0, Debian package libopenblas0-pthread): cblas_sgemm.
 *
 * Nothing is linked at build time except libdl and libm, so the addon builds with only a C compiler and Node's
 * headers, and a missing BLAS is a catchable error at load time, not a failed install.
 *
 * Exports (all synchronous; every offset is in bytes and must be 4-byte aligned):
 *   load(path)                 -> { kind: "onednn" | "openblas", version: string, gemm512, zeroSkip, narrow: boolean }
 *                                 (throws when unusable)
 *   setThreads(n), threads()   -> the BLAS thread count (OpenMP for oneDNN, openblas_set_num_threads for OpenBLAS);
 *                                 threads() is 0 when the library offers no way to ask
 *   setParallel(n), parallel() -> threads sharing large products and Adam in blocks (parallel.c): the JS thread and
 *                                 n − 1 helpers, each helper's BLAS on one thread
 *   zeroSkipped()              -> how many products zero_skip.c has done (op(A) mostly zeros, oneDNN's bits; blas.c)
 *   narrowed()                 -> how many products narrow.c has done (2 … 24 columns, ≥ 512 rows, oneDNN's bits; blas.c)
 *   rowBlocked()               -> how many forward products ran in blocks of rows shared by the threads (dense_rows.c)
 *   gemm(heap, ta, tb, m, n, k, batch, aOff, aStride, bOff, bStride, cOff, biasOff, biasSize, act, alpha[, bFacts])
 *       -> whether W's facts were taken: bFacts, a ticket denseBackwardAdam returned (weight_facts.h), lets one
 *       product with op(B) = B skip the zero-skipping kernel's scan of B where the ticket is for exactly those floats
 *       C_i = act(op(A_i) · op(B_i) + bias) for i < batch, row-major; op(X) = Xᵀ when the flag is set; k may be 0;
 *       strides are in elements (0 broadcasts one matrix over the batch); biasOff < 0 means no bias; a bias of
 *       biasSize n is added to every row, one of size m·n to every matrix, one of size batch·m·n element-wise.
 *       act: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid.
 *   adam(heap, size, wOff, gOff, mOff, vOff, wOut, mOut, vOut, lr, beta1, beta2, eps, beta1Power, beta2Power)
 *       one Adam step (Kingma & Ba) over `size` elements, reading w, g, m, v and writing w', m', v'.
 *   adamInPlace(heap, specs, lr, beta1, beta2, eps, beta1Power, beta2Power)
 *       the same step over several variables (specs: Float64Array, per variable size and the offsets of w, g, m, v),
 *       overwriting w, m and v.
 *   denseBackward(heap, batch, inDim, units, dyOff, yOff, xOff, wOff, dxOff, dwOff, dbOff, act)
 *       the backward pass of a dense layer y = f(x·W + b): dx (unless dxOff < 0), dW and db in one call.
 *   denseBackwardAdam(heap, numbers)   that backward pass, then one in-place Adam step of W, b and their moments
 *       (dense_adam.c; numbers: a Float64Array, listed there); with `defer`, dW's blocks and W's step may still run
 *       after it returns, until the calling thread's next joinDeferred() (or any export that joins: see below);
 *       with `facts` it returns a ticket for the new W's facts (finite, least |w|) that gemm may take
 *   joinDeferred()             waits for that deferred work; throws if it failed
 *   deferredPending()          -> whether the calling thread has deferred work it has not joined
 *   unary(heap, op, size, xOff, yOff)  y = softplus | exp | log | log1p | lgamma | sigmoid of x (op 0 … 5),
 *       elementwise (sigmoid: the bits of tfjs-wasm's own Sigmoid, xnn_sigmoid.h)
 *   sum(heap, xOff, yOff, outer, reduce, inner)   y[o, i] = Σ_j x[o, j, i]
 *   lookup(heap, size, xOff, tableOff, tableSize, yOff) -> misses   y[i] = table[x[i]] for integer x[i] in
 *       [0, tableSize), NaN (a miss) otherwise
 *   mulSub(heap, size, aOff, bOff, cOff, yOff)            y = a·b − c, elementwise
 *   scaledSum(heap, size, xOff, zOff, alpha, beta, yOff)  y = α·x + β·z, elementwise (every operation rounded alone)
 *   normalSample(heap, [size, locOff, sOff, epsOff, scaleOff, zOff])         σ = exp(s·½), z = μ + σ·ε
 *   normalKl(heap, [rows, cols, locOff, scaleOff, varOff, scratchOff, sumOff]) σ², Σ_j ½(σ² + μ² − 1 − log σ²)
 *   standardNormal(heap, [count, k0, k1, k2, outOff])   count N(0, 1) draws as float32 from the Alea state (k0, k1, k2):
 *       the values of tf.randomNormal([count], 0, 1, 'float32', seed) (standard_normal.c)
 *   normalBackward(heap, [size, locOff, scaleOff, varOff, epsOff, dzOff, h, dLocOff, dsOff])
 *       the gradients of that KL (∂/∂KL = h) and of z (∂/∂z = dz) with respect to μ and s
 *   normalLogProb(heap, [rows, cols, perFeature, halfLog2pi, xOff, locOff, sigmaOff, scaleOff, dOff, tOff, lpOff, sumOff])
 *       Σ_j log N(x; μ, σ) per row, σ one value or one per feature, keeping scale, x − μ and (x − μ)/scale
 *   normalLogProbBackward(heap, [rows, cols, perFeature, g, scaleOff, tOff, dOff, dLocOff, dScaleOff, dSigmaOff])
 *       its gradients for ∂loss/∂log p = g: ∂/∂μ, ∂/∂scale and ∂/∂σ summed over the broadcast axes
 *   likelihoodStep(heap, [family, rows, cols, g, xOff, paramOff, sumsOff, doutOff, tableOff, tableSize, auxOff]) -> misses
 *       a fused step's likelihood part in one pass: Σ_j log p(x | ℓ) per row and dout = g·∂log p/∂ℓ, per family
 *       (likelihood_step.c; Bernoulli in bernoulli_step.c, Poisson in poisson_step.c)
 *   sparseDense(heap, rows, inDim, units, nnz, indptrOff, indicesOff, valuesOff, wOff, biasOff, outOff, act, alpha)
 *       y = act(X·W + b) for a CSR X (sparse_dense.c)
 *   sparseDenseHost(heap, indptr: Int32Array, indices: Int32Array, values: Float32Array | valuesOff, rows, inDim, units,
 *                   wOff, biasOff, outOff, act, alpha)   the same, X read in place from the arrays, checked strictly
 *   gemmHost(heap, x: Float32Array, rows, inDim, units, wOff, biasOff, outOff, act, alpha)
 *       gemm's y = act(x·W + b) (its bits) with x [rows, inDim] read in place from the array (dense_host.c)
 *   sparseInputDense(heap, n, inDim, units, xOff, wOff, biasOff, yOff, act, alpha)
 *   sparseInputDenseBackward(heap, n, inDim, units, dyOff, yOff, xOff, dwOff, dbOff, act)
 *       a dense layer's forward and parameter gradients for a dense x that is mostly zeros, from its non-zero
 *       entries only (sparse_input.c; the products of both sparse kernels are in sparse_tiles.c)
 *   firstOutsideUnitInterval(x: Float32Array) -> the first i with ¬(0 ≤ x[i] ≤ 1) (−0 is fine, NaN is not), or −1
 *   firstBadCount(x: Float32Array, max) -> the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ max ∧ x[i] a finite integer), or −1
 *       host-side domain checks of data (domain_scan.c), reading the array in place; not wasm-heap offsets
 *   gatherRows(heap, source: Float32Array, cols, rows: Int32Array, outOff) -> −1, or the first k with rows[k] not a row
 *       of the source (nothing written): out[k, :] = source[rows[k], :], the source read in place (gather_rows.c)
 * The loops themselves are in math_kernels.c. This file registers the exports; the entry points are in blas.c (load,
 * threads, parallel), matmul.c (gemm, denseBackward), dense_host.c (gemmHost), adam.c, elementwise.c (unary, sum), fused_elementwise.c (lookup,
 * mulSub, scaledSum), normal_latent.c, normal_likelihood.c, sparse_dense.c and
 * domain_scan.c; napi_util.c has the shared checks.
 */
#define _GNU_SOURCE /* dladdr */
#include "napi_util.h"

#include "entry_points.h"
#include <dlfcn.h>
#include <pthread.h>

#include "parallel.h"
#include "sparse_dense.h"
#include "sparse_input.h"
#include "signal_guard.h"

/*
 * A deferred job (denseBackwardAdam with defer: parallel.h) writes and reads parts of the heap after its call returns.
 * Every export joins the calling thread's pending job before it runs (joined() below), except those that check their
 * operands against the job's regions themselves and join only where they meet (varia_parallel_join_conflicts):
 * denseBackwardAdam, normalBackward — the calls a fused step makes while the job runs — and joinDeferred and
 * deferredPending themselves. Every export's call is also a signal scope (signal_guard.h): signals blocked for a
 * product stay blocked until the call returns.
 */
#define MAX_EXPORTS 64
/* The entry points behind joined(), set by the first Init (each worker that loads the addon runs Init again: it
 * finds them set, and writes nothing another thread may be reading). */
static napi_callback guarded[MAX_EXPORTS];
static int guarded_set = 0;
static pthread_mutex_t guarded_lock = PTHREAD_MUTEX_INITIALIZER;

static napi_value joined(napi_env env, napi_callback_info info) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || !data)
    return varia_throw_error(env, "native-kernels: N-API call failed: napi_get_cb_info");
  /* the scope first: blocks of a deferred job that the join runs on this thread hold signals once too */
  varia_signals_scope_begin();
  varia_parallel_join();
  const napi_value result = (*(napi_callback *)data)(env, info);
  varia_signals_scope_end();
  return result;
}

/* The exports that join for themselves: their call is a signal scope too (signal_guard.h). */
static napi_value scoped(napi_env env, napi_callback_info info) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || !data)
    return varia_throw_error(env, "native-kernels: N-API call failed: napi_get_cb_info");
  varia_signals_scope_begin();
  const napi_value result = (*(napi_callback *)data)(env, info);
  varia_signals_scope_end();
  return result;
}

/*
 * Keeps this library mapped until the process ends. Node unloads an addon (dlclose) when the last environment that
 * loaded it ends — a worker_thread that loads it while the main thread does not — but the helper threads
 * (parallel.c) are the process's and outlive it: a helper still returning from its last block, or waking later, ran
 * code that was no longer mapped (SIGSEGV at exit in 1 of ~60 runs of parallel-workers.test.ts under load, 2026-12-03).
 * Reopening itself with RTLD_NODELETE marks the loaded object as never to be unloaded (glibc and macOS's dyld).
 */
static void stay_mapped(void) {
  Dl_info self;
  if (dladdr((void *)&stay_mapped, &self) && self.dli_fname) (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"load", NULL, varia_napi_load, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, varia_napi_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, varia_napi_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setParallel", NULL, varia_napi_set_parallel, NULL, NULL, NULL, napi_default, NULL},
      {"parallel", NULL, varia_napi_parallel, NULL, NULL, NULL, napi_default, NULL},
      {"zeroSkipped", NULL, varia_napi_zero_skipped, NULL, NULL, NULL, napi_default, NULL},
      {"narrowed", NULL, varia_napi_narrowed, NULL, NULL, NULL, napi_default, NULL},
      {"rowBlocked", NULL, varia_napi_row_blocked, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, varia_napi_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, varia_napi_adam, NULL, NULL, NULL, napi_default, NULL},
      {"adamInPlace", NULL, varia_napi_adam_in_place, NULL, NULL, NULL, napi_default, NULL},
      {"gemmHost", NULL, varia_napi_gemm_host, NULL, NULL, NULL, napi_default, NULL},
      {"denseBackward", NULL, varia_napi_dense_backward, NULL, NULL, NULL, napi_default, NULL},
      {"denseBackwardAdam", NULL, varia_napi_dense_backward_adam, NULL, NULL, NULL, napi_default, NULL},
      {"joinDeferred", NULL, varia_napi_join_deferred, NULL, NULL, NULL, napi_default, NULL},
      {"deferredPending", NULL, varia_napi_deferred_pending, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, varia_napi_unary, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, varia_napi_sum, NULL, NULL, NULL, napi_default, NULL},
      {"lookup", NULL, varia_napi_lookup, NULL, NULL, NULL, napi_default, NULL},
      {"mulSub", NULL, varia_napi_mul_sub, NULL, NULL, NULL, napi_default, NULL},
      {"scaledSum", NULL, varia_napi_scaled_sum, NULL, NULL, NULL, napi_default, NULL},
      {"normalSample", NULL, varia_napi_normal_sample, NULL, NULL, NULL, napi_default, NULL},
      {"normalKl", NULL, varia_napi_normal_kl, NULL, NULL, NULL, napi_default, NULL},
      {"normalBackward", NULL, varia_napi_normal_backward, NULL, NULL, NULL, napi_default, NULL},
      {"standardNormal", NULL, varia_napi_standard_normal, NULL, NULL, NULL, napi_default, NULL},
      {"normalLogProb", NULL, varia_napi_normal_log_prob, NULL, NULL, NULL, napi_default, NULL},
      {"normalLogProbBackward", NULL, varia_napi_normal_log_prob_backward, NULL, NULL, NULL, napi_default, NULL},
      {"sparseDense", NULL, varia_sparse_dense, NULL, NULL, NULL, napi_default, NULL},
      {"sparseDenseHost", NULL, varia_sparse_dense_host, NULL, NULL, NULL, napi_default, NULL},
      {"sparseInputDense", NULL, varia_napi_sparse_input_dense, NULL, NULL, NULL, napi_default, NULL},
      {"sparseInputDenseBackward", NULL, varia_napi_sparse_input_dense_backward, NULL, NULL, NULL, napi_default, NULL},
      {"likelihoodStep", NULL, varia_napi_likelihood_step, NULL, NULL, NULL, napi_default, NULL},
      {"firstOutsideUnitInterval", NULL, varia_napi_first_outside_unit_interval, NULL, NULL, NULL, napi_default, NULL},
      {"firstBadCount", NULL, varia_napi_first_bad_count, NULL, NULL, NULL, napi_default, NULL},
      {"gatherRows", NULL, varia_napi_gather_rows, NULL, NULL, NULL, napi_default, NULL},
  };
  const size_t count = sizeof props / sizeof props[0];
  _Static_assert(sizeof props / sizeof props[0] <= MAX_EXPORTS, "MAX_EXPORTS");
  pthread_mutex_lock(&guarded_lock);
  if (!guarded_set) stay_mapped();
  for (size_t i = 0; i < count; i++) {
    const napi_callback f = props[i].method;
    const int joins_itself = f == varia_napi_dense_backward_adam || f == varia_napi_normal_backward ||
                             f == varia_napi_join_deferred || f == varia_napi_deferred_pending;
    if (!guarded_set) guarded[i] = f;
    props[i].method = joins_itself ? scoped : joined;
    props[i].data = &guarded[i];
  }
  guarded_set = 1;
  pthread_mutex_unlock(&guarded_lock);
  if (napi_define_properties(env, exports, count, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
