/*
 * Matrix products for TensorFlow.js's wasm backend (tfjs-backend-wasm 4.22), computed in the backend's own memory with
 * the order of operations its kernels use, so that every result that is not a NaN has the same bits (a NaN stays a NaN;
 * WebAssembly leaves which NaN unspecified, and the compiled code of either side may differ in it):
 *
 * - seq_gemm: XNNPACK's f32 GEMM, what tfjs-backend-wasm runs for BatchMatMul and _FusedMatMul when neither operand is
 *   transposed and the batch is 1. Each element is one chain from its bias (+0 without one) over k in order, a product
 *   (rounded) then a sum (rounded) per k; then the activation's clamp, as XNNPACK's x86 WebAssembly kernels write it:
 *   relu max(0, c) as `0 < c ? c : 0` (so −0 and NaN become +0), relu6 then `c < 6 ? c : 6`.
 * - block_gemm: tfjs-backend-wasm's slow_batch_matmul, what it runs for a transposed operand: per element, a chain from
 *   +0 per block of 48 k (products and sums in k's order), each block's sum added to the element, then +0 added
 *   ((c + s) + 0, the bias term of a product without bias). No activation (BatchMatMul).
 *
 * Vectorised over 4 columns at a time (SIMD128 lanes compute exactly the scalar sequence): seq_gemm in tiles of 4 rows ×
 * 8 columns (4 × 4 for a strip of 4 columns left over), block_gemm in tiles of 2 rows × 16 columns, strips of columns outside and rows inside. No global, no stack, no data segment: the module imports the backend's memory and touches only the regions
 * its caller names. Built by scripts/build-wasm.mjs (clang --target=wasm32 -msimd128) into src/kernels-wasm.ts.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef int32_t i32;
typedef float f32;

#define BLOCK 48 /* slow_batch_matmul's kBlockSize */

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2 };

/* XNNPACK's clamp: pmax(lo, c) = lo < c ? c : lo, then pmin(hi, c) = c < hi ? c : hi (WebAssembly's pmin/pmax). */
static inline v128_t act4(v128_t c, i32 act) {
  if (act == ACT_LINEAR) return c;
  c = wasm_f32x4_pmax(wasm_f32x4_splat(0.f), c);
  return act == ACT_RELU6 ? wasm_f32x4_pmin(wasm_f32x4_splat(6.f), c) : c;
}
static inline f32 act1(f32 c, i32 act) {
  if (act == ACT_LINEAR) return c;
  c = 0.f < c ? c : 0.f;
  return act == ACT_RELU6 ? (c < 6.f ? c : 6.f) : c;
}

/* rows (1 or 2) of C, 16 columns from j: per block of k [k0, k1), s += a·b; at each block's end the tile's rule. */
#define TILE16(NROWS, INIT, AFTER_BLOCK, BLOCKLEN)                                                                      \
  {                                                                                                                    \
    v128_t o[2][4];                                                                                                    \
    for (i32 r = 0; r < NROWS; r++)                                                                                    \
      for (i32 v = 0; v < 4; v++) o[r][v] = INIT(j + 4 * v);                                                           \
    for (i32 k0 = 0; k0 < K || k0 == 0; k0 += BLOCKLEN) {                                                              \
      const i32 k1 = K - k0 < BLOCKLEN ? K : k0 + BLOCKLEN;                                                            \
      v128_t s[2][4];                                                                                                  \
      for (i32 r = 0; r < NROWS; r++)                                                                                  \
        for (i32 v = 0; v < 4; v++) s[r][v] = AFTER_BLOCK ? zero : o[r][v];                                            \
      for (i32 k = k0; k < k1; k++) {                                                                                  \
        const f32 *bk = b + (intptr_t)k * ldb + j;                                                                     \
        const v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4), b2 = wasm_v128_load(bk + 8),               \
                     b3 = wasm_v128_load(bk + 12);                                                                     \
        for (i32 r = 0; r < NROWS; r++) {                                                                              \
          const v128_t x = wasm_f32x4_splat((r ? a1 : a0)[(intptr_t)k * aks]);                                                 \
          s[r][0] = wasm_f32x4_add(s[r][0], wasm_f32x4_mul(x, b0));                                                    \
          s[r][1] = wasm_f32x4_add(s[r][1], wasm_f32x4_mul(x, b1));                                                    \
          s[r][2] = wasm_f32x4_add(s[r][2], wasm_f32x4_mul(x, b2));                                                    \
          s[r][3] = wasm_f32x4_add(s[r][3], wasm_f32x4_mul(x, b3));                                                    \
        }                                                                                                              \
      }                                                                                                                \
      for (i32 r = 0; r < NROWS; r++)                                                                                  \
        for (i32 v = 0; v < 4; v++)                                                                                    \
          o[r][v] = AFTER_BLOCK ? wasm_f32x4_add(wasm_f32x4_add(o[r][v], s[r][v]), zero) : s[r][v];                    \
      if (k1 >= K) break;                                                                                              \
    }                                                                                                                  \
    for (i32 r = 0; r < NROWS; r++)                                                                                    \
      for (i32 v = 0; v < 4; v++) wasm_v128_store(out + (intptr_t)r * ldc + j + 4 * v, act4(o[r][v], act));             \
  }

