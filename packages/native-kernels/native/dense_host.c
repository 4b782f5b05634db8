/*
 * gemmHost(heap, x: Float32Array, rows, inDim, units, wOff, biasOff, outOff, act, alpha): a dense layer's forward pass
 * y = act(x·W + b) for x [rows, inDim] read in place from the caller's Float32Array (not copied into the heap), W
 * [inDim, units], b [units] (biasOff < 0: none) and y [rows, units] on the wasm heap. The calls are gemm's (matmul.c)
 * for a two-matrix product with a per-column bias — y filled with b, then the loaded BLAS's product with beta = 1
 * (blas.c's dispatch: row blocks, zero skipping, …), then act — so y has the bits of `_FusedMatMul` on an uploaded x.
 * Many rows run in blocks of rows shared by the threads (dense_rows.h): the same expressions per element.
 */
#include <stdint.h>

#include "blas.h"
#include "dense_rows.h"
#include "entry_points.h"
#include "napi_util.h"
#include "sparse_input.h"
#include "sparse_tiles.h"

napi_value varia_napi_gemm_host(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10)
    return varia_throw_error(env, "native-kernels: gemmHost needs 10 arguments");
  if (!varia_blas_loaded()) return varia_throw_error(env, "native-kernels: gemmHost called before load()");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok)
    return varia_throw_error(env, "native-kernels: gemmHost needs the wasm heap's ArrayBuffer");
  size_t cells = 0;
  void *host = NULL;
  if (!varia_host_array(env, argv[1], napi_float32_array, &cells, &host))
    return varia_throw_error(env, "native-kernels: gemmHost needs x as a Float32Array (not shared)");
  double d[8];
  for (size_t i = 0; i < 8; i++)
    if (!varia_arg_f64(env, argv, i + 2, &d[i])) return varia_throw_error(env, "native-kernels: gemmHost arguments must be numbers");
  const double rows = d[0], in_dim = d[1], units = d[2], w_off = d[3], bias_off = d[4], out_off = d[5], act = d[6];
  if (!varia_is_count(rows) || !varia_is_count(in_dim) || !varia_is_count(units) || rows < 1 || in_dim < 1 || units < 1)
    return varia_throw_error(env, "native-kernels: gemmHost needs rows, inDim, units ≥ 1 (32-bit integers)");
  if ((double)cells != rows * in_dim) return varia_throw_error(env, "native-kernels: gemmHost needs rows · inDim values in x");
  if (!(act >= 0 && act <= 5 && act == (double)(int)act)) return varia_throw_error(env, "native-kernels: unknown activation code");
  const int has_bias = bias_off >= 0;
  if (!varia_in_bounds(w_off, in_dim * units, length) || (has_bias && !varia_in_bounds(bias_off, units, length)) ||
      !varia_in_bounds(out_off, rows * units, length))
    return varia_throw_error(env, "native-kernels: gemmHost operand outside the heap");
  char *base = (char *)data;
  const int64_t M = (int64_t)rows, K = (int64_t)in_dim, N = (int64_t)units;
  const float *x = (const float *)host, *w = (const float *)(base + (int64_t)w_off);
  const float *bias = has_bias ? (const float *)(base + (int64_t)bias_off) : NULL;
  float *y = (float *)(base + (int64_t)out_off);
  /* x may view the heap itself: y is written before x is read (the bias), so they may not meet; nor W and the bias */
  const size_t y_bytes = (size_t)M * (size_t)N * 4;
  if (varia_bytes_meet(y, y_bytes, x, cells * 4) || varia_bytes_meet(y, y_bytes, w, (size_t)(K * N) * 4) ||
      (bias && varia_bytes_meet(y, y_bytes, bias, (size_t)N * 4)))
    return varia_throw_error(env, "native-kernels: gemmHost output overlaps x, the kernel or the bias");
  /* the products may take the calling thread's scratch memory (blas.c's zero-skipping kernel): released with it */
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: gemmHost could not register its scratch memory's release");
  /* many rows: in blocks of rows shared by the threads, else the whole product (dense_rows.h) */
  if (varia_dense_forward(x, K, w, bias, y, M, N, K, (int)act, (float)d[7]) != 0)
    return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
  return NULL;
}
