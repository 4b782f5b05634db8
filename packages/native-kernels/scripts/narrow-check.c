/*
 * Hand-run check of native/narrow.c against oneDNN's dnnl_sgemm: bits on K across oneDNN's block ends, N = 2 … 32,
 * M = 2, 17, 128, 10,000, NN and TN, beta 0 and 1, ±0, NaN and ±∞, and operands against guard pages (a read past
 * either end faults); then both timed, interleaved, on the heads' shapes.
 *
 *   gcc -O3 -march=native -Inative -I/usr/include/node scripts/narrow-check.c native/narrow.c native/gemm512.c native/gemm_split.c \
 *       -ldl -lm -o /tmp/narrow-check
 *   OMP_NUM_THREADS=1 /tmp/narrow-check [rounds = 15] [time: timing only | sweep: timing of N 2 … 32, M 512 … 10,000]
 *
 * Exit status 1 when any bit differs, 2 without libdnnl.so.2.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "narrow.h"

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);
static sgemm_fn sgemm;

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static double uniform(void) { return (double)(next() >> 11) / 9007199254740992.0; }
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
static long shapes = 0;

/* op(A) [M, K] (given as A = op(A)ᵀ when ta), B [K, N] with ldb ≥ N, C with ldc ≥ N filled with `fill` (beta 1) */
static void compare(int ta, int64_t M, int64_t N, int64_t K, float beta, int specials) {
  const int64_t lda = (ta ? M : K) + (next() % 3 == 0 ? 5 : 0), ldb = N + (next() % 3 == 0 ? 3 : 0),
                ldc = N + (next() % 3 == 0 ? 7 : 0);
  const int64_t arows = ta ? K : M;
  float *a = malloc((size_t)(arows * lda) * 4), *b = malloc((size_t)(K * ldb) * 4);
  float *want = malloc((size_t)(M * ldc) * 4), *got = malloc((size_t)(M * ldc) * 4);
  for (int64_t i = 0; i < arows * lda; i++) a[i] = uniform() < 0.3 ? (next() & 1 ? 0.f : -0.f) : wide();
  for (int64_t i = 0; i < K * ldb; i++) b[i] = wide();
  for (int64_t i = 0; i < M * ldc; i++) want[i] = got[i] = beta == 1.f ? (uniform() < 0.2 ? -0.f : wide()) : NAN;
  if (specials) {
    const float sp[] = {NAN, INFINITY, -INFINITY, -0.f, 0.f, 1e-38f, 3e-39f};
    for (int q = 0; q < 12; q++) a[next() % (arows * lda)] = sp[next() % 7];
    for (int q = 0; q < 6; q++) b[next() % (K * ldb)] = sp[next() % 7];
    if (beta == 1.f)
      for (int q = 0; q < 6; q++) want[next() % (M * ldc)] = sp[next() % 7];
    memcpy(got, want, (size_t)(M * ldc) * 4);
  }
  sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, lda, b, ldb, beta, want, ldc);
  const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
  const int taken = varia_narrow_gemm(&s, a, b, beta, got);
  long differ = 0;
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < ldc; j++) {
      const float w = want[i * ldc + j], g = got[i * ldc + j];
      differ += memcmp(&w, &g, 4) != 0 && !(isnan(w) && isnan(g));
    }
  shapes++;
  if (taken != 0 || differ) {
    failures++;
    printf("  %s M %5ld N %2ld K %4ld beta %g specials %d: %s, %ld differ\n", ta ? "TN" : "NN", (long)M, (long)N, (long)K,
           beta, specials, taken == 0 ? "taken" : "declined", differ);
  }
  free(a), free(b), free(want), free(got);
}

/* `floats` floats that end where an inaccessible page begins (and start right after one): a read past either end faults */
static float *guarded(int64_t floats, int at_end) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = (size_t)floats * 4, span = (bytes + page - 1) / page * page;
  char *base = mmap(NULL, span + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) abort();
  mprotect(base, page, PROT_NONE);
  mprotect(base + page + span, page, PROT_NONE);
  return (float *)(at_end ? base + page + span - bytes : base + page);
}

/* op(A), B and C against guard pages on both sides (tails of rows and K not multiples of 16 or 4): the same bits */
static void guard_pages(void) {
  const int64_t dims[][3] = {{517, 20, 401}, {530, 7, 3}, {33, 23, 385}, {600, 2, 1}, {515, 18, 769}, {19, 32, 130}};
  for (size_t q = 0; q < sizeof dims / sizeof *dims; q++)
    for (int ta = 0; ta < 2; ta++)
      for (int end = 0; end < 2; end++) {
        const int64_t M = dims[q][0], N = dims[q][1], K = dims[q][2];
        float *a = guarded(M * K, end), *b = guarded(K * N, end), *got = guarded(M * N, end);
        float *want = malloc((size_t)(M * N) * 4);
        for (int64_t i = 0; i < M * K; i++) a[i] = wide();
        for (int64_t i = 0; i < K * N; i++) b[i] = wide();
        for (int64_t i = 0; i < M * N; i++) want[i] = got[i] = wide();
        sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, ta ? M : K, b, N, 1.f, want, N);
        const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = ta ? M : K, .ldb = N, .ldc = N};
        const int taken = varia_narrow_gemm(&s, a, b, 1.f, got);
        shapes++;
        if (taken != 0 || memcmp(want, got, (size_t)(M * N) * 4)) {
          failures++;
          printf("  guard pages %s M %ld N %ld K %ld: %s\n", ta ? "TN" : "NN", (long)M, (long)N, (long)K,
                 taken ? "declined" : "differ");
        }
        free(want);
      }
}

