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
 *   load(path)                 -> { kind: "onednn" | "openblas", version: string }   (throws when unusable)
 *   setThreads(n), threads()   -> the BLAS thread count (OpenMP for oneDNN, openblas_set_num_threads for OpenBLAS);
 *                                 threads() is 0 when the library offers no way to ask
 *   setParallel(n), parallel() -> threads sharing large products and Adam in blocks (parallel.c): the JS thread and
 *                                 n − 1 helpers, each helper's BLAS on one thread
 *   gemm(heap, ta, tb, m, n, k, batch, aOff, aStride, bOff, bStride, cOff, biasOff, biasSize, act, alpha)
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
 *   unary(heap, op, size, xOff, yOff)  y = softplus | exp | log | log1p | lgamma of x (op 0 … 4), elementwise
 *   sum(heap, xOff, yOff, outer, reduce, inner)   y[o, i] = Σ_j x[o, j, i]
 *   lookup(heap, size, xOff, tableOff, tableSize, yOff) -> misses   y[i] = table[x[i]] for integer x[i] in
 *       [0, tableSize), NaN (a miss) otherwise
 *   mulSub(heap, size, aOff, bOff, cOff, yOff)            y = a·b − c, elementwise
 *   scaledSum(heap, size, xOff, zOff, alpha, beta, yOff)  y = α·x + β·z, elementwise (every operation rounded alone)
 *   normalSample(heap, [size, locOff, sOff, epsOff, scaleOff, zOff])         σ = exp(s·½), z = μ + σ·ε
 *   normalKl(heap, [rows, cols, locOff, scaleOff, varOff, scratchOff, sumOff]) σ², Σ_j ½(σ² + μ² − 1 − log σ²)
 *   normalBackward(heap, [size, locOff, scaleOff, varOff, epsOff, dzOff, h, dLocOff, dsOff])
 *       the gradients of that KL (∂/∂KL = h) and of z (∂/∂z = dz) with respect to μ and s
 *   normalLogProb(heap, [rows, cols, perFeature, halfLog2pi, xOff, locOff, sigmaOff, scaleOff, dOff, tOff, lpOff, sumOff])
 *       Σ_j log N(x; μ, σ) per row, σ one value or one per feature, keeping scale, x − μ and (x − μ)/scale
 *   normalLogProbBackward(heap, [rows, cols, perFeature, g, scaleOff, tOff, dOff, dLocOff, dScaleOff, dSigmaOff])
 *       its gradients for ∂loss/∂log p = g: ∂/∂μ, ∂/∂scale and ∂/∂σ summed over the broadcast axes
 *   sparseDense(heap, rows, inDim, units, nnz, indptrOff, indicesOff, valuesOff, wOff, biasOff, outOff, act, alpha)
 *       y = act(X·W + b) for a CSR X (sparse_dense.c)
 * The loops themselves are in math_kernels.c.
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "math_kernels.h"
#include "parallel.h"
#include "sparse_dense.h"

typedef int (*dnnl_sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *,
                             int64_t, float, float *, int64_t);
typedef struct {
  int major, minor, patch;
  const char *hash;
  unsigned cpu_runtime, gpu_runtime;
} dnnl_version_t;
typedef const dnnl_version_t *(*dnnl_version_fn)(void);
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*openblas_config_fn)(void);

enum { KIND_NONE = 0, KIND_ONEDNN = 1, KIND_OPENBLAS = 2 };
static int kind = KIND_NONE;
static dnnl_sgemm_fn dnnl_sgemm = NULL;
static cblas_sgemm_fn cblas_sgemm = NULL;
static set_threads_fn set_threads = NULL;
static get_threads_fn get_threads = NULL;

#define CHECK(call)                                                                                                     \
  do {                                                                                                                  \
    if ((call) != napi_ok) return throw_error(env, "native-kernels: N-API call failed: " #call);                       \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* load(path): dlopen a BLAS; oneDNN when it exports dnnl_sgemm, else OpenBLAS when it exports cblas_sgemm. */
static napi_value Load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok)
    return throw_error(env, "native-kernels: load(path) needs a library path");
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) return throw_error(env, dlerror());
  char version[256] = "";
  dnnl_sgemm_fn dg = (dnnl_sgemm_fn)dlsym(lib, "dnnl_sgemm");
  cblas_sgemm_fn cg = (cblas_sgemm_fn)dlsym(lib, "cblas_sgemm");
  int k = KIND_NONE;
  set_threads_fn st = NULL;
  get_threads_fn gt = NULL;
  if (dg) {
    k = KIND_ONEDNN;
    dnnl_version_fn vf = (dnnl_version_fn)dlsym(lib, "dnnl_version");
    if (vf) {
      const dnnl_version_t *v = vf();
      snprintf(version, sizeof version, "%d.%d.%d", v->major, v->minor, v->patch);
    }
    /* oneDNN's CPU runtime is OpenMP (Debian builds it with libgomp); its thread count is OpenMP's. */
    void *omp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (omp) {
      st = (set_threads_fn)dlsym(omp, "omp_set_num_threads");
      gt = (get_threads_fn)dlsym(omp, "omp_get_max_threads");
    }
  } else if (cg) {
    k = KIND_OPENBLAS;
    openblas_config_fn cf = (openblas_config_fn)dlsym(lib, "openblas_get_config");
    if (cf) snprintf(version, sizeof version, "%s", cf());
    st = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    gt = (get_threads_fn)dlsym(lib, "openblas_get_num_threads");
  } else {
    dlclose(lib);
    return throw_error(env, "native-kernels: the library exports neither dnnl_sgemm nor cblas_sgemm");
  }
  kind = k;
  dnnl_sgemm = dg;
  cblas_sgemm = cg;
  set_threads = st;
  get_threads = gt;
  napi_value result;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "kind", make_string(env, k == KIND_ONEDNN ? "onednn" : "openblas")));
  CHECK(napi_set_named_property(env, result, "version", make_string(env, version)));
  return result;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1)
    return throw_error(env, "native-kernels: setThreads(n) needs a positive integer");
  if (set_threads) set_threads(n);
  return NULL;
}

