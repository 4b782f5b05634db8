/*
 * A dense layer's backward pass and the Adam step of its kernel and bias in one call, in place: the weight gradient
 * dW = xᵀ·δ is made in blocks of rows, and each block's Adam step runs right after its product, while the block is
 * still in the core's cache (the gradient never goes to memory and back). Bit-identical to denseBackward (matmul.c)
 * followed by adamInPlace (adam.c).
 */
#include "napi_util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam_flush.h"
#include "blas.h"
#include "entry_points.h"
#include "parallel.h"
#include "shared_passes.h"
#include "sparse_tiles.h"
#include "weight_facts.h"

/* About this many rows of dW per block. Blocks are whole 16-row units of dW, as equal as they go, the rows past the
 * last whole unit joining the last block, and their number a multiple of the thread count (no thread idles at the end).
 * Measured in C (oneDNN 2.6, one thread, MNIST's 784×400 and 400×784 with K = 128): 64–128 rows were 1.06–1.09×
 * dW-then-Adam. On the AMD EPYC Zen 5 machine (1 MiB L2; a C copy of the block loop and of Adam's loop, 30
 * interleaved rounds, load ~3.5) 32, 64, 128, 256 rows and dW whole then Adam were all within 3 % (p10 455–495 µs a
 * layer, of which dW's product ~380 and Adam ~70): kept at 128. */
#ifndef DENSE_ADAM_BLOCK_ROWS
#define DENSE_ADAM_BLOCK_ROWS 128
#endif
/* On more than one thread dx is a task of the blocks' job (1), or made first, whole, before the blocks (0). As a task,
 * one thread makes dx while the others make blocks; a block whose product ends before dx is made keeps its gradient
 * aside and takes its Adam step after the job (dx still reads W). Made first, dx is split in halves and scales worse
 * than beside dW: MNIST's 400×784 layer ran 0.89–0.95× the separate kernels on two threads (raw addon calls, caches
 * flushed, load 3–4). As a task (with new W rows held aside, an earlier form) it ran 1.19× in one run (median of 41
 * interleaved rounds, nice −15, load 3.6) and 0.97–1.08× in later ones: on this shared 2-core machine the two-thread
 * figures did not settle. Without dx, blocks on two threads ran 1.10–1.12× (dW whole then Adam: 0.99–1.00×). */
#ifndef DENSE_ADAM_DX_TASK
#define DENSE_ADAM_DX_TASK 1
#endif
/* A layer with fewer weights than this is one block on the calling thread, with dx made first (a helper's wake-up,
 * 35–75 µs on this VM, costs more than the work: MNIST's 400×20 heads and 20×400 decoder layer). The same size below
 * which adamInPlace does not wake a helper (adam.c: 2 blocks of 32,768). */
#ifndef DENSE_ADAM_MIN_SPLIT
#define DENSE_ADAM_MIN_SPLIT 65536
#endif
/* The most threads varia_set_parallel starts (parallel.h): one gradient block slot each. */
#define MAX_THREADS 8

/* Whole 16-float units (64 bytes) for n floats, so each part of the scratch starts on a cache line of its own. */
static size_t lines(int64_t n) { return (size_t)((n + 15) / 16 * 16); }

typedef struct {
  /* block b is the 16-row units [b·whole/blocks, (b + 1)·whole/blocks) of dW's `whole` = inDim / 16 units */
  int64_t in_dim, units, batch, whole_units, blocks, slot_floats;
  const float *x, *delta;
  float *w, *m, *v;
  /* the whole gradient when it was made in one product (then blocks only run Adam), else NULL */
  const float *whole;
  /* the threads' gradient slots (a block's rows each, slot_floats apart) and which are taken */
  float *slots;
  int threads; /* the threads that may run blocks at once (varia_parallel): one slot each */
  atomic_int taken[MAX_THREADS];
  atomic_int failed;
  float lr, b1, b2, eps, b1pow, b2pow;
  /* with row blocks and dx: task 0 makes dx = δ·Wᵀ (into dx), tasks 1… are the blocks; dx_done is set once it is made.
   * A block whose product ends before that keeps its gradient in `held` (and marks itself in `deferred`): its Adam step
   * runs after the job (dx still reads W). */
  float *dx;
  const float *dx_add; /* with dx: the addend joined to it (dx = addend + δ·Wᵀ), or NULL */
  atomic_int dx_done;
  float *held;
  unsigned char *deferred;
  /* where W's new facts go (weight_facts.h), or NULL */
  varia_weight_facts_t *facts;
} dense_adam_job_t;

