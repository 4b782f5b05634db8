/* The N-API glue every entry point shares: errors, arguments, and the checks of regions of the wasm heap. */
#ifndef VARIA_NAPI_UTIL_H
#define VARIA_NAPI_UTIL_H
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stddef.h>

#include "math_kernels.h"

/* Returns from the calling entry point with a thrown error when an N-API call fails. */
#define CHECK(call)                                                                                                     \
  do {                                                                                                                  \
    if ((call) != napi_ok) return varia_throw_error(env, "native-kernels: N-API call failed: " #call);                       \
  } while (0)

/* Throws a JavaScript Error with the message; returns NULL (an entry point's "undefined"). */
VARIA_HIDDEN napi_value varia_throw_error(napi_env env, const char *message);
/* Reads argument i as a double; the caller validates ranges. */
VARIA_HIDDEN int varia_arg_f64(napi_env env, napi_value *argv, size_t i, double *out);
/* A float region [off, off + count·4) must lie inside the buffer and be 4-byte aligned. */
VARIA_HIDDEN int varia_in_bounds(double off, double count, size_t length);
/* Reads the heap and `count` (at most 7) numbers after it; 0 on failure (an exception is pending). */
VARIA_HIDDEN int varia_heap_and_numbers(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                                        double *out);
/* (heap, Float64Array of `least` … `most` numbers): the heap, the numbers read in place and their count. */
VARIA_HIDDEN int varia_heap_and_array_range(napi_env env, napi_callback_info info, size_t least, size_t most, void **data,
                                            size_t *length, const double **out, size_t *count);
/* (heap, Float64Array of exactly `count` numbers): the heap and the numbers, or 0 after throwing. */
VARIA_HIDDEN int varia_heap_and_array(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                                      const double **out);
/* A whole number in [0, 2^32]. */
VARIA_HIDDEN int varia_whole(double v);

/* A typed array of `type` over a plain (not shared) ArrayBuffer, read in place: its element count and first element
 * (a static zero for an empty one). 0 when `value` is not one. */
VARIA_HIDDEN int varia_host_array(napi_env env, napi_value value, napi_typedarray_type type, size_t *count, void **first);
/* Whether the bytes [a, a + m) and [b, b + n) meet. */
VARIA_HIDDEN int varia_bytes_meet(const void *a, size_t m, const void *b, size_t n);

#endif
