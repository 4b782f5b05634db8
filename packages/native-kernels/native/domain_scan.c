/*
 * Host-side domain checks of float32 data (the scans `@varia/vae` runs over a whole data set before encoding or
 * fitting): the first value outside [0, 1], or the first value that is not an integer count in [0, max]. Both read a
 * Float32Array in place (napi_get_typedarray_info: no copy) and return the first bad index as a double, or −1.
 *
 * Each scan checks blocks of BLOCK values with a branch-free OR of per-value flags (GCC vectorizes it; cloned for
 * AVX-512F, AVX2 and the baseline, by feature as in math_kernels.c), and only a block whose flag is set is looked at
 * value by value for the first bad one. The definitions are those of the JavaScript scans they replace:
 *
 *   - unit interval: bad ⇔ ¬(v ≥ 0 ∧ v ≤ 1): on the bits b (unsigned), b > bits(1.0) ∧ b ≠ bits(−0), so −0 is fine and
 *     NaN (either sign), negative values and values above 1 are bad;
 *   - counts: bad ⇔ ¬(v ≥ 0 ∧ v ≤ max ∧ v a (finite) integer). v ≤ max (a double) is v ≤ m for m the largest finite
 *     float32 ≤ max, which also rules out +∞ when max is +∞; for
 *     0 ≤ v < 2²³, v is an integer ⇔ (v + 2²³) − 2²³ = v (round-to-nearest makes v + 2²³ an integer, exact only when v
 *     is one); every float32 ≥ 2²³ is an integer. No floorf, so the baseline (SSE2) clone vectorizes too.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "entry_points.h"
#include "napi_util.h"
#include "parallel.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VARIA_SCAN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VARIA_SCAN_CLONES
#endif

/* Values per block: large enough that the per-block branch is rare, small enough that the re-scan is cheap. */
#define BLOCK 256

static const uint32_t ONE_BITS = 0x3f800000u, NEG_ZERO_BITS = 0x80000000u;
static const float TWO_23 = 8388608.0f;

static inline int outside_unit(uint32_t b) { return (b > ONE_BITS) & (b != NEG_ZERO_BITS); }

static inline int bad_count(float v, float m) {
  const float r = (v + TWO_23) - TWO_23;
  return !((v >= 0.0f) & (v <= m) & ((v >= TWO_23) | (r == v)));
}

VARIA_SCAN_CLONES static int64_t first_outside_unit(const uint32_t *bits, int64_t n) {
  int64_t start = 0;
  for (; start < n; start += BLOCK) {
    const int64_t end = start + BLOCK < n ? start + BLOCK : n;
    int any = 0;
    for (int64_t i = start; i < end; i++) any |= outside_unit(bits[i]);
    if (any)
      for (int64_t i = start; i < end; i++)
        if (outside_unit(bits[i])) return i;
  }
  return -1;
}

VARIA_SCAN_CLONES static int64_t first_bad_count(const float *x, int64_t n, float m) {
  int64_t start = 0;
  for (; start < n; start += BLOCK) {
    const int64_t end = start + BLOCK < n ? start + BLOCK : n;
    int any = 0;
    for (int64_t i = start; i < end; i++) any |= bad_count(x[i], m);
    if (any)
      for (int64_t i = start; i < end; i++)
        if (bad_count(x[i], m)) return i;
  }
  return -1;
}

/*
 * Large arrays are scanned by the threads of parallel.h in chunks of SCAN_CHUNK values, each chunk's first bad index
 * folded into the least so far; a chunk that starts past it is skipped. The result is the serial scan's: the least
 * bad index over all chunks. Below SCAN_PARALLEL_MIN values (or with no helpers), one scan on the calling thread. The
 * MNIST encode's 7.84 M values (10,000 rows): 0.7–0.9 ms on one thread, 0.4 ms on two (AMD EPYC Zen 5 2-vCPU machine,
 * 2026-12-03, 3 interleaved rounds, bench/dist/profile-encode.js).
 */
#define SCAN_CHUNK (1 << 20)
#define SCAN_PARALLEL_MIN (2 * SCAN_CHUNK)

