/* A fused training step's likelihood part in one pass per family (likelihood_step.c: the entry point and the family
 * table; one file per family for its rows). */
#ifndef VARIA_LIKELIHOOD_STEP_H
#define VARIA_LIKELIHOOD_STEP_H
#include <stdint.h>

#include "avx512_math.h"
#include "math_kernels.h"
#include "row_sum.h"

/* One call's operands: x and the head's output ℓ [rows, cols]; outputs sums [rows] (Σⱼ log p(xⱼ | ℓⱼ)) and dout
 * [rows, cols] (g·∂log p/∂ℓ); a family's table (Poisson: log x!) or NULL; a family's input computed elsewhere
 * (Bernoulli: σ(ℓ) from the backend's own Sigmoid, when this addon's does not match it) or NULL. */
typedef struct {
  const float *x, *param, *table, *aux;
  float *sums, *dout;
  int64_t cols, table_size;
  float g;
} varia_likelihood_job_t;

/* Rows [start, end) of a job: writes their sums and dout rows and returns how many values of x the family does not
 * take (Poisson: not a count in the table; the caller then discards the outputs). Rows are independent, so any split
 * of the rows between threads gives the same bits. */
typedef int64_t (*varia_likelihood_rows_fn)(const varia_likelihood_job_t *job, int64_t start, int64_t end);

/* One chunk of a row for a family: the `len` elements from `offset` (row·cols + column) of x, ℓ and dout — writes the
 * log-likelihood terms to lp[0, len) and dout's elements; returns the misses. ctx: what the family's rows prepared. */
typedef int64_t (*varia_likelihood_chunk_fn)(const varia_likelihood_job_t *job, const void *ctx, int64_t offset,
                                             int64_t len, float *lp);

/* Rows [start, end) a chunk of VARIA_LIKELIHOOD_CHUNK elements at a time, each row's terms summed in row_sum.h's order
 * into sums (likelihood_step.c); returns the misses. */
VARIA_HIDDEN int64_t varia_likelihood_chunked_rows(const varia_likelihood_job_t *job, int64_t start, int64_t end,
                                                   varia_likelihood_chunk_fn chunk, const void *ctx);

/* bernoulli_step.c: log p = x·ℓ − softplus(ℓ), dout = g·x + (−g)·σ(ℓ). */
VARIA_HIDDEN int64_t varia_bernoulli_rows(const varia_likelihood_job_t *job, int64_t start, int64_t end);
/* poisson_step.c: log p = (x·ℓ − e^ℓ) − log x! (the table), dout = g·x + (−g)·e^ℓ; a miss per x not a count in it. */
VARIA_HIDDEN int64_t varia_poisson_rows(const varia_likelihood_job_t *job, int64_t start, int64_t end);

#if VARIA_AVX512_MATH
/* A family's terms for u (1 … 4, a constant once inlined) vectors of 16 elements from `offset`: writes their dout and
 * puts their log-likelihood terms in lp[0, u); adds its misses to *misses. */
typedef void (*varia_likelihood_vec_fn)(const varia_likelihood_job_t *job, const void *ctx, int64_t offset, __m512 *lp,
                                        int u, int64_t *misses);

/*
 * Rows [start, end) with AVX-512 (callers dispatch with varia_sparse_avx512): each row's whole vectors of 16 by `vec`
 * (4 at a time, then one), their terms summed as they are made (varia_row_sum_add16: row_sum.h's order), the last
 * cols mod 16 elements by the family's `chunk`; returns the misses. The same bits as varia_likelihood_chunked_rows with
 * that chunk when vec runs the chunk's operations. One fused pass per row instead of one pass per operation over each
 * chunk (the terms' arrays stay in registers).
 */
#ifndef VARIA_LIKELIHOOD_UNROLL
#define VARIA_LIKELIHOOD_UNROLL 4
#endif
VARIA_AVX512_INLINE int64_t varia_likelihood_rows16(const varia_likelihood_job_t *j, int64_t start, int64_t end,
                                                    varia_likelihood_vec_fn vec, varia_likelihood_chunk_fn chunk,
                                                    const void *ctx) {
  const int64_t cols = j->cols;
  int64_t misses = 0;
  for (int64_t r = start; r < end; r++) {
    const int64_t row = r * cols;
    __m256 acc = _mm256_setzero_ps();
    __m512 lp[4];
    int64_t c = 0;
    for (; c + 16 * VARIA_LIKELIHOOD_UNROLL <= cols; c += 16 * VARIA_LIKELIHOOD_UNROLL) {
      vec(j, ctx, row + c, lp, VARIA_LIKELIHOOD_UNROLL, &misses);
      for (int k = 0; k < VARIA_LIKELIHOOD_UNROLL; k++) acc = varia_row_sum_add16(acc, lp[k]);
    }
    for (; c + 16 <= cols; c += 16) {
      vec(j, ctx, row + c, lp, 1, &misses);
      acc = varia_row_sum_add16(acc, lp[0]);
    }
    float tail[16];
    const int64_t len = cols - c;
    if (len > 0) misses += chunk(j, ctx, row + c, len, tail);
    if (len >= 8) acc = varia_add8(acc, _mm256_loadu_ps(tail));
    j->sums[r] = varia_row_sum_finish8(acc, tail + (len & 8), len & 7);
  }
  return misses;
}
#endif

/* Terms per chunk of a row (a multiple of 8, so a chunked row sum keeps row_sum.h's order); a chunk's scratch lives
 * on the stack. */
#define VARIA_LIKELIHOOD_CHUNK 512

#endif
