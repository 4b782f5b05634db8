/*
 * See gemm_split.h. Measured on this project's 2-vCPU virtual machine (oneDNN 2.6.3, one thread per core, the MNIST
 * step's products of 40 M multiply-adds, ~480 µs whole on one thread):
 * - A helper asleep between products: the caller's wake-up call itself takes 15–45 µs (a halted virtual CPU is woken
 *   through the host), and the helper claims its first block 20–30 µs after the caller has started. Two equal halves
 *   therefore end about that much after the caller's; a first block larger by half of that work ends both together.
 * - In C (2 threads, products 150 µs apart, 3 runs of 15 rounds, quiet): a 208 | 192 column cut of 128×784·784×400
 *   288–300 µs against 302–316 in row halves; of δ·Wᵀ (NT, 128×400 from 784) 313–325 against 345–368 (row halves
 *   cost 9 % more CPU in all: each packs all of W); of xᵀ·δ (784×400 from 128 rows) 304–320 against 318–321.
 * - In the fused MNIST step with parallel: 2 (profile-step, 6 interleaved runs each, load ~2): the forward products
 *   1.00–1.20 ms per step (median 1.07) against 1.11–1.21 (1.19) with row halves; VariaDenseBackwardAdam (its δ·Wᵀ)
 *   1.66–2.03 (1.77) against 1.73–1.90 (1.84); the step 3.61–4.38 ms (3.89) against 3.84–4.20 (4.11). With a busy
 *   loop on the other core (fused-ab --busy-core, 7 runs each): two threads 0.94–1.13× one (old cuts 0.93–1.05×).
 * - AMD EPYC Zen 5 2-vCPU machine (2026-12-02, scripts/split-timing.c, the plan with head start 0: 208 | 160 | 32
 *   columns of 128×784·784×400): 1.30–1.58× (p50 365–434 µs whole, 275–282 split; same bits) with the other CPU free,
 *   none with it busy. oneDNN runs the whole product at about the FMA peak there (~110 G multiply-adds/s against
 *   ~100 G/s of a register-only FMA loop), although W (1.25 MiB) does not fit its 1 MiB L2: no block size to retune.
 *   Tried there and not kept: rows instead of columns for products that zero_skip.c takes (MNIST's first layer,
 *   scripts/zero-skip-split.c): 0.91–1.24× the column plan in 9 runs (median ~1.0×), neither split dependably faster
 *   than the whole product on one thread. In the fused MNIST step (2026-12-02, per-call wall time in the addon, ~200
 *   calls each) the column plan took 300 µs for the encoder's product against 225 µs whole on one thread: blas.c now
 *   runs the products zero_skip.c takes whole (the two-thread step 1.06× faster, median of 8 pairs).
 */
#include "gemm_split.h"

/*
 * oneDNN 2.6.3's nocopy_checker_avx512 (src/cpu/x64/gemm/gemm_driver.cpp) with one thread, on its column-major
 * arguments: 1 picks the no-copy driver, 0 the copy driver.
 */
static int onednn_nocopy(int transa, int transb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                         int64_t ldc) {
  const int nn = !transa && !transb, nt = !transa && transb, tn = transa && !transb;
  const int lda_bad = lda % 256 == 0, ldb_bad = ldb % 256 == 0, ldc_bad = ldc % 256 == 0;
  const int lda_very_bad = lda % 1024 == 0;
  if (tn && m > 100 && ((m < 1200 && n < 200 && k < 1200) || (lda_bad && ldb_bad))) return 0;
  if (nn && lda_very_bad && k > 500 && n > 100) return 0;
  if (1.0 / (double)m + 1.0 / (double)n >= 0.00196 && !(lda_very_bad && nt)) return 1;
  if ((lda_bad || ldb_bad || ldc_bad) && m >= 32 && (n > 16 || (n == 16 && (k >= 6400 || transa || m == 4096))))
    return 0;
  if (m <= 378 && n <= 378 && k >= 378) return 0;
  if (m >= 378 && k >= 378) return 0;
  if (!transb) return m <= 28 || n <= 28 || k <= 1;
  return (m <= 28 && m >= n) || n <= 28 || k <= 1;
}

/* The driver oneDNN takes for a row-major M × N block of s (its column-major m, n are N, M). */
static int nocopy_of(const varia_gemm_shape_t *s, int64_t M, int64_t N) {
  return onednn_nocopy(s->tb, s->ta, N, M, s->K, s->ldb, s->lda, s->ldc);
}

int varia_onednn_nocopy(const varia_gemm_shape_t *s) { return nocopy_of(s, s->M, s->N); }

/* Whether a row-major M × N product of s's kind is one FMA chain per K block (not a vector or small-n kernel). */
static int chained(const varia_gemm_shape_t *s, int64_t M, int64_t N) {
  return M >= 2 && N >= 2 && !(s->tb && !s->ta && M < 16);
}

int varia_onednn_block_exact(const varia_gemm_shape_t *s, int axis, int64_t size) {
  const int64_t M = axis == 0 ? size : s->M, N = axis == 0 ? s->N : size;
  if (size < 1 || !chained(s, s->M, s->N) || !chained(s, M, N)) return 0;
  /* K ≤ 768: both drivers block K alike (≤ 384: one block; < 768: two halves; 768: 384 + 384) */
  return s->K <= 768 || nocopy_of(s, M, N) == nocopy_of(s, s->M, s->N);
}

/* Splits `total` (rows or columns) in 16s: the caller's first block about (total + extra) / 2, the rest in two. */
static int plan_axis(const varia_gemm_shape_t *s, int axis, int64_t total, double extra, varia_gemm_split_t *p) {
  const int64_t units = total / 16;
  if (units < 2) return 0;
  int64_t lead = (int64_t)((double)total / 2 + extra / 2 + 8) / 16;
  if (lead < (units + 1) / 2) lead = (units + 1) / 2;
  if (lead > units - 1) lead = units - 1;
  /* the helper's block, and a last block of about a fifth of the rest when the rest has 5 units or more (when the
   * blocks keep the bits; else the rest in one block) */
  const int64_t rest = units - lead;
  for (int64_t last = rest >= 5 ? rest / 5 : 0;; last = 0) {
    int64_t cuts[VARIA_SPLIT_MAX + 1];
    int count = 0, exact = 1;
    cuts[count++] = 0;
    cuts[count++] = 16 * lead;
    if (last > 0) cuts[count++] = 16 * (units - last);
    cuts[count] = total; /* the total mod 16 rows or columns join the last block */
    for (int b = 0; b < count; b++) exact = exact && varia_onednn_block_exact(s, axis, cuts[b + 1] - cuts[b]);
    if (exact) {
      p->axis = axis;
      p->count = count;
      for (int b = 0; b <= count; b++) p->bound[b] = cuts[b];
      return count;
    }
    if (last == 0) return 0;
  }
}

int varia_gemm_plan_two(const varia_gemm_shape_t *s, double head_start, varia_gemm_split_t *plan) {
  /* the head start in rows or columns: the multiply-adds per row are N·K, per column M·K */
  const double macs_per_row = (double)s->N * (double)s->K, macs_per_column = (double)s->M * (double)s->K;
  const int columns_first = s->N > s->M;
  for (int pass = 0; pass < 2; pass++) {
    const int axis = (pass == 0) == columns_first ? 1 : 0;
    const int64_t total = axis ? s->N : s->M;
    const double extra = head_start / (axis ? macs_per_column : macs_per_row);
    if (plan_axis(s, axis, total, extra, plan) > 0) return plan->count;
  }
  return 0;
}
