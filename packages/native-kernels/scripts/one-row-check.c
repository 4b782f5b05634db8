/*
 * Does the loaded BLAS give a one-row product (op(A) with M = 1) the bits that row gets among others? For NN, NT, TN,
 * TT, beta 0 and 1, a few shapes: C1 = op(a)·op(B) with M = 1 against row 0 (and row r) of the same row in an M-row
 * product (M = 2, 3, 16, 64), and N = 1 (a column vector) against column 0 of N = 2 … 64. Prints the elements that
 * differ per case.
 *
 *   gcc -O2 -Inative scripts/one-row-check.c -ldl -lm -o /tmp/one-row-check
 *   OMP_NUM_THREADS=1 /tmp/one-row-check onednn        # libdnnl.so.2's dnnl_sgemm
 *   OPENBLAS_NUM_THREADS=1 /tmp/one-row-check openblas # libopenblas.so.0's cblas_sgemm (OPENBLAS_CORETYPE as set)
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef int (*dnnl_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                       float, float *, int64_t);
typedef void (*cblas_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
static dnnl_fn dnnl;
static cblas_fn cblas;

static void gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  if (dnnl) dnnl(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, a, lda, b, ldb, beta, c, ldc);
  else cblas(101, ta ? 112 : 111, tb ? 112 : 111, (int)M, (int)N, (int)K, 1.f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
static float wide(void) {
  const float v = (float)ldexp(1 + uniform(), (int)(next() % 13) - 10);
  return next() & 1 ? -v : v;
}

/* op(A) rows: M × K; row r of op(A) is row[r]. Returns the count of C1's elements that differ from row `at` of C. */
static int64_t one_row(int ta, int tb, int64_t M, int64_t N, int64_t K, float beta, int at) {
  float *rows = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N * K);
  float *a = malloc(sizeof(float) * M * K), *a1 = malloc(sizeof(float) * K);
  float *c = malloc(sizeof(float) * M * N), *c1 = malloc(sizeof(float) * N);
  for (int64_t i = 0; i < M * K; i++) rows[i] = wide();
  for (int64_t i = 0; i < N * K; i++) b[i] = wide();
  for (int64_t i = 1; i < M; i++) /* row `at` is a copy of row 0 */
    if (i == at) memcpy(rows + i * K, rows, sizeof(float) * K);
  for (int64_t i = 0; i < M; i++)
    for (int64_t k = 0; k < K; k++) a[ta ? k * M + i : i * K + k] = rows[i * K + k];
  for (int64_t k = 0; k < K; k++) a1[k] = rows[k];
  for (int64_t j = 0; j < N; j++) c1[j] = wide();
  for (int64_t i = 0; i < M; i++) memcpy(c + i * N, c1, sizeof(float) * N);
  gemm(ta, tb, M, N, K, a, ta ? M : K, b, tb ? K : N, beta, c, N);
  gemm(ta, tb, 1, N, K, a1, ta ? 1 : K, b, tb ? K : N, beta, c1, N);
  int64_t differ = 0;
  for (int64_t j = 0; j < N; j++) differ += memcmp(c1 + j, c + at * N + j, 4) != 0;
  free(rows), free(b), free(a), free(a1), free(c), free(c1);
  return differ;
}

/* N = 1: column 0 of an N-column product against the one-column product (B's column 0 the same). */
static int64_t one_column(int ta, int tb, int64_t M, int64_t N, int64_t K, float beta) {
  float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N * K), *b1 = malloc(sizeof(float) * K);
  float *c = malloc(sizeof(float) * M * N), *c1 = malloc(sizeof(float) * M);
  for (int64_t i = 0; i < M * K; i++) a[i] = wide();
  for (int64_t i = 0; i < N * K; i++) b[i] = wide();
  for (int64_t k = 0; k < K; k++) b1[k] = b[tb ? k : k * N];
  for (int64_t i = 0; i < M; i++) c1[i] = wide();
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) c[i * N + j] = c1[i];
  gemm(ta, tb, M, N, K, a, ta ? M : K, b, tb ? K : N, beta, c, N);
  gemm(ta, tb, M, 1, K, a, ta ? M : K, b1, tb ? K : 1, beta, c1, 1);
  int64_t differ = 0;
  for (int64_t i = 0; i < M; i++) differ += memcmp(c1 + i, c + i * N, 4) != 0;
  free(a), free(b), free(b1), free(c), free(c1);
  return differ;
}

int main(int argc, char **argv) {
  const int onednn = argc < 2 || strcmp(argv[1], "openblas");
  void *lib = dlopen(onednn ? "libdnnl.so.2" : "libopenblas.so.0", RTLD_NOW);
  if (!lib) return fprintf(stderr, "%s\n", dlerror()), 2;
  if (onednn) dnnl = (dnnl_fn)dlsym(lib, "dnnl_sgemm");
  else cblas = (cblas_fn)dlsym(lib, "cblas_sgemm");
  const int64_t shapes[][2] = {{784, 400}, {400, 784}, {20, 400}, {400, 20}, {64, 64}, {2000, 128}, {5, 3}, {1000, 17}};
  const int64_t Ms[] = {2, 3, 16, 64};
  for (int t = 0; t < 4; t++) {
    const int ta = t >> 1, tb = t & 1;
    for (int s = 0; s < 8; s++)
      for (int be = 0; be < 2; be++) {
        const int64_t K = shapes[s][0], N = shapes[s][1];
        printf("%c%c K %4lld N %4lld beta %d: M=1 vs row of M", ta ? 'T' : 'N', tb ? 'T' : 'N', (long long)K,
               (long long)N, be);
        for (int m = 0; m < 4; m++)
          printf(" %lld:%lld", (long long)Ms[m], (long long)one_row(ta, tb, Ms[m], N, K, (float)be, (int)(Ms[m] - 1)));
        printf(" | N=1 vs col of N (M 64)");
        const int64_t Ns[] = {2, 16, 64};
        for (int n = 0; n < 3; n++) printf(" %lld:%lld", (long long)Ns[n], (long long)one_column(ta, tb, 64, Ns[n], K, (float)be));
        printf("\n");
      }
  }
  return 0;
}
