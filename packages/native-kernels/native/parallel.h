/* Ranges of work shared by the JS thread and helper threads that take blocks from a queue. Helpers sleep between jobs
 * (no spinning); the JS thread waits awake, yielding its core, up to 200 µs for the helpers' last blocks of a job. */
#ifndef VARIA_PARALLEL_H
#define VARIA_PARALLEL_H
#include <stdint.h>

#include "math_kernels.h"

/* Work on [start, end) of a range; ctx is the caller's. */
typedef void (*varia_range_fn)(void *ctx, int64_t start, int64_t end);

/*
 * Sets the number of threads that share a range (the calling thread plus n − 1 helpers, 1 ≤ n ≤ 8), stopping or
 * starting helpers; each new helper first runs init (e.g. to set its BLAS to one thread). Returns 0, or −1 when a
 * thread could not be started (the count is then what did start).
 */
VARIA_HIDDEN int varia_set_parallel(int n, void (*init)(void));
/* The current count (1 when there are no helpers). */
VARIA_HIDDEN int varia_parallel(void);
/*
 * How long after the calling thread starts on a job a helper starts on it (µs): the median of the last 8 jobs' (a job
 * whose blocks the calling thread claimed all counts as long as that took, when that is longer than the median); 0
 * before any job. Measured on this project's quiet 2-vCPU virtual machine, a helper asleep since its last job: the
 * caller's wake-up call takes it 15–45 µs, and the helper claims its first block 20–30 µs after that (the host wakes
 * its halted CPU; traced in the fused MNIST step and in C). When another program keeps the helper's core busy, a few µs (it preempts that program) or not
 * before the job is done (it cannot).
 */
VARIA_HIDDEN double varia_parallel_start_delay(void);
/*
 * Runs f over [0, total) in blocks of `block` (the last may be shorter): the calling thread and every helper take the
 * next block from a shared counter until none is left; returns when every block is done. A helper that the OS does
 * not schedule costs at most the block it holds: the others take the rest; one that wakes after the last block was
 * taken does nothing. With no helpers, or one block, it is
 * f(ctx, 0, total) on the calling thread. Not reentrant: one caller thread (the JS thread).
 */
VARIA_HIDDEN void varia_parallel_for(varia_range_fn f, void *ctx, int64_t total, int64_t block);
/*
 * An elementwise pass over n independent elements (or rows, or columns): varia_parallel_for in about two blocks per
 * thread of at least min_block elements (a multiple of 16, so no two threads write one cache line of an aligned
 * array), or f(ctx, 0, n) on the calling thread when n is below two such blocks or there are no helpers. Waking a
 * helper costs microseconds: min_block is the count whose pass takes well over that.
 */
VARIA_HIDDEN void varia_parallel_elements(varia_range_fn f, void *ctx, int64_t n, int64_t min_block);

#endif
