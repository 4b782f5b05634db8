/*
 * C = op(A)·B + beta·C for a narrow C (2 … 32 columns: a VAE's posterior heads), with the bits of oneDNN 2.6's
 * dnnl_sgemm on one OpenMP thread of an avx512_core CPU (narrow.h).
 *
 * WHY THE BITS STAY. oneDNN sums each element of C as one FMA chain from +0 per block of K, c = fma(a_k, b_k, c) in
 * k's order, and adds the blocks left to right onto C: C = blk₁ (beta 0) or C + blk₁, then C + blk₂ … (gemm512.c's
 * header; scripts/sgemm-order-check.c). Its blocks of K are gemm512.h's varia_onednn_k_block, with the whole product's
 * driver (gemm_split.c's port of its no-copy checker). This kernel runs exactly those chains and those additions; only
 * which elements share a register differs, and lanes never mix.
 *
 * THE KERNEL. oneDNN's kernels put C's columns in the vector lanes: with N = 20 columns, 12 of every 32 lanes idle.
 * Here the lanes are 16 rows of C instead, and each column j of C (up to 24 at a time: 24 zmm; wider C in two groups
 * of columns) is one accumulator: per k, one vector of op(A)[i₀ … i₀+15][k] and one FMA per column with B[k][j]
 * broadcast from memory. For 16 full rows of op(A) = A that vector is made as the chains run: 16 rows × 4 k are
 * loaded into the four 128-bit lanes of 4 registers and each lane's 4 × 4 block transposed (load4); the group of
 * columns also prefetches the next 16 rows, one line per k. op(A) = Aᵀ (its rows are already such vectors) and a last
 * block of fewer than 16 rows go through a per-thread panel (row k: the vector for k). C's block is transposed into
 * registers (16 × 16 transposes) before the first K block when beta = 1 and back into C's rows after the last.
 * Measured (scripts/narrow-check.c, one thread, interleaved with dnnl_sgemm, load 1–2): MNIST's μ head
 * 10,000 × 400 → 20 1.45–1.54× (1.10–1.25 ms, ~135 GFLOP/s; about 59 cycles per 4 k of 16 rows, where the FMA and
 * shuffle ports allow 50); tried: a 16 × 16 transpose into a panel before each block's chains (0.92–1.0×: the panel's
 * fill did not overlap the FMAs), with a prefetch of the next block (1.0×), prefetch hints T1, T2 (no gain), NTA (0.7×).
 *
 * NaNs keep oneDNN's payload and sign (gemm512.c's header): the FMAs keep op(A)'s NaN over B's and a later product's
 * over the chain's (op(A) in op2, B in op3, as oneDNN's kernel has them), and a block's sum is the first operand of
 * its add onto C, each written out (fma_a_first, add_keep_first), since with the intrinsics GCC may order the operands
 * either way: at -O3 the groups of 2 and 3 columns kept B's NaN where op(A)'s and B's met (scripts/nan-payload-fuzz.c,
 * 2026-12-02: 158 elements of 3,000 products differed). The hot loop has the same instructions, scheduled a little
 * differently: 10,000 × 400 → 20 0.97–0.98× the intrinsics' code (3 × 151 interleaved pairs; the same harness old
 * against old 1.00×), 10,000 × 128 → 10 0.95–0.97× (21–41 pairs, 3 runs); asm volatile (program order) was slower
 * (0.96×).
 */
#include "narrow.h"

#include <stdint.h>

#include "gemm512.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512vl")))
#define ROWS 16     /* rows of C per block: the lanes */
#define GROUP_MAX 24 /* columns of C per pass: accumulators in zmm registers */
#ifndef TRANSPOSE_AS_RUN
#define TRANSPOSE_AS_RUN 1
#endif
#ifndef PREFETCH_HINT
#define PREFETCH_HINT _MM_HINT_T0
#endif

/* acc + a·(*b broadcast) keeping a's NaN over b's and both over acc's (vfmadd231ps: op2·op3 + op1, NaNs in that order) */
#define fma_a_first(acc, a, b) __asm__("vfmadd231ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(a), "m"(*(b)))
/* x + y keeping x's NaN where both are NaN (vaddps keeps its first source's) */
AVX512 static inline __m512 add_keep_first(__m512 x, __m512 y) {
  __m512 sum;
  __asm__("vaddps %2, %1, %0" : "=v"(sum) : "v"(x), "v"(y));
  return sum;
}

