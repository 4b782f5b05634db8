/*
 * A hand-run check and A/B timing of sparse_rows.c's row kernel against sparse_tiles.c's CSC tiles (both reached
 * through varia_sparse_forward; VARIA_NATIVE_SPARSE_TILES=1 forces the tiles), on a CPU with AVX-512F:
 *
 *   N=native; gcc -O3 -std=c11 -fno-math-errno -fno-trapping-math -I$N -I/usr/include/node \
 *     scripts/sparse-forward-check.c $N/sparse_tiles.c $N/sparse_rows.c $N/parallel.c $N/math_kernels.c \
 *     $N/shared_passes.c -lm -lpthread -o /tmp/sparse-forward && /tmp/sparse-forward check
 *   /tmp/sparse-forward bench [rounds=15] [mnist.f32]
 *
 * -O3 as the addon (binding.gyp): at -O2 GCC 12 leaves varia_activate's ReLU scalar and branchy, which took ~19 ms of
 * the 10,000-row MNIST shape on a Zen 5 (mispredicted signs) and hid the kernels' own times (2026-12-02).
 * With -fsanitize=address,undefined the bytes just before and after W (inside its allocation) are poisoned, so that a
 * whole-register load of the row kernel outside W is reported (its masked loads are not instrumented).
 *
 * check: random CSR (duplicate columns, empty rows, ±0, subnormals, ±∞, NaN among values, weights and biases; widths
 * 1 … 70 and up to 530 units; every activation; bias or none), every output compared bit for bit between the row
 * kernel (one and two threads) and the tiles; two NaNs count as equal (IEEE 754 does not fix the payload of a NaN
 * made from two) and are counted apart. Rows with columns out of order go to the tiles (sorted = 0): the row kernel
 * on a stably sorted copy must give their bits. Exit status 1 on any difference.
 * bench: the shapes the kernel serves, each timed as interleaved rounds (tiles, rows, tiles, rows, …): the median of
 * the per-pair ratios, the medians of each, and GFLOP/s (2·nnz·units per call); one thread (thread CPU time) and two
 * (wall time). The MNIST shapes read 10,000 × 784 float32 pixels from the file (raw, row-major; default
 * /tmp/s10/mnist.f32) or, without it, draw images of 19 % non-zeros.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "parallel.h"
#include "sparse_tiles.h"

/* The N-API function sparse_tiles.c refers to (never called here). */
napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *), void *arg) {
  (void)env, (void)fun, (void)arg;
  return napi_generic_failure;
}

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }
static double unit(void) { return (double)(next() >> 11) / 9007199254740992.0; }
static float value(void) { return (float)(unit() * 2 - 1); }
static float special(int often) {
  static const float v[] = {0.f, -0.f, 1e-40f, -3e-39f, INFINITY, -INFINITY, NAN, 3e38f, -3e38f};
  return below(100) < often ? v[below(9)] : value();
}

typedef struct {
  int64_t rows, cols, nnz;
  int32_t *indptr, *indices;
  float *values;
} csr_t;

static void csr_free(csr_t *x) {
  free(x->indptr), free(x->indices), free(x->values);
}

/* CSR of a dense row-major matrix (±0 skipped), as sparse_input.c makes it. */
static csr_t csr_of(const float *d, int64_t rows, int64_t cols) {
  csr_t x = {.rows = rows, .cols = cols};
  int64_t nnz = 0;
  for (int64_t i = 0; i < rows * cols; i++) nnz += d[i] != 0.f;
  x.indptr = malloc((size_t)(rows + 1) * 4), x.indices = malloc((size_t)nnz * 4 + 4), x.values = malloc((size_t)nnz * 4 + 4);
  int64_t p = 0;
  x.indptr[0] = 0;
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t k = 0; k < cols; k++)
      if (d[i * cols + k] != 0.f) x.indices[p] = (int32_t)k, x.values[p++] = d[i * cols + k];
    x.indptr[i + 1] = (int32_t)p;
  }
  x.nnz = p;
  return x;
}

/* n floats `shift` floats past a 64-byte boundary (the wasm heap aligns tensors to 8 bytes); free with unshifted(). */
static float *weights(int64_t n, float scale, int often, int shift) {
  float *w = NULL;
  if (posix_memalign((void **)&w, 64, (size_t)(n + shift) * 4 + 64) != 0) exit(3);
  w += shift;
  for (int64_t i = 0; i < n; i++) w[i] = often ? special(often) : scale * value();
#ifdef __SANITIZE_ADDRESS__ /* a read of the bytes around w (inside the allocation) is an error */
  ASAN_POISON_MEMORY_REGION(w - shift, (size_t)shift * 4);
  ASAN_POISON_MEMORY_REGION(w + n, 64);
#endif
  return w;
}
static void unshifted(float *w, int64_t n, int shift) {
  if (!w) return;
#ifdef __SANITIZE_ADDRESS__
  ASAN_UNPOISON_MEMORY_REGION(w - shift, (size_t)(n + shift) * 4 + 64);
#endif
  (void)n;
  free(w - shift);
}

