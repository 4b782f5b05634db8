/*
 * Can a kernel that skips the zeros of x reproduce the dense encode's bits? The encode's first layer is
 * C = x·W + b (row-major NN, x [M, K], W [K, N]); matmul.c fills C with the bias and calls dnnl_sgemm with beta = 1
 * (possibly on row blocks, blas.c / gemm_split.c). This harness compares oneDNN's output bit for bit against candidate
 * summation orders computed in plain C (-ffp-contract=off, explicit fmaf), on random data of many magnitudes and on
 * real MNIST rows, checks zero-skipping references of the order that matches, and an AVX-512 tile kernel in it.
 *
 *   gcc -O3 -march=native -ffp-contract=off -Inative scripts/sgemm-order-check.c native/gemm_split.c -ldl -lm \
 *       -o /tmp/sgemm-order-check
 *   OMP_NUM_THREADS=1 /tmp/sgemm-order-check [mnist.f32 = /tmp/s10/mnist.f32] [candidate rows = 1000]
 *
 * (mnist.f32: 10,000 × 784 float32, raw; without it the MNIST part is skipped.) ~10 s. Exit status 1 when the spec
 * below, its zero-skipping forms or the tile kernel differ from oneDNN (M ≥ 2) in any bit, 2 without libdnnl.so.2.
 *
 * THE ORDER (oneDNN 2.6.3's dnnl_sgemm, NN, effective ISA avx512_core or above; source: src/cpu/x64/gemm/f32/
 * jit_avx512_common_gemm_f32.cpp sgemm_nocopy_driver, gemm_driver.cpp nocopy_checker_avx512): for every C[i][j], M ≥ 2,
 *   blocks of K: ≤ 384 → one block; 385 … 767 → two, the first (K + 1) / 2 long; ≥ 768 → the no-copy driver takes
 *   384 while ≥ 768 remain, then the rest as above; the copy driver takes plain blocks of 384 (the last shorter).
 *   Which driver: gemm_split.c's varia_onednn_nocopy (N = 400 and N = 128: always the no-copy one, whatever M, since
 *   1/N alone passes oneDNN's 0.00196 threshold). So K = 784 → [0,384) [384,584) [584,784);
 *   K = 2000 → 4 × 384, then [1536,1768) [1768,2000).
 *   per block: s = +0; for k in the block, ascending: s = fmaf(x[i][k], W[k][j], s)   (one chain, no partial sums)
 *   then C[i][j] = C[i][j] + s, block after block (C starts as the bias: beta = 1; IEEE float adds).
 * It does not depend on M ≥ 2 or the row block (rows cut as gemm_split.c plans them for 2 threads, batches of 128,
 * blocks of 2 … 33 rows: all the whole product's bits). M = 1 is oneDNN's gemv (jit_sse41_gemv_n_f32_kern): one FMA
 * chain from the bias over all K — on one OpenMP thread only (with 2 or 4 it splits K across threads and the bits
 * change). OpenMP threads: M ≥ 2 measured the same on 1, 2 and 4; oneDNN splits K only with ≥ 8 threads and small
 * products (nthr_k ≤ nthr / 4, calc_nthr_nocopy_avx512_common) — require 1 thread, as blas.c's split rule does.
 * With DNNL_MAX_CPU_ISA=AVX2 (an avx2-only CPU) the spec fails on 60–78 % of elements: a zero-skipping kernel that
 * promises these bits must check dnnl_get_effective_cpu_isa() includes avx512_core (0x27), oneDNN is 2.x, the BLAS is
 * oneDNN (OpenBLAS: not established), and FMA in the kernel (the spec's blocks with mul + add: 59–72 % of elements differ).
 *
 * ZERO SKIPPING: in a chain from +0, fmaf(±0, w, s) == s bit for bit for finite w (s ≠ 0: exact; s = +0: +0 + ±0 =
 * +0), so x[i][k] == ±0 may be skipped — unless the chain is −0, which it becomes only through a product that
 * underflows (a negative x·w + s whose exact value rounds to zero, |x·w| < ~2⁻¹⁰⁰): refuse when
 * min |x ≠ 0| · min |w ≠ 0| < 2⁻¹⁰⁰ (MNIST: x ≥ 1/255). Non-finite w: 0·inf = NaN in oneDNN, not in the skip: refuse.
 * The block's add C + s must stay even for a block with no non-zero (−0 bias + +0 = +0), OR the kernel reads a −0
 * bias as +0 and may then skip those adds (exact while no product underflows: C = b + s₁, s₁ never −0).
 *
 * MEASURED 2026-12-02 (this 2-vCPU Sapphire Rapids VM, load ~1, OMP_NUM_THREADS=1; the same with 2 and 4 threads):
 *   MNIST rows (80.8 % zeros) · Glorot W, M 10,000 × 400 from 784: spec 0 of 400,000 elements differ (first 1,000
 *   rows); the other driver's blocks 250,268 differ; one chain from the bias 343,346; mul + add 287,757; 2/4/8
 *   partial chains ~320,000; plain blocks of 16 … 784 258,000–341,000 (max 86,016–344,064 ulps). Zero-skipping spec,
 *   all 10,000 rows: 0 of 4,000,000 differ (also with −0 bias read as +0 and empty adds skipped). Random data of many
 *   magnitudes (60 % zeros, a third −0; all-zero blocks and rows) and counts-like K = 2,000, N = 128 (95 % zeros),
 *   plus K = 2,000 random: spec and its zero-skipping form 0 differ on all rows; skipping the empty blocks' adds with
 *   a −0 bias: 2,394 elements −0 instead of +0 (the all-zero rows). M = 1: one chain from the bias 0 differ (zeros
 *   skipped: 0, except 285 sign-of-zero cases at a −0 bias on all-zero rows). The tile kernel below, spec's order:
 *   0 differ on all rows of every set; its tiles take 1.00–1.10× the time of the same kernel with one chain from the
 *   bias (MNIST 1.055×: 28.3 against 27.0 ms for 10,000 rows, the block-end adds of an L1 tile).
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_split.h"

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);
static sgemm_fn sgemm;

#include "harness.h" /* next(), uniform(): the seeded xorshift64 generator */
/* ±(1 + u)·2^e, e in [−10, 2]: many distinct magnitudes, so that orders round differently */
static float wide(void) {
  const float v = (float)ldexp(1 + uniform(), (int)(next() % 13) - 10);
  return next() & 1 ? -v : v;
}

