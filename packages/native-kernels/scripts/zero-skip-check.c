/*
 * Hand-run check of native/zero_skip.c against oneDNN's dnnl_sgemm: bits on many shapes and data kinds, and the time
 * of both, interleaved, on the shapes that matter (MNIST encode, the training step's first layer, counts, relu-like).
 *
 *   gcc -O3 -march=native -Inative -I/usr/include/node scripts/zero-skip-check.c native/zero_skip.c \
 *       native/gemm_split.c -ldl -lm -o /tmp/zero-skip-check
 *   OMP_NUM_THREADS=1 /tmp/zero-skip-check [mnist.f32 = /tmp/s10/mnist.f32] [rounds = 7] [time: timing only]
 *
 * (mnist.f32: 10,000 × 784 float32, raw; without it the MNIST rows are replaced by random ones of the same density.)
 * Exit status 1 when any bit differs, 2 without libdnnl.so.2.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zero_skip.h"

/* zero_skip.c's scratch comes from sparse_tiles.c in the addon; here from plain grow-only buffers */
void *varia_sparse_scratch(int slot, size_t bytes);
void *varia_sparse_scratch(int slot, size_t bytes) {
  static void *p[8];
  static size_t size[8];
  if (bytes > size[slot]) {
    free(p[slot]);
    if (posix_memalign(&p[slot], 64, bytes) != 0) return NULL;
    size[slot] = bytes;
  }
  return p[slot];
}

/* zero_skip.c's facts scan asks sparse_tiles.c whether the CPU has AVX-512 (this harness runs only on one that does) */
int varia_sparse_avx512(void);
int varia_sparse_avx512(void) { return 1; }

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);
static sgemm_fn sgemm;

#include "harness.h" /* next(), uniform(): the seeded xorshift64 generator */
static float wide(void) {
  const float v = (float)ldexp(1 + uniform(), (int)(next() % 13) - 10);
  return next() & 1 ? -v : v;
}
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int failures = 0;

/* One product both ways (C pre-filled with `fill` when beta = 1); counts differing elements. */
static long compare_op(int ta, const char *label, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                       const float *b, int64_t ldb, float beta, const float *fill, int64_t ldc, int expect_taken) {
  float *want = malloc((size_t)(M * ldc) * 4), *got = malloc((size_t)(M * ldc) * 4);
  for (int64_t i = 0; i < M * ldc; i++) want[i] = got[i] = fill ? fill[i % ldc] : NAN;
  sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, lda, b, ldb, beta, want, ldc);
  const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
  const int taken = varia_zero_skip_gemm(&s, a, b, beta, got, 1.0);
  long differ = 0;
  if (taken == 0)
    for (int64_t i = 0; i < M * ldc; i++) differ += memcmp(&want[i], &got[i], 4) != 0;
  printf("  %s %-41s M %5ld N %4ld K %5ld beta %g: %s, %ld differ\n", ta ? "TN" : "NN", label, (long)M, (long)N, (long)K, beta,
         taken == 0 ? "taken" : "declined", differ);
  if (differ || (taken == 0) != expect_taken) failures++;
  free(want);
  free(got);
  return differ;
}

static long compare(const char *label, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                    int64_t ldb, float beta, const float *fill, int64_t ldc, int expect_taken) {
  return compare_op(0, label, M, N, K, a, lda, b, ldb, beta, fill, ldc, expect_taken);
}

/* random op(A) [M, K] with a fraction `density` non-zero, a third of its zeros −0, some all-zero rows */
static float *sparse_a(int64_t M, int64_t K, double density) {
  float *a = malloc((size_t)(M * K) * 4);
  for (int64_t i = 0; i < M * K; i++) a[i] = uniform() < density ? wide() : next() % 3 ? 0.f : -0.f;
  for (int64_t i = 0; i < M; i += 5) memset(a + i * K, 0, (size_t)K * 4);
  return a;
}
static float *random_b(int64_t K, int64_t N) {
  float *b = malloc((size_t)(K * N) * 4);
  for (int64_t i = 0; i < K * N; i++) b[i] = wide();
  return b;
}

