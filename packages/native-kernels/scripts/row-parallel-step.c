/*
 * What two threads could make of the MNIST VAE's training step (784-400-20-400-784, batch 128, Bernoulli, Adam) with
 * the work split otherwise than the addon splits it (each large kernel's blocks taken from a queue, parallel.c: the
 * calling thread makes every activation, W's blocks go to whichever thread claims them). A harness, not the addon's
 * step: the same shapes and kinds of calls (oneDNN's dnnl_sgemm on one thread, sparse_rows.c's forward from x's
 * non-zeros in `rows`, math_kernels.c's Adam, parallel.c's pool), the elementwise parts written plainly here, the
 * encoder's first layer dense in `owner` and `k-owner` (the addon's zero-skipping product takes ~0.5 of its time).
 * Three ways to split a step between the calling thread and one helper:
 *   rows     each thread carries its rows of the batch (64 | 64) through the forward pass and the backward chain down
 *            to δ1; then each thread takes the same rows of W4 and W1 for dW and Adam. Two joins a step.
 *   owner    each thread owns columns of W1 and W4 (the same every step): forward products, dW and Adam on them;
 *            dh3 = δ4·W4ᵀ as two partial sums; the small layers on the calling thread.
 *   k-owner  each thread owns rows of W1 and W4 (halves of K, contiguous, the same every step) and alone reads and
 *            writes them: the forward products split in K at oneDNN's own blocks (K = 400: 200 | 200; K = 784: 384 |
 *            200 + 200, gemm512.h's varia_onednn_k_block) and joined as ((bias + S₁) + S₂) + S₃ — oneDNN's bits
 *            (checked at start against the whole products); dx = δ·Wᵀ in its columns (W's rows), dW and Adam in W's
 *            rows. Five joins a step; the small layers on the calling thread.
 *
 *   N=packages/native-kernels/native
 *   gcc -O3 -std=gnu11 -fno-math-errno -fno-trapping-math -mavx512f -I$N -I/usr/include/node \
 *     $N/../scripts/row-parallel-step.c $N/parallel.c $N/sparse_rows.c $N/math_kernels.c $N/shared_passes.c \
 *     $N/sparse_tiles.c -ldl -lpthread -lm -o /tmp/row-parallel-step
 *   OMP_NUM_THREADS=1 /tmp/row-parallel-step [steps per round = 63] [rounds = 9] [rows | owner | k-owner]
 *
 * Prints per round one thread's and two threads' ms/step (interleaved), their ratio, and whether the two runs' weights
 * are the same bits after every round.
 *
 * Measured 2026-12-03, AMD EPYC Zen 5 2-vCPU machine (a PVM guest), quiet, 5 rounds of 63 steps, two threads ÷ one
 * (one thread 2.1–2.6 ms/step; rounds after the first):
 * - rows 0.91–1.23×, owner 1.08–1.16×, k-owner 1.26–1.49×. With glibc's malloc keeping freed memory
 *   (MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456, as the bench runs; oneDNN allocates its packing
 *   buffers per call, and the helper's dx product took 341 → 246 µs with them) k-owner 1.58–1.74× in one set of
 *   runs (two threads 1.32–1.41 ms/step) and 1.29–1.43× in a later one (1.63–1.77 ms/step; one thread unchanged at
 *   2.28–2.34), 03:25–03:40. MALLOC_ARENA_MAX=1 on top: 1.24–1.44×.
 * - Tried in k-owner without gain: a streaming read of δ4 before the helper's dx product, a sequential write of its
 *   output scratch first (the caller had read it the step before). Writing the helper's part of dx = δ4·W4ᵀ into a
 *   contiguous scratch instead of its columns of dh3 (below) is kept: interleaved writes are the 15× case.
 * - Why rows and owner lose: on this machine two threads writing parts of the same rows of an array (interleaved
 *   64-byte-aligned column blocks) ran a read-modify-write pass 15× slower than one (30 → 454 µs for 4 × 1.25 MB;
 *   contiguous halves 28 → 32–35 µs; presumably the prefetchers fetching the other's lines). And an array that both
 *   threads read (W in `rows`) costs its writer a round trip to the other core per line: Adam on a half of W4 took
 *   176–190 µs against 26 µs alone. In k-owner each W and its moments stay in one core's caches (Adam 30–35 µs on
 *   either).
 * - A helper that spins between the jobs of a step (parallel.c patched: VARIA_HELPER_SPIN_US) added ~0.05–0.1× to
 *   k-owner; the addon's own step gained nothing from it (the same session, 5 pairs).
 * - k-owner in the addon itself (2026-12-03, not kept): blas.c split the forward products of both large layers in K
 *   at oneDNN's blocks (the caller the first block onto C, the helper the rest into scratch, then ((C + S₂) + S₃)
 *   keeping a block's NaN) and dense_adam.c gave each thread its rows of W (dx's columns, the helper's into a buffer of
 *   its own, dW's rows, Adam). The same bits (trainhash, MNIST and Poisson, fused and taped), but the fused MNIST step
 *   on two threads ran 0.93× the current plan (8 interleaved pairs, 0.81–0.96; 2.55–2.74 against 2.40–2.52 ms/step,
 *   the bench's malloc settings): at ~200 µs a job, the helper's wake-up (the caller's call 35 µs, the helper's first
 *   claim 85–90 µs after the post) leaves the caller waiting, where gemm_split.c's plan gives the caller the larger
 *   block. With the helper spinning it ran 1.04–1.07× the current plan with a spinning helper (5 pairs), the helper's
 *   blocks still ~20 % slower than the caller's (its inputs, x, h3 and δ, come from the caller's cache). Per call: the
 *   split forward product 228–271 µs (whole on one thread: L1 ~225, L4 ~400), the owned dW + Adam job 473–525 µs
 *   (one thread: L4 ~850, L1 ~430).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adam_flush.h"
#include "math_kernels.h"
#include "parallel.h"
#include "sparse_rows.h"
#include "sparse_tiles.h"

/* The N-API function sparse_tiles.c refers to (never called here). */
napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *), void *arg) {
  (void)env, (void)fun, (void)arg;
  return napi_generic_failure;
}

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                        float, float *, int64_t);
static sgemm_fn dnnl;

