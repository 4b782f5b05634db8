/*
 * A hand-run check of parallel.c's deferred jobs (varia_parallel_post / varia_parallel_join) under ThreadSanitizer
 * (or AddressSanitizer): two threads standing for JS threads (the main one and a worker) each post 2,000 deferred jobs
 * over an array of their own with one helper, write other memory while the job is pending, join it explicitly,
 * through a pool job or through a region that meets the job's, and check every element once joined. The pool takes
 * one job at a time: the thread that finds it taken runs its job at once, alone, and must never join the other's.
 *
 *   N=packages/native-kernels/native
 *   gcc -O1 -g -fsanitize=thread -std=gnu11 -I$N $N/../scripts/post-join-check.c $N/parallel.c -lpthread -o pj && ./pj
 *
 * prints "ok" (2026-12-02: no ThreadSanitizer report, nor ASan/UBSan with -fsanitize=address,undefined; with the
 * join's wait for the helpers' blocks removed, ThreadSanitizer reports 8 races).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parallel.h"

#define N 4096
typedef struct { int *a; int round; } ctx_t;
static void fill(void *c, int64_t s, int64_t e) {
  ctx_t *x = c;
  for (int64_t i = s; i < e; i++) x->a[i] += x->round + (int)i;
}
static void bump(void *c, int64_t s, int64_t e) { int *a = c; for (int64_t i = s; i < e; i++) a[i]++; }

static int failures = 0;
static void *js_thread(void *arg) {
  const int id = (int)(intptr_t)arg;
  int *a = calloc(N, sizeof *a), *other = calloc(N, sizeof *other);
  long expect = 0;
  for (int round = 1; round <= 2000; round++) {
    ctx_t c = {a, round};
    varia_region_t r = {.start = a, .bytes = N * sizeof *a, .written = 1};
    varia_parallel_post(fill, &c, N, 256, &r, 1);
    /* memory the job does not touch: no join needed */
    varia_region_t o = {.start = other, .bytes = N * sizeof *other, .written = 1};
    varia_parallel_join_conflicts(&o, 1);
    for (int i = 0; i < N; i++) other[i]++;
    switch (round % 3) {
      case 0: varia_parallel_join(); break;
      case 1: varia_parallel_for(bump, other, N, 512); break; /* a pool job: joins first */
      case 2: varia_parallel_join_conflicts(&r, 1); break;    /* meets the job: joins */
    }
    if (varia_parallel_pending()) { fprintf(stderr, "thread %d round %d: still pending\n", id, round); failures++; }
    expect += round;
    for (int i = 0; i < N; i++)
      if (a[i] != (int)(expect + (long)i * round)) { fprintf(stderr, "thread %d round %d: a[%d] = %d\n", id, round, i, a[i]); failures++; break; }
  }
  free(a); free(other);
  return NULL;
}

int main(void) {
  /* a[i] after round k = Σ_{r ≤ k} (r + i) = k(k+1)/2 + i·k: checked as `expect + i·round` with expect = Σ r */
  if (varia_set_parallel(2, NULL) != 0) return 2;
  pthread_t t[2];
  for (int k = 0; k < 2; k++) pthread_create(&t[k], NULL, js_thread, (void *)(intptr_t)k);
  for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
  varia_set_parallel(1, NULL);
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures != 0;
}
