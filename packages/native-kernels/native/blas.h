/* The BLAS loaded at run time (blas.c): its N-API entry points are declared in entry_points.h. */
#ifndef VARIA_BLAS_H
#define VARIA_BLAS_H
#include <stdint.h>

#include "math_kernels.h"

/* 1 once load() has found a BLAS, else 0. */
VARIA_HIDDEN int varia_blas_loaded(void);
/* C = op(A)·op(B) + beta·C, row-major, K ≥ 1, split into blocks of C's rows when helper threads exist and the product is
 * large. Returns 0 on success. */
VARIA_HIDDEN int varia_sgemm_shared(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

#endif
