/* Adam (Kingma & Ba): one step over one variable, and in place over several in parallel blocks. */
#include "napi_util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "adam_expr.h"
#include "adam_flush.h"
#include "entry_points.h"
#include "parallel.h"
#include "vector_helpers.h"
#include "weight_facts.h"

VARIA_CLONES void varia_adam_inplace_facts(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1,
                                           float b2, float eps, float b1pow, float b2pow, uint32_t *least_m1,
                                           uint32_t *peak) {
  /* varia_adam_inplace's expressions in its order (math_kernels.c; -std=c11: no FMA contraction): the same bits */
  const float step = VARIA_ADAM_STEP(lr, b1pow), vscale = VARIA_ADAM_VSCALE(b2pow);
  uint32_t least = *least_m1, top = *peak;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = VARIA_ADAM_M(b1, m[i], gi);
    const float vi = VARIA_ADAM_V(b2, v[i], gi);
    m[i] = mi;
    v[i] = vi;
    const float wi = VARIA_ADAM_W(w[i], step, mi, vi, vscale, eps);
    w[i] = wi;
    uint32_t bits;
    memcpy(&bits, &wi, sizeof bits);
    bits &= 0x7fffffffu;
    const uint32_t below = bits - 1u; /* a zero wraps to the largest */
    least = below < least ? below : least;
    top = bits > top ? bits : top;
  }
  *least_m1 = least;
  *peak = top;
}

/* The calling thread's entries (a JS thread's: each worker has its own), reused in turn, and the process's last ticket.
 * A step of the MNIST VAE opens 5 (one per layer): 16 hold three such models' last steps. */
#define FACTS_ENTRIES 16
static _Thread_local varia_weight_facts_t facts_table[FACTS_ENTRIES];
static _Thread_local int facts_next = 0;
static atomic_llong facts_tickets = 0;

int varia_weight_facts_on(void) {
  const char *e = getenv("VARIA_B_FACTS");
  return !(e && e[0] == '0');
}

varia_weight_facts_t *varia_weight_facts_open(const float *w, int64_t n, const varia_weight_facts_t *busy) {
  varia_weight_facts_t *f = &facts_table[facts_next];
  if (f == busy) f = &facts_table[facts_next = (facts_next + 1) % FACTS_ENTRIES];
  facts_next = (facts_next + 1) % FACTS_ENTRIES;
  f->ticket = (double)(atomic_fetch_add(&facts_tickets, 1) + 1);
  f->w = w;
  f->n = n;
  atomic_store(&f->least_m1, 0xffffffffu);
  atomic_store(&f->peak, 0u);
  atomic_store(&f->covered, 0);
  return f;
}

void varia_weight_facts_add(varia_weight_facts_t *f, uint32_t least_m1, uint32_t peak, int64_t count) {
  unsigned old = atomic_load(&f->least_m1);
  while (least_m1 < old && !atomic_compare_exchange_weak(&f->least_m1, &old, least_m1)) {
  }
  old = atomic_load(&f->peak);
  while (peak > old && !atomic_compare_exchange_weak(&f->peak, &old, peak)) {
  }
  atomic_fetch_add(&f->covered, count); /* after the facts (sequentially consistent): covered counts only what is in */
}

int varia_weight_facts_find(double ticket, const float *b, int64_t n, varia_b_facts_t *out) {
  if (!(ticket > 0)) return 0;
  for (int e = 0; e < FACTS_ENTRIES; e++) {
    const varia_weight_facts_t *f = &facts_table[e];
    if (f->ticket != ticket) continue;
    if (f->w != b || f->n != n || atomic_load(&f->covered) != n) return 0;
    const uint32_t peak = atomic_load(&f->peak);
    if (peak >= 0x7f800000u) return 0; /* a NaN or ±∞: scan (forced rows, NaN rules) */
    /* the least non-zero |w| as scan_b finds it: min(|w| − 1) + 1, 0 (every |w| 0) meaning none: +∞ */
    const uint32_t bits = atomic_load(&f->least_m1) + 1u, least = bits == 0u ? 0x7f800000u : bits;
    memcpy(&out->least, &least, sizeof least);
    return 1;
  }
  return 0;
}

void varia_weight_facts_forget(const void *start, size_t bytes) {
  const char *lo = (const char *)start, *hi = lo + bytes;
  for (int e = 0; e < FACTS_ENTRIES; e++) {
    varia_weight_facts_t *f = &facts_table[e];
    const char *w = (const char *)f->w;
    if (f->ticket > 0 && bytes > 0 && f->n > 0 && lo < w + 4 * f->n && w < hi) f->ticket = 0;
  }
}

