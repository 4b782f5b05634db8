/* σ(x) = 1/(1 + e^−x) with the bits of tfjs-backend-wasm 4.22's `Sigmoid` kernel on its SIMD build: XNNPACK's
 * micro-kernel xnn_f32_vsigmoid_ukernel__wasmsimd_rr2_p5_div_x16 (XNNPACK 5e8033a7, the commit tfjs 4.22's WORKSPACE
 * pins; src/f32-vsigmoid/gen/vsigmoid-wasmsimd-rr2-p5-div-x16.c, constants from xnn_init_f32_sigmoid_wasmsimd_rr2_p5_params),
 * ported operation for operation. WebAssembly SIMD has no fused multiply-add, so each product and sum is rounded on its
 * own (the build keeps contraction off). Checked against that kernel on all 2³² float32 inputs by
 * scripts/sigmoid-exhaustive.mjs. */
#ifndef VARIA_XNN_SIGMOID_H
#define VARIA_XNN_SIGMOID_H
#include <stdint.h>

#include "vector_helpers.h"

VARIA_INLINE float varia_xnn_sigmoid(float x) {
  const float magic_bias = 0x1.8000FEp23f, minus_log2e = -0x1.715476p+0f;
  const float ln2_hi = 0x1.62E400p-1f, ln2_lo = 0x1.7F7D1Cp-20f;
  const float c5 = -0x1.0F9F9Cp-7f, c4 = 0x1.573A1Ap-5f, c3 = -0x1.555A80p-3f, c2 = 0x1.FFFDC6p-2f;
  const float c1 = -0x1.FFFFF6p-1f, one = 1.0f, denorm_cutoff = 0x1.5D589Ep+6f;
  /* z = |x|; e^−z = s·(1 + t·p(t)) with n = round(−z·log₂e) (the magic bias puts n in the low bits), s = 2ⁿ */
  const float z = bits_to_float(float_to_bits(x) & 0x7fffffff);
  float n = magic_bias + z * minus_log2e;
  const float s = bits_to_float((int32_t)((uint32_t)float_to_bits(n) << 23));
  n = n - magic_bias;
  float t = z + n * ln2_hi;
  t = t + n * ln2_lo;
  float p = c4 + t * c5;
  p = c3 + t * p;
  p = c2 + t * p;
  p = c1 + t * p;
  t = t * s;
  const float e = s + t * p;
  const float d = e + one;
  float f = e / d;
  /* e^−z/(1 + e^−z) = σ(−z); +0 past the cutoff (andnot); σ(x) = f for a negative sign bit, else 1 − f (bitselect) */
  f = z > denorm_cutoff ? 0.f : f;
  return float_to_bits(x) < 0 ? f : one - f;
}

#endif
