/*
 * See parallel.h. Helpers sleep between jobs (no spinning on a shared machine) on a futex (Linux; elsewhere a
 * mutex and a condition variable stand in for it). A job is published in one 64-bit word — its number, its block
 * count and the next unclaimed block — and a thread claims a block with one compare-and-swap, so the calling thread
 * never takes a lock that a waking helper holds, and a helper that wakes late finds the job's word changed and claims
 * nothing (it reads the job's fields only after a claim, which the caller waits for).
 *
 * Measured and not kept (MNIST fused step, parallel: 2, 2-vCPU KVM machine, interleaved runs at load 4–7):
 * - A helper that polls for the next job for a bounded time before it sleeps: the gaps between a step's ~6 shared
 *   jobs are mostly longer than 250 µs (with a 250 µs budget 62 % of the jobs still found the helper asleep, with
 *   1,000 µs 6 %), and the helper already took 44–46 % of the blocks without it, so the step's 10th-percentile time
 *   gained ≤ 4 % for 12–23 % more CPU. With a busy loop on one core a 250 µs budget made two threads slower than one
 *   (0.85–0.91× against 1.01–1.11× without it): the spinning helper pushes the other program onto the caller's core.
 *   Spinning only while neither thread had been preempted (involuntary context switches) gained nothing at load 4–5
 *   and still lost with the busy loop (0.97–1.05× against 1.09–1.11× without spinning).
 * - (2026-12-02) A helper that, for 2 ms after a job, sleeps 50 µs at a time on a timed futex wait and looks for the
 *   next job itself, so that the caller makes no wake-up call (a timed sleep ends 60–100 µs later on this VM; ~6 jobs
 *   per MNIST step, 199 of 1,870 jobs then needed a wake-up instead of 1,867): before the deferred update it gained
 *   1.03–1.07× (6 pairs, load 0.5–0.9), after it 1.015× and 0.993× (medians of 8 and 10 quiet pairs, ranges
 *   0.92–1.10): nothing. Without a guard it made the step 0.73× as fast at load ~4 (a helper that keeps waking on a
 *   busy machine loses its core's turn); a guard that stopped it when /proc/loadavg's running count exceeded the
 *   CPUs or a timed sleep ended 300 µs late avoided that loss.
 * - The caller claiming blocks from the front and the helpers from the back, so that each thread keeps touching the
 *   same part of each array: no measurable change (Adam's in-step time, the products, the step).
 * What bounds two threads here instead: the L3 that both cores share delivers about what one core draws (a streaming
 * pass: 85 GB/s on one core, 82 GB/s in all on two), so passes over arrays larger than a core's 2 MB L2 (Adam's 10 MB
 * of weights and moments) gain nothing from the second core inside a step, and the products gain 1.4–1.5×.
 *
 * On the AMD EPYC Zen 5 2-vCPU machine (2026-12-02, a PVM guest): scripts/vm-costs.c measured the wake-up call at
 * 29–37 µs in the caller and the helper running p50 78–87 µs after it began (p90 105–116), a cache line's round trip
 * between the CPUs 490–519 ns, a minor page fault 14–20 µs; scripts/split-timing.c the MNIST 128×784·784×400 product
 * 1.30–1.58× on two threads (p50 365–434 → 275–282 µs) while the other CPU was free, and no faster while another
 * program kept it busy. The fused MNIST step (bench step-ab.js, interleaved pairs in one process): under `chrt -f 50`
 * 1.18× on two threads (6 pairs 1.03–1.34, p10 of the steps 2.89 → 2.42 ms); at load 2–4 without it 0.68–1.5×, the
 * helper preempted ~4 times a step. Nothing here was changed for that CPU: the same waits and the same plan.
 */
#define _GNU_SOURCE
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define MAX_THREADS 8

/* The claim word: job number (16 bits) | block count (24 bits) | next block (24 bits). */
#define COUNT_BITS 24
#define COUNT_MAX ((1 << COUNT_BITS) - 1)
#define WORD(gen, count, next) (((uint64_t)(gen) << 48) | ((uint64_t)(count) << COUNT_BITS) | (uint64_t)(next))

typedef struct {
  varia_range_fn f;
  void *ctx;
  int64_t offset, total, block; /* block k of this job covers [offset + k·block, …) of the caller's range */
} job_t;

static job_t job;                         /* written by the caller before it publishes the claim word */
static _Atomic uint64_t claim = 0;        /* see WORD */
static atomic_uint posted = 0;            /* jobs posted (and stops): the helpers sleep while it is unchanged */
static atomic_uint done = 0;              /* blocks of the current job finished: the caller sleeps on it */
static atomic_int stopping = 0;
static atomic_int sleepers = 0;           /* helpers asleep or about to be */
static int helpers = 0;
static pthread_t threads[MAX_THREADS];
static void (*helper_init)(void) = NULL;
static _Thread_local int on_helper = 0;   /* 1 on a helper thread */
static _Atomic int64_t first_claim = 0;   /* when a helper first claimed a block of the current job (ns), 0: none yet */