/* r[q] (16 lanes) ← column q of the 16 × 16 matrix whose rows were r[0 … 15]. */
AVX512 static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int h = 0; h < 2; h++)
    for (int i = 0; i < 4; i++) {
      t[8 * h + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + i + 4], 0x88);
      t[8 * h + i + 4] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + i + 4], 0xDD);
    }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

/*
 * One block of `rows` ≤ 16 rows of C, columns [0, NC) of c and b (already offset to the group): the chains of each K
 * block over the panel (16 floats per k, aligned), added onto ct (C's block transposed, column j in ct[j]).
 */
#define GROUP(NC)                                                                                                       \
  AVX512 static void group_##NC(const float *panel, const float *b, int64_t ldb, int64_t K, int plain, __m512 *ct,      \
                                int beta_one, const float *next, int64_t s1, int64_t s2) {                              \
    for (int64_t k0 = 0; k0 < K;) {                                                                                     \
      const int64_t k1 = k0 + varia_onednn_k_block(K - k0, plain);                                                      \
      __m512 acc[NC];                                                                                                   \
      _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) acc[j] = _mm512_setzero_ps();                               \
      for (int64_t k = k0; k < k1; k++) {                                                                               \
        const __m512 av = _mm512_load_ps(panel + k * ROWS);                                                             \
        const float *bk = b + k * ldb;                                                                                  \
        if (next) _mm_prefetch((const char *)(next + (k & 15) * s1 + (k >> 4) * s2), PREFETCH_HINT);                   \
        _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) fma_a_first(acc[j], av, bk + j);                         \
      }                                                                                                                 \
      const int set = k0 == 0 && !beta_one;                                                                             \
      _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) ct[j] = set ? acc[j] : add_keep_first(acc[j], ct[j]);        \
      k0 = k1;                                                                                                          \
    }                                                                                                                   \
  }

/*
 * p[q] ← op(A)[0 … 15][q] for q < 4 from 16 full rows of A (row i at a + i·lda), `lanes` of the 4 columns read: the
 * rows are loaded 4 floats at a time into the 128-bit lanes (lane L of z[q]: row 4L + q) and each lane's 4 × 4 block
 * is transposed in place (8 shuffles for 4 k: a quarter of a 16 × 16 transpose's 64 per 16 k, and no panel).
 */
