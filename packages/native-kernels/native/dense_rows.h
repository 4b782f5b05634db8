/* A dense layer's forward pass over many rows, in blocks of rows shared by the threads (dense_rows.c). */
#ifndef VARIA_DENSE_ROWS_H
#define VARIA_DENSE_ROWS_H
#include <stdint.h>

#include "math_kernels.h"

/*
 * y = act(x·W + b) for x [M, K] (rows lda floats apart), W [K, N] (rows N floats apart), b [N] or NULL, y [M, N]
 * (rows N apart), with the bits of the whole product as blas.c runs it (y filled with b, the product with beta 1, then
 * act as varia_activate): in blocks of DENSE_ROWS_BLOCK rows, each filled, multiplied and activated in turn, the
 * blocks taken by the calling thread and the helpers (parallel.h).
 * Returns 0 when done; −1 when a block's product failed (y is then partly written); 1 when not taken, nothing written
 * (the caller runs the whole product): one thread (no helpers), too few rows for two blocks, blocks of rows that would
 * not keep the bits (gemm_split.h's rule does not hold for the loaded BLAS), or VARIA_DENSE_ROWS=0 in the environment
 * (read at each call, for A/B measurements). Outputs must not overlap inputs. Every block's product may take the
 * running thread's scratch slots (zero_skip.h).
 */
VARIA_HIDDEN int varia_dense_forward_rows(const float *x, int64_t lda, const float *w, const float *bias, float *y,
                                          int64_t M, int64_t N, int64_t K, int act, float alpha);

/* The same y: in blocks of rows where varia_dense_forward_rows takes the product, else the whole product as blas.c
 * runs it (y filled with b, varia_sgemm_shared with beta 1, then act). K ≥ 1. Returns 0, or −1 when a product failed. */
VARIA_HIDDEN int varia_dense_forward(const float *x, int64_t lda, const float *w, const float *bias, float *y, int64_t M,
                                     int64_t N, int64_t K, int act, float alpha);

#endif