/* A candidate order: blocks of K (bounds, ascending, ending at K), per block u partial chains from +0 (acc[k % u]),
 * combined left to right; chain 1: one chain from C itself (no block partials); fma 0: a product and an add. */
typedef struct {
  char name[48];
  int64_t bound[160];
  int blocks, u, from_c, fma;
} order_t;

/* oneDNN's blocks of K for one driver (the header comment's rule) */
static int onednn_blocks(int64_t K, int plain, int64_t *bound) {
  int n = 0;
  for (int64_t k0 = 0; k0 < K;) {
    const int64_t left = K - k0;
    const int64_t kb = left <= 384 ? left : plain || left >= 768 ? 384 : (left + 1) / 2;
    k0 += kb;
    bound[n++] = k0;
  }
  return n;
}

/* C[r] (N floats, holding the bias) += x_row · W in order o; nz: the k to visit (NULL: all K) */
static void reference(const order_t *o, const float *x, const float *W, int64_t N, int64_t K, const int64_t *nz,
                      int64_t nnz, int keep_empty_adds, float *c) {
  static float acc[8][4096];
  int64_t k0 = 0, p = 0;
  if (o->from_c) {
    for (int64_t q = 0; q < (nz ? nnz : K); q++) {
      const int64_t k = nz ? nz[q] : q;
      for (int64_t j = 0; j < N; j++) c[j] = o->fma ? fmaf(x[k], W[k * N + j], c[j]) : c[j] + x[k] * W[k * N + j];
    }
    return;
  }
  for (int b = 0; b < o->blocks; b++) {
    const int64_t k1 = o->bound[b];
    for (int q = 0; q < o->u; q++) memset(acc[q], 0, (size_t)N * 4);
    int visited = 0;
    if (nz) {
      for (; p < nnz && nz[p] < k1; p++, visited++) {
        const int64_t k = nz[p];
        float *a = acc[(k - k0) % o->u];
        for (int64_t j = 0; j < N; j++) a[j] = fmaf(x[k], W[k * N + j], a[j]);
      }
    } else {
      for (int64_t k = k0; k < k1; k++, visited++) {
        float *a = acc[(k - k0) % o->u];
        for (int64_t j = 0; j < N; j++) a[j] = o->fma ? fmaf(x[k], W[k * N + j], a[j]) : a[j] + x[k] * W[k * N + j];
      }
    }
    for (int q = 1; q < o->u; q++)
      for (int64_t j = 0; j < N; j++) acc[0][j] += acc[q][j];
    if (visited || keep_empty_adds)
      for (int64_t j = 0; j < N; j++) c[j] = c[j] + acc[0][j];
    k0 = k1;
  }
}

