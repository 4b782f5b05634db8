/* Ranges of work shared by the JS thread and helper threads that take blocks from a queue. Helpers sleep between jobs
 * (no spinning); the JS thread waits awake, yielding its core, up to 200 µs for the helpers' last blocks of a job. */
#ifndef VARIA_PARALLEL_H
#define VARIA_PARALLEL_H
#include <stddef.h>
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

/* A region of memory a deferred job reads (written = 0) or writes (1). */
typedef struct {
  const void *start;
  size_t bytes;
  int written;
} varia_region_t;
/* The most regions a deferred job names. */
#define VARIA_DEFERRED_REGIONS 8

/*
 * Posts f over [0, total) in blocks of `block` as a deferred job and returns at once, while the helpers claim its
 * blocks: the calling thread joins it (claims what is left, then waits for the rest) at its next varia_parallel_join,
 * at its next varia_parallel_for that uses the pool (the pool runs one job at a time), or in
 * varia_parallel_join_conflicts when its regions meet the job's. `regions` (at most VARIA_DEFERRED_REGIONS) are all the
 * memory f may read or write that outlives this call: until the join the caller must leave every region alone that
 * the job writes, and must not write one that it reads. Returns 1 when the job is pending, 0 when it already ran: with
 * no helpers, one block, more blocks than one job holds, or the pool taken by another thread (a JS worker, or a job
 * posted from a helper) it runs at once on the calling thread, as varia_parallel_for. Blocks are independent of the
 * thread that runs them, so a deferred job gives the same bits. At most one deferred job per thread (a post joins the
 * calling thread's pending one first). A thread joins only its own job: another thread meanwhile finds the pool taken
 * and runs its ranges alone.
 */
VARIA_HIDDEN int varia_parallel_post(varia_range_fn f, void *ctx, int64_t total, int64_t block,
                                     const varia_region_t *regions, int region_count);
/*
 * Whether deferring a job is likely to pay now: 0 for the next VARIA_DEFER_BACKOFF (16) calls after two deferred jobs
 * in a row of the calling thread whose helpers had not started on them when they were joined (the OS had queued them
 * behind the calling thread, as it does when every other core is busy: the blocks then wait for the join and the post
 * only adds a helper's wake-up), twice as many after each further such job (up to 512), else 1. varia_set_parallel
 * starts the calling thread afresh.
 */
VARIA_HIDDEN int varia_parallel_defer_advised(void);
/* Joins the calling thread's deferred job, if it has one: returns when every block is done. */
VARIA_HIDDEN void varia_parallel_join(void);
/* Whether the calling thread has a deferred job that is not joined yet (done or not). */
VARIA_HIDDEN int varia_parallel_pending(void);
/*
 * Joins the calling thread's deferred job when any of `regions` meets one of the job's regions that is written, or
 * when a written one of `regions` meets any of the job's: what an entry point that may run beside the job calls
 * before it touches memory. Regions meet when they share a byte.
 */
VARIA_HIDDEN void varia_parallel_join_conflicts(const varia_region_t *regions, int count);

#endif