/* Rows [start, end) of W and its moments take their Adam step for the gradient rows g, folding the new rows' facts
 * into the job's entry when it keeps one (the same bits either way). */
static void block_step(const dense_adam_job_t *j, int64_t start, int64_t end, const float *g) {
  const int64_t U = j->units, n = (end - start) * U;
  ADAM_FLUSH_BEGIN;
  if (j->facts) {
    uint32_t least_m1 = 0xffffffffu, peak = 0;
    varia_adam_inplace_facts(j->w + start * U, g, j->m + start * U, j->v + start * U, n, j->lr, j->b1, j->b2, j->eps,
                             j->b1pow, j->b2pow, &least_m1, &peak);
    varia_weight_facts_add(j->facts, least_m1, peak, n);
  } else {
    varia_adam_inplace(j->w + start * U, g, j->m + start * U, j->v + start * U, n, j->lr, j->b1, j->b2, j->eps,
                       j->b1pow, j->b2pow);
  }
  ADAM_FLUSH_END;
}

/* Blocks [first, last) of dW's rows: each block's product (unless the whole gradient is given), then its Adam step. */
static void dense_adam_blocks(void *ctx, int64_t first, int64_t last) {
  dense_adam_job_t *j = (dense_adam_job_t *)ctx;
  int slot = -1;
  if (!j->whole) {
    /* at most `threads` callers at once, so some slot is free */
    for (int s = 0; slot < 0; s = (s + 1) % j->threads) {
      int expected = 0;
      if (atomic_compare_exchange_strong(&j->taken[s], &expected, 1)) slot = s;
    }
  }
  const int64_t U = j->units;
  for (int64_t b = first; b < last; b++) {
    const int64_t start = 16 * (b * j->whole_units / j->blocks);
    const int64_t end = b + 1 == j->blocks ? j->in_dim : 16 * ((b + 1) * j->whole_units / j->blocks);
    const float *g = j->whole ? j->whole + start * U : j->slots + slot * j->slot_floats;
    /* dx still reads W: unless it is made by the end of the product, this block's Adam step waits (after the job),
     * its gradient in `held` */
    const int early = j->dx && !atomic_load_explicit(&j->dx_done, memory_order_acquire);
    if (early) g = j->held + start * U;
    if (!j->whole) {
      /* rows start … end of xᵀ·δ: columns start … end of x (outside Adam's flush mode, as the separate product) */
      if (varia_sgemm_single(1, 0, end - start, U, j->batch, j->x + start, j->in_dim, j->delta, U, 0.f, (float *)g, U)) {
        atomic_store(&j->failed, 1);
        continue;
      }
    }
    if (early && !atomic_load_explicit(&j->dx_done, memory_order_acquire)) {
      j->deferred[b] = 1;
      continue;
    }
    block_step(j, start, end, g);
  }
  if (slot >= 0) atomic_store(&j->taken[slot], 0);
}

/* The Adam steps of the deferred blocks among [first, last), from their gradients in `held`. */
static void dense_adam_deferred(void *ctx, int64_t first, int64_t last) {
  dense_adam_job_t *j = (dense_adam_job_t *)ctx;
  const int64_t U = j->units;
  for (int64_t b = first; b < last; b++) {
    if (!j->deferred[b]) continue;
    const int64_t start = 16 * (b * j->whole_units / j->blocks);
    const int64_t end = b + 1 == j->blocks ? j->in_dim : 16 * ((b + 1) * j->whole_units / j->blocks);
    block_step(j, start, end, j->held + start * U);
  }
}

