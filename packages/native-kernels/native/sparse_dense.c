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
 * out-of-bounds read; an output region that overlaps indptr or indices (it would rewrite them after the check), the
 * values, W or the bias (later rows would read what earlier rows wrote) is refused. act: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid (varia_activate).
 * With helper threads (setParallel), large products are shared in tiles of columns (the same bits for any count).
 *
 *   sparseDenseHost(heap, indptr, indices, values, rows, inDim, units, kernelOff, biasOff, outOff, act, alpha, transform)
 *
 * The same product with X read in place from the caller's arrays — indptr and indices Int32Arrays, values a
 * Float32Array or a heap offset (values already on the heap, e.g. transformed there) — so nothing is copied into the
 * heap: each array's type and length are checked (indptr rows + 1, values as many as indices, none over a
 * SharedArrayBuffer, which another thread could change between the check and the product), and the structure against
 * assertSparseMatrix's strict rules of @varia/core (each row's columns strictly increasing, not only in range) in the
 * same pass. The heap regions are checked as above; no GC runs during the synchronous call, so the arrays stay put.
 * transform 1 (values in a Float32Array only): the product of log1p(values) — varia_log1p_counts's bits, those of the
 * Log1p kernel — computed into scratch memory first (a counts model's log1p input without a tensor of the values).
 */
#define NAPI_VERSION 8
#include "sparse_dense.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log1p_counts.h"
#include "sparse_input.h"
#include "sparse_tiles.h"

static napi_value throw_plain(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* No row, entry or column for throw_csr (a column index may be any int32, −1 included). */
#define CSR_NONE INT64_MIN

/* A malformed CSR: an Error with code VARIA_CSR and the row (and entry and column, unless CSR_NONE) as properties. */
static napi_value throw_csr(napi_env env, const char *message, int64_t row, int64_t entry, int64_t column) {
  napi_value msg, code, error, v;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, "VARIA_CSR", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_error(env, code, msg, &error) != napi_ok)
    return throw_plain(env, message);
  const char *names[] = {"row", "entry", "column"};
  const int64_t values[] = {row, entry, column};
  for (int k = 0; k < 3; k++)
    if (values[k] != CSR_NONE && napi_create_int64(env, values[k], &v) == napi_ok) napi_set_named_property(env, error, names[k], v);
  napi_throw(env, error);
  return NULL;
}

/* A 4-byte region [off, off + count·4) inside a heap of `length` bytes. */
static int region_ok(double off, double count, size_t length) {
  return off >= 0 && count >= 0 && off == floor(off) && fmod(off, 4.0) == 0 && off + count * 4.0 <= (double)length;
}


/* The structure of X before anything is written — indptr[0] = 0, indptr[R] = nnz, indptr non-decreasing, every column
 * in 0 … K − 1, and with `strict` each row's columns strictly increasing (assertSparseMatrix's rules in @varia/core) —
 * so that every access of the product stays inside indices/values and W. One branch-free (vectorized) pass per row;
 * a row found bad is looked at again, entry by entry, for its first bad column (the first bad row and entry, as the
 * JavaScript check finds them). *sorted: every row's columns non-decreasing (the row kernel applies). Returns 0, or 1
 * with a VARIA_CSR error thrown. */
static int check_structure(napi_env env, const int32_t *indptr, const int32_t *indices, int64_t R, int64_t K, int64_t NNZ,
                           int strict, int *sorted) {
  char message[200];
  if (indptr[0] != 0 || indptr[R] != NNZ) {
    snprintf(message, sizeof message, "sparse input: indptr must run from 0 to the %lld stored entries, got %d … %d",
             (long long)NNZ, indptr[0], indptr[R]);
    throw_csr(env, message, CSR_NONE, CSR_NONE, CSR_NONE);
    return 1;
  }
  int all_sorted = 1;
  for (int64_t i = 0; i < R; i++) {
    const int32_t from = indptr[i], to = indptr[i + 1];
    if (to < from || to > NNZ) {
      snprintf(message, sizeof message, "sparse input: indptr at row %lld goes from %d to %d (non-decreasing, at most %lld)",
               (long long)i, from, to, (long long)NNZ);
      throw_csr(env, message, i, CSR_NONE, CSR_NONE);
      return 1;
    }
    /* any column outside 0 … K − 1, any column below its predecessor, any repeated one */
    uint32_t outside = from < to && (uint32_t)indices[from] >= (uint32_t)K;
    int32_t descents = 0, repeats = 0;
    for (int32_t e = from + 1; e < to; e++) {
      outside |= (uint32_t)indices[e] >= (uint32_t)K;
      descents |= indices[e] < indices[e - 1];
      repeats |= indices[e] == indices[e - 1];
    }
    all_sorted &= !descents;
    if (outside || (strict && (descents | repeats))) {
      int64_t prev = -1; /* strict: j ≤ prev catches a column not after its predecessor */
      for (int32_t e = from; e < to; e++) {
        const int32_t j = indices[e];
        const int out = j < 0 || j >= K;
        if (out || (strict && j <= prev)) {
          if (out)
            snprintf(message, sizeof message, "sparse input: row %lld: column index %d is outside 0…%lld", (long long)i, j,
                     (long long)(K - 1));
          else
            snprintf(message, sizeof message,
                     "sparse input: row %lld: column index %d is not after the previous one (columns must be strictly "
                     "increasing within a row)",
                     (long long)i, j);
          throw_csr(env, message, i, e, j);
          return 1;
        }
        prev = j;
      }
    }
  }
  *sorted = all_sorted;
  return 0;
}

/* Checks X's structure (strict: assertSparseMatrix's rules), then y = f(X·W + b) (varia_sparse_forward). */
static napi_value checked_forward(napi_env env, const int32_t *indptr, const int32_t *indices, const float *values,
                                  int64_t R, int64_t K, int64_t N, int64_t NNZ, const float *w, const float *bias, float *y,
                                  int act, float alpha, int strict) {
  int sorted = 0;
  if (check_structure(env, indptr, indices, R, K, NNZ, strict, &sorted) != 0) return NULL;
  if (varia_sparse_scratch_attach(env) != 0)
    return throw_plain(env, "native-kernels: sparseDense could not register its scratch memory's release");
  if (varia_sparse_forward(indptr, indices, values, R, K, w, bias, y, N, act, alpha, sorted) != 0)
    return throw_plain(env, "native-kernels: sparseDense could not allocate its scratch memory");
  return NULL;
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
  /* nor the values, W or the bias: rows written early would change what later rows read (wrong sums, no fault) */
  if (varia_overlaps(d[9], rows * units, d[6], nnz) || varia_overlaps(d[9], rows * units, d[7], in_dim * units) ||
      (has_bias && varia_overlaps(d[9], rows * units, bias_off, units)))
    return throw_plain(env, "native-kernels: sparseDense output overlaps the values, the kernel or the bias");
  char *base = (char *)data;
  return checked_forward(env, (const int32_t *)(base + (int64_t)d[4]), (const int32_t *)(base + (int64_t)d[5]),
                         (const float *)(base + (int64_t)d[6]), (int64_t)rows, (int64_t)in_dim, (int64_t)units,
                         (int64_t)nnz, (const float *)(base + (int64_t)d[7]),
                         has_bias ? (const float *)(base + (int64_t)bias_off) : NULL, (float *)(base + (int64_t)d[9]),
                         (int)act, (float)d[11], 0);
}

napi_value varia_sparse_dense_host(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 13)
    return throw_plain(env, "native-kernels: sparseDenseHost needs 13 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok)
    return throw_plain(env, "native-kernels: sparseDenseHost needs the wasm heap's ArrayBuffer");
  size_t indptr_count = 0, nnz = 0, values_count = 0;
  void *indptr = NULL, *indices = NULL, *host_values = NULL;
  if (!varia_host_array(env, argv[1], napi_int32_array, &indptr_count, &indptr) ||
      !varia_host_array(env, argv[2], napi_int32_array, &nnz, &indices))
    return throw_plain(env, "native-kernels: sparseDenseHost needs indptr and indices as Int32Arrays (not shared)");
  napi_valuetype values_type;
  if (napi_typeof(env, argv[3], &values_type) != napi_ok) return throw_plain(env, "native-kernels: N-API call failed");
  const int values_on_heap = values_type == napi_number;
  if (!values_on_heap && !varia_host_array(env, argv[3], napi_float32_array, &values_count, &host_values))
    return throw_plain(env, "native-kernels: sparseDenseHost needs values as a Float32Array (not shared) or a heap offset");
  double d[9];
  for (size_t i = 0; i < 9; i++)
    if (napi_get_value_double(env, argv[i + 4], &d[i]) != napi_ok)
      return throw_plain(env, "native-kernels: sparseDenseHost arguments must be numbers");
  double values_off = -1;
  if (values_on_heap && napi_get_value_double(env, argv[3], &values_off) != napi_ok)
    return throw_plain(env, "native-kernels: N-API call failed");
  const double rows = d[0], in_dim = d[1], units = d[2], kernel_off = d[3], bias_off = d[4], out_off = d[5], act = d[6];
  if (!varia_is_count(rows) || !varia_is_count(in_dim) || !varia_is_count(units) || !varia_is_count((double)nnz) ||
      in_dim < 1 || units < 1)
    return throw_plain(env, "native-kernels: sparseDenseHost needs rows, nnz ≥ 0 and inDim, units ≥ 1 (32-bit integers)");
  if ((double)indptr_count != rows + 1 || (!values_on_heap && values_count != nnz))
    return throw_plain(env, "native-kernels: sparseDenseHost needs rows + 1 row pointers and one value per column index");
  if (!(act == 0 || act == 1 || act == 2 || act == 3 || act == 4 || act == 5))
    return throw_plain(env, "native-kernels: unknown activation code");
  const double transform = d[8];
  if (!(transform == 0 || (transform == 1 && !values_on_heap)))
    return throw_plain(env, "native-kernels: sparseDenseHost's transform is 0, or 1 (log1p) for values in a Float32Array");
  const int has_bias = bias_off >= 0;
  if ((values_on_heap && !region_ok(values_off, (double)nnz, length)) || !region_ok(kernel_off, in_dim * units, length) ||
      (has_bias && !region_ok(bias_off, units, length)) || !region_ok(out_off, rows * units, length))
    return throw_plain(env, "native-kernels: sparseDenseHost operand outside the heap");
  char *base = (char *)data;
  float *y = (float *)(base + (int64_t)out_off);
  const size_t y_bytes = (size_t)rows * (size_t)units * 4;
  /* a typed array may view the heap itself: the output may not overlap the structure (see varia_sparse_dense) */
  if (varia_bytes_meet(y, y_bytes, indptr, indptr_count * 4) || varia_bytes_meet(y, y_bytes, indices, nnz * 4))
    return throw_plain(env, "native-kernels: sparseDenseHost output overlaps indptr or indices");
  const float *values = values_on_heap ? (const float *)(base + (int64_t)values_off) : (const float *)host_values;
  /* nor the values, W or the bias (see varia_sparse_dense) */
  if (varia_bytes_meet(y, y_bytes, values, nnz * 4) ||
      varia_bytes_meet(y, y_bytes, base + (int64_t)kernel_off, (size_t)(in_dim * units) * 4) ||
      (has_bias && varia_bytes_meet(y, y_bytes, base + (int64_t)bias_off, (size_t)units * 4)))
    return throw_plain(env, "native-kernels: sparseDenseHost output overlaps the values, the kernel or the bias");
  /* transform 1: log1p of the values first, varia_log1p's bits (those of the Log1p kernel: tf.log1p on the backend) */
  float *transformed = NULL;
  if (transform == 1) {
    transformed = (float *)malloc(nnz > 0 ? nnz * sizeof(float) : sizeof(float));
    if (!transformed) return throw_plain(env, "native-kernels: sparseDenseHost could not allocate its log1p values");
    varia_log1p_counts(values, transformed, (int64_t)nnz);
    values = transformed;
  }
  napi_value result = checked_forward(env, (const int32_t *)indptr, (const int32_t *)indices, values, (int64_t)rows,
                                      (int64_t)in_dim, (int64_t)units, (int64_t)nnz,
                                      (const float *)(base + (int64_t)kernel_off),
                                      has_bias ? (const float *)(base + (int64_t)bias_off) : NULL, y, (int)act, (float)d[7], 1);
  free(transformed);
  return result;
}
