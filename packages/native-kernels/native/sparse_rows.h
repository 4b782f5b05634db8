/* The row kernel of a dense layer's forward product on a sorted CSR input, with AVX-512F (sparse_rows.c). */
#ifndef VARIA_SPARSE_ROWS_H
#define VARIA_SPARSE_ROWS_H
#include <stdint.h>

#include "math_kernels.h"

/* Whether varia_sparse_rows_forward was built (x86-64 with GCC or Clang); the caller checks the CPU's AVX-512F. */
VARIA_HIDDEN int varia_sparse_rows_available(void);

/* y = act(X·W + b) for a checked CSR X [rows, in_dim] whose rows list their columns in non-decreasing order (indptr
 * from 0, non-decreasing; columns in 0 … in_dim − 1): W [in_dim, units] row-major, b [units] or NULL, y [rows, units]
 * (not overlapping the inputs); act as varia_activate. The bits of sparse_tiles.c's AVX-512 tiles, for any number of
 * helper threads. Needs no memory. */
VARIA_HIDDEN void varia_sparse_rows_forward(const int32_t *indptr, const int32_t *indices, const float *values,
                                            int64_t rows, int64_t in_dim, const float *w, const float *bias, float *y,
                                            int64_t units, int act, float alpha);

#endif
