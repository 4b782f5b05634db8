/* A one-thread AVX-512 sgemm with oneDNN 2.6's accumulation order (gemm512.c), for blas.c to call where the rule holds. */
#ifndef VARIA_GEMM512_H
#define VARIA_GEMM512_H
#include <stdint.h>

#include "gemm_split.h"
#include "math_kernels.h"

/*
 * C = op(A)·B + beta·C (row-major, B not transposed, beta 0 or 1) with the bits of oneDNN 2.x's dnnl_sgemm on one
 * OpenMP thread of an avx512_core CPU, when gemm512.c's rule covers s (NN or TN, at least 2 rows and 2 columns).
 * Returns 0 when done, 1 when not covered (nothing written: the caller runs its BLAS), 2 when out of memory (the same).
 * Runs AVX-512F instructions: only for a CPU that has them, and only where the BLAS it stands in for is oneDNN 2.x on
 * one OpenMP thread of an avx512_core CPU (blas.c checks both).
 */
VARIA_HIDDEN int varia_gemm512(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c);

#endif