enum { NB = 128, D = 784, H = 400, L = 20, L2 = 40, ROWS = 8000 };

/* row-major C[M×N] = op(A)·op(B) + beta·C (dnnl_sgemm's matrices are row-major) */
static void gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  if (dnnl(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, a, lda, b, ldb, beta, c, ldc)) abort();
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}
static float normal(void) { return (float)(sqrt(-2 * log(uniform() + 1e-300)) * cos(6.283185307179586 * uniform())); }

/* a layer's weights, bias and their Adam moments */
typedef struct {
  int64_t in, out;
  float *w, *b, *mw, *vw, *mb, *vb, *gw, *gb;
} layer_t;

static float *zeros(int64_t n) {
  float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
  memset(p, 0, (size_t)n * 4);
  return p;
}
static void layer_init(layer_t *l, int64_t in, int64_t out) {
  l->in = in, l->out = out;
  l->w = zeros(in * out), l->mw = zeros(in * out), l->vw = zeros(in * out), l->gw = zeros(in * out);
  l->b = zeros(out), l->mb = zeros(out), l->vb = zeros(out), l->gb = zeros(out);
  const double s = sqrt(6.0 / (double)(in + out));
  for (int64_t i = 0; i < in * out; i++) l->w[i] = (float)((2 * uniform() - 1) * s);
}
static void layer_copy(layer_t *dst, const layer_t *src) {
  const size_t nw = (size_t)(src->in * src->out) * 4, nb = (size_t)src->out * 4;
  memcpy(dst->w, src->w, nw), memcpy(dst->mw, src->mw, nw), memcpy(dst->vw, src->vw, nw);
  memcpy(dst->b, src->b, nb), memcpy(dst->mb, src->mb, nb), memcpy(dst->vb, src->vb, nb);
}

/* the data: ROWS rows of ~19 % non-zeros in (0, 1], dense and as CSR; ε for every step */
static float *xd;
static int32_t *indptr, *indices;
static float *values;
/* one model's state and the step's activations */
typedef struct {
  layer_t l1, lh, l3, l4;
  float *h1, *hh, *sigma, *eps, *z, *h3, *lo, *d4, *dh3, *dh3b, *dz, *dhh, *d1, *s1b, *s1c, *s4b;
  int64_t step;
} model_t;

