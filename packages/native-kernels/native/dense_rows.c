/*
 * See dense_rows.h.
 *
 * WHY BLOCKS OF ROWS. blas.c runs a product that zero_skip.c takes whole on the calling thread: split in two, each half
 * rescans A and B and the helper starts late, which was slower for the training step's 128 rows. With many rows (the
 * MNIST encode's 10,000) the threads here take blocks of DENSE_ROWS_BLOCK rows from a shared counter, each block
 * reading only its own rows of x, W's scan done once for all of them; and each block's bias, product and activation
 * meet its rows of y in the core's cache (800 KB there, where the whole y is 16 MB). On one thread that gained
 * nothing measurable, so one thread runs the whole product as before.
 *
 * WHY THE BITS STAY. Each element of y is b, then the product's chain added onto it, then act: the same expressions
 * per element as the whole product, provided that each block's product has the whole product's bits for its rows.
 * varia_sgemm_row_blocks_exact says so for the loaded BLAS (gemm_split.h's rule: oneDNN 2.x on one OpenMP thread of
 * an AVX-512 CPU; it checks each block's size, the last one's too, which may not be a multiple of 16); where it does
 * not hold, nothing is taken. zero_skip.c's products have oneDNN's bits row by row, with W's facts from one scan (the
 * same facts each block's scan would find) and W in an aligned copy (the same values; zero_skip.c makes the same copy
 * itself for a misaligned W, and oneDNN's, narrow.c's and gemm512.c's bits do not depend on where W lies:
 * src/helper-scratch.test.ts compares a W 8 bytes off a 64-byte boundary, read from the copy, with one thread).
 */
#include "dense_rows.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "entry_points.h"
#include "parallel.h"
#include "zero_skip.h"

/*
 * Rows per block: a multiple of 16 and of zero_skip.c's chunks of 128 rows, and at least narrow.c's 512 (a narrow C
 * in blocks of fewer rows would lose that kernel). The MNIST encode's first layer (10,000 × 784 → 400, two threads,
 * AMD EPYC Zen 5 2-vCPU machine, 2026-12-03, 3 interleaved rounds, bench/dist/profile-encode.js): 8.5–8.9 ms in
 * blocks of 512 rows, 8.4–8.8 of 256, 9.0–9.1 of 128, against 15.4–16.7 whole.
 */
#ifndef DENSE_ROWS_BLOCK
#define DENSE_ROWS_BLOCK 512
#endif

static atomic_long row_blocked = 0; /* products done in blocks of rows */

/* rowBlocked(): how many products varia_dense_forward_rows has done in this process. */
napi_value varia_napi_row_blocked(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_double(env, (double)atomic_load(&row_blocked), &v);
  return v;
}

/* Products with fewer multiply-adds stay whole (waking the helpers, scanning and copying W would cost more than the
 * blocks give): blas.c's PARALLEL_MIN_MACS. */
#define DENSE_ROWS_MIN_MACS (double)(1 << 21)

/* The largest W copied to aligned memory once (larger: each block's product copies it, as zero_skip.c does): 1.25 MB
 * for MNIST's first layer; the bound keeps the copy's memory within the products' own. */
#define DENSE_ROWS_COPY_MAX_BYTES ((size_t)64 << 20)

typedef struct {
  const float *x, *w, *bias;
  float *y;
  int64_t lda, M, N, K, blocks;
  int act;
  float alpha;
  const varia_b_facts_t *facts;
  atomic_int failed;
} rows_job_t;

static void rows_block(void *ctx, int64_t first, int64_t last) {
  rows_job_t *j = (rows_job_t *)ctx;
  for (int64_t b = first; b < last; b++) {
    /* the rows past the last whole block join it */
    const int64_t r0 = b * DENSE_ROWS_BLOCK, r1 = b == j->blocks - 1 ? j->M : r0 + DENSE_ROWS_BLOCK;
    float *y = j->y + r0 * j->N;
    const int64_t n = (r1 - r0) * j->N;
    if (j->bias)
      for (int64_t r = r0; r < r1; r++) memcpy(j->y + r * j->N, j->bias, (size_t)j->N * sizeof(float));
    if (varia_sgemm_single_known(0, 0, r1 - r0, j->N, j->K, j->x + r0 * j->lda, j->lda, j->w, j->N, j->bias ? 1.f : 0.f,
                                 y, j->N, j->facts) != 0) {
      atomic_store(&j->failed, 1);
      continue;
    }
    varia_activate(y, n, j->act, j->alpha);
  }
}

int varia_dense_forward_rows(const float *x, int64_t lda, const float *w, const float *bias, float *y, int64_t M,
                             int64_t N, int64_t K, int act, float alpha) {
  const int64_t blocks = M / DENSE_ROWS_BLOCK;
  /* on one thread the blocks ran no faster than the whole product (MNIST encode, 8 interleaved rounds): not taken */
  if (blocks < 2 || K < 1 || varia_parallel() < 2 || (double)M * (double)N * (double)K < DENSE_ROWS_MIN_MACS) return 1;
  /* VARIA_DENSE_ROWS=0: the whole product, as before these blocks */
  const char *off = getenv("VARIA_DENSE_ROWS");
  if (off && !strcmp(off, "0")) return 1;
  const varia_gemm_shape_t s = {.ta = 0, .tb = 0, .M = M, .N = N, .K = K, .lda = lda, .ldb = N, .ldc = N};
  const int64_t sizes[2] = {DENSE_ROWS_BLOCK, DENSE_ROWS_BLOCK + M % DENSE_ROWS_BLOCK};
  if (!varia_sgemm_row_blocks_exact(&s, sizes, 2)) return 1;
  /* W's facts once (each block's zero-skipping product would scan it again), and W aligned once when it is not (each
   * block would copy it): only where the copy has W's own leading dimension, N, so the product's shape is unchanged */
  varia_b_facts_t facts;
  const int known = varia_zero_skip_scan_facts(&s, w, &facts);
  float *copy = NULL;
  const size_t w_bytes = (size_t)(K * N) * sizeof(float);
  if ((uintptr_t)w % 64 != 0 && N % 16 == 0 && w_bytes <= DENSE_ROWS_COPY_MAX_BYTES) {
    copy = (float *)aligned_alloc(64, (w_bytes + 63) / 64 * 64); /* C11: a multiple of the alignment */
    if (copy) memcpy(copy, w, w_bytes);                         /* else each block copies W itself (same bits) */
  }
  rows_job_t j = {.x = x, .w = copy ? copy : w, .bias = bias, .y = y, .lda = lda, .M = M, .N = N, .K = K,
                  .blocks = blocks, .act = act, .alpha = alpha, .facts = known ? &facts : NULL};
  atomic_init(&j.failed, 0);
  varia_parallel_for(rows_block, &j, blocks, 1);
  free(copy);
  if (atomic_load(&j.failed)) return -1;
  atomic_fetch_add(&row_blocked, 1);
  return 0;
}

int varia_dense_forward(const float *x, int64_t lda, const float *w, const float *bias, float *y, int64_t M, int64_t N,
                        int64_t K, int act, float alpha) {
  const int in_rows = varia_dense_forward_rows(x, lda, w, bias, y, M, N, K, act, alpha);
  if (in_rows != 1) return in_rows;
  if (bias)
    for (int64_t r = 0; r < M; r++) memcpy(y + r * N, bias, (size_t)N * sizeof(float));
  if (varia_sgemm_shared(0, 0, M, N, K, x, lda, w, N, bias ? 1.f : 0.f, y, N) != 0) return -1;
  varia_activate(y, M * N, act, alpha);
  return 0;
}
