/*
 * The forward pass of a dense layer on a sparse input in CSR form, y = f(X·W + b), for TensorFlow.js's wasm backend:
 *
 *   sparseDense(heap, rows, inDim, units, nnz, indptrOff, indicesOff, valuesOff, kernelOff, biasOff, outOff, act, alpha)
 *
 * X [rows, inDim] is given by indptr (int32 [rows + 1]), indices (int32 [nnz]) and values (float32 [nnz]); W is
 * [inDim, units] row-major, b [units] (biasOff < 0: none), y [rows, units]. Row i of y is
 *
 *   y_i = f(b + Σ_{e = indptr[i]}^{indptr[i+1] − 1} values[e] · W[indices[e], :])
 *
 * — an axpy of a row of W per stored entry, vectorized over the output row, so the work is nnz·units multiply-adds
 * instead of rows·inDim·units. On x86-64 CPUs with AVX-512F the output is computed in register tiles of 32 columns
 * (sparse_rows_avx512, chosen at run time); elsewhere the axpy loop is cloned for AVX-512 / AVX2+FMA and the baseline
 * like math_kernels.c. The float32 sums run in a different order than a dense GEMM's (entries in column order, split
 * in two or four partial sums), so the results differ from the dense product by rounding only.
 *
 * Safety: every region is checked against the heap's length, and the whole CSR structure before anything is written
 * — indptr[0] = 0, indptr[rows] = nnz, indptr non-decreasing, every column index in 0 … inDim − 1 — so a malformed
 * matrix is an exception (code "VARIA_CSR", with `row` and, for a bad column, `entry` and `column`), never an
 * out-of-bounds read; an output region that overlaps indptr or indices (it would rewrite them after the check) is
 * refused. act: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid (varia_activate).
 * With helper threads (setParallel), large products are shared in blocks of rows.
 */
#define NAPI_VERSION 8
#include "sparse_dense.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math_kernels.h"
#include "parallel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SPARSE_AVX512 1
#else
#define SPARSE_AVX512 0
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
/* Clones dispatched by the CPU's features — ISA levels (GCC ≥ 12), else the features themselves, as math_kernels.c's:
 * an `arch=<cpu>` clone is dispatched by CPU model (__builtin_cpu_is), so every other CPU ran the baseline loop.
 * fp-contract: the axpy is one FMA per element where the clone has FMA (x86-64-v3/v4; the results differ from the
 * baseline clone's by rounding only, within the same bound). */
#if __GNUC__ >= 12 /* ISA levels in target_clones */
#define SPARSE_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define SPARSE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#else
#define SPARSE_CLONES
#endif

typedef struct {
  const int32_t *indptr, *indices;
  const float *values, *w, *bias;
  float *out;
  int64_t units;
  int act;
  float alpha;
  int avx512; /* the CPU runs AVX-512F: sparse_rows_avx512 */
} sparse_job_t;

/* out[0 … n) = bias or 0, then += Σ_e v_e · W[col_e, :] over one row's entries, four entries per pass over out. */
SPARSE_CLONES static void sparse_row(const int32_t *restrict cols, const float *restrict vals, int64_t count,
                                     const float *restrict w, const float *restrict bias, float *restrict out,
                                     int64_t n) {
  if (bias)
    memcpy(out, bias, (size_t)n * sizeof(float));
  else
    memset(out, 0, (size_t)n * sizeof(float));
  int64_t e = 0;
  for (; e + 4 <= count; e += 4) {
    const float v0 = vals[e], v1 = vals[e + 1], v2 = vals[e + 2], v3 = vals[e + 3];
    const float *restrict w0 = w + (int64_t)cols[e] * n, *restrict w1 = w + (int64_t)cols[e + 1] * n;
    const float *restrict w2 = w + (int64_t)cols[e + 2] * n, *restrict w3 = w + (int64_t)cols[e + 3] * n;
    for (int64_t j = 0; j < n; j++) out[j] += (v0 * w0[j] + v1 * w1[j]) + (v2 * w2[j] + v3 * w3[j]);
  }
  for (; e < count; e++) {
    const float v = vals[e];
    const float *restrict wr = w + (int64_t)cols[e] * n;
    for (int64_t j = 0; j < n; j++) out[j] += v * wr[j];
  }
}

#if SPARSE_AVX512
/*
 * Rows [r0, r1) with AVX-512: the output in tiles of 32 columns held in registers while a row's entries stream by
 * (even and odd entries in separate accumulators, added at the end), the last < 32 columns in masked tiles of 16.
 * Measured on MNIST (10,000 × 784 at 19 %, 400 units): ~40 GFLOP/s of useful work against ~31 for sparse_row — a
 * tile of W's columns stays in L1/L2 across a block of rows, and the output row is written once.
 */
