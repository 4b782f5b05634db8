/* tf.randomNormal's N(0, 1) draws (TensorFlow.js 4.x, float32) from the state of its seeded Alea generator. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "napi_util.h"

#include "entry_points.h"

/* The attributes of every function here: each operation rounded on its own (no FMA contraction), as V8 computes.
 * clang has no `optimize` attribute: its pragma turns contraction off for the file (FMA is baseline on arm64). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#define EXACT
#else
#define EXACT __attribute__((optimize("fp-contract=off")))
#endif
/* The AVX2 lanes exist on x86-64 only (elsewhere the portable loop, vectorized as the target allows). */
#if defined(__x86_64__) && defined(__GNUC__)
#define POLAR_AVX2 1
#else
#define POLAR_AVX2 0
#endif

/* fdlibm's __ieee754_log (FreeBSD msun e_log.c), the function V8's Math.log calls (base::ieee754::log), for a positive
 * normal x: the same operations in the same order, so the same double (glibc's log differs in the last bit for ~3 % of
 * arguments). Every branch of fdlibm's is computed and the one fdlibm takes is selected, which gives its result exactly
 * and lets a loop of it be vectorized. Checked against Math.log on 4·10⁶ arguments: 0 differ. */
EXACT static inline __attribute__((always_inline)) double fdlibm_log(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
               Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  uint64_t bits;
  memcpy(&bits, &x, 8);
  int32_t hx = (int32_t)(bits >> 32);
  int32_t k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const int32_t i = (hx + 0x95f64) & 0x100000;
  bits = (bits & 0xffffffffu) | ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32); /* normalize x or x/2 */
  memcpy(&x, &bits, 8);
  k += i >> 20;
  const double f = x - 1.0;
  const double dk = (double)k;
  /* -2**-20 <= f < 2**-20 */
  const double Rs = f * f * (0.5 - 0.33333333333333333 * f);
  const double at_one = k == 0 ? 0.0 : dk * ln2_hi + dk * ln2_lo;
  const double near_one = k == 0 ? f - Rs : dk * ln2_hi - ((Rs - dk * ln2_lo) - f);
  const double small = f == 0.0 ? at_one : near_one;
  /* otherwise */
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const int32_t far = (hx - 0x6147a) | (0x6b851 - hx);
  const double R = t2 + t1;
  const double hfsq = 0.5 * f * f;
  const double with_hfsq = k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  const double without = k == 0 ? f - s * (f - R) : dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
  return (0x000fffff & (2 + hx)) < 3 ? small : far > 0 ? with_hfsq : without;
}

/* m[j] = √(−2·ln s[j] / s[j]), the polar method's scale of each accepted pair (no dependence between pairs). */
#define POLAR_SCALES                                                                                                    \
  for (int64_t j = 0; j < n; j++) m[j] = sqrt((-2.0 * fdlibm_log(s[j])) / s[j]);

#if POLAR_AVX2
EXACT __attribute__((target("avx2"))) static void polar_scales_avx2(const double *restrict s, double *restrict m,
                                                                    int64_t n) {
  POLAR_SCALES
}
#endif

EXACT static void polar_scales_portable(const double *restrict s, double *restrict m, int64_t n) { POLAR_SCALES }

/* Accepted pairs per block: the uniforms of a block are drawn first (the generator's carry is a serial chain of two
 * integer operations; rejection without a branch), then the scales of its pairs in vector lanes, then the values. */
#define BLOCK 256

/* Marsaglia's polar method as tfjs's MPRandGauss runs it on Alea's doubles: u, v = 2·U − 1 until s = u² + v² ∈ (0, 1),
 * then u·m and v·m with m = √(−2·ln s / s), each as mean + stdDev·(·) with mean 0 and stdDev 1, rounded to float32; the
 * last pair's second value is dropped when count is odd. Alea's step in doubles, t = 2091639·s₀ + c·2⁻³² with
 * c ← ⌊t⌋ and s₂ ← t − c, is exact (sᵢ = kᵢ·2⁻³², 2091639·k₀ + c < 2⁵³), so it is this integer recurrence. The vector
 * scales (AVX2 where the CPU has it, else SSE2) are the scalar operations lane by lane: the same bits either way
 * (both checked against the JavaScript draw on 20,000 seeds and counts). */
EXACT static void standard_normal(uint32_t k0, uint32_t k1, uint32_t k2, float *out, int64_t count) {
#if POLAR_AVX2
  static int avx2 = -1;
  if (avx2 < 0) avx2 = __builtin_cpu_supports("avx2");
#endif
  double u[BLOCK + 1], v[BLOCK + 1], s[BLOCK + 1], m[BLOCK];
  uint64_t c = 1;
  int64_t i = 0;
  while (i < count) {
    const int64_t left = (count - i + 1) / 2;
    const int64_t want = left < BLOCK ? left : BLOCK;
    int64_t j = 0;
    while (j < want) {
      uint64_t x = 2091639u * (uint64_t)k0 + c;
      k0 = k1;
      k1 = k2;
      c = x >> 32;
      k2 = (uint32_t)x;
      const double a = 2 * ((double)k2 * 0x1p-32) - 1;
      x = 2091639u * (uint64_t)k0 + c;
      k0 = k1;
      k1 = k2;
      c = x >> 32;
      k2 = (uint32_t)x;
      const double b = 2 * ((double)k2 * 0x1p-32) - 1;
      const double q = a * a + b * b;
      u[j] = a;
      v[j] = b;
      s[j] = q;
      j += (q < 1) & (q != 0);
    }
#if POLAR_AVX2
    if (avx2)
      polar_scales_avx2(s, m, want);
    else
#endif
      polar_scales_portable(s, m, want);
    for (j = 0; j < want; j++) {
      out[i++] = (float)(0.0 + 1.0 * u[j] * m[j]);
      if (i < count) out[i++] = (float)(0.0 + 1.0 * v[j] * m[j]);
    }
  }
}

/* standardNormal(heap, [count, k0, k1, k2, outOff]): count draws of N(0, 1) as float32 from the Alea state (k0, k1, k2)
 * (@varia/core's tfjsAleaState), the values tf.randomNormal([count], 0, 1, 'float32', seed) gives. */
napi_value varia_napi_standard_normal(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 5, &data, &length, &a)) return NULL;
  if (!varia_whole(a[0])) return varia_throw_error(env, "native-kernels: standardNormal count must be an integer ≥ 0");
  for (int i = 1; i <= 3; i++)
    if (!varia_whole(a[i]) || a[i] >= 4294967296.0)
      return varia_throw_error(env, "native-kernels: standardNormal state must be three integers in [0, 2^32)");
  if (!varia_in_bounds(a[4], a[0], length))
    return varia_throw_error(env, "native-kernels: standardNormal output outside the heap");
  standard_normal((uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (float *)((char *)data + (int64_t)a[4]),
                  (int64_t)a[0]);
  return NULL;
}
