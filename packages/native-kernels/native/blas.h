/* The BLAS loaded at run time (blas.c): its N-API entry points are declared in entry_points.h. */
#ifndef VARIA_BLAS_H
#define VARIA_BLAS_H
#include <stdint.h>

#include "gemm_split.h"
#include "math_kernels.h"
#include "zero_skip.h"

/* 1 once load() has found a BLAS, else 0. */
VARIA_HIDDEN int varia_blas_loaded(void);
/* C = op(A)·op(B) + beta·C, row-major, K ≥ 1, split into blocks of C's rows when helper threads exist and the product is
 * large. Returns 0 on success. Every product here may take the calling thread's CSR scratch slots (zero_skip.h), and a
 * one-row product (M = 1, N ≥ 2) on oneDNN its VARIA_SCRATCH_ONE_ROW slot: it runs as copies of the row (blas.c). */
VARIA_HIDDEN int varia_sgemm_shared(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
/* varia_sgemm_shared with what is known of B's K × N region (zero_skip.h's varia_b_facts_t; NULL: nothing): a
 * zero-skipping product, or a block of one, then skips B's scan. The same bits. */
VARIA_HIDDEN int varia_sgemm_shared_known(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                                          const varia_b_facts_t *facts);

/* One product C = op(A)·op(B) + beta·C (row-major, K ≥ 1) of a set that varia_sgemm_together runs. */
typedef struct {
  int ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  const float *a, *b;
  float beta;
  float *c;
} varia_gemm_t;

/*
 * Independent products (none writes what another reads), one after the other in the caller's order through
 * varia_sgemm_shared — except with exactly two threads and enough work, where each product goes whole to one thread
 * (the first is taken first; a thread that finds none left waits): a whole product runs faster than two halves, and
 * it is trivially the one-thread bits. Returns 0 on success.
 */
VARIA_HIDDEN int varia_sgemm_together(const varia_gemm_t *products, int count);

/* sgemm on the calling thread only, never split (for callers that share their own blocks). Returns 0 on success. */
VARIA_HIDDEN int varia_sgemm_single(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
/* varia_sgemm_single with what is known of B's K × N region (NULL: nothing), as varia_sgemm_shared_known. */
VARIA_HIDDEN int varia_sgemm_single_known(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                                          const varia_b_facts_t *facts);
/* 1 when each block of rows[0 … count) of C's rows of the product s, computed on its own by varia_sgemm_single with s's
 * leading dimensions, has the bits of the whole product (gemm_split.h's rule holds for the loaded BLAS and its thread
 * count, and for each block); else 0. */
VARIA_HIDDEN int varia_sgemm_row_blocks_exact(const varia_gemm_shape_t *s, const int64_t *rows, int64_t count);

#endif
