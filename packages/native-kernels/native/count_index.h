/* A float32 count as an index into a table (log k!, log1p(k), …), branch-free so that table loops vectorize. */
#ifndef VARIA_COUNT_INDEX_H
#define VARIA_COUNT_INDEX_H
#include <stdint.h>

#include "vector_helpers.h"

/* 2²³: for a float32 v in [0, 2²³), fl(v + 2²³) has the integer nearest v in its low 23 bits (the spacing there is 1). */
#define VARIA_COUNT_SHIFT 8388608.f

/* The largest table varia_count_index serves in full (values from 2²³ on are misses). */
#define VARIA_COUNT_INDEX_LIMIT 8388608

/*
 * The index of v in a table of `table_size` entries (1 … 2²⁴; `limit` = min(table_size, 2²³) as a float), always in
 * [0, table_size), and in *hit whether v is a count the table holds: an integer with 0 ≤ v < limit (−0 included).
 * For any other v (negative, fractional, too large, ±∞, NaN) *hit is 0 and the index is some entry of the table.
 *
 * k is the low 23 bits of fl(v + 2²³), clamped to the table, and v is a count in range exactly when 0 ≤ v < limit
 * and fl(v + 2²³) − 2²³ == v. No branch, no floorf (a libm call or a long SSE2 sequence), and no conversion of an
 * out-of-range float (undefined in C): a loop of look-ups vectorizes (GCC 12 does not for a select before a
 * float-to-int conversion). Such a loop also needs its arrays declared `restrict`: GCC does not vectorize a gather
 * that may alias a store.
 */
VARIA_INLINE int32_t varia_count_index(float v, int32_t table_size, float limit, int32_t *hit) {
  const float shifted = v + VARIA_COUNT_SHIFT;
  const int32_t nearest = float_to_bits(shifted) & 0x7fffff;
  *hit = (v >= 0.f) & (v < limit) & (shifted - VARIA_COUNT_SHIFT == v); /* 0 for NaN */
  return nearest < table_size ? nearest : table_size - 1;
}

/* The `limit` of varia_count_index for a table of table_size entries. */
VARIA_INLINE float varia_count_limit(int32_t table_size) {
  return (float)(table_size < VARIA_COUNT_INDEX_LIMIT ? table_size : VARIA_COUNT_INDEX_LIMIT);
}

/*
 * The look-up of 16 values at once with AVX-512 (callers dispatch with varia_sparse_avx512): table[k] for
 * varia_count_index's k of each lane, and in *hit its lanes' hits. GCC's own vectorization of a look-up loop
 * assembles each vector from 16 scalar loads (its generic tuning avoids the gather instruction): ~0.8 ns per element
 * against ~0.3 ns with vgatherdps, measured on this project's Xeon.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VARIA_COUNT_GATHER 1
__attribute__((target("avx512f"))) static inline __m512 varia_count_gather16(__m512 v, const float *table,
                                                                              int32_t table_size, float limit,
                                                                              __mmask16 *hit) {
  const __m512 shift = _mm512_set1_ps(VARIA_COUNT_SHIFT);
  const __m512 shifted = _mm512_add_ps(v, shift);
  const __m512i nearest = _mm512_and_si512(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x7fffff));
  const __m512i k = _mm512_min_epi32(nearest, _mm512_set1_epi32(table_size - 1));
  *hit = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GE_OQ) &
         _mm512_cmp_ps_mask(v, _mm512_set1_ps(limit), _CMP_LT_OQ) &
         _mm512_cmp_ps_mask(_mm512_sub_ps(shifted, shift), v, _CMP_EQ_OQ);
  return _mm512_i32gather_ps(k, table, 4);
}
#else
#define VARIA_COUNT_GATHER 0
#endif

#endif
