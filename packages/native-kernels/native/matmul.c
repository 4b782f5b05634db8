/* The dense layer's products on the loaded BLAS: gemm (with bias and activation) and the backward pass. */
#include "napi_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "dense_rows.h"
#include "entry_points.h"
#include "shared_passes.h"
#include "sparse_tiles.h"
#include "weight_facts.h"

/*
 * gemm(heap, ta, tb, m, n, k, batch, aOff, aStride, bOff, bStride, cOff, biasOff, biasSize, act, alpha[, bFacts]):
 * C = act(op(A)·op(B) + bias) per batch. bFacts (optional, 0: none) is the ticket under which denseBackwardAdam kept
 * the facts of the data that is B (weight_facts.h): for one product with op(B) = B whose B is exactly that entry's
 * region, B's scan is skipped (the same bits). Returns true when the facts were taken, else false.
 */
napi_value varia_napi_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value argv[17];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16 && argc != 17) return varia_throw_error(env, "native-kernels: gemm needs 16 or 17 arguments");
  if (!varia_blas_loaded()) return varia_throw_error(env, "native-kernels: gemm called before load()");
  /* the products may take the calling thread's scratch memory (blas.c's zero-skipping kernel): released with it */
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: gemm could not register its scratch memory's release");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: gemm needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  bool ta = false, tb = false;
  CHECK(napi_get_value_bool(env, argv[1], &ta));
  CHECK(napi_get_value_bool(env, argv[2], &tb));
  double d[14] = {[13] = 0};
  /* an explicit undefined 17th argument is no ticket, as its typing (bFacts?: number) says */
  if (argc == 17) {
    napi_valuetype last;
    CHECK(napi_typeof(env, argv[16], &last));
    if (last == napi_undefined) argc = 16;
  }
  for (size_t i = 0; i < argc - 3; i++)
    if (!varia_arg_f64(env, argv, i + 3, &d[i])) return varia_throw_error(env, "native-kernels: gemm arguments must be numbers");
  const double m = d[0], n = d[1], k = d[2], batch = d[3], a_off = d[4], a_stride = d[5], b_off = d[6],
               b_stride = d[7], c_off = d[8], bias_off = d[9], bias_size = d[10], act = d[11], alpha = d[12];
  if (m < 1 || n < 1 || k < 0 || batch < 1 || m > 2147483647.0 || n > 2147483647.0 || k > 2147483647.0)
    return varia_throw_error(env, "native-kernels: gemm needs m, n, batch ≥ 1 and k ≥ 0 (32-bit integers)");
  if (a_stride < 0 || b_stride < 0) return varia_throw_error(env, "native-kernels: gemm strides must be non-negative");
  if (!varia_in_bounds(a_off, a_stride * (batch - 1) + m * k, length) ||
      !varia_in_bounds(b_off, b_stride * (batch - 1) + k * n, length) || !varia_in_bounds(c_off, batch * m * n, length))
    return varia_throw_error(env, "native-kernels: gemm operand outside the heap");
  const int has_bias = bias_off >= 0;
  if (has_bias) {
    if (!(bias_size == n || bias_size == m * n || bias_size == batch * m * n))
      return varia_throw_error(env, "native-kernels: gemm bias must have n, m·n or batch·m·n elements");
    if (!varia_in_bounds(bias_off, bias_size, length)) return varia_throw_error(env, "native-kernels: gemm bias outside the heap");
  }
  if (act < 0 || act > 5) return varia_throw_error(env, "native-kernels: unknown activation code");
  const double ticket = d[13];
  if (!(ticket >= 0)) return varia_throw_error(env, "native-kernels: gemm's bFacts must be a ticket ≥ 0");
  char *base = (char *)data;
  const int64_t M = (int64_t)m, N = (int64_t)n, K = (int64_t)k, B = (int64_t)batch;
  const int64_t sa = (int64_t)a_stride, sb = (int64_t)b_stride, mn = M * N;
  const float *a = (const float *)(base + (int64_t)a_off);
  const float *b = (const float *)(base + (int64_t)b_off);
  float *c = (float *)(base + (int64_t)c_off);
  const float *bias = has_bias ? (const float *)(base + (int64_t)bias_off) : NULL;
  const int64_t bsz = (int64_t)bias_size;
  /* B's facts: one product, op(B) = B, exactly the entry's K × N floats at b (else the scan, as without a ticket) */
  varia_b_facts_t facts;
  const int known =
      ticket > 0 && B == 1 && !tb && K > 0 && varia_weight_facts_on() && varia_weight_facts_find(ticket, b, K * N, &facts);
  /* one product, op(A) = A, op(B) = B, a bias per column or none: a dense layer's forward pass (dense_rows.h: many rows
   * in blocks of rows shared by the threads, the same bits), unless B's facts came from a ticket (a training step's) */
  if (B == 1 && !ta && !tb && K > 0 && !known && (!bias || bsz == N)) {
    if (varia_dense_forward(a, K, b, bias, c, M, N, K, (int)act, (float)alpha) != 0)
      return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
  } else {
    for (int64_t i = 0; i < B; i++) {
      float *ci = c + i * mn;
      float beta = 0.f;
      if (bias) {
        if (bsz == N)
          for (int64_t r = 0; r < M; r++) memcpy(ci + r * N, bias, (size_t)N * sizeof(float));
        else
          memcpy(ci, bias + (bsz == mn ? 0 : i * mn), (size_t)mn * sizeof(float));
        beta = 1.f;
      }
      const float *ai = a + i * sa, *bi = b + i * sb;
      const int64_t lda = ta ? M : K, ldb = tb ? K : N;
      if (K == 0) {
        /* An empty inner dimension: the product is zero (BLAS libraries disagree on whether they touch C). */
        if (!bias) memset(ci, 0, (size_t)mn * sizeof(float));
      } else if (varia_sgemm_shared_known(ta, tb, M, N, K, ai, lda, bi, ldb, beta, ci, N, known ? &facts : NULL) !=
                 0) {
        return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
      }
      varia_activate(ci, mn, (int)act, (float)alpha);
    }
  }
  napi_value taken;
  CHECK(napi_get_boolean(env, known, &taken));
  return taken;
}

