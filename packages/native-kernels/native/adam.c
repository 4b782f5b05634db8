/* Adam (Kingma & Ba): one step over one variable, and in place over several in parallel blocks. */
#include "napi_util.h"

#include <math.h>

#include "entry_points.h"
#include "parallel.h"

napi_value varia_napi_adam(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 15) return varia_throw_error(env, "native-kernels: adam needs 15 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: adam needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  double d[14];
  for (size_t i = 0; i < 14; i++)
    if (!varia_arg_f64(env, argv, i + 1, &d[i])) return varia_throw_error(env, "native-kernels: adam arguments must be numbers");
  const double size = d[0];
  if (size < 0) return varia_throw_error(env, "native-kernels: adam size must be non-negative");
  for (int i = 1; i <= 7; i++)
    if (!varia_in_bounds(d[i], size, length)) return varia_throw_error(env, "native-kernels: adam operand outside the heap");
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
napi_value varia_napi_adam_in_place(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) return varia_throw_error(env, "native-kernels: adamInPlace needs 8 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false, is_ta = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: adamInPlace needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return varia_throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array");
  napi_typedarray_type type;
  size_t count = 0;
  void *specs_data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &count, &specs_data, NULL, NULL));
  if (type != napi_float64_array || count % 5 != 0)
    return varia_throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array of 5 numbers per variable");
  double h[6];
  for (size_t i = 0; i < 6; i++)
    if (!varia_arg_f64(env, argv, i + 2, &h[i])) return varia_throw_error(env, "native-kernels: adam arguments must be numbers");
  const double *sp = (const double *)specs_data;
  for (size_t i = 0; i < count; i += 5) {
    const double size = sp[i];
    if (!(size >= 0) || size != floor(size)) return varia_throw_error(env, "native-kernels: adam size must be a non-negative integer");
    for (int j = 1; j <= 4; j++)
      if (!varia_in_bounds(sp[i + j], size, length)) return varia_throw_error(env, "native-kernels: adam operand outside the heap");
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
