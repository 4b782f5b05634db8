/*
 * C = op(A)·B + beta·C with oneDNN 2.x's bits, skipping the zeros of op(A) (zero_skip.h).
 *
 * WHY THE BITS STAY. oneDNN 2.6.3's dnnl_sgemm on one OpenMP thread of an avx512_core CPU (M ≥ 2) sums each element
 * of C as one FMA chain from +0 per block of K, k ascending, and adds the blocks left to right onto C (gemm512.c's
 * header, scripts/sgemm-order-check.c). In such a chain fma(±0, w, s) == s bit for bit when w is finite and s is not
 * −0 (s ≠ 0: exact; s = +0: +0 + ±0 = +0). A chain from +0 becomes −0 only through a non-zero exact result that
 * rounds to zero, which needs products below 2⁻¹⁴⁹: every product is a multiple of ulp(a)·ulp(w), so when
 * min |a ≠ 0| · min |w ≠ 0| ≥ 2⁻¹⁰⁰ every partial sum is a multiple of 2⁻¹⁴⁹ at least and never rounds to zero.
 * So this kernel visits, in each row, the k where op(A) ≠ 0 (NaN and ±∞ included), plus every k whose row of B has a
 * non-finite entry (0·∞ = NaN in oneDNN), plus every k of a row whose smallest |a ≠ 0| times B's smallest |w ≠ 0| is
 * below 2⁻¹⁰⁰ (that row is summed densely, exactly oneDNN's chain); and it adds every block's sum onto C, also a block
 * with nothing visited (−0 + +0 = +0, as oneDNN). NaNs keep oneDNN's bits too: where a block's sum and C are both NaN
 * the sum's is kept (an add keeps its first operand's, and the compiler may order the operands either way); a product
 * whose A and B both hold a NaN is declined (oneDNN's FMA keeps A's NaN, this kernel's tiles the one the compiler
 * puts first). The blocks of K are oneDNN's (gemm512.c's k_block rule, the driver
 * from gemm_split.c's port of its no-copy checker for the shape as given).
 *
 * THE KERNEL. CHUNK rows of op(A) at a time (more when B does not fit the L2; for TN first transposed into contiguous
 * rows) are compressed, GROUP rows together, into one list of the k where any of
 * them is non-zero (or k is forced) with each row's a beside it (AVX-512 compress; whole-vector stores, so the lists
 * keep 16 entries of slack). A row of the group with a = 0 at such a k adds fma(0, w, s) = s: exact, as above. Then
 * for each strip of at most NV_MAX × 16 columns of C and each sub-range of at most KC steps of a K block, each group
 * runs its chains in zmm registers over its entries in the sub-range: one load of W's row per 16 columns, shared by
 * the group's rows (broadcast a, FMA). The chain is carried between sub-ranges through a scratch store and load
 * (exact); at a block's end it is added onto C (or is C, for the first block with beta 0).
 */
#include "zero_skip.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparse_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512dq")))
#define SAMPLE_ROWS 8 /* rows of op(A) whose zeros are counted before anything is decided */
#define TINY 0x1p-100 /* the least product of smallest magnitudes for which skipping is exact */
/* scripts/zero-skip-check.c may set these with -D to try others. Measured (MNIST encode's 10,000 × 784 → 400, one
 * thread, W aligned, CPU time, load 2–3): 16.4–18.8 ms with these; GROUP 1: 17.4–18.9, 4: 17.9–23.6; KC 64: 20.5–23.2,
 * 384: 20.7; CHUNK 128: 22.3; strips of up to 13 vectors (accumulators in 26 zmm): GROUP 1 17.4–17.6, GROUP 2 23.9–25.1
 * (W's vectors no longer stay in registers); NV_MAX 9, 10, 12 (N = 400 in 3 strips): no gain; software prefetch of W's
 * rows 4 or 8 entries ahead: no gain; pairing a chunk's rows by overlap would cut the union from 29 % to 27 % of K. */
/* With W's reads folded onto its first 24 rows (in L1; the same lists and loops), Zen 5, 7 pairs: the encode 1.12×,
 * the step's forward 1.13×, its dW 1.06× — W's reads from L2 are a small part; before the changes of 2026-12-02
 * (scan_b on integer bits, TN transposed, A prefetched) the compression and B's scan took ~0.3 of the encode, ~0.25
 * of the step's forward and ~0.35 of its dW (products without the multiply, 7–9 pairs). */
