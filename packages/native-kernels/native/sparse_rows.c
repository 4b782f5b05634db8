/*
 * The forward product of a dense layer on a CSR input whose rows list their columns in non-decreasing order, with
 * AVX-512F (declared in sparse_rows.h; sparse_tiles.c's varia_sparse_forward calls it):
 *
 *   y_i = act(b + Σ_e x_e · W[k_e, :])   for the entries e of row i, in their stored order (k non-decreasing)
 *
 * Row by row, the output's columns in strips of up to STRIP_MAX registers (16 floats each) held as accumulators:
 * per entry one broadcast of x_e and one FMA per register, reading W[k_e, strip] from memory. W is read by blocks of
 * its rows (k-ranges) so that the W[k-range, strip] being read stays in L1 (KRANGE_BYTES): per block of ROW_BLOCK
 * rows, per strip, per k-range, each row with entries in the range loads its accumulators from y (b, or 0, at the
 * first range), runs those entries and stores them back. Loads per FMA: one of W, plus a row's accumulators once per
 * k-range it has entries in; the CSC tiles (sparse_tiles.c) load and store the accumulator per FMA.
 *
 * Bits: each output is b (or +0), then fma(x_e, W[k_e, j], acc) for the row's entries in order, one accumulator —
 * exactly the chain of sparse_tiles.c's AVX-512 tiles (they take the entries by column, rows of one column in order,
 * which for sorted rows is the same order); reloading an accumulator from y is exact. act is varia_activate over the
 * finished rows, as the tiles apply it. Blocks of rows are independent, so helper threads take whole blocks and the
 * bits do not depend on the thread count.
 */
#include "sparse_rows.h"

#include "parallel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Registers (16 floats each) of a strip: at most STRIP_MAX accumulators (beside the broadcast value, of 32). Fewer
 * strips share the per-entry work (index, address, broadcast) among more FMAs; 400 units are two strips. */
#define STRIP_MAX 13
/* The harness (scripts/sparse-forward-check.c) may set these with -D to try others. */
#ifndef KRANGE_BYTES
/* Bytes of W[k-range, strip] per k-range: about L1's 48 KiB on Sapphire Rapids. */
#define KRANGE_BYTES (32 * 1024)
#endif
#ifndef RANGE_ENTRIES
/* A k-range covers at least the columns in which a row has this many entries on average: a row's accumulators are
 * loaded and stored once per range it has entries in, and its loop over them ends with a mispredicted branch, so
 * sparse rows take wider ranges (2,000 counts at 5 %: all of k at once, W from L2). */
#define RANGE_ENTRIES 16
#endif
/* Where the time goes (AMD EPYC Zen 5, 10,000 MNIST rows 784 → 400, one thread, interleaved pairs against this kernel,
 * 2026-12-02, 5–9 pairs each, load 1.3–21): with W's reads folded onto its first 24 rows (in L1; the same entries,
 * branches and k-ranges) it takes 0.84–0.89 of the time; folded and with one k-range 0.57–0.62; W in L1 with
 * one k-range per row against 10 per row: 1.29× on rows of 15 entries per range, 1.41–1.47× on MNIST and random rows.
 * So the per (row, k-range) cost weighs more than W's reads from L2; its accumulator reloads and stores are not it
 * (dropping them: 1.0×), nor the mispredicted loop exit alone (a fixed trip count, roughly: 1.07×). Tried without
 * gain: W packed strip-major per call (1.02×, 0.998–1.037), prefetch of W's rows two entries ahead (0.78×), strips
 * outermost over groups of 4–64 blocks (0.96–1.01×), strips of 25–28 registers (0.71–0.83×), two rows' chains in one
 * loop (0.96–0.99×), counted entry loops (0.89–0.93×), k-ranges of equal entries per row (16–32: 0.95–0.96×). */
#ifndef ROW_BLOCK
/* Rows per block: the unit of work of a thread. */
#define ROW_BLOCK 16
#endif
/* Products with at least this many multiply-adds are shared between threads when there are helpers. */
#define ROWS_PARALLEL_MIN_MACS (1 << 21)
/* Blocks a thread claims at a time: about an eighth of a thread's share, at most ROWS_CLAIM_MAX. Blocks of 16 rows
 * claimed one by one alternate between the threads, and the two threads then ran the 10,000 MNIST rows 784 → 400 in
 * 10.8–11.2 ms against 14.4 on one; claiming 16 at a time (256 rows), 7.9–8.1 ms (AMD EPYC Zen 5 2-vCPU machine,
 * 2026-12-03, 3 interleaved rounds, bench/dist/profile-encode.js --input csr --parallel 2; 4 at a time: 8.3–8.7). A
 * training batch of 128 rows (8 blocks) still shares them one by one. */
