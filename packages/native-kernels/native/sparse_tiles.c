/*
 * The products of a dense layer that skip an input's zeros (declared in sparse_tiles.h), for the CSR kernel
 * (sparse_dense.c) and the dense-input kernels (sparse_input.c).
 *
 * A block of rows of X is copied by column (CSC: per non-empty column k the (row i, value x_ik ≠ 0) pairs, rows in
 * increasing order, columns in increasing order) into grow-only scratch memory — no allocation per call: glibc maps
 * large blocks afresh, and their page faults cost more than the product. The output is then computed in tiles of 64
 * columns, each independent of the others (helper threads take whole tiles, so the bits do not depend on the thread
 * count):
 *
 *   forward  acc[i, :] = b[tile]; for each column k: w = W[k, tile] (four registers), then acc[i, :] += x_ik·w for
 *            the rows i of column k — the [128 × 64] tile (32 KiB) stays in L1 and W is read once per block of 128
 *            rows; then act, and the copy to y. One L1 load, FMA and store per entry and 16 columns (a 128 × 784 →
 *            400 MNIST batch at 19 %: ~0.32 ms of tiles against ~0.53 ms for oneDNN's product, thread CPU time;
 *            pairing neighbouring columns, which halves the stores on MNIST's strokes, measured no faster).
 *   dW       dW[k, tile] = Σ_{rows i of column k} x_ik · δ[i, tile], accumulated in registers (two partial sums, even
 *            and odd entries, added at the end) over a tile-major copy of δ; rows k of an all-zero column are 0.
 *
 * The forward product of rows whose columns are sorted goes to sparse_rows.c's row kernel instead when the CPU has
 * AVX-512F (the same bits: per output, b and then the entries by increasing column, entries of one column in CSR
 * order — the order in which the tiles take them); VARIA_NATIVE_SPARSE_TILES=1 keeps it on the tiles.
 *
 * On x86-64 CPUs with AVX-512F the tiles are intrinsics (chosen at run time; VARIA_NATIVE_NO_AVX512=1 forces the
 * portable loops, which are cloned for AVX-512 / AVX2+FMA / the baseline like math_kernels.c). The float32 sums run
 * in another order than a dense GEMM's, so results differ from it by rounding only.
 */
#define _POSIX_C_SOURCE 200809L
#include "sparse_tiles.h"

#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "sparse_rows.h"

/* One stored entry of a column: its row in the block and its value, side by side (one store when copied by column). */
typedef struct {
  int32_t row;
  float val;
} entry_t;

/* A block of rows of a sparse matrix by column: the non-empty columns col[0 … cols) in increasing order; column j's
 * entries are entry[start[j] … start[j + 1] − 1], rows (in the block) increasing. */
typedef struct {
  int64_t rows, cols;
  const int32_t *col, *start;
  const entry_t *entry;
} csc_t;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TILES_AVX512 1
#else
#define TILES_AVX512 0
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define TILES_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#elif defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define TILES_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TILES_CLONES
#endif

#define TILE 64
/* Products with at least this many multiply-adds are shared between threads when there are helpers. */
#define TILES_PARALLEL_MIN_MACS (1 << 21)
/* Rows per forward block: a [128 × 64] float tile is 32 KiB, inside L1. */
#define FORWARD_BLOCK_ROWS 128
/* The row kernel takes a 64-byte aligned copy of W when it has at least this many entries per row of W, and W is at
 * most this large. */
#define ALIGNED_COPY_ENTRIES 256
#define ALIGNED_COPY_MAX_BYTES ((int64_t)64 << 20)

/* Grow-only scratch, one set per calling thread: the JS thread, and each worker_threads thread that loads the addon
 * (one set for the process let one thread free a buffer while another filled it). Helpers only read the caller's
 * set while a job runs. A thread's set is freed by its environment's cleanup hook (varia_sparse_scratch_attach) —
 * not by a thread-exit destructor: Node unloads an addon a worker loaded before that thread exits. */
enum { S_CURSOR = VARIA_SCRATCH_SLOTS, S_COL, S_START, S_ENTRY, S_TILES, S_WEIGHTS, S_COUNT };
typedef struct {
  void *p[S_COUNT];
  size_t bytes[S_COUNT];
  int hooked; /* the cleanup hook of this thread's environment is registered */
} scratch_t;
static _Thread_local scratch_t scratch;

