/* The fused step's table look-up and elementwise kernels: y = table[x], y = a·b − c and y = α·x + β·z. */
#include "napi_util.h"

#include <math.h>
#include <stdatomic.h>

#include "entry_points.h"
#include "parallel.h"
#include "shared_passes.h"

typedef struct {
  const float *x, *table;
  float *y;
  float limit;
  atomic_llong misses;
} lookup_job_t;

static void lookup_block(void *ctx, int64_t start, int64_t end) {
  lookup_job_t *j = (lookup_job_t *)ctx;
  int64_t misses = 0;
  for (int64_t i = start; i < end; i++) {
    const float v = j->x[i];
    if (v >= 0.f && v < j->limit && v == floorf(v)) {
      j->y[i] = j->table[(int64_t)v];
    } else {
      j->y[i] = NAN;
      misses++;
    }
  }
  if (misses) atomic_fetch_add(&j->misses, misses);
}

/* lookup(heap, size, xOff, tableOff, tableSize, yOff) -> misses: y[i] = table[x[i]] where x[i] is an integer in
 * [0, tableSize); y[i] = NaN and one miss for any other value (negative, fractional, too large, NaN). */
napi_value varia_napi_lookup(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!varia_heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double size = d[0], table_size = d[3];
  if (!(size >= 0) || !(table_size >= 1) || size != floor(size) || table_size != floor(table_size) ||
      table_size > 16777216.0)
    return varia_throw_error(env, "native-kernels: lookup sizes must be integers (table 1 … 2^24 entries)");
  if (!varia_in_bounds(d[1], size, length) || !varia_in_bounds(d[2], table_size, length) || !varia_in_bounds(d[4], size, length))
    return varia_throw_error(env, "native-kernels: lookup operand outside the heap");
  lookup_job_t j = {.x = (const float *)((char *)data + (int64_t)d[1]), .table = (const float *)((char *)data + (int64_t)d[2]),
                    .y = (float *)((char *)data + (int64_t)d[4]), .limit = (float)table_size};
  atomic_init(&j.misses, 0);
  const int64_t n = (int64_t)size, t = (int64_t)table_size;
  /* in blocks when y is x or apart from it, and apart from the table (else the order of the loop decides) */
  if (varia_blockwise_safe(j.x, j.y, n) && (j.y + n <= j.table || j.table + t <= j.y))
    varia_parallel_elements(lookup_block, &j, n, VARIA_STREAM_MIN_BLOCK);
  else
    lookup_block(&j, 0, n);
  const int64_t misses = atomic_load(&j.misses);
  napi_value out;
  napi_create_double(env, (double)misses, &out);
  return out;
}

/* The fused elementwise loops below round every product and sum to float32 on its own, as the separate kernels they
 * replace do: built for the baseline ISA (no target_clones, so no FMA to contract into) and with contraction off. */
__attribute__((optimize("fp-contract=off"))) static void mul_sub(const float *a, const float *b, const float *c, float *y,
                                                                 int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = a[i] * b[i];
    y[i] = p - c[i];
  }
}

__attribute__((optimize("fp-contract=off"))) static void scaled_sum(const float *x, const float *z, float alpha,
                                                                    float beta, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = alpha * x[i];
    const float q = beta * z[i];
    y[i] = p + q;
  }
}

/* The operands of mul_sub (a, b, c) or scaled_sum (x = a, z = b, α, β) for blocks of elements. */
typedef struct {
  const float *a, *b, *c;
  float *y;
  float alpha, beta;
} pass_job_t;

static void mul_sub_block(void *ctx, int64_t start, int64_t end) {
  const pass_job_t *j = (const pass_job_t *)ctx;
  mul_sub(j->a + start, j->b + start, j->c + start, j->y + start, end - start);
}

static void scaled_sum_block(void *ctx, int64_t start, int64_t end) {
  const pass_job_t *j = (const pass_job_t *)ctx;
  scaled_sum(j->a + start, j->b + start, j->alpha, j->beta, j->y + start, end - start);
}

/* mulSub(heap, size, aOff, bOff, cOff, yOff): y = a·b − c elementwise (each operation rounded to float32). */
napi_value varia_napi_mul_sub(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[5];
  if (!varia_heap_and_numbers(env, info, 5, &data, &length, d)) return NULL;
  const double size = d[0];
  if (!(size >= 0) || size != floor(size)) return varia_throw_error(env, "native-kernels: mulSub size must be an integer ≥ 0");
  if (!varia_in_bounds(d[1], size, length) || !varia_in_bounds(d[2], size, length) || !varia_in_bounds(d[3], size, length) ||
      !varia_in_bounds(d[4], size, length))
    return varia_throw_error(env, "native-kernels: mulSub operand outside the heap");
  const int64_t n = (int64_t)size;
  pass_job_t j = {.a = (const float *)((char *)data + (int64_t)d[1]), .b = (const float *)((char *)data + (int64_t)d[2]),
                  .c = (const float *)((char *)data + (int64_t)d[3]), .y = (float *)((char *)data + (int64_t)d[4])};
  /* in blocks when y is each operand or apart from it (a partly overlapping y makes the result depend on the order) */
  if (varia_blockwise_safe(j.a, j.y, n) && varia_blockwise_safe(j.b, j.y, n) && varia_blockwise_safe(j.c, j.y, n))
    varia_parallel_elements(mul_sub_block, &j, n, VARIA_STREAM_MIN_BLOCK);
  else
    mul_sub(j.a, j.b, j.c, j.y, n);
  return NULL;
}

/* scaledSum(heap, size, xOff, zOff, alpha, beta, yOff): y = α·x + β·z elementwise, α and β rounded to float32. */
napi_value varia_napi_scaled_sum(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[6];
  if (!varia_heap_and_numbers(env, info, 6, &data, &length, d)) return NULL;
  const double size = d[0];
  if (!(size >= 0) || size != floor(size))
    return varia_throw_error(env, "native-kernels: scaledSum size must be an integer ≥ 0");
  if (!varia_in_bounds(d[1], size, length) || !varia_in_bounds(d[2], size, length) || !varia_in_bounds(d[5], size, length))
    return varia_throw_error(env, "native-kernels: scaledSum operand outside the heap");
  const int64_t n = (int64_t)size;
  pass_job_t j = {.a = (const float *)((char *)data + (int64_t)d[1]), .b = (const float *)((char *)data + (int64_t)d[2]),
                  .y = (float *)((char *)data + (int64_t)d[5]), .alpha = (float)d[3], .beta = (float)d[4]};
  if (varia_blockwise_safe(j.a, j.y, n) && varia_blockwise_safe(j.b, j.y, n))
    varia_parallel_elements(scaled_sum_block, &j, n, VARIA_STREAM_MIN_BLOCK);
  else
    scaled_sum(j.a, j.b, j.alpha, j.beta, j.y, n);
  return NULL;
}
