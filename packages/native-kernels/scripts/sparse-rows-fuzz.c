/*
 * Hand-run fuzz of the sparse forward product's row kernel (sparse_rows.c, reached through varia_sparse_forward with
 * sorted rows, so with the aligned copy of W where sparse_tiles.c makes one) against a scalar reference written from
 * its specification: y_i = b (or +0), then fmaf(x_e, W[k_e, j], y) over row i's entries in order (linear output).
 * W, the bias, y and the CSR arrays each lie against a PROT_NONE page — W alternately with its last byte before the
 * guard) and its first byte after one, at every 4-byte offset from a 64-byte boundary — and the bytes around y are
 * checked unwritten. One and two threads. (The row kernel's aligned loads of W's neighbouring rows stay inside the
 * 64-byte line of W's first or last byte, so they cannot fault at a guard page: scripts/sparse-forward-check.c's
 * ASan poisoning checks that no whole-register load leaves W.)
 *
 *   N=native; gcc -O1 -g -std=c11 -march=native -fno-math-errno -fno-trapping-math -fsanitize=address,undefined \
 *     -fno-sanitize-recover=undefined -I$N -I/usr/include/node scripts/sparse-rows-fuzz.c $N/sparse_tiles.c \
 *     $N/sparse_rows.c $N/parallel.c $N/math_kernels.c $N/shared_passes.c -lm -lpthread -o /tmp/sparse-rows-fuzz
 *   /tmp/sparse-rows-fuzz [products = 20000] [seed = 1]
 *
 * Two NaNs count as equal (IEEE 754 does not fix the payload of a NaN made from two). Exit status 1 on a difference.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "parallel.h"
#include "sparse_tiles.h"

/* The N-API function sparse_tiles.c refers to (never called here). */
napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *), void *arg) {
  (void)env, (void)fun, (void)arg;
  return napi_generic_failure;
}

static float value(void) {
  const int64_t u = below(200);
  if (u == 0) return NAN;
  if (u == 1) return next() & 1 ? INFINITY : -INFINITY;
  if (u == 2) return next() & 1 ? 0.f : -0.f;
  if (u == 3) return (float)ldexp(uniform(), -126); /* subnormal */
  const float v = (float)ldexp(1 + uniform(), (int)below(13) - 6);
  return next() & 1 ? -v : v;
}
static int same(float a, float b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, 4) == 0; }

static const int64_t UNITS[] = {16, 32, 48, 64, 80, 96, 112, 128, 208, 224, 400, 416, 1, 3, 15, 17, 33, 100, 401};

int main(int argc, char **argv) {
  const long products = argc > 1 ? atol(argv[1]) : 20000;
  if (argc > 2) reseed((uint64_t)atoll(argv[2]));
  long failed = 0, outputs = 0;
  for (long t = 0; t < products; t++) {
    if (t == products / 2 && varia_set_parallel(2, NULL) != 0) return 3;
    const int64_t units = UNITS[below(sizeof UNITS / sizeof *UNITS)];
    const int64_t in_dim = below(4) == 0 ? 1 + below(4) : 1 + below(below(5) == 0 ? 3000 : 300);
    /* a narrow W with many rows: past sparse_tiles.c's threshold for the aligned copy of W (256 entries per row) */
    const int64_t rows = in_dim <= 4 && below(2) ? 1 + below(1500) : below(5) == 0 ? 1 + below(300) : 1 + below(40);
    const double density = below(4) == 0 ? 0.5 : below(2) ? 0.05 : 0.2;
    /* the CSR: sorted columns, duplicates sometimes */
    int32_t *indptr0 = malloc((size_t)(rows + 1) * 4), *indices0 = malloc((size_t)(rows * in_dim * 2 + 1) * 4);
    int64_t nnz = 0;
    indptr0[0] = 0;
    for (int64_t i = 0; i < rows; i++) {
      for (int64_t k = 0; k < in_dim; k++) {
        if (uniform() >= density) continue;
        indices0[nnz++] = (int32_t)k;
        if (below(20) == 0) indices0[nnz++] = (int32_t)k;
      }
      if (below(6) == 0) { /* an entry in W's first or last row */
        int64_t e = indptr0[i];
        const int32_t k = below(2) ? 0 : (int32_t)(in_dim - 1);
        while (e < nnz && indices0[e] < k) e++;
        memmove(indices0 + e + 1, indices0 + e, (size_t)(nnz - e) * 4);
        indices0[e] = k;
        nnz++;
      }
      indptr0[i + 1] = (int32_t)nnz;
    }
    guard_t mp, mi, mv, mw, mb, my;
    int32_t *indptr = guarded(&mp, (size_t)(rows + 1) * 4, 1, 0, 4);
    int32_t *indices = guarded(&mi, (size_t)nnz * 4, 1, 0, 4);
    float *values = guarded(&mv, (size_t)nnz * 4, 1, 0, 4);
    const int w_after = (int)below(2);
    const size_t wbytes = (size_t)(in_dim * units) * 4;
    /* W's start 4·s bytes past a 64-byte boundary */
    const size_t s = (size_t)below(16) * 4, tail = (64 - (wbytes + s) % 64) % 64;
    float *w = guarded(&mw, wbytes, w_after, w_after ? tail : s, 4);
    const int has_bias = below(4) != 0;
    float *bias = has_bias ? guarded(&mb, (size_t)units * 4, (int)below(2), 0, 4) : NULL;
    /* y with 64 spare bytes on each side, checked untouched */
    float *ypad = guarded(&my, (size_t)(rows * units) * 4 + 128, 1, 0, 4), *y = ypad + 16;
    memcpy(indptr, indptr0, (size_t)(rows + 1) * 4);
    memcpy(indices, indices0, (size_t)nnz * 4);
    for (int64_t e = 0; e < nnz; e++) values[e] = value();
    for (int64_t i = 0; i < in_dim * units; i++) w[i] = value();
    for (int64_t j = 0; has_bias && j < units; j++) bias[j] = value();
    memset(ypad, 0x5A, (size_t)(rows * units) * 4 + 128);
    if (varia_sparse_forward(indptr, indices, values, rows, in_dim, w, bias, y, units, 0, 0.f, 1) != 0) return 4;
    long bad = 0;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < units; j++) {
        float acc = has_bias ? bias[j] : 0.f;
        for (int32_t e = indptr[i]; e < indptr[i + 1]; e++) acc = fmaf(values[e], w[(int64_t)indices[e] * units + j], acc);
        bad += !same(acc, y[i * units + j]);
      }
    const unsigned char *p = (const unsigned char *)ypad, *q = (const unsigned char *)(y + rows * units);
    for (int b = 0; b < 64; b++) bad += (p[b] != 0x5A) + (q[b] != 0x5A);
    outputs += rows * units;
    if (bad) {
      printf("product %ld: rows %ld in_dim %ld units %ld nnz %ld W %s +%zu bias %d threads %d: %ld differ\n", t,
             (long)rows, (long)in_dim, (long)units, (long)nnz, w_after ? "at end" : "at start", s, has_bias,
             varia_parallel(), bad);
      failed++;
    }
    guard_unmap(&mp), guard_unmap(&mi), guard_unmap(&mv), guard_unmap(&mw), guard_unmap(&my);
    if (has_bias) guard_unmap(&mb);
    free(indptr0), free(indices0);
  }
  printf("%ld products (%ld outputs), half on two threads: %ld failed\n", products, outputs, failed);
  return failed ? 1 : 0;
}
