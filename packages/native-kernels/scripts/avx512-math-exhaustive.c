/*
 * Checks native/avx512_math.h against math_kernels.c's loops and the fused likelihood rows' AVX-512 pass against their
 * portable pass (run by hand, not in CI; ~2 minutes on this project's Xeon, on a CPU with AVX-512F only):
 *
 *   N=native; gcc -O2 -std=c11 -fno-math-errno -fno-trapping-math -I$N -I/usr/include/node \
 *     scripts/avx512-math-exhaustive.c $N/likelihood_step.c $N/bernoulli_step.c $N/poisson_step.c $N/math_kernels.c \
 *     $N/parallel.c $N/sparse_tiles.c $N/shared_passes.c -lm -lpthread -o /tmp/avx512-math && /tmp/avx512-math
 *
 * 1. softplus, σ and e^x of all 2³² float32 bit patterns, one vector and four at a time, against math_kernels.c's loops
 *    (varia_softplus, varia_sigmoid and varia_exp with VARIA_NATIVE_NO_AVX512=1; their own references are in the
 *    package's tests: tfjs-wasm's kernels, float64): every bit, NaN payloads included.
 * 2. varia_bernoulli_rows and varia_poisson_rows with the AVX-512 pass and with VARIA_NATIVE_NO_AVX512=1 on rows of
 *    1 … 2,000 columns whose values are edges (±0, ±∞, NaNs of both signs, subnormals, the limits of e^x and σ), random
 *    bit patterns and random numbers; σ given or not; misses: every bit of sums and dout, NaN payloads included, and
 *    the miss counts (a Poisson call with misses, whose outputs the caller discards: any NaN for any NaN).
 * Prints the counts of differences and exits 1 on any. `avx512-math rows` runs part 2 only (seconds).
 */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avx512_math.h"
#include "likelihood_step.h"
#include "napi_util.h"

/* The N-API glue the linked files name, never called here (the script calls the rows functions directly). */
int varia_heap_and_array(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                         const double **out) {
  (void)env, (void)info, (void)count, (void)data, (void)length, (void)out;
  abort();
}
napi_value varia_throw_error(napi_env env, const char *message) {
  (void)env, (void)message;
  abort();
}
int varia_in_bounds(double offset, double count, size_t length) {
  (void)offset, (void)count, (void)length;
  abort();
}
int varia_whole(double v) {
  (void)v;
  abort();
}
napi_status napi_create_double(napi_env env, double v, napi_value *out) {
  (void)env, (void)v, (void)out;
  abort();
}
napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *), void *arg) {
  (void)env, (void)fun, (void)arg;
  abort();
}

#if !VARIA_AVX512_MATH
int main(void) {
  puts("no AVX-512 intrinsics on this compiler/architecture: nothing to check");
  return 0;
}
#else

typedef void (*lanes_fn)(const __m512 *x, __m512 *y, int u);

/* f over n (a multiple of 64) values, four vectors at a time when four, else one */
__attribute__((target("avx512f"))) static void run_lanes(lanes_fn f, const float *x, float *y, int64_t n, int four) {
  for (int64_t i = 0; i < n; i += four ? 64 : 16) {
    __m512 a[4], b[4];
    const int u = four ? 4 : 1;
    for (int k = 0; k < u; k++) a[k] = _mm512_loadu_ps(x + i + 16 * k);
    if (four) f(a, b, 4);
    else f(a, b, 1);
    for (int k = 0; k < u; k++) _mm512_storeu_ps(y + i + 16 * k, b[k]);
  }
}
__attribute__((target("avx512f"))) static void softplus_lanes(const __m512 *x, __m512 *y, int u) {
  if (u == 4) varia_softplus16(x, y, 4);
  else varia_softplus16(x, y, 1);
}
__attribute__((target("avx512f"))) static void sigmoid_lanes(const __m512 *x, __m512 *y, int u) {
  if (u == 4) varia_sigmoid16(x, y, 4);
  else varia_sigmoid16(x, y, 1);
}
__attribute__((target("avx512f"))) static void exp_lanes(const __m512 *x, __m512 *y, int u) {
  if (u == 4) varia_exp16(x, y, 4);
  else varia_exp16(x, y, 1);
}

static uint64_t exhaustive(const char *name, lanes_fn lanes, void (*scalar)(const float *, float *, int64_t)) {
  enum { B = 1 << 20 };
  uint32_t *x = aligned_alloc(64, B * 4), *want = aligned_alloc(64, B * 4), *got = aligned_alloc(64, B * 4);
  uint64_t bad = 0;
  for (int four = 0; four < 2; four++)
    for (uint64_t base = 0; base < (1ull << 32); base += B) {
      for (uint32_t i = 0; i < B; i++) x[i] = (uint32_t)(base + i);
      scalar((const float *)x, (float *)want, B);
      run_lanes(lanes, (const float *)x, (float *)got, B, four);
      for (uint32_t i = 0; i < B; i++)
        if (want[i] != got[i] && bad++ < 5)
          printf("  %s (%d at a time) of 0x%08x: 0x%08x, want 0x%08x\n", name, four ? 4 : 1, x[i], got[i], want[i]);
    }
  printf("%s: %llu differences on 2 × 2^32 inputs\n", name, (unsigned long long)bad);
  free(x), free(want), free(got);
  return bad;
}