/* medians of interleaved rounds, dnnl then zero-skip, on the same operands (wall time) */
static void timing_op(int ta, const char *label, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                      const float *b, const float *bias, int rounds) {
  float *c = malloc((size_t)(M * N) * 4);
  double t_old[64], t_new[64];
  const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = lda, .ldb = N, .ldc = N};
  long nnz = 0;
  for (int64_t i = 0; i < M; i++)
    for (int64_t k = 0; k < K; k++) nnz += a[ta ? k * lda + i : i * lda + k] != 0;
  for (int r = 0; r < rounds; r++) {
    for (int64_t i = 0; i < M; i++) memcpy(c + i * N, bias, (size_t)N * 4);
    double t0 = now_ms();
    sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, lda, b, N, 1.f, c, N);
    t_old[r] = now_ms() - t0;
    for (int64_t i = 0; i < M; i++) memcpy(c + i * N, bias, (size_t)N * 4);
    t0 = now_ms();
    if (varia_zero_skip_gemm(&s, a, b, 1.f, c, 1.0) != 0) printf("declined!\n");
    t_new[r] = now_ms() - t0;
  }
  /* sort for medians */
  for (int i = 0; i < rounds; i++)
    for (int j = i + 1; j < rounds; j++) {
      if (t_old[j] < t_old[i]) { double t = t_old[i]; t_old[i] = t_old[j]; t_old[j] = t; }
      if (t_new[j] < t_new[i]) { double t = t_new[i]; t_new[i] = t_new[j]; t_new[j] = t; }
    }
  const double o = t_old[rounds / 2], n = t_new[rounds / 2], useful = 2.0 * (double)nnz * (double)N / 1e6;
  printf("  %-34s %5ld×%4ld·K %4ld, %4.1f %% non-zero: dnnl %8.3f ms (%5.1f GFLOP/s useful, %5.1f dense), zero-skip "
         "%8.3f ms (%5.1f useful): %.2f×\n",
         label, (long)M, (long)N, (long)K, 100.0 * (double)nnz / (double)(M * K), o, useful / o,
         2.0 * (double)(M * N * K) / 1e6 / o, n, useful / n, o / n);
  free(c);
}
static void timing(const char *label, int64_t M, int64_t N, int64_t K, const float *a, const float *b, const float *bias,
                   int rounds) {
  timing_op(0, label, M, N, K, a, K, b, bias, rounds);
}

