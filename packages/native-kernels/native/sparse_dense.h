/* A dense layer's forward pass on a CSR input (sparse_dense.c): the N-API function the addon exports as sparseDense. */
#ifndef VARIA_SPARSE_DENSE_H
#define VARIA_SPARSE_DENSE_H
#include <node_api.h>

#include "math_kernels.h"

VARIA_HIDDEN napi_value varia_sparse_dense(napi_env env, napi_callback_info info);
/* The same with indptr/indices (and values) read in place from typed arrays, checked strictly: sparseDenseHost. */
VARIA_HIDDEN napi_value varia_sparse_dense_host(napi_env env, napi_callback_info info);

#endif
