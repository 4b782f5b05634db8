/*
 * The BLAS, loaded at run time with dlopen (oneDNN's dnnl_sgemm or OpenBLAS's cblas_sgemm), its thread count, the
 * helper threads that share large products, and sgemm split into blocks of rows for them.
 */
#include "napi_util.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "entry_points.h"
#include "gemm512.h"
#include "gemm_split.h"
#include "narrow.h"
#include "parallel.h"
#include "signal_guard.h"
#include "sparse_tiles.h"
#include "zero_skip.h"

typedef int (*dnnl_sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *,
                             int64_t, float, float *, int64_t);
typedef struct {
  int major, minor, patch;
  const char *hash;
  unsigned cpu_runtime, gpu_runtime;
} dnnl_version_t;
typedef const dnnl_version_t *(*dnnl_version_fn)(void);
typedef int (*dnnl_isa_fn)(void);
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*openblas_config_fn)(void);

enum { KIND_NONE = 0, KIND_ONEDNN = 1, KIND_OPENBLAS = 2 };
static int kind = KIND_NONE;
static dnnl_sgemm_fn dnnl_sgemm = NULL;
static cblas_sgemm_fn cblas_sgemm = NULL;
static set_threads_fn set_threads = NULL;
static get_threads_fn get_threads = NULL;
static int onednn_major = 0; /* the loaded oneDNN's major version (0: unknown) */
static int avx512 = 0;       /* the CPU has oneDNN's avx512_core (AVX-512 F, BW, VL, DQ) */
static int gemm512_on = 0;   /* gemm512.c stands in for dnnl_sgemm where it covers a one-thread product (load()) */
static int zero_skip_on = 0; /* zero_skip.c stands in for dnnl_sgemm where op(A) is mostly zeros (load()) */
static int whole_zero_skip = 1; /* products zero_skip.c takes run whole on two threads (VARIA_SPLIT_ZERO_SKIP=1: split) */
static atomic_long zero_skipped = 0; /* products zero_skip.c has done */
static int narrow_on = 0;            /* narrow.c stands in for dnnl_sgemm where C is narrow and tall (load()) */
static atomic_long narrowed = 0;     /* products narrow.c has done */
static int one_row_on = 0;           /* one-row products run as rows among others (sgemm_one_row; load()) */

/*
 * zero_skip.c takes a product when a sample of op(A)'s rows has at most this fraction of non-zeros. Measured against
 * dnnl_sgemm on one thread (scripts/zero-skip-check.c, 2026-12-02, load 2–3, median of interleaved rounds): relu-like
 * 128 × 400 → 784 with 10 / 20 / 30 / 40 % non-zeros 1.9× / 1.3× / 1.0–1.1× / 0.85×; MNIST rows (19 %) 1.5–2×.
 * On the AMD EPYC Zen 5 machine (same harness, 7 rounds, load 3.7, random rows of MNIST's density): 10 / 20 / 30 / 40 %
 * 2.02× / 1.30× / 0.84× / 0.69× (crossover ~26 %); the step's first layer 1.32×, its dW = xᵀ·δ 1.51×, MNIST encode
 * 1.39×: the same threshold serves both CPUs.
 */
#define ZERO_SKIP_MAX_DENSITY 0.25

/*
 * narrow.c takes a product with at least NARROW_MIN_ROWS rows and 2 … 12 or 17 … 24 columns (oneDNN's kernels leave
 * lanes idle there; at 13 … 16 they fill one vector and run as fast, and above 24 narrow.c reads op(A) twice).
 * Measured against dnnl_sgemm on one thread (scripts/narrow-check.c sweep, 2026-12-02, load ~1.5, medians of 11
 * interleaved pairs), K 400 / 128: M 10,000 N 2 2.1× / 2.0×, N 8 1.7× / 1.7×, N 12 1.4× / 1.35×, N 16 1.13× / 1.05×,
 * N 20 1.4× / 1.3×, N 24 1.3× / 1.2×, N 28 0.94× / 0.88×, N 32 0.79×; M 512 alike (N 16 0.9×). The training step's
 * products (128 rows) are left to oneDNN.
 */
