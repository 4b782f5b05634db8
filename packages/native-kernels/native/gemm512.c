/*
 * A one-thread sgemm for AVX-512 with the bits of oneDNN 2.6.3's dnnl_sgemm on one OpenMP thread: NN and TN,
 * row-major, alpha 1, beta 0 or 1. oneDNN's order (src/cpu/x64/gemm, checked against the library on 5,258 random
 * shapes): each element of C is one FMA chain from +0 per block of K, c = fma(a_k, b_k, c) in k's order, and the
 * blocks combine left to right: C = blk₁ (beta 0) or C + blk₁ (beta 1), then C + blk₂, C + blk₃ … Its blocks of K:
 * up to 384 steps one block; below 768 two halves ((K + 1) / 2 first); 768 and above, the copy driver takes plain
 * blocks of 384 (the last one shorter), the no-copy driver 384 while at least 768 remain and then the rest in two
 * halves — the driver is gemm_split.c's port of nocopy_checker_avx512. Products with op(B) = Bᵀ are not done here
 * (with 2–15 rows oneDNN runs a kernel vectorised over K; with more, B's columns would need a transposed pack).
 *
 * The kernel: an 8 × 48 register tile (24 zmm accumulators, the tile of oneDNN's own kernel), K blocks cut into
 * sub-blocks of at most 200 steps so that a packed panel of B (≤ 38 KB) stays in L1 and a block of 200 (oneDNN's
 * halves of K = 400) is one sub-block, the chain carried from one sub-block to the next through a per-thread scratch
 * copy of the accumulators (a store and a load: exact; 256 rows at a time), and B
 * packed by the first row block's tiles as they read it (a separate packing pass cost 28 µs of 540 on the MNIST
 * output layer), which prefetch B's rows 16 ahead, and every tile prefetching its lines of C for writing. Measured on
 * the MNIST step's NN and TN shapes alone (one thread, thread CPU time, 11–41 interleaved rounds, operands at the
 * step's offsets, load 5): 1.05–1.11× dnnl_sgemm each with warm caches, 1.09× in all; with the caches flushed before
 * each call 0.95–1.11×, 1.05× in all. Without the two prefetches the cold products were 0.75–0.90×: in the step, where
 * operands come from L3 or memory, gemm512 was then no faster. In the fused MNIST step (interleaved A/B in one
 * process, load 4–6) it is still within the noise of parity: p10 of step times 0.995× on one thread, 0.98× on two.
 * So blas.c runs it only when VARIA_GEMM512=1. Tried and slower: 12×32, 14×32, 6×64 and 4×64 tiles, no packing
 * (0.92–0.96×), a packed A (0.99×), prefetching the next row block's A (cold: no gain), embedded-broadcast FMAs.
 *
 * NaNs keep oneDNN's payload and sign. Where two operands are NaN, x86's FMA keeps its first multiplicand's, then the
 * second's, then the addend's (its mnemonic's order: 231 is op2·op3 + op1; measured on AMD Zen 5), and an add keeps
 * its first source's; so oneDNN's chains keep op(A)'s NaN where it meets B's in one product, a later product's over
 * the chain's, and its adds a block's sum's over C's. Both are written out here (fma_a_first, add_keep_first) with
 * oneDNN's operand positions (src/cpu/x64/gemm/f32/jit_avx512_common_gemm_f32.cpp: vbroadcastss of op(A),
 * vfmadd231ps(acc, that, B's vector), vaddps(C, acc, C)), so that the bits agree on a CPU whose NaN rule differs too.
 * With the intrinsics GCC may order the operands either way, and at -O3 it did so per tile (the tiles of one vector
 * kept B's NaN and C's; found by scripts/nan-payload-fuzz.c, 2026-12-02: 866,075 elements of 3,000 products
 * differed). Same speed (the MNIST step's 128 × 400 × 784, 128 × 784 × 400, TN 784 × 400 × 128: 0.99–1.02× the
 * intrinsics' code, 21 interleaved pairs each).
 */
#include "gemm512.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define MR_MAX 8          /* rows of the register tile */
#define NV_MAX 3          /* 16-float vectors across it */
#define NR (16 * NV_MAX)  /* its columns */
#define KC 200            /* the longest sub-block of K (128: the MNIST output layer's K = 400 went through scratch) */
#define PREFETCH_B 16     /* how many rows of B ahead the packing tiles prefetch */

/* acc + a·b keeping a's NaN over b's and both over acc's (vfmadd231ps: op2·op3 + op1, NaNs kept in that order) */
#define fma_a_first(acc, a, b) __asm__("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))
/* x + y keeping x's NaN where both are NaN (vaddps keeps its first source's) */
AVX512 static inline __m512 add_keep_first(__m512 x, __m512 y) {
  __m512 sum;
  __asm__("vaddps %2, %1, %0" : "=v"(sum) : "v"(x), "v"(y));
  return sum;
}

