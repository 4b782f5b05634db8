/*
 * Hand-run fuzz of native/zero_skip.c against oneDNN's dnnl_sgemm, bit for bit, built with the sanitizers: random
 * shapes (K across oneDNN's block ends 384 / 768, M across the packing threshold), NN and TN, padded lda / ldb / ldc,
 * beta 0 and 1, sparsities from 0 to above the threshold, and data that tests the exactness claims (±0, NaN of any
 * payload and ±∞ in A and in rows of B, subnormal and tiny values whose products underflow, huge ones that overflow, C
 * with −0 / NaN / ±∞ for either beta).
 * Each of A, B and C lies at the end of its own mapping, its last byte against a PROT_NONE page, and the kernel's
 * scratch is exactly as long as it asks for (also against a guard page): a read or write past any region faults.
 *
 *   gcc -O1 -g -march=native -fsanitize=address,undefined -fno-sanitize-recover=undefined -Inative \
 *       -I/usr/include/node scripts/zero-skip-fuzz.c native/zero_skip.c native/gemm_split.c -ldl -lm \
 *       -o /tmp/zero-skip-fuzz
 *   OMP_NUM_THREADS=1 /tmp/zero-skip-fuzz [products = 20000] [seed = 1]
 *
 * Build it also with binding.gyp's flags (-O3 -fno-math-errno -fno-trapping-math, no sanitizers): which NaN an add or
 * FMA keeps depends on the operand order the compiler picks, and -O1 picked oneDNN's where -O3 did not.
 *
 * With -DNARROW (and native/narrow.c native/gemm512.c in place of native/zero_skip.c) it fuzzes narrow.c the same
 * way: C of 2 … 32 columns, up to 1,200 rows.
 *
 * A fixed case first: TN with k·lda past 2³¹ floats (declined: 32-bit gather offsets; the old code read before A).
 * Prints how many products were taken (and how many of those had tiny, subnormal or huge values) and differing elements; exit
 * status 1 when any bit differs (or a not-taken product wrote C), 2 without libdnnl.so.2.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#ifdef NARROW
#include "narrow.h"
#define KERNEL(s, a, b, beta, c) varia_narrow_gemm(s, a, b, beta, c)
#define N_OF_PRODUCT() (2 + below(31))
#define M_OF_PRODUCT() (below(4) == 0 ? 500 + below(700) : 2 + below(70))
#else
#include "zero_skip.h"
#define KERNEL(s, a, b, beta, c) varia_zero_skip_gemm(s, a, b, beta, c, 0.25)
#define N_OF_PRODUCT() (below(6) == 0 ? 2 + below(15) : 2 + below(300))
#define M_OF_PRODUCT() (below(8) == 0 ? 64 + below(140) : 2 + below(40))
#endif

/* zero_skip.c's scratch: each call a fresh region of exactly `bytes` (rounded up to the promised 64-byte alignment),
 * against a guard page */
static guard_t scratch_map[8];
void *varia_sparse_scratch(int slot, size_t bytes);
void *varia_sparse_scratch(int slot, size_t bytes) {
  guard_unmap(&scratch_map[slot]);
  void *p = guarded(&scratch_map[slot], bytes, 1, 0, 64);
  memset(p, 0xA5, bytes); /* garbage: nothing may be read before it is written */
  return p;
}

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);

static float sign(float v) { return next() & 1 ? -v : v; }