static int forward(const csr_t *x, const float *w, const float *b, float *y, int64_t units, int act, int sorted,
                   int tiles) {
  if (tiles)
    setenv("VARIA_NATIVE_SPARSE_TILES", "1", 1);
  else
    unsetenv("VARIA_NATIVE_SPARSE_TILES");
  return varia_sparse_forward(x->indptr, x->indices, x->values, x->rows, x->cols, w, b, y, units, act, 0.2f, sorted);
}

/* ---- check ---- */

static int64_t diffs, nan_pairs;

static void compare(const float *a, const float *b, int64_t n, const char *what, int64_t shape) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u, v;
    memcpy(&u, a + i, 4), memcpy(&v, b + i, 4);
    if (u == v) continue;
    if (a[i] != a[i] && b[i] != b[i]) {
      nan_pairs++;
      continue;
    }
    if (diffs++ < 10) printf("differ (%s, shape %lld): [%lld] %a vs %a\n", what, (long long)shape, (long long)i, a[i], b[i]);
  }
}

/* A random CSR: `density` of cells, duplicates (the same column twice in a row) and empty rows; values special with
 * probability often %. unsorted: some rows shuffled. */
static csr_t random_csr(int64_t rows, int64_t cols, double density, int often, int unsorted) {
  csr_t x = {.rows = rows, .cols = cols};
  const int64_t most = rows * (cols * 2 + 2) + 1;
  x.indptr = malloc((size_t)(rows + 1) * 4), x.indices = malloc((size_t)most * 4), x.values = malloc((size_t)most * 4);
  int64_t p = 0;
  x.indptr[0] = 0;
  for (int64_t i = 0; i < rows; i++) {
    const int64_t from = p;
    if (below(7) != 0)
      for (int64_t k = 0; k < cols; k++)
        if (unit() < density) {
          x.indices[p] = (int32_t)k, x.values[p++] = special(often);
          if (below(10) == 0) x.indices[p] = (int32_t)k, x.values[p++] = special(often); /* a duplicate */
        }
    if (unsorted && p - from > 1 && below(2) == 0)
      for (int64_t e = p - 1; e > from; e--) { /* Fisher–Yates over the row */
        const int64_t f = from + below(e - from + 1);
        const int32_t c = x.indices[e];
        const float v = x.values[e];
        x.indices[e] = x.indices[f], x.values[e] = x.values[f];
        x.indices[f] = c, x.values[f] = v;
      }
    x.indptr[i + 1] = (int32_t)p;
  }
  x.nnz = p;
  return x;
}

/* The rows of x with their entries stably sorted by column. */
static csr_t stably_sorted(const csr_t *x) {
  csr_t s = *x;
  s.indices = malloc((size_t)x->nnz * 4 + 4), s.values = malloc((size_t)x->nnz * 4 + 4);
  s.indptr = malloc((size_t)(x->rows + 1) * 4);
  memcpy(s.indptr, x->indptr, (size_t)(x->rows + 1) * 4);
  for (int64_t i = 0; i < x->rows; i++) { /* insertion sort: stable */
    for (int64_t e = x->indptr[i]; e < x->indptr[i + 1]; e++) {
      int64_t f = e;
      while (f > x->indptr[i] && s.indices[f - 1] > x->indices[e]) s.indices[f] = s.indices[f - 1], s.values[f] = s.values[f - 1], f--;
      s.indices[f] = x->indices[e], s.values[f] = x->values[e];
    }
  }
  return s;
}

