/* The Bernoulli likelihood's part of a fused step (likelihood_step.h): per row, log p = x·ℓ − softplus(ℓ) summed in
 * row_sum.h's order, and dout = g·x + (−g)·σ(ℓ) — each element's float32 operations those of the kernels it replaces
 * (Softplus: varia_softplus; MulSub: x·ℓ, then − softplus; Sigmoid: xnn_sigmoid.h; ScaledSum: g·x, (−g)·σ, then +). */
#include <string.h>

#include "likelihood_step.h"
#include "vector_helpers.h"

/* lp = x·ℓ − sp (sp in lp on entry), dout = g·x + ng·dout (σ in dout on entry) */
__attribute__((optimize("fp-contract=off"))) VARIA_CLONES static void bernoulli_terms(const float *x, const float *l,
                                                                                     float *lp, float *dout, float g,
                                                                                     float ng, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = x[i] * l[i];
    lp[i] = p - lp[i];
    const float a = g * x[i];
    const float b = ng * dout[i];
    dout[i] = a + b;
  }
}

/* A chunk: softplus(ℓ) into lp, σ(ℓ) (or the given one) into dout, then the terms over both. */
static int64_t bernoulli_chunk(const varia_likelihood_job_t *j, const void *ctx, int64_t offset, int64_t len, float *lp) {
  (void)ctx;
  const float *l = j->param + offset;
  float *dout = j->dout + offset;
  varia_softplus(l, lp, len);
  if (j->aux) memcpy(dout, j->aux + offset, (size_t)len * sizeof(float));
  else varia_sigmoid(l, dout, len);
  bernoulli_terms(j->x + offset, l, lp, dout, j->g, -j->g, len);
  return 0;
}

int64_t varia_bernoulli_rows(const varia_likelihood_job_t *j, int64_t start, int64_t end) {
  return varia_likelihood_chunked_rows(j, start, end, bernoulli_chunk, NULL);
}
