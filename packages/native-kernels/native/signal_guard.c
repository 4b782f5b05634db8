/* See signal_guard.h. The scope's state is the calling thread's. */
#include "signal_guard.h"

#include <pthread.h>

static _Thread_local int depth = 0;   /* open scopes on this thread */
static _Thread_local int blocked = 0; /* 1: a hold inside the scopes blocked the signals; scope_old is to restore */
static _Thread_local sigset_t scope_old;
static _Thread_local int always = 0;  /* 1: this thread blocked every signal for good (a helper) */

void varia_signals_block_for_good(void) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  always = 1;
}

void varia_signals_hold(varia_signal_hold_t *hold) {
  sigset_t all;
  sigfillset(&all);
  if (always || depth > 0) {
    hold->restore = 0;
    if (!always && !blocked) {
      pthread_sigmask(SIG_BLOCK, &all, &scope_old);
      blocked = 1;
    }
    return;
  }
  pthread_sigmask(SIG_BLOCK, &all, &hold->old);
  hold->restore = 1;
}

void varia_signals_restore(const varia_signal_hold_t *hold) {
  if (hold->restore) pthread_sigmask(SIG_SETMASK, &hold->old, NULL);
}

void varia_signals_scope_begin(void) { depth++; }

void varia_signals_scope_end(void) {
  if (depth > 0 && --depth == 0 && blocked) {
    blocked = 0;
    pthread_sigmask(SIG_SETMASK, &scope_old, NULL);
  }
}
