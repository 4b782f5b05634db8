/* A dense layer on a dense input that is mostly zeros (sparse_input.c): the N-API functions the addon exports as
 * sparseInputDense and sparseInputDenseBackward. */
#ifndef VARIA_SPARSE_INPUT_H
#define VARIA_SPARSE_INPUT_H
#include "napi_util.h"

/* Whether the 4-byte regions [a, a + m·4) and [b, b + n·4) share a byte (an empty region shares none). */
VARIA_HIDDEN int varia_overlaps(double a, double m, double b, double n);
/* A whole number in [0, 2³¹ − 1]. */
VARIA_HIDDEN int varia_is_count(double v);

VARIA_HIDDEN napi_value varia_napi_sparse_input_dense(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_sparse_input_dense_backward(napi_env env, napi_callback_info info);

#endif
