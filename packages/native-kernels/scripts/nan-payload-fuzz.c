/*
 * Hand-run fuzz of native/gemm512.c and native/narrow.c against oneDNN's dnnl_sgemm, bit for bit with NaN payloads
 * and signs included: NaNs of random payload and sign (quiet and signalling) in A, B and C (beta 0 and 1), ±∞, huge
 * values whose sums overflow (∞ − ∞: the default NaN), ±0; and NaNs of A and B placed at one k (a column of op(A), a row
 * of B) so that they meet in one FMA, or in two K blocks of one row so that two blocks' NaN sums meet in an add.
 * Shapes: gemm512 NN and TN, M 2 … 40 and 250 … 300 (rows past the 256-row blocks where the chain is carried), N across
 * the 8 × 48 tile (2 … 160), K across the 200-step sub-blocks and oneDNN's block ends (384, 768 and every 384 after
 * with the copy driver); narrow N 2 … 32 (one or two groups of columns), M 2 … 70 and 500 … 1,200 (16 full rows of
 * op(A) = A transposed as the chains run, a panel for Aᵀ and a last block of fewer rows), K across the block ends and
 * the 4-step tails. Padded lda / ldb / ldc. A, B and C each end at a guard page (a read or write past them faults).
 *
 * Link it against the objects the addon is built from (binding.gyp's -O3 -fno-math-errno -fno-trapping-math: which
 * NaN an add or an FMA keeps is the operand order the compiler picked there, which another -O level may not pick):
 *
 *   O=native/build/Release/obj.target/varia_native
 *   gcc -O2 -g -march=native -Inative -I/usr/include/node scripts/nan-payload-fuzz.c $O/gemm512.o $O/narrow.o \
 *       $O/gemm_split.o -ldl -lm -o /tmp/nan-payload-fuzz
 *   OMP_NUM_THREADS=1 /tmp/nan-payload-fuzz gemm512|narrow [products = 5000] [seed = 1]
 *
 * Prints how many products were taken and the elements that differ, split into NaN against NaN (payload or sign)
 * and the rest (a NaN against a number, or two numbers); exit status 1 when any bit differs (or a declined product
 * wrote C), 2 without libdnnl.so.2.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gemm512.h"
#include "harness.h"
#include "narrow.h"

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);

static float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static int is_nan(uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }

/* a NaN of random payload and sign, quiet or signalling */
static float nan_any(void) {
  return bits_float(0x7f800000u | (uint32_t)(1 + below(0x7fffff)) | (uint32_t)(next() & 1) << 31);
}
static float ordinary(void) {
  const float v = (float)ldexp(1 + uniform(), (int)below(13) - 10);
  return next() & 1 ? -v : v;
}
/* an element: a NaN with probability p_nan, else ±∞, a huge value or ±0 with probability p_special, else ordinary */
static float element(double p_nan, double p_special) {
  if (uniform() < p_nan) return nan_any();
  if (uniform() >= p_special) return ordinary();
  switch (below(7)) {
  case 0: return INFINITY;
  case 1: return -INFINITY;
  case 2: return 3e38f;
  case 3: return -3e38f;
  case 4: return -0.f;
  default: return 0.f;
  }
}

static const int64_t K_GEMM512[] = {1, 2, 3, 16, 199, 200, 201, 383, 384, 385, 399, 400, 401, 767, 768, 769, 784,
                                    1151, 1152, 1153, 1536, 1537};
static const int64_t K_NARROW[] = {1, 2, 3, 4, 5, 7, 8, 199, 200, 201, 383, 384, 385, 400, 767, 768, 769, 784, 1152,
                                   1153};

