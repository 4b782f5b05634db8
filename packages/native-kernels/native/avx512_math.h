/* Sixteen lanes at a time with AVX-512 intrinsics: softplus, σ and e^x with the bits of math_kernels.c's loops
 * (varia_softplus, varia_sigmoid, varia_exp) and a row sum in row_sum.h's order, for the fused likelihood passes
 * (bernoulli_step.c, poisson_step.c; callers dispatch with varia_sparse_avx512).
 *
 * Each lane runs the scalar code's IEEE float32 operations in the same order (a product and a sum stay two roundings:
 * no contraction), with three exact rewrites, so the results are the same bits — checked on all 2³² inputs of each
 * function by scripts/avx512-math-exhaustive.c:
 *  - 2ⁿ·p as one vscalefps instead of (p·2^⌊n/2⌋)·2^(n−⌊n/2⌋): p ∈ [0.7, 1.5) and n ∈ [−150, 128], so the first product
 *    is exact and both forms round the exact p·2ⁿ once (to a subnormal, a normal number or ∞);
 *  - s²/17 as q = s²·fl(1/17) corrected by one fused multiply-add, r = s² − 17q and q + r·fl(1/17): the correctly
 *    rounded quotient on every s² that softplus reaches (the exhaustive check is of softplus as a whole);
 *  - in softplus, e^x for x = −|a| ≤ 0 only: the clamp at 88.8 and the ∞ above 88.72 never apply, a NaN lane's
 *    result is replaced by a at the end, and below −103.973 (clamped at −104) n = −150 and p ≤ 1, so p·2ⁿ rounds to
 *    +0 without exp_core's select.
 * GCC's own vectorization of those loops (the target clones) spends ~95 instructions per 16 softplus lanes on ports 0
 * and 5 (AVX-512 has no third port): this spends ~60. */
#ifndef VARIA_AVX512_MATH_H
#define VARIA_AVX512_MATH_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VARIA_AVX512_MATH 1
#define VARIA_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* Each function works on u vectors at once (1 … 4, a constant where it is inlined), one statement for all u before
 * the next: a lane's chain of ~50 dependent operations then overlaps u − 1 others (4 at a time ran softplus 1.2× faster
 * than one, its latency bound). */
#define VARIA_LANES(stmt)          \
  for (int k = 0; k < u; k++) {    \
    stmt;                          \
  }

