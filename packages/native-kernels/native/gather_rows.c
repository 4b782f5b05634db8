/*
 * gatherRows(heap, source: Float32Array, cols, rows: Int32Array, outOff) -> −1, or the first k whose rows[k] is not a
 * row of the source (nothing written then): out[k·cols + j] = source[rows[k]·cols + j] for k < rows.length and
 * j < cols, with the source read in place (a plain ArrayBuffer's Float32Array of whole rows: its length a multiple of
 * cols) and out [rows.length, cols] on the wasm heap at byte offset outOff. The bytes are copied as they are (NaN
 * payloads, −0, subnormals), as TypedArray.prototype.set copies them: a training batch's rows gathered into the tensor
 * the step reads.
 *
 * Why native: the rows of a shuffled batch are far apart in a data set larger than the caches, and each row's first
 * lines are a chain of misses (and an address translation) the hardware prefetcher cannot foresee: it follows a
 * stream within a row, not the jump to the next one. The copy of row k prefetches the same lines of row k + D (D rows
 * ahead, see PREFETCH_BYTES), and the first lines of rows HEAD_ROWS ahead, so those misses overlap the copy.
 * Measured on Zen 5, one thread, 128 random MNIST rows (3,136 bytes) of 8,000:
 *   - C harness, 4–16 MB of other data read between batches (means of ~2,000 batches): glibc memcpy per row 44–76 µs,
 *     a 64-byte AVX-512 copy 29–49 µs, the same with the row prefetch 19–37 µs (prefetching each next row whole
 *     before a memcpy: 25–56 µs; D = 1, 2, 4, 8 rows: 4 or 2 best); with one line of each 4 KiB page of 256 MB read
 *     too (address translations evicted), 80 / 48 / 37 µs, and 33–35 µs with the first lines of all rows prefetched;
 *   - inside an MNIST fit (the call alone, medians over fits, load 2–3): a memcpy per row 87–92 µs, the row prefetch
 *     42–69 µs, with the first 2 lines of every row prefetched at the start 38–51 µs (1, 4 or 8 lines: no better).
 */
#include <stdint.h>
#include <string.h>

#include "entry_points.h"
#include "napi_util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GATHER_AVX512 1
#endif

/* How far ahead the prefetch runs, in bytes of rows: D = ceil(PREFETCH_BYTES / row bytes), within [MIN_D, MAX_D]. */
#define PREFETCH_BYTES 12288
#define MIN_D 2
#define MAX_D 64
/* The first HEAD_LINES lines of the rows HEAD_ROWS ahead are prefetched too (all of a batch's at the start): their
 * address translations and first misses start long before the copy reaches them. */
#define HEAD_ROWS 256
#define HEAD_LINES 2

static int64_t distance(int64_t cols) {
  const int64_t d = (PREFETCH_BYTES + cols * 4 - 1) / (cols * 4);
  return d < MIN_D ? MIN_D : d > MAX_D ? MAX_D : d;
}

/* Every line of the row at `row` (also its last, when the row does not start on a line). */
static inline void prefetch_row(const float *row, int64_t cols) {
  const char *p = (const char *)row;
  const int64_t bytes = cols * 4;
  for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, 3);
  __builtin_prefetch(p + bytes - 1, 0, 3);
}

/* The first HEAD_LINES lines of a row (fewer for a shorter row). */
static inline void prefetch_head(const float *row, int64_t cols) {
  const char *p = (const char *)row;
  for (int64_t b = 0; b < HEAD_LINES * 64 && b < cols * 4; b += 64) __builtin_prefetch(p + b, 0, 3);
}

/* The portable copy: row k + d prefetched whole (and the head of row k + HEAD_ROWS), then row k copied. */
static void gather_plain(float *out, const float *src, const int32_t *idx, int64_t n, int64_t cols, int64_t d) {
  for (int64_t k = 0; k < n; k++) {
    if (k + HEAD_ROWS < n) prefetch_head(src + (int64_t)idx[k + HEAD_ROWS] * cols, cols);
    if (k + d < n) prefetch_row(src + (int64_t)idx[k + d] * cols, cols);
    memcpy(out + k * cols, src + (int64_t)idx[k] * cols, (size_t)cols * 4);
  }
}

#ifdef GATHER_AVX512
/* 16 floats at a time (unaligned loads and stores), each line of row k's copy paired with a prefetch of the same
 * line of row k + d (and the head of row k + HEAD_ROWS); the last partial vector masked. */