/* Zen 4 (AMD EPYC family 25; L1d 32 KiB, L2 1 MiB), one thread, 2026-12-03, two builds in one process alternating
 * call by call (thread CPU time, 21–31 pairs, load 0.3–0.7; a build against itself: 0.99–1.03×). A tile that ends a K
 * block prefetches its rows of C before its chains, for the add onto C, which had waited on C's lines (the encode's
 * 16 MB C comes from memory: ~15 % of the tiles' samples): the MNIST encode 1.07–1.09× (quartiles 1.00–1.11), the counts
 * encode 1.03×, the step's 128-row products 1.00×. Not kept: groups of 4–16 pairs running each K block in sub-ranges
 * of 32–64 k (W's rows in L1 for 8–32 rows at a time) 0.84–0.97×; pairing each chunk's rows by their non-zeros (each with
 * the one of the next 32 whose 784-bit mask differs least: 29.2 → 25.2 % of k, the products 13 % shorter, but the
 * masks' pass and the pairing cost as much) 1.00×, and the dW (TN) and counts products 0.96–0.97×; prefetching the
 * next chunk's rows of A during the products (they then crowd W out of L2) 0.97×. Measured in L1, the loop below runs
 * at the FMA unit's peak (one 512-bit FMA a cycle, the broadcasts free); on MNIST it reaches ~0.67 of it. */
#ifndef GROUP
#define GROUP 2 /* rows of op(A) that share one list of k (the union of their non-zeros) */
#endif
#ifndef CHUNK
#define CHUNK 16 /* rows of op(A) compressed at a time */
#endif
/* Rows of op(A) compressed at a time when B (K × N floats) does not fit the core's L2: every chunk reads all of B,
 * from L3 when it does not fit. Measured on an AMD EPYC Zen 5 (L2 1 MiB; MNIST's 784 × 400 B is 1.25 MB), one thread,
 * 2026-12-02, load 2–4, interleaved pairs against CHUNK rows: the encode's 10,000 × 784 → 400 1.07× (15 pairs,
 * 0.99–1.24; 19.0 against 20.7 ms), batches of 128 rows 1.04× (9 pairs, 0.96–1.09); 64 rows: 1.06× and 1.05×; 256
 * rows with KC 128: 0.99×. Sapphire Rapids (L2 2 MiB) holds that B and keeps CHUNK (CHUNK 128 there: 22.3 ms). */
#ifndef CHUNK_BEYOND_L2
#define CHUNK_BEYOND_L2 128
#endif
#ifndef KC
#define KC 200 /* the longest sub-range of a K block (the chains are carried between sub-ranges) */
#endif
#ifndef PREFETCH_GROUPS
/* Groups ahead whose rows of A (NN) compress_group prefetches: A's rows come from memory (the encode's 10,000 MNIST
 * rows are 31 MB). Zen 5, one thread, C harness, 9 interleaved pairs against none, load 2.3–2.5: 4 groups 1.22×
 * (1.16–1.40), 8 groups 1.24× (1.21–1.36), 16 groups (prefetcht1) 1.19× on the encode's 10,000 × 784 → 400. */
#define PREFETCH_GROUPS 8
#endif
#ifndef PACK_ROWS
#define PACK_ROWS 64 /* rows of op(A) from which a misaligned B is copied to aligned memory first */
#endif
#define NV_MAX 8 /* 16-float vectors in a strip of C (the accumulators: GROUP × NV_MAX zmm) */
#define ACC (16 * NV_MAX)

enum { OUT_SCRATCH, OUT_SET, OUT_ADD };

/* The core's L2 in bytes (sysconf; 0 when unknown), asked once. */
static int64_t l2_bytes(void) {
  static long cached = -1; /* relaxed atomics: threads that race both store the same value */
  long v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (v < 0) {
#ifdef _SC_LEVEL2_CACHE_SIZE
    v = sysconf(_SC_LEVEL2_CACHE_SIZE); /* glibc: from cpuid */
#endif
    if (v < 0) v = 0;
    __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
  }
  return v;
}

/* The most bytes of value lists (a row's at full length, K + 16 floats) CHUNK_BEYOND_L2 rows may take: the scratch is
 * grow-only, kept by the thread between calls, so a huge K (a chunk of 128 rows of 10⁶ floats: 512 MB, against 64 MB
 * for CHUNK rows) stays at CHUNK rows; MNIST's K = 784 takes 0.4 MB. Not a measured speed limit. */