/* Tasks [first, last): task 0 makes dx when the job has it, the rest are blocks (dense_adam_blocks). */
static void dense_adam_tasks(void *ctx, int64_t first, int64_t last) {
  dense_adam_job_t *j = (dense_adam_job_t *)ctx;
  if (!j->dx) {
    dense_adam_blocks(ctx, first, last);
    return;
  }
  if (first == 0) {
    if (varia_sgemm_single(0, 1, j->batch, j->in_dim, j->units, j->delta, j->units, j->w, j->units, 0.f, j->dx, j->in_dim))
      atomic_store(&j->failed, 1);
    atomic_store_explicit(&j->dx_done, 1, memory_order_release);
    if (j->dx_add) varia_add_into(j->dx_add, j->dx, j->batch * j->in_dim);
    first = 1;
  }
  if (first < last) dense_adam_blocks(ctx, first - 1, last - 1);
}

/* Whether float regions [a, a + n) and [b, b + m) (byte offsets, element counts) share a byte. */
static int meet(double a, double n, double b, double m) { return n > 0 && m > 0 && a < b + 4 * m && b < a + 4 * n; }

enum {
  BATCH, IN_DIM, UNITS, DY, Y, X, W, BIAS, WM, WV, BM, BV, DX, ACT, LR, B1, B2, EPS, B1POW, B2POW, DX_ADD, DEFER, FACTS,
  ARGS
};

/* The heap and the numbers: ARGS of them, or ARGS − 1 (without FACTS, which then reads 0). 0 after throwing. */
static int heap_and_numbers(napi_env env, napi_callback_info info, void **data, size_t *length, double *d) {
  const double *values = NULL;
  size_t n = 0;
  if (!varia_heap_and_array_range(env, info, ARGS - 1, ARGS, data, length, &values, &n)) return 0;
  memcpy(d, values, n * sizeof(double));
  if (n == ARGS - 1) d[FACTS] = 0;
  return 1;
}

/* The calling thread's last deferred job (in its VARIA_SCRATCH_DEFERRED scratch) and whether an earlier one failed:
 * what joinDeferred reports. */
static _Thread_local dense_adam_job_t *deferred_job = NULL;
/* The facts entry of the calling thread's last deferred job (what a pending job may still be writing), or NULL. */
static _Thread_local const varia_weight_facts_t *deferred_facts = NULL;
static _Thread_local int deferred_failed = 0;
/*
 * Whether a wasm memory at [base, base + length) grows in place: its pages up to 4 GiB (wasm32's most) from base are
 * mapped or reserved, one mapping after another (Linux, /proc/self/maps), so the engine has no reason to move it. V8
 * on x86-64 with its trap handler (Node's default) reserves 8 GiB and grows in place, and a deferred job's pointers
 * stay valid however much the kernels' outputs grow the memory meanwhile; where it reserves less, growth may copy the
 * memory elsewhere and free the old pages, so nothing is deferred. Checked once per base address (a reservation does
 * not shrink).
 */
static int heap_fixed(const void *base) {
  static _Thread_local const void *fixed = NULL;
  if (base == fixed) return 1;
#if defined(__linux__)
  FILE *maps = fopen("/proc/self/maps", "r");
  if (!maps) return 0;
  const uintptr_t start = (uintptr_t)base, want = start + ((uintptr_t)1 << 32);
  uintptr_t covered = 0; /* the end of the mappings from base on, one after another; 0 before base's */
  char line[512];
  unsigned long a, b;
  /* a line longer than the buffer comes in pieces: only a line's first piece holds its range (the rest of a long
   * path could read as one, e.g. ".../0-ffffffffffff.node") */
  for (int first = 1, next = 1; covered < want && fgets(line, sizeof line, maps); first = next) {
    next = strchr(line, '\n') != NULL;
    if (!first) continue;
    if (sscanf(line, "%lx-%lx", &a, &b) != 2) break;
    if (covered == 0 && a <= start && start < b) covered = b;
    else if (covered != 0 && a == covered) covered = b;
    else if (covered != 0) break;
  }
  fclose(maps);
  if (covered < want) return 0;
  fixed = base;
  return 1;
#else
  return 0;
#endif
}