/* distance in units in the last place (ordered integers); NaNs count as equal only to NaNs */
static int64_t ulps(float a, float b) {
  int32_t ia, ib;
  memcpy(&ia, &a, 4);
  memcpy(&ib, &b, 4);
  if (ia < 0) ia = INT32_MIN - ia;
  if (ib < 0) ib = INT32_MIN - ib;
  return llabs((long long)ia - ib);
}

typedef struct {
  long differ, zero_sign;
  int64_t max_ulps;
} tally_t;
static void compare(const float *want, const float *got, int64_t n, tally_t *t) {
  for (int64_t i = 0; i < n; i++) {
    if (memcmp(&want[i], &got[i], 4) == 0) continue;
    t->differ++;
    if (want[i] == 0 && got[i] == 0) t->zero_sign++;
    const int64_t u = ulps(want[i], got[i]);
    if (u > t->max_ulps) t->max_ulps = u;
  }
}

static void fill_bias(float *bias, int64_t N, float scale) {
  for (int64_t j = 0; j < N; j++) bias[j] = j % 7 == 3 ? -0.f : j % 11 == 5 ? 0.f : scale * wide();
}

/* oneDNN on rows [r0, r0 + m) of C (pre-filled with the bias), the way matmul.c calls it */
static void onednn_rows(const float *x, const float *W, const float *bias, int64_t r0, int64_t m, int64_t N, int64_t K,
                        float *C) {
  for (int64_t r = r0; r < r0 + m; r++) memcpy(C + r * N, bias, (size_t)N * 4);
  sgemm('N', 'N', m, N, K, 1.f, x + r0 * K, K, W, N, 1.f, C + r0 * N, N);
}

