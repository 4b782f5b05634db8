/*
 * What a CPU gives the zero-skipping kernels' inner loops (zero_skip.c, sparse_rows.c): the core clock, the FMA
 * throughput of 512- and 256-bit registers, and the useful FMAs per cycle of the two row-list loops on MNIST's rows
 * (one row: a broadcast and one FMA per register per entry, W read by the FMA, as sparse_rows.c; two rows sharing
 * each load of W over the union of their entries, as zero_skip.c's GROUP 2), with W's strip read from its 784 rows
 * (L2 on a 1 MiB-L2 core) or folded onto its first 24 rows (L1). Useful FMAs are those of the rows' own non-zeros,
 * so the two-row loop's wasted ones (a 0 where only the other row has an entry) count against it.
 *
 *   gcc -O3 -march=native scripts/row-list-probe.c -o /tmp/row-list-probe && /tmp/row-list-probe [mnist.f32]
 *
 * (mnist.f32: 10,000 × 784 float32, raw, as zero-skip-check.c; default /tmp/s10/mnist.f32, else random rows of
 * MNIST's density, 19 %.) Prints medians of 5 rounds; one thread; run it on a quiet machine.
 *
 * Measured 2026-12-03 on the AMD EPYC of family 25 (Zen 4; 2 vCPUs, L1d 32 KiB, L2 1 MiB; load ~1), 2–4 runs: clock
 * 3.4–3.6 GHz; 512-bit FMAs 1.0 a cycle (latency 4), 256-bit 2.0: the same 32 flops a cycle. MNIST's rows, strips of
 * 7 registers (448 bytes of W a row): one row 0.34–0.42 useful FMAs a cycle with W from L2, 0.55–0.64 with W in L1;
 * two rows 0.42–0.51 from L2, 0.51–0.62 in L1. The union of two rows holds 29.2 % of k against 19.2 % for one. So on
 * this CPU both loops are bound by W's reads from L2 (~24 bytes a cycle), and blocks of k small enough to keep W in
 * L1 cost more per (row, block) than they save (a variant of the one-row loop over blocks of 24–96 k: 0.15–0.40).
 * bench/README.md, session 18.
 */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define K 784
#define ROWS 10000
#define NV 7 /* registers of 16 columns in a strip */
#define LDW (16 * NV)
#define FOLD_ROWS 24

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile float sink;

/* 8 dependent integer adds an iteration: one a cycle */
__attribute__((noinline)) static long add_chain(long n) {
  long x = 1;
  for (long i = 0; i < n; i += 8)
    __asm__ volatile("add %0,%0\n\tadd %0,%0\n\tadd %0,%0\n\tadd %0,%0\n\tadd %0,%0\n\tadd %0,%0\n\tadd %0,%0\n\tadd %0,%0"
                     : "+r"(x));
  return x;
}

__attribute__((noinline, target("avx512f"))) static float fma512(long n) {
  __m512 s[16];
  for (int i = 0; i < 16; i++) s[i] = _mm512_set1_ps((float)i);
  const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < n; i++) {
    _Pragma("GCC unroll 16") for (int j = 0; j < 16; j++) s[j] = _mm512_fmadd_ps(x, s[j], y);
  }
  for (int i = 1; i < 16; i++) s[0] = _mm512_add_ps(s[0], s[i]);
  return _mm512_reduce_add_ps(s[0]);
}

__attribute__((noinline, target("avx2,fma"))) static float fma256(long n) {
  __m256 s[16];
  for (int i = 0; i < 16; i++) s[i] = _mm256_set1_ps((float)i);
  const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < n; i++) {
    _Pragma("GCC unroll 16") for (int j = 0; j < 16; j++) s[j] = _mm256_fmadd_ps(x, s[j], y);
  }
  float out[8];
  for (int i = 1; i < 16; i++) s[0] = _mm256_add_ps(s[0], s[i]);
  _mm256_storeu_ps(out, s[0]);
  return out[0];
}

/* the lists: one row's entries (k, a), and two rows' union (k, a₀, a₁) */
static int32_t *k1, *k2;
static float *a1, *a2;
static int64_t *start1, *start2;
static float *w, *c;

__attribute__((noinline, target("avx512f"))) static void one_row(int fold) {
  for (int r = 0; r < ROWS; r++) {
    __m512 s[NV];
    for (int v = 0; v < NV; v++) s[v] = _mm512_setzero_ps();
    for (int64_t p = start1[r]; p < start1[r + 1]; p++) {
      const float *wk = w + (int64_t)(fold ? k1[p] % FOLD_ROWS : k1[p]) * LDW;
      const __m512 x = _mm512_set1_ps(a1[p]);
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) s[v] = _mm512_fmadd_ps(x, _mm512_load_ps(wk + 16 * v), s[v]);
    }
    for (int v = 0; v < NV; v++) _mm512_store_ps(c + (int64_t)r * LDW + 16 * v, s[v]);
  }
}