static uint32_t state = 12345;
static uint32_t next(void) {
  state ^= state << 13, state ^= state >> 17, state ^= state << 5;
  return state;
}
static float edge(void) {
  static const float e[] = {0.f,     -0.f,      INFINITY, -INFINITY, NAN,      -NAN,      1e-45f,   -1e-45f, 1e-39f,
                            -1e-39f, 88.72284f, 88.8f,    -103.973f, -104.f,   87.3365f,  -87.3365f, 100.f,  -100.f,
                            3.4e38f, -3.4e38f,  0.5f,     1.f,       2.f,      8388608.f, 8388609.f};
  return e[next() % (sizeof e / sizeof e[0])];
}
static float value(float scale) {
  const uint32_t u = next();
  float f;
  switch (u % 4) {
    case 0:
      memcpy(&f, &u, 4);
      return f;
    case 1:
      return edge();
    default:
      return ((float)(next() >> 8) / 16777216.f - 0.5f) * scale;
  }
}

/* Whether a and b hold the same bits (with any_nan, a NaN matches any NaN). */
static int same(const float *a, const float *b, int64_t n, int any_nan) {
  for (int64_t i = 0; i < n; i++)
    if (memcmp(a + i, b + i, 4) && !(any_nan && isnan(a[i]) && isnan(b[i]))) return 0;
  return 1;
}

typedef int64_t (*rows_fn)(const varia_likelihood_job_t *, int64_t, int64_t);

static uint64_t rows_cases(const char *name, rows_fn rows, int poisson) {
  static const int64_t widths[] = {1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 48, 63, 64, 65, 79, 80, 95, 127, 784, 1030, 2000};
  float *table = malloc(1000 * 4);
  for (int k = 0; k < 1000; k++) table[k] = lgammaf(k + 1.f);
  uint64_t bad = 0, cases = 0;
  for (int rep = 0; rep < 60; rep++)
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
      const int64_t n = 1 + next() % 9, cols = widths[w], size = n * cols;
      float *x = malloc(size * 4), *l = malloc(size * 4), *aux = malloc(size * 4), *d[2], s[2][9];
      d[0] = malloc(size * 4), d[1] = malloc(size * 4);
      for (int64_t i = 0; i < size; i++) {
        const uint32_t u = next() % 10;
        l[i] = value(poisson ? 200.f : 40.f), aux[i] = value(2.f);
        x[i] = poisson ? (u < 8 ? (float)(next() % 12) : value(100.f)) : (u < 4 ? 0.f : u < 7 ? 1.f : value(4.f));
      }
      int64_t misses[2];
      for (int portable = 0; portable < 2; portable++) {
        if (portable) setenv("VARIA_NATIVE_NO_AVX512", "1", 1);
        else unsetenv("VARIA_NATIVE_NO_AVX512");
        const varia_likelihood_job_t job = {.x = x, .param = l, .table = poisson ? table : NULL,
                                            .aux = !poisson && rep % 3 == 2 ? aux : NULL, .sums = s[portable],
                                            .dout = d[portable], .cols = cols, .table_size = poisson ? 1000 : 0,
                                            .g = rep % 2 ? -1.f / 128 : 0.37f};
        misses[portable] = rows(&job, 0, n);
      }
      unsetenv("VARIA_NATIVE_NO_AVX512");
      cases++;
      /* a Poisson call with misses has its outputs discarded by the caller: there (only) any NaN stands for any other
       * (the portable loop's a + b of two NaNs gives the other operand's NaN than the AVX-512 loop, as it did before
       * the fused pass) */
      const int any_nan = poisson && misses[0] > 0;
      if (misses[0] != misses[1] || !same(s[0], s[1], n, any_nan) || !same(d[0], d[1], size, any_nan)) {
        if (bad++ < 5) {
          printf("  %s: %lld × %lld differs (misses %lld, %lld)\n", name, (long long)n, (long long)cols,
                 (long long)misses[0], (long long)misses[1]);
          for (int64_t i = 0; i < n; i++)
            if (memcmp(s[0] + i, s[1] + i, 4)) printf("    sums[%lld] %a / %a\n", (long long)i, s[0][i], s[1][i]);
          for (int64_t i = 0, shown = 0; i < size && shown < 3; i++)
            if (memcmp(d[0] + i, d[1] + i, 4) && ++shown) printf("    dout[%lld] %a / %a\n", (long long)i, d[0][i], d[1][i]);
        }
      }
      free(x), free(l), free(aux), free(d[0]), free(d[1]);
    }
  printf("%s rows: %llu of %llu cases differ\n", name, (unsigned long long)bad, (unsigned long long)cases);
  free(table);
  return bad;
}

int main(int argc, char **argv) {
  if (!__builtin_cpu_supports("avx512f")) {
    puts("this CPU has no AVX-512F: nothing to check");
    return 0;
  }
  uint64_t bad = 0;
  if (argc < 2 || strcmp(argv[1], "rows") != 0) { /* `rows`: the second part only */
    setenv("VARIA_NATIVE_NO_AVX512", "1", 1);        /* the references: math_kernels.c's loops, not these lanes */
    bad += exhaustive("softplus", softplus_lanes, varia_softplus);
    bad += exhaustive("sigmoid", sigmoid_lanes, varia_sigmoid);
    bad += exhaustive("exp", exp_lanes, varia_exp);
    unsetenv("VARIA_NATIVE_NO_AVX512");
  }
  bad += rows_cases("bernoulli", varia_bernoulli_rows, 0);
  bad += rows_cases("poisson", varia_poisson_rows, 1);
  return bad != 0;
}
#endif