/* gemm512.c's scratch of the calling thread, freed with this one (weak: a harness may link sparse_tiles.c alone) */
VARIA_HIDDEN void varia_gemm512_scratch_free(void) __attribute__((weak));

static void scratch_release(void *arg) {
  scratch_t *s = (scratch_t *)arg;
  varia_parallel_join(); /* a deferred job of this thread may use its scratch (dense_adam.c) */
  for (int k = 0; k < S_COUNT; k++) free(s->p[k]);
  memset(s, 0, sizeof *s);
  if (varia_gemm512_scratch_free) varia_gemm512_scratch_free();
}

void varia_sparse_scratch_free_thread(void) {
  for (int k = 0; k < S_COUNT; k++) free(scratch.p[k]);
  memset(scratch.p, 0, sizeof scratch.p);
  memset(scratch.bytes, 0, sizeof scratch.bytes);
  if (varia_gemm512_scratch_free) varia_gemm512_scratch_free();
}

int varia_sparse_scratch_attach(napi_env env) {
  if (scratch.hooked) return 0;
  if (napi_add_env_cleanup_hook(env, scratch_release, &scratch) != napi_ok) return -1;
  scratch.hooked = 1;
  return 0;
}

void *varia_sparse_scratch(int which, size_t bytes) {
  scratch_t *s = &scratch;
  if (bytes < 64) bytes = 64;
  if (bytes <= s->bytes[which]) return s->p[which];
  bytes += bytes / 4; /* room to grow */
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  free(s->p[which]);
  if (which == S_CURSOR) memset(p, 0, bytes); /* kept all zero between calls */
  s->p[which] = p;
  s->bytes[which] = bytes;
  return p;
}

int varia_sparse_avx512(void) {
#if TILES_AVX512
  return __builtin_cpu_supports("avx512f") && !getenv("VARIA_NATIVE_NO_AVX512");
#else
  return 0;
#endif
}

static int cmp_int32(const void *a, const void *b) {
  const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int csc_of_csr(csc_t *c, const int32_t *indptr, const int32_t *indices, const float *values, int64_t r0,
                     int64_t r1, int64_t in_dim) {
  const int64_t e0 = indptr[r0], e1 = indptr[r1], count = e1 - e0;
  int32_t *cursor = varia_sparse_scratch(S_CURSOR, (size_t)in_dim * 4);
  int32_t *col = varia_sparse_scratch(S_COL, (size_t)in_dim * 4);
  int32_t *start = varia_sparse_scratch(S_START, (size_t)(in_dim + 1) * 4);
  entry_t *entry = varia_sparse_scratch(S_ENTRY, (size_t)count * sizeof(entry_t));
  if (!cursor || !col || !start || !entry) return -1;
  int64_t cols = 0, pos = 0;
  if (in_dim <= 4 * count + 64) { /* few columns for the entries: scan them all, in order */
    for (int64_t e = e0; e < e1; e++) cursor[indices[e]]++;
    for (int64_t k = 0; k < in_dim; k++)
      if (cursor[k]) {
        const int32_t n = cursor[k];
        col[cols] = (int32_t)k;
        start[cols++] = (int32_t)pos;
        cursor[k] = (int32_t)pos;
        pos += n;
      }
  } else { /* many columns: list the ones met, then sort them */
    for (int64_t e = e0; e < e1; e++)
      if (cursor[indices[e]]++ == 0) col[cols++] = indices[e];
    qsort(col, (size_t)cols, sizeof(int32_t), cmp_int32);
    for (int64_t j = 0; j < cols; j++) {
      const int32_t n = cursor[col[j]];
      start[j] = (int32_t)pos;
      cursor[col[j]] = (int32_t)pos;
      pos += n;
    }
  }
  start[cols] = (int32_t)pos;
  for (int64_t i = r0; i < r1; i++)
    for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
      const int32_t p = cursor[indices[e]]++;
      entry[p] = (entry_t){.row = (int32_t)(i - r0), .val = values[e]};
    }
  for (int64_t j = 0; j < cols; j++) cursor[col[j]] = 0;
  *c = (csc_t){.rows = r1 - r0, .cols = cols, .col = col, .start = start, .entry = entry};
  return 0;
}

