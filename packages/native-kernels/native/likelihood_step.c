/* The entry point of the fused likelihood kernels (likelihood_step.h) and their family table. */
#include "likelihood_step.h"

#include <math.h>
#include <stdatomic.h>

#include "entry_points.h"
#include "napi_util.h"
#include "parallel.h"
#include "row_sum.h"
#include "shared_passes.h"

/* The families, by the code the JavaScript side passes (src/likelihood-step-kernels.ts has the same order), and the
 * fewest elements a thread's block of rows takes (shared_passes.h): Bernoulli's pass costs ~1.2 ns per element with
 * AVX-512, as softplus alone did before; Poisson's ~0.55 ns, as exp (a [128, 784] batch: 55 µs on one thread, 59 µs
 * when shared with a helper, p10 of 600 interleaved calls, load ~6). */
static const struct {
  varia_likelihood_rows_fn rows;
  int needs_table;
  double min_block;
} FAMILIES[] = {
    {varia_bernoulli_rows, 0, VARIA_UNARY_MIN_BLOCK},
    {varia_poisson_rows, 1, VARIA_EXP_MIN_BLOCK},
};
#define FAMILY_COUNT ((int)(sizeof FAMILIES / sizeof FAMILIES[0]))

int64_t varia_likelihood_chunked_rows(const varia_likelihood_job_t *j, int64_t start, int64_t end,
                                      varia_likelihood_chunk_fn chunk, const void *ctx) {
  const int64_t cols = j->cols;
  int64_t misses = 0;
  float lp[VARIA_LIKELIHOOD_CHUNK];
  for (int64_t r = start; r < end; r++) {
    varia_row_sum_t sum;
    varia_row_sum_init(&sum);
    int64_t len = 0, added = 0;
    for (int64_t c = 0; c < cols; c += VARIA_LIKELIHOOD_CHUNK) {
      len = cols - c < VARIA_LIKELIHOOD_CHUNK ? cols - c : VARIA_LIKELIHOOD_CHUNK;
      misses += chunk(j, ctx, r * cols + c, len, lp);
      added = varia_row_sum_add(&sum, lp, len);
    }
    /* every chunk but the last is whole groups of eight: the last chunk's remainder is the row's tail */
    j->sums[r] = varia_row_sum_finish(&sum, lp + added, len - added);
  }
  return misses;
}

typedef struct {
  varia_likelihood_job_t job;
  varia_likelihood_rows_fn rows;
  atomic_llong misses;
} rows_job_t;

static void rows_block(void *ctx, int64_t start, int64_t end) {
  rows_job_t *j = (rows_job_t *)ctx;
  const int64_t misses = j->rows(&j->job, start, end);
  if (misses) atomic_fetch_add(&j->misses, misses);
}

/* Whether the float regions [a, a + n) and [b, b + m) (byte offsets, element counts) are disjoint. */
static int apart(double a, double n, double b, double m) { return n == 0 || m == 0 || a + n * 4 <= b || b + m * 4 <= a; }

/*
 * likelihoodStep(heap, [family, rows, cols, g, xOff, paramOff, sumsOff, doutOff, tableOff, tableSize, auxOff]) -> misses
 * The family's rows (FAMILIES) over a [rows, cols] batch; tableOff/auxOff < 0: none. Every region is checked against
 * the heap, and the outputs (sums, dout) against each other and every input: they must not overlap.
 */
napi_value varia_napi_likelihood_step(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  const double *a = NULL;
  if (!varia_heap_and_array(env, info, 11, &data, &length, &a)) return NULL;
  const double family = a[0], rows = a[1], cols = a[2], table_size = a[9];
  if (!(family >= 0 && family < FAMILY_COUNT && family == floor(family)))
    return varia_throw_error(env, "native-kernels: likelihoodStep family code out of range");
  if (!varia_whole(rows) || !varia_whole(cols))
    return varia_throw_error(env, "native-kernels: likelihoodStep dimensions must be integers ≥ 0");
  const double size = rows * cols;
  const int has_table = a[8] >= 0, has_aux = a[10] >= 0;
  if (FAMILIES[(int)family].needs_table && !has_table)
    return varia_throw_error(env, "native-kernels: likelihoodStep family needs a table");
  if (has_table && !(table_size >= 1 && table_size <= 16777216.0 && table_size == floor(table_size)))
    return varia_throw_error(env, "native-kernels: likelihoodStep table size must be an integer in 1 … 2^24");
  if (!varia_in_bounds(a[4], size, length) || !varia_in_bounds(a[5], size, length) ||
      !varia_in_bounds(a[6], rows, length) || !varia_in_bounds(a[7], size, length) ||
      (has_table && !varia_in_bounds(a[8], table_size, length)) || (has_aux && !varia_in_bounds(a[10], size, length)))
    return varia_throw_error(env, "native-kernels: likelihoodStep operand outside the heap");
  const double ins[][2] = {{a[4], size}, {a[5], size}, {a[8], has_table ? table_size : 0}, {a[10], has_aux ? size : 0}};
  for (int i = 0; i < 4; i++)
    if (!apart(a[6], rows, ins[i][0], ins[i][1]) || !apart(a[7], size, ins[i][0], ins[i][1]))
      return varia_throw_error(env, "native-kernels: likelihoodStep outputs overlap an input");
  if (!apart(a[6], rows, a[7], size))
    return varia_throw_error(env, "native-kernels: likelihoodStep outputs overlap each other");
  char *base = (char *)data;
  rows_job_t j = {
      .job = {.x = (const float *)(base + (int64_t)a[4]),
              .param = (const float *)(base + (int64_t)a[5]),
              .table = has_table ? (const float *)(base + (int64_t)a[8]) : NULL,
              .aux = has_aux ? (const float *)(base + (int64_t)a[10]) : NULL,
              .sums = (float *)(base + (int64_t)a[6]),
              .dout = (float *)(base + (int64_t)a[7]),
              .cols = (int64_t)cols,
              .table_size = has_table ? (int64_t)table_size : 0,
              .g = (float)a[3]},
      .rows = FAMILIES[(int)family].rows,
  };
  atomic_init(&j.misses, 0);
  /* rows in blocks of ≥ the family's min_block elements (each row is independent: the same bits for any split) */
  const int64_t min_rows = cols > 0 ? (int64_t)ceil(FAMILIES[(int)family].min_block / cols) : (int64_t)rows;
  varia_parallel_elements(rows_block, &j, (int64_t)rows, min_rows < 1 ? 1 : min_rows);
  napi_value out;
  CHECK(napi_create_double(env, (double)atomic_load(&j.misses), &out));
  return out;
}