#ifndef ROWS_CLAIM_MAX
#define ROWS_CLAIM_MAX 16
#endif
/* Each block prefetches the next block's entries (indices and values, from memory: 12 MB for 10,000 MNIST rows) over
 * the k-ranges of its first strip. AMD EPYC Zen 5, against none, 2026-12-02, load 1.2–1.4: 10,000 MNIST rows 784 →
 * 400 1.11× (21 interleaved pairs, 1.01–1.17; 20.7 → 18.7 ms, thread CPU time), 128-row calls (W 24 bytes off) 1.08×
 * (1.01–1.18), two threads 1.08× (15 pairs, 1.05–1.15, wall); counts 10,000 × 2,000 → 128 4.3–5.4 against 5.0–6.2 ms
 * (3 alternated runs). Two blocks ahead: 1.02×; also the next block's rows of y (written first from the bias): no
 * more (9–11 pairs, load 4.5–6.9). */

typedef struct {
  const int32_t *indptr, *indices;
  const float *values, *w, *bias;
  float *y;
  int64_t rows, in_dim, units;
  int64_t krange_min; /* columns per k-range at least (RANGE_ENTRIES) */
  int act;
  float alpha;
} rows_job_t;

/* Register s of a strip of S at p = a row of W, y or the bias + c0. Unmasked strips (M = 0): [p + dfirst, … + 16)
 * for the first, [p + dlast, … + 16) for the last, else [p + 16·s, … + 16) (one base register and constant
 * displacements). Masked strips (M = 1): [p + 16·s, … + 16) for every s, the first register's lanes `head` and the
 * last's `tail` (S = 1: head = tail, both). */
#define AT(p, s) (M ? (p) + 16 * (s) : (s) == 0 ? (p) + dfirst : (s) == S - 1 ? (p) + dlast : (p) + 16 * (s))
#define MASK(s) ((s) == 0 ? head : tail)
#define EDGE(s) (M && ((s) == 0 || (s) == S - 1))
#define LOAD(p, s) (EDGE(s) ? _mm512_maskz_loadu_ps(MASK(s), AT(p, s)) : _mm512_loadu_ps(AT(p, s)))
#define STORE(p, s, v)                                \
  do {                                                \
    if (EDGE(s))                                      \
      _mm512_mask_storeu_ps(AT(p, s), MASK(s), (v));  \
    else                                              \
      _mm512_storeu_ps(AT(p, s), (v));                \
  } while (0)

/* p + n floats for an n that may be negative (a strip's base c0 is −shift for the first strip). */
static inline const float *shifted(const float *p, int64_t n) {
  return (const float *)((uintptr_t)p + (uintptr_t)n * sizeof(float));
}

/* One strip of S registers of 16 columns, over the k-range [k0, k1) of the rows [r0, r1); pos[i − r0] is row i's next
 * entry (advanced past the range). Unmasked (M = 0, units ≥ 16), register s holds the columns AT(c0, s) … + 15 and
 * neighbours may overlap (the last ends at units when that is not a multiple of 16): an overlapped column is computed
 * twice by the same chain, so both stores write the same bits. Masked (M = 1: W's rows start `shift` floats past a
 * 64-byte boundary), register s holds c0 + 16·s … + 15, so that every load of W is aligned: the lanes outside
 * [0, units) are not written, nor read from y and the bias; from W they are read from the rows before and after row k
 * (computed, never stored), except in W's first and last rows, where they are not read either. */
