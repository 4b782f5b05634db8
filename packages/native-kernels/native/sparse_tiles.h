/* Products of a dense layer that skip an input's zeros (sparse_tiles.c): shared by sparse_dense.c and sparse_input.c.
 * Each returns 0, or −1 when its grow-only scratch memory could not be allocated. Outputs must not overlap inputs;
 * the bits do not depend on the number of helper threads (they take whole 64-column tiles, or blocks of rows). Each calling thread (the
 * JS thread, a worker's) has its own scratch memory. */
#ifndef VARIA_SPARSE_TILES_H
#define VARIA_SPARSE_TILES_H
#include <stddef.h>
#include <stdint.h>

#include "napi_util.h"

/* Scratch slots the callers may use (sparse_tiles.c keeps its own after these). */
/* (VARIA_SCRATCH_ONE_ROW: blas.c's one-row products, op(A)'s row copied and their rows of C.) */
enum {
  VARIA_SCRATCH_CSR_INDICES,
  VARIA_SCRATCH_CSR_VALUES,
  VARIA_SCRATCH_DELTA,
  VARIA_SCRATCH_DEFERRED,
  VARIA_SCRATCH_ONE_ROW,
  VARIA_SCRATCH_SLOTS
};

/* Registers the release of the calling thread's scratch memory with its environment's cleanup (once per thread):
 * each entry point calls it first. Returns 0, or −1 when the hook could not be added. */
VARIA_HIDDEN int varia_sparse_scratch_attach(napi_env env);

/* The calling thread's grow-only scratch buffer `slot`, at least `bytes` long and 64-byte aligned, valid until its next
 * call for that slot; NULL when out of memory. */
VARIA_HIDDEN void *varia_sparse_scratch(int slot, size_t bytes);

/* Frees the calling thread's scratch memory now (parallel.c's helpers, as they end: a helper that ran products took
 * zero_skip.c's slots, and a helper thread has no environment whose cleanup would free them). */
VARIA_HIDDEN void varia_sparse_scratch_free_thread(void);

/* Whether the AVX-512 paths run (the CPU has AVX-512F and VARIA_NATIVE_NO_AVX512 is not set). */
VARIA_HIDDEN int varia_sparse_avx512(void);

/* y = act(X·W + b) for a checked CSR X [rows, in_dim] (indptr from 0, non-decreasing; columns in 0 … in_dim − 1):
 * W [in_dim, units] row-major, b [units] or NULL, y [rows, units]; act as varia_activate. sorted: every row lists its
 * columns in non-decreasing order (then, with AVX-512F, sparse_rows.c's row kernel runs: the same bits). */
VARIA_HIDDEN int varia_sparse_forward(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                                      int64_t in_dim, const float *w, const float *bias, float *y, int64_t units,
                                      int act, float alpha, int sorted);

/* dW = Xᵀ·δ [in_dim, units] for a checked CSR X [rows, in_dim] and δ [rows, units]; rows of empty columns are 0. */
VARIA_HIDDEN int varia_sparse_dw(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                                 int64_t in_dim, const float *delta, float *dw, int64_t units);

#endif