#ifndef CHUNK_BEYOND_L2_MAX_BYTES
#define CHUNK_BEYOND_L2_MAX_BYTES ((double)(8 << 20))
#endif

/* Rows of op(A) per chunk: CHUNK, or CHUNK_BEYOND_L2 when B is known not to fit the L2 (and their lists are not huge). */
static int64_t chunk_rows(const varia_gemm_shape_t *s) {
  const int64_t l2 = l2_bytes();
  const int beyond = l2 > 0 && (double)s->K * (double)s->N * 4.0 > (double)l2;
  return beyond && (double)CHUNK_BEYOND_L2 * ((double)s->K + 16) * 4.0 <= CHUNK_BEYOND_L2_MAX_BYTES ? CHUNK_BEYOND_L2
                                                                                                    : CHUNK;
}

/* The length of the K block that starts with `left` steps to go: oneDNN's rule (gemm512.c's k_block). */
static int64_t block_length(int64_t left, int plain) {
  if (left <= 384) return left;
  if (plain || left >= 768) return 384;
  return (left + 1) / 2;
}

/* Where a chunk's lists live: group g (GROUP rows of op(A)) has its k at idx + g·cap, row r's a at
 * val + (g·GROUP + r)·cap, n[g] entries, a cursor, and its rows' accumulators at acc + (g·GROUP + r)·ACC. */
typedef struct {
  const int32_t *idx;
  const float *val;
  const int64_t *n;
  int64_t *cursor;
  float *acc;
  int64_t cap;
} lists_t;

/*
 * One strip of NV vectors of C for `groups` groups of MR rows, over each group's entries with k < k1 from its cursor
 * (advanced past them): the chains start at +0 (from 0) or at the scratch accumulators (from 1); then they are stored
 * to scratch (OUT_SCRATCH), or C = chain (OUT_SET), or C = C + chain (OUT_ADD). An entry where a row's a is 0 adds
 * fma(0, w, s) = s (w finite: the entry's k is in the group's union, not forced). PARTIAL: the last vector's lanes
 * past `mask` are neither read from W or C nor written.
 */
#define TILE(MR, NV, PARTIAL)                                                                                          \
  AVX512 static void tile_##MR##_##NV##_##PARTIAL(const lists_t *l, int64_t g0, int64_t groups, int64_t k1,          \
                                                  const float *b, int64_t ldb, int from, int out, float *c,            \
                                                  int64_t ldc, __mmask16 mask) {                                       \
    for (int64_t g = g0; g < g0 + groups; g++) {                                                                      \
      __m512 s[MR][NV];                                                                                               \
      float *ag = l->acc + g * (GROUP * ACC);                                                                             \
      const int32_t *idx = l->idx + g * l->cap;                                                                       \
      const float *val = l->val + g * GROUP * l->cap;                                                                     \
      _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)       \
          s[r][v] = from ? _mm512_load_ps(ag + r * ACC + 16 * v) : _mm512_setzero_ps();                               \
      if (out != OUT_SCRATCH) /* C's writes (and the add onto C): its lines arrive during the chains */              \
        _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)     \
          _mm_prefetch((const char *)(c + (g * GROUP + r) * ldc + 16 * v), _MM_HINT_T0);                             \
      int64_t p = l->cursor[g];                                                                                       \
      const int64_t e = l->n[g];                                                                                      \
      for (; p < e && idx[p] < k1; p++) {                                                                             \
        const float *w = b + (int64_t)idx[p] * ldb;                                                                   \
        __m512 wv[NV];                                                                                                \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) wv[v] =                                                  \
            PARTIAL && v == NV - 1 ? _mm512_maskz_loadu_ps(mask, w + 16 * v) : _mm512_loadu_ps(w + 16 * v);           \
        _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {                                                        \
          const __m512 x = _mm512_set1_ps(val[r * l->cap + p]);                                                       \
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) s[r][v] = _mm512_fmadd_ps(x, wv[v], s[r][v]);          \
        }                                                                                                             \
      }                                                                                                               \
      l->cursor[g] = p;                                                                                               \
      _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {                                                          \
        if (out == OUT_SCRATCH) {                                                                                     \
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) _mm512_store_ps(ag + r * ACC + 16 * v, s[r][v]);       \
        } else {                                                                                                      \
          float *cr = c + (g * GROUP + r) * ldc;                                                                          \
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {                                                      \
            const __mmask16 lanes = PARTIAL && v == NV - 1 ? mask : 0xffff;                                           \
            __m512 y = s[r][v];                                                                                       \
            if (out == OUT_ADD) /* oneDNN's NaN: the chain's when both are NaN (whatever order GCC gives the add) */   \
              y = _mm512_mask_mov_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(lanes, cr + 16 * v), y),                     \
                                     _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), y);                                       \
            _mm512_mask_storeu_ps(cr + 16 * v, lanes, y);                                                             \
          }                                                                                                           \
        }                                                                                                             \
      }                                                                                                               \
    }                                                                                                                 \
  }