/* Helper threads run the BLAS on one thread each: the blocks, not OpenMP, share the work. */
static void one_blas_thread(void) {
  if (set_threads) set_threads(1);
}

/* setParallel(n): the calling thread plus n − 1 helpers share large products and Adam (1 ≤ n ≤ 8). */
static napi_value SetParallel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > 8)
    return throw_error(env, "native-kernels: setParallel(n) needs an integer from 1 to 8");
  if (varia_set_parallel(n, one_blas_thread) != 0) return throw_error(env, "native-kernels: could not start a thread");
  return NULL;
}

static napi_value Parallel(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, varia_parallel(), &v);
  return v;
}

static napi_value Threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  /* 0: the library gives no way to ask (e.g. a oneDNN built without OpenMP) */
  napi_create_int32(env, get_threads ? get_threads() : 0, &v);
  return v;
}

/* Reads argument i as a double; the caller validates ranges. */
static int arg_f64(napi_env env, napi_value *argv, size_t i, double *out) {
  return napi_get_value_double(env, argv[i], out) == napi_ok;
}

/* A float region [off, off + count·4) must lie inside the buffer and be 4-byte aligned. */
static int in_bounds(double off, double count, size_t length) {
  return off >= 0 && count >= 0 && fmod(off, 4.0) == 0 && off + count * 4.0 <= (double)length;
}

/* C = op(A)·op(B) + beta·C, row-major, on the loaded BLAS; K ≥ 1. Returns 0 on success. */
static int sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                 float beta, float *c, int64_t ldc) {
  if (kind == KIND_ONEDNN) return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, a, lda, b, ldb, beta, c, ldc);
  /* CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 */
  cblas_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, (int)M, (int)N, (int)K, 1.f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
  return 0;
}

/* One product split into blocks of C's rows for varia_parallel_for. */
typedef struct {
  int ta, tb;
  int64_t N, K, lda, ldb, ldc;
  const float *a, *b;
  float *c;
  float beta;
  atomic_int failed;
} gemm_job_t;

/* rows [start, end) of op(A) and C */
static void gemm_block(void *ctx, int64_t start, int64_t end) {
  gemm_job_t *j = (gemm_job_t *)ctx;
  if (sgemm(j->ta, j->tb, end - start, j->N, j->K, j->ta ? j->a + start : j->a + start * j->lda, j->lda, j->b, j->ldb,
            j->beta, j->c + start * j->ldc, j->ldc) != 0)
    atomic_store(&j->failed, 1);
}

/* Products of at least this many multiply-adds are shared between threads when there are helpers. */
#define PARALLEL_MIN_MACS (1 << 21)

/* sgemm, split into blocks of C's rows when helper threads exist and the product is large. */
static int sgemm_shared(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                        int64_t ldb, float beta, float *c, int64_t ldc) {
  const int threads = varia_parallel();
  if (threads == 1 || M * N * K < PARALLEL_MIN_MACS) return sgemm(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc);
  gemm_job_t j = {.ta = ta, .tb = tb, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc,
                  .a = a, .b = b, .c = c, .beta = beta};
  atomic_init(&j.failed, 0);
  /* Blocks of rows: oneDNN's blocking of the inner dimension depends on the column count, so column blocks change the
   * rounding (measured: 128×784 · (400×784)ᵀ), while row blocks give the one-call result bit for bit. Two blocks per
   * thread (a late thread costs one block; each block packs op(B) again), multiples of 16 rows. */
  int64_t block = (M + 2 * threads - 1) / (2 * threads);
  block = ((block + 15) / 16) * 16;
  varia_parallel_for(gemm_block, &j, M, block);
  return atomic_load(&j.failed);
}

