/* Elementwise and reduction kernels on float32 arrays: plain C that GCC vectorizes (see math_kernels.c). */
#ifndef VARIA_MATH_KERNELS_H
#define VARIA_MATH_KERNELS_H
#include <stdint.h>

#if defined(__GNUC__)
#define VARIA_HIDDEN __attribute__((visibility("hidden")))
#else
#define VARIA_HIDDEN
#endif

VARIA_HIDDEN void varia_softplus(const float *x, float *y, int64_t n);
VARIA_HIDDEN void varia_exp(const float *x, float *y, int64_t n);
VARIA_HIDDEN void varia_log(const float *x, float *y, int64_t n);
VARIA_HIDDEN void varia_log1p(const float *x, float *y, int64_t n);
VARIA_HIDDEN void varia_lgamma(const float *x, float *y, int64_t n);
/* σ(x) with the bits of tfjs-backend-wasm 4.22's own (SIMD build) Sigmoid kernel: xnn_sigmoid.h. */
VARIA_HIDDEN void varia_sigmoid(const float *x, float *y, int64_t n);
/* y[o, i] = Σ_j x[o, j, i] for a [outer, reduce, inner] view of x; y has outer·inner elements. */
VARIA_HIDDEN void varia_sum(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner);
/* y[i] = Σ_j x[j·stride + i] for i < width, j < reduce (in order of j): columns of a [reduce, stride] matrix. */
VARIA_HIDDEN void varia_sum_columns(const float *x, float *y, int64_t reduce, int64_t stride, int64_t width);
VARIA_HIDDEN void varia_adam(const float *w, const float *g, const float *m, const float *v, float *w2, float *m2, float *v2,
                int64_t n, float lr, float b1, float b2, float eps, float b1pow, float b2pow);
/* The same step written in place: w, m, v are read and overwritten (bit-identical to varia_adam). */
VARIA_HIDDEN void varia_adam_inplace(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2,
                                     float eps, float b1pow, float b2pow);
VARIA_HIDDEN void varia_activate(float *c, int64_t n, int act, float alpha);
/* c[i] = a[i] + c[i] in float32 (one rounding each: tfjs's Add of two same-shape tensors); a and c do not overlap. */
VARIA_HIDDEN void varia_add_into(const float *a, float *c, int64_t n);
/* δ = dy ⊙ f′(y) from a layer's output y; act 0 linear, 1 relu (1[y > 0], NaN kept), 5 sigmoid y(1 − y), 6 tanh 1 − y². */
VARIA_HIDDEN void varia_activation_delta(const float *dy, const float *y, float *delta, int64_t n, int act);

#endif