static void model_init(model_t *m) {
  layer_init(&m->l1, D, H), layer_init(&m->lh, H, L2), layer_init(&m->l3, L, H), layer_init(&m->l4, H, D);
  m->h1 = zeros(NB * H), m->hh = zeros(NB * L2), m->sigma = zeros(NB * L), m->eps = zeros(NB * L), m->z = zeros(NB * L);
  m->h3 = zeros(NB * H), m->lo = zeros(NB * D), m->d4 = zeros(NB * D), m->dh3 = zeros(NB * H);
  m->dh3b = zeros(NB * H), m->s1b = zeros(NB * H), m->s1c = zeros(NB * H), m->s4b = zeros(NB * D);
  m->dz = zeros(NB * L);
  m->dhh = zeros(NB * L2), m->d1 = zeros(NB * H);
  m->step = 0;
}

static const float LR = 1e-3f, B1 = 0.9f, B2 = 0.999f, EPS = 1e-7f;
static float b1pow, b2pow;

typedef struct {
  model_t *m;
  int64_t row0; /* the batch's first row of the data */
} step_t;

/* rows [r0, r1) of the batch: forward and the backward chain down to δ1 */
static void rows_phase(void *ctx, int64_t r0, int64_t r1) {
  const step_t *s = ctx;
  model_t *m = s->m;
  const int64_t nr = r1 - r0;
  const float inv_n = 1.f / NB;
  /* x's rows in the batch as CSR (the data's own arrays: indptr rebased by the row's offset) */
  const int32_t *ip = indptr + s->row0 + r0;
  int32_t local[NB + 1];
  for (int64_t i = 0; i <= nr; i++) local[i] = ip[i] - ip[0];
  varia_sparse_rows_forward(local, indices + ip[0], values + ip[0], nr, D, m->l1.w, m->l1.b, m->h1 + r0 * H, H, 1, 0.f);
  float *hh = m->hh + r0 * L2;
  for (int64_t i = 0; i < nr; i++) memcpy(hh + i * L2, m->lh.b, L2 * 4);
  gemm(0, 0, nr, L2, H, m->h1 + r0 * H, H, m->lh.w, L2, 1.f, hh, L2);
  for (int64_t i = 0; i < nr; i++)
    for (int j = 0; j < L; j++) {
      const int64_t q = (r0 + i) * L + j;
      m->sigma[q] = expf(0.5f * hh[i * L2 + L + j]);
      m->z[q] = hh[i * L2 + j] + m->sigma[q] * m->eps[q];
    }
  float *h3 = m->h3 + r0 * H, *lo = m->lo + r0 * D, *d4 = m->d4 + r0 * D;
  for (int64_t i = 0; i < nr; i++) memcpy(h3 + i * H, m->l3.b, H * 4);
  gemm(0, 0, nr, H, L, m->z + r0 * L, L, m->l3.w, H, 1.f, h3, H);
  varia_activate(h3, nr * H, 1, 0.f);
  for (int64_t i = 0; i < nr; i++) memcpy(lo + i * D, m->l4.b, D * 4);
  gemm(0, 0, nr, D, H, h3, H, m->l4.w, D, 1.f, lo, D);
  const float *x = xd + (s->row0 + r0) * D;
  varia_sigmoid(lo, d4, nr * D);
  for (int64_t q = 0; q < nr * D; q++) d4[q] = (d4[q] - x[q]) * inv_n;
  float *dh3 = m->dh3 + r0 * H;
  gemm(0, 1, nr, H, D, d4, D, m->l4.w, D, 0.f, dh3, H);
  for (int64_t q = 0; q < nr * H; q++) dh3[q] = h3[q] > 0 ? dh3[q] : 0.f;
  float *dz = m->dz + r0 * L, *dhh = m->dhh + r0 * L2;
  gemm(0, 1, nr, L, H, dh3, H, m->l3.w, H, 0.f, dz, L);
  for (int64_t i = 0; i < nr; i++)
    for (int j = 0; j < L; j++) {
      const int64_t q = (r0 + i) * L + j;
      const float mu = hh[i * L2 + j], sg = m->sigma[q];
      dhh[i * L2 + j] = dz[i * L + j] + mu * inv_n;
      dhh[i * L2 + L + j] = dz[i * L + j] * m->eps[q] * sg * 0.5f + (sg * sg - 1.f) * 0.5f * inv_n;
    }
  float *d1 = m->d1 + r0 * H;
  gemm(0, 1, nr, H, L2, dhh, L2, m->lh.w, L2, 0.f, d1, H);
  const float *h1 = m->h1 + r0 * H;
  for (int64_t q = 0; q < nr * H; q++) d1[q] = h1[q] > 0 ? d1[q] : 0.f;
}