static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16) return throw_error(env, "native-kernels: gemm needs 16 arguments");
  if (kind == KIND_NONE) return throw_error(env, "native-kernels: gemm called before load()");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return throw_error(env, "native-kernels: gemm needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  bool ta = false, tb = false;
  CHECK(napi_get_value_bool(env, argv[1], &ta));
  CHECK(napi_get_value_bool(env, argv[2], &tb));
  double d[13];
  for (size_t i = 0; i < 13; i++)
    if (!arg_f64(env, argv, i + 3, &d[i])) return throw_error(env, "native-kernels: gemm arguments must be numbers");
  const double m = d[0], n = d[1], k = d[2], batch = d[3], a_off = d[4], a_stride = d[5], b_off = d[6],
               b_stride = d[7], c_off = d[8], bias_off = d[9], bias_size = d[10], act = d[11], alpha = d[12];
  if (m < 1 || n < 1 || k < 0 || batch < 1 || m > 2147483647.0 || n > 2147483647.0 || k > 2147483647.0)
    return throw_error(env, "native-kernels: gemm needs m, n, batch ≥ 1 and k ≥ 0 (32-bit integers)");
  if (a_stride < 0 || b_stride < 0) return throw_error(env, "native-kernels: gemm strides must be non-negative");
  if (!in_bounds(a_off, a_stride * (batch - 1) + m * k, length) ||
      !in_bounds(b_off, b_stride * (batch - 1) + k * n, length) || !in_bounds(c_off, batch * m * n, length))
    return throw_error(env, "native-kernels: gemm operand outside the heap");
  const int has_bias = bias_off >= 0;
  if (has_bias) {
    if (!(bias_size == n || bias_size == m * n || bias_size == batch * m * n))
      return throw_error(env, "native-kernels: gemm bias must have n, m·n or batch·m·n elements");
    if (!in_bounds(bias_off, bias_size, length)) return throw_error(env, "native-kernels: gemm bias outside the heap");
  }
  if (act < 0 || act > 5) return throw_error(env, "native-kernels: unknown activation code");
  char *base = (char *)data;
  const int64_t M = (int64_t)m, N = (int64_t)n, K = (int64_t)k, B = (int64_t)batch;
  const int64_t sa = (int64_t)a_stride, sb = (int64_t)b_stride, mn = M * N;
  const float *a = (const float *)(base + (int64_t)a_off);
  const float *b = (const float *)(base + (int64_t)b_off);
  float *c = (float *)(base + (int64_t)c_off);
  const float *bias = has_bias ? (const float *)(base + (int64_t)bias_off) : NULL;
  const int64_t bsz = (int64_t)bias_size;
  for (int64_t i = 0; i < B; i++) {
    float *ci = c + i * mn;
    float beta = 0.f;
    if (bias) {
      if (bsz == N)
        for (int64_t r = 0; r < M; r++) memcpy(ci + r * N, bias, (size_t)N * sizeof(float));
      else
        memcpy(ci, bias + (bsz == mn ? 0 : i * mn), (size_t)mn * sizeof(float));
      beta = 1.f;
    }
    const float *ai = a + i * sa, *bi = b + i * sb;
    const int64_t lda = ta ? M : K, ldb = tb ? K : N;
    if (K == 0) {
      /* An empty inner dimension: the product is zero (BLAS libraries disagree on whether they touch C). */
      if (!bias) memset(ci, 0, (size_t)mn * sizeof(float));
    } else if (sgemm_shared(ta, tb, M, N, K, ai, lda, bi, ldb, beta, ci, N) != 0) {
      return throw_error(env, "native-kernels: dnnl_sgemm failed");
    }
    varia_activate(ci, mn, (int)act, (float)alpha);
  }
  return NULL;
}

static napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 15) return throw_error(env, "native-kernels: adam needs 15 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return throw_error(env, "native-kernels: adam needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  double d[14];
  for (size_t i = 0; i < 14; i++)
    if (!arg_f64(env, argv, i + 1, &d[i])) return throw_error(env, "native-kernels: adam arguments must be numbers");
  const double size = d[0];
  if (size < 0) return throw_error(env, "native-kernels: adam size must be non-negative");
  for (int i = 1; i <= 7; i++)
    if (!in_bounds(d[i], size, length)) return throw_error(env, "native-kernels: adam operand outside the heap");
  char *base = (char *)data;
  const float *w = (const float *)(base + (int64_t)d[1]), *g = (const float *)(base + (int64_t)d[2]);
  const float *m = (const float *)(base + (int64_t)d[3]), *v = (const float *)(base + (int64_t)d[4]);
  float *w2 = (float *)(base + (int64_t)d[5]), *m2 = (float *)(base + (int64_t)d[6]), *v2 = (float *)(base + (int64_t)d[7]);
  varia_adam(w, g, m, v, w2, m2, v2, (int64_t)size, (float)d[8], (float)d[9], (float)d[10], (float)d[11], (float)d[12],
             (float)d[13]);
  return NULL;
}

/* The in-place Adam step of one variable, in element blocks for varia_parallel_for. */
typedef struct {
  float *w, *m, *v;
  const float *g;
  float lr, b1, b2, eps, b1pow, b2pow;
} adam_job_t;

static void adam_block(void *ctx, int64_t start, int64_t end) {
  adam_job_t *j = (adam_job_t *)ctx;
  varia_adam_inplace(j->w + start, j->g + start, j->m + start, j->v + start, end - start, j->lr, j->b1, j->b2, j->eps,
                     j->b1pow, j->b2pow);
}

/* Elements per Adam block (128 KiB of each array): shared between threads only for the large variables. */
#define ADAM_BLOCK 32768