/* exp_core (math_kernels.c) of x after its clamps (xc ∈ [−104, 88.8]): the polynomial times 2ⁿ, before the selects. */
VARIA_AVX512_INLINE void varia_exp_clamped16(const __m512 *xc, __m512 *y, int u) {
  const __m512 shifter = _mm512_set1_ps(12582912.f);
  __m512 n[4], r[4];
  VARIA_LANES(n[k] = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(xc[k], _mm512_set1_ps(1.44269504088896341f)), shifter), shifter))
  VARIA_LANES(r[k] = _mm512_sub_ps(xc[k], _mm512_mul_ps(n[k], _mm512_set1_ps(0.693359375f))))
  VARIA_LANES(r[k] = _mm512_sub_ps(r[k], _mm512_mul_ps(n[k], _mm512_set1_ps(-2.12194440e-4f))))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(8.33336823e-3f), _mm512_mul_ps(r[k], _mm512_set1_ps(1.38887e-3f))))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(4.16666418e-2f), _mm512_mul_ps(r[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.66666672e-1f), _mm512_mul_ps(r[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(0.5f), _mm512_mul_ps(r[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f), _mm512_mul_ps(r[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f), _mm512_mul_ps(r[k], y[k])))
  VARIA_LANES(y[k] = _mm512_scalef_ps(y[k], n[k]))
}

/* varia_exp's lanes: e^x, ∞ above 88.72284, +0 below −103.973, NaN kept. */
VARIA_AVX512_INLINE void varia_exp16(const __m512 *x, __m512 *y, int u) {
  __m512 xc[4];
  /* min/max return their second operand for a NaN: NaN is clamped to 88.8 as in the scalar code */
  VARIA_LANES(xc[k] = _mm512_max_ps(_mm512_min_ps(x[k], _mm512_set1_ps(88.8f)), _mm512_set1_ps(-104.f)))
  varia_exp_clamped16(xc, y, u);
  VARIA_LANES(y[k] = _mm512_mask_mov_ps(y[k], _mm512_cmp_ps_mask(x[k], _mm512_set1_ps(88.72284f), _CMP_GT_OQ),
                                        _mm512_set1_ps(__builtin_inff())))
  VARIA_LANES(y[k] = _mm512_mask_mov_ps(y[k], _mm512_cmp_ps_mask(x[k], _mm512_set1_ps(-103.973f), _CMP_LT_OQ),
                                        _mm512_setzero_ps()))
  VARIA_LANES(y[k] = _mm512_mask_mov_ps(y[k], _mm512_cmp_ps_mask(x[k], x[k], _CMP_UNORD_Q), x[k]))
}

/* varia_softplus's lanes: max(a, 0) + log1p(e^−|a|), log1p_unit's series; NaN kept. */
VARIA_AVX512_INLINE void varia_softplus16(const __m512 *a, __m512 *y, int u) {
  const __m512 zero = _mm512_setzero_ps(), inv17 = _mm512_set1_ps(1.f / 17);
  __m512 x[4], e[4], s[4], s2[4], q[4];
  /* −|a| (−0 for ±0: e^−0 = 1 either way); a NaN lane is replaced at the end */
  VARIA_LANES(x[k] = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a[k]), _mm512_set1_epi32((int)0x80000000u))))
  VARIA_LANES(e[k] = _mm512_max_ps(x[k], _mm512_set1_ps(-104.f)))
  varia_exp_clamped16(e, e, u); /* +0 below −103.973 without exp_core's select: there n = −150 and p ≤ 1 */
  /* log1p_unit: s = e/(2 + e), 2·atanh(s) as an odd series */
  VARIA_LANES(s[k] = _mm512_div_ps(e[k], _mm512_add_ps(_mm512_set1_ps(2.f), e[k])))
  VARIA_LANES(s2[k] = _mm512_mul_ps(s[k], s[k]))
  VARIA_LANES(q[k] = _mm512_mul_ps(s2[k], inv17))
  VARIA_LANES(q[k] = _mm512_fmadd_ps(_mm512_fnmadd_ps(q[k], _mm512_set1_ps(17.f), s2[k]), inv17, q[k]))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 15), q[k]))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 13), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 11), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 9), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 7), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 5), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f / 3), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_set1_ps(1.f), _mm512_mul_ps(s2[k], y[k])))
  VARIA_LANES(y[k] = _mm512_mul_ps(_mm512_add_ps(s[k], s[k]), y[k]))
  /* max(a, 0) is a > 0 ? a : 0 (vmaxps returns its second operand for NaN and for two zeros) */
  VARIA_LANES(y[k] = _mm512_add_ps(_mm512_max_ps(a[k], zero), y[k]))
  VARIA_LANES(y[k] = _mm512_mask_mov_ps(y[k], _mm512_cmp_ps_mask(a[k], a[k], _CMP_UNORD_Q), a[k]))
}