static int cmp_double(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* medians of interleaved rounds, dnnl then narrow, C bias-filled (beta 1), A cold-ish (a fresh copy each round) */
static void timing(int ta, const char *label, int64_t M, int64_t N, int64_t K, int rounds) {
  float *a = malloc((size_t)(M * K) * 4), *b = malloc((size_t)(K * N) * 4), *c = malloc((size_t)(M * N) * 4);
  float *bias = malloc((size_t)N * 4);
  for (int64_t i = 0; i < M * K; i++) a[i] = uniform() < 0.5 ? 0.f : (float)uniform();
  for (int64_t i = 0; i < K * N; i++) b[i] = (float)uniform() - 0.5f;
  for (int64_t j = 0; j < N; j++) bias[j] = (float)uniform();
  double t_old[256], t_new[256], ratio[256];
  const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = ta ? M : K, .ldb = N, .ldc = N};
  for (int r = 0; r < rounds; r++) {
    for (int64_t i = 0; i < M; i++) memcpy(c + i * N, bias, (size_t)N * 4);
    double t0 = now_ms();
    sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, ta ? M : K, b, N, 1.f, c, N);
    t_old[r] = now_ms() - t0;
    for (int64_t i = 0; i < M; i++) memcpy(c + i * N, bias, (size_t)N * 4);
    t0 = now_ms();
    if (varia_narrow_gemm(&s, a, b, 1.f, c) != 0) printf("declined!\n");
    t_new[r] = now_ms() - t0;
    ratio[r] = t_old[r] / t_new[r];
  }
  qsort(t_old, (size_t)rounds, 8, cmp_double);
  qsort(t_new, (size_t)rounds, 8, cmp_double);
  qsort(ratio, (size_t)rounds, 8, cmp_double);
  const double o = t_old[rounds / 2], n = t_new[rounds / 2], flop = 2.0 * (double)(M * N * K) / 1e6;
  printf("  %s %-22s %5ld×%2ld·K %4ld: dnnl %7.3f ms (%5.1f GFLOP/s), narrow %7.3f ms (%5.1f): median of pair ratios "
         "%.2f× (%d rounds)\n",
         ta ? "TN" : "NN", label, (long)M, (long)N, (long)K, o, flop / o, n, flop / n, ratio[rounds / 2], rounds);
  free(a), free(b), free(c), free(bias);
}

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 15;
  const int time_only = argc > 2 && (!strcmp(argv[2], "time") || !strcmp(argv[2], "sweep"));
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 2;
  }
  if (!time_only) {
    const int64_t ks[] = {1, 2, 15, 16, 17, 199, 200, 201, 383, 384, 385, 400, 767, 768, 769, 784, 1000, 1152, 1200, 2000};
    const int64_t ms[] = {2, 17, 128};
    for (int ta = 0; ta < 2; ta++)
      for (size_t q = 0; q < sizeof ks / sizeof *ks; q++)
        for (size_t p = 0; p < sizeof ms / sizeof *ms; p++)
          for (int64_t n = 2; n <= VARIA_NARROW_MAX_N; n++)
            for (int beta = 0; beta < 2; beta++) compare(ta, ms[p], n, ks[q], (float)beta, (n + beta) % 5 == 0);
    for (int64_t n = 2; n <= VARIA_NARROW_MAX_N; n += 3) {
      compare(0, 10000, n, 400, 1.f, n % 2);
      compare(1, 600, n, 10000, 0.f, 0);
    }
    compare(0, 10000, 20, 400, 1.f, 0);
    compare(0, 10000, 10, 128, 1.f, 1);
    compare(0, 10000, 40 / 2, 128, 0.f, 0);
    guard_pages();
    printf("bits: %ld shapes, %d with a difference or declined\n", shapes, failures);
  }
  if (argc > 2 && !strcmp(argv[2], "sweep")) {
    const int64_t sweep_m[] = {10000, 2048, 512};
    for (size_t q = 0; q < 3; q++)
      for (int64_t n = 2; n <= VARIA_NARROW_MAX_N; n += n < 8 ? 2 : 4) {
        timing(0, "sweep K 400", sweep_m[q], n, 400, rounds);
        timing(0, "sweep K 128", sweep_m[q], n, 128, rounds);
      }
    return 0;
  }
  timing(0, "MNIST μ head", 10000, 20, 400, rounds);
  timing(0, "MNIST μ head, in L2", 1024, 20, 400, rounds);
  timing(0, "MNIST μ head, N 16", 10000, 16, 400, rounds);
  timing(0, "MNIST μ head, N 8", 10000, 8, 400, rounds);
  timing(0, "counts μ head", 10000, 10, 128, rounds);
  timing(0, "step heads", 128, 32, 400, rounds);
  timing(0, "counts step heads", 128, 20, 128, rounds);
  timing(1, "dW of the μ head", 400, 20, 128, rounds);
  timing(1, "MNIST μ head from hᵀ", 10000, 20, 400, rounds);
  return failures ? 1 : 0;
}
