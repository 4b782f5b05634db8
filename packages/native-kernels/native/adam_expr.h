/*
 * One Adam step's expressions (Kingma & Ba, bias-corrected as tf.train.adam computes it), written once for every loop
 * that takes the step (math_kernels.c's varia_adam and varia_adam_inplace, adam.c's varia_adam_inplace_facts):
 *   m′ = β₁·m + (1 − β₁)·g,   v′ = β₂·v + (1 − β₂)·g·g,   w′ = w − step·m′ / (√(v′·vscale) + ε),
 * with step = lr/(1 − β₁ᵗ) and vscale = 1/(1 − β₂ᵗ). Macros, so that each loop is the same text as before (its own
 * loads, stores and alias checks) and the build's -std=c11 (no FMA contraction) gives every loop the same bits.
 */
#ifndef VARIA_ADAM_EXPR_H
#define VARIA_ADAM_EXPR_H

#define VARIA_ADAM_STEP(lr, b1pow) ((lr) / (1.f - (b1pow)))
#define VARIA_ADAM_VSCALE(b2pow) (1.f / (1.f - (b2pow)))
#define VARIA_ADAM_M(b1, m, g) ((b1) * (m) + (1.f - (b1)) * (g))
#define VARIA_ADAM_V(b2, v, g) ((b2) * (v) + (1.f - (b2)) * (g) * (g))
#define VARIA_ADAM_W(w, step, m2, v2, vscale, eps) ((w) - (step) * (m2) / (__builtin_sqrtf((v2) * (vscale)) + (eps)))

#endif
