/* See parallel.h. A mutex and two condition variables; helpers sleep between jobs (no spinning on a shared machine). */
#define _POSIX_C_SOURCE 200809L
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_THREADS 8

typedef struct {
  varia_range_fn f;
  void *ctx;
  int64_t total, block, count;
  atomic_llong next;
  atomic_llong finished;
} job_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;  /* a new job, or stop */
static pthread_cond_t quiet = PTHREAD_COND_INITIALIZER; /* a block finished, or a helper left the job */
static job_t job;
static job_t *current = NULL; /* &job while a job runs, under mu */
static unsigned long generation = 0;
static int busy = 0; /* helpers inside the current job, under mu */
static int stopping = 0;
static int helpers = 0;
static pthread_t threads[MAX_THREADS];
static void (*helper_init)(void) = NULL;

static void run_blocks(job_t *j) {
  for (;;) {
    const long long i = atomic_fetch_add(&j->next, 1);
    if (i >= j->count) return;
    const int64_t start = (int64_t)i * j->block;
    const int64_t end = start + j->block < j->total ? start + j->block : j->total;
    j->f(j->ctx, start, end);
    if (atomic_fetch_add(&j->finished, 1) + 1 == j->count) {
      pthread_mutex_lock(&mu);
      pthread_cond_broadcast(&quiet);
      pthread_mutex_unlock(&mu);
    }
  }
}

static void *helper_main(void *arg) {
  (void)arg;
  if (helper_init) helper_init();
  unsigned long seen = 0;
  pthread_mutex_lock(&mu);
  seen = generation;
  for (;;) {
    while (!stopping && generation == seen) pthread_cond_wait(&wake, &mu);
    if (stopping) break;
    seen = generation;
    job_t *j = current;
    if (!j) continue; /* woke after that job was over */
    busy++;
    pthread_mutex_unlock(&mu);
    run_blocks(j);
    pthread_mutex_lock(&mu);
    busy--;
    pthread_cond_broadcast(&quiet);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void stop_helpers(void) {
  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < helpers; i++) pthread_join(threads[i], NULL);
  helpers = 0;
  stopping = 0;
}

int varia_set_parallel(int n, void (*init)(void)) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  if (n - 1 == helpers && init == helper_init) return 0;
  stop_helpers();
  helper_init = init;
  for (int i = 0; i < n - 1; i++) {
    if (pthread_create(&threads[i], NULL, helper_main, NULL) != 0) return -1;
    helpers++;
  }
  return 0;
}

int varia_parallel(void) { return helpers + 1; }

void varia_parallel_for(varia_range_fn f, void *ctx, int64_t total, int64_t block) {
  if (total <= 0) return;
  if (block < 1) block = 1;
  const int64_t count = (total + block - 1) / block;
  if (helpers == 0 || count == 1) {
    f(ctx, 0, total);
    return;
  }
  pthread_mutex_lock(&mu);
  job.f = f;
  job.ctx = ctx;
  job.total = total;
  job.block = block;
  job.count = count;
  atomic_store(&job.next, 0);
  atomic_store(&job.finished, 0);
  current = &job;
  generation++;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  run_blocks(&job);
  pthread_mutex_lock(&mu);
  /* every block done, and no helper still inside the job (job is reused by the next call) */
  while (atomic_load(&job.finished) < count || busy > 0) pthread_cond_wait(&quiet, &mu);
  current = NULL;
  pthread_mutex_unlock(&mu);
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