/* VARIA_DEFER=0 in the environment (read at each call) turns deferring off: for A/B measurements. */
static int defer_switched_off(void) {
  const char *e = getenv("VARIA_DEFER");
  return e && e[0] == '0';
}

/* The job's fields at the start of its scratch, rounded up to whole cache lines. */
#define JOB_FLOATS ((sizeof(dense_adam_job_t) + 63) / 64 * 16)

/*
 * denseBackwardAdam(heap, numbers): numbers is a Float64Array of batch, inDim, units, the byte offsets of dy, y, x,
 * W, b, W's m and v, b's m and v and dx (−1: no dx), the activation code (as denseBackward's) and Adam's lr, β₁, β₂,
 * ε, β₁ᵗ, β₂ᵗ, the byte offset of an addend to dx (−1: none), `defer` (1; 0 or −1: not) and, optionally, `facts` (1:
 * keep W's new facts, weight_facts.h, and return their ticket, a number > 0; 0 or absent: not, returning nothing).
 * dx = δ·Wᵀ (W before the step), plus the [batch, inDim] addend elementwise when given (as denseBackward's: an Add
 * kernel's bits), then W, b and their moments take one Adam step for dW = xᵀ·δ and db = Σ_rows δ. Every region is checked, and no written region may meet
 * any other operand, before anything is written.
 *
 * With defer = 1, on more than one thread and where dW goes in row blocks, the call returns once dx, db and b's step
 * are done, and dW's blocks with W's step run as a deferred job (parallel.h: the helpers start on it, the calling
 * thread joins it later). It reads x (and dy for a linear layer: δ = dy) and writes W and its moments until the join:
 * the caller keeps those tensors alive and untouched until then (the fused step joins before it frees anything).
 * Every other entry point joins first (varia_native.c), except this one and normalBackward, which join only when
 * their operands meet the job's. Otherwise defer changes nothing. Same bits either way.
 */
