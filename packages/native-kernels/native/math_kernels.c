/*
 * Float32 kernels written so that GCC vectorizes them without -ffast-math (built with -O3 -fno-math-errno
 * -fno-trapping-math, which allow if-conversion but keep IEEE semantics for NaN and infinities): no libm calls in the
 * loops, selects instead of branches. On x86-64 Linux each loop is cloned for AVX-512F, AVX2 and the baseline (SSE2);
 * the dynamic loader picks one at startup by the CPU's features (GCC target_clones / ifunc). The clones are named by
 * feature, not by `arch=`: GCC dispatches an `arch=haswell` clone with `__builtin_cpu_is("haswell")`, which is false
 * on every later CPU, so such a clone only ever ran the baseline loop (Sapphire Rapids: exp 3×, softplus 2.9× slower).
 * No clone enables FMA, and -std=c11 keeps contraction off: every clone computes the same bits.
 *
 * Accuracy (checked against float64 in the package's tests): exp and log within ~2 ulp over their whole range,
 * softplus within 3e-7 relative (absolute 1e-37 below −87, where the exact value is subnormal).
 */
#include "math_kernels.h"

#include "avx512_math.h"
#include "row_sum.h"
#include "shared_passes.h"
#include "sparse_tiles.h"
#include "adam_expr.h"
#include "vector_helpers.h"
#include "xnn_sigmoid.h"

/* 2^n for an integer-valued n in [−150, 128], as two normal factors so subnormal results come out right. */
VARIA_INLINE float pow2_split(float n, float *second) {
  const int32_t k = (int32_t)n;
  const int32_t k1 = k / 2, k2 = k - k1;
  *second = bits_to_float((k2 + 127) << 23);
  return bits_to_float((k1 + 127) << 23);
}

/* e^x, Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, and a degree-6 Taylor/minimax polynomial for e^r. */
VARIA_INLINE float exp_core(float x) {
  const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  const float shifter = 12582912.f; /* 1.5·2^23: adding and subtracting it rounds to the nearest integer */
  /* clamped with NaN going to 88.8 (x < 88.8 is false for it), so n below is a number: converting NaN to an integer
   * is undefined in C (UBSan: scripts/likelihood-step-fuzz.c); the result for NaN is x, chosen at the end */
  float xc = x < 88.8f ? x : 88.8f;
  xc = xc > -104.f ? xc : -104.f;
  const float n = (xc * log2e + shifter) - shifter;
  const float r = xc - n * ln2_hi - n * ln2_lo;
  const float p =
      1.f + r * (1.f + r * (0.5f + r * (1.66666672e-1f + r * (4.16666418e-2f + r * (8.33336823e-3f + r * 1.38887e-3f)))));
  float s2;
  const float s1 = pow2_split(n, &s2);
  float y = p * s1 * s2;
  y = x > 88.72284f ? __builtin_inff() : y;
  y = x < -103.973f ? 0.f : y;
  return x != x ? x : y;
}

/* log(1 + e) for e in [0, 1]: 2·atanh(s), s = e/(2+e) in [0, 1/3], odd series to s^17 (no cancellation for small e). */
VARIA_INLINE float log1p_unit(float e) {
  const float s = e / (2.f + e);
  const float s2 = s * s;
  const float series =
      1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9 + s2 * (1.f / 11 + s2 * (1.f / 13 + s2 * (1.f / 15 + s2 / 17.f)))))));
  return 2.f * s * series;
}

VARIA_CLONES static void softplus_loop(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i];
    /* softplus(a) = max(a, 0) + log1p(e^{−|a|}) */
    const float e = exp_core(a < 0.f ? a : -a);
    const float v = (a > 0.f ? a : 0.f) + log1p_unit(e);
    y[i] = a != a ? a : v;
  }
}

/* σ with the bits of tfjs-wasm's own Sigmoid (xnn_sigmoid.h) */
VARIA_CLONES static void sigmoid_loop(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = varia_xnn_sigmoid(x[i]);
}

VARIA_CLONES static void exp_loop(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = exp_core(x[i]);
}

/*
 * softplus, σ and e^x: the whole vectors of 16 with avx512_math.h's lanes where the AVX-512 paths run (1.5–1.6× the
 * clones' loops, the same bits), the rest by the loops above. Only when y is x or apart from it: a partly overlapping
 * call's result depends on the order of the loop, and stays the loop's.
 */
#if VARIA_AVX512_MATH
typedef void (*lanes_fn)(const __m512 *x, __m512 *y, int u);

