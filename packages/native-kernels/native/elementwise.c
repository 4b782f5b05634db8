/* The unary elementwise functions and the sum over one axis (the loops are in math_kernels.c; large passes are shared
 * between parallel.c's threads in blocks, shared_passes.c). */
#include "napi_util.h"

#include "entry_points.h"
#include "log1p_counts.h"
#include "shared_passes.h"

/* unary(heap, op, size, xOff, yOff): y = f(x) elementwise; op 0 softplus, 1 exp, 2 log, 3 log1p, 4 lgamma, 5 sigmoid. x and y
 * may coincide. */
napi_value varia_napi_unary(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[4];
  if (!varia_heap_and_numbers(env, info, 4, &data, &length, d)) return NULL;
  const double op = d[0], size = d[1];
  if (!(op == 0 || op == 1 || op == 2 || op == 3 || op == 4 || op == 5)) return varia_throw_error(env, "native-kernels: unknown unary op");
  if (!varia_in_bounds(d[2], size, length) || !varia_in_bounds(d[3], size, length))
    return varia_throw_error(env, "native-kernels: unary operand outside the heap");
  const float *x = (const float *)((char *)data + (int64_t)d[2]);
  float *y = (float *)((char *)data + (int64_t)d[3]);
  /* log1p: varia_log1p's bits, from a table where x holds counts (log1p_counts.h) */
  const varia_unary_fn fns[] = {varia_softplus, varia_exp, varia_log, varia_log1p_counts, varia_lgamma, varia_sigmoid};
  varia_unary_shared(fns[(int)op], x, y, (int64_t)size, op == 1 ? VARIA_EXP_MIN_BLOCK : VARIA_UNARY_MIN_BLOCK);
  return NULL;
}

/* sum(heap, xOff, yOff, outer, reduce, inner): y[o,i] = Σ_j x[o,j,i]. */
napi_value varia_napi_sum(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!varia_heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double outer = d[2], reduce = d[3], inner = d[4];
  if (outer < 1 || reduce < 1 || inner < 1) return varia_throw_error(env, "native-kernels: sum dimensions must be ≥ 1");
  if (!varia_in_bounds(d[0], outer * reduce * inner, length) || !varia_in_bounds(d[1], outer * inner, length))
    return varia_throw_error(env, "native-kernels: sum operand outside the heap");
  varia_sum_shared((const float *)((char *)data + (int64_t)d[0]), (float *)((char *)data + (int64_t)d[1]),
                   (int64_t)outer, (int64_t)reduce, (int64_t)inner);
  return NULL;
}
