/*
 * Pieces the hand-run C harnesses share (scripts/): a seeded xorshift64 generator and regions that end (or start)
 * at a PROT_NONE page, so that a read or write past a region faults. Static functions: include it in one harness.
 * (zero-skip-fuzz.c, sparse-rows-fuzz.c, zero-skip-check.c and sgemm-order-check.c use it; the older harnesses still
 * carry their own copy of the generator.)
 */
#ifndef VARIA_HARNESS_H
#define VARIA_HARNESS_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t state = 88172645463325252ull;
/* The next 64 random bits (xorshift64). */
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
/* Uniform in [0, 1) with 53 random bits. */
static double uniform(void) { return (double)(next() >> 11) / 9007199254740992.0; }
/* Uniform in 0 … n − 1. */
static int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }
/* Another sequence for seed s (s = 0: the default one). */
static void reseed(uint64_t s) { state ^= s * 0x9E3779B97F4A7C15ull; }

/* A mapping of whole pages, one of them PROT_NONE (to unmap with guard_unmap). */
typedef struct {
  void *map;
  size_t len;
} guard_t;

/* `bytes` against a guard page: after = 1, ending `slack` bytes before the guard that follows, its start then rounded
 * down to `align` (a power of two); after = 0, starting `slack` bytes past the guard before it. */
static void *guarded(guard_t *m, size_t bytes, int after, size_t slack, size_t align) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = (bytes + slack + align + page - 1) / page + 1;
  m->len = (pages + 1) * page;
  char *p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    abort();
  }
  m->map = p;
  if (after) {
    mprotect(p + pages * page, page, PROT_NONE);
    return (void *)(((uintptr_t)(p + pages * page) - slack - bytes) & ~(uintptr_t)(align - 1));
  }
  mprotect(p, page, PROT_NONE);
  return p + page + slack;
}

static void guard_unmap(guard_t *m) {
  if (m->map) munmap(m->map, m->len);
  m->map = NULL;
}

#endif
