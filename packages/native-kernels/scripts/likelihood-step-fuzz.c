/*
 * Fuzzes the fused likelihood kernels' entry point (native/likelihood_step.c) and Log1p of counts (log1p_counts.c)
 * under AddressSanitizer and UBSan (run by hand, not in CI; ~5 minutes for 4,000 cases at load ~7):
 *
 *   N=native; gcc -O2 -g -std=c11 -fno-math-errno -fno-trapping-math -fsanitize=address,undefined \
 *     -fno-sanitize-recover=undefined -I$N -I/usr/include/node scripts/likelihood-step-fuzz.c $N/likelihood_step.c \
 *     $N/bernoulli_step.c $N/poisson_step.c $N/log1p_counts.c $N/math_kernels.c $N/parallel.c $N/sparse_tiles.c \
 *     $N/shared_passes.c -lm -lpthread -o /tmp/likelihood-fuzz && /tmp/likelihood-fuzz 4000
 *
 * and again with VARIA_NATIVE_NO_AVX512=1 for the portable loops: ASan does not see the reads of AVX-512's gather
 * instruction (a look-up without count_index.h's clamp reads past the table there unreported; the portable loop
 * reports it). (node_api.h from Node's headers: /usr/include/node or node-gyp's cache.) The N-API glue is replaced by
 * stubs that hand the entry point a malloc'd heap of exactly its length (so ASan sees any read or write past it) and
 * its 11 numbers: families in and out of range, rows 0–400 × columns 0–1,200 (and a few rows × 32,768+ columns, so that
 * rows are split between threads in uneven blocks), operands packed, flush against the heap's end, one past it,
 * misaligned, NaN, overlapping; tables of 0 … 1,500 entries and out of range; Bernoulli's σ given or not; values of x
 * and ℓ from counts, ±0, ±∞, NaN, subnormals, 2²³ ± 1 and random bit patterns; 1–3 threads.
 * Each case: the call is refused exactly when some operand is outside the heap, misaligned, or an output overlaps an
 * input or the other output (the rule restated here, independently of the entry point), a refused call changes no
 * byte, a call that runs changes no byte outside its two outputs, and on 2–3 threads it gives the bytes and the miss
 * count of 1 thread. Then log1p_counts against varia_log1p bit for bit on mixes of counts and other values, out of
 * place, in place and overlapping. Prints the counts and exits 1 on any problem (sanitizer reports abort).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "likelihood_step.h"
#include "log1p_counts.h"
#include "napi_util.h"
#include "parallel.h"

napi_value varia_napi_likelihood_step(napi_env env, napi_callback_info info);

/* ---- the N-API glue, stubbed ---- */
static unsigned char *heap;
static size_t heap_length;
static double args[11];
static const char *thrown;
static double returned;

int varia_heap_and_array(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                         const double **out) {
  (void)env, (void)info;
  if (count != 11) abort();
  *data = heap, *length = heap_length, *out = args;
  return 1;
}
napi_value varia_throw_error(napi_env env, const char *message) {
  (void)env;
  thrown = message;
  return NULL;
}
napi_status napi_create_double(napi_env env, double v, napi_value *out) {
  (void)env;
  returned = v;
  *out = (napi_value)&returned;
  return napi_ok;
}
napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *), void *arg) {
  (void)env, (void)fun, (void)arg;
  return napi_ok;
}
/* napi_util.c's two checks, as written there */
int varia_in_bounds(double off, double count, size_t length) {
  return off >= 0 && count >= 0 && fmod(off, 4.0) == 0 && off + count * 4.0 <= (double)length;
}
int varia_whole(double v) { return v >= 0 && v == floor(v) && v <= 4294967296.0; }

/* ---- random cases ---- */
static uint64_t state = 88172645463325252ull;
static uint64_t rnd(void) {
  state ^= state << 13, state ^= state >> 7, state ^= state << 17;
  return state;
}
static double unif(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }
static double pick(const double *v, int n) { return v[rnd() % (uint64_t)n]; }

static float value(void) {
  switch (rnd() % 12) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return -0.f;
    case 4: return (float)(rnd() % 1100);
    case 5: return (float)(rnd() % 3);
    case 6: return 1e-40f;
    case 7: {
      const uint32_t b = (uint32_t)rnd();
      float f;
      memcpy(&f, &b, 4);
      return f;
    }
    case 8: return (float)(unif() * 200 - 100);
    case 9: return 8388607.f + (float)(rnd() % 4);
    default: return (float)(rnd() % 20);
  }
}