/*
 * adamInPlace(heap, specs, lr, beta1, beta2, eps, beta1Power, beta2Power): one Adam step over several variables in one
 * call, in place. specs is a Float64Array of 5 numbers per variable: size, then the byte offsets of w, g, m, v; w, m and
 * v are overwritten. Every region is checked before anything is written.
 */
static napi_value AdamInPlace(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) return throw_error(env, "native-kernels: adamInPlace needs 8 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false, is_ta = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return throw_error(env, "native-kernels: adamInPlace needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array");
  napi_typedarray_type type;
  size_t count = 0;
  void *specs_data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &count, &specs_data, NULL, NULL));
  if (type != napi_float64_array || count % 5 != 0)
    return throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array of 5 numbers per variable");
  double h[6];
  for (size_t i = 0; i < 6; i++)
    if (!arg_f64(env, argv, i + 2, &h[i])) return throw_error(env, "native-kernels: adam arguments must be numbers");
  const double *sp = (const double *)specs_data;
  for (size_t i = 0; i < count; i += 5) {
    const double size = sp[i];
    if (!(size >= 0) || size != floor(size)) return throw_error(env, "native-kernels: adam size must be a non-negative integer");
    for (int j = 1; j <= 4; j++)
      if (!in_bounds(sp[i + j], size, length)) return throw_error(env, "native-kernels: adam operand outside the heap");
  }
  char *base = (char *)data;
  adam_job_t j = {.lr = (float)h[0], .b1 = (float)h[1], .b2 = (float)h[2], .eps = (float)h[3], .b1pow = (float)h[4],
                  .b2pow = (float)h[5]};
  for (size_t i = 0; i < count; i += 5) {
    j.w = (float *)(base + (int64_t)sp[i + 1]);
    j.g = (const float *)(base + (int64_t)sp[i + 2]);
    j.m = (float *)(base + (int64_t)sp[i + 3]);
    j.v = (float *)(base + (int64_t)sp[i + 4]);
    varia_parallel_for(adam_block, &j, (int64_t)sp[i], ADAM_BLOCK);
  }
  return NULL;
}

/* A scratch buffer for δ, grown as needed (the addon runs on the JS thread only). */
static float *scratch = NULL;
static size_t scratch_floats = 0;

static float *scratch_of(size_t floats) {
  if (floats > scratch_floats) {
    float *grown = (float *)realloc(scratch, floats * sizeof(float));
    if (!grown) return NULL;
    scratch = grown;
    scratch_floats = floats;
  }
  return scratch;
}

/*
 * denseBackward(heap, batch, inDim, units, dyOff, yOff, xOff, wOff, dxOff, dwOff, dbOff, act): the backward pass of
 * y = f(x·W + b) for x [batch, inDim], W [inDim, units]: δ = dy ⊙ f′(y) (act as in varia_activation_delta),
 * dW = xᵀ·δ, db = Σ_rows δ, and dx = δ·Wᵀ unless dxOff < 0. The products and the sum are the calls the separate
 * kernels make, so the results are bit-identical to them.
 */
static napi_value DenseBackward(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) return throw_error(env, "native-kernels: denseBackward needs 12 arguments");
  if (kind == KIND_NONE) return throw_error(env, "native-kernels: denseBackward called before load()");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return throw_error(env, "native-kernels: denseBackward needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  double d[11];
  for (size_t i = 0; i < 11; i++)
    if (!arg_f64(env, argv, i + 1, &d[i])) return throw_error(env, "native-kernels: denseBackward arguments must be numbers");
  const double batch = d[0], in_dim = d[1], units = d[2], act = d[10];
  if (batch < 0 || in_dim < 1 || units < 1 || batch > 2147483647.0 || in_dim > 2147483647.0 || units > 2147483647.0 ||
      batch != floor(batch) || in_dim != floor(in_dim) || units != floor(units))
    return throw_error(env, "native-kernels: denseBackward needs batch ≥ 0, inDim ≥ 1 and units ≥ 1 (32-bit integers)");
  if (!(act == 0 || act == 1 || act == 5 || act == 6)) return throw_error(env, "native-kernels: unknown activation code");
  const int with_dx = d[7] >= 0;
  if (!in_bounds(d[3], batch * units, length) || !in_bounds(d[4], batch * units, length) ||
      !in_bounds(d[5], batch * in_dim, length) || !in_bounds(d[6], in_dim * units, length) ||
      (with_dx && !in_bounds(d[7], batch * in_dim, length)) || !in_bounds(d[8], in_dim * units, length) ||
      !in_bounds(d[9], units, length))
    return throw_error(env, "native-kernels: denseBackward operand outside the heap");
  char *base = (char *)data;
  const int64_t B = (int64_t)batch, I = (int64_t)in_dim, U = (int64_t)units;
  const float *dy = (const float *)(base + (int64_t)d[3]), *y = (const float *)(base + (int64_t)d[4]);
  const float *x = (const float *)(base + (int64_t)d[5]), *w = (const float *)(base + (int64_t)d[6]);
  float *dx = with_dx ? (float *)(base + (int64_t)d[7]) : NULL;
  float *dw = (float *)(base + (int64_t)d[8]), *db = (float *)(base + (int64_t)d[9]);
  if (B == 0) {
    memset(dw, 0, (size_t)(I * U) * sizeof(float));
    memset(db, 0, (size_t)U * sizeof(float));
    return NULL;
  }
  float *delta = scratch_of((size_t)(B * U));
  if (!delta) return throw_error(env, "native-kernels: denseBackward could not allocate its scratch buffer");
  varia_activation_delta(dy, y, delta, B * U, (int)act);
  /* dW = xᵀ·δ ([inDim, units]); dx = δ·Wᵀ ([batch, inDim]); db = Σ_rows δ */
  if (sgemm_shared(1, 0, I, U, B, x, I, delta, U, 0.f, dw, U) != 0) return throw_error(env, "native-kernels: dnnl_sgemm failed");
  if (with_dx && sgemm_shared(0, 1, B, I, U, delta, U, w, U, 0.f, dx, I) != 0)
    return throw_error(env, "native-kernels: dnnl_sgemm failed");
  varia_sum(delta, db, 1, B, U);
  return NULL;
}