AVX512 static inline void load4(const float *a, int64_t lda, __mmask8 lanes, __m512 p[4]) {
  __m512 z[4];
  if (lanes == 0xF) /* whole steps: loads folded into the inserts */
    for (int q = 0; q < 4; q++) {
      z[q] = _mm512_castps128_ps512(_mm_loadu_ps(a + q * lda));
      z[q] = _mm512_insertf32x4(z[q], _mm_loadu_ps(a + (q + 4) * lda), 1);
      z[q] = _mm512_insertf32x4(z[q], _mm_loadu_ps(a + (q + 8) * lda), 2);
      z[q] = _mm512_insertf32x4(z[q], _mm_loadu_ps(a + (q + 12) * lda), 3);
    }
  else
  for (int q = 0; q < 4; q++) {
    z[q] = _mm512_castps128_ps512(_mm_maskz_loadu_ps(lanes, a + q * lda));
    z[q] = _mm512_insertf32x4(z[q], _mm_maskz_loadu_ps(lanes, a + (q + 4) * lda), 1);
    z[q] = _mm512_insertf32x4(z[q], _mm_maskz_loadu_ps(lanes, a + (q + 8) * lda), 2);
    z[q] = _mm512_insertf32x4(z[q], _mm_maskz_loadu_ps(lanes, a + (q + 12) * lda), 3);
  }
  const __m512 t0 = _mm512_unpacklo_ps(z[0], z[1]), t1 = _mm512_unpackhi_ps(z[0], z[1]);
  const __m512 t2 = _mm512_unpacklo_ps(z[2], z[3]), t3 = _mm512_unpackhi_ps(z[2], z[3]);
  p[0] = _mm512_shuffle_ps(t0, t2, 0x44);
  p[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
  p[2] = _mm512_shuffle_ps(t1, t3, 0x44);
  p[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
}

/* As GROUP for 16 full rows of op(A) = A (row i at a + i·lda), read and transposed 4 k at a time as the chains run. */
#define FMA4(NC, STEPS)                                                                                                 \
  _Pragma("GCC unroll 4") for (int q = 0; q < STEPS; q++) {                                                             \
    const float *bk = b + (k + q) * ldb;                                                                                \
    _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) fma_a_first(acc[j], p[q], bk + j);                           \
  }
#define GROUP_T(NC)                                                                                                     \
  AVX512 static void group_t_##NC(const float *a, int64_t lda, const float *b, int64_t ldb, int64_t K, int plain,      \
                                  __m512 *ct, int beta_one, const float *next) {                                        \
    int64_t t = 0; /* steps of 4 taken: each prefetches 4 lines of the next block (rows 4t … 4t+3 mod 16) */            \
    for (int64_t k0 = 0; k0 < K;) {                                                                                     \
      const int64_t k1 = k0 + varia_onednn_k_block(K - k0, plain);                                                      \
      __m512 acc[NC];                                                                                                   \
      _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) acc[j] = _mm512_setzero_ps();                               \
      int64_t k = k0;                                                                                                   \
      for (; k + 4 <= k1; k += 4, t++) {                                                                                \
        __m512 p[4];                                                                                                    \
        load4(a + k, lda, 0xF, p);                                                                                      \
        if (next) {                                                                                                     \
          const float *pf = next + (t & 3) * 4 * lda + (t >> 2) * 16;                                                   \
          _mm_prefetch((const char *)pf, PREFETCH_HINT);                                                                \
          _mm_prefetch((const char *)(pf + lda), PREFETCH_HINT);                                                        \
          _mm_prefetch((const char *)(pf + 2 * lda), PREFETCH_HINT);                                                    \
          _mm_prefetch((const char *)(pf + 3 * lda), PREFETCH_HINT);                                                    \
        }                                                                                                               \
        FMA4(NC, 4)                                                                                                     \
      }                                                                                                                 \
      if (k < k1) {                                                                                                     \
        const int steps = (int)(k1 - k);                                                                                \
        __m512 p[4];                                                                                                    \
        load4(a + k, lda, (__mmask8)((1u << steps) - 1), p);                                                            \
        FMA4(NC, steps)                                                                                                 \
      }                                                                                                                 \
      const int set = k0 == 0 && !beta_one;                                                                             \
      _Pragma("GCC unroll 24") for (int j = 0; j < NC; j++) ct[j] = set ? acc[j] : add_keep_first(acc[j], ct[j]);        \
      k0 = k1;                                                                                                          \
    }                                                                                                                   \
  }
#define GROUPS4(A, B, C, D) GROUP(A) GROUP(B) GROUP(C) GROUP(D) GROUP_T(A) GROUP_T(B) GROUP_T(C) GROUP_T(D)
GROUPS4(1, 2, 3, 4)
GROUPS4(5, 6, 7, 8)
GROUPS4(9, 10, 11, 12)
GROUPS4(13, 14, 15, 16)
GROUPS4(17, 18, 19, 20)
GROUPS4(21, 22, 23, 24)

typedef void (*group_t_fn)(const float *, int64_t, const float *, int64_t, int64_t, int, __m512 *, int, const float *);
static const group_t_fn groups_t[GROUP_MAX] = {
    group_t_1,  group_t_2,  group_t_3,  group_t_4,  group_t_5,  group_t_6,  group_t_7,  group_t_8,
    group_t_9,  group_t_10, group_t_11, group_t_12, group_t_13, group_t_14, group_t_15, group_t_16,
    group_t_17, group_t_18, group_t_19, group_t_20, group_t_21, group_t_22, group_t_23, group_t_24};
typedef void (*group_fn)(const float *, const float *, int64_t, int64_t, int, __m512 *, int, const float *, int64_t,
                         int64_t);
static const group_fn groups[GROUP_MAX] = {group_1,  group_2,  group_3,  group_4,  group_5,  group_6,
                                           group_7,  group_8,  group_9,  group_10, group_11, group_12,
                                           group_13, group_14, group_15, group_16, group_17, group_18,
                                           group_19, group_20, group_21, group_22, group_23, group_24};

/* ct[j] ← column j of C's rows [0, rows) × columns [0, cols) (cols ≤ 32; the rest of ct zero). */
AVX512 static void load_block(const float *c, int64_t ldc, int rows, int cols, __m512 ct[32]) {
  for (int h = 0; h < 2 && 16 * h < cols; h++) {
    const int width = cols - 16 * h < 16 ? cols - 16 * h : 16;
    const __mmask16 lanes = (__mmask16)((1u << width) - 1);
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(lanes, c + i * ldc + 16 * h) : _mm512_setzero_ps();
    transpose16(r);
    for (int j = 0; j < 16; j++) ct[16 * h + j] = r[j];
  }
}