/*
 * A zero-skipping tile kernel in the spec's order (the shape of sparse_tiles.c's forward: blocks of 128 rows copied by
 * column, tiles of 64 output columns in L1, W's row read once per block), with exact 1: per K block the tile's sums
 * start at +0 and are added to the output tile (bias first) at the block's end; exact 0: one chain from the bias.
 * Returns the milliseconds spent in the tiles (not in the copy by column).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <time.h>
#define TROWS 128
#define TCOLS 64
typedef struct {
  int32_t row;
  float val;
} entry_t;
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
__attribute__((target("avx512f"))) static double tile_forward(int exact, const order_t *o, const float *x, int64_t M,
                                                               int64_t K, const float *W, int64_t N, const float *bias,
                                                               float *y) {
  static float acc[TROWS * TCOLS] __attribute__((aligned(64))), out[TROWS * TCOLS] __attribute__((aligned(64)));
  int32_t *col = malloc((size_t)K * 4), *start = malloc((size_t)(K + 1) * 4), jb[161];
  entry_t *entry = malloc((size_t)(TROWS * K) * sizeof *entry);
  double ms = 0;
  for (int64_t r0 = 0; r0 < M; r0 += TROWS) {
    const int rows = (int)(M - r0 < TROWS ? M - r0 : TROWS);
    int nc = 0, ne = 0;
    for (int64_t k = 0; k < K; k++) {
      const int s0 = ne;
      for (int i = 0; i < rows; i++)
        if (x[(r0 + i) * K + k] != 0) entry[ne++] = (entry_t){i, x[(r0 + i) * K + k]};
      if (ne > s0) col[nc] = (int32_t)k, start[nc++] = s0;
    }
    start[nc] = ne;
    const double t0 = now_ms();
    jb[0] = 0;
    for (int b = 0, j = 0; b < o->blocks; b++) { /* the columns of K block b: col[jb[b] … jb[b + 1]) */
      while (j < nc && col[j] < o->bound[b]) j++;
      jb[b + 1] = j;
    }
    for (int64_t c0 = 0; c0 < N; c0 += TCOLS) {
      const int width = (int)(N - c0 < TCOLS ? N - c0 : TCOLS);
      const __mmask16 m[4] = {(__mmask16)(width >= 16 ? 0xffff : (1u << width) - 1),
                              (__mmask16)(width >= 32 ? 0xffff : width <= 16 ? 0 : (1u << (width - 16)) - 1),
                              (__mmask16)(width >= 48 ? 0xffff : width <= 32 ? 0 : (1u << (width - 32)) - 1),
                              (__mmask16)(width >= 64 ? 0xffff : width <= 48 ? 0 : (1u << (width - 48)) - 1)};
      float *sum = exact ? out : acc;
      for (int i = 0; i < rows; i++)
        for (int v = 0; v < 4; v++) _mm512_store_ps(sum + i * TCOLS + 16 * v, _mm512_maskz_loadu_ps(m[v], bias + c0 + 16 * v));
      if (exact) memset(acc, 0, (size_t)rows * TCOLS * 4);
      for (int b = 0; b < (exact ? o->blocks : 1); b++) {
        for (int j = exact ? jb[b] : 0; j < (exact ? jb[b + 1] : nc); j++) {
          const float *wr = W + (int64_t)col[j] * N + c0;
          const __m512 w0 = _mm512_maskz_loadu_ps(m[0], wr), w1 = _mm512_maskz_loadu_ps(m[1], wr + 16),
                       w2 = _mm512_maskz_loadu_ps(m[2], wr + 32), w3 = _mm512_maskz_loadu_ps(m[3], wr + 48);
          for (int e = start[j]; e < start[j + 1]; e++) {
            float *p = acc + entry[e].row * TCOLS;
            const __m512 v = _mm512_set1_ps(entry[e].val);
            _mm512_store_ps(p, _mm512_fmadd_ps(v, w0, _mm512_load_ps(p)));
            _mm512_store_ps(p + 16, _mm512_fmadd_ps(v, w1, _mm512_load_ps(p + 16)));
            _mm512_store_ps(p + 32, _mm512_fmadd_ps(v, w2, _mm512_load_ps(p + 32)));
            _mm512_store_ps(p + 48, _mm512_fmadd_ps(v, w3, _mm512_load_ps(p + 48)));
          }
        }
        /* the block's end: out = out + s for every element (a −0 bias meets a +0 sum here), s back to +0; after the
         * last block straight into y */
        if (exact && b + 1 < o->blocks)
          for (int i = 0; i < rows * TCOLS; i += 16) {
            _mm512_store_ps(out + i, _mm512_add_ps(_mm512_load_ps(out + i), _mm512_load_ps(acc + i)));
            _mm512_store_ps(acc + i, _mm512_setzero_ps());
          }
      }
      for (int i = 0; i < rows; i++)
        for (int v = 0; v < 4 && m[v]; v++) {
          __m512 r = _mm512_load_ps(sum + i * TCOLS + 16 * v);
          if (exact) r = _mm512_add_ps(r, _mm512_load_ps(acc + i * TCOLS + 16 * v));
          _mm512_mask_storeu_ps(y + (r0 + i) * N + c0 + 16 * v, m[v], r);
        }
    }
    ms += now_ms() - t0;
  }
  free(col);
  free(start);
  free(entry);
  return ms;
}
static int by_value(const void *a, const void *b) {
  const double u = *(const double *)a, v = *(const double *)b;
  return u < v ? -1 : u > v;
}
#endif

static int failures = 0;

/* One data set: oneDNN at several M and row blocks against the spec; candidates on the first `rows` rows; the
 * zero-skipping spec on every row. */