/* Reads the heap and `count` numbers after it; 0 on failure (an exception is pending). */
static int heap_and_numbers(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length, double *out) {
  napi_value argv[8];
  size_t argc = 8;
  bool is_ab = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) {
    throw_error(env, "native-kernels: wrong number of arguments");
    return 0;
  }
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    throw_error(env, "native-kernels: the first argument must be the wasm heap's ArrayBuffer");
    return 0;
  }
  for (size_t i = 0; i < count; i++)
    if (!arg_f64(env, argv, i + 1, &out[i])) {
      throw_error(env, "native-kernels: arguments must be numbers");
      return 0;
    }
  return 1;
}

/* unary(heap, op, size, xOff, yOff): y = f(x) elementwise; op 0 softplus, 1 exp, 2 log, 3 log1p, 4 lgamma. x and y
 * may coincide. */
static napi_value Unary(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[4];
  if (!heap_and_numbers(env, info, 4, &data, &length, d)) return NULL;
  const double op = d[0], size = d[1];
  if (!(op == 0 || op == 1 || op == 2 || op == 3 || op == 4)) return throw_error(env, "native-kernels: unknown unary op");
  if (!in_bounds(d[2], size, length) || !in_bounds(d[3], size, length))
    return throw_error(env, "native-kernels: unary operand outside the heap");
  const float *x = (const float *)((char *)data + (int64_t)d[2]);
  float *y = (float *)((char *)data + (int64_t)d[3]);
  if (op == 0) varia_softplus(x, y, (int64_t)size);
  else if (op == 1) varia_exp(x, y, (int64_t)size);
  else if (op == 2) varia_log(x, y, (int64_t)size);
  else if (op == 3) varia_log1p(x, y, (int64_t)size);
  else varia_lgamma(x, y, (int64_t)size);
  return NULL;
}

/* sum(heap, xOff, yOff, outer, reduce, inner): y[o,i] = Σ_j x[o,j,i]. */
static napi_value Sum(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double outer = d[2], reduce = d[3], inner = d[4];
  if (outer < 1 || reduce < 1 || inner < 1) return throw_error(env, "native-kernels: sum dimensions must be ≥ 1");
  if (!in_bounds(d[0], outer * reduce * inner, length) || !in_bounds(d[1], outer * inner, length))
    return throw_error(env, "native-kernels: sum operand outside the heap");
  varia_sum((const float *)((char *)data + (int64_t)d[0]), (float *)((char *)data + (int64_t)d[1]), (int64_t)outer,
            (int64_t)reduce, (int64_t)inner);
  return NULL;
}

/* lookup(heap, size, xOff, tableOff, tableSize, yOff) -> misses: y[i] = table[x[i]] where x[i] is an integer in
 * [0, tableSize); y[i] = NaN and one miss for any other value (negative, fractional, too large, NaN). */
static napi_value Lookup(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double size = d[0], table_size = d[3];
  if (!(size >= 0) || !(table_size >= 1) || size != floor(size) || table_size != floor(table_size) ||
      table_size > 16777216.0)
    return throw_error(env, "native-kernels: lookup sizes must be integers (table 1 … 2^24 entries)");
  if (!in_bounds(d[1], size, length) || !in_bounds(d[2], table_size, length) || !in_bounds(d[4], size, length))
    return throw_error(env, "native-kernels: lookup operand outside the heap");
  const float *x = (const float *)((char *)data + (int64_t)d[1]);
  const float *table = (const float *)((char *)data + (int64_t)d[2]);
  float *y = (float *)((char *)data + (int64_t)d[4]);
  const int64_t n = (int64_t)size;
  const float limit = (float)table_size;
  int64_t misses = 0;
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    if (v >= 0.f && v < limit && v == floorf(v)) {
      y[i] = table[(int64_t)v];
    } else {
      y[i] = NAN;
      misses++;
    }
  }
  napi_value out;
  napi_create_double(env, (double)misses, &out);
  return out;
}