static int check(void) {
  const int64_t unit_counts[] = {1, 3, 15, 16, 17, 31, 33, 64, 70, 128, 191, 200, 400, 530};
  for (int64_t shape = 0; shape < 600; shape++) {
    /* every 11th shape has many entries per row of W (the row kernel then reads an aligned copy of a shifted W) */
    const int64_t rows = shape % 50 == 0 ? 1 : shape % 11 == 0 ? 1500 : 1 + below(shape % 3 == 0 ? 300 : 80);
    const int64_t cols = 1 + below(shape % 11 == 0 ? 30 : shape % 4 == 0 ? 1200 : 100);
    const int64_t units = shape < 100 ? 1 + below(70) : unit_counts[below(14)];
    const double density = shape % 5 == 0 ? 0.6 : 0.02 + 0.3 * unit();
    const int often = shape % 3 == 0 ? 5 : 0, unsorted = shape % 7 == 0;
    csr_t x = random_csr(rows, cols, density, often, unsorted);
    const int shift = (int)below(16);
    float *w = weights(cols * units, 1.f, shape % 6 == 0 ? 2 : 0, shift);
    float *b = shape % 2 ? weights(units, 1.f, often, 0) : NULL;
    const int act = (int)(shape % 6);
    float *y0 = malloc((size_t)(rows * units) * 4), *y1 = malloc((size_t)(rows * units) * 4);
    int sorted = 1;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t e = x.indptr[i] + 1; e < x.indptr[i + 1]; e++) sorted &= x.indices[e] >= x.indices[e - 1];
    if (forward(&x, w, b, y0, units, act, sorted, 1) != 0) return 2;
    if (sorted) {
      for (int threads = 1; threads <= 2; threads++) {
        varia_set_parallel(threads, NULL);
        memset(y1, 0x55, (size_t)(rows * units) * 4);
        forward(&x, w, b, y1, units, act, 1, 0);
        compare(y0, y1, rows * units, threads == 1 ? "rows" : "rows, 2 threads", shape);
      }
      varia_set_parallel(1, NULL);
    } else {
      csr_t s = stably_sorted(&x);
      forward(&s, w, b, y1, units, act, 1, 0);
      compare(y0, y1, rows * units, "rows of a stably sorted copy", shape);
      csr_free(&s);
    }
    csr_free(&x), unshifted(w, cols * units, shift), unshifted(b, units, 0), free(y0), free(y1);
  }
  printf("%lld differences, %lld NaN pairs of other payloads\n", (long long)diffs, (long long)nan_pairs);
  return diffs != 0;
}

/* ---- bench ---- */

