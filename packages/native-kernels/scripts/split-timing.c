/*
 * The MNIST step's largest product shape (128×784 · 784×400, NN) on one thread against the same product split by
 * gemm_split.c's plan over parallel.c's pool (the calling thread and one helper that sleeps between jobs, as in the
 * addon), with W last written whole by the calling thread or half by each thread (as after a shared Adam step).
 * Interleaved rounds, a 1 MiB memset between products (the helper goes back to sleep); checks the split's bits.
 *
 *   N=packages/native-kernels/native
 *   gcc -O2 -std=gnu11 -I$N $N/../scripts/split-timing.c $N/parallel.c $N/gemm_split.c -ldl -lpthread -o /tmp/split-timing
 *   OMP_NUM_THREADS=1 /tmp/split-timing [rounds = 60]
 *
 * Measured 2026-12-02, AMD EPYC Zen 5 2-vCPU machine, 2 runs while the other CPU was free (load ~1.6): whole 365 /
 * 426 µs (p50), split 281 / 282 µs (1.30× / 1.51×); W written half by the helper: the same (366 / 434 whole, 267 / 270
 * split); the helper's start delay (parallel.c's median) 40–63 µs. With the other CPU busy (load 1.8–3.9) the split's
 * p50 was no better than whole (428–436 µs against 427–436) and its p90 up to 3.6 ms. Under `chrt -f 50` (load 2.1):
 * whole 434, split 275 µs (1.58×), W half by each 441 / 268; start delay 29 µs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm_split.h"
#include "parallel.h"

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);
static sgemm_fn sgemm;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static int by_value(const void *x, const void *y) {
  const double d = *(const double *)x - *(const double *)y;
  return d < 0 ? -1 : d > 0;
}

enum { M = 128, K = 784, N = 400 };
static float *x, *w, *c_whole, *c_split;
static varia_gemm_split_t plan;

/* block b of the plan (columns of C and of W, or rows of C and x) */
static void product_blocks(void *ctx, int64_t first, int64_t last) {
  (void)ctx;
  for (int64_t b = first; b < last; b++) {
    const int64_t s = plan.bound[b], n = plan.bound[b + 1] - s;
    if (plan.axis) sgemm('N', 'N', M, n, K, 1.f, x, K, w + s, N, 0.f, c_split + s, N);
    else sgemm('N', 'N', n, N, K, 1.f, x + s * K, K, w, N, 0.f, c_split + s * N, N);
  }
}
/* a tiny change to W[first, last): the thread that runs it last wrote those lines */
static void touch(void *ctx, int64_t first, int64_t last) {
  (void)ctx;
  for (int64_t i = first; i < last; i++) w[i] += 1e-30f;
}

int main(int argc, char **argv) {
  void *dnnl = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!dnnl || !(sgemm = (sgemm_fn)dlsym(dnnl, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 2;
  }
  const int rounds = argc > 1 ? atoi(argv[1]) : 60;
  if (rounds < 10 || rounds > 10000) return 1;
  x = aligned_alloc(64, sizeof(float) * M * K);
  w = aligned_alloc(64, sizeof(float) * K * N);
  c_whole = aligned_alloc(64, sizeof(float) * M * N);
  c_split = aligned_alloc(64, sizeof(float) * M * N);
  char *other = aligned_alloc(64, 1 << 20);
  for (int64_t i = 0; i < M * K; i++) x[i] = (float)((i * 7919) % 1000) / 1000;
  for (int64_t i = 0; i < K * N; i++) w[i] = (float)((i * 104729) % 1000) / 1000 - .5f;
  if (varia_set_parallel(2, NULL) != 0) return 1;
  const varia_gemm_shape_t shape = {.ta = 0, .tb = 0, .M = M, .N = N, .K = K, .lda = K, .ldb = N, .ldc = N};
  const int blocks = varia_gemm_plan_two(&shape, 0, &plan);
  if (blocks == 0) return 1;
  printf("plan: axis %d, bounds", plan.axis);
  for (int b = 0; b <= blocks; b++) printf(" %lld", (long long)plan.bound[b]);
  printf("\n");
  const char *names[4] = {"whole, W written by the caller", "whole, W written half by each",
                          "split, W written by the caller", "split, W written half by each"};
  double *times = malloc(sizeof(double) * 4 * (size_t)rounds);
  int differ = 0;
  for (int r = 0; r < rounds; r++) {
    for (int mode = 0; mode < 4; mode++) {
      if (mode & 1) varia_parallel_for(touch, NULL, K * N, K * N / 2);
      else touch(NULL, 0, K * N);
      memset(other, r, 1 << 20);
      const double t0 = now_us();
      if (mode < 2) sgemm('N', 'N', M, N, K, 1.f, x, K, w, N, 0.f, c_whole, N);
      else varia_parallel_for(product_blocks, NULL, blocks, 1);
      times[mode * rounds + r] = now_us() - t0;
      if (mode == 3 && memcmp(c_whole, c_split, sizeof(float) * M * N) != 0) differ = 1;
    }
  }
  for (int mode = 0; mode < 4; mode++) {
    double *t = times + mode * rounds;
    qsort(t, (size_t)rounds, sizeof(double), by_value);
    printf("%-32s p10 %4.0f  p50 %4.0f  p90 %4.0f µs\n", names[mode], t[rounds / 10], t[rounds / 2], t[9 * rounds / 10]);
  }
  printf("helper start delay (median of the last jobs): %.1f µs\n%s\n", varia_parallel_start_delay(),
         differ ? "BITS DIFFER" : "same bits");
  return differ;
}