typedef struct {
  const csc_t *csc;
  const float *w, *bias, *delta; /* forward: w, bias; backward: delta [rows, units] */
  float *out;                    /* forward: y [rows, units]; backward: dW [in, units] */
  float *tiles;                  /* per tile a [rows × TILE] region */
  int64_t units, in_dim;
  int act, avx512;
  float alpha;
} tiles_job_t;

/* ---- forward: scatter-add into an L1 tile ---- */

TILES_CLONES static void forward_tile_portable(const csc_t *c, const float *w, int64_t units, int64_t c0,
                                               int width, float *restrict acc) {
  float wk[TILE];
  for (int64_t j = 0; j < c->cols; j++) {
    const float *src = w + (int64_t)c->col[j] * units + c0;
    for (int l = 0; l < TILE; l++) wk[l] = l < width ? src[l] : 0.f;
    for (int32_t e = c->start[j]; e < c->start[j + 1]; e++) {
      float *restrict p = acc + (int64_t)c->entry[e].row * TILE;
      const float v = c->entry[e].val;
      for (int l = 0; l < TILE; l++) p[l] += v * wk[l];
    }
  }
}

#if TILES_AVX512
/* The lanes of part `part` (16 columns) of a tile `width` columns wide. */
static inline __mmask16 lane_mask(int width, int part) {
  const int rem = width - 16 * part;
  return rem <= 0 ? 0 : rem >= 16 ? 0xffff : (__mmask16)((1u << rem) - 1u);
}

__attribute__((target("avx512f"))) static void forward_tile_avx512(const csc_t *c, const float *w, int64_t units,
                                                                    int64_t c0, int width, float *acc) {
  const __mmask16 m0 = lane_mask(width, 0), m1 = lane_mask(width, 1), m2 = lane_mask(width, 2),
                  m3 = lane_mask(width, 3);
  const int32_t *restrict col = c->col, *restrict start = c->start;
  const entry_t *restrict entry = c->entry;
  const int64_t cols = c->cols;
  for (int64_t j = 0; j < cols; j++) {
    const float *src = w + (int64_t)col[j] * units + c0;
    const __m512 w0 = _mm512_maskz_loadu_ps(m0, src), w1 = _mm512_maskz_loadu_ps(m1, src + 16),
                 w2 = _mm512_maskz_loadu_ps(m2, src + 32), w3 = _mm512_maskz_loadu_ps(m3, src + 48);
    const int32_t end = start[j + 1];
    for (int32_t e = start[j]; e < end; e++) {
      float *p = acc + (int64_t)entry[e].row * TILE;
      const __m512 v = _mm512_set1_ps(entry[e].val);
      _mm512_store_ps(p, _mm512_fmadd_ps(v, w0, _mm512_load_ps(p)));
      _mm512_store_ps(p + 16, _mm512_fmadd_ps(v, w1, _mm512_load_ps(p + 16)));
      _mm512_store_ps(p + 32, _mm512_fmadd_ps(v, w2, _mm512_load_ps(p + 32)));
      _mm512_store_ps(p + 48, _mm512_fmadd_ps(v, w3, _mm512_load_ps(p + 48)));
    }
  }
}
#endif

static void forward_tiles(void *ctx, int64_t t0, int64_t t1) {
  const tiles_job_t *job = (const tiles_job_t *)ctx;
  const csc_t *c = job->csc;
  for (int64_t t = t0; t < t1; t++) {
    const int64_t c0 = t * TILE;
    const int width = job->units - c0 < TILE ? (int)(job->units - c0) : TILE;
    float *acc = job->tiles + t * c->rows * TILE;
    for (int64_t i = 0; i < c->rows; i++) {
      float *p = acc + i * TILE;
      if (job->bias) memcpy(p, job->bias + c0, (size_t)width * 4);
      memset(p + (job->bias ? width : 0), 0, (size_t)(TILE - (job->bias ? width : 0)) * 4);
    }
#if TILES_AVX512
    if (job->avx512)
      forward_tile_avx512(c, job->w, job->units, c0, width, acc);
    else
#endif
      forward_tile_portable(c, job->w, job->units, c0, width, acc);
    varia_activate(acc, c->rows * TILE, job->act, job->alpha);
    for (int64_t i = 0; i < c->rows; i++) memcpy(job->out + i * job->units + c0, acc + i * TILE, (size_t)width * 4);
  }
}