static double now(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Interleaved rounds of the tiles and the rows on `calls` products of row blocks of x (block rows each). */
static void ab(const char *name, const csr_t *x, int64_t block, int64_t units, int threads, int rounds, int shift) {
  float *w = weights(x->cols * units, 0.05f, 0, shift), *b = weights(units, 0.1f, 0, 0);
  float *y0 = malloc((size_t)(x->rows * units) * 4), *y1 = malloc((size_t)(x->rows * units) * 4);
  varia_set_parallel(threads, NULL);
  const clockid_t clock = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
  double t[2][64], ratio[64];
  for (int r = 0; r < rounds + 1; r++) {
    for (int k = 0; k < 2; k++) {
      float *y = k ? y1 : y0;
      const double t0 = now(clock);
      for (int64_t r0 = 0; r0 < x->rows; r0 += block) {
        const int64_t r1 = r0 + block < x->rows ? r0 + block : x->rows;
        csr_t part = {.rows = r1 - r0, .cols = x->cols, .indptr = malloc((size_t)(r1 - r0 + 1) * 4)};
        for (int64_t i = r0; i <= r1; i++) part.indptr[i - r0] = x->indptr[i] - x->indptr[r0];
        part.indices = x->indices + x->indptr[r0], part.values = x->values + x->indptr[r0];
        forward(&part, w, b, y + r0 * units, units, 1, 1, k == 0);
        free(part.indptr);
      }
      if (r > 0) t[k][r - 1] = now(clock) - t0;
    }
    if (r > 0) ratio[r - 1] = t[0][r - 1] / t[1][r - 1];
  }
  compare(y0, y1, x->rows * units, name, 0);
  const double flop = 2.0 * (double)x->nnz * (double)units;
  const double a = median(t[0], rounds), c = median(t[1], rounds), q = median(ratio, rounds);
  printf("%-40s W+%2d B %d thr  tiles %8.3f ms %6.1f GFLOP/s  rows %8.3f ms %6.1f GFLOP/s  tiles/rows %.2f×\n", name,
         4 * shift, threads,
         1e3 * a, flop / a * 1e-9, 1e3 * c, flop / c * 1e-9, q);
  varia_set_parallel(1, NULL);
  unshifted(w, x->cols * units, shift), unshifted(b, units, 0), free(y0), free(y1);
}

static int bench(int rounds, const char *mnist_path) {
  if (rounds > 63) rounds = 63;
  const int64_t n = 10000, px = 784;
  float *img = malloc((size_t)(n * px) * 4);
  FILE *f = fopen(mnist_path, "rb");
  if (!f || fread(img, 4, (size_t)(n * px), f) != (size_t)(n * px)) {
    printf("(no %s: random images of 19 %% non-zeros)\n", mnist_path);
    for (int64_t i = 0; i < n * px; i++) img[i] = unit() < 0.19 ? (float)unit() : 0.f;
  }
  if (f) fclose(f);
  csr_t mnist = csr_of(img, n, px);
  free(img);
  printf("MNIST: %lld × %lld, %.1f %% non-zero\n", (long long)n, (long long)px, 100.0 * (double)mnist.nnz / (double)(n * px));
  /* counts like bench/src/sparse-counts.ts: 20 types of 140 marker genes (each present with probability 1/2, 1 +
   * geometric counts of mean ≈ 3.5) and 30 noise genes of count 1, log1p */
  const int64_t genes = 2000;
  int32_t markers[20][140];
  for (int t = 0; t < 20; t++)
    for (int m = 0; m < 140; m++) markers[t][m] = (int32_t)below(genes);
  float *counts = calloc((size_t)(n * genes), 4);
  for (int64_t i = 0; i < n; i++) {
    const int t = (int)below(20);
    for (int m = 0; m < 140; m++)
      if (below(2)) counts[i * genes + markers[t][m]] += 1.f + floorf((float)(-log(1 - unit()) * 2.5));
    for (int m = 0; m < 30; m++) counts[i * genes + below(genes)] += 1.f;
  }
  for (int64_t i = 0; i < n * genes; i++) counts[i] = log1pf(counts[i]);
  csr_t cells = csr_of(counts, n, genes);
  free(counts);
  printf("counts: %lld × %lld, %.1f %% non-zero\n", (long long)n, (long long)genes,
         100.0 * (double)cells.nnz / (double)(n * genes));
  /* ONLY=mnist|counts [SHIFT=floats]: that 10,000-row shape only, one thread (for a profiler or a sweep of -D
   * KRANGE_BYTES, RANGE_ENTRIES, ROW_BLOCK) */
  const char *only = getenv("ONLY");
  if (only) {
    const int shift = getenv("SHIFT") ? atoi(getenv("SHIFT")) : 0; /* W's offset from a 64-byte boundary, floats */
    ab(only, strcmp(only, "mnist") == 0 ? &mnist : &cells, n, strcmp(only, "mnist") == 0 ? 400 : 128, 1, rounds, shift);
    rounds = 0;
  }
  for (int threads = 1; threads <= 2 && rounds > 0; threads++)
    for (int shift = 0; shift <= 2; shift += 2) {
      ab("MNIST 10,000 × 784 → 400 (encode)", &mnist, n, 400, threads, rounds, shift);
      ab("MNIST batches of 128 × 784 → 400", &mnist, 128, 400, threads, rounds, shift);
      ab("counts 10,000 × 2,000 → 128", &cells, n, 128, threads, rounds, shift);
      ab("counts batches of 128 × 2,000 → 128", &cells, 128, 128, threads, rounds, shift);
      ab("counts batches of 1,000 × 2,000 → 128", &cells, 1000, 128, threads, rounds, shift);
    }
  /* other shapes the kernel serves: wide and very sparse (30,000 genes at 0.5 %) → 64, and fewer than 16 units */
  float *sparse_genes = calloc((size_t)2000 * 30000, 4);
  for (int64_t i = 0; i < (int64_t)2000 * 30000; i++) sparse_genes[i] = unit() < 0.005 ? 1.f + (float)below(5) : 0.f;
  csr_t wide = csr_of(sparse_genes, 2000, 30000);
  free(sparse_genes);
  for (int threads = 1; threads <= 2 && rounds > 0; threads++) {
    ab("wide 2,000 × 30,000 at 0.5 % → 64", &wide, 2000, 64, threads, rounds, 2);
    ab("MNIST 10,000 × 784 → 10 (narrow)", &mnist, n, 10, threads, rounds, 0);
    ab("MNIST 1-row calls × 784 → 400", &mnist, 1, 400, threads, rounds < 3 ? rounds : 3, 2);
  }
  csr_free(&mnist), csr_free(&cells), csr_free(&wide);
  return diffs != 0;
}

int main(int argc, char **argv) {
  if (!varia_sparse_avx512()) {
    printf("needs a CPU with AVX-512F (and no VARIA_NATIVE_NO_AVX512)\n");
    return 2;
  }
  if (argc > 1 && strcmp(argv[1], "bench") == 0)
    return bench(argc > 2 ? atoi(argv[2]) : 15, argc > 3 ? argv[3] : "/tmp/s10/mnist.f32");
  return check();
}