/*
 * One MR × 16·NV tile of C over kb steps of K: the accumulators start at +0 (acc_in NULL) or at acc_in (a chain carried
 * from the previous sub-block, leading dimension ldi); then out = acc (add 0) or out = out + acc (add 1). The last
 * vector's lanes past `mask` are neither read from C nor written. PACKS: B is read from the operand and stored into
 * `pack` (leading dimension NR, aligned) for the other row blocks; else B is that pack.
 */
#define TILE(MR, NV, PACKS, SUFFIX)                                                                                    \
  AVX512 static void tile_##MR##_##NV##SUFFIX(const float *a, int64_t ars, int64_t aks, const float *b, int64_t ldb,  \
                                              float *pack, int64_t kb, const float *acc_in, int64_t ldi, float *out, \
                                              int64_t ldo, __mmask16 mask, int add) {                                 \
    __m512 acc[MR][NV];                                                                                               \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++)         \
        acc[r][v] = acc_in ? _mm512_maskz_loadu_ps(v == NV - 1 ? mask : 0xffff, acc_in + r * ldi + 16 * v)           \
                           : _mm512_setzero_ps();                                                                     \
    /* C's lines (or scratch's) are fetched for writing while the products run: in the step C is cold, and its misses \
     * in the epilogue cost 5–12 % of a product with 784 columns */                                                   \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++)         \
        __builtin_prefetch(out + r * ldo + 16 * v, 1, 3);                                                             \
    _Pragma("GCC unroll 4") for (int64_t k = 0; k < kb; k++) {                                                        \
      __m512 bv[NV];                                                                                                  \
      _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) {                                                          \
        if (PACKS) {                                                                                                  \
          /* B's row PREFETCH_B steps ahead (strided rows from memory; prefetching never faults, even past the end) */  \
          _mm_prefetch((const char *)((uintptr_t)(b + 16 * v) + (uintptr_t)((k + PREFETCH_B) * ldb * 4)), _MM_HINT_T0); \
          bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(mask, b + k * ldb + 16 * v) : _mm512_loadu_ps(b + k * ldb + 16 * v); \
          _mm512_store_ps(pack + k * NR + 16 * v, bv[v]);                                                             \
        } else {                                                                                                      \
          bv[v] = _mm512_load_ps(b + k * ldb + 16 * v);                                                               \
        }                                                                                                             \
      }                                                                                                               \
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {                                                          \
        const __m512 av = _mm512_set1_ps(a[r * ars + k * aks]);                                                       \
        _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) fma_a_first(acc[r][v], av, bv[v]);                         \
      }                                                                                                               \
    }                                                                                                                 \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) {       \
      const __mmask16 lanes = v == NV - 1 ? mask : 0xffff;                                                            \
      float *cp = out + r * ldo + 16 * v;                                                                             \
      __m512 x = acc[r][v];                                                                                           \
      if (add) x = add_keep_first(x, _mm512_maskz_loadu_ps(lanes, cp)); /* the block's NaN over C's */                \
      _mm512_mask_storeu_ps(cp, lanes, x);                                                                            \
    }                                                                                                                 \
  }
#define TILES(MR, NV) TILE(MR, NV, 0, ) TILE(MR, NV, 1, _packing)
#define ROWS(NV) TILES(1, NV) TILES(2, NV) TILES(3, NV) TILES(4, NV) TILES(5, NV) TILES(6, NV) TILES(7, NV) TILES(8, NV)
ROWS(1)
ROWS(2)
ROWS(3)

typedef void (*tile_fn)(const float *, int64_t, int64_t, const float *, int64_t, float *, int64_t, const float *,
                        int64_t, float *, int64_t, __mmask16, int);
#define TABLE(NV, S) {tile_1_##NV##S, tile_2_##NV##S, tile_3_##NV##S, tile_4_##NV##S, tile_5_##NV##S, tile_6_##NV##S, \
                      tile_7_##NV##S, tile_8_##NV##S}
static const tile_fn tiles[NV_MAX][MR_MAX] = {TABLE(1, ), TABLE(2, ), TABLE(3, )};
static const tile_fn packing_tiles[NV_MAX][MR_MAX] = {TABLE(1, _packing), TABLE(2, _packing), TABLE(3, _packing)};

/* Each thread's scratch for the accumulators between sub-blocks (M·N floats, grown as needed). Freed by
 * varia_gemm512_scratch_free: a JS thread's at its environment's cleanup (sparse_tiles.c's hook, which every entry
 * point with a product registers), a helper's as it ends (parallel.c) — not by a thread-exit destructor: Node unloads
 * an addon that only a worker loaded before that thread ends, and the destructor's code goes with it (a worker that
 * ran one narrow product crashed the process with SIGSEGV as it ended). */
