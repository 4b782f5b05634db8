/* What the vectorized float32 loops share (math_kernels.c and the fused kernels): forced inlining, the target clones
 * and bit casts. */
#ifndef VARIA_VECTOR_HELPERS_H
#define VARIA_VECTOR_HELPERS_H
#include <stdint.h>
#include <string.h>

/* Helpers called from the loops are forced inline: a plain `static inline` helper stays out of line in the target
 * clones (GCC compiles it for the default target and calls it per element), which keeps the loops scalar. Inlined,
 * each loop vectorizes; the per-element operations are the same IEEE float32 operations in the same order (no FMA
 * contraction under -std=c11), so every result is the same bits as the scalar loop. */
#define VARIA_INLINE static inline __attribute__((always_inline))

/* Each loop cloned for AVX-512F, AVX2 and the baseline (SSE2), picked at load time by the CPU's features (GCC
 * target_clones / ifunc; named by feature, not `arch=`: see math_kernels.c). No clone enables FMA. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VARIA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VARIA_CLONES
#endif

VARIA_INLINE float bits_to_float(int32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

VARIA_INLINE int32_t float_to_bits(float f) {
  int32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

#endif