/* block_gemm's 16 columns of C from j of one or two rows (their op(A) values a0[k·aks], a1[k·aks]). */
static void tile_of(f32 *out, const f32 *a0, const f32 *a1, i32 nrows, i32 aks, const f32 *b, i32 ldb, i32 ldc, i32 K,
                    i32 act, i32 j) {
  const v128_t zero = wasm_f32x4_splat(0.f);
#define ZERO4(col) zero
  if (nrows == 2) TILE16(2, ZERO4, 1, BLOCK) else TILE16(1, ZERO4, 1, BLOCK)
}


/* Up to 4 rows (R, their op(A) values a0…a3[k·aks]; rows past R repeat row 0, not stored) of C, 8 columns from j,
 * seq_gemm's order: one chain per element from its bias over every k, then the clamp. 8 accumulators and 2 loads of B a
 * k: on MNIST's products 1.0–1.14× the speed of 2 rows × 16 columns (Node 20, AMD EPYC Zen 4, 2026-12-03). */
static inline __attribute__((always_inline)) void seq_tile8_over(f32 *out, const f32 *a0, const f32 *a1,
                                                                 const f32 *a2, const f32 *a3, i32 R, i32 aks,
                                                                 const f32 *b, i32 ldb, const f32 *bias, i32 ldc,
                                                                 const i32 *ks, i32 K, i32 act, i32 j) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  const v128_t c0 = bias ? wasm_v128_load(bias + j) : zero, c1 = bias ? wasm_v128_load(bias + j + 4) : zero;
  v128_t s00 = c0, s01 = c1, s10 = c0, s11 = c1, s20 = c0, s21 = c1, s30 = c0, s31 = c1;
  for (i32 t = 0; t < K; t++) {
    const i32 k = ks ? ks[t] : t;
    const f32 *bk = b + (intptr_t)k * ldb + j;
    const v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
    const intptr_t ka = (intptr_t)k * aks;
    v128_t x = wasm_f32x4_splat(a0[ka]);
    s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x, b0));
    s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x, b1));
    x = wasm_f32x4_splat(a1[ka]);
    s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x, b0));
    s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x, b1));
    x = wasm_f32x4_splat(a2[ka]);
    s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x, b0));
    s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x, b1));
    x = wasm_f32x4_splat(a3[ka]);
    s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(x, b0));
    s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(x, b1));
  }
  /* rows past R computed row 0 again: not stored */
  wasm_v128_store(out + j, act4(s00, act));
  wasm_v128_store(out + j + 4, act4(s01, act));
  if (R > 1) {
    wasm_v128_store(out + ldc + j, act4(s10, act));
    wasm_v128_store(out + ldc + j + 4, act4(s11, act));
  }
  if (R > 2) {
    wasm_v128_store(out + 2 * (intptr_t)ldc + j, act4(s20, act));
    wasm_v128_store(out + 2 * (intptr_t)ldc + j + 4, act4(s21, act));
  }
  if (R > 3) {
    wasm_v128_store(out + 3 * (intptr_t)ldc + j, act4(s30, act));
    wasm_v128_store(out + 3 * (intptr_t)ldc + j + 4, act4(s31, act));
  }
}