/* Adam on rows [k0, k1) of a layer's W, and on its bias when `bias`, from gw and gb */
static void adam_rows(layer_t *l, int64_t k0, int64_t k1, int bias) {
  ADAM_FLUSH_BEGIN; /* as the addon's Adam: subnormal moments flushed */
  const int64_t o = k0 * l->out, n = (k1 - k0) * l->out;
  varia_adam_inplace(l->w + o, l->gw + o, l->mw + o, l->vw + o, n, LR, B1, B2, EPS, b1pow, b2pow);
  if (bias) varia_adam_inplace(l->b, l->gb, l->mb, l->vb, l->out, LR, B1, B2, EPS, b1pow, b2pow);
  ADAM_FLUSH_END;
}

/* blocks of W's rows: 0 … PARTS − 1 of W4 (400 rows), then of W1 (784 rows); each thread takes the same ones every
 * step (the calling thread the first of each layer) and keeps its rows of W and of the moments in its own cache. Rows,
 * not columns: with column blocks each thread's part of a row sat between the other's, and the two Adam passes ran 6x
 * slower than one (scripts/vm-costs.c measures the pattern) */
#define PARTS 2
/* part t of PARTS of `units` rows or columns (16-unit blocks split evenly) */
static void part_of(int64_t units, int64_t t, int64_t *c0, int64_t *c1) {
  *c0 = 16 * (t * (units / 16) / PARTS);
  *c1 = t + 1 == PARTS ? units : 16 * ((t + 1) * (units / 16) / PARTS);
}

static void weights_phase(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  for (int64_t t = first; t < last; t++) {
    layer_t *l = t < PARTS ? &m->l4 : &m->l1;
    const int64_t part = t % PARTS;
    int64_t k0, k1;
    part_of(l->in, part, &k0, &k1);
    const int64_t U = l->out;
    float *gw = l->gw + k0 * U;
    if (l == &m->l4) {
      /* dW4[k0:k1, :] = h3[:, k0:k1]ᵀ·δ4 */
      gemm(1, 0, k1 - k0, U, NB, m->h3 + k0, H, m->d4, D, 0.f, gw, U);
      if (part == 0) varia_sum_columns(m->d4, l->gb, NB, D, D);
    } else {
      /* dW1[k0:k1, :] = x[:, k0:k1]ᵀ·δ1 (dense: the addon's zero-skipping product takes ~0.5 of oneDNN's time there) */
      gemm(1, 0, k1 - k0, U, NB, xd + s->row0 * D + k0, D, m->d1, H, 0.f, gw, U);
      if (part == 0) varia_sum_columns(m->d1, l->gb, NB, H, H);
    }
    adam_rows(l, k0, k1, part == 0);
  }
}

static void small_phase(model_t *m) {
  gemm(1, 0, L, H, NB, m->z, L, m->dh3, H, 0.f, m->l3.gw, H);
  varia_sum_columns(m->dh3, m->l3.gb, NB, H, H);
  adam_rows(&m->l3, 0, L, 1);
  gemm(1, 0, H, L2, NB, m->h1, H, m->dhh, L2, 0.f, m->lh.gw, L2);
  varia_sum_columns(m->dhh, m->lh.gb, NB, L2, L2);
  adam_rows(&m->lh, 0, H, 1);
}


/* ---- the owner design: each thread owns columns of W1 and W4 (the same every step) and alone reads and writes them */

/* Adam on columns [c0, c1) of every row of a layer's W and of its bias */
static void adam_columns(layer_t *l, int64_t c0, int64_t c1) {
  ADAM_FLUSH_BEGIN;
  for (int64_t k = 0; k < l->in; k++) {
    const int64_t o = k * l->out + c0;
    varia_adam_inplace(l->w + o, l->gw + o, l->mw + o, l->vw + o, c1 - c0, LR, B1, B2, EPS, b1pow, b2pow);
  }
  varia_adam_inplace(l->b + c0, l->gb + c0, l->mb + c0, l->vb + c0, c1 - c0, LR, B1, B2, EPS, b1pow, b2pow);
  ADAM_FLUSH_END;
}

/* h1[:, c] = relu(x·W1[:, c] + b1[c]) */
static void own_h1(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  for (int64_t t = first; t < last; t++) {
    int64_t c0, c1;
    part_of(H, t, &c0, &c1);
    for (int64_t i = 0; i < NB; i++) memcpy(m->h1 + i * H + c0, m->l1.b + c0, (size_t)(c1 - c0) * 4);
    gemm(0, 0, NB, c1 - c0, D, xd + s->row0 * D, D, m->l1.w + c0, H, 1.f, m->h1 + c0, H);
    for (int64_t i = 0; i < NB; i++) varia_activate(m->h1 + i * H + c0, c1 - c0, 1, 0.f);
  }
}

