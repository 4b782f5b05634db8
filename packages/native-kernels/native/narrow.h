/* Products with a narrow C (a VAE's posterior heads) with oneDNN 2.x's bits, rows in the vector lanes (narrow.c). */
#ifndef VARIA_NARROW_H
#define VARIA_NARROW_H
#include <stdint.h>

#include "gemm_split.h"
#include "math_kernels.h"

/* The widest C the kernel takes. */
#define VARIA_NARROW_MAX_N 32

/*
 * C = op(A)·B + beta·C (row-major, NN or TN, B not transposed, beta 0 or 1, M ≥ 2, 2 ≤ N ≤ VARIA_NARROW_MAX_N) with
 * the bits of oneDNN 2.x's dnnl_sgemm on one OpenMP thread of an avx512_core CPU. Returns 0 when done, 1 when not
 * covered (nothing written: the caller runs its BLAS), 2 when out of memory (the same). Runs AVX-512F instructions:
 * only for a CPU that has them, and only where the BLAS it stands in for is oneDNN 2.x on one OpenMP thread of an
 * avx512_core CPU (blas.c checks both). Uses a per-thread scratch panel of 16·K floats (grow-only).
 */
VARIA_HIDDEN int varia_narrow_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c);

#endif