__attribute__((target("avx512f"))) static void sparse_rows_avx512(const sparse_job_t *j, int64_t r0, int64_t r1) {
  const int64_t n = j->units;
  const int32_t *restrict indptr = j->indptr, *restrict cols = j->indices;
  const float *restrict vals = j->values, *restrict bias = j->bias;
  int64_t c0 = 0;
  for (; c0 + 32 <= n; c0 += 32) {
    const float *wt = j->w + c0;
    const __m512 b0 = bias ? _mm512_loadu_ps(bias + c0) : _mm512_setzero_ps();
    const __m512 b1 = bias ? _mm512_loadu_ps(bias + c0 + 16) : _mm512_setzero_ps();
    for (int64_t i = r0; i < r1; i++) {
      __m512 a0 = b0, a1 = b1, o0 = _mm512_setzero_ps(), o1 = _mm512_setzero_ps();
      int64_t e = indptr[i];
      const int64_t end = indptr[i + 1];
      for (; e + 2 <= end; e += 2) {
        const __m512 v0 = _mm512_set1_ps(vals[e]), v1 = _mm512_set1_ps(vals[e + 1]);
        const float *w0 = wt + (int64_t)cols[e] * n, *w1 = wt + (int64_t)cols[e + 1] * n;
        a0 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w0), a0);
        a1 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w0 + 16), a1);
        o0 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(w1), o0);
        o1 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(w1 + 16), o1);
      }
      if (e < end) {
        const __m512 v0 = _mm512_set1_ps(vals[e]);
        const float *w0 = wt + (int64_t)cols[e] * n;
        a0 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w0), a0);
        a1 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w0 + 16), a1);
      }
      _mm512_storeu_ps(j->out + i * n + c0, _mm512_add_ps(a0, o0));
      _mm512_storeu_ps(j->out + i * n + c0 + 16, _mm512_add_ps(a1, o1));
    }
  }
  for (; c0 < n; c0 += 16) {
    const int rem = n - c0 < 16 ? (int)(n - c0) : 16;
    const __mmask16 mask = (__mmask16)((1u << rem) - 1u);
    const float *wt = j->w + c0;
    const __m512 b0 = bias ? _mm512_maskz_loadu_ps(mask, bias + c0) : _mm512_setzero_ps();
    for (int64_t i = r0; i < r1; i++) {
      __m512 a0 = b0, o0 = _mm512_setzero_ps();
      int64_t e = indptr[i];
      const int64_t end = indptr[i + 1];
      for (; e + 2 <= end; e += 2) {
        a0 = _mm512_fmadd_ps(_mm512_set1_ps(vals[e]), _mm512_maskz_loadu_ps(mask, wt + (int64_t)cols[e] * n), a0);
        o0 = _mm512_fmadd_ps(_mm512_set1_ps(vals[e + 1]), _mm512_maskz_loadu_ps(mask, wt + (int64_t)cols[e + 1] * n), o0);
      }
      if (e < end) a0 = _mm512_fmadd_ps(_mm512_set1_ps(vals[e]), _mm512_maskz_loadu_ps(mask, wt + (int64_t)cols[e] * n), a0);
      _mm512_mask_storeu_ps(j->out + i * n + c0, mask, _mm512_add_ps(a0, o0));
    }
  }
}
#endif

/* rows [start, end): their products, then the activation while they are in cache */
static void sparse_block(void *ctx, int64_t start, int64_t end) {
  const sparse_job_t *j = (const sparse_job_t *)ctx;
#if SPARSE_AVX512
  if (j->avx512) {
    sparse_rows_avx512(j, start, end);
    varia_activate(j->out + start * j->units, (end - start) * j->units, j->act, j->alpha);
    return;
  }
#endif
  for (int64_t i = start; i < end; i++) {
    const int64_t from = j->indptr[i];
    sparse_row(j->indices + from, j->values + from, j->indptr[i + 1] - from, j->w, j->bias, j->out + i * j->units,
               j->units);
  }
  varia_activate(j->out + start * j->units, (end - start) * j->units, j->act, j->alpha);
}

/* Products with at least this many multiply-adds are shared between threads when there are helpers. */
#define SPARSE_PARALLEL_MIN_MACS (1 << 21)
/* rows per block: a tile of W is reused across them (and threads take blocks) */
#define SPARSE_BLOCK_ROWS 64

static napi_value throw_plain(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* A malformed CSR: an Error with code VARIA_CSR and the row (and entry and column, when ≥ 0) as properties. */
static napi_value throw_csr(napi_env env, const char *message, int64_t row, int64_t entry, int64_t column) {
  napi_value msg, code, error, v;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, "VARIA_CSR", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_error(env, code, msg, &error) != napi_ok)
    return throw_plain(env, message);
  const char *names[] = {"row", "entry", "column"};
  const int64_t values[] = {row, entry, column};
  for (int k = 0; k < 3; k++)
    if (values[k] >= 0 && napi_create_int64(env, values[k], &v) == napi_ok) napi_set_named_property(env, error, names[k], v);
  napi_throw(env, error);
  return NULL;
}

/* A 4-byte region [off, off + count·4) inside a heap of `length` bytes. */
static int region_ok(double off, double count, size_t length) {
  return off >= 0 && count >= 0 && off == floor(off) && fmod(off, 4.0) == 0 && off + count * 4.0 <= (double)length;
}

