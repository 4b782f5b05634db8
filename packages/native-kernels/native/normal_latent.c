/* The Gaussian posterior of the fused step: the reparameterized sample, its KL to N(0, 1), and their backward pass. */
#include "napi_util.h"

#include "entry_points.h"
#include "parallel.h"

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
napi_value varia_napi_normal_sample(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 6, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0])) return varia_throw_error(env, "native-kernels: normalSample size must be an integer ≥ 0");
  for (int i = 1; i <= 5; i++)
    if (!varia_in_bounds(a[i], a[0], length)) return varia_throw_error(env, "native-kernels: normalSample operand outside the heap");
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
napi_value varia_napi_normal_kl(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 7, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0]) || !varia_whole(a[1]) || a[0] < 1 || a[1] < 1)
    return varia_throw_error(env, "native-kernels: normalKl dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  for (int i = 2; i <= 5; i++)
    if (!varia_in_bounds(a[i], size, length)) return varia_throw_error(env, "native-kernels: normalKl operand outside the heap");
  if (!varia_in_bounds(a[6], a[0], length)) return varia_throw_error(env, "native-kernels: normalKl operand outside the heap");
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
napi_value varia_napi_normal_backward(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 9, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0])) return varia_throw_error(env, "native-kernels: normalBackward size must be an integer ≥ 0");
  const int operands[] = {1, 2, 3, 4, 5, 7, 8};
  for (int i = 0; i < 7; i++)
    if (!varia_in_bounds(a[operands[i]], a[0], length))
      return varia_throw_error(env, "native-kernels: normalBackward operand outside the heap");
  char *base = (char *)data;
  /* it may run beside this thread's deferred job (varia_native.c): joins it first only where their operands meet */
  varia_region_t touched[7];
  for (int i = 0; i < 7; i++)
    touched[i] = (varia_region_t){.start = base + (int64_t)a[operands[i]], .bytes = (size_t)(4 * a[0]), .written = i >= 5};
  varia_parallel_join_conflicts(touched, 7);
  normal_backward((const float *)(base + (int64_t)a[1]), (const float *)(base + (int64_t)a[2]),
                  (const float *)(base + (int64_t)a[3]), (const float *)(base + (int64_t)a[4]),
                  (const float *)(base + (int64_t)a[5]), (float)a[6], (float *)(base + (int64_t)a[7]),
                  (float *)(base + (int64_t)a[8]), (int64_t)a[0]);
  return NULL;
}
