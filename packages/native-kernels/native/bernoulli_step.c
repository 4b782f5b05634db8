/* The Bernoulli likelihood's part of a fused step (likelihood_step.h): per row, log p = x·ℓ − softplus(ℓ) summed in
 * row_sum.h's order, and dout = g·x + (−g)·σ(ℓ) — each element's float32 operations those of the kernels it replaces
 * (Softplus: varia_softplus; MulSub: x·ℓ, then − softplus; Sigmoid: xnn_sigmoid.h; ScaledSum: g·x, (−g)·σ, then +). */
#include <string.h>

#include "likelihood_step.h"
#include "row_sum.h"
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

int64_t varia_bernoulli_rows(const varia_likelihood_job_t *j, int64_t start, int64_t end) {
  const int64_t cols = j->cols;
  const float g = j->g, ng = -j->g;
  float lp[VARIA_LIKELIHOOD_CHUNK];
  for (int64_t r = start; r < end; r++) {
    const float *x = j->x + r * cols, *l = j->param + r * cols;
    float *dout = j->dout + r * cols;
    varia_row_sum_t sum;
    varia_row_sum_init(&sum);
    int64_t len = 0, added = 0;
    for (int64_t c = 0; c < cols; c += VARIA_LIKELIHOOD_CHUNK) {
      len = cols - c < VARIA_LIKELIHOOD_CHUNK ? cols - c : VARIA_LIKELIHOOD_CHUNK;
      varia_softplus(l + c, lp, len);
      if (j->aux) memcpy(dout + c, j->aux + r * cols + c, (size_t)len * sizeof(float));
      else varia_sigmoid(l + c, dout + c, len);
      bernoulli_terms(x + c, l + c, lp, dout + c, g, ng, len);
      added = varia_row_sum_add(&sum, lp, len);
    }
    /* every chunk but the last is whole groups of eight: the last chunk's remainder is the row's tail */
    j->sums[r] = varia_row_sum_finish(&sum, lp + added, len - added);
  }
  return 0;
}