/* Runs f over the tiles of [0, units): shared with the helpers when there are some and the work is large. */
static void run_tiles(varia_range_fn f, tiles_job_t *job, int64_t macs) {
  const int64_t tiles = (job->units + TILE - 1) / TILE;
  if (varia_parallel() > 1 && tiles > 1 && macs >= TILES_PARALLEL_MIN_MACS)
    varia_parallel_for(f, job, tiles, 1);
  else
    f(job, 0, tiles);
}

int varia_sparse_forward(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                         int64_t in_dim, const float *w, const float *bias, float *y, int64_t units, int act,
                         float alpha, int sorted) {
  if (rows == 0 || units == 0) return 0;
  const int64_t tiles = (units + TILE - 1) / TILE;
  const int avx512 = varia_sparse_avx512();
  if (sorted && avx512 && varia_sparse_rows_available() && !getenv("VARIA_NATIVE_SPARSE_TILES")) {
    /* a W off a 64-byte boundary costs the row kernel a register per strip and masks (sparse_rows.c): when there are
     * many entries per row of W (10,000 MNIST rows: 1,900) a 64-byte aligned copy pays for itself (~0.1 ms for
     * 784 × 400, against ~1.5 ms) */
    const int64_t nnz = indptr[rows] - indptr[0], bytes = in_dim * units * (int64_t)sizeof(float);
    if (units % 16 == 0 && ((uintptr_t)w & 63) != 0 && nnz >= ALIGNED_COPY_ENTRIES * in_dim &&
        bytes <= ALIGNED_COPY_MAX_BYTES) {
      float *copy = varia_sparse_scratch(S_WEIGHTS, (size_t)bytes);
      if (copy) w = memcpy(copy, w, (size_t)bytes); /* else the kernel takes W where it is */
    }
    varia_sparse_rows_forward(indptr, indices, values, rows, in_dim, w, bias, y, units, act, alpha);
    return 0;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += FORWARD_BLOCK_ROWS) {
    const int64_t r1 = r0 + FORWARD_BLOCK_ROWS < rows ? r0 + FORWARD_BLOCK_ROWS : rows;
    csc_t csc;
    if (csc_of_csr(&csc, indptr, indices, values, r0, r1, in_dim) != 0) return -1;
    float *acc = varia_sparse_scratch(S_TILES, (size_t)(tiles * (r1 - r0) * TILE) * 4);
    if (!acc) return -1;
    tiles_job_t job = {.csc = &csc, .w = w, .bias = bias, .out = y + r0 * units, .tiles = acc, .units = units,
                       .in_dim = in_dim, .act = act, .avx512 = avx512, .alpha = alpha};
    run_tiles(forward_tiles, &job, (int64_t)(indptr[r1] - indptr[r0]) * units);
  }
  return 0;
}

/* ---- dW: register sums over a tile-major copy of δ ---- */

TILES_CLONES static void dw_tile_portable(const csc_t *c, const float *restrict d, float *restrict dw,
                                          int64_t in_dim, int64_t units, int64_t c0, int width) {
  int64_t j = 0;
  for (int64_t k = 0; k < in_dim; k++) {
    float *out = dw + k * units + c0;
    if (j >= c->cols || c->col[j] != k) {
      memset(out, 0, (size_t)width * 4);
      continue;
    }
    float s0[TILE] = {0}, s1[TILE] = {0};
    int32_t e = c->start[j];
    const int32_t end = c->start[++j];
    for (; e + 2 <= end; e += 2) {
      const float v0 = c->entry[e].val, v1 = c->entry[e + 1].val;
      const float *d0 = d + (int64_t)c->entry[e].row * TILE, *d1 = d + (int64_t)c->entry[e + 1].row * TILE;
      for (int l = 0; l < TILE; l++) {
        s0[l] += v0 * d0[l];
        s1[l] += v1 * d1[l];
      }
    }
    if (e < end) {
      const float v0 = c->entry[e].val;
      const float *d0 = d + (int64_t)c->entry[e].row * TILE;
      for (int l = 0; l < TILE; l++) s0[l] += v0 * d0[l];
    }
    for (int l = 0; l < width; l++) out[l] = s0[l] + s1[l];
  }
}