/* The last few start delays (µs): from a job's post to a helper's first claim (run_job, under the pool's lock), and
 * their median (read by any thread). */
#define DELAY_SAMPLES 8
static double delays[DELAY_SAMPLES];
static int delay_count = 0, delay_next = 0;
static _Atomic double delay_median = 0;

/* Records a start delay; `at_least`: the helpers had not started when the job ran out (the delay is no shorter). */
static void record_delay(double us, int at_least) {
  if (at_least && us <= atomic_load(&delay_median)) return; /* says nothing new */
  delays[delay_next] = us;
  delay_next = (delay_next + 1) % DELAY_SAMPLES;
  if (delay_count < DELAY_SAMPLES) delay_count++;
  double sorted[DELAY_SAMPLES];
  for (int i = 0; i < delay_count; i++) {
    int j = i;
    for (; j > 0 && sorted[j - 1] > delays[i]; j--) sorted[j] = sorted[j - 1];
    sorted[j] = delays[i];
  }
  atomic_store(&delay_median, sorted[delay_count / 2]);
}

/* How long the calling thread waits awake for the helpers' last blocks before it sleeps (µs): a thread asleep takes
 * tens of µs to be woken on a virtual machine, more than many blocks take. */
#ifndef JOIN_SPIN_US
#define JOIN_SPIN_US 200.0
#endif

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double now_us(void) { return (double)now_ns() / 1e3; }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#if defined(__linux__)
/* Sleeps while *word == value (returns at once when it differs; spurious returns are fine). */
static void wait_while(atomic_uint *word, unsigned value) {
  syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}
static void wake_all(atomic_uint *word) { syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, MAX_THREADS, NULL, NULL, 0); }
#else
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static void wait_while(atomic_uint *word, unsigned value) {
  pthread_mutex_lock(&mu);
  while (atomic_load(word) == value) pthread_cond_wait(&changed, &mu);
  pthread_mutex_unlock(&mu);
}
static void wake_all(atomic_uint *word) {
  (void)word;
  pthread_mutex_lock(&mu);
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&mu);
}
#endif

/* Claims and runs blocks of job `gen` until none is left (or a newer job is up). */
static void run_blocks(uint32_t gen) {
  uint64_t word = atomic_load(&claim);
  for (;;) {
    const uint32_t g = (uint32_t)(word >> 48) & 0xffff, count = (uint32_t)(word >> COUNT_BITS) & COUNT_MAX;
    const uint32_t next = (uint32_t)word & COUNT_MAX;
    if (g != (gen & 0xffff) || next >= count) return;
    if (!atomic_compare_exchange_weak(&claim, &word, word + 1)) continue; /* word is reloaded */
    if (on_helper && atomic_load_explicit(&first_claim, memory_order_relaxed) == 0) {
      int64_t none = 0;
      atomic_compare_exchange_strong(&first_claim, &none, now_ns());
    }
    /* block `next` is ours: the caller waits for it, so the job's fields stay as they are until it is done */
    const int64_t start = job.offset + (int64_t)next * job.block;
    const int64_t limit = job.offset + job.total;
    const int64_t end = start + job.block < limit ? start + job.block : limit;
    job.f(job.ctx, start, end);
    if (atomic_fetch_add(&done, 1) + 1 == count) wake_all(&done);
    word = atomic_load(&claim);
  }
}

/* sparse_tiles.c's release of a thread's scratch; weak: a harness may link parallel.c without sparse_tiles.c */
VARIA_HIDDEN void varia_sparse_scratch_free_thread(void) __attribute__((weak));

/* signal_guard.c's; weak: a harness may link parallel.c without it */
VARIA_HIDDEN void varia_signals_block_for_good(void) __attribute__((weak));

static void *helper_main(void *arg) {
  (void)arg;
  on_helper = 1;
  /* started blocked already (blas.c's setParallel); this makes the products' holds free */
  if (varia_signals_block_for_good) varia_signals_block_for_good();
  if (helper_init) helper_init();
  unsigned seen = atomic_load(&posted);
  for (;;) {
    if (atomic_load(&stopping)) break;
    unsigned now = atomic_load(&posted);
    if (now == seen) {
      atomic_fetch_add(&sleepers, 1);
      wait_while(&posted, seen);
      atomic_fetch_sub(&sleepers, 1);
      continue;
    }
    seen = now;
    run_blocks(now);
  }
  /* the scratch of the products this helper ran (blas.c's zero-skipping kernel: ~1.3 MB for MNIST's layer) goes with
   * it: each setParallel that replaced the helpers leaked it */
  if (varia_sparse_scratch_free_thread) varia_sparse_scratch_free_thread();
  return NULL;
}

