/* The order in which a row of float32 terms is summed by the native `Sum` (varia_sum) — declared once, so a fused
 * kernel that sums its terms as it makes them gives the same bits as that kernel on the stored terms. */
#ifndef VARIA_ROW_SUM_H
#define VARIA_ROW_SUM_H
#include <stdint.h>

#include "vector_helpers.h"

/* Eight partial sums, acc[l] = Σ_k v[8k + l] over the whole groups of eight (vectorizable without reassociating one
 * accumulator), combined as ((a₀ + a₄) + (a₁ + a₅)) + ((a₂ + a₆) + (a₃ + a₇)), then the last n mod 8 terms added one
 * by one. A row may be added in chunks: every chunk but the last a multiple of eight long. */
typedef struct {
  float acc[8];
} varia_row_sum_t;

VARIA_INLINE void varia_row_sum_init(varia_row_sum_t *s) {
  for (int l = 0; l < 8; l++) s->acc[l] = 0.f;
}

/* Adds the whole groups of eight of v[0, n) and returns how many terms that was (n rounded down to a multiple of 8). */
VARIA_INLINE int64_t varia_row_sum_add(varia_row_sum_t *s, const float *v, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) s->acc[l] += v[j + l];
  return j;
}

/* The row's total: the partial sums combined, then the `n` remaining terms of `tail` (n < 8) in order. */
VARIA_INLINE float varia_row_sum_finish(const varia_row_sum_t *s, const float *tail, int64_t n) {
  const float *a = s->acc;
  float total = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
  for (int64_t j = 0; j < n; j++) total += tail[j];
  return total;
}

#endif