#define TILES(MR, NV) TILE(MR, NV, 0) TILE(MR, NV, 1)
#define ROW_TILES(MR) TILES(MR, 1) TILES(MR, 2) TILES(MR, 3) TILES(MR, 4) TILES(MR, 5) TILES(MR, 6) TILES(MR, 7) TILES(MR, 8)
ROW_TILES(1)
ROW_TILES(2)
ROW_TILES(3)
ROW_TILES(4)

typedef void (*tile_fn)(const lists_t *, int64_t, int64_t, int64_t, const float *, int64_t, int, int, float *, int64_t,
                        __mmask16);
#define NVS(MR, P) tile_##MR##_1_##P, tile_##MR##_2_##P, tile_##MR##_3_##P, tile_##MR##_4_##P, tile_##MR##_5_##P, \
                   tile_##MR##_6_##P, tile_##MR##_7_##P, tile_##MR##_8_##P
static const tile_fn tiles[4][2][NV_MAX] = {{{NVS(1, 0)}, {NVS(1, 1)}}, {{NVS(2, 0)}, {NVS(2, 1)}},
                                            {{NVS(3, 0)}, {NVS(3, 1)}}, {{NVS(4, 0)}, {NVS(4, 1)}}};

static __mmask16 lanes_of(int64_t left) { return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u); }

/* op(A)[r][k … k + 16) (lanes `in`; the others 0) where op(A)[r][k] = a[r·ars + k·aks]: a load when aks = 1 (NN), a
 * gather down a column of A otherwise (TN, the sampled rows only; offsets k·aks below 2³¹ floats: varia_zero_skip_gemm
 * declines others). */
AVX512 static __m512 load_row(const float *a, int64_t aks, int64_t k, __mmask16 in) {
  if (aks == 1) return _mm512_maskz_loadu_ps(in, a + k);
  const __m512i at = _mm512_mullo_epi32(
      _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)k)),
      _mm512_set1_epi32((int)aks));
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), in, at, a, 4);
}

/* The non-zeros (NaN included, ±0 not) among the sampled rows' K entries. */
AVX512 static int64_t sample_nonzeros(const varia_gemm_shape_t *s, const float *a) {
  const int64_t rows = s->M < SAMPLE_ROWS ? s->M : SAMPLE_ROWS;
  int64_t count = 0;
  for (int64_t q = 0; q < rows; q++) {
    const float *ar = a + (q * s->M / rows) * (s->ta ? 1 : s->lda);
    for (int64_t k = 0; k < s->K; k += 16) {
      const __mmask16 in = lanes_of(s->K - k);
      count += __builtin_popcount(
          _mm512_mask_cmp_ps_mask(in, load_row(ar, s->ta ? s->lda : 1, k, in), _mm512_setzero_ps(), _CMP_NEQ_UQ));
    }
  }
  return count;
}

/* B's rows [0, K) × columns [0, N): forced[k / 16] bit k % 16 set when row k has a NaN or ±∞; returns the smallest
 * |w| over its finite non-zeros (+∞ when none). With `packed` (64-byte aligned), B is copied there too, rows of ldp
 * floats (a multiple of 16; the columns past N zero). On the bits of |w| (sign cleared), as unsigned integers, whose
 * order is that of the magnitudes (subnormals, ∞ = 0x7f800000 and NaN above it included): a row is forced when its
 * largest |w| is ∞ or NaN; the least non-zero |w| is min(|w| − 1) + 1 (a zero wraps to the largest), capped at ∞'s
 * bits so that NaN counts as none. Integer max/min chains of one cycle, no mask registers per vector. */
