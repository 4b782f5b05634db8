/*
 * Signals are held back while oneDNN's sgemm runs, and helper threads never take them.
 *
 * oneDNN 2.6's JIT sgemm keeps data on the stack below the stack pointer, past the 128-byte red zone the x86-64 ABI
 * reserves. When a signal handler runs on that thread in the middle of a product — the kernel writes the signal frame
 * (several KiB with the AVX-512 state) just below the stack pointer — that data is overwritten and the process aborts
 * in free() with a corrupted heap. Measured: Node's `--cpu-prof` (SIGPROF), a `process.on('SIGUSR2')` handler fed
 * signals, and a plain C program with an empty SIGALRM handler all crash within seconds; with the signals blocked
 * around dnnl_sgemm none does (20,000 products, ~30,000 signals). Signals that arrive meanwhile stay pending and are
 * delivered as soon as they are unblocked. Helper threads (setParallel) are started with every signal blocked, so a
 * signal sent to the process goes to the JS thread.
 *
 * Inside an export's call (varia_native.c wraps every export in a scope) the first hold blocks the signals and they
 * stay blocked until the call returns: a call that runs several products (denseBackwardAdam's blocks, ~6 a layer)
 * makes two rt_sigprocmask calls instead of two per product, and a call that runs none makes none. On the AMD EPYC
 * Zen 5 PVM guest a pair of them cost ~2–4 µs (perf: 1.6 % of the MNIST step was rt_sigprocmask and its kernel
 * entry, ~21,000 calls in 5 s of training; counted with strace over a 2-epoch run of 8,000 rows: 34 calls a step
 * before, 18 after). Helper threads block every signal once when they start. Elsewhere (C harnesses) each hold blocks
 * and each restore unblocks, as before.
 */
#ifndef VARIA_SIGNAL_GUARD_H
#define VARIA_SIGNAL_GUARD_H

#include <signal.h>

#include "math_kernels.h" /* VARIA_HIDDEN */

/* One hold: the mask to restore, when this hold blocked the signals itself. */
typedef struct {
  sigset_t old;
  int restore; /* 1: varia_signals_restore puts `old` back; 0: the enclosing scope does */
} varia_signal_hold_t;

/* Blocks every blockable signal on the calling thread (at once, or already, inside a scope). */
VARIA_HIDDEN void varia_signals_hold(varia_signal_hold_t *hold);

/* Ends a hold: outside a scope the previous mask is restored (pending signals are delivered now); inside one nothing
 * happens until the scope ends. */
VARIA_HIDDEN void varia_signals_restore(const varia_signal_hold_t *hold);

/* Blocks every blockable signal on the calling thread for the rest of its life: holds on it then cost nothing
 * (parallel.c's helpers, which run products for the JS thread; blas.c's setParallel also starts them blocked). */
VARIA_HIDDEN void varia_signals_block_for_good(void);

/* Scopes nest (an export's call); when the outermost one ends, a mask blocked inside it is restored. */
VARIA_HIDDEN void varia_signals_scope_begin(void);
VARIA_HIDDEN void varia_signals_scope_end(void);

#endif