static void stop_helpers(void) {
  atomic_store(&stopping, 1);
  atomic_fetch_add(&posted, 1);
  wake_all(&posted);
  for (int i = 0; i < helpers; i++) pthread_join(threads[i], NULL);
  helpers = 0;
  atomic_store(&stopping, 0);
}

/* The pool is the process's: one job at a time. A thread that finds it taken (another JS thread — a worker — posting
 * its own job, or a job's function calling in again) runs its range alone, which gives the same bits (blocks are
 * independent of the thread that runs them); setParallel waits for the job in flight. */
static pthread_mutex_t pool = PTHREAD_MUTEX_INITIALIZER;

static void defer_reset(void);

int varia_set_parallel(int n, void (*init)(void)) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  varia_parallel_join(); /* this thread's deferred job holds the pool (another thread's: the lock waits for its join) */
  defer_reset();
  pthread_mutex_lock(&pool);
  int status = 0;
  if (n - 1 != helpers || init != helper_init) {
    stop_helpers();
    helper_init = init;
    for (int i = 0; i < n - 1; i++) {
      if (pthread_create(&threads[i], NULL, helper_main, NULL) != 0) {
        status = -1;
        break;
      }
      helpers++;
    }
  }
  pthread_mutex_unlock(&pool);
  return status;
}

int varia_parallel(void) { return helpers + 1; }

double varia_parallel_start_delay(void) { return atomic_load(&delay_median); }

/* Publishes a job of `count` ≤ COUNT_MAX blocks starting at block `first` of the caller's range and wakes the helpers
 * (the caller holds the pool); returns its number. */
static unsigned publish(varia_range_fn f, void *ctx, int64_t total, int64_t block, int64_t first, int64_t count) {
  job.f = f;
  job.ctx = ctx;
  job.offset = first * block;
  job.total = total - job.offset < count * block ? total - job.offset : count * block;
  job.block = block;
  atomic_store(&done, 0);
  atomic_store(&first_claim, 0);
  /* The job's number is `posted` + 1 (this thread alone changes it): the claim word first, so that a helper that sees
   * the new number also sees the job (the stores publish the fields above). */
  const unsigned gen = atomic_load(&posted) + 1;
  atomic_store(&claim, WORD(gen & 0xffff, count, 0));
  atomic_store(&posted, gen);
  /* a helper counts itself in `sleepers` before it checks `posted` a last time and sleeps: when none is counted
   * here, every helper is still awake (busy with the last job's end) and will see the new job (no system call) */
  if (atomic_load(&sleepers) > 0) wake_all(&posted);
  return gen;
}

/* One job of `count` ≤ COUNT_MAX blocks starting at block `first` of the caller's range. */
static void run_job(varia_range_fn f, void *ctx, int64_t total, int64_t block, int64_t first, int64_t count) {
  const unsigned gen = publish(f, ctx, total, block, first, count);
  /* the delay counts from here: waking a sleeping helper takes the caller itself 15–45 µs on a virtual machine */
  const int64_t caller_start = now_ns();
  run_blocks(gen);
  const int64_t caller_done = now_ns();
  const double limit = now_us() + JOIN_SPIN_US;
  while (atomic_load(&done) < (unsigned)count && now_us() < limit) {
    for (int i = 0; i < 64; i++) cpu_relax();
    sched_yield(); /* a helper waiting for this core takes it */
  }
  for (unsigned d; (d = atomic_load(&done)) < (unsigned)count;) wait_while(&done, d);
  /* no helper claimed a block before the caller had claimed them all: the delay was at least that long */
  const int64_t claimed = atomic_load(&first_claim);
  const int64_t started = claimed > 0 ? claimed : caller_done;
  record_delay(started > caller_start ? (double)(started - caller_start) / 1e3 : 0, claimed == 0);
}

void varia_parallel_for(varia_range_fn f, void *ctx, int64_t total, int64_t block) {
  if (total <= 0) return;
  if (block < 1) block = 1;
  const int64_t count = (total + block - 1) / block;
  if (helpers > 0 && count > 1) varia_parallel_join(); /* one job at a time: this thread's deferred one first */
  if (helpers == 0 || count == 1 || pthread_mutex_trylock(&pool) != 0) {
    f(ctx, 0, total);
    return;
  }
  if (helpers == 0) { /* stopped between the look and the lock */
    pthread_mutex_unlock(&pool);
    f(ctx, 0, total);
    return;
  }
  for (int64_t first = 0; first < count; first += COUNT_MAX)
    run_job(f, ctx, total, block, first, count - first < COUNT_MAX ? count - first : COUNT_MAX);
  pthread_mutex_unlock(&pool);
}

