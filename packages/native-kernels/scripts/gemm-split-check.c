/*
 * Checks native/gemm_split.c's rule against oneDNN itself: for random products (all four transposes, beta 0 and 1,
 * plain and padded leading dimensions, multiples of 256 and 1024 among them, K up to 2,000 with most above 768) and
 * random cuts of C's rows or columns, every cut that varia_onednn_block_exact accepts must give the whole product's
 * bits; and every plan of varia_gemm_plan_two must too. Counts the cuts that it refuses but that would have agreed.
 *
 *   gcc -O2 -Inative scripts/gemm-split-check.c native/gemm_split.c -ldl -o /tmp/gemm-split-check
 *   OMP_NUM_THREADS=1 /tmp/gemm-split-check [shapes=2000] [seed=1]
 *
 * Exit status 1 when an accepted cut or a plan differs in any bit.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_split.h"

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

/* One block [first, first + size) of rows (axis 0) or columns (axis 1) of s, into c (C's leading dimension kept). */
static void block(const varia_gemm_shape_t *s, int axis, int64_t first, int64_t size, const float *a, const float *b,
                  float beta, float *c) {
  const int64_t M = axis ? s->M : size, N = axis ? size : s->N;
  const float *ab = axis ? a : (s->ta ? a + first : a + first * s->lda);
  const float *bb = axis ? (s->tb ? b + first * s->ldb : b + first) : b;
  float *cb = axis ? c + first : c + first * s->ldc;
  sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', M, N, s->K, 1.f, ab, s->lda, bb, s->ldb, beta, cb, s->ldc);
}

int main(int argc, char **argv) {
  const int shapes = argc > 1 ? atoi(argv[1]) : 2000;
  state += argc > 2 ? (uint64_t)atoll(argv[2]) : 1;
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(sgemm = (sgemm_fn)dlsym(lib, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 2;
  }
  const size_t cap = (size_t)1 << 23;
  float *a = malloc(cap * 4), *b = malloc(cap * 4), *whole = malloc(cap * 4), *split = malloc(cap * 4),
        *c0 = malloc(cap * 4);
  for (size_t i = 0; i < cap; i++) {
    a[i] = value();
    b[i] = value();
    c0[i] = value();
  }
  long accepted = 0, wrong = 0, refused = 0, refused_equal = 0, plans = 0, plans_wrong = 0;
  for (int t = 0; t < shapes; t++) {
    varia_gemm_shape_t s = {.ta = (int)below(2), .tb = (int)below(2)};
    s.M = 1 + below(below(4) ? 300 : 1200);
    s.N = 1 + below(below(4) ? 600 : 1500);
    s.K = below(4) ? 769 + below(1300) : 1 + below(768);
    const int pad = (int)below(4);
    const int64_t rows_a = s.ta ? s.K : s.M, cols_a = s.ta ? s.M : s.K, rows_b = s.tb ? s.N : s.K,
                  cols_b = s.tb ? s.K : s.N;
    s.lda = pad == 0 ? cols_a + below(40) : pad == 1 ? ((cols_a + 255) / 256) * 256 : cols_a;
    s.ldb = pad == 2 ? ((cols_b + 1023) / 1024) * 1024 : pad == 0 ? cols_b + below(40) : cols_b;
    s.ldc = pad == 3 && below(2) ? ((s.N + 255) / 256) * 256 : s.N;
    if ((size_t)(rows_a * s.lda) > cap || (size_t)(rows_b * s.ldb) > cap || (size_t)(s.M * s.ldc) > cap) continue;
    const float beta = below(2) ? 1.f : 0.f;
    const size_t cn = (size_t)(s.M * s.ldc) * 4;
    memcpy(whole, c0, cn);
    sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.M, s.N, s.K, 1.f, a, s.lda, b, s.ldb, beta, whole, s.ldc);
    /* one random cut per axis: two blocks */
    for (int axis = 0; axis < 2; axis++) {
      const int64_t total = axis ? s.N : s.M;
      if (total < 2) continue;
      const int64_t cut = 1 + below(total - 1);
      const int ok = varia_onednn_block_exact(&s, axis, cut) && varia_onednn_block_exact(&s, axis, total - cut);
      memcpy(split, c0, cn);
      block(&s, axis, 0, cut, a, b, beta, split);
      block(&s, axis, cut, total - cut, a, b, beta, split);
      const int same = memcmp(split, whole, cn) == 0;
      if (ok) {
        accepted++;
        if (!same) {
          wrong++;
          printf("DIFFERS: %c%c M %ld N %ld K %ld lda %ld ldb %ld ldc %ld axis %d cut %ld\n", s.ta ? 'T' : 'N',
                 s.tb ? 'T' : 'N', (long)s.M, (long)s.N, (long)s.K, (long)s.lda, (long)s.ldb, (long)s.ldc, axis,
                 (long)cut);
        }
      } else {
        refused++;
        refused_equal += same;
      }
    }
    /* the plan for a random head start */
    varia_gemm_split_t plan;
    if (varia_gemm_plan_two(&s, (double)below(1 + s.M * s.N * s.K / 2), &plan) > 0) {
      plans++;
      memcpy(split, c0, cn);
      for (int k = 0; k < plan.count; k++)
        block(&s, plan.axis, plan.bound[k], plan.bound[k + 1] - plan.bound[k], a, b, beta, split);
      if (memcmp(split, whole, cn) != 0) {
        plans_wrong++;
        printf("PLAN DIFFERS: %c%c M %ld N %ld K %ld\n", s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', (long)s.M, (long)s.N,
               (long)s.K);
      }
    }
  }
  printf("cuts accepted %ld (differing %ld), refused %ld (of which %ld agreed anyway); plans %ld (differing %ld)\n",
         accepted, wrong, refused, refused_equal, plans, plans_wrong);
  return wrong || plans_wrong ? 1 : 0;
}