AVX512 static double scan_b(const varia_gemm_shape_t *s, const float *b, __mmask16 *forced, float *packed, int64_t ldp,
                            int *b_nan) {
  __m512i peak = _mm512_setzero_si512();
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), one = _mm512_set1_epi32(1);
  const __m512i infinity = _mm512_set1_epi32(0x7f800000);
  __m512i least = _mm512_set1_epi32(-1);
  memset(forced, 0, (size_t)((s->K + 15) / 16) * sizeof *forced);
  for (int64_t k = 0; k < s->K; k++) {
    const float *br = b + k * s->ldb;
    __m512i top = _mm512_setzero_si512();
    for (int64_t j = 0; j < s->N; j += 16) {
      const __mmask16 in = lanes_of(s->N - j);
      const __m512i w = _mm512_maskz_loadu_epi32(in, br + j), m = _mm512_and_si512(w, magnitude);
      if (packed) _mm512_store_si512(packed + k * ldp + j, w);
      top = _mm512_max_epu32(top, m);
      least = _mm512_min_epu32(least, _mm512_sub_epi32(m, one)); /* the lanes past N are 0: they wrap */
    }
    if (_mm512_cmpge_epu32_mask(top, infinity)) forced[k / 16] |= (__mmask16)(1u << (k % 16));
    peak = _mm512_max_epu32(peak, top);
  }
  *b_nan = _mm512_reduce_max_epu32(peak) > 0x7f800000u;
  const uint32_t bits = _mm512_reduce_min_epu32(least) + 1u; /* 0 when every |w| is 0 */
  const uint32_t capped = bits == 0u || bits > 0x7f800000u ? 0x7f800000u : bits;
  float least_b;
  memcpy(&least_b, &capped, sizeof least_b);
  return least_b;
}

/* B's rows [0, K) × columns [0, N) copied to `packed` (64-byte aligned, rows of ldp floats, the columns past N
 * zero): the copy scan_b makes, without the scan, for a B whose facts are known. */
AVX512 static void pack_b(const varia_gemm_shape_t *s, const float *b, float *packed, int64_t ldp) {
  for (int64_t k = 0; k < s->K; k++) {
    const float *br = b + k * s->ldb;
    for (int64_t j = 0; j < s->N; j += 16)
      _mm512_store_si512(packed + k * ldp + j, _mm512_maskz_loadu_epi32(lanes_of(s->N - j), br + j));
  }
}

/* T[r][k] = a[r + k·lda] for r < m (≤ the chunk) and k < K, rows of T ldt floats (a multiple of 16, ≥ K): the chunk's
 * rows of op(A) = Aᵀ made contiguous, by 16 × 16 tiles (masked loads inside A; whole-vector stores, so T's rows are
 * written up to ldt), where gathering them down A's columns took ~0.45 of the step's dW = xᵀ·δ (784 × 400 from 128
 * rows, Zen 5). */
AVX512 static void transpose_chunk(const float *a, int64_t lda, int64_t m, int64_t K, float *t, int64_t ldt) {
  for (int64_t r0 = 0; r0 < m; r0 += 16) {
    const __mmask16 cols = lanes_of(m - r0);
    const int64_t width = m - r0 < 16 ? m - r0 : 16;
    for (int64_t k0 = 0; k0 < K; k0 += 16) {
      __m512 x[16], u[16], v[8], w[8];
      for (int q = 0; q < 16; q++)
        x[q] = k0 + q < K ? _mm512_maskz_loadu_ps(cols, a + (k0 + q) * lda + r0) : _mm512_setzero_ps();
      for (int q = 0; q < 16; q += 4) { /* u[q + j], lane L: column 4L + j of rows q … q + 3 */
        const __m512 t0 = _mm512_unpacklo_ps(x[q], x[q + 1]), t1 = _mm512_unpackhi_ps(x[q], x[q + 1]);
        const __m512 t2 = _mm512_unpacklo_ps(x[q + 2], x[q + 3]), t3 = _mm512_unpackhi_ps(x[q + 2], x[q + 3]);
        u[q] = _mm512_shuffle_ps(t0, t2, 0x44), u[q + 1] = _mm512_shuffle_ps(t0, t2, 0xEE);
        u[q + 2] = _mm512_shuffle_ps(t1, t3, 0x44), u[q + 3] = _mm512_shuffle_ps(t1, t3, 0xEE);
      }
      for (int j = 0; j < 4; j++) {
        v[j] = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), v[4 + j] = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);
        w[j] = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), w[4 + j] = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
      }
      for (int j = 0; j < 4; j++) { /* column 4L + j: lanes L of the four groups of rows */
        x[j] = _mm512_shuffle_f32x4(v[j], w[j], 0x88), x[4 + j] = _mm512_shuffle_f32x4(v[4 + j], w[4 + j], 0x88);
        x[8 + j] = _mm512_shuffle_f32x4(v[j], w[j], 0xDD), x[12 + j] = _mm512_shuffle_f32x4(v[4 + j], w[4 + j], 0xDD);
      }
      for (int64_t c = 0; c < width; c++) _mm512_store_ps(t + (r0 + c) * ldt + k0, x[c]);
    }
  }
}