/* logits[:, c], δ4[:, c], the part of dh3 = δ4·W4ᵀ over k in c (part 0 into dh3, part 1 into dh3b), dW4[:, c], db4[c]
 * and Adam on W4[:, c] */
static void own_out(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  layer_t *l = &m->l4;
  const float inv_n = 1.f / NB;
  for (int64_t t = first; t < last; t++) {
    int64_t c0, c1;
    part_of(D, t, &c0, &c1);
    const int64_t w = c1 - c0;
    for (int64_t i = 0; i < NB; i++) memcpy(m->lo + i * D + c0, l->b + c0, (size_t)w * 4);
    gemm(0, 0, NB, w, H, m->h3, H, l->w + c0, D, 1.f, m->lo + c0, D);
    const float *x = xd + s->row0 * D;
    for (int64_t i = 0; i < NB; i++) {
      float *d4 = m->d4 + i * D + c0;
      varia_sigmoid(m->lo + i * D + c0, d4, w);
      for (int64_t j = 0; j < w; j++) d4[j] = (d4[j] - x[i * D + c0 + j]) * inv_n;
    }
    gemm(0, 1, NB, H, w, m->d4 + c0, D, l->w + c0, D, 0.f, t == 0 ? m->dh3 : m->dh3b, H);
    gemm(1, 0, H, w, NB, m->h3, H, m->d4 + c0, D, 0.f, l->gw + c0, D);
    varia_sum_columns(m->d4 + c0, l->gb + c0, NB, D, w);
    adam_columns(l, c0, c1);
  }
}

/* dW1[:, c] = xᵀ·δ1[:, c], db1[c], Adam on W1[:, c] */
static void own_first(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  layer_t *l = &m->l1;
  for (int64_t t = first; t < last; t++) {
    int64_t c0, c1;
    part_of(H, t, &c0, &c1);
    gemm(1, 0, D, c1 - c0, NB, xd + s->row0 * D, D, m->d1 + c0, H, 0.f, l->gw + c0, H);
    varia_sum_columns(m->d1 + c0, l->gb + c0, NB, H, c1 - c0);
    adam_columns(l, c0, c1);
  }
}

/* the calling thread's part between own_h1 and own_out: the heads, z, h3 */
static void middle_forward(model_t *m) {
  for (int64_t i = 0; i < NB; i++) memcpy(m->hh + i * L2, m->lh.b, L2 * 4);
  gemm(0, 0, NB, L2, H, m->h1, H, m->lh.w, L2, 1.f, m->hh, L2);
  for (int64_t q = 0; q < NB * L; q++) {
    const int64_t i = q / L, j = q % L;
    m->sigma[q] = expf(0.5f * m->hh[i * L2 + L + j]);
    m->z[q] = m->hh[i * L2 + j] + m->sigma[q] * m->eps[q];
  }
  for (int64_t i = 0; i < NB; i++) memcpy(m->h3 + i * H, m->l3.b, H * 4);
  gemm(0, 0, NB, H, L, m->z, L, m->l3.w, H, 1.f, m->h3, H);
  varia_activate(m->h3, NB * H, 1, 0.f);
}

/* from dh3 (whole, before the ReLU's gradient is applied to it by the caller): dz, [dμ | ds], δ1 */
static void latent_backward(model_t *m) {
  const float inv_n = 1.f / NB;
  gemm(0, 1, NB, L, H, m->dh3, H, m->l3.w, H, 0.f, m->dz, L);
  for (int64_t q = 0; q < NB * L; q++) {
    const int64_t i = q / L, j = q % L;
    const float mu = m->hh[i * L2 + j], sg = m->sigma[q];
    m->dhh[i * L2 + j] = m->dz[q] + mu * inv_n;
    m->dhh[i * L2 + L + j] = m->dz[q] * m->eps[q] * sg * 0.5f + (sg * sg - 1.f) * 0.5f * inv_n;
  }
  gemm(0, 1, NB, H, L2, m->dhh, L2, m->lh.w, L2, 0.f, m->d1, H);
  for (int64_t q = 0; q < NB * H; q++) m->d1[q] = m->h1[q] > 0 ? m->d1[q] : 0.f;
}

