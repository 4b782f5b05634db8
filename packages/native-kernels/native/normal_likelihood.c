/* The fused step's Gaussian likelihood: Σ_j log N(x; μ, σ) per row and its backward pass. */
#include "napi_util.h"

#include "entry_points.h"

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
napi_value varia_napi_normal_log_prob(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 12, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0]) || !varia_whole(a[1]) || a[0] < 1 || a[1] < 1)
    return varia_throw_error(env, "native-kernels: normalLogProb dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  const int per_feature = a[2] != 0;
  const int regions[] = {4, 5, 7, 8, 9, 10};
  for (int i = 0; i < 6; i++)
    if (!varia_in_bounds(a[regions[i]], size, length))
      return varia_throw_error(env, "native-kernels: normalLogProb operand outside the heap");
  if (!varia_in_bounds(a[6], per_feature ? a[1] : 1, length) || !varia_in_bounds(a[11], a[0], length))
    return varia_throw_error(env, "native-kernels: normalLogProb operand outside the heap");
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
napi_value varia_napi_normal_log_prob_backward(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 10, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0]) || !varia_whole(a[1]) || a[0] < 1 || a[1] < 1)
    return varia_throw_error(env, "native-kernels: normalLogProbBackward dimensions must be integers ≥ 1");
  const double size = a[0] * a[1];
  const int per_feature = a[2] != 0;
  for (int i = 4; i <= 8; i++)
    if (!varia_in_bounds(a[i], size, length))
      return varia_throw_error(env, "native-kernels: normalLogProbBackward operand outside the heap");
  if (!varia_in_bounds(a[9], per_feature ? a[1] : 1, length))
    return varia_throw_error(env, "native-kernels: normalLogProbBackward operand outside the heap");
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
