/* A one-thread AVX-512 sgemm with oneDNN 2.6's accumulation order (gemm512.c), for blas.c to call where the rule holds. */
#ifndef VARIA_GEMM512_H
#define VARIA_GEMM512_H
#include <stdint.h>

#include "gemm_split.h"
#include "math_kernels.h"

/*
 * The length of oneDNN 2.x's block of K that starts with `left` steps to go (gemm512.c's header): up to 384 one
 * block; below 768 two halves ((left + 1) / 2 first); 768 and above 384 — and with the copy driver (`plain`) every
 * block is 384 (the last one shorter).
 */
static inline int64_t varia_onednn_k_block(int64_t left, int plain) {
  if (left <= 384) return left;
  if (plain || left >= 768) return 384;
  return (left + 1) / 2;
}

/*
 * C = op(A)·B + beta·C (row-major, B not transposed, beta 0 or 1) with the bits of oneDNN 2.x's dnnl_sgemm on one
 * OpenMP thread of an avx512_core CPU, when gemm512.c's rule covers s (NN or TN, at least 2 rows and 2 columns).
 * Returns 0 when done, 1 when not covered (nothing written: the caller runs its BLAS), 2 when out of memory (the same).
 * Runs AVX-512F instructions: only for a CPU that has them, and only where the BLAS it stands in for is oneDNN 2.x on
 * one OpenMP thread of an avx512_core CPU (blas.c checks both).
 */
/*
 * The calling thread's scratch of at least `floats` floats, 64-byte aligned (grown as needed; freed with the thread's
 * other scratch, sparse_tiles.c); NULL when out of memory. For gemm512.c's and narrow.c's products: its contents do
 * not outlive one product.
 */
VARIA_HIDDEN float *varia_gemm512_scratch(int64_t floats);
/* Frees the calling thread's varia_gemm512_scratch. */
VARIA_HIDDEN void varia_gemm512_scratch_free(void);

VARIA_HIDDEN int varia_gemm512(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c);

#endif