#define NARROW_MIN_ROWS 512
static int narrow_takes(int64_t M, int64_t N) { return M >= NARROW_MIN_ROWS && N >= 2 && (N <= 12 || (N >= 17 && N <= 24)); }

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* load(path): dlopen a BLAS; oneDNN when it exports dnnl_sgemm, else OpenBLAS when it exports cblas_sgemm. */
napi_value varia_napi_load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok)
    return varia_throw_error(env, "native-kernels: load(path) needs a library path");
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) return varia_throw_error(env, dlerror());
  char version[256] = "";
  dnnl_sgemm_fn dg = (dnnl_sgemm_fn)dlsym(lib, "dnnl_sgemm");
  cblas_sgemm_fn cg = (cblas_sgemm_fn)dlsym(lib, "cblas_sgemm");
  int k = KIND_NONE, major = 0;
  set_threads_fn st = NULL;
  get_threads_fn gt = NULL;
  if (dg) {
    k = KIND_ONEDNN;
    dnnl_version_fn vf = (dnnl_version_fn)dlsym(lib, "dnnl_version");
    if (vf) {
      const dnnl_version_t *v = vf();
      snprintf(version, sizeof version, "%d.%d.%d", v->major, v->minor, v->patch);
      major = v->major;
    }
    /* oneDNN's CPU runtime is OpenMP (Debian builds it with libgomp); its thread count is OpenMP's. */
    void *omp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (omp) {
      st = (set_threads_fn)dlsym(omp, "omp_set_num_threads");
      gt = (get_threads_fn)dlsym(omp, "omp_get_max_threads");
    }
  } else if (cg) {
    k = KIND_OPENBLAS;
    openblas_config_fn cf = (openblas_config_fn)dlsym(lib, "openblas_get_config");
    if (cf) snprintf(version, sizeof version, "%s", cf());
    st = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    gt = (get_threads_fn)dlsym(lib, "openblas_get_num_threads");
  } else {
    dlclose(lib);
    return varia_throw_error(env, "native-kernels: the library exports neither dnnl_sgemm nor cblas_sgemm");
  }
  kind = k;
  onednn_major = major;
#if defined(__x86_64__) && defined(__GNUC__)
  avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#endif
  /* gemm512.c has the bits of oneDNN 2.x's avx512_core kernels: only where oneDNN runs them (DNNL_MAX_CPU_ISA may cap
   * it lower: dnnl_cpu_isa_avx512_core is 0x27, and each ISA above it includes its bits). Opt-in with VARIA_GEMM512=1
   * (read at each load): 1.05× dnnl_sgemm on the MNIST step's NN/TN products alone (cold caches; 1.09× warm), but not
   * measurably faster in the step itself (interleaved A/B in one process, 2026-12-02, load 4–6: p10 of step times
   * 0.995× on one thread, 0.98× on two) */
  dnnl_isa_fn isa = dg ? (dnnl_isa_fn)dlsym(lib, "dnnl_get_effective_cpu_isa") : NULL;
  const char *g512 = getenv("VARIA_GEMM512");
  const int onednn_avx512 = k == KIND_ONEDNN && major == 2 && avx512 && isa && (isa() & 0x27) == 0x27;
  gemm512_on = onednn_avx512 && g512 && !strcmp(g512, "1");
  /* zero_skip.c gives the same bits on the same condition; on unless VARIA_ZERO_SKIP=0 (read at each load) */
  const char *zs = getenv("VARIA_ZERO_SKIP");
  zero_skip_on = onednn_avx512 && !(zs && !strcmp(zs, "0"));
  /* VARIA_SPLIT_ZERO_SKIP=1 (read at each load) splits them as any other product, for A/B measurements */
  const char *split_zs = getenv("VARIA_SPLIT_ZERO_SKIP");
  whole_zero_skip = !(split_zs && !strcmp(split_zs, "1"));
  /* narrow.c likewise; on unless VARIA_NARROW=0 (read at each load) */
  const char *nw = getenv("VARIA_NARROW");
  narrow_on = onednn_avx512 && !(nw && !strcmp(nw, "0"));
  /* one-row products as rows among others: with oneDNN (any version, any ISA: its gemv is another order than its gemm
   * wherever measured); on unless VARIA_ONE_ROW=0 (read at each load; the tests compare both ways) */
  const char *orow = getenv("VARIA_ONE_ROW");
  one_row_on = k == KIND_ONEDNN && !(orow && !strcmp(orow, "0"));
  dnnl_sgemm = dg;
  cblas_sgemm = cg;
  set_threads = st;
  get_threads = gt;
  napi_value result;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "kind", make_string(env, k == KIND_ONEDNN ? "onednn" : "openblas")));
  CHECK(napi_set_named_property(env, result, "version", make_string(env, version)));
  napi_value on;
  CHECK(napi_get_boolean(env, gemm512_on, &on));
  CHECK(napi_set_named_property(env, result, "gemm512", on));
  napi_value skip;
  CHECK(napi_get_boolean(env, zero_skip_on, &skip));
  CHECK(napi_set_named_property(env, result, "zeroSkip", skip));
  napi_value narrow;
  CHECK(napi_get_boolean(env, narrow_on, &narrow));
  CHECK(napi_set_named_property(env, result, "narrow", narrow));
  napi_value one_row;
  CHECK(napi_get_boolean(env, one_row_on, &one_row));
  CHECK(napi_set_named_property(env, result, "oneRow", one_row));
  return result;
}