/* the calling thread's part between own_out and own_first: dh3 from its two parts, then latent_backward */
static void middle_backward(model_t *m) {
  for (int64_t q = 0; q < NB * H; q++) m->dh3[q] = m->h3[q] > 0 ? m->dh3[q] + m->dh3b[q] : 0.f;
  latent_backward(m);
}

static void owner_step(step_t *s, int threads) {
  if (threads == 1) own_h1(s, 0, PARTS);
  else varia_parallel_for(own_h1, s, PARTS, 1);
  middle_forward(s->m);
  if (threads == 1) own_out(s, 0, PARTS);
  else varia_parallel_for(own_out, s, PARTS, 1);
  middle_backward(s->m);
  small_phase(s->m);
  if (threads == 1) own_first(s, 0, PARTS);
  else varia_parallel_for(own_first, s, PARTS, 1);
}


/* ---- the K-owner design: each thread owns rows of W1 and W4 (contiguous: halves of K, the same every step) and alone
 * reads and writes them. The forward products are split in K at those halves (oneDNN sums each K block as its own
 * chain from +0 and adds the blocks onto C in order, so (bias + S_A) + S_B is its bits where the halves are its
 * blocks); dx = δ·Wᵀ splits in its columns (W's rows); dW and Adam in W's rows. */


/* S1 over part t of K = 784, at oneDNN's own blocks of that K (384, 200, 200: gemm512.h's varia_onednn_k_block):
 * part 0 is the first block, into h1 from the bias; part 1 the other two, each its own chain from +0, into s1b and
 * s1c */
static void kown_h1(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  const float *x = xd + s->row0 * D;
  for (int64_t t = first; t < last; t++) {
    if (t == 0) {
      for (int64_t i = 0; i < NB; i++) memcpy(m->h1 + i * H, m->l1.b, H * 4);
      gemm(0, 0, NB, H, 384, x, D, m->l1.w, H, 1.f, m->h1, H);
    } else {
      gemm(0, 0, NB, H, 200, x + 384, D, m->l1.w + 384 * H, H, 0.f, m->s1b, H);
      gemm(0, 0, NB, H, 200, x + 584, D, m->l1.w + 584 * H, H, 0.f, m->s1c, H);
    }
  }
}

/* S4 over part t of K = 400: part 0 into lo (from the bias), part 1 into s4b */
static void kown_lo(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  for (int64_t t = first; t < last; t++) {
    int64_t k0, k1;
    part_of(H, t, &k0, &k1);
    float *out = t == 0 ? m->lo : m->s4b;
    if (t == 0) for (int64_t i = 0; i < NB; i++) memcpy(out + i * D, m->l4.b, D * 4);
    gemm(0, 0, NB, D, k1 - k0, m->h3 + k0, H, m->l4.w + k0 * D, D, t == 0 ? 1.f : 0.f, out, D);
  }
}

/* rows [r0, r1): lo += s4b, δ4 = (σ(lo) − x)/n */
static void kown_delta4(void *ctx, int64_t r0, int64_t r1) {
  const step_t *s = ctx;
  model_t *m = s->m;
  const float inv_n = 1.f / NB;
  float *lo = m->lo + r0 * D, *d4 = m->d4 + r0 * D;
  const float *sb = m->s4b + r0 * D, *x = xd + (s->row0 + r0) * D;
  const int64_t n = (r1 - r0) * D;
  for (int64_t q = 0; q < n; q++) lo[q] += sb[q];
  varia_sigmoid(lo, d4, n);
  for (int64_t q = 0; q < n; q++) d4[q] = (d4[q] - x[q]) * inv_n;
}

/* part t of W4's rows: dh3[:, k] = (δ4·W4[k, :]ᵀ) ⊙ 1[h3 > 0], dW4[k, :], db4 (part 0), Adam */
static void kown_out_back(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  layer_t *l = &m->l4;
  for (int64_t t = first; t < last; t++) {
    int64_t k0, k1;
    part_of(H, t, &k0, &k1);
    /* part 0 into dh3's columns, part 1 into dh3b as a contiguous [NB, k1 − k0] (the caller copies it over): two
     * threads writing interleaved parts of the same rows ran a pass 15x slower (bench/README.md, session 15) */
    float *dx = t == 0 ? m->dh3 : m->dh3b;
    const int64_t ldx = t == 0 ? H : k1 - k0, off = t == 0 ? k0 : 0;
    gemm(0, 1, NB, k1 - k0, D, m->d4, D, l->w + k0 * D, D, 0.f, dx + off, ldx);
    for (int64_t i = 0; i < NB; i++)
      for (int64_t k = k0; k < k1; k++) {
        float *e = dx + i * ldx + off + k - k0;
        *e = m->h3[i * H + k] > 0 ? *e : 0.f;
      }
    gemm(1, 0, k1 - k0, D, NB, m->h3 + k0, H, m->d4, D, 0.f, l->gw + k0 * D, D);
    if (t == 0) varia_sum_columns(m->d4, l->gb, NB, D, D);
    adam_rows(l, k0, k1, t == 0);
  }
}

