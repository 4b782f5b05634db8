/*
 * A dense layer y = f(x·W + b) whose dense float32 input x [n, inDim] is mostly zeros (pixels, counts), computed
 * from x's non-zero entries only — a vectorized scan makes a CSR of them; the products are in sparse_tiles.c:
 *
 *   sparseInputDense(heap, n, inDim, units, xOff, wOff, biasOff, yOff, act, alpha)
 *       y = act(x·W + b) [n, units]; biasOff < 0: no bias; act as varia_activate (0 linear, 1 relu, 2 relu6,
 *       3 leakyrelu(alpha), 4 elu, 5 sigmoid)
 *   sparseInputDenseBackward(heap, n, inDim, units, dyOff, yOff, xOff, dwOff, dbOff, act)
 *       δ = dy ⊙ f′(y) (act 0 linear, 1 relu, 5 sigmoid, 6 tanh, as denseBackward), dW = xᵀ·δ [inDim, units],
 *       db = Σ_rows δ [units] (denseBackward's bits); no dx
 *
 * ±0 entries of x are skipped; NaN and ±∞ are entries like any other, so they propagate as in the dense product —
 * except that a skipped zero times an infinite or NaN weight adds nothing here (the dense product gets NaN).
 * Every region is checked against the heap's length; outputs that overlap an input (or each other) are refused;
 * n·inDim must be below 2³¹ − 16 (x's non-zeros are indexed in 32 bits: a larger x, possible in a heap outside wasm,
 * would overrun the CSR scratch).
 * Sizes 0 work (n = 0: an empty y; dW = 0 and db = 0).
 */
#include "sparse_input.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sparse_tiles.h"

/* ---- x's non-zero entries as CSR ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void dense_to_csr_avx512(const float *x, int64_t n, int64_t in_dim,
                                                                    int32_t *indptr, int32_t *idx, float *val) {
  int64_t p = 0;
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 zero = _mm512_setzero_ps();
  indptr[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    const float *xi = x + i * in_dim;
    for (int64_t k = 0; k < in_dim; k += 16) {
      const __mmask16 in = in_dim - k >= 16 ? 0xffff : (__mmask16)((1u << (in_dim - k)) - 1u);
      const __m512 v = _mm512_maskz_loadu_ps(in, xi + k);
      /* NEQ_UQ: NaN is non-zero; ±0 are zero */
      const __mmask16 m = _mm512_mask_cmp_ps_mask(in, v, zero, _CMP_NEQ_UQ);
      _mm512_storeu_ps(val + p, _mm512_maskz_compress_ps(m, v));
      _mm512_storeu_si512(idx + p, _mm512_maskz_compress_epi32(m, _mm512_add_epi32(lanes, _mm512_set1_epi32((int)k))));
      p += __builtin_popcount(m);
    }
    indptr[i + 1] = (int32_t)p;
  }
}
#define DENSE_TO_CSR_AVX512 1
#endif

static void dense_to_csr_portable(const float *x, int64_t n, int64_t in_dim, int32_t *indptr, int32_t *idx,
                                  float *val) {
  int64_t p = 0;
  indptr[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    const float *xi = x + i * in_dim;
    for (int64_t k = 0; k < in_dim; k++) { /* branch-free: a zero's slot is taken by the next entry */
      const float v = xi[k];
      idx[p] = (int32_t)k;
      val[p] = v;
      p += v != 0.f; /* NaN != 0 */
    }
    indptr[i + 1] = (int32_t)p;
  }
}

