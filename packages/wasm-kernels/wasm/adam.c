/*
 * One Adam step of one variable as tf.train.adam (tfjs-core 4.22's AdamOptimizer.applyGradients) computes it on the
 * wasm backend kernel by kernel, in one pass:
 *
 *   m′ = m·β₁ + g·c₁,   v′ = v·β₂ + (g·g)·c₂,   w′ = ((m′ / d₁) / (√(v′ / d₂) + ε))·(−η) + w,
 *
 * with c₁ = 1 − β₁ and c₂ = 1 − β₂ as tfjs makes them (in double precision, then rounded to float32: its scalar
 * tensors), d₁ = 1 − β₁ᵗ and d₂ = 1 − β₂ᵗ as its Sub kernel makes them (in float32). Every operation is one of its
 * kernels (Multiply, Add, Square, RealDiv, Sqrt), each rounded to float32 on its own: IEEE operations, so the same bits
 * per element (a NaN stays a NaN, its sign and payload left to the engine). Four elements at a time (SIMD128 lanes
 * compute exactly the scalar sequence). The outputs are new tensors: they overlap no input.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef int32_t i32;
typedef float f32;

#define MUL wasm_f32x4_mul
#define ADD wasm_f32x4_add
#define DIV wasm_f32x4_div

__attribute__((export_name("adam"))) void adam(f32 *w2, f32 *m2, f32 *v2, const f32 *w, const f32 *g, const f32 *m,
                                               const f32 *v, i32 n, f32 b1, f32 c1, f32 b2, f32 c2, f32 p1, f32 p2,
                                               f32 eps, f32 neglr) {
  const f32 d1 = 1.f - p1, d2 = 1.f - p2;
  const v128_t B1 = wasm_f32x4_splat(b1), C1 = wasm_f32x4_splat(c1), B2 = wasm_f32x4_splat(b2),
               C2 = wasm_f32x4_splat(c2), D1 = wasm_f32x4_splat(d1), D2 = wasm_f32x4_splat(d2),
               E = wasm_f32x4_splat(eps), L = wasm_f32x4_splat(neglr);
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t mi = ADD(MUL(wasm_v128_load(m + i), B1), MUL(gi, C1));
    const v128_t vi = ADD(MUL(wasm_v128_load(v + i), B2), MUL(MUL(gi, gi), C2));
    wasm_v128_store(m2 + i, mi);
    wasm_v128_store(v2 + i, vi);
    const v128_t step = MUL(DIV(DIV(mi, D1), ADD(wasm_f32x4_sqrt(DIV(vi, D2)), E)), L);
    wasm_v128_store(w2 + i, ADD(step, wasm_v128_load(w + i)));
  }
  for (; i < n; i++) {
    const f32 gi = g[i];
    const f32 mi = m[i] * b1 + gi * c1;
    const f32 vi = v[i] * b2 + (gi * gi) * c2;
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = ((mi / d1) / (__builtin_sqrtf(vi / d2) + eps)) * neglr + w[i];
  }
}