/* f over the whole vectors of 16 in x[0, n), four at a time, then one; returns how many elements that was. */
VARIA_AVX512_INLINE int64_t lanes_avx512(lanes_fn f, const float *x, float *y, int64_t n) {
  int64_t i = 0;
  __m512 a[4], b[4];
  for (; i + 64 <= n; i += 64) {
    for (int k = 0; k < 4; k++) a[k] = _mm512_loadu_ps(x + i + 16 * k);
    f(a, b, 4);
    for (int k = 0; k < 4; k++) _mm512_storeu_ps(y + i + 16 * k, b[k]);
  }
  for (; i + 16 <= n; i += 16) {
    a[0] = _mm512_loadu_ps(x + i);
    f(a, b, 1);
    _mm512_storeu_ps(y + i, b[0]);
  }
  return i;
}
__attribute__((target("avx512f"))) static int64_t softplus_avx512(const float *x, float *y, int64_t n) {
  return lanes_avx512(varia_softplus16, x, y, n);
}
__attribute__((target("avx512f"))) static int64_t sigmoid_avx512(const float *x, float *y, int64_t n) {
  return lanes_avx512(varia_sigmoid16, x, y, n);
}
__attribute__((target("avx512f"))) static int64_t exp_avx512(const float *x, float *y, int64_t n) {
  return lanes_avx512(varia_exp16, x, y, n);
}
#define VARIA_UNARY_AVX512(name) \
  (n >= 16 && varia_blockwise_safe(x, y, n) && varia_sparse_avx512() ? name(x, y, n) : 0)
#else
#define VARIA_UNARY_AVX512(name) 0
#endif

void varia_softplus(const float *x, float *y, int64_t n) {
  const int64_t i = VARIA_UNARY_AVX512(softplus_avx512);
  softplus_loop(x + i, y + i, n - i);
}

void varia_sigmoid(const float *x, float *y, int64_t n) {
  const int64_t i = VARIA_UNARY_AVX512(sigmoid_avx512);
  sigmoid_loop(x + i, y + i, n - i);
}

void varia_exp(const float *x, float *y, int64_t n) {
  const int64_t i = VARIA_UNARY_AVX512(exp_avx512);
  exp_loop(x + i, y + i, n - i);
}

/* log(a): a = m·2^e with m in [√½, √2), log(m) = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, series to s^11. */
VARIA_INLINE float log_core(float a) {
  const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f, sqrt2 = 1.41421356f;
  /* subnormals: scale by 2^23 first */
  const int sub = a < 1.17549435e-38f;
  const float as = sub ? a * 8388608.f : a;
  const int32_t bits = float_to_bits(as);
  float e = (float)(((bits >> 23) & 0xff) - 127) - (sub ? 23.f : 0.f);
  float m = bits_to_float((bits & 0x007fffff) | 0x3f800000); /* m in [1, 2) */
  const int big = m > sqrt2;
  m = big ? m * 0.5f : m;
  e = big ? e + 1.f : e;
  const float f = m - 1.f;
  const float s = f / (2.f + f);
  const float s2 = s * s;
  const float series = 1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9 + s2 / 11.f))));
  float y = e * ln2_hi + (e * ln2_lo + 2.f * s * series);
  y = a == 0.f ? -__builtin_inff() : y;
  y = a < 0.f ? __builtin_nanf("") : y;
  y = a == __builtin_inff() ? a : y;
  return a != a ? a : y;
}

VARIA_CLONES void varia_log(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = log_core(x[i]);
}

/* log1p(a) = log(u)·a/(u−1) with u = fl(1 + a) (Goldberg): the rounding of 1 + a cancels; a itself when u == 1. */
VARIA_CLONES void varia_log1p(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i];
    const float u = 1.f + a;
    const float d = u - 1.f;
    const float l = log_core(u);
    float v = d == 0.f ? a : l * (a / d);
    v = a == __builtin_inff() ? a : v;
    v = a == -1.f ? -__builtin_inff() : v;
    /* below −1 the result is NaN; choose which one (the sign of a NaN from NaN·NaN depends on the operand order the
     * compiler picks, which differs between the vector clones) */
    v = a < -1.f ? __builtin_nanf("") : v;
    y[i] = a != a ? a : v;
  }
}

/*
 * log Γ(x) for x > 0: Stirling's series (z−½)log z − z + ½log 2π + 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷)
 * at z = x for x ≥ 6, and at z = x + 6 minus log(x(x+1)…(x+5)) below (the recurrence Γ(x+1) = xΓ(x)): the algorithm
 * of @varia/distributions' composite lgamma, in one pass. NaN for x ≤ 0.
 */
