/* See shared_passes.h: the passes of math_kernels.c in blocks for parallel.c's threads. */
#include "shared_passes.h"

#include "parallel.h"

typedef struct {
  varia_unary_fn f;
  const float *x;
  float *y;
} unary_job_t;

static void unary_block(void *ctx, int64_t start, int64_t end) {
  const unary_job_t *j = (const unary_job_t *)ctx;
  j->f(j->x + start, j->y + start, end - start);
}

int varia_blockwise_safe(const float *x, const float *y, int64_t n) { return x == y || x + n <= y || y + n <= x; }

void varia_unary_shared(varia_unary_fn f, const float *x, float *y, int64_t n, int64_t min_block) {
  if (!varia_blockwise_safe(x, y, n)) {
    f(x, y, n);
    return;
  }
  unary_job_t j = {.f = f, .x = x, .y = y};
  varia_parallel_elements(unary_block, &j, n, min_block);
}

typedef struct {
  const float *x;
  float *y;
  int64_t outer, reduce, inner;
} sum_job_t;

/* rows [start, end) of the outer axis */
static void sum_rows(void *ctx, int64_t start, int64_t end) {
  const sum_job_t *j = (const sum_job_t *)ctx;
  varia_sum(j->x + start * j->reduce * j->inner, j->y + start * j->inner, end - start, j->reduce, j->inner);
}

/* columns [start, end) of the inner axis, for one outer row */
static void sum_columns(void *ctx, int64_t start, int64_t end) {
  const sum_job_t *j = (const sum_job_t *)ctx;
  varia_sum_columns(j->x + start, j->y + start, j->reduce, j->inner, end - start);
}

void varia_sum_shared(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner) {
  if (!(x + outer * reduce * inner <= y || y + outer * inner <= x)) {
    varia_sum(x, y, outer, reduce, inner);
    return;
  }
  sum_job_t j = {.x = x, .y = y, .outer = outer, .reduce = reduce, .inner = inner};
  const int64_t per_output = reduce * (outer > 1 ? inner : 1);
  /* blocks of ~VARIA_SUM_MIN_BLOCK added elements */
  int64_t min_block = per_output > 0 ? VARIA_SUM_MIN_BLOCK / per_output : 1;
  if (min_block < 1) min_block = 1;
  if (outer > 1 || inner == 1) varia_parallel_elements(sum_rows, &j, outer, min_block);
  else varia_parallel_elements(sum_columns, &j, inner, min_block < 16 ? 16 : min_block);
}