/* Whether the float regions [a, a + n) and [b, b + m) (byte offsets, element counts) share a byte. */
static int overlaps(double a, double n, double b, double m) { return n > 0 && m > 0 && a < b + 4 * m && b < a + 4 * n; }

/*
 * denseBackward(heap, batch, inDim, units, dyOff, yOff, xOff, wOff, dxOff, dwOff, dbOff, act[, dxAddOff]): the
 * backward pass of y = f(x·W + b) for x [batch, inDim], W [inDim, units]: δ = dy ⊙ f′(y) (act as in
 * varia_activation_delta), dW = xᵀ·δ, db = Σ_rows δ, and dx = δ·Wᵀ unless dxOff < 0 — plus, elementwise, the
 * [batch, inDim] array at dxAddOff when it is given and ≥ 0 (dx = a + δ·Wᵀ: another path's gradient joined in the same
 * call, as an Add kernel after it would). The products and the sum are the calls the separate kernels make, so the
 * results are bit-identical to them.
 */
napi_value varia_napi_dense_backward(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12 && argc != 13) return varia_throw_error(env, "native-kernels: denseBackward needs 12 or 13 arguments");
  if (!varia_blas_loaded()) return varia_throw_error(env, "native-kernels: denseBackward called before load()");
  /* δ's buffer and the products (blas.c's zero-skipping kernel) may take the calling thread's scratch memory */
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: denseBackward could not register its scratch memory's release");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: denseBackward needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  double d[12] = {[11] = -1};
  for (size_t i = 0; i < argc - 1; i++)
    if (!varia_arg_f64(env, argv, i + 1, &d[i])) return varia_throw_error(env, "native-kernels: denseBackward arguments must be numbers");
  const double batch = d[0], in_dim = d[1], units = d[2], act = d[10];
  if (batch < 0 || in_dim < 1 || units < 1 || batch > 2147483647.0 || in_dim > 2147483647.0 || units > 2147483647.0 ||
      batch != floor(batch) || in_dim != floor(in_dim) || units != floor(units))
    return varia_throw_error(env, "native-kernels: denseBackward needs batch ≥ 0, inDim ≥ 1 and units ≥ 1 (32-bit integers)");
  if (!(act == 0 || act == 1 || act == 5 || act == 6)) return varia_throw_error(env, "native-kernels: unknown activation code");
  const int with_dx = d[7] >= 0, with_add = d[11] >= 0;
  if (with_add && !with_dx) return varia_throw_error(env, "native-kernels: denseBackward adds to dx only when it makes dx");
  if (!varia_in_bounds(d[3], batch * units, length) || !varia_in_bounds(d[4], batch * units, length) ||
      !varia_in_bounds(d[5], batch * in_dim, length) || !varia_in_bounds(d[6], in_dim * units, length) ||
      (with_dx && !varia_in_bounds(d[7], batch * in_dim, length)) || !varia_in_bounds(d[8], in_dim * units, length) ||
      !varia_in_bounds(d[9], units, length) || (with_add && !varia_in_bounds(d[11], batch * in_dim, length)))
    return varia_throw_error(env, "native-kernels: denseBackward operand outside the heap");
  /* the addend is read after dW, db and δ·Wᵀ are written: it may meet none of them */
  if (with_add && (overlaps(d[11], batch * in_dim, d[7], batch * in_dim) || overlaps(d[11], batch * in_dim, d[8], in_dim * units) ||
                   overlaps(d[11], batch * in_dim, d[9], units)))
    return varia_throw_error(env, "native-kernels: denseBackward's addend to dx overlaps an output");
  char *base = (char *)data;
  const int64_t B = (int64_t)batch, I = (int64_t)in_dim, U = (int64_t)units;
  const float *dy = (const float *)(base + (int64_t)d[3]), *y = (const float *)(base + (int64_t)d[4]);
  const float *x = (const float *)(base + (int64_t)d[5]), *w = (const float *)(base + (int64_t)d[6]);
  float *dx = with_dx ? (float *)(base + (int64_t)d[7]) : NULL;
  float *dw = (float *)(base + (int64_t)d[8]), *db = (float *)(base + (int64_t)d[9]);
  const float *dx_add = with_add ? (const float *)(base + (int64_t)d[11]) : NULL;
  if (B == 0) {
    memset(dw, 0, (size_t)(I * U) * sizeof(float));
    memset(db, 0, (size_t)U * sizeof(float));
    return NULL;
  }
  /* When no output overlaps an input or another output, a linear layer's δ is dy itself (no copy) and dW and dx run
   * together (blas.c: one whole product per thread); otherwise one after the other from a copy of δ, as always. */
  const double outs[3][2] = {{d[7], with_dx ? batch * in_dim : 0}, {d[8], in_dim * units}, {d[9], units}};
  const double ins[4][2] = {{d[3], batch * units}, {d[4], batch * units}, {d[5], batch * in_dim}, {d[6], in_dim * units}};
  int disjoint = 1;
  for (int o = 0; o < 3; o++) {
    for (int i = 0; i < 4; i++) disjoint = disjoint && !overlaps(outs[o][0], outs[o][1], ins[i][0], ins[i][1]);
    for (int p = o + 1; p < 3; p++) disjoint = disjoint && !overlaps(outs[o][0], outs[o][1], outs[p][0], outs[p][1]);
  }
  const float *delta = dy;
  if (!(disjoint && act == 0)) {
    /* the calling thread's scratch for δ (each JS thread has its own: sparse_tiles.h) */
    float *buffer = (float *)varia_sparse_scratch(VARIA_SCRATCH_DELTA, (size_t)(B * U) * sizeof(float));
    if (!buffer) return varia_throw_error(env, "native-kernels: denseBackward could not allocate its scratch buffer");
    varia_activation_delta(dy, y, buffer, B * U, (int)act);
    delta = buffer;
  }
  /* dW = xᵀ·δ ([inDim, units]); dx = δ·Wᵀ ([batch, inDim]); db = Σ_rows δ */
  const varia_gemm_t products[2] = {
      {.ta = 1, .tb = 0, .M = I, .N = U, .K = B, .a = x, .lda = I, .b = delta, .ldb = U, .beta = 0.f, .c = dw, .ldc = U},
      {.ta = 0, .tb = 1, .M = B, .N = I, .K = U, .a = delta, .lda = U, .b = w, .ldb = U, .beta = 0.f, .c = dx, .ldc = I},
  };
  if (varia_sgemm_together(products, with_dx && disjoint ? 2 : 1) != 0 ||
      (with_dx && !disjoint && varia_sgemm_shared(0, 1, B, I, U, delta, U, w, U, 0.f, dx, I) != 0))
    return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
  /* dx = addend + δ·Wᵀ: float32 additions after the product, the bits of an Add kernel after the call (the bits a
   * product onto a copy with beta = 1 gives only where oneDNN sums K in one block; measured no faster: both ~6 µs
   * on MNIST's 128×400 heads' dx) */
  if (dx_add) varia_add_into(dx_add, dx, B * I);
  varia_sum_shared(delta, db, 1, B, U);
  return NULL;
}