/* part t of W1's rows: dW1[k, :] = x[:, k]ᵀ·δ1, db1 (part 0), Adam */
static void kown_first_back(void *ctx, int64_t first, int64_t last) {
  const step_t *s = ctx;
  model_t *m = s->m;
  layer_t *l = &m->l1;
  for (int64_t t = first; t < last; t++) {
    int64_t k0, k1;
    part_of(D, t, &k0, &k1);
    gemm(1, 0, k1 - k0, H, NB, xd + s->row0 * D + k0, D, m->d1, H, 0.f, l->gw + k0 * H, H);
    if (t == 0) varia_sum_columns(m->d1, l->gb, NB, H, H);
    adam_rows(l, k0, k1, t == 0);
  }
}

#define RUN(f, total, block) \
  do {                                           \
    if (threads == 1) f(s, 0, total);            \
    else varia_parallel_for(f, s, total, block); \
  } while (0)

static void kown_step(step_t *s, int threads) {
  model_t *m = s->m;
  RUN(kown_h1, PARTS, 1);
  for (int64_t q = 0; q < NB * H; q++) m->h1[q] = (m->h1[q] + m->s1b[q]) + m->s1c[q];
  varia_activate(m->h1, NB * H, 1, 0.f);
  middle_forward(m);
  RUN(kown_lo, PARTS, 1);
  RUN(kown_delta4, NB, NB / 2);
  RUN(kown_out_back, PARTS, 1);
  {
    int64_t k0, k1;
    part_of(H, 1, &k0, &k1);
    for (int64_t i = 0; i < NB; i++) memcpy(m->dh3 + i * H + k0, m->dh3b + i * (k1 - k0), (size_t)(k1 - k0) * 4);
  }
  latent_backward(m);
  small_phase(m);
  RUN(kown_first_back, PARTS, 1);
}

static int owner = 0; /* the design: 0 rows, 1 owner (columns), 2 K-owner */

static double phase_ms[2][3];
static void train(model_t *m, int64_t steps, int threads) {
  for (int64_t t = 0; t < steps; t++, m->step++) {
    step_t s = {m, (m->step % (ROWS / NB)) * NB};
    for (int64_t q = 0; q < NB * L; q++) m->eps[q] = normal();
    b1pow = powf(B1, (float)(m->step + 1)), b2pow = powf(B2, (float)(m->step + 1));
    if (owner) {
      if (owner == 1) owner_step(&s, threads);
      else kown_step(&s, threads);
      continue;
    }
    const double p0 = now_ms();
    if (threads == 1) rows_phase(&s, 0, NB);
    else varia_parallel_for(rows_phase, &s, NB, NB / 2);
    const double p1 = now_ms();
    if (threads == 1) weights_phase(&s, 0, 2 * PARTS);
    else varia_parallel_for(weights_phase, &s, 2 * PARTS, 1);
    const double p2 = now_ms();
    small_phase(m);
    const double p3 = now_ms();
    phase_ms[threads - 1][0] += p1 - p0, phase_ms[threads - 1][1] += p2 - p1, phase_ms[threads - 1][2] += p3 - p2;
  }
}

static int same(const model_t *a, const model_t *b) {
  return !memcmp(a->l1.w, b->l1.w, D * H * 4) && !memcmp(a->l4.w, b->l4.w, D * H * 4) &&
         !memcmp(a->lh.w, b->lh.w, H * L2 * 4) && !memcmp(a->l3.w, b->l3.w, H * L * 4);
}