/* Whether A's M × K region (rows of lda floats: NN M rows of K, TN K rows of M) holds a NaN. */
AVX512 static int a_has_nan(const varia_gemm_shape_t *s, const float *a) {
  const int64_t rows = s->ta ? s->K : s->M, len = s->ta ? s->M : s->K;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < len; k += 16) {
      const __mmask16 in = lanes_of(len - k);
      const __m512 v = _mm512_maskz_loadu_ps(in, a + r * s->lda + k);
      if (_mm512_mask_cmp_ps_mask(in, v, v, _CMP_UNORD_Q)) return 1;
    }
  return 0;
}

/* Rows [0, mr) of op(A) (op(A)[r][k] = a[r·ars + k], contiguous) as one list of the k where any row has a ≠ 0 (NaN
 * included) or k is forced, with each row's a at val + r·cap; every k when a row's smallest |a ≠ 0| · least_b < TINY.
 * Returns the entries. The stores are whole vectors: the lists need 16 entries of slack. The rows [0, ahead_rows) at
 * `ahead` (rows of A a later group reads) are prefetched alongside, k for k. */
AVX512 static int64_t compress_group(const float *a, int64_t ars, int mr, int64_t K, const __mmask16 *forced,
                                     double least_b, int32_t *idx, float *val, int64_t cap, const float *ahead,
                                     int ahead_rows) {
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 zero = _mm512_setzero_ps();
  int64_t p = 0;
  for (int dense = 0; dense < 2; dense++) {
    __m512 least[4];
    for (int r = 0; r < mr; r++) least[r] = _mm512_set1_ps(__builtin_inff());
    p = 0;
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 in = lanes_of(K - k);
      __m512 v[4];
      __mmask16 keep = forced[k / 16] & in;
      for (int r = 0; r < mr; r++) {
        v[r] = _mm512_maskz_loadu_ps(in, a + r * ars + k);
        if (r < ahead_rows) _mm_prefetch((const char *)(ahead + r * ars + k), _MM_HINT_T0);
        keep |= _mm512_mask_cmp_ps_mask(in, v[r], zero, _CMP_NEQ_UQ);
        least[r] = _mm512_mask_min_ps(least[r], _mm512_mask_cmp_ps_mask(in, v[r], zero, _CMP_NEQ_OQ), least[r],
                                      _mm512_abs_ps(v[r]));
      }
      if (dense) keep = in;
      _mm512_storeu_si512(idx + p, _mm512_maskz_compress_epi32(keep, _mm512_add_epi32(lanes, _mm512_set1_epi32((int)k))));
      for (int r = 0; r < mr; r++) _mm512_storeu_ps(val + r * cap + p, _mm512_maskz_compress_ps(keep, v[r]));
      p += __builtin_popcount(keep);
    }
    int exact = 1;
    for (int r = 0; r < mr; r++) exact = exact && (double)_mm512_reduce_min_ps(least[r]) * least_b >= TINY;
    if (exact) break; /* else a product may underflow: the group takes every k, oneDNN's own chain */
  }
  return p;
}

/* Rows [0, rows) of C from the chunk's lists (groups of MR rows, the last one shorter), strip by strip, block of K by
 * block, sub-range by sub-range. */
