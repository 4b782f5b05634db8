/*
 * The elementwise parts of a dense layer's backward pass as @varia/layers composes it on the wasm backend's own
 * kernels, each the bits of the kernel it stands for (the products are matmul.c's gemm):
 *
 * - delta: δ = dy ⊙ f′(y), Multiply after f′ from the output: relu's Step (1 where y > 0, NaN where y is NaN, else 0),
 *   sigmoid's y·(1 − y) (Sub, then Multiply), tanh's 1 − y·y (Square, then Sub);
 * - colsum: Σ over the rows of a [rows, cols] matrix, the Sum kernel's order over axis 0: per column one chain from +0
 *   down the rows;
 * - add: a + b (Add).
 *
 * Each operation rounded to float32 on its own (IEEE: SIMD128 lanes compute exactly the scalar sequence); a NaN stays a
 * NaN, its sign and payload left to the engine.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef int32_t i32;
typedef float f32;

enum { D_RELU = 1, D_SIGMOID = 2, D_TANH = 3 };

static inline v128_t fprime4(v128_t y, i32 act) {
  const v128_t one = wasm_f32x4_splat(1.f);
  if (act == D_RELU) {
    const v128_t step = wasm_v128_and(wasm_f32x4_gt(y, wasm_f32x4_splat(0.f)), one);
    return wasm_v128_bitselect(y, step, wasm_f32x4_ne(y, y)); /* a NaN stays */
  }
  if (act == D_SIGMOID) return wasm_f32x4_mul(y, wasm_f32x4_sub(one, y));
  return wasm_f32x4_sub(one, wasm_f32x4_mul(y, y));
}

static inline f32 fprime1(f32 y, i32 act) {
  if (act == D_RELU) return y != y ? y : (y > 0.f ? 1.f : 0.f);
  if (act == D_SIGMOID) return y * (1.f - y);
  return 1.f - y * y;
}

/* out = dy ⊙ f′(y) over n elements (act: D_*). */
__attribute__((export_name("delta"))) void delta(f32 *out, const f32 *dy, const f32 *y, i32 n, i32 act) {
  i32 i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), fprime4(wasm_v128_load(y + i), act)));
  for (; i < n; i++) out[i] = dy[i] * fprime1(y[i], act);
}

/* out[j] = ((+0 + x[0][j]) + x[1][j]) + … + x[rows − 1][j] for j < cols. */
__attribute__((export_name("colsum"))) void colsum(f32 *out, const f32 *x, i32 rows, i32 cols) {
  i32 j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t s = wasm_f32x4_splat(0.f);
    for (i32 r = 0; r < rows; r++) s = wasm_f32x4_add(s, wasm_v128_load(x + (intptr_t)r * cols + j));
    wasm_v128_store(out + j, s);
  }
  for (; j < cols; j++) {
    f32 s = 0.f;
    for (i32 r = 0; r < rows; r++) s = s + x[(intptr_t)r * cols + j];
    out[j] = s;
  }
}

/* out = a + b over n elements (out may be a or b). */
__attribute__((export_name("add"))) void add(f32 *out, const f32 *a, const f32 *b, i32 n) {
  i32 i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (; i < n; i++) out[i] = a[i] + b[i];
}