/* The non-zero entries of x [n, in_dim] as CSR in scratch memory (±0 skipped; NaN and ±∞ kept); −1: out of memory. */
static int csr_of_dense(const float *x, int64_t n, int64_t in_dim, const int32_t **indptr, const int32_t **idx,
                        const float **val) {
  const size_t slots = (size_t)(n * in_dim) + 16; /* a compressed store writes 16 lanes */
  int32_t *p = varia_sparse_scratch(VARIA_SCRATCH_CSR_INDICES, slots * 4 + (size_t)(n + 1) * 4);
  float *v = varia_sparse_scratch(VARIA_SCRATCH_CSR_VALUES, slots * 4);
  if (!p || !v) return -1;
  int32_t *rows = p + slots; /* indptr after the column indices */
#ifdef DENSE_TO_CSR_AVX512
  if (varia_sparse_avx512())
    dense_to_csr_avx512(x, n, in_dim, rows, p, v);
  else
#endif
    dense_to_csr_portable(x, n, in_dim, rows, p, v);
  *indptr = rows;
  *idx = p;
  *val = v;
  return 0;
}

static int dense_sparse_forward(const float *x, int64_t n, int64_t in_dim, const float *w, const float *bias, float *y,
                                int64_t units, int act, float alpha) {
  if (n == 0 || units == 0) return 0;
  const int32_t *indptr, *indices;
  const float *values;
  if (csr_of_dense(x, n, in_dim, &indptr, &indices, &values) != 0) return -1;
  return varia_sparse_forward(indptr, indices, values, n, in_dim, w, bias, y, units, act, alpha, 1);
}

static int dense_sparse_backward(const float *dy, const float *y, const float *x, int64_t n, int64_t in_dim,
                                 int64_t units, int act, float *dw, float *db) {
  if (units == 0) return 0;
  if (n == 0) {
    memset(dw, 0, (size_t)(in_dim * units) * 4);
    memset(db, 0, (size_t)units * 4);
    return 0;
  }
  const int32_t *indptr, *indices;
  const float *values;
  float *delta = varia_sparse_scratch(VARIA_SCRATCH_DELTA, (size_t)(n * units) * 4);
  if (!delta || csr_of_dense(x, n, in_dim, &indptr, &indices, &values) != 0) return -1;
  /* δ and db exactly as denseBackward (matmul.c) computes them */
  varia_activation_delta(dy, y, delta, n * units, act);
  varia_sum(delta, db, 1, n, units);
  return varia_sparse_dw(indptr, indices, values, n, in_dim, delta, dw, units);
}

/* ---- the entry points ---- */

int varia_overlaps(double a, double m, double b, double n) { return m > 0 && n > 0 && a < b + n * 4.0 && b < a + m * 4.0; }

int varia_is_count(double v) { return v >= 0 && v <= 2147483647.0 && v == floor(v); }

/* (heap, 9 numbers): the heap and the numbers, or 0 after throwing. */
static int heap_and_nine(napi_env env, napi_callback_info info, const char *name, void **data, size_t *length,
                         double *d) {
  size_t argc = 10;
  napi_value argv[10];
  bool is_ab = false;
  char message[96];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10) {
    snprintf(message, sizeof message, "native-kernels: %s needs 10 arguments", name);
    varia_throw_error(env, message);
    return 0;
  }
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    snprintf(message, sizeof message, "native-kernels: %s needs the wasm heap's ArrayBuffer", name);
    varia_throw_error(env, message);
    return 0;
  }
  for (size_t i = 0; i < 9; i++)
    if (!varia_arg_f64(env, argv, i + 1, &d[i])) {
      snprintf(message, sizeof message, "native-kernels: %s arguments must be numbers", name);
      varia_throw_error(env, message);
      return 0;
    }
  if (!varia_is_count(d[0]) || !varia_is_count(d[1]) || !varia_is_count(d[2])) {
    snprintf(message, sizeof message, "native-kernels: %s needs n, inDim, units ≥ 0 (32-bit integers)", name);
    varia_throw_error(env, message);
    return 0;
  }
  /* x's non-zero entries are counted and indexed in 32 bits (CSR of int32, a compressed store's 16 spare slots) */
  if (d[0] * d[1] > 2147483647.0 - 16) {
    snprintf(message, sizeof message, "native-kernels: %s needs n·inDim < 2³¹ − 16 (x's cells)", name);
    varia_throw_error(env, message);
    return 0;
  }
  return 1;
}