static void multiply_rows(const varia_gemm_shape_t *s, const lists_t *l, int64_t rows, const float *b, int beta_one,
                          float *c, int plain) {
  const int64_t vectors = (s->N + 15) / 16, count = (vectors + NV_MAX - 1) / NV_MAX;
  const int64_t full = rows / GROUP, tail = rows % GROUP;
  for (int64_t q = 0, v0 = 0; q < count; q++) {
    const int nv = (int)(vectors / count + (q < vectors % count));
    const int64_t j = 16 * v0, cols = s->N - j < 16 * nv ? s->N - j : 16 * nv;
    const int partial = cols < 16 * nv;
    const __mmask16 mask = lanes_of(cols - 16 * (nv - 1));
    const tile_fn run = tiles[GROUP - 1][partial][nv - 1], last = tail ? tiles[tail - 1][partial][nv - 1] : NULL;
    memset(l->cursor, 0, (size_t)(full + (tail > 0)) * sizeof *l->cursor);
    for (int64_t k0 = 0; k0 < s->K;) {
      const int64_t kb = block_length(s->K - k0, plain), k1 = k0 + kb;
      const int64_t subs = (kb + KC - 1) / KC, step = (kb + subs - 1) / subs;
      for (int64_t p0 = k0; p0 < k1; p0 += step) {
        const int64_t p1 = k1 - p0 < step ? k1 : p0 + step;
        const int out = p1 < k1 ? OUT_SCRATCH : k0 > 0 || beta_one ? OUT_ADD : OUT_SET;
        run(l, 0, full, p1, b + j, s->ldb, p0 > k0, out, c + j, s->ldc, mask);
        if (last) last(l, full, 1, p1, b + j, s->ldb, p0 > k0, out, c + j, s->ldc, mask);
      }
      k0 = k1;
    }
    v0 += nv;
  }
}

int varia_zero_skip_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c,
                         double max_density) {
  return varia_zero_skip_gemm_known(s, a, b, beta, c, max_density, NULL);
}

/* Whether the shape is one varia_zero_skip_gemm covers and a sample of op(A)'s rows is sparse enough (its first
 * checks, which read nothing but the sampled rows of A). */
AVX512 static int takes(const varia_gemm_shape_t *s, const float *a, float beta, double max_density) {
  if (s->tb || s->M < 2 || s->N < 2 || s->K < 1 || (beta != 0.f && beta != 1.f)) return 0;
  /* op(A) = Aᵀ is gathered with 32-bit offsets k·lda (load_row): a heap of 2³¹ floats or more (8 GiB: not wasm's,
   * but the addon takes any ArrayBuffer) would wrap them, a read outside A */
  if ((s->ta && (s->K - 1) * s->lda > INT32_MAX) || s->K > INT32_MAX - 16) return 0; /* k itself: 32 bits */
  const int64_t sampled = s->M < SAMPLE_ROWS ? s->M : SAMPLE_ROWS;
  return (double)sample_nonzeros(s, a) <= max_density * (double)(sampled * s->K);
}

int varia_zero_skip_takes(const varia_gemm_shape_t *s, const float *a, float beta, double max_density) {
  return takes(s, a, beta, max_density);
}

