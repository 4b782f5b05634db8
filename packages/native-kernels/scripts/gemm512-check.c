/*
 * Checks native/gemm512.c against oneDNN itself, every output element bit for bit: the MNIST step's NN and TN
 * products, K around the block boundaries (383–385, 767–769, 1151–1153, 1535–1537), then random products (NN and TN,
 * beta 0 and 1, plain and padded leading dimensions, multiples of 256 and 1024 among them so that both of oneDNN's
 * drivers are taken above K = 768), a third of them with ±0, subnormals, ±inf, NaN, ±3e38 and an all-zero row among
 * the operands and in C. Two NaNs of different payloads count as equal (the payload of a NaN made from two is not
 * fixed by IEEE 754), and are counted apart.
 *
 *   gcc -O2 -Inative scripts/gemm512-check.c native/gemm512.c native/gemm_split.c -ldl -lpthread -o /tmp/gemm512-check
 *   OMP_NUM_THREADS=1 /tmp/gemm512-check [shapes=2000] [seed=1]
 *
 * Exit status 1 when any element differs, 2 without libdnnl.so.2 or an AVX-512F CPU.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm512.h"

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
static int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }
static float value(void) { return (float)((double)(next() >> 11) / 9007199254740992.0 * 2 - 1); }
static float special(void) {
  static const float v[] = {0.f, -0.f, 1e-40f, -3e-39f, INFINITY, -INFINITY, NAN, 3e38f, -3e38f};
  return next() % 3 ? value() : v[below(9)];
}

static float *a, *b, *c0, *want, *got;
static long compared, differing, nan_payload, elements, declined;

/* One product both ways; returns 1 when some element differs. */
static int check(int ta, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc, float beta, int odd) {
  const int64_t arows = ta ? K : M, acols = ta ? M : K;
  for (int64_t r = 0; r < arows; r++)
    for (int64_t q = 0; q < acols; q++) a[r * lda + q] = odd ? special() : value();
  for (int64_t r = 0; r < K; r++)
    for (int64_t q = 0; q < N; q++) b[r * ldb + q] = odd ? special() : value();
  if (odd && M > 2)
    for (int64_t k = 0; k < K; k++) a[ta ? k * lda + 1 : lda + k] = 0.f; /* op(A)'s row 1 all zero */
  for (int64_t i = 0; i < M * ldc; i++) c0[i] = odd ? special() : value();
  memcpy(want, c0, (size_t)(M * ldc) * 4);
  memcpy(got, c0, (size_t)(M * ldc) * 4);
  sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, lda, b, ldb, beta, want, ldc);
  const varia_gemm_shape_t s = {.ta = ta, .tb = 0, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
  const int status = varia_gemm512(&s, a, b, beta, got);
  if (status != 0) {
    /* declined (K below gemm512's minimum, or no memory): C must be untouched */
    declined++;
    if (memcmp(got, c0, (size_t)(M * ldc) * 4) == 0) return 0;
    printf("DECLINED BUT WROTE C: %cN %ldx%ldx%ld\n", ta ? 'T' : 'N', (long)M, (long)N, (long)K);
    differing++;
    return 1;
  }
  long bad = 0;
  for (int64_t i = 0; i < M * ldc; i++) {
    if (memcmp(&want[i], &got[i], 4) == 0) continue;
    if (isnan(want[i]) && isnan(got[i]) && i % ldc < N) nan_payload++;
    else bad++; /* includes a write past column N (C's padding must stay as it was) */
  }
  compared++;
  elements += M * N;
  if (bad) {
    differing++;
    printf("DIFF %cN %ldx%ldx%ld lda %ld ldb %ld ldc %ld beta %g special %d: %ld elements\n", ta ? 'T' : 'N', (long)M,
           (long)N, (long)K, (long)lda, (long)ldb, (long)ldc, beta, odd, bad);
  }
  return bad != 0;
}

int main(int argc, char **argv) {
  const int shapes = argc > 1 ? atoi(argv[1]) : 2000;
  state += argc > 2 ? (uint64_t)atoll(argv[2]) : 1;
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm")) || !__builtin_cpu_supports("avx512f")) {
    fprintf(stderr, "needs libdnnl.so.2 and an AVX-512F CPU\n");
    return 2;
  }
  const size_t cap = (size_t)1 << 23;
  a = malloc(cap * 4), b = malloc(cap * 4), c0 = malloc(cap * 4), want = malloc(cap * 4), got = malloc(cap * 4);
  /* the MNIST step's NN and TN products (784-400-20), then K across the block boundaries */
  static const int64_t step[][4] = {{0, 128, 400, 784}, {0, 128, 40, 400}, {0, 128, 400, 20}, {0, 128, 784, 400},
                                    {1, 400, 784, 128}, {1, 784, 400, 128}, {1, 20, 400, 128},  {1, 400, 40, 128},
                                    {1, 64, 400, 128},  {1, 112, 784, 128}};
  for (size_t q = 0; q < sizeof step / sizeof step[0]; q++)
    for (int beta = 0; beta < 2; beta++) {
      const int64_t ta = step[q][0], M = step[q][1], N = step[q][2], K = step[q][3];
      check((int)ta, M, N, K, ta ? M : K, N, N, (float)beta, 0);
    }
  static const int64_t edges[] = {1, 2, 127, 128, 129, 383, 384, 385, 767, 768, 769, 1151, 1152, 1153, 1535, 1536, 1537};
  for (size_t q = 0; q < sizeof edges / sizeof edges[0]; q++)
    for (int ta = 0; ta < 2; ta++) {
      const int64_t K = edges[q], M = 2 + below(200), N = 2 + below(600);
      check(ta, M, N, K, ta ? M : K, N, N, (float)below(2), 0);
      check(ta, 130, 256, K, ta ? 130 : K, 1024, 256, (float)below(2), 1); /* ldb % 1024 */
    }
  for (int t = 0; t < shapes; t++) {
    const int ta = (int)below(2);
    const int64_t M = 2 + below(t % 4 == 0 ? 1200 : 300), N = 2 + below(t % 5 == 0 ? 1100 : 500);
    const int64_t K = 1 + below(t % 3 == 0 ? 2000 : 900);
    int64_t lda = (ta ? M : K) + (below(3) == 0 ? below(40) : 0), ldb = N + (below(3) == 0 ? below(40) : 0),
            ldc = N + (below(3) == 0 ? below(40) : 0);
    if (below(8) == 0) lda = (lda + 255) / 256 * 256;
    if (below(8) == 0) ldb = (ldb + 1023) / 1024 * 1024;
    if (below(8) == 0) ldc = (ldc + 255) / 256 * 256;
    if ((ta ? K * lda : M * lda) > (int64_t)cap || K * ldb > (int64_t)cap || M * ldc > (int64_t)cap) continue;
    check(ta, M, N, K, lda, ldb, ldc, (float)below(2), below(3) == 0);
  }
  printf("%ld products (%ld elements) compared, %ld with differing bits, %ld NaN-payload-only differences, %ld left to "
         "oneDNN\n", compared, elements, differing, nan_payload, declined);
  return differing != 0;
}