/* Whether the 4-byte regions [a, a + m·4) and [b, b + n·4) share a byte (an empty region shares none). */
static int overlaps(double a, double m, double b, double n) { return m > 0 && n > 0 && a < b + n * 4.0 && b < a + m * 4.0; }

static int is_count(double v) { return v >= 0 && v <= 2147483647.0 && v == floor(v); }

napi_value varia_sparse_dense(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 13)
    return throw_plain(env, "native-kernels: sparseDense needs 13 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok)
    return throw_plain(env, "native-kernels: sparseDense needs the wasm heap's ArrayBuffer");
  double d[12];
  for (size_t i = 0; i < 12; i++)
    if (napi_get_value_double(env, argv[i + 1], &d[i]) != napi_ok)
      return throw_plain(env, "native-kernels: sparseDense arguments must be numbers");
  const double rows = d[0], in_dim = d[1], units = d[2], nnz = d[3], bias_off = d[8], act = d[10];
  if (!is_count(rows) || !is_count(in_dim) || !is_count(units) || !is_count(nnz) || in_dim < 1 || units < 1)
    return throw_plain(env, "native-kernels: sparseDense needs rows, nnz ≥ 0 and inDim, units ≥ 1 (32-bit integers)");
  if (!(act == 0 || act == 1 || act == 2 || act == 3 || act == 4 || act == 5))
    return throw_plain(env, "native-kernels: unknown activation code");
  const int has_bias = bias_off >= 0;
  if (!region_ok(d[4], rows + 1, length) || !region_ok(d[5], nnz, length) || !region_ok(d[6], nnz, length) ||
      !region_ok(d[7], in_dim * units, length) || (has_bias && !region_ok(bias_off, units, length)) ||
      !region_ok(d[9], rows * units, length))
    return throw_plain(env, "native-kernels: sparseDense operand outside the heap");
  /* the output may not overlap the structure: rows written early would change the pointers and columns that later
   * rows read after they were checked (an out-of-bounds read of W) */
  if (overlaps(d[9], rows * units, d[4], rows + 1) || overlaps(d[9], rows * units, d[5], nnz))
    return throw_plain(env, "native-kernels: sparseDense output overlaps indptr or indices");
  char *base = (char *)data;
  const int64_t R = (int64_t)rows, K = (int64_t)in_dim, N = (int64_t)units, NNZ = (int64_t)nnz;
  const int32_t *indptr = (const int32_t *)(base + (int64_t)d[4]);
  const int32_t *indices = (const int32_t *)(base + (int64_t)d[5]);
  /* the structure, before anything is written: every access below stays inside indices/values and W */
  if (indptr[0] != 0 || indptr[R] != NNZ) {
    char message[160];
    snprintf(message, sizeof message, "sparse input: indptr must run from 0 to the %lld stored entries, got %d … %d",
             (long long)NNZ, indptr[0], indptr[R]);
    return throw_csr(env, message, -1, -1, -1);
  }
  for (int64_t i = 0; i < R; i++) {
    const int32_t from = indptr[i], to = indptr[i + 1];
    if (to < from || to > NNZ) {
      char message[160];
      snprintf(message, sizeof message, "sparse input: indptr at row %lld goes from %d to %d (non-decreasing, at most %lld)",
               (long long)i, from, to, (long long)NNZ);
      return throw_csr(env, message, i, -1, -1);
    }
    for (int32_t e = from; e < to; e++)
      if (indices[e] < 0 || indices[e] >= K) {
        char message[160];
        snprintf(message, sizeof message, "sparse input: row %lld: column index %d is outside 0…%lld", (long long)i,
                 indices[e], (long long)(K - 1));
        return throw_csr(env, message, i, e, indices[e]);
      }
  }
  sparse_job_t job = {.indptr = indptr,
                      .indices = indices,
                      .values = (const float *)(base + (int64_t)d[6]),
                      .w = (const float *)(base + (int64_t)d[7]),
                      .bias = has_bias ? (const float *)(base + (int64_t)bias_off) : NULL,
                      .out = (float *)(base + (int64_t)d[9]),
                      .units = N,
                      .act = (int)act,
                      .alpha = (float)d[11],
#if SPARSE_AVX512
                      /* VARIA_NATIVE_NO_AVX512=1: the portable loop (the tests compare both paths) */
                      .avx512 = __builtin_cpu_supports("avx512f") && !getenv("VARIA_NATIVE_NO_AVX512")
#else
                      .avx512 = 0
#endif
  };
  if (R == 0) return NULL;
  if (varia_parallel() > 1 && NNZ * N >= SPARSE_PARALLEL_MIN_MACS) {
    varia_parallel_for(sparse_block, &job, R, SPARSE_BLOCK_ROWS);
  } else {
    for (int64_t r = 0; r < R; r += SPARSE_BLOCK_ROWS) sparse_block(&job, r, r + SPARSE_BLOCK_ROWS < R ? r + SPARSE_BLOCK_ROWS : R);
  }
  return NULL;
}