__attribute__((always_inline, target("avx512f"))) static inline void strip_range(
    const rows_job_t *job, const int S, const int M, int64_t c0, int64_t dfirst, int64_t dlast, __mmask16 head,
    __mmask16 tail, int64_t r0, int64_t r1, int32_t k0, int32_t k1, int32_t *restrict pos) {
  const int32_t *restrict indices = job->indices;
  const int32_t *restrict indptr = job->indptr;
  const float *restrict values = job->values;
  const int64_t units = job->units;
  const float *w = shifted(job->w, c0), *bias = job->bias ? shifted(job->bias, c0) : NULL;
  float *y = (float *)shifted(job->y, c0);
  const int32_t klast = (int32_t)(job->in_dim - 1);
  for (int64_t i = r0; i < r1; i++) {
    int32_t e = pos[i - r0];
    const int32_t end = indptr[i + 1];
    if (k0 > 0 && (e == end || indices[e] >= k1)) continue; /* nothing in this range: y keeps the sums */
    float *yi = y + i * units;
    __m512 a[STRIP_MAX];
    if (k0 > 0) {
      _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) a[s] = LOAD(yi, s);
    } else if (bias) {
      _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) a[s] = LOAD(bias, s);
    } else {
      _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) a[s] = _mm512_setzero_ps();
    }
    for (; e < end && indices[e] < k1; e++) {
      const __m512 v = _mm512_set1_ps(values[e]);
      const int32_t k = indices[e];
      const float *wk = w + (int64_t)k * units;
      if (M && (k == 0 || k == klast)) { /* the lanes outside the row would be outside W */
        _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) a[s] = _mm512_fmadd_ps(v, LOAD(wk, s), a[s]);
      } else { /* outside the row, the edge registers read the rows before and after it, and those lanes are dropped */
        _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) a[s] = _mm512_fmadd_ps(v, _mm512_loadu_ps(AT(wk, s)), a[s]);
      }
    }
    pos[i - r0] = e;
    _Pragma("GCC unroll 16") for (int s = 0; s < S; s++) STORE(yi, s, a[s]);
  }
}

#define STRIP_CASE(n)                                                                                  \
  case n:                                                                                              \
    if (masked)                                                                                        \
      strip_range(job, n, 1, c0, 0, 0, head, tail, r0, r1, k0, k1, pos);                              \
    else                                                                                               \
      strip_range(job, n, 0, c0, first - c0, last - c0, 0xffff, 0xffff, r0, r1, k0, k1, pos);         \
    break;

/* The lanes l of a register whose first column is c with 0 ≤ c + l < units. */
static inline __mmask16 lanes(int64_t c, int64_t units) {
  const int64_t from = c < 0 ? -c : 0, to = units - c < 16 ? units - c : 16;
  return to <= from ? 0 : (__mmask16)(((1u << to) - 1u) & ~((1u << from) - 1u));
}

/* Fewer than 16 units: one masked register per row, all of k at once. */
__attribute__((target("avx512f"))) static void narrow_rows(const rows_job_t *job, int64_t r0, int64_t r1) {
  const __mmask16 m = (__mmask16)((1u << job->units) - 1u);
  for (int64_t i = r0; i < r1; i++) {
    __m512 a = job->bias ? _mm512_maskz_loadu_ps(m, job->bias) : _mm512_setzero_ps();
    for (int32_t e = job->indptr[i]; e < job->indptr[i + 1]; e++)
      a = _mm512_fmadd_ps(_mm512_set1_ps(job->values[e]),
                          _mm512_maskz_loadu_ps(m, job->w + (int64_t)job->indices[e] * job->units), a);
    _mm512_mask_storeu_ps(job->y + i * job->units, m, a);
  }
}

