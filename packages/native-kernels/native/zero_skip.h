/* Products whose op(A) is mostly zeros, with oneDNN 2.x's bits and its zeros skipped (zero_skip.c), for blas.c. */
#ifndef VARIA_ZERO_SKIP_H
#define VARIA_ZERO_SKIP_H
#include <stdint.h>

#include "gemm_split.h"
#include "math_kernels.h"

/*
 * C = op(A)·B + beta·C (row-major, B not transposed, beta 0 or 1, at least 2 rows and 2 columns) with the bits of
 * oneDNN 2.x's dnnl_sgemm on one OpenMP thread of an avx512_core CPU, visiting only the k where op(A)[i][k] ≠ 0
 * (zero_skip.c's header says why the bits stay). Returns 0 when done; 1 when not taken (a shape it does not cover, or
 * a sample of op(A)'s rows with more non-zeros than `max_density`, a fraction of its elements, or a NaN in both A and B:
 * which of two NaNs an FMA keeps is its operands' order); 2 when out of memory.
 * On 1 and 2 nothing was written: the caller runs its BLAS. Runs AVX-512F/DQ instructions: only for a CPU that has
 * them, and only where the BLAS it stands in for is oneDNN 2.x on one OpenMP thread of an avx512_core CPU (blas.c
 * checks both). It uses the calling thread's scratch slots VARIA_SCRATCH_CSR_INDICES and VARIA_SCRATCH_CSR_VALUES
 * (sparse_tiles.h), which may move: no caller of blas.c's products may hold data there across a product.
 */
VARIA_HIDDEN int varia_zero_skip_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c,
                                      double max_density);

/* Whether varia_zero_skip_gemm would take the product, short of a NaN in both A and B or memory: the shape is one it
 * covers and a sample of op(A)'s rows has at most `max_density` non-zeros (only those rows of A are read). */
VARIA_HIDDEN int varia_zero_skip_takes(const varia_gemm_shape_t *s, const float *a, float beta, double max_density);

/*
 * What a caller knows of the K × N region of B that a product reads (rows ldb floats apart), from the writer of those
 * bytes (weight_facts.h: the in-step Adam step): every entry is finite (no NaN, no ±∞), and `least` is at most the
 * smallest non-zero |w| (+∞ when every entry is ±0). A smaller `least` than the true one is sound (rows of op(A) are
 * then summed densely more often: oneDNN's own chain); a non-finite entry is not.
 */
typedef struct {
  float least;
} varia_b_facts_t;

/* varia_zero_skip_gemm, with B's scan (its non-finite rows, its least |w|) replaced by `facts` when given (NULL: the
 * scan, as varia_zero_skip_gemm). The same bits either way when the facts are true of B. */
VARIA_HIDDEN int varia_zero_skip_gemm_known(const varia_gemm_shape_t *s, const float *a, const float *b, float beta,
                                            float *c, double max_density, const varia_b_facts_t *facts);

/* B's facts from a scan of its K × N region (rows ldb floats apart), once for many products that read it: 1 and the
 * facts in `out` when every entry is finite, else 0 (no facts: each product scans B itself). Also 0 without AVX-512. */
VARIA_HIDDEN int varia_zero_skip_scan_facts(const varia_gemm_shape_t *s, const float *b, varia_b_facts_t *out);

#endif