/* a non-zero of one of the kinds a product may meet */
static float value(int kind) {
  switch (kind) {
  case 0: return sign((float)ldexp(1 + uniform(), (int)below(13) - 10));       /* ordinary */
  case 1: return sign((float)ldexp(1 + uniform(), (int)below(40) - 75));       /* tiny: products near 2^-100..-150 */
  case 2: return sign((float)ldexp(uniform(), -126));                           /* subnormal (or 0) */
  case 3: return sign((float)ldexp(1 + uniform(), (int)below(20) + 50));        /* huge: products overflow */
  default: return sign((float)ldexp(1 + uniform(), (int)below(256) - 149)); /* any exponent */
  }
}
static float special(void) {
  switch (below(3)) {
  case 0: {
    /* a NaN with a random payload and sign, quiet or signalling: which NaN survives an add or an FMA of two NaNs
     * depends on the operands' order, and oneDNN's must be kept */
    const uint32_t u = 0x7f800000u | (uint32_t)(1 + below(0x7fffff)) | (uint32_t)(next() & 1) << 31;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  case 1: return INFINITY;
  default: return -INFINITY;
  }
}

static const int64_t K_EDGES[] = {1, 2, 15, 16, 17, 200, 383, 384, 385, 400, 767, 768, 769, 784, 1151, 1152, 1153};

int main(int argc, char **argv) {
  const long products = argc > 1 ? atol(argv[1]) : 20000;
  if (argc > 2) reseed((uint64_t)atoll(argv[2]));
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib) return 2;
  const sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm");
  long taken = 0, declined = 0, differ = 0, failed = 0, tiny_chains = 0;
  {
    /* TN with k·lda past 2³¹ floats (an 8 GiB ArrayBuffer, reserved, 3 rows of A touched): load_row's 32-bit gather
     * offsets would wrap to a read before A, so it must be declined or give dnnl's bits */
    const int64_t M = 16, N = 16, K = 3, lda = ((int64_t)1 << 30) + 16;
    const size_t bytes = (size_t)((K - 1) * lda + M) * 4;
    float *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    float b[3 * 16], c[16 * 16], want[16 * 16];
    if (a == MAP_FAILED) return 3;
    for (int64_t k = 0; k < K; k++) a[k * lda + 5] = 0.5f + (float)k;
    for (int i = 0; i < K * N; i++) b[i] = value(0);
    for (int i = 0; i < M * N; i++) c[i] = want[i] = value(0);
    const varia_gemm_shape_t s = {.ta = 1, .M = M, .N = N, .K = K, .lda = lda, .ldb = N, .ldc = N};
    const int status = KERNEL(&s, a, b, 1.f, c);
    sgemm('T', 'N', M, N, K, 1.f, a, lda, b, N, 1.f, want, N);
    if (status == 0 && memcmp(c, want, sizeof c)) {
      printf("TN with lda 2^30 + 16, K 3: differs from dnnl_sgemm\n");
      failed++;
    }
    munmap(a, bytes);
  }
  for (long t = 0; t < products; t++) {
    const int ta = (int)below(3) == 0;
    const int64_t M = M_OF_PRODUCT();
    const int64_t N = N_OF_PRODUCT();
    const int64_t K = below(3) == 0 ? K_EDGES[below(sizeof K_EDGES / sizeof *K_EDGES)] + below(2) : 1 + below(900);
    const int64_t lda = (ta ? M : K) + (below(2) ? below(20) : 0), ldb = N + (below(2) ? below(20) : 0),
                  ldc = N + (below(3) == 0 ? below(6) : 0);
    const float beta = below(2) ? 1.f : 0.f;
    static const double densities[] = {0, 0.003, 0.03, 0.1, 0.2, 0.25, 0.35};
    const double density = densities[below(7)];
    const int a_kind = below(3) == 0 ? (int)below(5) : 0, b_kind = below(3) == 0 ? (int)below(5) : 0;
    const int64_t a_len = ta ? (K - 1) * lda + M : (M - 1) * lda + K, b_len = (K - 1) * ldb + N,
                  c_len = (M - 1) * ldc + N;
    guard_t ma, mb, mc;
    /* 4-byte alignment at the page end; sometimes 64 (B: the aligned path without a copy) */
    float *a = guarded(&ma, (size_t)a_len * 4, 1, 0, 4);
    float *b = guarded(&mb, (size_t)b_len * 4, 1, 0, below(4) == 0 ? 64 : 4);
    float *c = guarded(&mc, (size_t)c_len * 4, 1, 0, 4);
    float *a2 = malloc((size_t)a_len * 4), *b2 = malloc((size_t)b_len * 4), *want = malloc((size_t)c_len * 4);
    for (int64_t i = 0; i < a_len; i++) {
      const double u = uniform();
      a[i] = u < density ? (below(200) == 0 ? special() : value(below(4) == 0 ? a_kind : 0)) : below(3) ? 0.f : -0.f;
    }
    if (below(4) == 0) /* whole rows of op(A) zero */
      for (int64_t i = 0; i < M; i += 3)
        for (int64_t k = 0; k < K; k++) a[ta ? k * lda + i : i * lda + k] = below(2) ? 0.f : -0.f;
    for (int64_t i = 0; i < b_len; i++)
      b[i] = below(10) == 0 ? (below(2) ? 0.f : -0.f) : value(below(4) == 0 ? b_kind : 0);
    if (below(5) == 0) /* a few rows of B with a NaN or ±∞ */
      for (int r = 0; r < 3; r++) b[below(K) * ldb + below(N)] = special();
    for (int64_t i = 0; i < c_len; i++) {
      const int64_t u = below(20);
      c[i] = u == 0 ? -0.f : u == 1 ? 0.f : u == 2 ? special() : value(0); /* a NaN in C also with beta 1 */
    }
    memcpy(a2, a, (size_t)a_len * 4);
    memcpy(b2, b, (size_t)b_len * 4);
    memcpy(want, c, (size_t)c_len * 4);
    const varia_gemm_shape_t s = {.ta = ta, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
    const int status = KERNEL(&s, a, b, beta, c);
    if (memcmp(a, a2, (size_t)a_len * 4) || memcmp(b, b2, (size_t)b_len * 4)) {
      printf("product %ld: an input was written\n", t);
      failed++;
    }
    if (status == 0) {
      taken++;
      sgemm(ta ? 'T' : 'N', 'N', M, N, K, 1.f, a2, lda, b2, ldb, beta, want, ldc);
      long d = 0;
      for (int64_t i = 0; i < c_len; i++) d += memcmp(&want[i], &c[i], 4) != 0;
      if (a_kind != 0 || b_kind != 0) tiny_chains++;
      if (d) {
        printf("product %ld: %s M %ld N %ld K %ld lda %ld ldb %ld ldc %ld beta %g density %g kinds %d/%d: %ld differ\n",
               t, ta ? "TN" : "NN", (long)M, (long)N, (long)K, (long)lda, (long)ldb, (long)ldc, beta, density, a_kind,
               b_kind, d);
        differ += d;
        failed++;
      }
    } else {
      declined++;
      if (memcmp(want, c, (size_t)c_len * 4)) {
        printf("product %ld: declined (%d) but C was written\n", t, status);
        failed++;
      }
    }
    free(a2), free(b2), free(want);
    guard_unmap(&ma), guard_unmap(&mb), guard_unmap(&mc);
  }
  printf("%ld products: %ld taken (%ld with tiny / subnormal / huge values), %ld declined; %ld elements differ, %ld "
         "products failed\n",
         products, taken, tiny_chains, declined, differ, failed);
  return failed ? 1 : 0;
}