int main(int argc, char **argv) {
  const char *mnist_path = argc > 1 ? argv[1] : "/tmp/s10/mnist.f32";
  const int rounds = argc > 2 ? atoi(argv[2]) : 7;
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 2;
  }
  const int64_t rows = 10000;
  float *x = malloc((size_t)(rows * 784) * 4);
  FILE *f = fopen(mnist_path, "rb");
  if (!f || fread(x, 4, (size_t)(rows * 784), f) != (size_t)(rows * 784)) {
    printf("(no %s: random rows of MNIST's density)\n", mnist_path);
    for (int64_t i = 0; i < rows * 784; i++) x[i] = uniform() < 0.19 ? (float)(next() % 255 + 1) / 255.f : 0.f;
  }
  if (f) fclose(f);
  float *w400 = malloc(784 * 400 * 4), *bias = malloc(2000 * 4);
  for (int64_t i = 0; i < 784 * 400; i++) w400[i] = (float)((uniform() * 2 - 1) * 0.0617);
  for (int64_t j = 0; j < 2000; j++) bias[j] = j % 7 == 3 ? -0.f : j % 11 == 5 ? 0.f : 0.1f * wide();

  const int bits = !(argc > 3 && !strcmp(argv[3], "time"));
  if (bits) printf("bits:\n");
  if (bits) {
  compare("MNIST 10,000 rows (bias, beta 1)", rows, 400, 784, x, 784, w400, 400, 1.f, bias, 400, 1);
  compare("MNIST 128 rows, beta 0", 128, 400, 784, x, 784, w400, 400, 0.f, NULL, 400, 1);
  static const int64_t Ks[] = {1, 2, 16, 383, 384, 385, 767, 768, 769, 784, 1151, 1152, 1153, 2000, 2500};
  static const int64_t Ns[] = {2, 17, 128, 130, 400};
  static const int64_t Ms[] = {2, 3, 17, 128, 300};
  int q = 0;
  for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++)
    for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++, q++) {
      const int64_t K = Ks[ki], N = Ns[ni], M = Ms[q % 5];
      float *a = sparse_a(M, K, q % 3 == 0 ? 0.05 : q % 3 == 1 ? 0.3 : 0.6), *b = random_b(K, N);
      char label[64];
      snprintf(label, sizeof label, "random, %s", q % 2 ? "beta 1" : "beta 0");
      compare(label, M, N, K, a, K, b, N, q % 2 ? 1.f : 0.f, q % 2 ? bias : NULL, N, 1);
      free(a);
      free(b);
    }
  {
    /* padded leading dimensions */
    float *a = sparse_a(64, 900, 0.2), *b = random_b(800, 150);
    compare("padded lda 900, ldb 150, ldc 140", 64, 130, 800, a, 900, b, 150, 1.f, bias, 140, 1);
    free(a);
    free(b);
  }
  {
    /* non-finite B rows where A is zero; a NaN and ±∞ in A */
    float *a = sparse_a(40, 784, 0.2), *b = random_b(784, 400);
    b[7 * 400 + 3] = INFINITY;
    b[500 * 400 + 399] = NAN;
    b[600 * 400 + 0] = -INFINITY;
    a[3 * 784 + 10] = NAN;
    a[4 * 784 + 11] = INFINITY;
    for (int i = 0; i < 40; i++) a[i * 784 + 7] = 0.f, a[i * 784 + 500] = i % 2 ? 0.f : 1.f;
    /* a NaN in both A and B: declined (which of two NaNs an FMA keeps is its operands' order; zero_skip.h) */
    compare("NaN in A and in B", 40, 400, 784, a, 784, b, 400, 1.f, bias, 400, 0);
    b[500 * 400 + 399] = -INFINITY;
    compare("±∞ rows of B, NaN/inf in A", 40, 400, 784, a, 784, b, 400, 1.f, bias, 400, 1);
    /* tiny products (a 1e-20 and a weight 1e-25): those rows are summed densely */
    b[5 * 400 + 5] = 1e-25f;
    a[9 * 784 + 2] = -1e-20f;
    a[10 * 784 + 2] = 3e-38f;
    b[7 * 400 + 3] = 1.f;
    compare("tiny products", 40, 400, 784, a, 784, b, 400, 1.f, bias, 400, 1);
    /* products that underflow to −0 mid-chain: a row with only tiny negatives */
    memset(a + 11 * 784, 0, 784 * 4);
    a[11 * 784 + 5] = -1e-30f;
    a[11 * 784 + 300] = 2.f;
    for (int j = 0; j < 400; j++) b[5 * 400 + j] = 1e-20f;
    compare("underflow to -0", 40, 400, 784, a, 784, b, 400, 1.f, bias, 400, 1);
    free(a);
    free(b);
  }
  {
    /* counts-like: K 2000, N 128, 95 % zeros */
    float *a = malloc(1000 * 2000 * 4), *b = random_b(2000, 128);
    for (int64_t i = 0; i < 1000 * 2000; i++) a[i] = uniform() < 0.05 ? (float)log1p((double)(next() % 20 + 1)) : 0.f;
    compare("counts-like 1000 × 2000 → 128", 1000, 128, 2000, a, 2000, b, 128, 1.f, bias, 128, 1);
    free(a);
    free(b);
  }
  {
    /* TN: A [K, M] (op(A) = Aᵀ), the step's dW = xᵀ·δ on MNIST rows and its row blocks, then random shapes */
    float *d = random_b(128, 400);
    compare_op(1, "MNIST dW = xT·delta", 784, 400, 128, x, 784, d, 400, 0.f, NULL, 400, 1);
    compare_op(1, "MNIST dW row block", 64, 400, 128, x + 320, 784, d, 400, 0.f, NULL, 400, 1);
    compare_op(1, "MNIST dW rows 700-783", 84, 400, 128, x + 700, 784, d, 400, 1.f, bias, 400, 1);
    free(d);
    static const int64_t tk[] = {1, 7, 128, 383, 384, 385, 767, 768, 800, 1200};
    for (size_t q = 0; q < sizeof tk / sizeof *tk; q++) {
      const int64_t K = tk[q], M = 2 + (int64_t)(q * 37 % 200), N = 17 + (int64_t)(q * 29 % 300);
      float *a = sparse_a(K, M + 3, q % 2 ? 0.1 : 0.3), *b = random_b(K, N);
      compare_op(1, q % 2 ? "random, beta 1, lda M + 3" : "random, beta 0, lda M + 3", M, N, K, a, M + 3, b, N,
                 q % 2 ? 1.f : 0.f, q % 2 ? bias : NULL, N, 1);
      free(a);
      free(b);
    }
  }

  }
  printf("time (median of %d interleaved rounds, one thread):\n", rounds);
  timing("MNIST encode", rows, 400, 784, x, w400, bias, rounds);
  timing("MNIST step first layer", 128, 400, 784, x, w400, bias, rounds * 5);
  {
    float *d = random_b(128, 400);
    timing_op(1, "MNIST step dW = xT·delta (TN)", 784, 400, 128, x, 784, d, bias, rounds * 5);
    free(d);
  }
  {
    float *a = malloc(10000 * 2000 * 4), *b = random_b(2000, 128);
    for (int64_t i = 0; i < 10000 * 2000; i++) a[i] = uniform() < 0.05 ? (float)log1p((double)(next() % 20 + 1)) : 0.f;
    timing("counts encode", 10000, 128, 2000, a, b, bias, rounds);
    free(a);
    free(b);
  }
  static const double densities[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  for (size_t d = 0; d < sizeof densities / sizeof *densities; d++) {
    float *a = malloc(128 * 400 * 4), *b = random_b(400, 784);
    for (int64_t i = 0; i < 128 * 400; i++) a[i] = uniform() < densities[d] ? (float)uniform() : 0.f;
    char label[64];
    snprintf(label, sizeof label, "relu-like h·W₄ %.0f %%", 100 * densities[d]);
    timing(label, 128, 784, 400, a, b, bias, rounds * 5);
    free(a);
    free(b);
  }
  printf(failures ? "FAILED: %d\n" : "ok\n", failures);
  return failures ? 1 : 0;
}