napi_value varia_napi_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1)
    return varia_throw_error(env, "native-kernels: setThreads(n) needs a positive integer");
  if (set_threads) set_threads(n);
  return NULL;
}

/* Helper threads run the BLAS on one thread each: the blocks, not OpenMP, share the work. */
static void one_blas_thread(void) {
  if (set_threads) set_threads(1);
}

/* setParallel(n): the calling thread plus n − 1 helpers share large products and Adam (1 ≤ n ≤ 8). */
napi_value varia_napi_set_parallel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > 8)
    return varia_throw_error(env, "native-kernels: setParallel(n) needs an integer from 1 to 8");
  /* helpers inherit this mask: they never take a signal (one arriving mid-product corrupts oneDNN, signal_guard.h;
   * the process's handlers run on the JS thread instead) */
  varia_signal_hold_t old;
  varia_signals_hold(&old);
  const int started = varia_set_parallel(n, one_blas_thread);
  varia_signals_restore(&old);
  if (started != 0) return varia_throw_error(env, "native-kernels: could not start a thread");
  return NULL;
}

napi_value varia_napi_parallel(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, varia_parallel(), &v);
  return v;
}

napi_value varia_napi_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  /* 0: the library gives no way to ask (e.g. a oneDNN built without OpenMP) */
  napi_create_int32(env, get_threads ? get_threads() : 0, &v);
  return v;
}

/* zeroSkipped(): how many products zero_skip.c has done in this process (all threads). */
napi_value varia_napi_zero_skipped(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_double(env, (double)atomic_load(&zero_skipped), &v);
  return v;
}

/* narrowed(): how many products narrow.c has done in this process (all threads). */
napi_value varia_napi_narrowed(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_double(env, (double)atomic_load(&narrowed), &v);
  return v;
}

int varia_blas_loaded(void) { return kind != KIND_NONE; }

/*
 * A one-row product (op(A) has M = 1 row, N ≥ 2) on oneDNN is its gemv: one FMA chain from C over all K, not the
 * blocked chains of its gemm, whose order does not depend on M for K ≤ 768 (scripts/sgemm-order-check.c). So a row
 * alone got other last bits than the same row among others (2026-12-02, scripts/one-row-check.c, oneDNN 2.6.3 on one
 * thread, AMD EPYC Zen 5: K × N 784 × 400, 400 × 784, 2,000 × 128, 400 × 20: 80–98 % of the row's elements differ,
 * every ta/tb, beta 0 and 1; K ≤ 64 with beta 0 none for NN and TN). one_row_copies(ta, tb) copies of the row run as
 * one product instead and row 0 is kept: 2 rows, except with op(A) = A and op(B) = Bᵀ, where oneDNN runs 2 … 15 rows
 * with another kernel again (their rows differ from those of 16 or more rows; 16 and up agree up to a driver change):
 * 16 there, the bits of a row in a batch of 16 or more. OpenBLAS 0.3.21 is not changed: its Haswell core gives M = 1
 * the bits of M = 2 and 3 (every ta/tb, 0 differ) and its rows change at M = 16 for any M, so that no copy count gives
 * a row the bits of every batch; its SkylakeX core gives M = 1 the bits of M = 2 and 3 except NT 400 → 784.
 * With K > 768 oneDNN's copy and no-copy drivers block K differently and it picks one by M among the rest
 * (gemm_split.c's port of its checker): rows of a large batch can differ from those of a small one, and the copies get
 * the small one's (NT 784 → 400: 16 … 128 rows agree with the copies, 256 and more differ; README, "One-row products").
 * N = 1 (a column vector) is oneDNN's gemv as well (its column differs from column 0 of N ≥ 2): left as it is.
 */
