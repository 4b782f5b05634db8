/* log1p with a table for counts: see log1p_counts.h. */
#include "log1p_counts.h"

#include <pthread.h>
#include <string.h>

#include "count_index.h"
#include "shared_passes.h"
#include "sparse_tiles.h"
#include "vector_helpers.h"

/* Entries of the table: log1p(k) for k = 0 … 1023 (4 KiB, beside the data in L1). */
#define LOG1P_TABLE_SIZE 1024
/* Elements per block: a block is looked up into a stack buffer and written only when all of it are counts. */
#define LOG1P_BLOCK 256

static float table[LOG1P_TABLE_SIZE];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* varia_log1p's own values for k = 0 … 1023: the same bits as computing them, by construction. */
static void build_table(void) {
  float k[LOG1P_TABLE_SIZE];
  for (int i = 0; i < LOG1P_TABLE_SIZE; i++) k[i] = (float)i;
  varia_log1p(k, table, LOG1P_TABLE_SIZE);
}

/* y = t[x] for n ≤ LOG1P_BLOCK values and a table t of `size` entries; returns how many of x are not counts in it.
 * (The size is an argument: with the constant folded in, GCC 12 leaves the loop scalar.) */
VARIA_CLONES static int32_t look_up(const float *restrict x, const float *restrict t, int32_t size, float limit,
                                    float *restrict y, int64_t n) {
  int32_t misses = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t hit;
    y[i] = t[varia_count_index(x[i], size, limit, &hit)];
    misses += !hit | (float_to_bits(x[i]) < 0); /* −0 too: log1p(−0) is −0, the table's entry +0 */
  }
  return misses;
}

#if VARIA_COUNT_GATHER
/* look_up with AVX-512's gather instruction (the same values); the last n mod 16 by look_up. */
__attribute__((target("avx512f"))) static int32_t look_up_avx512(const float *restrict x, const float *restrict t,
                                                                 int32_t size, float limit, float *restrict y,
                                                                 int64_t n) {
  int32_t misses = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __mmask16 hit;
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm512_storeu_ps(y + i, varia_count_gather16(v, t, size, limit, &hit));
    hit &= _mm512_cmp_epi32_mask(_mm512_castps_si512(v), _mm512_setzero_si512(), _MM_CMPINT_GE); /* not −0 */
    misses += 16 - __builtin_popcount(hit);
  }
  return misses + look_up(x + i, t, size, limit, y + i, n - i);
}
#endif

void varia_log1p_counts(const float *x, float *y, int64_t n) {
  /* x and y partly overlapping: the plain loop, whose result depends on its order (and which this must match) */
  if (!varia_blockwise_safe(x, y, n)) {
    varia_log1p(x, y, n);
    return;
  }
  pthread_once(&table_once, build_table);
  float block[LOG1P_BLOCK];
  const float limit = varia_count_limit(LOG1P_TABLE_SIZE);
#if VARIA_COUNT_GATHER
  const int avx512 = varia_sparse_avx512();
#endif
  for (int64_t b = 0; b < n; b += LOG1P_BLOCK) {
    const int64_t len = n - b < LOG1P_BLOCK ? n - b : LOG1P_BLOCK;
#if VARIA_COUNT_GATHER
    const int32_t misses = avx512 ? look_up_avx512(x + b, table, LOG1P_TABLE_SIZE, limit, block, len)
                                  : look_up(x + b, table, LOG1P_TABLE_SIZE, limit, block, len);
#else
    const int32_t misses = look_up(x + b, table, LOG1P_TABLE_SIZE, limit, block, len);
#endif
    if (misses == 0) {
      memcpy(y + b, block, (size_t)len * sizeof(float));
    } else {
      /* not counts (or counts past the table): this block and the rest of the pass by the formula */
      varia_log1p(x + b, y + b, n - b);
      return;
    }
  }
}
