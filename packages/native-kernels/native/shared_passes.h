/* Elementwise passes and sums shared between the threads of parallel.c in blocks (bit-identical to one call). */
#ifndef VARIA_SHARED_PASSES_H
#define VARIA_SHARED_PASSES_H
#include <stdint.h>

#include "math_kernels.h"

/* A loop y[i] = f(x[i]) of math_kernels.c (x and y may coincide). */
typedef void (*varia_unary_fn)(const float *x, float *y, int64_t n);

/*
 * Elements per block (a pass is shared from two blocks on). Waking a sleeping helper costs the caller ~12 µs and the
 * helper starts 20–50 µs later (measured on this project's 2-vCPU KVM machine, caches cold, the helper idle for 1 ms),
 * so a pass is shared only when it takes ≥ ~100 µs on one thread: softplus gained 1.11× at 100k elements and 1.31×
 * at 200k; exp lost at 100k (0.77×) and gained at 200k (1.13×); a·b − c lost at 100k–200k and gained at 400k
 * (1.36×); a row sum lost at 200k (0.78×).
 */
/* softplus, log, log1p, log Γ (≥ ~1 ns per element) */
#ifndef VARIA_UNARY_MIN_BLOCK
#define VARIA_UNARY_MIN_BLOCK 32768
#endif
/* exp (~0.6 ns per element) */
#ifndef VARIA_EXP_MIN_BLOCK
#define VARIA_EXP_MIN_BLOCK 98304
#endif
/* a pass that reads two or three arrays and writes one with a few arithmetic operations */
#ifndef VARIA_STREAM_MIN_BLOCK
#define VARIA_STREAM_MIN_BLOCK 131072
#endif
/* added elements per block of a sum (one addition each) */
#ifndef VARIA_SUM_MIN_BLOCK
#define VARIA_SUM_MIN_BLOCK 262144
#endif

/* Whether n floats at y may be written in blocks while n floats at x are read: y is x, or they do not overlap. */
VARIA_HIDDEN int varia_blockwise_safe(const float *x, const float *y, int64_t n);

/* f over [0, n) in blocks of at least `min_block` elements (varia_parallel_elements): the bits of f(x, y, n). On one
 * thread when x and y overlap without coinciding (the result of such a call depends on the order of the loop). */
VARIA_HIDDEN void varia_unary_shared(varia_unary_fn f, const float *x, float *y, int64_t n, int64_t min_block);
/* varia_sum in blocks of rows (outer > 1) or of columns (outer = 1, inner > 1): the bits of one varia_sum call, as
 * each output is the same sum in the same order (on one thread when y overlaps x). */
VARIA_HIDDEN void varia_sum_shared(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner);

#endif
