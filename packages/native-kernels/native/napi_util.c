/* See napi_util.h. */
#include "napi_util.h"

#include <math.h>
#include <stdint.h>

napi_value varia_throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Reads argument i as a double; the caller validates ranges. */
int varia_arg_f64(napi_env env, napi_value *argv, size_t i, double *out) {
  return napi_get_value_double(env, argv[i], out) == napi_ok;
}

/* A float region [off, off + count·4) must lie inside the buffer and be 4-byte aligned. */
int varia_in_bounds(double off, double count, size_t length) {
  return off >= 0 && count >= 0 && fmod(off, 4.0) == 0 && off + count * 4.0 <= (double)length;
}

/* Reads the heap and `count` numbers after it; 0 on failure (an exception is pending). */
int varia_heap_and_numbers(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length, double *out) {
  napi_value argv[8];
  size_t argc = 8;
  bool is_ab = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) {
    varia_throw_error(env, "native-kernels: wrong number of arguments");
    return 0;
  }
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    varia_throw_error(env, "native-kernels: the first argument must be the wasm heap's ArrayBuffer");
    return 0;
  }
  for (size_t i = 0; i < count; i++)
    if (!varia_arg_f64(env, argv, i + 1, &out[i])) {
      varia_throw_error(env, "native-kernels: arguments must be numbers");
      return 0;
    }
  return 1;
}

/* (heap, Float64Array of `least` … `most` numbers): the heap, the numbers and their count (*n), or 0 after throwing. */
int varia_heap_and_array_range(napi_env env, napi_callback_info info, size_t least, size_t most, void **data,
                               size_t *length, const double **out, size_t *count) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_ab = false, is_ta = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    varia_throw_error(env, "native-kernels: wrong number of arguments");
    return 0;
  }
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    varia_throw_error(env, "native-kernels: the first argument must be the wasm heap's ArrayBuffer");
    return 0;
  }
  napi_typedarray_type type;
  size_t n = 0;
  void *values = NULL;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &n, &values, NULL, NULL) != napi_ok || type != napi_float64_array ||
      n < least || n > most) {
    varia_throw_error(env, "native-kernels: the second argument must be a Float64Array of the kernel's numbers");
    return 0;
  }
  *out = (const double *)values;
  *count = n;
  return 1;
}

/* (heap, Float64Array of exactly `count` numbers): the heap and the numbers, or 0 after throwing. */
int varia_heap_and_array(napi_env env, napi_callback_info info, size_t count, void **data, size_t *length,
                         const double **out) {
  size_t n = 0;
  return varia_heap_and_array_range(env, info, count, count, data, length, out, &n);
}

int varia_whole(double v) { return v >= 0 && v == floor(v) && v <= 4294967296.0; }

/* A typed array of `type` over a plain (not shared) ArrayBuffer, read in place: its element count and first element
 * (a static zero for an empty one). 0 when `value` is not one. */
int varia_host_array(napi_env env, napi_value value, napi_typedarray_type type, size_t *count, void **first) {
  static int32_t empty[1];
  bool is_typed = false, plain = false;
  napi_typedarray_type actual;
  napi_value buffer;
  size_t offset = 0;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &actual, count, first, &buffer, &offset) != napi_ok || actual != type ||
      napi_is_arraybuffer(env, buffer, &plain) != napi_ok || !plain)
    return 0;
  if (*count == 0 || *first == NULL) *first = empty;
  return 1;
}

/* Whether the bytes [a, a + m) and [b, b + n) meet. */
int varia_bytes_meet(const void *a, size_t m, const void *b, size_t n) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return m > 0 && n > 0 && x < y + n && y < x + m;
}