/* The fused elementwise loops below round every product and sum to float32 on its own, as the separate kernels they
 * replace do: built for the baseline ISA (no target_clones, so no FMA to contract into) and with contraction off. */
__attribute__((optimize("fp-contract=off"))) static void mul_sub(const float *a, const float *b, const float *c, float *y,
                                                                 int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = a[i] * b[i];
    y[i] = p - c[i];
  }
}

__attribute__((optimize("fp-contract=off"))) static void scaled_sum(const float *x, const float *z, float alpha,
                                                                    float beta, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = alpha * x[i];
    const float q = beta * z[i];
    y[i] = p + q;
  }
}

/* mulSub(heap, size, aOff, bOff, cOff, yOff): y = a·b − c elementwise (each operation rounded to float32). */
static napi_value MulSub(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double size = d[0];
  if (!(size >= 0) || size != floor(size)) return throw_error(env, "native-kernels: mulSub size must be an integer ≥ 0");
  if (!in_bounds(d[1], size, length) || !in_bounds(d[2], size, length) || !in_bounds(d[3], size, length) ||
      !in_bounds(d[4], size, length))
    return throw_error(env, "native-kernels: mulSub operand outside the heap");
  mul_sub((const float *)((char *)data + (int64_t)d[1]), (const float *)((char *)data + (int64_t)d[2]),
          (const float *)((char *)data + (int64_t)d[3]), (float *)((char *)data + (int64_t)d[4]), (int64_t)size);
  return NULL;
}

/* scaledSum(heap, size, xOff, zOff, alpha, beta, yOff): y = α·x + β·z elementwise, α and β rounded to float32. */
static napi_value ScaledSum(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[6];
  if (!heap_and_numbers(env, info, 6, &data, &length, d)) return NULL;
  const double size = d[0];
  if (!(size >= 0) || size != floor(size))
    return throw_error(env, "native-kernels: scaledSum size must be an integer ≥ 0");
  if (!in_bounds(d[1], size, length) || !in_bounds(d[2], size, length) || !in_bounds(d[5], size, length))
    return throw_error(env, "native-kernels: scaledSum operand outside the heap");
  scaled_sum((const float *)((char *)data + (int64_t)d[1]), (const float *)((char *)data + (int64_t)d[2]), (float)d[3],
             (float)d[4], (float *)((char *)data + (int64_t)d[5]), (int64_t)size);
  return NULL;
}

/* (heap, Float64Array of exactly `count` numbers): the heap and the numbers, or 0 after throwing. */
static int heap_and_array(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                          const double **out) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_ab = false, is_ta = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    throw_error(env, "native-kernels: wrong number of arguments");
    return 0;
  }
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    throw_error(env, "native-kernels: the first argument must be the wasm heap's ArrayBuffer");
    return 0;
  }
  napi_typedarray_type type;
  size_t n = 0;
  void *values = NULL;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &n, &values, NULL, NULL) != napi_ok || type != napi_float64_array ||
      n != count) {
    throw_error(env, "native-kernels: the second argument must be a Float64Array of the kernel's numbers");
    return 0;
  }
  *out = (const double *)values;
  return 1;
}

static int whole(double v) { return v >= 0 && v == floor(v) && v <= 4294967296.0; }

/* The Gaussian posterior's elementwise passes, each operation rounded to float32 on its own (baseline ISA, contraction
 * off), with exp, log and the row sum from the same functions as the Exp, Log and Sum kernels. */
__attribute__((optimize("fp-contract=off"))) static void times_half(const float *s, float *t, int64_t n) {
  for (int64_t i = 0; i < n; i++) t[i] = s[i] * 0.5f;
}

__attribute__((optimize("fp-contract=off"))) static void loc_plus(const float *loc, const float *scale, const float *eps,
                                                                  float *z, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = scale[i] * eps[i];
    z[i] = loc[i] + p;
  }
}

__attribute__((optimize("fp-contract=off"))) static void squares(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i];
}

/* k = ½·(((σ² + μ²) − 1) − log σ²), with log σ² already in k. */
__attribute__((optimize("fp-contract=off"))) static void kl_terms(const float *loc, const float *var, float *k,
                                                                  int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float mu2 = loc[i] * loc[i];
    const float a = var[i] + mu2;
    const float b = a - 1.f;
    const float c = b - k[i];
    k[i] = 0.5f * c;
  }
}

/* The backward pass of KL(N(μ, σ²) ‖ N(0, 1)) with ∂/∂KL = h and of z = μ + σ·ε with ∂/∂z = dz, through σ = exp(s/2). */
__attribute__((optimize("fp-contract=off"))) static void normal_backward(const float *loc, const float *scale,
                                                                         const float *var, const float *eps,
                                                                         const float *dz, float h, float *dloc,
                                                                         float *ds, int64_t n) {
  const float nh = -h;
  for (int64_t i = 0; i < n; i++) {
    const float q = nh / var[i];
    const float dvar = q + h;
    const float m2 = loc[i] * 2.f;
    const float dloc_kl = h * m2;
    const float s2 = scale[i] * 2.f;
    const float dscale_kl = dvar * s2;
    const float dscale_sample = dz[i] * eps[i];
    dloc[i] = dloc_kl + dz[i];
    const float dscale = dscale_kl + dscale_sample;
    const float e = dscale * scale[i];
    ds[i] = e * 0.5f;
  }
}