napi_value varia_napi_sparse_input_dense(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[9];
  if (!heap_and_nine(env, info, "sparseInputDense", &data, &length, d)) return NULL;
  const double n = d[0], in_dim = d[1], units = d[2], x_off = d[3], w_off = d[4], b_off = d[5], y_off = d[6],
               act = d[7];
  if (!(act == 0 || act == 1 || act == 2 || act == 3 || act == 4 || act == 5))
    return varia_throw_error(env, "native-kernels: unknown activation code");
  const int has_bias = b_off >= 0;
  if (!varia_in_bounds(x_off, n * in_dim, length) || !varia_in_bounds(w_off, in_dim * units, length) ||
      (has_bias && !varia_in_bounds(b_off, units, length)) || !varia_in_bounds(y_off, n * units, length))
    return varia_throw_error(env, "native-kernels: sparseInputDense operand outside the heap");
  if (varia_overlaps(y_off, n * units, x_off, n * in_dim) || varia_overlaps(y_off, n * units, w_off, in_dim * units) ||
      (has_bias && varia_overlaps(y_off, n * units, b_off, units)))
    return varia_throw_error(env, "native-kernels: sparseInputDense output overlaps an input");
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: sparseInputDense could not register its scratch memory's release");
  char *base = (char *)data;
  if (dense_sparse_forward((const float *)(base + (int64_t)x_off), (int64_t)n, (int64_t)in_dim,
                                 (const float *)(base + (int64_t)w_off),
                                 has_bias ? (const float *)(base + (int64_t)b_off) : NULL,
                                 (float *)(base + (int64_t)y_off), (int64_t)units, (int)act, (float)d[8]) != 0)
    return varia_throw_error(env, "native-kernels: sparseInputDense could not allocate its scratch memory");
  return NULL;
}

napi_value varia_napi_sparse_input_dense_backward(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[9];
  if (!heap_and_nine(env, info, "sparseInputDenseBackward", &data, &length, d)) return NULL;
  const double n = d[0], in_dim = d[1], units = d[2], dy_off = d[3], y_off = d[4], x_off = d[5], dw_off = d[6],
               db_off = d[7], act = d[8];
  if (!(act == 0 || act == 1 || act == 5 || act == 6))
    return varia_throw_error(env, "native-kernels: unknown activation code");
  if (!varia_in_bounds(dy_off, n * units, length) || !varia_in_bounds(y_off, n * units, length) ||
      !varia_in_bounds(x_off, n * in_dim, length) || !varia_in_bounds(dw_off, in_dim * units, length) ||
      !varia_in_bounds(db_off, units, length))
    return varia_throw_error(env, "native-kernels: sparseInputDenseBackward operand outside the heap");
  const double dw_n = in_dim * units;
  if (varia_overlaps(dw_off, dw_n, dy_off, n * units) || varia_overlaps(dw_off, dw_n, y_off, n * units) ||
      varia_overlaps(dw_off, dw_n, x_off, n * in_dim) || varia_overlaps(dw_off, dw_n, db_off, units) ||
      varia_overlaps(db_off, units, dy_off, n * units) || varia_overlaps(db_off, units, y_off, n * units) ||
      varia_overlaps(db_off, units, x_off, n * in_dim))
    return varia_throw_error(env, "native-kernels: sparseInputDenseBackward output overlaps an input");
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: sparseInputDenseBackward could not register its scratch memory's release");
  char *base = (char *)data;
  if (dense_sparse_backward((const float *)(base + (int64_t)dy_off), (const float *)(base + (int64_t)y_off),
                                  (const float *)(base + (int64_t)x_off), (int64_t)n, (int64_t)in_dim,
                                  (int64_t)units, (int)act, (float *)(base + (int64_t)dw_off),
                                  (float *)(base + (int64_t)db_off)) != 0)
    return varia_throw_error(env, "native-kernels: sparseInputDenseBackward could not allocate its scratch memory");
  return NULL;
}