void varia_parallel_elements(varia_range_fn f, void *ctx, int64_t n, int64_t min_block) {
  const int threads = helpers + 1;
  if (threads == 1 || n < 2 * min_block) {
    if (n > 0) f(ctx, 0, n);
    return;
  }
  int64_t block = (n + 2 * threads - 1) / (2 * threads);
  if (block < min_block) block = min_block;
  block = ((block + 15) / 16) * 16;
  varia_parallel_for(f, ctx, n, block);
}

/* Deferred jobs (varia_parallel_post). The poster keeps the pool locked until it joins, so no other thread posts a job
 * meanwhile (theirs find the pool taken and run alone); everything below is read and written by the posting thread
 * alone, `deferred` says whether this thread has a job pending. */
static _Thread_local int deferred = 0;
static unsigned deferred_gen = 0, deferred_count = 0;
static varia_region_t deferred_regions[VARIA_DEFERRED_REGIONS];
static int deferred_region_count = 0;

int varia_parallel_post(varia_range_fn f, void *ctx, int64_t total, int64_t block, const varia_region_t *regions,
                        int region_count) {
  varia_parallel_join();
  if (total <= 0) return 0;
  if (block < 1) block = 1;
  const int64_t count = (total + block - 1) / block;
  if (helpers == 0 || count == 1 || count > COUNT_MAX || region_count > VARIA_DEFERRED_REGIONS || on_helper ||
      pthread_mutex_trylock(&pool) != 0) {
    f(ctx, 0, total);
    return 0;
  }
  if (helpers == 0) { /* stopped between the look and the lock */
    pthread_mutex_unlock(&pool);
    f(ctx, 0, total);
    return 0;
  }
  for (int r = 0; r < region_count; r++) deferred_regions[r] = regions[r];
  deferred_region_count = region_count;
  deferred_count = (unsigned)count;
  deferred_gen = publish(f, ctx, total, block, 0, count);
  deferred = 1;
  return 1;
}

int varia_parallel_pending(void) { return deferred; }

#ifndef VARIA_DEFER_BACKOFF
#define VARIA_DEFER_BACKOFF 16
#endif
#define VARIA_DEFER_BACKOFF_MAX 512
/* calls left to run at once, how many the next backoff sets (doubled by each one in a row), and the jobs in a row that
 * no helper had started on by their join (one alone happens on a quiet machine too: ~4 % of the MNIST step's jobs) */
static _Thread_local int defer_backoff = 0, defer_backoff_next = VARIA_DEFER_BACKOFF, defer_misses = 0;

/* A new setting starts without a backoff. */
static void defer_reset(void) {
  defer_backoff = 0;
  defer_backoff_next = VARIA_DEFER_BACKOFF;
  defer_misses = 0;
}

int varia_parallel_defer_advised(void) {
  if (defer_backoff == 0) return 1;
  defer_backoff--;
  return 0;
}

void varia_parallel_join(void) {
  if (!deferred) return;
  deferred = 0;
  if (atomic_load(&first_claim) != 0) {
    defer_misses = 0;
    defer_backoff_next = VARIA_DEFER_BACKOFF;
  } else if (++defer_misses >= 2) { /* no helper has started on this job nor on the one before */
    defer_backoff = defer_backoff_next;
    if (defer_backoff_next < VARIA_DEFER_BACKOFF_MAX) defer_backoff_next *= 2;
  }
  run_blocks(deferred_gen); /* the blocks no helper has claimed yet */
  const double limit = now_us() + JOIN_SPIN_US;
  while (atomic_load(&done) < deferred_count && now_us() < limit) {
    for (int i = 0; i < 64; i++) cpu_relax();
    sched_yield();
  }
  for (unsigned d; (d = atomic_load(&done)) < deferred_count;) wait_while(&done, d);
  deferred_region_count = 0;
  pthread_mutex_unlock(&pool);
}

static int regions_meet(const varia_region_t *a, const varia_region_t *b) {
  const uintptr_t a0 = (uintptr_t)a->start, b0 = (uintptr_t)b->start;
  return a->bytes > 0 && b->bytes > 0 && (a->written || b->written) && a0 < b0 + b->bytes && b0 < a0 + a->bytes;
}

void varia_parallel_join_conflicts(const varia_region_t *regions, int count) {
  if (!deferred) return;
  for (int r = 0; r < count; r++)
    for (int k = 0; k < deferred_region_count; k++)
      if (regions_meet(&regions[r], &deferred_regions[k])) {
        varia_parallel_join();
        return;
      }
}