static int one_row_copies(int ta, int tb) { return tb && !ta ? 16 : 2; }

static int sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                 float beta, float *c, int64_t ldc);

/* The one-row product C = op(a)·op(B) + beta·C (1 × N) as row 0 of one_row_copies(ta, tb) copies of the row, in the
 * calling thread's VARIA_SCRATCH_ONE_ROW scratch (above ONE_ROW_SLOT_MAX_BYTES, memory freed on return). Returns the
 * product's status, or ONE_ROW_NO_SCRATCH when the scratch could not be allocated (nothing done). */
#define ONE_ROW_NO_SCRATCH (-2)
/* The largest copies (and their rows of C) kept in the thread's grow-only scratch slot between calls. */
#ifndef ONE_ROW_SLOT_MAX_BYTES
#define ONE_ROW_SLOT_MAX_BYTES ((size_t)16 << 20)
#endif
static int sgemm_one_row(int ta, int tb, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                         float beta, float *c) {
  const int64_t copies = one_row_copies(ta, tb), row_floats = (copies * K + 15) / 16 * 16;
  const size_t bytes = (size_t)(row_floats + copies * N) * sizeof(float);
  /* the thread's grow-only slot up to ONE_ROW_SLOT_MAX_BYTES; a larger product's copies (16 × a huge NT row) in memory
   * of its own, freed on return, not kept by the thread until its environment ends */
  void *own = bytes > ONE_ROW_SLOT_MAX_BYTES ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
  float *rows =
      bytes > ONE_ROW_SLOT_MAX_BYTES ? (float *)own : (float *)varia_sparse_scratch(VARIA_SCRATCH_ONE_ROW, bytes);
  if (!rows) return ONE_ROW_NO_SCRATCH;
  float *out = rows + row_floats;
  if (ta) {
    /* op(A) = Aᵀ: the row is A's column 0 (a[k·lda]); the copies are a K × copies matrix */
    for (int64_t k = 0; k < K; k++)
      for (int64_t r = 0; r < copies; r++) rows[k * copies + r] = a[k * lda];
  } else {
    for (int64_t r = 0; r < copies; r++) memcpy(rows + r * K, a, (size_t)K * sizeof(float));
  }
  /* beta = 0: the BLAS reads no C */
  if (beta != 0.f)
    for (int64_t r = 0; r < copies; r++) memcpy(out + r * N, c, (size_t)N * sizeof(float));
  const int status = sgemm(ta, tb, copies, N, K, rows, ta ? copies : K, b, ldb, beta, out, N);
  if (status == 0) memcpy(c, out, (size_t)N * sizeof(float));
  free(own);
  return status;
}

/* C = op(A)·op(B) + beta·C, row-major, on the loaded BLAS; K ≥ 1. Returns 0 on success. `facts`: what is known of
 * B's K × N region (zero_skip.h; NULL: nothing). */
static int sgemm_known(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                       int64_t ldb, float beta, float *c, int64_t ldc, const varia_b_facts_t *facts) {
  if (one_row_on && M == 1 && N >= 2) {
    const int status = sgemm_one_row(ta, tb, N, K, a, lda, b, ldb, beta, c);
    /* no scratch for the copies (a huge K): the product as called, in the BLAS's one-row order, rather than none */
    if (status != ONE_ROW_NO_SCRATCH) return status;
  }
  if (kind == KIND_ONEDNN && !tb && (zero_skip_on || gemm512_on || narrow_on) && get_threads && get_threads() == 1) {
    const varia_gemm_shape_t s = {.ta = ta, .tb = 0, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
    /* zero_skip.c where op(A) is mostly zeros, else narrow.c for a narrow, tall C, else gemm512.c where it covers the
     * product (op(B) = B), on one OpenMP thread: the same bits */
    if (zero_skip_on && varia_zero_skip_gemm_known(&s, a, b, beta, c, ZERO_SKIP_MAX_DENSITY, facts) == 0) {
      atomic_fetch_add(&zero_skipped, 1);
      return 0;
    }
    if (narrow_on && narrow_takes(M, N) && varia_narrow_gemm(&s, a, b, beta, c) == 0) {
      atomic_fetch_add(&narrowed, 1);
      return 0;
    }
    if (gemm512_on && varia_gemm512(&s, a, b, beta, c) == 0) return 0;
  }
  if (kind == KIND_ONEDNN) {
    /* with signals held back: a handler running mid-product corrupts oneDNN's stack data (signal_guard.h) */
    varia_signal_hold_t old;
    varia_signals_hold(&old);
    const int status = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, a, lda, b, ldb, beta, c, ldc);
    varia_signals_restore(&old);
    return status;
  }
  /* CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 */
  cblas_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, (int)M, (int)N, (int)K, 1.f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
  return 0;
}