/* seq_tile8's rows for 4 columns from j (the strip of 4 past the last whole 8: MNIST's 20-wide heads). */
static inline __attribute__((always_inline)) void seq_tile4_over(f32 *out, const f32 *a0, const f32 *a1,
                                                                 const f32 *a2, const f32 *a3, i32 R, i32 aks,
                                                                 const f32 *b, i32 ldb, const f32 *bias, i32 ldc,
                                                                 const i32 *ks, i32 K, i32 act, i32 j) {
  const v128_t c0 = bias ? wasm_v128_load(bias + j) : wasm_f32x4_splat(0.f);
  v128_t s0 = c0, s1 = c0, s2 = c0, s3 = c0;
  for (i32 t = 0; t < K; t++) {
    const i32 k = ks ? ks[t] : t;
    const v128_t b0 = wasm_v128_load(b + (intptr_t)k * ldb + j);
    const intptr_t ka = (intptr_t)k * aks;
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_f32x4_splat(a0[ka]), b0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_f32x4_splat(a1[ka]), b0));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_f32x4_splat(a2[ka]), b0));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_f32x4_splat(a3[ka]), b0));
  }
  /* rows past R computed row 0 again: not stored */
  wasm_v128_store(out + j, act4(s0, act));
  if (R > 1) wasm_v128_store(out + ldc + j, act4(s1, act));
  if (R > 2) wasm_v128_store(out + 2 * (intptr_t)ldc + j, act4(s2, act));
  if (R > 3) wasm_v128_store(out + 3 * (intptr_t)ldc + j, act4(s3, act));
}

/* The tiles over every k (ks 0, K the inner size), or over the K entries of a row group's list ks (see gemm): each
 * inlined into its own function, so that the loop over every k has no list to read. */
#define TILE_ARGS                                                                                                      \
  f32 *out, const f32 *a0, const f32 *a1, const f32 *a2, const f32 *a3, i32 R, i32 aks, const f32 *b, i32 ldb,         \
      const f32 *bias, i32 ldc, i32 K, i32 act, i32 j
static void seq_tile8(TILE_ARGS) { seq_tile8_over(out, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, 0, K, act, j); }
static void seq_tile4(TILE_ARGS) { seq_tile4_over(out, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, 0, K, act, j); }
static void seq_tile8_list(TILE_ARGS, const i32 *ks) {
  seq_tile8_over(out, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, ks, K, act, j);
}
static void seq_tile4_list(TILE_ARGS, const i32 *ks) {
  seq_tile4_over(out, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, ks, K, act, j);
}

/* Column j of C, every row, one element at a time (the columns past the last whole tile). */
static void column_of(f32 *out, const f32 *a, i32 ais, i32 aks, const f32 *b, i32 ldb, const f32 *bias, i32 M, i32 ldc,
                      i32 K, i32 blocked, i32 act, i32 j) {
  for (i32 i = 0; i < M; i++) {
    const f32 *ar = a + (intptr_t)i * ais;
    f32 o = blocked || !bias ? 0.f : bias[j];
    const i32 len = blocked ? BLOCK : K + 1;
    for (i32 k0 = 0; k0 < K; k0 += len) {
      const i32 k1 = K - k0 < len ? K : k0 + len;
      f32 s = blocked ? 0.f : o;
      for (i32 k = k0; k < k1; k++) s = s + ar[(intptr_t)k * aks] * b[(intptr_t)k * ldb + j];
      o = blocked ? (o + s) + 0.f : s;
    }
    out[(intptr_t)i * ldc + j] = act1(o, act);
  }
}

/*
 * C (M × N, rows ldc ≥ N apart) from op(A)(i, k) = a[i·ais + k·aks] and B (K × N, rows ldb apart): seq_gemm's order with
 * `bias` (N floats; 0: none) and `act` (ACT_*), or block_gemm's (`blocked` ≠ 0: no bias, linear). Strips of columns
 * (8 for seq_gemm, 16 for block_gemm), rows inside: a strip of B stays in the L1 cache for every row (seq_gemm's rows
 * in blocks, outside the strips: see below).
 *
 * `lists` (seq_gemm only; 0: none) is what `unions` wrote for these M rows and K: each group of 4 rows then visits only
 * the k where one of its rows has a non-zero. A skipped k adds a product a·b with a = ±0, which is ±0 when b is finite,
 * and c + (±0) is c unless c is −0; a chain is −0 only while it has been −0 from its start (x + y is −0 only for
 * −0 + −0), so where the bias has no −0 and every entry of B is finite (`skippable`) the skipped sums change nothing:
 * the same bits. The caller checks both before it passes lists.
 */