__attribute__((target("avx512f"))) static void gather_avx512(float *out, const float *src, const int32_t *idx, int64_t n,
                                                             int64_t cols, int64_t d) {
  const int64_t tail = cols & 15;
  const __mmask16 mask = (__mmask16)((1u << tail) - 1u);
  for (int64_t k = 0; k < n; k++) {
    const float *a = src + (int64_t)idx[k] * cols;
    float *o = out + k * cols;
    const char *p = (const char *)(src + (int64_t)idx[k + d < n ? k + d : k] * cols);
    const int ahead = k + d < n;
    if (k + HEAD_ROWS < n) prefetch_head(src + (int64_t)idx[k + HEAD_ROWS] * cols, cols);
    int64_t j = 0;
    if (ahead) {
      for (; j + 16 <= cols; j += 16) {
        __builtin_prefetch(p + j * 4, 0, 3);
        _mm512_storeu_ps(o + j, _mm512_loadu_ps(a + j));
      }
      __builtin_prefetch(p + cols * 4 - 1, 0, 3);
    } else {
      for (; j + 16 <= cols; j += 16) _mm512_storeu_ps(o + j, _mm512_loadu_ps(a + j));
    }
    if (tail) _mm512_mask_storeu_ps(o + j, mask, _mm512_maskz_loadu_ps(mask, a + j));
  }
}
#endif

static napi_value number(napi_env env, double v) {
  napi_value out;
  CHECK(napi_create_double(env, v, &out));
  return out;
}

napi_value varia_napi_gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return varia_throw_error(env, "native-kernels: gatherRows needs 5 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok)
    return varia_throw_error(env, "native-kernels: gatherRows needs the wasm heap's ArrayBuffer");
  size_t cells = 0, count = 0;
  void *source = NULL, *rows = NULL;
  if (!varia_host_array(env, argv[1], napi_float32_array, &cells, &source))
    return varia_throw_error(env, "native-kernels: gatherRows needs the source as a Float32Array (not shared)");
  if (!varia_host_array(env, argv[3], napi_int32_array, &count, &rows))
    return varia_throw_error(env, "native-kernels: gatherRows needs the rows as an Int32Array (not shared)");
  double cols_d = 0, out_off = 0;
  if (!varia_arg_f64(env, argv, 2, &cols_d) || !varia_arg_f64(env, argv, 4, &out_off))
    return varia_throw_error(env, "native-kernels: gatherRows arguments must be numbers");
  if (!varia_whole(cols_d) || cols_d < 1 || cols_d > 2147483647.0)
    return varia_throw_error(env, "native-kernels: gatherRows needs cols ≥ 1 (a 32-bit integer)");
  const int64_t cols = (int64_t)cols_d;
  if (cells % (size_t)cols != 0)
    return varia_throw_error(env, "native-kernels: gatherRows needs a source of whole rows (length a multiple of cols)");
  const uint64_t source_rows = (uint64_t)(cells / (size_t)cols);
  if (!varia_in_bounds(out_off, (double)count * cols_d, length))
    return varia_throw_error(env, "native-kernels: gatherRows output outside the heap");
  if (count == 0) return number(env, -1);
  float *out = (float *)((char *)data + (int64_t)out_off);
  const size_t out_bytes = count * (size_t)cols * 4;
  if (varia_bytes_meet(out, out_bytes, source, cells * 4) || varia_bytes_meet(out, out_bytes, rows, count * 4))
    return varia_throw_error(env, "native-kernels: gatherRows output overlaps the source or the rows");
  const int32_t *idx = (const int32_t *)rows;
  /* every index before any byte is written */
  for (size_t k = 0; k < count; k++)
    if ((uint64_t)(uint32_t)idx[k] >= source_rows || idx[k] < 0) return number(env, (double)k);
  const int64_t n = (int64_t)count, d = distance(cols);
  const float *src = (const float *)source;
  for (int64_t k = 0; k < HEAD_ROWS && k < n; k++) prefetch_head(src + (int64_t)idx[k] * cols, cols);
  for (int64_t k = 0; k < d && k < n; k++) prefetch_row(src + (int64_t)idx[k] * cols, cols);
#ifdef GATHER_AVX512
  if (__builtin_cpu_supports("avx512f")) {
    gather_avx512(out, src, idx, n, cols, d);
    return number(env, -1);
  }
#endif
  gather_plain(out, src, idx, n, cols, d);
  return number(env, -1);
}
