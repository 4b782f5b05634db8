/* Where one product may be cut into blocks that keep its bits, and how two threads share it (gemm_split.c). */
#ifndef VARIA_GEMM_SPLIT_H
#define VARIA_GEMM_SPLIT_H
#include <stdint.h>

#include "math_kernels.h"

/* C = op(A)·op(B) + beta·C, row-major: op(A) is M × K, op(B) is K × N. */
typedef struct {
  int ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
} varia_gemm_shape_t;

/* The most blocks of a plan. */
#define VARIA_SPLIT_MAX 4

/* Blocks of C along one axis (0: rows, 1: columns): block b is [bound[b], bound[b + 1]). */
typedef struct {
  int axis, count;
  int64_t bound[VARIA_SPLIT_MAX + 1];
} varia_gemm_split_t;

/*
 * 1 when a block of `size` of C's rows (axis 0) or columns (axis 1) of the product `s`, computed on its own by oneDNN
 * 2.x's dnnl_sgemm on one OpenMP thread with s's leading dimensions, has the whole product's bits; else 0. oneDNN sums
 * each element in one FMA chain per block of K (blas.c's header comment); the blocks of K depend on K alone, except
 * above K = 768, where its copy and no-copy drivers block K differently and the choice between them depends on the
 * shape — so a block must take the whole product's driver. Products with a row vector or column vector, and those
 * with op(B) = Bᵀ and fewer than 16 rows, go to other kernels (no FMA chain): neither the whole nor a block may be one.
 */
VARIA_HIDDEN int varia_onednn_block_exact(const varia_gemm_shape_t *s, int axis, int64_t size);

/* 1 when oneDNN 2.x on one thread runs the product s with its no-copy driver (K > 768 then in blocks of 384 while 768
 * or more remain, the rest in two halves), 0 with its copy driver (K in plain blocks of 384); K ≤ 768 blocks alike. */
VARIA_HIDDEN int varia_onednn_nocopy(const varia_gemm_shape_t *s);

/*
 * Plans a product for the calling thread and one helper (oneDNN 2.x on one thread each): the axis whose blocks keep
 * the bits (columns when op(B) is the larger operand, so that each thread reads half of it), cut in 16-row or
 * 16-column units into a first block that the caller takes at once, larger by half of `head_start` (the multiply-adds
 * the caller does before the helper is expected to start), the helper's block, and a last block for whichever
 * finishes first. Returns the block count (0: no exact split; run the product whole).
 */
VARIA_HIDDEN int varia_gemm_plan_two(const varia_gemm_shape_t *s, double head_start, varia_gemm_split_t *plan);

#endif
