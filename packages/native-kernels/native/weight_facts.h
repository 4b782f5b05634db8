/*
 * What the in-step Adam step learns of the weights it writes, for the next product that reads them (adam.c).
 *
 * denseBackwardAdam (dense_adam.c) reads and writes every element of a layer's kernel W; as it writes each block it
 * also keeps, on the bits of |w| (sign cleared) as unsigned integers, min(|w| − 1) and max |w| — the facts that
 * zero_skip.c's scan of B derives (zero_skip.h, varia_b_facts_t): whether every w is finite, and the least non-zero
 * |w|. The facts go into an entry of the calling thread's table under a ticket (a number unique in the process), which
 * the JS side keeps beside the kernel's tensor data and gives to the next gemm whose B is that same data: gemm
 * (matmul.c) then skips B's scan when the entry is for exactly the region it reads, every element's facts are in, and
 * every w is finite. Anything else — no ticket, an entry reused or forgotten, another region, a block whose product
 * failed (its W rows were not written), a NaN or ±∞ in W — is today's path, the scan.
 *
 * Every native call that writes a tensor's data in place must forget the entries whose regions it meets (adamInPlace
 * and denseBackwardAdam do; no other entry point writes an input). The JS side forgets its ticket for the data too.
 */
#ifndef VARIA_WEIGHT_FACTS_H
#define VARIA_WEIGHT_FACTS_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "math_kernels.h"
#include "zero_skip.h"

/* One region's facts: its bits' min(|w| − 1) and max |w| so far, and how many of its elements they cover. */
typedef struct {
  double ticket; /* 0: free */
  const float *w;
  int64_t n;
  atomic_uint least_m1, peak;
  atomic_llong covered;
} varia_weight_facts_t;

/* 1 unless VARIA_B_FACTS=0 is in the environment (read at each call): no facts are kept or used (for A/B runs). */
VARIA_HIDDEN int varia_weight_facts_on(void);

/* A fresh entry of the calling thread's table for the n floats at w (not `busy`, the entry a deferred job of this
 * thread may still be writing: NULL when none), under a new ticket, with no element covered yet. */
VARIA_HIDDEN varia_weight_facts_t *varia_weight_facts_open(const float *w, int64_t n, const varia_weight_facts_t *busy);

/* Adds the facts of `count` more elements of f's region (their min(|w| − 1) and max |w|); any thread. */
VARIA_HIDDEN void varia_weight_facts_add(varia_weight_facts_t *f, uint32_t least_m1, uint32_t peak, int64_t count);

/* 1 and B's facts in `out` when the calling thread's entry under `ticket` is for exactly the n floats at b, covers
 * every one, and every one is finite; else 0 (the caller scans B). */
VARIA_HIDDEN int varia_weight_facts_find(double ticket, const float *b, int64_t n, varia_b_facts_t *out);

/* Forgets the calling thread's entries whose region meets [start, start + bytes). */
VARIA_HIDDEN void varia_weight_facts_forget(const void *start, size_t bytes);

/* varia_adam_inplace (math_kernels.h), the same expressions in the same order (the same bits), that also folds the
 * new w's bits into *least_m1 (min of |w| − 1, a zero wrapping to the largest) and *peak (max |w|). */
VARIA_HIDDEN void varia_adam_inplace_facts(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1,
                                           float b2, float eps, float b1pow, float b2pow, uint32_t *least_m1,
                                           uint32_t *peak);

#endif