/* An offset for a region of `count` floats: mostly aligned and inside, sometimes at or past the end or malformed. */
static double offset(double count) {
  const double room = (double)heap_length - count * 4;
  switch (rnd() % 16) {
    case 0: return -4;
    case 1: return NAN;
    case 2: return (double)(rnd() % (heap_length + 1)) + 1;
    case 3: return room;
    case 4: return room + 4;
    default: return room < 0 ? 0 : 4 * floor(unif() * (room / 4 + 1));
  }
}

static int apart(double a, double n, double b, double m) {
  return n == 0 || m == 0 || a + n * 4 <= b || b + m * 4 <= a;
}

/* Whether the entry point must run the call (args as set): the contract, restated. */
static int acceptable(void) {
  const double *a = args, rows = a[1], size = a[1] * a[2];
  if (!(a[0] == 0 || a[0] == 1) || !varia_whole(a[1]) || !varia_whole(a[2])) return 0;
  const int table = a[8] >= 0, aux = a[10] >= 0;
  if (a[0] == 1 && !table) return 0;
  if (table && !(a[9] >= 1 && a[9] <= 16777216 && a[9] == floor(a[9]))) return 0;
  if (!varia_in_bounds(a[4], size, heap_length) || !varia_in_bounds(a[5], size, heap_length) ||
      !varia_in_bounds(a[6], rows, heap_length) || !varia_in_bounds(a[7], size, heap_length) ||
      (table && !varia_in_bounds(a[8], a[9], heap_length)) || (aux && !varia_in_bounds(a[10], size, heap_length)))
    return 0;
  const double ins[4][2] = {{a[4], size}, {a[5], size}, {a[8], table ? a[9] : 0}, {a[10], aux ? size : 0}};
  for (int i = 0; i < 4; i++)
    if (!apart(a[6], rows, ins[i][0], ins[i][1]) || !apart(a[7], size, ins[i][0], ins[i][1])) return 0;
  return apart(a[6], rows, a[7], size);
}

