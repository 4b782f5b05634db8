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
 * — the work is nnz·units multiply-adds instead of rows·inDim·units. The product is varia_sparse_forward's
 * (sparse_tiles.c): with AVX-512F and rows whose columns are sorted (noted by the structure check below) sparse_rows.c's
 * row kernel, else blocks of 128 rows copied by column into scratch memory and scattered into 64-column output tiles
 * held in L1 — the same bits. The float32 sums run in a different order than a dense GEMM's (b first, then the
 * entries by column), so the results differ from the dense product by rounding only.
 *
 * Safety: every region is checked against the heap's length, and the whole CSR structure before anything is written
 * — indptr[0] = 0, indptr[rows] = nnz, indptr non-decreasing, every column index in 0 … inDim − 1 — so a malformed
 * matrix is an exception (code "VARIA_CSR", with `row` and, for a bad column, `entry` and `column`), never an
 * out-of-bounds read; an output region that overlaps indptr or indices (it would rewrite them after the check) is
 * refused. act: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid (varia_activate).
 * With helper threads (setParallel), large products are shared in tiles of columns (the same bits for any count).
 */
#define NAPI_VERSION 8
#include "sparse_dense.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse_input.h"
#include "sparse_tiles.h"

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
  if (!varia_is_count(rows) || !varia_is_count(in_dim) || !varia_is_count(units) || !varia_is_count(nnz) || in_dim < 1 || units < 1)
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
  if (varia_overlaps(d[9], rows * units, d[4], rows + 1) || varia_overlaps(d[9], rows * units, d[5], nnz))
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
  int sorted = 1; /* every row's columns non-decreasing: sparse_tiles.c may take its row kernel */
  for (int64_t i = 0; i < R; i++) {
    const int32_t from = indptr[i], to = indptr[i + 1];
    if (to < from || to > NNZ) {
      char message[160];
      snprintf(message, sizeof message, "sparse input: indptr at row %lld goes from %d to %d (non-decreasing, at most %lld)",
               (long long)i, from, to, (long long)NNZ);
      return throw_csr(env, message, i, -1, -1);
    }
    /* branch-free (vectorized): any column outside 0 … K − 1, any column below its predecessor */
    uint32_t outside = from < to && (uint32_t)indices[from] >= (uint32_t)K;
    int32_t descents = 0;
    for (int32_t e = from + 1; e < to; e++) {
      outside |= (uint32_t)indices[e] >= (uint32_t)K;
      descents |= indices[e] < indices[e - 1];
    }
    sorted &= !descents;
    if (outside)
      for (int32_t e = from; e < to; e++)
        if (indices[e] < 0 || indices[e] >= K) {
          char message[160];
          snprintf(message, sizeof message, "sparse input: row %lld: column index %d is outside 0…%lld", (long long)i,
                   indices[e], (long long)(K - 1));
          return throw_csr(env, message, i, e, indices[e]);
        }
  }
  if (varia_sparse_scratch_attach(env) != 0)
    return throw_plain(env, "native-kernels: sparseDense could not register its scratch memory's release");
  if (varia_sparse_forward(indptr, indices, (const float *)(base + (int64_t)d[6]), R, K,
                           (const float *)(base + (int64_t)d[7]), has_bias ? (const float *)(base + (int64_t)bias_off) : NULL,
                           (float *)(base + (int64_t)d[9]), N, (int)act, (float)d[11], sorted) != 0)
    return throw_plain(env, "native-kernels: sparseDense could not allocate its scratch memory");
  return NULL;
}