static void study(const char *label, const float *x, int64_t M, int64_t N, int64_t K, const float *W,
                  const float *bias, int64_t rows) {
  const size_t cn = (size_t)(M * N);
  float *dnnl = malloc(cn * 4), *part = malloc(cn * 4), *mine = malloc(cn * 4);
  int64_t *nz = malloc((size_t)K * sizeof *nz);
  const varia_gemm_shape_t shape = {.ta = 0, .tb = 0, .M = M, .N = N, .K = K, .lda = K, .ldb = N, .ldc = N};
  const int plain = !varia_onednn_nocopy(&shape);
  order_t spec = {.u = 1, .fma = 1};
  spec.blocks = onednn_blocks(K, plain, spec.bound);
  snprintf(spec.name, sizeof spec.name, "spec (%s driver)", plain ? "copy" : "no-copy");
  long zeros = 0, empty_blocks = 0;
  for (size_t i = 0; i < (size_t)(M * K); i++) zeros += x[i] == 0;
  printf("\n== %s: M %ld, N %ld, K %ld, %.1f %% of x zero; oneDNN %s driver, K blocks ends:", label, (long)M, (long)N,
         (long)K, 100.0 * zeros / (double)(M * K), plain ? "copy" : "no-copy");
  for (int b = 0; b < spec.blocks; b++) printf(" %ld", (long)spec.bound[b]);
  printf("\n");

  /* 1. oneDNN: the whole M, then row blocks (2-thread plans of gemm_split.c, batches of 128, small M) */
  onednn_rows(x, W, bias, 0, M, N, K, dnnl);
  int64_t cuts[64][2];
  int ncuts = 0;
  static const double head_starts[] = {0, 1e8, 4e8};
  for (int h = 0; h < 3; h++) {
    varia_gemm_split_t plan;
    const int count = varia_gemm_plan_two(&shape, head_starts[h], &plan);
    for (int b = 0; b < count && plan.axis == 0; b++) {
      cuts[ncuts][0] = plan.bound[b];
      cuts[ncuts++][1] = plan.bound[b + 1] - plan.bound[b];
    }
  }
  for (int64_t r = 0; r + 128 <= M && ncuts < 40; r += 128 * 7) cuts[ncuts][0] = r, cuts[ncuts++][1] = 128;
  static const int64_t small[] = {1, 2, 3, 7, 15, 16, 17, 33};
  for (size_t q = 0; q < sizeof small / sizeof small[0]; q++) cuts[ncuts][0] = 4001, cuts[ncuts++][1] = small[q];
  for (int q = 0; q < ncuts; q++) {
    const int64_t r0 = cuts[q][0], m = cuts[q][1];
    onednn_rows(x, W, bias, r0, m, N, K, part);
    tally_t t = {0};
    compare(dnnl + r0 * N, part + r0 * N, m * N, &t);
    printf("  oneDNN rows [%ld, %ld) alone vs in the whole M: %ld of %ld elements differ (max %ld ulps)\n", (long)r0,
           (long)(r0 + m), t.differ, (long)(m * N), (long)t.max_ulps);
    if (t.differ && m > 1) failures++;
  }

  /* 2. candidate orders on the first `rows` rows, dense */
  order_t cand[64];
  int nc = 0;
  cand[nc++] = spec;
  cand[nc] = (order_t){.u = 1, .fma = 1};
  cand[nc].blocks = onednn_blocks(K, !plain, cand[nc].bound);
  snprintf(cand[nc++].name, sizeof cand[0].name, "the other driver's blocks (%s)", plain ? "no-copy" : "plain 384");
  cand[nc++] = (order_t){.name = "one chain from the bias", .from_c = 1, .fma = 1};
  cand[nc++] = (order_t){.name = "one chain from the bias, mul+add", .from_c = 1, .fma = 0};
  order_t nofma = spec;
  nofma.fma = 0;
  snprintf(nofma.name, sizeof nofma.name, "spec's blocks, mul+add");
  cand[nc++] = nofma;
  for (int u = 2; u <= 8; u *= 2) {
    order_t o = spec;
    o.u = u;
    snprintf(o.name, sizeof o.name, "spec's blocks, %d partial chains", u);
    cand[nc++] = o;
  }
  static const int64_t kbs[] = {16, 32, 64, 96, 128, 192, 200, 256, 392, 512, 784, 1000, 2000};
  for (size_t q = 0; q < sizeof kbs / sizeof kbs[0]; q++) {
    if (kbs[q] > K) continue;
    order_t o = {.u = 1, .fma = 1};
    for (int64_t k = kbs[q]; o.blocks < 160; k += kbs[q]) {
      o.bound[o.blocks++] = k < K ? k : K;
      if (k >= K) break;
    }
    snprintf(o.name, sizeof o.name, "plain K blocks of %ld", (long)kbs[q]);
    cand[nc++] = o;
  }
  /* oneDNN on one row at a time (M = 1: its gemv) */
  for (int64_t r = 0; r < rows; r++) onednn_rows(x, W, bias, r, 1, N, K, part);
  printf("  candidates on rows [0, %ld) (%ld elements), against oneDNN with M = %ld | with M = 1 (each row alone):\n",
         (long)rows, (long)(rows * N), (long)M);
  for (int q = 0; q < nc; q++) {
    for (int64_t r = 0; r < rows; r++) {
      memcpy(mine + r * N, bias, (size_t)N * 4);
      reference(&cand[q], x + r * K, W, N, K, NULL, 0, 1, mine + r * N);
    }
    tally_t t = {0}, t1 = {0};
    compare(dnnl, mine, rows * N, &t);
    compare(part, mine, rows * N, &t1);
    printf("    %-38s %8ld differ, max %6ld ulps | %8ld differ, max %6ld ulps\n", cand[q].name, t.differ,
           (long)t.max_ulps, t1.differ, (long)t1.max_ulps);
    if (q == 0 && t.differ) failures++;
  }
  {
    /* M = 1 with zeros skipped: one chain from the bias over the non-zeros */
    tally_t t = {0};
    for (int64_t r = 0; r < rows; r++) {
      int64_t nnz = 0;
      for (int64_t k = 0; k < K; k++)
        if (x[r * K + k] != 0) nz[nnz++] = k;
      memcpy(mine + r * N, bias, (size_t)N * 4);
      reference(&cand[2], x + r * K, W, N, K, nz, nnz, 1, mine + r * N);
    }
    compare(part, mine, rows * N, &t);
    printf("  M = 1: one chain from the bias, zeros skipped: %ld of %ld differ (%ld only in the sign of a zero)\n",
           t.differ, (long)(rows * N), t.zero_sign);
  }

  /* 3. the spec with x's zeros skipped, every row (mode 0); with the adds of blocks that have no non-zero skipped too
   * (mode 1: wrong where the bias is −0); the same with a −0 bias read as +0 (mode 2: exact while no product
   * underflows, since C = bias + s₁ and s₁ is then never −0) */
  static const char *modes[] = {"", ", empty blocks' adds skipped too", ", those adds skipped, -0 bias read as +0"};
  for (int mode = 0; mode < 3; mode++) {
    tally_t t = {0};
    for (int64_t r = 0; r < M; r++) {
      int64_t nnz = 0;
      for (int64_t k = 0; k < K; k++)
        if (x[r * K + k] != 0) nz[nnz++] = k;
      if (mode == 0) {
        int64_t p = 0;
        for (int b = 0; b < spec.blocks; b++) {
          const int64_t p0 = p;
          while (p < nnz && nz[p] < spec.bound[b]) p++;
          empty_blocks += p == p0;
        }
      }
      for (int64_t j = 0; j < N; j++) mine[r * N + j] = mode == 2 ? bias[j] + 0.f : bias[j];
      reference(&spec, x + r * K, W, N, K, nz, nnz, mode == 0, mine + r * N);
    }
    compare(dnnl, mine, M * N, &t);
    printf("  spec, zeros skipped%s, all %ld rows: %ld of %ld differ (%ld only in the sign of a zero), max %ld ulps\n",
           modes[mode], (long)M, t.differ, (long)(M * N), t.zero_sign, (long)t.max_ulps);
    if (mode != 1 && t.differ) failures++;
  }
  {
    /* a non-finite weight where x has zeros: oneDNN's 0·inf gives NaN, the skipping kernel does not see it */
    float *Winf = malloc((size_t)(K * N) * 4);
    memcpy(Winf, W, (size_t)(K * N) * 4);
    int64_t k_inf = 0;
    while (k_inf < K - 1 && x[k_inf] != 0) k_inf++;
    Winf[k_inf * N + 1] = INFINITY;
    onednn_rows(x, Winf, bias, 0, rows, N, K, part);
    tally_t t = {0};
    for (int64_t r = 0; r < rows; r++) {
      int64_t nnz = 0;
      for (int64_t k = 0; k < K; k++)
        if (x[r * K + k] != 0) nz[nnz++] = k;
      memcpy(mine + r * N, bias, (size_t)N * 4);
      reference(&spec, x + r * K, Winf, N, K, nz, nnz, 1, mine + r * N);
    }
    compare(part, mine, rows * N, &t);
    printf("  W[%ld][1] = inf: spec with zeros skipped vs oneDNN, rows [0, %ld): %ld differ (NaN against a number)\n",
           (long)k_inf, (long)rows, t.differ);
    free(Winf);
  }
#if defined(__x86_64__) && defined(__GNUC__)
  /* 4. the tile kernel in the spec's order, every row; and its cost against the same kernel with one chain from the
   * bias (interleaved rounds, medians of the tiles' times and of per-round ratios) */
  if (__builtin_cpu_supports("avx512f")) {
    double exact_ms[7], chain_ms[7], ratio[7];
    for (int round = 0; round < 7; round++) {
      chain_ms[round] = tile_forward(0, &spec, x, M, K, W, N, bias, part);
      exact_ms[round] = tile_forward(1, &spec, x, M, K, W, N, bias, mine);
      ratio[round] = exact_ms[round] / chain_ms[round];
    }
    tally_t t = {0}, t0 = {0};
    compare(dnnl, mine, M * N, &t);
    compare(dnnl, part, M * N, &t0);
    qsort(exact_ms, 7, 8, by_value);
    qsort(chain_ms, 7, 8, by_value);
    qsort(ratio, 7, 8, by_value);
    printf("  tile kernel, spec's order, all %ld rows: %ld of %ld differ; one chain from the bias: %ld differ\n"
           "    tiles' time (7 interleaved rounds, median): spec's order %.2f ms, one chain %.2f ms, ratio %.3f\n",
           (long)M, t.differ, (long)(M * N), t0.differ, exact_ms[3], chain_ms[3], ratio[3]);
    if (t.differ) failures++;
  }
#endif
  long neg_zero_bias = 0;
  for (int64_t j = 0; j < N; j++) neg_zero_bias += bias[j] == 0 && signbit(bias[j]);
  printf("  (row blocks of K with no non-zero: %ld; bias entries that are -0: %ld)\n", empty_blocks, neg_zero_bias);
  free(dnnl);
  free(part);
  free(mine);
  free(nz);
}