/* One random case; returns the problems found (0 or 1) and counts what happened. */
static int one_case(int index, long *ran, long *refused, long *thread_checks) {
  const int threads = 1 + (int)(rnd() % 3);
  varia_set_parallel(threads, NULL);
  const double bad_families[] = {-1, 2, 0.5, NAN, 1e300}, bad_rows[] = {4294967296.0, 1e20, -1, 1.5, NAN};
  const double bad_tables[] = {0, 1, 16777217.0, -1, 2.5, NAN};
  const double family = rnd() % 20 ? (double)(rnd() % 2) : pick(bad_families, 5);
  double rows = (double)(rnd() % 80), cols = (double)(rnd() % 1200);
  if (rnd() % 10 == 0) rows = 0;
  if (rnd() % 10 == 0) cols = 0;
  if (rnd() % 3 == 0) rows = (double)(100 + rnd() % 300), cols = (double)(rnd() % 700);
  if (rnd() % 8 == 0) rows = (double)(1 + rnd() % 40), cols = (double)(32768 + rnd() % 40000);
  if (rnd() % 50 == 0) rows = pick(bad_rows, 5);
  const int poisson = family == 1;
  const double table_size = rnd() % 20 ? (double)(1 + rnd() % 1500) : pick(bad_tables, 6);
  const int has_aux = !poisson && rnd() % 3 == 0, has_table = poisson ? rnd() % 30 != 0 : rnd() % 10 == 0;
  const double size = rows * cols;
  const double n = size >= 0 && size < 5e6 ? size : 0, r = rows >= 0 && rows < 5e6 ? rows : 0;
  const double t = table_size > 0 && table_size < 1e5 ? table_size : 0;
  heap_length = (size_t)((n * 4 + r + t + 80) * 4) + (rnd() % 64) * 4 + rnd() % 4;
  heap = malloc(heap_length);
  unsigned char *before = malloc(heap_length), *result = malloc(heap_length);
  if (!heap || !before || !result) abort();
  for (size_t i = 0; i + 4 <= heap_length; i += 4) {
    const float v = value();
    memcpy(heap + i, &v, 4);
  }
  memcpy(before, heap, heap_length);
  args[0] = family, args[1] = rows, args[2] = cols, args[3] = rnd() % 5 ? -1.0 / 128 : (double)value();
  if (rnd() % 3) { /* packed one after another (with gaps), sometimes pushed against the heap's end */
    const double counts[5] = {n, n, r, n, has_table ? t : 0};
    double at = 0;
    for (int k = 0; k < 5; k++) args[4 + k] = at, at += 4 * counts[k] + 4 * (double)(rnd() % 3);
    args[10] = has_aux ? at : -1;
    const double slack = 4 * floor(((double)heap_length - at - (has_aux ? 4 * n : 0)) / 4);
    if (rnd() % 4 == 0 && slack > 0)
      for (int k = 4; k <= 10; k++)
        if (k != 9 && args[k] >= 0) args[k] += slack;
  } else {
    args[4] = offset(n), args[5] = offset(n), args[6] = offset(r), args[7] = offset(n);
    args[8] = offset(t), args[10] = has_aux ? offset(n) : -1;
  }
  if (!has_table && rnd() % 10) args[8] = -1;
  if (rnd() % 40 == 0) args[7] = args[6];
  if (rnd() % 40 == 0) args[7] = args[4];
  args[9] = has_table ? table_size : 0;

  int problems = 0;
  const int expected = acceptable();
  thrown = NULL;
  varia_napi_likelihood_step(NULL, NULL);
  if (expected != (thrown == NULL)) {
    printf("case %d: %s (family %g, rows %g, cols %g)\n", index, thrown ? thrown : "ran where it must refuse", family,
           rows, cols);
    problems = 1;
  } else if (thrown) {
    (*refused)++;
    if (memcmp(before, heap, heap_length)) printf("case %d: a refused call changed the heap\n", index), problems = 1;
  } else {
    (*ran)++;
    for (size_t i = 0; i < heap_length && !problems; i++) {
      const double b = (double)i;
      const int output = (b >= args[6] && b < args[6] + rows * 4) || (b >= args[7] && b < args[7] + size * 4);
      if (!output && before[i] != heap[i])
        printf("case %d: byte %zu outside the outputs changed\n", index, i), problems = 1;
    }
    if (threads > 1 && size > 0) { /* the same bytes and misses on one thread */
      const double misses = returned;
      memcpy(result, heap, heap_length);
      memcpy(heap, before, heap_length);
      varia_set_parallel(1, NULL);
      varia_napi_likelihood_step(NULL, NULL);
      if (memcmp(result, heap, heap_length) || misses != returned)
        printf("case %d: %d threads differ from 1 (rows %g, cols %g)\n", index, threads, rows, cols), problems = 1;
      (*thread_checks)++;
    }
  }
  free(before), free(result), free(heap);
  return problems;
}

/* log1p_counts against varia_log1p, bit for bit: out of place, in place, and y overlapping x ahead of it. */
static int log1p_case(void) {
  const int64_t n = (int64_t)(rnd() % 2000), total = 2 * n + 8;
  float *x = malloc((size_t)total * 4), *want = malloc((size_t)total * 4), *y = malloc((size_t)total * 4);
  if (!x || !want || !y) abort();
  const int counts_only = rnd() % 4 == 0;
  for (int64_t i = 0; i < total; i++) x[i] = counts_only || rnd() % 50 ? (float)(rnd() % 1030) : value();
  memcpy(want, x, (size_t)total * 4);
  int bad = 0;
  switch (rnd() % 3) {
    case 0:
      varia_log1p(x, want, n), varia_log1p_counts(x, y, n);
      bad = memcmp(want, y, (size_t)n * 4) != 0;
      break;
    case 1:
      varia_log1p(want, want, n), varia_log1p_counts(x, x, n);
      bad = memcmp(want, x, (size_t)total * 4) != 0;
      break;
    default: {
      const int64_t shift = 1 + (int64_t)(rnd() % 8);
      varia_log1p(want + shift, want, n), varia_log1p_counts(x + shift, x, n);
      bad = memcmp(want, x, (size_t)total * 4) != 0;
    }
  }
  free(x), free(want), free(y);
  return bad;
}

int main(int argc, char **argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 4000;
  long ran = 0, refused = 0, thread_checks = 0, problems = 0, log1p_problems = 0;
  for (int i = 0; i < cases; i++) problems += one_case(i, &ran, &refused, &thread_checks);
  for (int i = 0; i < cases / 4; i++) log1p_problems += log1p_case();
  printf("likelihoodStep: %ld ran, %ld refused, %ld compared with 1 thread, %ld problems; log1p_counts: %d cases, %ld "
         "problems\n",
         ran, refused, thread_checks, problems, cases / 4, log1p_problems);
  return problems || log1p_problems;
}
