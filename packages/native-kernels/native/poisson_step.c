/* The Poisson likelihood's part of a fused step (likelihood_step.h), for log-rates ℓ and counts x: per row,
 * log p = (x·ℓ − λ) − log x! with λ = e^ℓ, summed in row_sum.h's order, and dout = g·x + (−g)·λ — each element's
 * float32 operations those of the kernels it replaces (Exp: varia_exp; MulSub: x·ℓ, then − λ; Sub: − log x! from the
 * table; ScaledSum: g·x, (−g)·λ, then +), so the results are the same bits. A value of x that is not an integer in
 * [0, min(table size, 2²³)) is a miss: counted, and the caller discards the outputs and evaluates the step another way. */
#include "likelihood_step.h"
#include "row_sum.h"
#include "vector_helpers.h"

/* 2²³: for a float32 v in [0, 2²³), fl(v + 2²³) has the integer nearest v in its low 23 bits (the spacing there is 1). */
#define POISSON_SHIFT 8388608.f

/*
 * For n elements whose rate λ = e^ℓ is in `lp` on entry: dout = g·x + (−g)·λ, lp = (x·ℓ − λ) − log x!; returns the
 * misses. No FMA contraction (-std=c11): every product, sum and difference is rounded on its own.
 *
 * The look-up has no branch and no floorf (the table look-up kernel's scalar loop with both ran at ~2 ns per element):
 * k = the low 23 bits of fl(x + 2²³), clamped to the table, and x is a count in range exactly when
 * 0 ≤ x < limit (≤ 2²³) and fl(x + 2²³) − 2²³ == x. Any other x (negative, fractional, too large, ±∞, NaN) is a miss
 * whose index is still inside the table, with no conversion of an out-of-range float (undefined in C). So the loop
 * vectorizes (GCC 12 does not for a select before a float-to-int conversion, nor when the arrays may overlap — the
 * entry point refuses overlapping outputs, hence `restrict`).
 */
VARIA_CLONES static int64_t poisson_terms(const float *restrict x, const float *restrict l, const float *restrict table,
                                          int32_t table_size, float limit, float g, float *restrict lp,
                                          float *restrict dout, int64_t n) {
  const float ng = -g;
  int64_t misses = 0;
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    const float shifted = v + POISSON_SHIFT;
    const int32_t nearest = float_to_bits(shifted) & 0x7fffff;
    const int32_t k = nearest < table_size ? nearest : table_size - 1;
    misses += !((v >= 0.f) & (v < limit) & (shifted - POISSON_SHIFT == v)); /* NaN: a miss */
    const float log_factorial = table[k];
    const float rate = lp[i];
    const float a = g * v;
    const float b = ng * rate;
    dout[i] = a + b;
    const float p = v * l[i];
    const float d = p - rate;
    lp[i] = d - log_factorial;
  }
  return misses;
}

int64_t varia_poisson_rows(const varia_likelihood_job_t *j, int64_t start, int64_t end) {
  const int64_t cols = j->cols;
  const int32_t table_size = (int32_t)j->table_size; /* 1 … 2^24, checked by the entry point */
  const float limit = (float)(table_size < 8388608 ? table_size : 8388608);
  int64_t misses = 0;
  float lp[VARIA_LIKELIHOOD_CHUNK];
  for (int64_t r = start; r < end; r++) {
    const float *x = j->x + r * cols, *l = j->param + r * cols;
    float *dout = j->dout + r * cols;
    varia_row_sum_t sum;
    varia_row_sum_init(&sum);
    int64_t len = 0, added = 0;
    for (int64_t c = 0; c < cols; c += VARIA_LIKELIHOOD_CHUNK) {
      len = cols - c < VARIA_LIKELIHOOD_CHUNK ? cols - c : VARIA_LIKELIHOOD_CHUNK;
      varia_exp(l + c, lp, len);
      misses += poisson_terms(x + c, l + c, j->table, table_size, limit, j->g, lp, dout + c, len);
      added = varia_row_sum_add(&sum, lp, len);
    }
    /* every chunk but the last is whole groups of eight: the last chunk's remainder is the row's tail */
    j->sums[r] = varia_row_sum_finish(&sum, lp + added, len - added);
  }
  return misses;
}