int varia_zero_skip_gemm_known(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c,
                               double max_density, const varia_b_facts_t *facts) {
  if (!takes(s, a, beta, max_density)) return 1;
  const int64_t chunk = chunk_rows(s), rows = s->M < chunk ? s->M : chunk, groups = (rows + GROUP - 1) / GROUP, cap = s->K + 16;
  const int64_t words = (s->K + 15) / 16;
  /* the k lists, then n[] and cursor[] (a group each), then B's forced rows; the values (GROUP rows per group), then
   * the accumulators */
  const size_t index_bytes = ((size_t)(groups * cap) * 4 + 63) / 64 * 64;
  const size_t value_bytes = ((size_t)(groups * GROUP * cap) * 4 + 63) / 64 * 64;
  char *ints = varia_sparse_scratch(VARIA_SCRATCH_CSR_INDICES,
                                    index_bytes + 2 * (size_t)groups * sizeof(int64_t) + (size_t)words * 2);
  /* B misaligned (its rows not all on 64 bytes): W's loads split cache lines, 1.4–1.5× the time of aligned ones
   * (MNIST encode); a packed copy costs about one pass over B, paid back from PACK_ROWS rows */
  const int pack = s->M >= PACK_ROWS && ((uintptr_t)b % 64 != 0 || s->ldb % 16 != 0);
  const int64_t ldp = (s->N + 15) / 16 * 16;
  const size_t acc_bytes = (size_t)(groups * GROUP * ACC) * 4;
  /* TN: the chunk's rows of op(A), transposed (transpose_chunk) */
  const int64_t ldt = (s->K + 15) / 16 * 16;
  const size_t packed_bytes = pack ? (size_t)(s->K * ldp) * 4 : 0, t_bytes = s->ta ? (size_t)(rows * ldt) * 4 : 0;
  char *floats = varia_sparse_scratch(VARIA_SCRATCH_CSR_VALUES, value_bytes + acc_bytes + packed_bytes + t_bytes);
  if (!ints || !floats) return 2;
  float *packed = pack ? (float *)(floats + value_bytes + acc_bytes) : NULL;
  float *t = s->ta ? (float *)(floats + value_bytes + acc_bytes + packed_bytes) : NULL;
  int64_t *n = (int64_t *)(ints + index_bytes);
  const lists_t lists = {.idx = (const int32_t *)ints, .val = (const float *)floats, .n = n, .cursor = n + groups,
                         .acc = (float *)(floats + value_bytes), .cap = cap};
  __mmask16 *forced = (__mmask16 *)(n + 2 * groups);
  int b_nan = 0;
  double least_b;
  if (facts) {
    /* every entry finite: no row is forced, no NaN; only the copy to aligned memory remains */
    memset(forced, 0, (size_t)words * sizeof *forced);
    if (packed) pack_b(s, b, packed, ldp);
    least_b = facts->least;
  } else {
    least_b = scan_b(s, b, forced, packed, ldp, &b_nan);
  }
  /* a NaN of A meeting a NaN of B in one FMA: oneDNN keeps A's, this kernel the one GCC puts first (B's for N <= 16) */
  if (b_nan && a_has_nan(s, a)) return 1;
  /* op(A)[i][k] = a[i·ars + k]: NN the rows of A; TN the chunk's rows of T (op(A)[i0 + i][k] = t[i·ldt + k]) */
  const int64_t ars = s->ta ? ldt : s->lda;
  /* the driver of the product as called (its leading dimensions), before B is swapped for its copy */
  const int plain = s->K > 768 && !varia_onednn_nocopy(s);
  varia_gemm_shape_t shape = *s;
  if (pack) b = packed, shape.ldb = ldp;
  for (int64_t i0 = 0; i0 < s->M; i0 += rows) {
    const int64_t m = s->M - i0 < rows ? s->M - i0 : rows;
    if (t) transpose_chunk(a + i0, s->lda, m, s->K, t, ldt);
    const float *rows_a = t ? t : a + i0 * ars;
    for (int64_t g = 0; g * GROUP < m; g++) {
      const int mr = (int)(m - g * GROUP < GROUP ? m - g * GROUP : GROUP);
      /* NN: the rows PREFETCH_GROUPS groups on, inside A (the next chunk's too); T (TN) is in cache */
      const int64_t on = i0 + (g + PREFETCH_GROUPS) * GROUP, left = s->M - on;
      const int ahead_rows = t || left <= 0 ? 0 : left < GROUP ? (int)left : GROUP;
      n[g] = compress_group(rows_a + g * GROUP * ars, ars, mr, s->K, forced, least_b, (int32_t *)ints + g * cap,
                            (float *)floats + g * GROUP * cap, cap, ahead_rows ? a + on * ars : NULL, ahead_rows);
    }
    multiply_rows(&shape, &lists, m, b, beta == 1.f, c + i0 * s->ldc, plain);
  }
  return 0;
}

int varia_zero_skip_scan_facts(const varia_gemm_shape_t *s, const float *b, varia_b_facts_t *out) {
  if (s->K < 1 || s->N < 1 || !varia_sparse_avx512()) return 0;
  const int64_t words = (s->K + 15) / 16;
  __mmask16 *forced = (__mmask16 *)malloc((size_t)words * sizeof *forced);
  if (!forced) return 0;
  int b_nan = 0;
  const double least = scan_b(s, b, forced, NULL, 0, &b_nan);
  int finite = !b_nan;
  for (int64_t q = 0; q < words && finite; q++) finite = forced[q] == 0;
  free(forced);
  if (finite) out->least = (float)least;
  return finite;
}

#else

int varia_zero_skip_scan_facts(const varia_gemm_shape_t *s, const float *b, varia_b_facts_t *out) {
  (void)s, (void)b, (void)out;
  return 0;
}

int varia_zero_skip_takes(const varia_gemm_shape_t *s, const float *a, float beta, double max_density) {
  (void)s, (void)a, (void)beta, (void)max_density;
  return 0;
}

int varia_zero_skip_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c,
                         double max_density) {
  (void)s, (void)a, (void)b, (void)beta, (void)c, (void)max_density;
  return 1;
}

int varia_zero_skip_gemm_known(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c,
                               double max_density, const varia_b_facts_t *facts) {
  (void)facts;
  return varia_zero_skip_gemm(s, a, b, beta, c, max_density);
}

#endif