__attribute__((export_name("gemm"))) void gemm(f32 *out, const f32 *a, i32 ais, i32 aks, const f32 *b, i32 ldb,
                                                const f32 *bias, i32 M, i32 N, i32 K, i32 blocked, i32 act,
                                                const i32 *lists, i32 ldc) {
  i32 j = 0;
  if (!blocked) {
    /* seq_gemm: blocks of rows whose op(A) takes at most ~256 KB (a multiple of 4 rows: the lists' groups), and in each
     * strips of 8 columns (then one of 4 where 4 to 7 are left), 4 rows a tile: a strip of B (K × 32 bytes) stays in L1
     * for every row of the block, and the block's A in L2 for every strip (without the blocks, 10,000 MNIST rows read
     * all of A, 31 MB, once per strip) */
    const i32 per = K > 0 ? 65536 / K : 65536, rows_per_block = per > 4 ? per & ~3 : 4;
    for (i32 i0 = 0; i0 < M; i0 += rows_per_block)
      for (j = 0; j + 4 <= N; j += j + 8 <= N ? 8 : 4)
        for (i32 i = i0; i < M && i < i0 + rows_per_block; i += 4) {
          const i32 R = M - i < 4 ? M - i : 4;
          const f32 *a0 = a + (intptr_t)i * ais;
          const f32 *a1 = R > 1 ? a0 + ais : a0, *a2 = R > 2 ? a0 + 2 * (intptr_t)ais : a0;
          const f32 *a3 = R > 3 ? a0 + 3 * (intptr_t)ais : a0;
          f32 *o = out + (intptr_t)i * ldc;
          if (lists) {
            /* the k where some row of the group has a non-zero (unions), the rest skipped: the same bits (see gemm) */
            const i32 *l = lists + (intptr_t)(i / 4) * (K + 1);
            if (j + 8 <= N)
              seq_tile8_list(o, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, l[0], act, j, l + 1);
            else
              seq_tile4_list(o, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, l[0], act, j, l + 1);
          } else if (j + 8 <= N)
            seq_tile8(o, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, K, act, j);
          else
            seq_tile4(o, a0, a1, a2, a3, R, aks, b, ldb, bias, ldc, K, act, j);
        }
  } else {
    /* block_gemm: strips of 16 columns, 2 rows a tile */
    for (; j + 16 <= N; j += 16) {
      i32 i = 0;
      for (; i + 2 <= M; i += 2)
        tile_of(out + (intptr_t)i * ldc, a + (intptr_t)i * ais, a + (intptr_t)(i + 1) * ais, 2, aks, b, ldb, ldc, K, act,
                j);
      if (i < M) tile_of(out + (intptr_t)i * ldc, a + (intptr_t)i * ais, a, 1, aks, b, ldb, ldc, K, act, j);
    }
  }
  for (; j < N; j++) column_of(out, a, ais, aks, b, ldb, bias, M, ldc, K, blocked, act, j);
}

/* dst (cols × rows, rows `rows` apart) = srcᵀ for src rows × cols (rows `cols` apart): a copy, no arithmetic. Blocks of
 * 16 × 16, each in 4 × 4 squares moved through registers (4 loads, 8 shuffles, 4 stores: ~3× the speed of one element
 * at a time on MNIST's 784 × 400 weights); the rows and columns past the last whole square one element at a time. */