#if TILES_AVX512
__attribute__((target("avx512f"))) static void dw_tile_avx512(const csc_t *c, const float *d, float *dw,
                                                               int64_t in_dim, int64_t units, int64_t c0, int width) {
  const __mmask16 m0 = lane_mask(width, 0), m1 = lane_mask(width, 1), m2 = lane_mask(width, 2),
                  m3 = lane_mask(width, 3);
  const int32_t *restrict col = c->col, *restrict start = c->start;
  const entry_t *restrict entry = c->entry;
  const __m512 zero = _mm512_setzero_ps();
  int64_t j = 0;
  for (int64_t k = 0; k < in_dim; k++) {
    float *out = dw + k * units + c0;
    __m512 a0 = zero, a1 = zero, a2 = zero, a3 = zero, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
    if (j < c->cols && col[j] == k) {
      int32_t e = start[j];
      const int32_t end = start[++j];
      /* two partial sums (even and odd entries), added at the end */
      for (; e + 2 <= end; e += 2) {
        const __m512 u = _mm512_set1_ps(entry[e].val), v = _mm512_set1_ps(entry[e + 1].val);
        const float *r = d + (int64_t)entry[e].row * TILE, *q = d + (int64_t)entry[e + 1].row * TILE;
        a0 = _mm512_fmadd_ps(u, _mm512_load_ps(r), a0);
        a1 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 16), a1);
        a2 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 32), a2);
        a3 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 48), a3);
        b0 = _mm512_fmadd_ps(v, _mm512_load_ps(q), b0);
        b1 = _mm512_fmadd_ps(v, _mm512_load_ps(q + 16), b1);
        b2 = _mm512_fmadd_ps(v, _mm512_load_ps(q + 32), b2);
        b3 = _mm512_fmadd_ps(v, _mm512_load_ps(q + 48), b3);
      }
      if (e < end) {
        const __m512 u = _mm512_set1_ps(entry[e].val);
        const float *r = d + (int64_t)entry[e].row * TILE;
        a0 = _mm512_fmadd_ps(u, _mm512_load_ps(r), a0);
        a1 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 16), a1);
        a2 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 32), a2);
        a3 = _mm512_fmadd_ps(u, _mm512_load_ps(r + 48), a3);
      }
    }
    _mm512_mask_storeu_ps(out, m0, _mm512_add_ps(a0, b0));
    _mm512_mask_storeu_ps(out + 16, m1, _mm512_add_ps(a1, b1));
    _mm512_mask_storeu_ps(out + 32, m2, _mm512_add_ps(a2, b2));
    _mm512_mask_storeu_ps(out + 48, m3, _mm512_add_ps(a3, b3));
  }
}
#endif

static void dw_tiles(void *ctx, int64_t t0, int64_t t1) {
  const tiles_job_t *job = (const tiles_job_t *)ctx;
  const csc_t *c = job->csc;
  for (int64_t t = t0; t < t1; t++) {
    const int64_t c0 = t * TILE;
    const int width = job->units - c0 < TILE ? (int)(job->units - c0) : TILE;
    float *d = job->tiles + t * c->rows * TILE; /* δ[:, tile], tile-major, zero-padded */
    for (int64_t i = 0; i < c->rows; i++) {
      memcpy(d + i * TILE, job->delta + i * job->units + c0, (size_t)width * 4);
      memset(d + i * TILE + width, 0, (size_t)(TILE - width) * 4);
    }
#if TILES_AVX512
    if (job->avx512)
      dw_tile_avx512(c, d, job->out, job->in_dim, job->units, c0, width);
    else
#endif
      dw_tile_portable(c, d, job->out, job->in_dim, job->units, c0, width);
  }
}

int varia_sparse_dw(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows, int64_t in_dim,
                    const float *delta, float *dw, int64_t units) {
  if (units == 0) return 0;
  const int64_t tiles = (units + TILE - 1) / TILE;
  csc_t csc;
  if (csc_of_csr(&csc, indptr, indices, values, 0, rows, in_dim) != 0) return -1;
  float *d = varia_sparse_scratch(S_TILES, (size_t)(tiles * rows * TILE) * 4);
  if (!d) return -1;
  tiles_job_t job = {.csc = &csc, .delta = delta, .out = dw, .tiles = d, .units = units, .in_dim = in_dim,
                     .avx512 = varia_sparse_avx512()};
  run_tiles(dw_tiles, &job, (int64_t)(indptr[rows] - indptr[0]) * units);
  return 0;
}