napi_value varia_napi_adam(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 15) return varia_throw_error(env, "native-kernels: adam needs 15 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: adam needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  double d[14];
  for (size_t i = 0; i < 14; i++)
    if (!varia_arg_f64(env, argv, i + 1, &d[i])) return varia_throw_error(env, "native-kernels: adam arguments must be numbers");
  const double size = d[0];
  if (size < 0) return varia_throw_error(env, "native-kernels: adam size must be non-negative");
  for (int i = 1; i <= 7; i++)
    if (!varia_in_bounds(d[i], size, length)) return varia_throw_error(env, "native-kernels: adam operand outside the heap");
  char *base = (char *)data;
  const float *w = (const float *)(base + (int64_t)d[1]), *g = (const float *)(base + (int64_t)d[2]);
  const float *m = (const float *)(base + (int64_t)d[3]), *v = (const float *)(base + (int64_t)d[4]);
  float *w2 = (float *)(base + (int64_t)d[5]), *m2 = (float *)(base + (int64_t)d[6]), *v2 = (float *)(base + (int64_t)d[7]);
  ADAM_FLUSH_BEGIN;
  varia_adam(w, g, m, v, w2, m2, v2, (int64_t)size, (float)d[8], (float)d[9], (float)d[10], (float)d[11], (float)d[12],
             (float)d[13]);
  ADAM_FLUSH_END;
  return NULL;
}

/* The in-place Adam step of several variables in one job of element blocks: block t is block t − first[i] of
 * variable i (a variable of at most ADAM_BLOCK elements is one block). */
typedef struct {
  char *base;
  const double *specs; /* 5 numbers per variable: size, byte offsets of w, g, m, v */
  const int64_t *first; /* first[i]: the first block of variable i; first[count] the number of blocks */
  int64_t count, block0; /* block0: the job's block 0 is block block0 of the table */
  float lr, b1, b2, eps, b1pow, b2pow;
} adam_job_t;

/* Elements per Adam block (128 KiB of each array): large variables are shared between threads; one job for all. */
#define ADAM_BLOCK 32768

static void adam_blocks(void *ctx, int64_t start, int64_t end) {
  const adam_job_t *j = (const adam_job_t *)ctx;
  int64_t i = 0;
  ADAM_FLUSH_BEGIN;
  for (int64_t t = start + j->block0; t < end + j->block0; t++) {
    while (t >= j->first[i + 1]) i++;
    const double *sp = j->specs + 5 * i;
    const int64_t lo = (t - j->first[i]) * ADAM_BLOCK, size = (int64_t)sp[0];
    const int64_t n = size - lo < ADAM_BLOCK ? size - lo : ADAM_BLOCK;
    varia_adam_inplace((float *)(j->base + (int64_t)sp[1]) + lo, (const float *)(j->base + (int64_t)sp[2]) + lo,
                       (float *)(j->base + (int64_t)sp[3]) + lo, (float *)(j->base + (int64_t)sp[4]) + lo, n, j->lr, j->b1,
                       j->b2, j->eps, j->b1pow, j->b2pow);
  }
  ADAM_FLUSH_END;
}

/* A region of the heap that a variable's step reads or writes. */
typedef struct {
  double start, end;
  int64_t owner;
} region_t;

static int by_start(const void *a, const void *b) {
  const double x = ((const region_t *)a)->start, y = ((const region_t *)b)->start;
  return x < y ? -1 : x > y;
}

/* Whether some region of one variable shares a byte with a region of another (then their steps depend on their
 * order, and the variables run one after the other). Sorted by start, a region meets an earlier one of another
 * variable iff it starts before the furthest end among the other variables' earlier regions. −1: out of memory. */