static int sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                 float beta, float *c, int64_t ldc) {
  return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, NULL);
}

/* Blocks of rows (axis 0) or columns (axis 1) of C for varia_parallel_for: block b is [bound[b], bound[b + 1]). */
#define MAX_BLOCKS 8
typedef struct {
  int ta, tb, axis;
  int64_t M, N, K, lda, ldb, ldc;
  int64_t bound[MAX_BLOCKS + 1];
  double us[MAX_BLOCKS]; /* each block's time */
  const float *a, *b;
  float *c;
  float beta;
  const varia_b_facts_t *facts; /* of the whole B: true of each block's rows or columns of it */
  atomic_int failed;
} gemm_job_t;

static double wall_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void gemm_block(void *ctx, int64_t first, int64_t last) {
  gemm_job_t *j = (gemm_job_t *)ctx;
  for (int64_t b = first; b < last; b++) {
    const int64_t start = j->bound[b], size = j->bound[b + 1] - start;
    const double t0 = wall_us();
    const int failed =
        j->axis ? sgemm_known(j->ta, j->tb, j->M, size, j->K, j->a, j->lda,
                              j->tb ? j->b + start * j->ldb : j->b + start, j->ldb, j->beta, j->c + start, j->ldc,
                              j->facts)
                : sgemm_known(j->ta, j->tb, size, j->N, j->K, j->ta ? j->a + start : j->a + start * j->lda, j->lda,
                              j->b, j->ldb, j->beta, j->c + start * j->ldc, j->ldc, j->facts);
    j->us[b] = wall_us() - t0;
    if (failed != 0) atomic_store(&j->failed, 1);
  }
}

/* Products of at least this many multiply-adds are shared between threads when there are helpers. */
#define PARALLEL_MIN_MACS (1 << 21)
/* Blocks of rows per thread where no split plan applies (gemm_split.h). Each block packs op(B) again, and op(B) of the
 * MNIST layers (1.25 MB) comes from the L3 that both cores share: a streaming pass measured 85 GB/s on one core and
 * 82 GB/s in all on two. One block per thread made the MNIST step's forward products 1.39× faster on two threads than
 * on one, against 1.31× with two blocks per thread (p10 of the per-step time in the products, 4 interleaved runs, load
 * 4–5), and 1.37–1.42× against 1.25–1.27× with a busy loop on one core. A helper that has not started when the
 * caller's block is done costs no more than before: the caller takes the other block. */
#ifndef GEMM_BLOCKS_PER_THREAD
#define GEMM_BLOCKS_PER_THREAD 1
#endif

/* One thread's sgemm speed in multiply-adds per µs (an average over shared products' blocks; 0 until measured). */
static _Atomic double macs_per_us = 0;

/* Whether gemm_split.h's rule holds for the loaded BLAS: oneDNN 2.x on an AVX-512 CPU (the kernels whose order it
 * describes), on one OpenMP thread in the caller (the helpers always are). */
static int split_rule_holds(void) {
  return kind == KIND_ONEDNN && onednn_major == 2 && avx512 && get_threads && get_threads() == 1;
}

/* sgemm, split into blocks of C's rows or columns when helper threads exist and the product is large. */
int varia_sgemm_shared(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                       int64_t ldb, float beta, float *c, int64_t ldc) {
  return varia_sgemm_shared_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, NULL);
}

