/* log1p(x) elementwise with the bits of varia_log1p, faster on counts. */
#ifndef VARIA_LOG1P_COUNTS_H
#define VARIA_LOG1P_COUNTS_H
#include <stdint.h>

#include "math_kernels.h"

/*
 * y = log1p(x), the same bits as varia_log1p(x, y, n) for every input: blocks of 256 integer counts below 1,024 (count
 * data such as a counts model's `log1p` input; +0 but not −0) are looked up in a table of varia_log1p's own values
 * for 0 … 1023 (built once, on first use); from the first block holding any other value on, the rest of the pass is
 * computed by varia_log1p. x and y may coincide (or overlap: then it is varia_log1p alone).
 */
VARIA_HIDDEN void varia_log1p_counts(const float *x, float *y, int64_t n);

#endif