VARIA_CLONES void varia_lgamma(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i];
    const int small = a < 6.f;
    const float z = small ? a + 6.f : a;
    const float p = small ? a * (a + 1.f) * (a + 2.f) * (a + 3.f) * (a + 4.f) * (a + 5.f) : 1.f;
    const float zi = 1.f / z, zi2 = zi * zi;
    const float series = zi * (1.f / 12 + zi2 * (-1.f / 360 + zi2 * (1.f / 1260 + zi2 * (-1.f / 1680))));
    float v = ((z - 0.5f) * log_core(z) - z) + (series + 0.918938533f) - log_core(p);
    v = a <= 0.f ? __builtin_nanf("") : v;
    v = a == __builtin_inff() ? a : v;
    y[i] = a != a ? a : v;
  }
}

VARIA_CLONES void varia_sum(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    const float *xo = x + o * reduce * inner;
    float *yo = y + o * inner;
    if (inner == 1) {
      /* a row sum, in row_sum.h's order */
      varia_row_sum_t sum;
      varia_row_sum_init(&sum);
      const int64_t j = varia_row_sum_add(&sum, xo, reduce);
      yo[0] = varia_row_sum_finish(&sum, xo + j, reduce - j);
    } else {
      varia_sum_columns(xo, yo, reduce, inner, inner);
    }
  }
}

VARIA_CLONES void varia_sum_columns(const float *x, float *y, int64_t reduce, int64_t stride, int64_t width) {
  for (int64_t i = 0; i < width; i++) y[i] = x[i];
  for (int64_t j = 1; j < reduce; j++) {
    const float *row = x + j * stride;
    for (int64_t i = 0; i < width; i++) y[i] += row[i];
  }
}

VARIA_CLONES void varia_adam(const float *w, const float *g, const float *m, const float *v, float *w2, float *m2,
                             float *v2, int64_t n, float lr, float b1, float b2, float eps, float b1pow, float b2pow) {
  /* Bias-corrected step, as tf.train.adam computes it: lr·(m′/(1−β₁ᵗ)) / (√(v′/(1−β₂ᵗ)) + ε). */
  const float step = VARIA_ADAM_STEP(lr, b1pow), vscale = VARIA_ADAM_VSCALE(b2pow);
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = VARIA_ADAM_M(b1, m[i], gi);
    const float vi = VARIA_ADAM_V(b2, v[i], gi);
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = VARIA_ADAM_W(w[i], step, mi, vi, vscale, eps);
  }
}

VARIA_CLONES void varia_adam_inplace(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1,
                                     float b2, float eps, float b1pow, float b2pow) {
  /* the expressions of varia_adam, in the same order (the build uses -std=c11: no FMA contraction), so the result is
   * bit-identical; separate from it because an aliased w2 == w would keep GCC's runtime alias check off the vector loop */
  const float step = VARIA_ADAM_STEP(lr, b1pow), vscale = VARIA_ADAM_VSCALE(b2pow);
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = VARIA_ADAM_M(b1, m[i], gi);
    const float vi = VARIA_ADAM_V(b2, v[i], gi);
    m[i] = mi;
    v[i] = vi;
    w[i] = VARIA_ADAM_W(w[i], step, mi, vi, vscale, eps);
  }
}

VARIA_CLONES void varia_activation_delta(const float *dy, const float *y, float *delta, int64_t n, int act) {
  /* the products tfjs computes for the same gradient: dy · step(y), dy · (y · (1 − y)), dy · (1 − y·y) */
  switch (act) {
    case 1:
      for (int64_t i = 0; i < n; i++) delta[i] = dy[i] * (y[i] > 0.f ? 1.f : (y[i] != y[i] ? y[i] : 0.f));
      break;
    case 5:
      for (int64_t i = 0; i < n; i++) delta[i] = dy[i] * (y[i] * (1.f - y[i]));
      break;
    case 6:
      for (int64_t i = 0; i < n; i++) delta[i] = dy[i] * (1.f - y[i] * y[i]);
      break;
    default:
      memcpy(delta, dy, (size_t)n * sizeof(float));
      break;
  }
}

VARIA_CLONES void varia_add_into(const float *restrict a, float *restrict c, int64_t n) {
  for (int64_t i = 0; i < n; i++) c[i] = a[i] + c[i];
}

VARIA_CLONES void varia_activate(float *c, int64_t n, int act, float alpha) {
  switch (act) {
    case 1:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] > 0.f ? c[i] : (c[i] != c[i] ? c[i] : 0.f);
      break;
    case 2:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] < 0.f ? 0.f : (c[i] > 6.f ? 6.f : c[i]);
      break;
    case 3:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] < 0.f ? alpha * c[i] : c[i];
      break;
    case 4:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] < 0.f ? exp_core(c[i]) - 1.f : c[i];
      break;
    case 5:
      for (int64_t i = 0; i < n; i++) c[i] = 1.f / (1.f + exp_core(-c[i]));
      break;
    default:
      break;
  }
}