__attribute__((noinline, target("avx512f"))) static void two_rows(int fold) {
  for (int g = 0; g < ROWS / 2; g++) {
    __m512 s0[NV], s1[NV];
    for (int v = 0; v < NV; v++) s0[v] = s1[v] = _mm512_setzero_ps();
    for (int64_t p = start2[g]; p < start2[g + 1]; p++) {
      const float *wk = w + (int64_t)(fold ? k2[p] % FOLD_ROWS : k2[p]) * LDW;
      __m512 wv[NV];
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) wv[v] = _mm512_load_ps(wk + 16 * v);
      const __m512 x0 = _mm512_set1_ps(a2[2 * p]), x1 = _mm512_set1_ps(a2[2 * p + 1]);
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        s0[v] = _mm512_fmadd_ps(x0, wv[v], s0[v]);
        s1[v] = _mm512_fmadd_ps(x1, wv[v], s1[v]);
      }
    }
    for (int v = 0; v < NV; v++) {
      _mm512_store_ps(c + (int64_t)(2 * g) * LDW + 16 * v, s0[v]);
      _mm512_store_ps(c + (int64_t)(2 * g + 1) * LDW + 16 * v, s1[v]);
    }
  }
}

static int cmp_double(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* the median of 5 timed calls of f(fold), in seconds */
static double median5(void (*f)(int), int fold) {
  double t[5];
  f(fold);
  for (int i = 0; i < 5; i++) {
    const double t0 = now();
    f(fold);
    t[i] = now() - t0;
  }
  qsort(t, 5, sizeof *t, cmp_double);
  return t[2];
}

int main(int argc, char **argv) {
  const long n = 400000000;
  double t0 = now();
  sink = (float)add_chain(n);
  const double hz = (double)n / (now() - t0);
  printf("clock (dependent adds): %.2f GHz\n", hz / 1e9);
  t0 = now();
  sink = fma512(n / 16);
  printf("512-bit FMAs: %.2f a cycle\n", (double)n / (now() - t0) / hz);
  t0 = now();
  sink = fma256(n / 16);
  printf("256-bit FMAs: %.2f a cycle\n", (double)n / (now() - t0) / hz);

  float *x = malloc((size_t)ROWS * K * 4);
  FILE *f = fopen(argc > 1 ? argv[1] : "/tmp/s10/mnist.f32", "rb");
  const int from_file = f && fread(x, 4, (size_t)ROWS * K, f) == (size_t)ROWS * K;
  if (f) fclose(f);
  if (!from_file) {
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < (size_t)ROWS * K; i++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      x[i] = (s >> 11) % 1000 < 192 ? (float)((s >> 32) % 255 + 1) / 255.f : 0.f;
    }
  }
  k1 = malloc((size_t)ROWS * K * 4), a1 = malloc((size_t)ROWS * K * 4), start1 = malloc((ROWS + 1) * 8);
  k2 = malloc((size_t)ROWS * K * 4), a2 = malloc((size_t)ROWS * K * 8), start2 = malloc((ROWS / 2 + 1) * 8);
  w = aligned_alloc(64, (size_t)K * LDW * 4), c = aligned_alloc(64, (size_t)ROWS * LDW * 4);
  if (!x || !k1 || !a1 || !start1 || !k2 || !a2 || !start2 || !w || !c) return 2;
  int64_t e1 = 0, e2 = 0;
  for (int r = 0; r < ROWS; r++) {
    start1[r] = e1;
    for (int k = 0; k < K; k++)
      if (x[(size_t)r * K + k] != 0.f) k1[e1] = k, a1[e1++] = x[(size_t)r * K + k];
  }
  start1[ROWS] = e1;
  for (int g = 0; g < ROWS / 2; g++) {
    start2[g] = e2;
    for (int k = 0; k < K; k++) {
      const float u = x[(size_t)(2 * g) * K + k], v = x[(size_t)(2 * g + 1) * K + k];
      if (u != 0.f || v != 0.f) k2[e2] = k, a2[2 * e2] = u, a2[2 * e2 + 1] = v, e2++;
    }
  }
  start2[ROWS / 2] = e2;
  for (int i = 0; i < K * LDW; i++) w[i] = 1e-3f * (float)(i % 13);
  printf("%s rows: %.1f %% of k non-zero in a row, %.1f %% in the union of two\n", from_file ? "MNIST" : "random",
         100.0 * (double)e1 / ROWS / K, 100.0 * (double)e2 / (ROWS / 2) / K);
  const double useful = (double)e1 * NV;
  for (int fold = 0; fold < 2; fold++)
    printf("W %s: one row %.2f useful FMAs a cycle, two rows %.2f\n", fold ? "in L1 (24 rows)" : "from its 784 rows",
           useful / median5(one_row, fold) / hz, useful / median5(two_rows, fold) / hz);
  return 0;
}