int varia_sgemm_shared_known(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                             const varia_b_facts_t *facts) {
  const int threads = varia_parallel();
  if (threads == 1 || M * N * K < PARALLEL_MIN_MACS)
    return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, facts);
  gemm_job_t j = {.ta = ta, .tb = tb, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc, .a = a, .b = b,
                  .c = c, .beta = beta, .facts = facts};
  int blocks = 0;
  if (threads == 2 && split_rule_holds()) {
    /* two threads: gemm_split.h's plan, the caller's first block larger by the work it does before the helper starts */
    const varia_gemm_shape_t shape = {.ta = ta, .tb = tb, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc};
    /* a product zero_skip.c takes runs whole: split, each block scans A's zeros (and B's facts) again and the helper
     * starts late, so in the MNIST step the encoder's first product took 300 µs in blocks against 225 µs whole */
    if (zero_skip_on && whole_zero_skip && varia_zero_skip_takes(&shape, a, beta, ZERO_SKIP_MAX_DENSITY))
      return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, facts);
    varia_gemm_split_t plan;
    blocks = varia_gemm_plan_two(&shape, varia_parallel_start_delay() * atomic_load(&macs_per_us), &plan);
    if (blocks == 0) return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, facts);
    j.axis = plan.axis;
    for (int k = 0; k <= blocks; k++) j.bound[k] = plan.bound[k];
  } else {
    /* Blocks of rows, whole 16-row units, the rows past them joining the last: with oneDNN 2.6, any block of 1 … 15
     * rows with op(B) = Bᵀ rounds differently (measured), and a one-row block always can (a vector-matrix kernel). */
    const int64_t units = M / 16;
    int64_t count = GEMM_BLOCKS_PER_THREAD * threads;
    if (count > units) count = units;
    if (count > MAX_BLOCKS) count = MAX_BLOCKS;
    if (count < 2) return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, facts);
    blocks = (int)count;
    for (int64_t k = 0; k < count; k++) j.bound[k] = 16 * (k * units / count);
    j.bound[count] = M;
  }
  atomic_init(&j.failed, 0);
  varia_parallel_for(gemm_block, &j, blocks, 1);
  double us = 0;
  for (int k = 0; k < blocks; k++) us += j.us[k];
  if (us > 0) {
    const double rate = (double)(M * N * K) / us;
    const double before = atomic_load(&macs_per_us);
    atomic_store(&macs_per_us, before == 0 ? rate : before + (rate - before) / 4);
  }
  return atomic_load(&j.failed);
}

/* A set of products for varia_parallel_for: task t is product t, whole. */
typedef struct {
  const varia_gemm_t *p;
  atomic_int failed;
} together_job_t;

static void together_block(void *ctx, int64_t start, int64_t end) {
  together_job_t *j = (together_job_t *)ctx;
  for (int64_t t = start; t < end; t++) {
    const varia_gemm_t *g = &j->p[t];
    if (sgemm(g->ta, g->tb, g->M, g->N, g->K, g->a, g->lda, g->b, g->ldb, g->beta, g->c, g->ldc) != 0)
      atomic_store(&j->failed, 1);
  }
}

int varia_sgemm_together(const varia_gemm_t *products, int count) {
  int64_t macs = 0;
  for (int i = 0; i < count; i++) macs += products[i].M * products[i].N * products[i].K;
  if (varia_parallel() == 2 && count >= 2 && macs >= PARALLEL_MIN_MACS) {
    together_job_t j = {.p = products};
    atomic_init(&j.failed, 0);
    varia_parallel_for(together_block, &j, count, 1);
    return atomic_load(&j.failed);
  }
  for (int i = 0; i < count; i++) {
    const varia_gemm_t *g = &products[i];
    if (varia_sgemm_shared(g->ta, g->tb, g->M, g->N, g->K, g->a, g->lda, g->b, g->ldb, g->beta, g->c, g->ldc) != 0)
      return 1;
  }
  return 0;
}

int varia_sgemm_single(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                       int64_t ldb, float beta, float *c, int64_t ldc) {
  return sgemm(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc);
}

int varia_sgemm_single_known(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                             const varia_b_facts_t *facts) {
  return sgemm_known(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc, facts);
}

int varia_sgemm_row_blocks_exact(const varia_gemm_shape_t *s, const int64_t *rows, int64_t count) {
  /* the rule of gemm_split.h, for oneDNN 2.x (OpenBLAS: not established) */
  if (!split_rule_holds()) return 0;
  for (int64_t b = 0; b < count; b++)
    if (!varia_onednn_block_exact(s, 0, rows[b])) return 0;
  return 1;
}