int main(int argc, char **argv) {
  const char *mnist_path = argc > 1 ? argv[1] : "/tmp/s10/mnist.f32";
  const int64_t rows = argc > 2 ? atoll(argv[2]) : 1000;
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 2;
  }
  typedef int (*isa_fn)(void);
  isa_fn isa = (isa_fn)dlsym(lib, "dnnl_get_effective_cpu_isa");
  const char *omp = getenv("OMP_NUM_THREADS");
  printf("oneDNN effective ISA 0x%x (avx512_core: 0x27), OMP_NUM_THREADS=%s\n", isa ? isa() : -1, omp ? omp : "(unset)");
  const int64_t M = 10000;
  float *x = malloc((size_t)M * 2000 * 4), *W = malloc((size_t)2000 * 400 * 4), *bias = malloc(400 * 4);

  /* the MNIST encoder's first layer: real rows, Glorot-uniform W, a small bias with ±0 entries */
  FILE *f = fopen(mnist_path, "rb");
  if (f && fread(x, 4, (size_t)M * 784, f) == (size_t)M * 784) {
    const double limit = sqrt(6.0 / (784 + 400));
    for (int64_t i = 0; i < 784 * 400; i++) W[i] = (float)((2 * uniform() - 1) * limit);
    fill_bias(bias, 400, 0.01f);
    study("MNIST rows, Glorot W", x, M, 400, 784, W, bias, rows);
  } else {
    printf("(no %s: MNIST part skipped)\n", mnist_path);
  }
  if (f) fclose(f);

  /* random data of many magnitudes, 50 % zeros (a third of them −0), some rows zero in one block of K or in all */
  for (int64_t i = 0; i < M * 784; i++) x[i] = next() % 2 ? wide() : next() % 3 ? 0.f : -0.f;
  for (int64_t r = 0; r < M; r++) {
    const int64_t from = r % 5 == 1 ? 0 : r % 5 == 2 ? 384 : r % 5 == 3 ? 584 : r % 97 == 0 ? 0 : 784;
    const int64_t to = r % 5 == 1 ? 384 : r % 5 == 2 ? 584 : 784;
    for (int64_t k = from; k < to; k++) x[r * 784 + k] = 0.f;
  }
  for (int64_t i = 0; i < 784 * 400; i++) W[i] = wide();
  fill_bias(bias, 400, 1.f);
  study("random, many magnitudes", x, M, 400, 784, W, bias, rows);

  /* the counts model's first layer: 95 % zeros, log1p of small counts, K = 2,000, N = 128 */
  for (int64_t i = 0; i < M * 2000; i++) x[i] = next() % 20 ? 0.f : log1pf((float)(1 + next() % 30));
  const double limit = sqrt(6.0 / (2000 + 128));
  for (int64_t i = 0; i < 2000 * 128; i++) W[i] = (float)((2 * uniform() - 1) * limit);
  fill_bias(bias, 128, 0.01f);
  study("counts-like, 95 % zeros", x, M, 128, 2000, W, bias, rows);

  /* the same K = 2,000 with wide values */
  for (int64_t i = 0; i < M * 2000; i++) x[i] = next() % 3 ? 0.f : wide();
  for (int64_t i = 0; i < 2000 * 128; i++) W[i] = wide();
  fill_bias(bias, 128, 1.f);
  study("K 2000, random, many magnitudes", x, M, 128, 2000, W, bias, rows);

  {
    /* The one way a chain from +0 becomes −0: a product that underflows (|x·w| < 2⁻¹⁵⁰ rounds to −0 when negative).
     * Bias all −0; row 0 has x = 2⁻⁸⁰ at the first column of each K block with w = −2⁻⁸⁰ there, zeros elsewhere and
     * w = 1 (so oneDNN's chain meets +0 products after the −0); row 1 is all zero. */
    const int64_t n = 16, k = 784;
    memset(x, 0, (size_t)(2 * k) * 4);
    for (int64_t i = 0; i < k * n; i++) W[i] = 1.f;
    for (int q = 0; q < 3; q++) {
      const int64_t kq = q == 0 ? 0 : q == 1 ? 384 : 584;
      x[kq] = ldexpf(1, -80);
      for (int64_t j = 0; j < n; j++) W[kq * n + j] = -ldexpf(1, -80);
    }
    for (int64_t j = 0; j < n; j++) bias[j] = -0.f;
    float got[32], want[32];
    int64_t nz[3] = {0, 384, 584};
    for (int64_t m = 2; m >= 1; m--) {
      const varia_gemm_shape_t shape = {.M = m, .N = n, .K = k, .lda = k, .ldb = n, .ldc = n};
      order_t o = {.u = 1, .fma = 1, .from_c = m == 1};
      o.blocks = onednn_blocks(k, !varia_onednn_nocopy(&shape), o.bound);
      onednn_rows(x, W, bias, 0, m, n, k, want);
      memcpy(got, bias, (size_t)n * 4);
      reference(&o, x, W, n, k, nz, 3, 1, got);
      tally_t t = {0};
      compare(want, got, n, &t);
      printf("\nunderflow to -0 (M = %ld): oneDNN %s0, spec with zeros skipped %s0: %ld of %ld differ\n", (long)m,
             signbit(want[0]) ? "-" : "+", signbit(got[0]) ? "-" : "+", t.differ, (long)n);
    }
  }

  printf("\n%s\n", failures ? "FAIL: the spec or its zero-skipping form differs from oneDNN" :
                              "OK: the spec and its zero-skipping form give oneDNN's bits everywhere (M >= 2)");
  free(x);
  free(W);
  free(bias);
  return failures != 0;
}
