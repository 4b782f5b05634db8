/* A dense layer on a dense input that is mostly zeros (sparse_input.c): the N-API functions the addon exports as
 * sparseInputDense and sparseInputDenseBackward. */
#ifndef VARIA_SPARSE_INPUT_H
#define VARIA_SPARSE_INPUT_H
#include "napi_util.h"

VARIA_HIDDEN napi_value varia_napi_sparse_input_dense(napi_env env, napi_callback_info info);
VARIA_HIDDEN napi_value varia_napi_sparse_input_dense_backward(napi_env env, napi_callback_info info);

#endif