/* Whether the K-split forward products are oneDNN's bits: the whole product against the k-owner's parts. */
static void check_splits(void) {
  float *a = zeros(NB * D), *b = zeros(D * D), *bias = zeros(D), *c1 = zeros(NB * D), *c2 = zeros(NB * D),
        *s2 = zeros(NB * D), *s3 = zeros(NB * D);
  for (int64_t i = 0; i < NB * D; i++) a[i] = uniform() < 0.62 ? 0.f : (float)uniform();
  for (int64_t i = 0; i < D * D; i++) b[i] = (float)(uniform() - 0.5) * 0.1f;
  for (int64_t i = 0; i < D; i++) bias[i] = (float)(uniform() - 0.5) * 0.1f;
  /* 128×784 · 784×400 (K = 784: 384 | 200 + 200) and 128×400 · 400×784 (K = 400: 200 | 200) */
  const int64_t shapes[2][2] = {{D, H}, {H, D}};
  for (int c = 0; c < 2; c++) {
    const int64_t K = shapes[c][0], N = shapes[c][1];
    for (int64_t i = 0; i < NB; i++) memcpy(c1 + i * N, bias, (size_t)N * 4), memcpy(c2 + i * N, bias, (size_t)N * 4);
    gemm(0, 0, NB, N, K, a, K, b, N, 1.f, c1, N);
    const int64_t k1 = K == D ? 384 : 200;
    gemm(0, 0, NB, N, k1, a, K, b, N, 1.f, c2, N);
    gemm(0, 0, NB, N, K - k1 == 400 ? 200 : K - k1, a + k1, K, b + k1 * N, N, 0.f, s2, N);
    if (K - k1 == 400) gemm(0, 0, NB, N, 200, a + k1 + 200, K, b + (k1 + 200) * N, N, 0.f, s3, N);
    for (int64_t q = 0; q < NB * N; q++) {
      c2[q] += s2[q];
      if (K - k1 == 400) c2[q] += s3[q];
    }
    const int same_bits = !memcmp(c1, c2, (size_t)(NB * N) * 4);
    printf("K = %lld split at oneDNN's blocks: %s\n", (long long)K, same_bits ? "the same bits" : "DIFFERENT bits");
  }
  free(a), free(b), free(bias), free(c1), free(c2), free(s2), free(s3);
}

int main(int argc, char **argv) {
  const int64_t steps = argc > 1 ? atoll(argv[1]) : 63;
  const int rounds = argc > 2 ? atoi(argv[2]) : 9;
  owner = argc > 3 && !strcmp(argv[3], "owner") ? 1 : argc > 3 && !strcmp(argv[3], "k-owner") ? 2 : 0;
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW);
  if (!lib || !(dnnl = (sgemm_fn)dlsym(lib, "dnnl_sgemm"))) {
    fprintf(stderr, "no libdnnl.so.2\n");
    return 1;
  }
  check_splits();
  xd = zeros((int64_t)ROWS * D);
  indptr = malloc((ROWS + 1) * sizeof(int32_t));
  indices = malloc((size_t)ROWS * D * sizeof(int32_t));
  values = malloc((size_t)ROWS * D * sizeof(float));
  int64_t nnz = 0;
  for (int64_t i = 0; i < ROWS; i++) {
    indptr[i] = (int32_t)nnz;
    for (int64_t k = 0; k < D; k++)
      if (uniform() < 0.19) {
        const float v = (float)(1.0 - uniform());
        xd[i * D + k] = v, indices[nnz] = (int32_t)k, values[nnz] = v, nnz++;
      }
  }
  indptr[ROWS] = (int32_t)nnz;
  model_t one, two;
  model_init(&one);
  rng = 12345;
  model_init(&two);
  layer_copy(&two.l1, &one.l1), layer_copy(&two.lh, &one.lh);
  layer_copy(&two.l3, &one.l3), layer_copy(&two.l4, &one.l4);
  printf("steps/round %lld; ms/step: one thread, two threads, ratio, same bits\n", (long long)steps);
  for (int r = 0; r < rounds; r++) {
    const uint64_t seed = rng;
    varia_set_parallel(1, NULL);
    double t0 = now_ms();
    train(&one, steps, 1);
    double t1 = now_ms();
    rng = seed;
    varia_set_parallel(2, NULL);
    const double t1b = now_ms();
    train(&two, steps, 2);
    double t2 = now_ms();
    t1 += 0 * t1b;
    t2 -= t1b - t1;
    printf("%d  %.3f  %.3f  %.2fx  %s\n", r, (t1 - t0) / steps, (t2 - t1) / steps, (t1 - t0) / (t2 - t1),
           same(&one, &two) ? "same" : "DIFFERENT");
  }
  const double total = (double)steps * rounds;
  for (int t = 0; t < 2 && !owner; t++)
    printf("%d thread(s): rows %.3f, weights %.3f, small %.3f ms/step\n", t + 1, phase_ms[t][0] / total,
           phase_ms[t][1] / total, phase_ms[t][2] / total);
  return 0;
}
