/*
 * Hand-run A/B timing of two builds of native/zero_skip.c in one process, alternating call by call on the same
 * operands (the same pages: separate processes differ by several per cent in where their pages fall in the caches,
 * more than most changes to a kernel), with the first call's C compared bit for bit.
 *
 *   N=native; for v in a b; do   # e.g. the working tree and a -D setting, or a stashed and a changed zero_skip.c
 *     gcc -O3 -march=native -shared -fPIC -DAB_LIB -I$N -I/usr/include/node scripts/zero-skip-ab.c $N/zero_skip.c \
 *         $N/gemm_split.c -ldl -o /tmp/zero-skip-$v.so; done
 *   gcc -O3 -march=native -I$N -I/usr/include/node scripts/zero-skip-ab.c -ldl -lm -o /tmp/zero-skip-ab
 *   /tmp/zero-skip-ab /tmp/zero-skip-a.so /tmp/zero-skip-b.so [rounds = 21] [mnist.f32 = /tmp/s10/mnist.f32]
 *
 * (The builds by path: dlopen searches the library path for a bare file name, so give ./a.so, not a.so.) Each pair
 * runs A then B, B then A on odd pairs, so that an order effect does not land on one side. Each shape prints the
 * medians of A's and B's thread CPU time and the median of the per-pair ratios A/B (above 1: B is faster) with its
 * quartiles; a build against a copy of itself gives 0.99–1.00 (Zen 4, load 0.3–0.7). The shapes:
 * the MNIST encode's 10,000 × 784 → 400 (mnist.f32: 10,000 × 784 float32 pixels, raw, row-major; without it, rows
 * of the same density), the training step's 128-row first layer and its dW = xᵀ·δ (TN), and the counts encode's
 * 10,000 × 2,000 → 128 at 5 % non-zeros.
 */
#include <stdint.h>
#include <stdlib.h>

#include "zero_skip.h"

#ifdef AB_LIB
/* In each build: zero_skip.c's scratch (sparse_tiles.c's in the addon), its own, and the entry point ab_gemm. */
void *varia_sparse_scratch(int slot, size_t bytes) {
  static void *p[8];
  static size_t size[8];
  if (bytes > size[slot]) {
    free(p[slot]);
    p[slot] = NULL, size[slot] = 0;
    if (posix_memalign(&p[slot], 64, bytes) != 0) return NULL;
    size[slot] = bytes;
  }
  return p[slot];
}
int varia_sparse_avx512(void) { return 1; } /* this harness runs only where AVX-512 does */
__attribute__((visibility("default"))) int ab_gemm(const varia_gemm_shape_t *s, const float *a, const float *b,
                                                   float beta, float *c, double max_density);
int ab_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c, double max_density) {
  return varia_zero_skip_gemm(s, a, b, beta, c, max_density);
}
#else
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef int (*gemm_fn)(const varia_gemm_shape_t *, const float *, const float *, float, float *, double);

static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint32_t state = 12345;
static float uniform(void) {
  state = state * 1664525u + 1013904223u;
  return (float)(state >> 8) / 16777216.f;
}