static int variables_overlap(const double *sp, int64_t vars) {
  region_t *r = (region_t *)malloc((size_t)(4 * vars + 1) * sizeof(region_t));
  if (!r) return -1;
  int64_t n = 0;
  for (int64_t i = 0; i < vars; i++)
    for (int k = 1; k <= 4; k++)
      if (sp[5 * i] > 0) r[n++] = (region_t){sp[5 * i + k], sp[5 * i + k] + 4 * sp[5 * i], i};
  qsort(r, (size_t)n, sizeof(region_t), by_start);
  /* the furthest end so far and its owner, and the furthest end of any other owner */
  double end1 = -1, end2 = -1;
  int64_t owner1 = -1;
  int found = 0;
  for (int64_t k = 0; k < n && !found; k++) {
    found = r[k].start < (r[k].owner == owner1 ? end2 : end1);
    if (r[k].end > end1) {
      if (r[k].owner != owner1) end2 = end1;
      end1 = r[k].end;
      owner1 = r[k].owner;
    } else if (r[k].owner != owner1 && r[k].end > end2) {
      end2 = r[k].end;
    }
  }
  free(r);
  return found;
}

/*
 * adamInPlace(heap, specs, lr, beta1, beta2, eps, beta1Power, beta2Power): one Adam step over several variables in one
 * call, in place. specs is a Float64Array of 5 numbers per variable: size, then the byte offsets of w, g, m, v; w, m and
 * v are overwritten. Every region is checked before anything is written. The variables' blocks are one job for the
 * threads (each element's step reads and writes only that element: the bits do not depend on the blocks).
 */
napi_value varia_napi_adam_in_place(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 8) return varia_throw_error(env, "native-kernels: adamInPlace needs 8 arguments");
  void *data = NULL;
  size_t length = 0;
  bool is_ab = false, is_ta = false;
  CHECK(napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return varia_throw_error(env, "native-kernels: adamInPlace needs the wasm heap's ArrayBuffer");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return varia_throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array");
  napi_typedarray_type type;
  size_t count = 0;
  void *specs_data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &count, &specs_data, NULL, NULL));
  if (type != napi_float64_array || count % 5 != 0)
    return varia_throw_error(env, "native-kernels: adamInPlace specs must be a Float64Array of 5 numbers per variable");
  double h[6];
  for (size_t i = 0; i < 6; i++)
    if (!varia_arg_f64(env, argv, i + 2, &h[i])) return varia_throw_error(env, "native-kernels: adam arguments must be numbers");
  const double *sp = (const double *)specs_data;
  for (size_t i = 0; i < count; i += 5) {
    const double size = sp[i];
    if (!(size >= 0) || size != floor(size)) return varia_throw_error(env, "native-kernels: adam size must be a non-negative integer");
    for (int j = 1; j <= 4; j++)
      if (!varia_in_bounds(sp[i + j], size, length)) return varia_throw_error(env, "native-kernels: adam operand outside the heap");
  }
  const int64_t vars = (int64_t)(count / 5);
  /* w, m and v are written in place: what the in-step Adam knew of them is no longer true */
  for (size_t i = 0; i < count; i += 5)
    for (int j = 1; j <= 4; j++) varia_weight_facts_forget((char *)data + (int64_t)sp[i + j], (size_t)(4 * sp[i]));
  const int overlap = variables_overlap(sp, vars);
  if (overlap < 0) return varia_throw_error(env, "native-kernels: adamInPlace could not allocate its block table");
  int64_t *first = (int64_t *)malloc((size_t)(vars + 1) * sizeof(int64_t));
  if (!first) return varia_throw_error(env, "native-kernels: adamInPlace could not allocate its block table");
  first[0] = 0;
  for (int64_t i = 0; i < vars; i++) first[i + 1] = first[i] + ((int64_t)sp[5 * i] + ADAM_BLOCK - 1) / ADAM_BLOCK;
  adam_job_t j = {.base = (char *)data, .specs = sp, .first = first, .count = vars, .lr = (float)h[0], .b1 = (float)h[1],
                  .b2 = (float)h[2], .eps = (float)h[3], .b1pow = (float)h[4], .b2pow = (float)h[5]};
  int64_t elements = 0;
  for (int64_t i = 0; i < vars; i++) elements += (int64_t)sp[5 * i];
  if (elements < 2 * ADAM_BLOCK) {
    /* too little to wake a helper for (a small model's many small variables are many one-block variables) */
    adam_blocks(&j, 0, first[vars]);
  } else if (!overlap) {
    varia_parallel_for(adam_blocks, &j, first[vars], 1);
  } else {
    /* variables that share memory: one after the other in their order, each in blocks as before */
    for (int64_t i = 0; i < vars; i++) {
      j.block0 = first[i];
      varia_parallel_for(adam_blocks, &j, first[i + 1] - first[i], 1);
    }
  }
  free(first);
  return NULL;
}
