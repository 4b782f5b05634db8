/* The Poisson likelihood's part of a fused step (likelihood_step.h), for log-rates ℓ and counts x: per row,
 * log p = (x·ℓ − λ) − log x! with λ = e^ℓ, summed in row_sum.h's order, and dout = g·x + (−g)·λ — each element's
 * float32 operations those of the kernels it replaces (Exp: varia_exp; MulSub: x·ℓ, then − λ; Sub: − log x! from the
 * table; ScaledSum: g·x, (−g)·λ, then +), so the results are the same bits. A value of x that is not an integer in
 * [0, min(table size, 2²³)) is a miss: counted, and the caller discards the outputs and evaluates the step another way.
 * Where the AVX-512 paths run, each row is one pass of 16 lanes at a time (avx512_math.h, varia_likelihood_rows16):
 * 1.5× the chunked passes on a 128 × 784 batch (0.08 → 0.054 ms, C harness, interleaved, load ~3.5). */
#include "count_index.h"
#include "likelihood_step.h"
#include "sparse_tiles.h"
#include "vector_helpers.h"

/*
 * For n elements whose rate λ = e^ℓ is in `lp` on entry: dout = g·x + (−g)·λ, lp = (x·ℓ − λ) − log x!; returns the
 * misses. No FMA contraction (-std=c11): every product, sum and difference is rounded on its own. The look-up is
 * count_index.h's, branch-free, so the loop vectorizes (the table look-up kernel's scalar loop, with a branch and a
 * floorf per element, ran at ~2 ns per element); the arrays are `restrict` (the entry point refuses overlapping outputs).
 */
VARIA_CLONES static int64_t poisson_terms(const float *restrict x, const float *restrict l, const float *restrict table,
                                          int32_t table_size, float limit, float g, float *restrict lp,
                                          float *restrict dout, int64_t n) {
  const float ng = -g;
  int64_t misses = 0;
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    int32_t hit;
    const float log_factorial = table[varia_count_index(v, table_size, limit, &hit)];
    misses += !hit;
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

#if VARIA_COUNT_GATHER
/* poisson_terms with AVX-512 (the gather instruction for the look-up): the same operations on 16 lanes, in the same
 * order, so the same bits; the last n mod 16 elements by poisson_terms. */
__attribute__((target("avx512f"))) static int64_t poisson_terms_avx512(const float *restrict x, const float *restrict l,
                                                                       const float *restrict table, int32_t table_size,
                                                                       float limit, float g, float *restrict lp,
                                                                       float *restrict dout, int64_t n) {
  const __m512 gv = _mm512_set1_ps(g), ngv = _mm512_set1_ps(-g);
  int64_t misses = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    __mmask16 hit;
    const __m512 log_factorial = varia_count_gather16(v, table, table_size, limit, &hit);
    misses += 16 - __builtin_popcount(hit);
    const __m512 rate = _mm512_loadu_ps(lp + i);
    const __m512 a = _mm512_mul_ps(gv, v);
    const __m512 b = _mm512_mul_ps(ngv, rate);
    _mm512_storeu_ps(dout + i, _mm512_add_ps(a, b));
    const __m512 p = _mm512_mul_ps(v, _mm512_loadu_ps(l + i));
    const __m512 d = _mm512_sub_ps(p, rate);
    _mm512_storeu_ps(lp + i, _mm512_sub_ps(d, log_factorial));
  }
  return misses + poisson_terms(x + i, l + i, table, table_size, limit, g, lp + i, dout + i, n - i);
}
#endif

/* What a call's chunks share: the table's size, the largest count it covers, and whether to gather with AVX-512. */
typedef struct {
  int32_t table_size;
  float limit;
  int avx512;
} poisson_ctx_t;

/* A chunk: λ = e^ℓ into lp, then the terms. */
static int64_t poisson_chunk(const varia_likelihood_job_t *j, const void *ctx, int64_t offset, int64_t len, float *lp) {
  const poisson_ctx_t *p = (const poisson_ctx_t *)ctx;
  const float *x = j->x + offset, *l = j->param + offset;
  varia_exp(l, lp, len);
#if VARIA_COUNT_GATHER
  if (p->avx512) return poisson_terms_avx512(x, l, j->table, p->table_size, p->limit, j->g, lp, j->dout + offset, len);
#endif
  return poisson_terms(x, l, j->table, p->table_size, p->limit, j->g, lp, j->dout + offset, len);
}

#if VARIA_AVX512_MATH && VARIA_COUNT_GATHER
/* poisson_chunk's operations on u vectors of 16 (avx512_math.h): λ = e^ℓ, then poisson_terms_avx512's terms. */
VARIA_AVX512_INLINE void poisson_vec(const varia_likelihood_job_t *j, const void *ctx, int64_t offset, __m512 *lp, int u,
                                     int64_t *misses) {
  const poisson_ctx_t *c = (const poisson_ctx_t *)ctx;
  const __m512 g = _mm512_set1_ps(j->g), ng = _mm512_set1_ps(-j->g);
  __m512 l[4], rate[4], v[4], log_factorial[4];
  VARIA_LANES(l[k] = _mm512_loadu_ps(j->param + offset + 16 * k))
  varia_exp16(l, rate, u);
  VARIA_LANES(v[k] = _mm512_loadu_ps(j->x + offset + 16 * k))
  for (int k = 0; k < u; k++) {
    __mmask16 hit;
    log_factorial[k] = varia_count_gather16(v[k], j->table, c->table_size, c->limit, &hit);
    *misses += 16 - __builtin_popcount(hit);
  }
  VARIA_LANES(_mm512_storeu_ps(j->dout + offset + 16 * k,
                               varia_add16(_mm512_mul_ps(g, v[k]), _mm512_mul_ps(ng, rate[k]))))
  VARIA_LANES(lp[k] = _mm512_sub_ps(_mm512_sub_ps(varia_mul16(v[k], l[k]), rate[k]), log_factorial[k]))
}

__attribute__((target("avx512f"))) static int64_t poisson_rows_avx512(const varia_likelihood_job_t *j,
                                                                      const poisson_ctx_t *ctx, int64_t start,
                                                                      int64_t end) {
  return varia_likelihood_rows16(j, start, end, poisson_vec, poisson_chunk, ctx);
}
#endif

int64_t varia_poisson_rows(const varia_likelihood_job_t *j, int64_t start, int64_t end) {
  poisson_ctx_t ctx = {.table_size = (int32_t)j->table_size}; /* 1 … 2^24, checked by the entry point */
  ctx.limit = varia_count_limit(ctx.table_size);
#if VARIA_COUNT_GATHER
  ctx.avx512 = varia_sparse_avx512();
#endif
#if VARIA_AVX512_MATH && VARIA_COUNT_GATHER
  if (ctx.avx512) return poisson_rows_avx512(j, &ctx, start, end);
#endif
  return varia_likelihood_chunked_rows(j, start, end, poisson_chunk, &ctx);
}
