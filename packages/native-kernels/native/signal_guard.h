/*
 * Signals are held back while oneDNN's sgemm runs, and helper threads never take them.
 *
 * oneDNN 2.6's JIT sgemm keeps data on the stack below the stack pointer, past the 128-byte red zone the x86-64 ABI
 * reserves. When a signal handler runs on that thread in the middle of a product — the kernel writes the signal frame
 * (several KiB with the AVX-512 state) just below the stack pointer — that data is overwritten and the process aborts
 * in free() with a corrupted heap. Measured: Node's `--cpu-prof` (SIGPROF), a `process.on('SIGUSR2')` handler fed
 * signals, and a plain C program with an empty SIGALRM handler all crash within seconds; with the signals blocked
 * around dnnl_sgemm none does (20,000 products, ~30,000 signals). Signals that arrive meanwhile stay pending and are
 * delivered as soon as the product returns (rt_sigprocmask, twice per product: well under a microsecond). Helper
 * threads (setParallel) are started with every signal blocked, so a signal sent to the process goes to the JS thread.
 */
#ifndef VARIA_SIGNAL_GUARD_H
#define VARIA_SIGNAL_GUARD_H

#include <pthread.h>
#include <signal.h>

/* Blocks every blockable signal on the calling thread; *old receives the previous mask for varia_signals_restore. */
static inline void varia_signals_hold(sigset_t *old) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, old);
}

/* Restores the mask varia_signals_hold saved (pending signals are delivered now). */
static inline void varia_signals_restore(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

#endif