__attribute__((export_name("transpose"))) void transpose(f32 *dst, const f32 *src, i32 rows, i32 cols) {
  const i32 rows4 = rows & ~3, cols4 = cols & ~3;
  for (i32 r0 = 0; r0 < rows4; r0 += 16)
    for (i32 c0 = 0; c0 < cols4; c0 += 16)
      for (i32 r = r0; r < r0 + 16 && r < rows4; r += 4)
        for (i32 c = c0; c < c0 + 16 && c < cols4; c += 4) {
          const f32 *s = src + (intptr_t)r * cols + c;
          const v128_t x0 = wasm_v128_load(s), x1 = wasm_v128_load(s + cols), x2 = wasm_v128_load(s + 2 * (intptr_t)cols),
                       x3 = wasm_v128_load(s + 3 * (intptr_t)cols);
          const v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7),
                       t2 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
          f32 *d = dst + (intptr_t)c * rows + r;
          wasm_v128_store(d, wasm_i64x2_shuffle(t0, t2, 0, 2));
          wasm_v128_store(d + rows, wasm_i64x2_shuffle(t0, t2, 1, 3));
          wasm_v128_store(d + 2 * (intptr_t)rows, wasm_i64x2_shuffle(t1, t3, 0, 2));
          wasm_v128_store(d + 3 * (intptr_t)rows, wasm_i64x2_shuffle(t1, t3, 1, 3));
        }
  for (i32 r = 0; r < rows; r++)
    for (i32 c = r < rows4 ? cols4 : 0; c < cols; c++) dst[(intptr_t)c * rows + r] = src[(intptr_t)r * cols + c];
}

/*
 * For seq_gemm's row groups (rows 4g … 4g + 3 of op(A), fewer in the last), the k where one of the group's rows has a
 * non-zero (a NaN counts; ±0 does not), ascending: at lists + g·(K + 1) their count, then the k. Returns the count over
 * every group (M = 0: 0), or −1 once the first i ≥ 16 rows' groups hold more than i / M of `most` (the lists are then
 * incomplete and must not be passed to gemm; a dense op(A) costs 16 rows' scan, not the whole). lists holds
 * ceil(M / 4)·(K + 1) ints.
 */
__attribute__((export_name("unions"))) i32 unions(i32 *lists, const f32 *a, i32 ais, i32 aks, i32 M, i32 K,
                                                   i32 most) {
  i32 total = 0;
  for (i32 i = 0; i < M; i += 4) {
    /* past the first 16 rows, rows listed so far holding more than their share of `most`: a guess that the whole would
     * hold more than `most` too (a wrong guess costs speed only: the product then runs over every k) */
    if (i >= 16 && (int64_t)total * M > (int64_t)most * i) return -1;
    const i32 R = M - i < 4 ? M - i : 4;
    const f32 *a0 = a + (intptr_t)i * ais;
    const f32 *a1 = R > 1 ? a0 + ais : a0, *a2 = R > 2 ? a0 + 2 * (intptr_t)ais : a0;
    const f32 *a3 = R > 3 ? a0 + 3 * (intptr_t)ais : a0;
    i32 *l = lists + (intptr_t)(i / 4) * (K + 1);
    i32 n = 0;
    for (i32 k = 0; k < K; k++) {
      const intptr_t ka = (intptr_t)k * aks;
      l[1 + n] = k; /* kept when one of the rows has a non-zero at k: a branch-free append */
      n += (a0[ka] != 0.f) | (a1[ka] != 0.f) | (a2[ka] != 0.f) | (a3[ka] != 0.f);
    }
    l[0] = n;
    total += n;
  }
  return total;
}

/* 1 when skipping k is exact for seq_gemm (see gemm): no bias element is −0 (bias 0: none) and every entry of B's
 * K × N region (rows ldb apart) is finite; else 0. */
__attribute__((export_name("skippable"))) i32 skippable(const f32 *b, i32 ldb, i32 K, i32 N, const f32 *bias) {
  if (bias)
    for (i32 j = 0; j < N; j++)
      if (bias[j] == 0.f && __builtin_signbit(bias[j])) return 0;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (i32 k = 0; k < K; k++) {
    const f32 *bk = b + (intptr_t)k * ldb;
    v128_t ok = wasm_i32x4_splat(-1);
    i32 j = 0;
    /* x − x is +0 for a finite x, NaN for ±∞ and NaN */
    for (; j + 4 <= N; j += 4) {
      const v128_t x = wasm_v128_load(bk + j);
      ok = wasm_v128_and(ok, wasm_f32x4_eq(wasm_f32x4_sub(x, x), zero));
    }
    if (!wasm_i32x4_all_true(ok)) return 0;
    for (; j < N; j++)
      if (!(bk[j] - bk[j] == 0.f)) return 0;
  }
  return 1;
}