/* C's rows [0, rows) × columns [0, cols) ← the block transposed in ct. */
AVX512 static void store_block(float *c, int64_t ldc, int rows, int cols, const __m512 ct[32]) {
  for (int h = 0; h < 2 && 16 * h < cols; h++) {
    const int width = cols - 16 * h < 16 ? cols - 16 * h : 16;
    const __mmask16 lanes = (__mmask16)((1u << width) - 1);
    __m512 r[16];
    for (int j = 0; j < 16; j++) r[j] = ct[16 * h + j];
    transpose16(r);
    for (int i = 0; i < rows; i++) _mm512_mask_storeu_ps(c + i * ldc + 16 * h, lanes, r[i]);
  }
}

/* panel[k][0 … 15] ← op(A)[0 … rows)[k] for k in [0, K) (rows past `rows`: 0); op(A)[i][k] = a[i·ars + k·aks]. */
AVX512 static void fill_panel(const float *a, int64_t ars, int64_t aks, int64_t K, int rows, float *panel) {
  if (ars == 1) { /* op(A) = Aᵀ: the panel's rows are A's, copied */
    const __mmask16 lanes = (__mmask16)((1u << rows) - 1);
    for (int64_t k = 0; k < K; k++) _mm512_store_ps(panel + k * ROWS, _mm512_maskz_loadu_ps(lanes, a + k * aks));
    return;
  }
  for (int64_t k0 = 0; k0 < K; k0 += 16) {
    const int width = K - k0 < 16 ? (int)(K - k0) : 16;
    const __mmask16 lanes = (__mmask16)((1u << width) - 1);
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(lanes, a + i * ars + k0) : _mm512_setzero_ps();
    transpose16(r);
    for (int q = 0; q < width; q++) _mm512_store_ps(panel + (k0 + q) * ROWS, r[q]);
  }
}

AVX512 int varia_narrow_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c) {
  const int64_t M = s->M, N = s->N, K = s->K;
  if (s->tb || M < 2 || N < 2 || N > VARIA_NARROW_MAX_N || K < 1 || (beta != 0.f && beta != 1.f)) return 1;
  const int plain = K > 768 && !varia_onednn_nocopy(s);
  float *panel = varia_gemm512_scratch(K * ROWS); /* per thread */
  if (!panel) return 2;
  const int64_t ars = s->ta ? 1 : s->lda, aks = s->ta ? s->lda : 1; /* op(A)[i][k] = a[i·ars + k·aks] */
  /* columns in one group of up to 24, or two of about half */
  const int64_t group = N <= GROUP_MAX ? N : (N + 1) / 2;
  for (int64_t i0 = 0; i0 < M; i0 += ROWS) {
    const int rows = M - i0 < ROWS ? (int)(M - i0) : ROWS;
    /* 16 rows of op(A) = A are transposed as the chains run; op(A) = Aᵀ and a last block of fewer rows, from a panel */
    const int direct = !s->ta && rows == ROWS && TRANSPOSE_AS_RUN;
    if (!direct) fill_panel(a + i0 * ars, ars, aks, K, rows, panel);
    float *ci = c + i0 * s->ldc;
    for (int64_t j0 = 0; j0 < N; j0 += group) {
      const int cols = (int)(N - j0 < group ? N - j0 : group);
      __m512 ct[32];
      for (int j = 0; j < 32; j++) ct[j] = _mm512_setzero_ps();
      if (beta == 1.f) load_block(ci + j0, s->ldc, rows, cols, ct);
      /* the first group of columns prefetches the next block's op(A), one line per k (16 rows of K floats: K lines) */
      const float *next = j0 == 0 && i0 + ROWS < M ? a + (i0 + ROWS) * ars : NULL;
      if (direct)
        groups_t[cols - 1](a + i0 * ars, ars, b + j0, s->ldb, K, plain, ct, beta == 1.f, next);
      else
        groups[cols - 1](panel, b + j0, s->ldb, K, plain, ct, beta == 1.f, next, s->ta ? aks : ars, s->ta ? 16 * aks : 16);
      store_block(ci + j0, s->ldc, rows, cols, ct);
    }
  }
  return 0;
}

#else

int varia_narrow_gemm(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c) {
  (void)s, (void)a, (void)b, (void)beta, (void)c;
  return 1;
}

#endif