napi_value varia_napi_dense_backward_adam(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  double d[ARGS];
  if (!heap_and_numbers(env, info, &data, &length, d)) return NULL;
  if (!varia_blas_loaded()) return varia_throw_error(env, "native-kernels: denseBackwardAdam called before load()");
  const double batch = d[BATCH], in_dim = d[IN_DIM], units = d[UNITS], act = d[ACT];
  if (!varia_whole(batch) || !varia_whole(in_dim) || !varia_whole(units) || in_dim < 1 || units < 1 ||
      batch > 2147483647.0 || in_dim > 2147483647.0 || units > 2147483647.0)
    return varia_throw_error(env, "native-kernels: denseBackwardAdam needs batch ≥ 0, inDim ≥ 1 and units ≥ 1 (32-bit integers)");
  if (!(act == 0 || act == 1 || act == 5 || act == 6)) return varia_throw_error(env, "native-kernels: unknown activation code");
  for (int h = LR; h <= B2POW; h++)
    if (!isfinite(d[h])) return varia_throw_error(env, "native-kernels: denseBackwardAdam's Adam numbers must be finite");
  const int with_dx = d[DX] >= 0, with_add = d[DX_ADD] >= 0;
  if (with_add && !with_dx) return varia_throw_error(env, "native-kernels: denseBackwardAdam adds to dx only when it makes dx");
  if (d[DEFER] != -1 && d[DEFER] != 0 && d[DEFER] != 1)
    return varia_throw_error(env, "native-kernels: denseBackwardAdam's defer must be 1 (defer) or 0 or -1 (not)");
  if (d[FACTS] != 0 && d[FACTS] != 1)
    return varia_throw_error(env, "native-kernels: denseBackwardAdam's facts must be 1 (keep W's facts) or 0 (not)");
  /* every operand: offset and element count; the written ones (W to dx) must meet no other */
  const double regions[11][2] = {{d[DY], batch * units},  {d[Y], batch * units},  {d[X], batch * in_dim},
                                 {d[W], in_dim * units},  {d[BIAS], units},        {d[WM], in_dim * units},
                                 {d[WV], in_dim * units}, {d[BM], units},          {d[BV], units},
                                 {d[DX], with_dx ? batch * in_dim : 0},
                                 {d[DX_ADD], with_add ? batch * in_dim : 0}};
  for (int r = 0; r < 11; r++)
    if ((r < 9 || (r == 9 && with_dx) || (r == 10 && with_add)) && !varia_in_bounds(regions[r][0], regions[r][1], length))
      return varia_throw_error(env, "native-kernels: denseBackwardAdam operand outside the heap");
  for (int r = 3; r < 10; r++)
    for (int o = 0; o < 11; o++)
      if (o != r && meet(regions[r][0], regions[r][1], regions[o][0], regions[o][1]))
        return varia_throw_error(env, "native-kernels: denseBackwardAdam writes a region that another operand uses");
  char *base = (char *)data;
  {
    /* this thread's deferred job, if it is pending, is joined first when it touches any operand */
    varia_region_t touched[11];
    for (int r = 0; r < 11; r++)
      touched[r] = (varia_region_t){.start = base + (int64_t)regions[r][0], .bytes = (size_t)(4 * regions[r][1]),
                                    .written = r >= 3 && r < 10};
    varia_parallel_join_conflicts(touched, 11);
    /* what the in-step Adam knew of the data written here is no longer true (W's new facts come below) */
    for (int r = 3; r < 10; r++) varia_weight_facts_forget(touched[r].start, touched[r].bytes);
  }
  const int64_t B = (int64_t)batch, I = (int64_t)in_dim, U = (int64_t)units;
  /* row blocks of the product where they give the whole product's bits; else the whole product, then Adam in blocks */
  const int small = I * U < DENSE_ADAM_MIN_SPLIT;
  const int64_t whole_units = I / 16, threads = small ? 1 : varia_parallel();
  int64_t blocks = small ? 1 : (I + DENSE_ADAM_BLOCK_ROWS / 2) / DENSE_ADAM_BLOCK_ROWS;
  blocks = (blocks + threads - 1) / threads * threads;
  if (blocks > whole_units) blocks = whole_units;
  if (blocks < 1) blocks = 1;
  /* the largest block: ⌈whole / blocks⌉ units and the rows past the last whole unit */
  const int64_t rows = 16 * ((whole_units + blocks - 1) / blocks) + I % 16;
  /* the block sizes: ⌊whole / blocks⌋ (and ⌈whole / blocks⌉) units, and the last block's rows */
  int64_t sizes[3], sized = 0;
  if (blocks > 1) sizes[sized++] = 16 * (whole_units / blocks);
  if (blocks > 1 && whole_units % blocks) sizes[sized++] = 16 * (whole_units / blocks + 1);
  sizes[sized++] = I - 16 * ((blocks - 1) * whole_units / blocks);
  const varia_gemm_shape_t dw_shape = {.ta = 1, .tb = 0, .M = I, .N = U, .K = B, .lda = I, .ldb = U, .ldc = U};
  const int blockwise = B > 0 && varia_sgemm_row_blocks_exact(&dw_shape, sizes, sized);
  /* deferred (see above): dx first, then the blocks as a deferred job */
  const int defer = d[DEFER] == 1 && blockwise && threads > 1 && !defer_switched_off() && heap_fixed(data) &&
                    varia_parallel_defer_advised();
  /* dx beside the blocks (a task of the same job) on more than one thread; else first */
  const int dx_task = !defer && blockwise && with_dx && threads > 1 && DENSE_ADAM_DX_TASK;
  const size_t delta_floats = act == 0 ? 0 : lines(B * U), db_floats = lines(U);
  const size_t slot_floats = lines(rows * U);
  const size_t g_floats = blockwise ? (size_t)threads * slot_floats : lines(I * U);
  const size_t held_floats = dx_task ? lines(I * U) + lines(blocks / 4 + 1) : 0;
  /* the calling thread's scratch: each JS thread (a worker's too) has its own (one buffer for the process let two
   * threads' calls overwrite, or free, each other's δ and dW); helpers use it only inside the call */
  if (varia_sparse_scratch_attach(env) != 0)
    return varia_throw_error(env, "native-kernels: denseBackwardAdam could not register its scratch memory's release");
  /* a deferred job has a scratch of its own for its fields, δ and its gradient slots (this thread's next call reuses
   * the other); its previous job, which may still use that scratch, is joined first */
  if (defer) {
    varia_parallel_join();
    if (deferred_job && atomic_load(&deferred_job->failed)) deferred_failed = 1;
    deferred_job = NULL;
  }
  float *own = defer ? (float *)varia_sparse_scratch(VARIA_SCRATCH_DEFERRED,
                                                     (JOB_FLOATS + delta_floats + g_floats) * sizeof(float))
                     : NULL;
  float *buffer = (float *)varia_sparse_scratch(
      VARIA_SCRATCH_DELTA, (defer ? db_floats : delta_floats + db_floats + g_floats + held_floats) * sizeof(float));
  if (!buffer || (defer && !own))
    return varia_throw_error(env, "native-kernels: denseBackwardAdam could not allocate its scratch buffer");
#define AT(k) ((float *)(base + (int64_t)d[k]))
  const float *dy = AT(DY), *x = AT(X);
  float *delta_buffer = defer ? own + JOB_FLOATS : buffer;
  float *w = AT(W), *bias = AT(BIAS), *db = defer ? buffer : buffer + delta_floats;
  float *g = defer ? delta_buffer + delta_floats : db + db_floats;
  /* δ = dy ⊙ f′(y); a linear layer's δ is dy (no written region meets it) */
  const float *delta = dy;
  if (act != 0) {
    varia_activation_delta(dy, AT(Y), delta_buffer, B * U, (int)act);
    delta = delta_buffer;
  }
  dense_adam_job_t local = {.in_dim = I, .units = U, .batch = B, .whole_units = whole_units, .blocks = blocks,
                        .slot_floats = (int64_t)slot_floats, .x = x, .delta = delta,
                        .w = w, .m = AT(WM), .v = AT(WV), .whole = blockwise ? NULL : g, .slots = g,
                        .lr = (float)d[LR], .b1 = (float)d[B1], .b2 = (float)d[B2], .eps = (float)d[EPS],
                        .b1pow = (float)d[B1POW], .b2pow = (float)d[B2POW]};
  local.threads = (int)threads;
  for (int s = 0; s < MAX_THREADS; s++) atomic_init(&local.taken[s], 0);
  atomic_init(&local.failed, 0);
  atomic_init(&local.dx_done, 0);
  /* W's facts as its blocks are written: an entry that a pending deferred job of this thread (its regions met none of
   * these) may still be writing is left to it */
  if (d[FACTS] == 1 && varia_weight_facts_on())
    local.facts = varia_weight_facts_open(w, I * U, varia_parallel_pending() ? deferred_facts : NULL);
  napi_value ticket = NULL;
  if (local.facts && napi_create_double(env, local.facts->ticket, &ticket) != napi_ok) ticket = NULL;
  dense_adam_job_t *j = &local;
  if (defer) j = memcpy(own, &local, sizeof local);
  if (dx_task) {
    j->dx = AT(DX);
    j->dx_add = with_add ? AT(DX_ADD) : NULL;
    j->held = g + g_floats;
    j->deferred = (unsigned char *)(j->held + lines(I * U));
    memset(j->deferred, 0, (size_t)blocks);
  }
  if (B == 0) {
    /* no rows: dW and db are 0 (and dx is empty) */
    memset(g, 0, (size_t)(I * U) * sizeof(float));
    memset(db, 0, (size_t)U * sizeof(float));
  } else {
    /* dx = δ·Wᵀ before any row of W is written (row blocks: first, whole; else beside dW = xᵀ·δ, as denseBackward) */
    const varia_gemm_t products[2] = {
        {.ta = 0, .tb = 1, .M = B, .N = I, .K = U, .a = delta, .lda = U, .b = w, .ldb = U, .beta = 0.f, .c = with_dx ? AT(DX) : NULL, .ldc = I},
        {.ta = 1, .tb = 0, .M = I, .N = U, .K = B, .a = x, .lda = I, .b = delta, .ldb = U, .beta = 0.f, .c = g, .ldc = U},
    };
    const varia_gemm_t *first = with_dx && !dx_task ? products : products + 1;
    if (varia_sgemm_together(first, (with_dx && !dx_task ? 1 : 0) + (blockwise ? 0 : 1)) != 0)
      return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
    if (with_add && !dx_task) varia_add_into(AT(DX_ADD), AT(DX), B * I);
    varia_sum_shared(delta, db, 1, B, U);
  }
  if (defer) {
    /* b's step now (it is no region of the job), then the blocks as a deferred job naming all it reads and writes */
    ADAM_FLUSH_BEGIN;
    varia_adam_inplace(bias, db, AT(BM), AT(BV), U, j->lr, j->b1, j->b2, j->eps, j->b1pow, j->b2pow);
    ADAM_FLUSH_END;
    const size_t kernel_bytes = (size_t)(I * U) * sizeof(float);
    const varia_region_t job_regions[5] = {{.start = x, .bytes = (size_t)(B * I) * sizeof(float)},
                                           {.start = delta == dy ? dy : NULL, .bytes = delta == dy ? (size_t)(B * U) * sizeof(float) : 0},
                                           {.start = w, .bytes = kernel_bytes, .written = 1},
                                           {.start = j->m, .bytes = kernel_bytes, .written = 1},
                                           {.start = j->v, .bytes = kernel_bytes, .written = 1}};
    deferred_job = j;
    deferred_facts = j->facts;
    varia_parallel_post(dense_adam_tasks, j, blocks, 1, job_regions, 5);
    return ticket;
  }
  varia_parallel_for(dense_adam_tasks, j, blocks + (dx_task ? 1 : 0), 1);
  if (dx_task) varia_parallel_for(dense_adam_deferred, j, blocks, 1);
  if (atomic_load(&j->failed)) return varia_throw_error(env, "native-kernels: dnnl_sgemm failed");
  ADAM_FLUSH_BEGIN;
  varia_adam_inplace(bias, db, AT(BM), AT(BV), U, j->lr, j->b1, j->b2, j->eps, j->b1pow, j->b2pow);
  ADAM_FLUSH_END;
#undef AT
  return ticket;
}

/*
 * joinDeferred(): joins the calling thread's deferred denseBackwardAdam job (see above), if one is pending, and throws
 * when a deferred job's product failed since the last joinDeferred (W's step is then incomplete).
 */
/* deferredPending() -> whether the calling thread has a deferred job it has not joined (its work may be done or not). */
napi_value varia_napi_deferred_pending(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_get_boolean(env, varia_parallel_pending(), &result) != napi_ok) return NULL;
  return result;
}

napi_value varia_napi_join_deferred(napi_env env, napi_callback_info info) {
  (void)info;
  varia_parallel_join();
  const int failed = deferred_failed || (deferred_job && atomic_load(&deferred_job->failed));
  deferred_failed = 0;
  deferred_job = NULL;
  if (failed) return varia_throw_error(env, "native-kernels: dnnl_sgemm failed in a deferred denseBackwardAdam");
  return NULL;
}