typedef struct {
  const void *data;
  int64_t n;
  float m;
  int counts;
  _Atomic int64_t first; /* the least bad index found so far, n when none */
} scan_job_t;

static void scan_chunks(void *ctx, int64_t c0, int64_t c1) {
  scan_job_t *j = (scan_job_t *)ctx;
  for (int64_t c = c0; c < c1; c++) {
    const int64_t start = c * SCAN_CHUNK, len = j->n - start < SCAN_CHUNK ? j->n - start : SCAN_CHUNK;
    if (start >= atomic_load(&j->first)) continue;
    const int64_t i = j->counts ? first_bad_count((const float *)j->data + start, len, j->m)
                                : first_outside_unit((const uint32_t *)j->data + start, len);
    if (i < 0) continue;
    int64_t seen = atomic_load(&j->first);
    while (start + i < seen && !atomic_compare_exchange_weak(&j->first, &seen, start + i)) {
    }
  }
}

/* The first bad index of x[0, n) (−1 when none): unit interval, or counts up to m (`counts`). */
static int64_t first_bad(const void *data, int64_t n, int counts, float m) {
  if (n < SCAN_PARALLEL_MIN || varia_parallel() < 2)
    return counts ? first_bad_count((const float *)data, n, m) : first_outside_unit((const uint32_t *)data, n);
  scan_job_t j = {.data = data, .n = n, .m = m, .counts = counts};
  atomic_init(&j.first, n);
  varia_parallel_for(scan_chunks, &j, (n + SCAN_CHUNK - 1) / SCAN_CHUNK, 1);
  const int64_t first = atomic_load(&j.first);
  return first < n ? first : -1;
}

/* A Float32Array argument: its values and length, or 0 after throwing. */
static int float32_arg(napi_env env, napi_value value, const char *entry, const void **data, size_t *n) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *values = NULL;
  if (napi_is_typedarray(env, value, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, value, &type, n, &values, NULL, NULL) != napi_ok || type != napi_float32_array) {
    char message[128];
    snprintf(message, sizeof message, "native-kernels: %s: the data must be a Float32Array", entry);
    varia_throw_error(env, message);
    return 0;
  }
  *data = values;
  return 1;
}

/* firstOutsideUnitInterval(x: Float32Array) -> the first i with ¬(0 ≤ x[i] ≤ 1), or −1. */
napi_value varia_napi_first_outside_unit_interval(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  size_t argc = 1;
  const void *data = NULL;
  size_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1) return varia_throw_error(env, "native-kernels: firstOutsideUnitInterval takes one Float32Array");
  if (!float32_arg(env, argv[0], "firstOutsideUnitInterval", &data, &n)) return NULL;
  const int64_t i = n == 0 ? -1 : first_bad(data, (int64_t)n, 0, 0.f);
  CHECK(napi_create_double(env, (double)i, &out));
  return out;
}

/* firstBadCount(x: Float32Array, max: number ≥ 0) -> the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ max ∧ x[i] a finite
 * integer), or −1. */
napi_value varia_napi_first_bad_count(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  size_t argc = 2;
  const void *data = NULL;
  size_t n = 0;
  double max = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) return varia_throw_error(env, "native-kernels: firstBadCount takes a Float32Array and a maximum");
  if (!float32_arg(env, argv[0], "firstBadCount", &data, &n)) return NULL;
  if (!varia_arg_f64(env, argv, 1, &max) || !(max >= 0))
    return varia_throw_error(env, "native-kernels: firstBadCount: the maximum must be a number ≥ 0");
  /* the largest finite float32 ≤ max: v ≤ max ⇔ v ≤ m for every finite float32 v, and +∞ is never a count (not an
   * integer), also when max is +∞ */
  float m = (float)max;
  if ((double)m > max || isinf(m)) m = nextafterf(m, -INFINITY);
  const int64_t i = n == 0 ? -1 : first_bad(data, (int64_t)n, 1, m);
  CHECK(napi_create_double(env, (double)i, &out));
  return out;
}
