/* A fused training step's likelihood part in one pass per family (likelihood_step.c: the entry point and the family
 * table; one file per family for its rows). */
#ifndef VARIA_LIKELIHOOD_STEP_H
#define VARIA_LIKELIHOOD_STEP_H
#include <stdint.h>

#include "math_kernels.h"

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

/* Terms per chunk of a row (a multiple of 8, so a chunked row sum keeps row_sum.h's order); a chunk's scratch lives
 * on the stack. */
#define VARIA_LIKELIHOOD_CHUNK 512

#endif