/* varia_sigmoid's lanes: xnn_sigmoid.h's operations. */
VARIA_AVX512_INLINE void varia_sigmoid16(const __m512 *x, __m512 *y, int u) {
  const __m512 magic_bias = _mm512_set1_ps(0x1.8000FEp23f), one = _mm512_set1_ps(1.f);
  __m512 z[4], n[4], s[4], t[4], p[4];
  VARIA_LANES(z[k] = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x[k]), _mm512_set1_epi32(0x7fffffff))))
  VARIA_LANES(n[k] = _mm512_add_ps(magic_bias, _mm512_mul_ps(z[k], _mm512_set1_ps(-0x1.715476p+0f))))
  VARIA_LANES(s[k] = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(n[k]), 23)))
  VARIA_LANES(n[k] = _mm512_sub_ps(n[k], magic_bias))
  VARIA_LANES(t[k] = _mm512_add_ps(z[k], _mm512_mul_ps(n[k], _mm512_set1_ps(0x1.62E400p-1f))))
  VARIA_LANES(t[k] = _mm512_add_ps(t[k], _mm512_mul_ps(n[k], _mm512_set1_ps(0x1.7F7D1Cp-20f))))
  VARIA_LANES(p[k] = _mm512_add_ps(_mm512_set1_ps(0x1.573A1Ap-5f), _mm512_mul_ps(t[k], _mm512_set1_ps(-0x1.0F9F9Cp-7f))))
  VARIA_LANES(p[k] = _mm512_add_ps(_mm512_set1_ps(-0x1.555A80p-3f), _mm512_mul_ps(t[k], p[k])))
  VARIA_LANES(p[k] = _mm512_add_ps(_mm512_set1_ps(0x1.FFFDC6p-2f), _mm512_mul_ps(t[k], p[k])))
  VARIA_LANES(p[k] = _mm512_add_ps(_mm512_set1_ps(-0x1.FFFFF6p-1f), _mm512_mul_ps(t[k], p[k])))
  VARIA_LANES(t[k] = _mm512_mul_ps(t[k], s[k]))
  VARIA_LANES(p[k] = _mm512_add_ps(s[k], _mm512_mul_ps(t[k], p[k]))) /* e^−|x| */
  VARIA_LANES(p[k] = _mm512_div_ps(p[k], _mm512_add_ps(p[k], one)))
  VARIA_LANES(p[k] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(z[k], _mm512_set1_ps(0x1.5D589Ep+6f), _CMP_NGT_UQ), p[k]))
  /* f where the sign bit is set, else 1 − f */
  VARIA_LANES(y[k] = _mm512_mask_mov_ps(_mm512_sub_ps(one, p[k]),
                                        _mm512_cmplt_epi32_mask(_mm512_castps_si512(x[k]), _mm512_setzero_si512()), p[k]))
}

/*
 * a + b and a·b with a's NaN where both are NaN. x86 returns the first source's NaN, and a compiler may swap the
 * operands of a commutative operation (it does for intrinsics, depending on registers): these keep the scalar code's
 * order, so that even NaN payloads (the default NaN 0xffc00000 of ∞ − ∞ against a quiet NaN given as input) come
 * out as the separate kernels give them.
 */
#define VARIA_ORDERED_OP(name, type, insn, reg)                   \
  VARIA_AVX512_INLINE type name(type a, type b) {                 \
    type r;                                                       \
    __asm__(insn " %2, %1, %0" : "=" reg(r) : reg(a), reg(b));    \
    return r;                                                     \
  }
VARIA_ORDERED_OP(varia_add16, __m512, "vaddps", "v")
VARIA_ORDERED_OP(varia_mul16, __m512, "vmulps", "v")
VARIA_ORDERED_OP(varia_add8, __m256, "vaddps", "x")
VARIA_ORDERED_OP(varia_add4, __m128, "vaddps", "x")
VARIA_ORDERED_OP(varia_add1, float, "vaddss", "x")

/* row_sum.h's partial sums over 16 terms (acc + v, in that order): the lanes 0–7 are one group of eight, 8–15 the
 * next. */
VARIA_AVX512_INLINE __m256 varia_row_sum_add16(__m256 acc, __m512 v) {
  acc = varia_add8(acc, _mm512_castps512_ps256(v));
  return varia_add8(acc, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* varia_row_sum_finish (row_sum.h) of the partial sums in acc: ((a₀ + a₄) + (a₁ + a₅)) + ((a₂ + a₆) + (a₃ + a₇)),
 * then the n < 8 terms of tail in order, each sum in that operand order. */
VARIA_AVX512_INLINE float varia_row_sum_finish8(__m256 acc, const float *tail, int64_t n) {
  /* (a₀ + a₄, a₁ + a₅, a₂ + a₆, a₃ + a₇) */
  const __m128 t = varia_add4(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  float total = varia_add1(varia_add1(t[0], t[1]), varia_add1(t[2], t[3]));
  for (int64_t j = 0; j < n; j++) total = varia_add1(total, tail[j]);
  return total;
}

#else
#define VARIA_AVX512_MATH 0
#endif

#endif