/* Blocks of rows [b0, b1) (blocks of ROW_BLOCK rows). */
__attribute__((target("avx512f"))) static void rows_blocks(void *ctx, int64_t b0, int64_t b1) {
  const rows_job_t *job = (const rows_job_t *)ctx;
  const int64_t units = job->units;
  /* W's rows all start `shift` floats past a 64-byte boundary when units is a multiple of 16 (the wasm heap aligns
   * tensors to 8 bytes): register j then holds the columns [16j − shift, 16j − shift + 16), masked at the edges, so
   * that every load of W is aligned (a load across two cache lines takes two of the core's load slots) */
  const int64_t shift = units % 16 == 0 ? (int64_t)(((uintptr_t)job->w / 4) % 16) : 0;
  const int64_t regs = (units + shift + 15) / 16;
  const int64_t strips = (regs + STRIP_MAX - 1) / STRIP_MAX;
  int32_t pos[ROW_BLOCK];
  for (int64_t b = b0; b < b1; b++) {
    const int64_t r0 = b * ROW_BLOCK, r1 = r0 + ROW_BLOCK < job->rows ? r0 + ROW_BLOCK : job->rows;
    if (units < 16) narrow_rows(job, r0, r1);
    int64_t reg0 = 0;
    for (int64_t t = 0; t < strips && units >= 16; t++) {
      /* registers split evenly between the strips */
      const int64_t reg1 = regs * (t + 1) / strips, S = reg1 - reg0, c0 = reg0 * 16 - shift;
      const int64_t first = c0, last = c0 + 16 * (S - 1) < units - 16 ? c0 + 16 * (S - 1) : units - 16;
      __mmask16 head = lanes(c0, units), tail = lanes(c0 + 16 * (S - 1), units);
      if (S == 1) head = tail = head & tail;
      const int masked = head != 0xffff || (shift > 0 && tail != 0xffff);
      const int64_t krange = KRANGE_BYTES / (S * 64) > job->krange_min ? KRANGE_BYTES / (S * 64) : job->krange_min;
      for (int64_t i = r0; i < r1; i++) pos[i - r0] = job->indptr[i];
      /* the next block's entries [e0, e1), prefetched during the first strip, a slice per k-range */
      const int64_t n0 = r1, n1 = n0 + ROW_BLOCK < job->rows ? n0 + ROW_BLOCK : job->rows;
      const int64_t e0 = t == 0 && n0 < job->rows ? job->indptr[n0] : 0, e1 = t == 0 && n0 < job->rows ? job->indptr[n1] : 0;
      const int64_t ranges = job->in_dim > krange ? (job->in_dim + krange - 1) / krange : 1;
      int64_t q = 0;
      for (int64_t k = 0; k < job->in_dim || k == 0; k += krange, q++) {
        const int32_t k0 = (int32_t)k, k1 = (int32_t)(k + krange < job->in_dim ? k + krange : job->in_dim);
        if (e1 > e0) { /* entries [e0, e1) of indices and values: inside both arrays */
          const int64_t from = e0 + (e1 - e0) * q / ranges, to = e0 + (e1 - e0) * (q + 1) / ranges;
          for (int64_t p = from & ~(int64_t)15; p < to; p += 16) {
            _mm_prefetch((const char *)(job->indices + p), _MM_HINT_T0);
            _mm_prefetch((const char *)(job->values + p), _MM_HINT_T0);
          }
        }
        switch (S) {
          STRIP_CASE(1)
          STRIP_CASE(2)
          STRIP_CASE(3)
          STRIP_CASE(4)
          STRIP_CASE(5)
          STRIP_CASE(6)
          STRIP_CASE(7)
          STRIP_CASE(8)
          STRIP_CASE(9)
          STRIP_CASE(10)
          STRIP_CASE(11)
          STRIP_CASE(12)
          STRIP_CASE(13)
          default:
            break;
        }
      }
      reg0 = reg1;
    }
    varia_activate(job->y + r0 * units, (r1 - r0) * units, job->act, job->alpha);
  }
}

void varia_sparse_rows_forward(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                               int64_t in_dim, const float *w, const float *bias, float *y, int64_t units, int act,
                               float alpha) {
  if (rows == 0 || units == 0) return;
  rows_job_t job = {.indptr = indptr, .indices = indices, .values = values, .w = w, .bias = bias, .y = y,
                    .rows = rows, .in_dim = in_dim, .units = units, .act = act, .alpha = alpha};
  const int64_t blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK, nnz = indptr[rows] - indptr[0], macs = nnz * units;
  /* in doubles: rows · in_dim may pass 2⁶³ / RANGE_ENTRIES */
  const double span = nnz > 0 ? (double)RANGE_ENTRIES * (double)rows * (double)in_dim / (double)nnz : (double)in_dim;
  job.krange_min = span < (double)in_dim ? (int64_t)span + 1 : in_dim + 1;
  if (varia_parallel() > 1 && blocks > 1 && macs >= ROWS_PARALLEL_MIN_MACS) {
    const int64_t share = blocks / (8 * (int64_t)varia_parallel());
    varia_parallel_for(rows_blocks, &job, blocks, share < 1 ? 1 : share > ROWS_CLAIM_MAX ? ROWS_CLAIM_MAX : share);
  } else {
    rows_blocks(&job, 0, blocks);
  }
}

int varia_sparse_rows_available(void) { return 1; }

#else

void varia_sparse_rows_forward(const int32_t *indptr, const int32_t *indices, const float *values, int64_t rows,
                               int64_t in_dim, const float *w, const float *bias, float *y, int64_t units, int act,
                               float alpha) {
  (void)indptr, (void)indices, (void)values, (void)rows, (void)in_dim, (void)w, (void)bias, (void)y, (void)units,
      (void)act, (void)alpha;
}

int varia_sparse_rows_available(void) { return 0; }

#endif
