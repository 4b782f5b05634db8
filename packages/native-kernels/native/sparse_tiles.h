/* Products of a dense layer that skip an input's zeros (sparse_tiles.c): shared by sparse_dense.c and sparse_input.c.
 * Each returns 0, or −1 when its grow-only scratch memory could not be allocated. Outputs must not overlap inputs;
 * the bits do not depend on the number of helper threads (they take whole 64-column tiles). Not reentrant: the JS
 * thread only. */
#ifndef VARIA_SPARSE_TILES_H
#define VARIA_SPARSE_TILES_H
#include <stdint.h>

#include "math_kernels.h"

/* y = act(X·W + b) for a checked CSR X [rows, in_dim] (indptr from 0, non-decreasing; columns in 0 … in_dim − 1):
 * W [in_dim, units] row-major, b [units] or NULL, y [rows, units]; act as varia_activate. */
VARIA_HIDDEN int varia_sparse_forward(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                                      int64_t in_dim, const float *w, const float *bias, float *y, int64_t units,
                                      int act, float alpha);

/* The same for a dense x [n, in_dim], reading its non-zero entries only (±0 skipped; NaN and ±∞ kept). */
VARIA_HIDDEN int varia_dense_sparse_forward(const float *x, int64_t n, int64_t in_dim, const float *w,
                                            const float *bias, float *y, int64_t units, int act, float alpha);

/* δ = dy ⊙ f′(y) (varia_activation_delta's act), dW = xᵀ·δ [in_dim, units] from x's non-zero entries (rows of
 * all-zero columns are 0) and db = Σ_rows δ (varia_sum: the bits of denseBackward's db). */
VARIA_HIDDEN int varia_dense_sparse_backward(const float *dy, const float *y, const float *x, int64_t n, int64_t in_dim,
                                             int64_t units, int act, float *dw, float *db);

#endif