/* normalSample(heap, [size, locOff, sOff, epsOff, scaleOff, zOff]): σ = exp(s·½), z = μ + σ·ε. */
static napi_value NormalSample(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!heap_and_array(env, info, 6, &data, &length, &a)) return NULL;
  if (!whole(a[0])) return throw_error(env, "native-kernels: normalSample size must be an integer ≥ 0");
  for (int i = 1; i <= 5; i++)
    if (!in_bounds(a[i], a[0], length)) return throw_error(env, "native-kernels: normalSample operand outside the heap");
  char *base = (char *)data;
  const int64_t n = (int64_t)a[0];
  float *scale = (float *)(base + (int64_t)a[4]);
  times_half((const float *)(base + (int64_t)a[2]), scale, n);
  varia_exp(scale, scale, n);
  loc_plus((const float *)(base + (int64_t)a[1]), scale, (const float *)(base + (int64_t)a[3]),
           (float *)(base + (int64_t)a[5]), n);
  return NULL;
}

/* normalKl(heap, [rows, cols, locOff, scaleOff, varOff, scratchOff, sumOff]): σ² and Σ_j ½(σ² + μ² − 1 − log σ²). */
static napi_value NormalKl(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!heap_and_array(env, info, 7, &data, &length, &a)) return NULL;
  if (!whole(a[0]) || !whole(a[1]) || a[0] < 1 || a[1] < 1)
    return throw_error(env, "native-kernels: normalKl dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  for (int i = 2; i <= 5; i++)
    if (!in_bounds(a[i], size, length)) return throw_error(env, "native-kernels: normalKl operand outside the heap");
  if (!in_bounds(a[6], a[0], length)) return throw_error(env, "native-kernels: normalKl operand outside the heap");
  char *base = (char *)data;
  const int64_t n = (int64_t)size;
  const float *loc = (const float *)(base + (int64_t)a[2]);
  float *var = (float *)(base + (int64_t)a[4]);
  float *k = (float *)(base + (int64_t)a[5]);
  squares((const float *)(base + (int64_t)a[3]), var, n);
  varia_log(var, k, n);
  kl_terms(loc, var, k, n);
  varia_sum(k, (float *)(base + (int64_t)a[6]), (int64_t)a[0], (int64_t)a[1], 1);
  return NULL;
}

/* normalBackward(heap, [size, locOff, scaleOff, varOff, epsOff, dzOff, h, dLocOff, dsOff]). */
static napi_value NormalBackward(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!heap_and_array(env, info, 9, &data, &length, &a)) return NULL;
  if (!whole(a[0])) return throw_error(env, "native-kernels: normalBackward size must be an integer ≥ 0");
  const int operands[] = {1, 2, 3, 4, 5, 7, 8};
  for (int i = 0; i < 7; i++)
    if (!in_bounds(a[operands[i]], a[0], length))
      return throw_error(env, "native-kernels: normalBackward operand outside the heap");
  char *base = (char *)data;
  normal_backward((const float *)(base + (int64_t)a[1]), (const float *)(base + (int64_t)a[2]),
                  (const float *)(base + (int64_t)a[3]), (const float *)(base + (int64_t)a[4]),
                  (const float *)(base + (int64_t)a[5]), (float)a[6], (float *)(base + (int64_t)a[7]),
                  (float *)(base + (int64_t)a[8]), (int64_t)a[0]);
  return NULL;
}

/* A Gaussian likelihood N(x; μ, σ) with σ [cols] (or one σ) broadcast over the rows, summed over the features:
 * scale = σ + 0 (the broadcast), d = x − μ, t = d/scale, lp = (−½)·t² − (log scale + ½ log 2π). */
__attribute__((optimize("fp-contract=off"))) static void normal_lp_prepare(const float *x, const float *loc,
                                                                           const float *sigma, int64_t per_feature,
                                                                           float *scale, float *d, float *t,
                                                                           int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      const int64_t i = r * cols + c;
      scale[i] = sigma[per_feature ? c : 0] + 0.f;
      d[i] = x[i] - loc[i];
      t[i] = d[i] / scale[i];
    }
}

/* lp = (−½)·t² − (lg + ½ log 2π), with lg = log scale already in lp. */
__attribute__((optimize("fp-contract=off"))) static void normal_lp_terms(const float *t, float *lp, float half_log_2pi,
                                                                         int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float sq = t[i] * t[i];
    const float quad = -0.5f * sq;
    const float norm = lp[i] + half_log_2pi;
    lp[i] = quad - norm;
  }
}

/* The backward pass for ∂loss/∂lp = g everywhere: ∂/∂μ = −(dt/scale) with dt = (g·(−½))·(t·2), and
 * ∂/∂scale = (−g)/scale + (−((dt·d)/scale²)). */