typedef struct {
  float *data;
  int64_t floats;
} scratch_t;
static _Thread_local scratch_t scratch;

void varia_gemm512_scratch_free(void) {
  free(scratch.data);
  scratch.data = NULL;
  scratch.floats = 0;
}

float *varia_gemm512_scratch(int64_t floats) {
  scratch_t *s = &scratch;
  if (s->floats < floats) {
    free(s->data);
    s->data = (float *)aligned_alloc(64, (size_t)((floats * 4 + 63) / 64 * 64));
    s->floats = s->data ? floats : 0;
  }
  return s->data;
}

AVX512 static void gemm(const varia_gemm_shape_t *s, const float *a, const float *b, int beta_one, float *c, int plain,
                        float *scratch) {
  float pack[KC * NR] __attribute__((aligned(64)));
  const int64_t M = s->M, N = s->N, K = s->K, ldb = s->ldb, ldc = s->ldc;
  const int64_t ars = s->ta ? 1 : s->lda, aks = s->ta ? s->lda : 1; /* op(A)[i][k] = a[i·ars + k·aks] */
  const int64_t vectors = (N + 15) / 16;
  for (int64_t k0 = 0; k0 < K;) {
    const int64_t kb = varia_onednn_k_block(K - k0, plain), k1 = k0 + kb;
    const int add = k0 > 0 || beta_one;
    /* sub-blocks of equal length (the last shorter by less than one step per sub-block) */
    const int64_t subs = (kb + KC - 1) / KC, step = (kb + subs - 1) / subs;
    for (int64_t p0 = k0; p0 < k1; p0 += step) {
      const int64_t kc = k1 - p0 < step ? k1 - p0 : step;
      const int begin = p0 == k0, end = p0 + kc == k1;
      for (int64_t v0 = 0; v0 < vectors; v0 += NV_MAX) {
        const int nv = (int)(vectors - v0 < NV_MAX ? vectors - v0 : NV_MAX);
        const int64_t j = 16 * v0, cols = N - j < 16 * nv ? N - j : 16 * nv;
        const __mmask16 mask = (__mmask16)((1u << (cols - 16 * (nv - 1))) - 1);
        const float *bp = b + p0 * ldb + j;
        for (int64_t i = 0; i < M; i += MR_MAX) {
          const int mr = (int)(M - i < MR_MAX ? M - i : MR_MAX);
          const float *ai = a + i * ars + p0 * aks, *in = begin ? NULL : scratch + i * N + j;
          /* the block's last sub-block ends the chain in C; the others keep it in scratch */
          float *out = end ? c + i * ldc + j : scratch + i * N + j;
          const int64_t ldo = end ? ldc : N;
          const int add_out = end && add;
          if (i == 0)
            packing_tiles[nv - 1][mr - 1](ai, ars, aks, bp, ldb, pack, kc, in, N, out, ldo, mask, add_out);
          else
            tiles[nv - 1][mr - 1](ai, ars, aks, pack, NR, NULL, kc, in, N, out, ldo, mask, add_out);
        }
      }
    }
    k0 = k1;
  }
}

/* Rows per block where the accumulators are carried through scratch: 256 × 784 floats (784 KB) stay in L2; a whole
 * M = 6,400 (the fit's end-of-epoch check) streamed 10 MB of scratch through memory per sub-block of K. */
#define CHUNK_ROWS 256

int varia_gemm512(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c) {
  if (s->tb || s->M < 2 || s->N < 2 || (beta != 0.f && beta != 1.f)) return 1;
  /* the whole product's driver sets the blocking of K for every row */
  const int plain = s->K > 768 && !varia_onednn_nocopy(s);
  /* where the chain is carried between sub-blocks, blocks of CHUNK_ROWS rows at a time keep the scratch in L2 (each
   * row's sums are the same: the order along K does not depend on the rows around it) */
  const int carried = varia_onednn_k_block(s->K, plain) > KC;
  const int64_t rows = carried ? CHUNK_ROWS : s->M;
  float *scratch = NULL;
  if (carried && !(scratch = varia_gemm512_scratch((s->M < rows ? s->M : rows) * s->N))) return 2;
  for (int64_t i0 = 0; i0 < s->M; i0 += rows) {
    varia_gemm_shape_t block = *s;
    block.M = s->M - i0 < rows ? s->M - i0 : rows;
    gemm(&block, a + (s->ta ? i0 : i0 * s->lda), b, beta == 1.f, c + i0 * s->ldc, plain, scratch);
  }
  return 0;
}

#else

int varia_gemm512(const varia_gemm_shape_t *s, const float *a, const float *b, float beta, float *c) {
  (void)s, (void)a, (void)b, (void)beta, (void)c;
  return 1;
}

#endif