int main(int argc, char **argv) {
  const int narrow = argc > 1 && !strcmp(argv[1], "narrow");
  if (argc < 2 || (!narrow && strcmp(argv[1], "gemm512"))) {
    fprintf(stderr, "usage: %s gemm512|narrow [products] [seed]\n", argv[0]);
    return 3;
  }
  const long products = argc > 2 ? atol(argv[2]) : 5000;
  if (argc > 3) reseed((uint64_t)atoll(argv[3]));
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib) return 2;
  const sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm");
  long taken = 0, declined = 0, failed = 0, nan_nan = 0, other = 0, shown = 0, elements = 0, nan_elements = 0;
  for (long t = 0; t < products; t++) {
    const int ta = below(3) == 0;
    int64_t M, N, K;
    if (narrow) {
      M = below(3) == 0 ? 500 + below(700) : 2 + below(70);
      N = 2 + below(31);
      K = below(2) ? K_NARROW[below(sizeof K_NARROW / sizeof *K_NARROW)] : 1 + below(900);
    } else {
      M = below(6) == 0 ? 250 + below(51) : 2 + below(39);
      N = below(4) == 0 ? 2 + below(15) : 2 + below(159);
      K = below(2) ? K_GEMM512[below(sizeof K_GEMM512 / sizeof *K_GEMM512)] : 1 + below(1600);
    }
    const int64_t lda = (ta ? M : K) + (below(2) ? below(20) : 0), ldb = N + (below(2) ? below(20) : 0),
                  ldc = N + (below(3) == 0 ? below(6) : 0);
    const float beta = below(2) ? 1.f : 0.f;
    /* NaN probabilities: none, about one per row / column of K, a few per row, one in a hundred */
    const double rates[] = {0, 0.3 / (double)K, 2.0 / (double)K, 0.01};
    const double pa = rates[below(4)], pb = rates[below(4)], pc = below(3) == 0 ? 0 : rates[1 + below(3)];
    const double specials = below(2) ? 0 : 2.0 / (double)K; /* about two a chain */
    const int64_t a_len = ta ? (K - 1) * lda + M : (M - 1) * lda + K, b_len = (K - 1) * ldb + N,
                  c_len = (M - 1) * ldc + N;
    guard_t ma, mb, mc;
    float *a = guarded(&ma, (size_t)a_len * 4, 1, 0, 4);
    float *b = guarded(&mb, (size_t)b_len * 4, 1, 0, below(4) == 0 ? 64 : 4);
    float *c = guarded(&mc, (size_t)c_len * 4, 1, 0, 4);
    float *want = malloc((size_t)c_len * 4);
    for (int64_t i = 0; i < a_len; i++) a[i] = element(pa, specials);
    for (int64_t i = 0; i < b_len; i++) b[i] = element(pb, specials);
    for (int64_t i = 0; i < c_len; i++) c[i] = element(pc, specials);
#define A_AT(i, k) a[ta ? (k) * lda + (i) : (i) * lda + (k)]
    if (below(2)) /* NaNs of A and B at the same k: they meet in one FMA (the first NaN of those chains) */
      for (int r = 0, meets = 1 + (int)below(4); r < meets; r++) {
        const int64_t k = below(K);
        for (int64_t i = 0; i < M; i++)
          if (below(4) == 0) A_AT(i, k) = nan_any();
        for (int64_t j = 0; j < N; j++)
          if (below(4) == 0) b[k * ldb + j] = nan_any();
      }
    if (below(3) == 0 && K > 1) /* a row's NaNs in two K blocks (the sums of two blocks both NaN) */
      for (int64_t i = 0; i < M; i += 2 + below(4)) {
        A_AT(i, below(K / 2)) = nan_any();
        A_AT(i, K / 2 + below(K - K / 2)) = nan_any();
      }
#undef A_AT
    memcpy(want, c, (size_t)c_len * 4);
    const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
    const int status = narrow ? varia_narrow_gemm(&s, a, b, beta, c) : varia_gemm512(&s, a, b, beta, c);
    if (status == 0) {
      taken++;
      sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a, lda, b, ldb, beta, want, ldc);
      long d_nan = 0, d_other = 0;
      for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
          const uint32_t w = float_bits(want[i * ldc + j]), g = float_bits(c[i * ldc + j]);
          elements++;
          nan_elements += is_nan(w);
          if (w == g) continue;
          if (is_nan(w) && is_nan(g)) d_nan++;
          else d_other++;
          if (shown < 12) {
            shown++;
            printf("  product %ld %s M %ld N %ld K %ld beta %g: C[%ld][%ld] dnnl %08x kernel %08x\n", t,
                   ta ? "TN" : "NN", (long)M, (long)N, (long)K, beta, (long)i, (long)j, w, g);
          }
        }
      if (d_nan || d_other) {
        printf("product %ld: %s M %ld N %ld K %ld lda %ld ldb %ld ldc %ld beta %g NaN rates %.3g/%.3g/%.3g: %ld NaN "
               "payloads or signs differ, %ld others\n",
               t, ta ? "TN" : "NN", (long)M, (long)N, (long)K, (long)lda, (long)ldb, (long)ldc, beta, pa, pb, pc, d_nan,
               d_other);
        nan_nan += d_nan;
        other += d_other;
        failed++;
      }
    } else {
      declined++;
      if (memcmp(want, c, (size_t)c_len * 4)) {
        printf("product %ld: declined (%d) but C was written\n", t, status);
        failed++;
      }
    }
    free(want);
    guard_unmap(&ma), guard_unmap(&mb), guard_unmap(&mc);
  }
  printf("%s: %ld products, %ld taken, %ld declined; %ld elements compared (%ld NaN in dnnl's); differ: %ld NaN "
         "payloads or signs, %ld others; %ld products failed\n",
         narrow ? "narrow" : "gemm512", products, taken, declined, elements, nan_elements, nan_nan, other, failed);
  return failed ? 1 : 0;
}