__attribute__((optimize("fp-contract=off"))) static void normal_lp_backward(const float *scale, const float *t,
                                                                            const float *d, float g, float *dloc,
                                                                            float *dscale, int64_t n) {
  const float ng = -g;
  const float dquad = g * -0.5f;
  for (int64_t i = 0; i < n; i++) {
    const float from_log = ng / scale[i];
    const float t2 = t[i] * 2.f;
    const float dt = dquad * t2;
    const float dd = dt / scale[i];
    const float num = dt * d[i];
    const float s2 = scale[i] * scale[i];
    const float q = num / s2;
    dscale[i] = from_log + -q;
    dloc[i] = -dd;
  }
}

/* normalLogProb(heap, [rows, cols, perFeature, halfLog2pi, xOff, locOff, sigmaOff, scaleOff, dOff, tOff, lpOff, sumOff]) */
static napi_value NormalLogProb(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!heap_and_array(env, info, 12, &data, &length, &a)) return NULL;
  if (!whole(a[0]) || !whole(a[1]) || a[0] < 1 || a[1] < 1)
    return throw_error(env, "native-kernels: normalLogProb dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  const int per_feature = a[2] != 0;
  const int regions[] = {4, 5, 7, 8, 9, 10};
  for (int i = 0; i < 6; i++)
    if (!in_bounds(a[regions[i]], size, length))
      return throw_error(env, "native-kernels: normalLogProb operand outside the heap");
  if (!in_bounds(a[6], per_feature ? a[1] : 1, length) || !in_bounds(a[11], a[0], length))
    return throw_error(env, "native-kernels: normalLogProb operand outside the heap");
  char *base = (char *)data;
  const int64_t rows = (int64_t)a[0], cols = (int64_t)a[1], n = rows * cols;
  float *scale = (float *)(base + (int64_t)a[7]);
  float *t = (float *)(base + (int64_t)a[9]);
  float *lp = (float *)(base + (int64_t)a[10]);
  normal_lp_prepare((const float *)(base + (int64_t)a[4]), (const float *)(base + (int64_t)a[5]),
                    (const float *)(base + (int64_t)a[6]), per_feature, scale, (float *)(base + (int64_t)a[8]), t,
                    rows, cols);
  varia_log(scale, lp, n);
  normal_lp_terms(t, lp, (float)a[3], n);
  varia_sum(lp, (float *)(base + (int64_t)a[11]), rows, cols, 1);
  return NULL;
}

/* normalLogProbBackward(heap, [rows, cols, perFeature, g, scaleOff, tOff, dOff, dLocOff, dScaleOff, dSigmaOff]) */
static napi_value NormalLogProbBackward(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!heap_and_array(env, info, 10, &data, &length, &a)) return NULL;
  if (!whole(a[0]) || !whole(a[1]) || a[0] < 1 || a[1] < 1)
    return throw_error(env, "native-kernels: normalLogProbBackward dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  const int per_feature = a[2] != 0;
  for (int i = 4; i <= 8; i++)
    if (!in_bounds(a[i], size, length))
      return throw_error(env, "native-kernels: normalLogProbBackward operand outside the heap");
  if (!in_bounds(a[9], per_feature ? a[1] : 1, length))
    return throw_error(env, "native-kernels: normalLogProbBackward operand outside the heap");
  char *base = (char *)data;
  const int64_t rows = (int64_t)a[0], cols = (int64_t)a[1];
  float *dscale = (float *)(base + (int64_t)a[8]);
  normal_lp_backward((const float *)(base + (int64_t)a[4]), (const float *)(base + (int64_t)a[5]),
                     (const float *)(base + (int64_t)a[6]), (float)a[3], (float *)(base + (int64_t)a[7]), dscale,
                     rows * cols);
  /* ∂/∂σ: the sum over the broadcast axes — every element for one σ, the rows for one σ per feature */
  float *dsigma = (float *)(base + (int64_t)a[9]);
  if (per_feature) varia_sum(dscale, dsigma, 1, rows, cols);
  else varia_sum(dscale, dsigma, 1, rows * cols, 1);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"load", NULL, Load, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_default, NULL},
      {"setParallel", NULL, SetParallel, NULL, NULL, NULL, napi_default, NULL},
      {"parallel", NULL, Parallel, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
      {"adamInPlace", NULL, AdamInPlace, NULL, NULL, NULL, napi_default, NULL},
      {"denseBackward", NULL, DenseBackward, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, Unary, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, Sum, NULL, NULL, NULL, napi_default, NULL},
      {"lookup", NULL, Lookup, NULL, NULL, NULL, napi_default, NULL},
      {"mulSub", NULL, MulSub, NULL, NULL, NULL, napi_default, NULL},
      {"scaledSum", NULL, ScaledSum, NULL, NULL, NULL, napi_default, NULL},
      {"normalSample", NULL, NormalSample, NULL, NULL, NULL, napi_default, NULL},
      {"normalKl", NULL, NormalKl, NULL, NULL, NULL, napi_default, NULL},
      {"normalBackward", NULL, NormalBackward, NULL, NULL, NULL, napi_default, NULL},
      {"normalLogProb", NULL, NormalLogProb, NULL, NULL, NULL, napi_default, NULL},
      {"normalLogProbBackward", NULL, NormalLogProbBackward, NULL, NULL, NULL, napi_default, NULL},
      {"sparseDense", NULL, varia_sparse_dense, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