static int by_value(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

#define MAX_ROUNDS 1000

/* Allocates or exits (status 2). */
static void *allocate(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

/* C = bias (every row) + op(A)·B by `f`, timed (thread CPU ms); sets *declined when it declined the product. */
static double timed(gemm_fn f, const varia_gemm_shape_t *s, const float *a, const float *b, const float *bias, float *c,
                    int *declined) {
  for (int64_t i = 0; i < s->M; i++) memcpy(c + i * s->N, bias, (size_t)s->N * 4);
  const double t0 = cpu_ms();
  *declined |= f(s, a, b, 1.f, c, 1.0) != 0;
  return cpu_ms() - t0;
}

/* C by A and by B, `rounds` pairs (A first on even pairs, B first on odd ones); returns 1 when the first pair's C
 * differ. */
static int compare(const char *label, gemm_fn fa, gemm_fn fb, const varia_gemm_shape_t *s, const float *a,
                   const float *b, const float *bias, int rounds) {
  static double ta[MAX_ROUNDS], tb[MAX_ROUNDS], ratio[MAX_ROUNDS];
  const size_t cells = (size_t)(s->M * s->N);
  float *c = allocate(cells * 4), *first = allocate(cells * 4);
  int differ = 0, declined = 0;
  for (int r = 0; r < rounds; r++) {
    if (r % 2 == 0) {
      ta[r] = timed(fa, s, a, b, bias, c, &declined);
      if (r == 0) memcpy(first, c, cells * 4);
      tb[r] = timed(fb, s, a, b, bias, c, &declined);
      if (r == 0) differ = memcmp(first, c, cells * 4) != 0;
    } else {
      tb[r] = timed(fb, s, a, b, bias, c, &declined);
      ta[r] = timed(fa, s, a, b, bias, c, &declined);
    }
    ratio[r] = ta[r] / tb[r];
  }
  qsort(ta, (size_t)rounds, sizeof *ta, by_value);
  qsort(tb, (size_t)rounds, sizeof *tb, by_value);
  qsort(ratio, (size_t)rounds, sizeof *ratio, by_value);
  printf("  %-34s A %8.3f ms  B %8.3f ms  A/B %.3f (quartiles %.3f–%.3f)%s%s\n", label, ta[rounds / 2], tb[rounds / 2],
         ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4], differ ? "  C DIFFERS" : "",
         declined ? "  (declined: timed nothing)" : "");
  free(c);
  free(first);
  return differ;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s a.so b.so [rounds = 21] [mnist.f32]\n", argv[0]);
    return 2;
  }
  gemm_fn f[2];
  for (int v = 0; v < 2; v++) {
    void *lib = dlopen(argv[1 + v], RTLD_NOW | RTLD_LOCAL);
    if (!lib || !(f[v] = (gemm_fn)dlsym(lib, "ab_gemm"))) {
      fprintf(stderr, "%s: %s\n", argv[1 + v], dlerror());
      return 2;
    }
  }
  const int rounds = argc > 3 ? atoi(argv[3]) : 21;
  if (rounds < 1 || rounds > MAX_ROUNDS / 5) {
    fprintf(stderr, "rounds: 1 … %d\n", MAX_ROUNDS / 5);
    return 2;
  }
  const char *path = argc > 4 ? argv[4] : "/tmp/s10/mnist.f32";
  const int64_t rows = 10000;
  float *x = allocate((size_t)(rows * 784) * 4), *w = allocate(784 * 400 * 4), *bias = allocate(2000 * 4);
  FILE *file = fopen(path, "rb");
  if (!file || fread(x, 4, (size_t)(rows * 784), file) != (size_t)(rows * 784)) {
    printf("(no %s: random rows of MNIST's density)\n", path);
    for (int64_t i = 0; i < rows * 784; i++) x[i] = uniform() < 0.19f ? (float)(1 + (int)(uniform() * 255)) / 255.f : 0.f;
  }
  if (file) fclose(file);
  for (int64_t i = 0; i < 784 * 400; i++) w[i] = (uniform() * 2 - 1) * 0.0617f;
  for (int j = 0; j < 2000; j++) bias[j] = 0.1f * (uniform() - 0.5f);
  int differ = 0;
  printf("A: %s, B: %s (one thread, thread CPU time, medians of %d pairs, 5× for the step's shapes)\n", argv[1], argv[2],
         rounds);
  const varia_gemm_shape_t encode = {.M = rows, .N = 400, .K = 784, .lda = 784, .ldb = 400, .ldc = 400};
  differ |= compare("MNIST encode 10000 x 784 -> 400", f[0], f[1], &encode, x, w, bias, rounds);
  const varia_gemm_shape_t step = {.M = 128, .N = 400, .K = 784, .lda = 784, .ldb = 400, .ldc = 400};
  differ |= compare("step first layer, 128 rows", f[0], f[1], &step, x + 784 * 512, w, bias, rounds * 5);
  float *delta = allocate(128 * 400 * 4);
  for (int i = 0; i < 128 * 400; i++) delta[i] = uniform() - 0.5f;
  const varia_gemm_shape_t dw = {.ta = 1, .M = 784, .N = 400, .K = 128, .lda = 784, .ldb = 400, .ldc = 400};
  differ |= compare("step dW = xT.delta (TN)", f[0], f[1], &dw, x, delta, bias, rounds * 5);
  float *counts = allocate((size_t)(rows * 2000) * 4), *wc = allocate(2000 * 128 * 4);
  for (int64_t i = 0; i < rows * 2000; i++)
    counts[i] = uniform() < 0.05f ? log1pf((float)(1 + (int)(uniform() * 20))) : 0.f;
  for (int i = 0; i < 2000 * 128; i++) wc[i] = (uniform() * 2 - 1) * 0.05f;
  const varia_gemm_shape_t cenc = {.M = rows, .N = 128, .K = 2000, .lda = 2000, .ldb = 128, .ldc = 128};
  differ |= compare("counts encode 10000 x 2000 -> 128", f[0], f[1], &cenc, counts, wc, bias, rounds);
  free(x), free(w), free(bias), free(delta), free(counts), free(wc);
  return differ;
}
#endif
