/*
 * What the machine charges for the things parallel.c and the kernels do around their arithmetic: a cache line's round
 * trip between the two CPUs (spinning threads), a futex wake-up of a sleeping thread (the caller's system call, and how
 * long until the woken thread runs), a minor page fault, munmap of 4 MiB, and a plain system call; and what sharing
 * data between the CPUs costs: reading 1.25 MB the other CPU wrote, writing 1.25 MB the other CPU has read, and two
 * threads updating parts of the same rows of four 400 × 784 arrays (columns 0–383 and 384–783) against halves of their
 * rows, each against the same pass with nothing shared.
 *
 *   gcc -O3 -mavx512f -std=gnu11 scripts/vm-costs.c -lpthread -o /tmp/vm-costs && /tmp/vm-costs
 *
 * Measured 2026-12-02 on the AMD EPYC Zen 5 2-vCPU machine (a PVM guest, kernel 6.18; 2 runs, load 1–2 from other
 * work): round trip 490–519 ns (~250 ns one way); the wake-up call 29–37 µs in the caller, the woken thread running
 * p10 60–65, p50 78–87, p90 105–116 µs after the call began; a minor page fault 14–20 µs; munmap of 4 MiB 300–900 µs;
 * getppid 1.1–1.4 µs.
 * 2026-12-03, the same machine, quiet (load ~0.1, 2 runs): reading 1.25 MB the other CPU wrote 37 µs against 9–12 µs
 * once read; writing 1.25 MB the other CPU has read 168–173 µs against 11–14 µs; two threads updating their columns of
 * the same rows 345–422 µs a pass against 31–47 µs for one thread alone, their halves of the rows 30–33 µs
 * (bench/README.md, session 15). One run at 04:15 measured far less (reads 11–13 against 9 µs, the interleaved
 * updates 38 against 31 µs), runs before and after it the figures above: presumably where the host placed the vCPUs.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}
static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}
static int by_value(const void *x, const void *y) {
  const double d = *(const double *)x - *(const double *)y;
  return d < 0 ? -1 : d > 0;
}

#define TRIPS 200000
#define WAKES 2000
static _Alignas(64) atomic_int flag;
static _Alignas(64) atomic_uint word;
static _Alignas(64) atomic_llong woke_at;

static void *pong(void *arg) {
  (void)arg;
  pin(1);
  for (int i = 0; i < TRIPS; i++) {
    while (atomic_load(&flag) != 2 * i + 1) {
    }
    atomic_store(&flag, 2 * i + 2);
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  pin(1);
  unsigned seen = 0;
  for (int i = 0; i < WAKES; i++) {
    while (atomic_load(&word) == seen) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    seen = atomic_load(&word);
    atomic_store(&woke_at, (long long)now_ns());
  }
  return NULL;
}

/* Sharing data: SHARED_BYTES written or read by CPU 1 (`other`, one job per round), then timed on CPU 0; and ROWS ×
 * COLS arrays whose rows two threads update in parts. */
#define SHARED_BYTES (1250000 / 64 * 64)
#define ROWS 400
#define COLS 784
#define SPLIT 384 /* a 64-byte boundary in every row (rows of 3,136 bytes) */
#define ROUNDS 40
static float *shared, *arrays[4];
static _Alignas(64) atomic_int job_round, job_done;
static int job_kind; /* 0: CPU 1 writes `shared`; 1: it reads it */
static volatile float sink;

/* one float of each 64-byte line of `shared`, four chains: what it takes to bring the lines in */
static float read_lines(void) {
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i < SHARED_BYTES / 4; i += 64)
    a0 += shared[i], a1 += shared[i + 16], a2 += shared[i + 32], a3 += shared[i + 48];
  return a0 + a1 + a2 + a3;
}

static void *other(void *arg) {
  (void)arg;
  pin(1);
  for (int r = 1; r <= ROUNDS * 2; r++) {
    while (atomic_load(&job_round) != r) {
    }
    if (job_kind == 0)
      for (size_t i = 0; i < SHARED_BYTES / 4; i++) shared[i] = (float)r;
    else
      sink = read_lines();
    atomic_store(&job_done, r);
  }
  return NULL;
}

/* columns [c0, c1) of rows [r0, r1) of the four arrays, multiplied in place, `passes` times */
typedef struct {
  int r0, r1, c0, c1, passes, cpu;
  double us;
} update_t;
static void *update(void *arg) {
  update_t *u = arg;
  pin(u->cpu);
  const double a = now_ns();
  for (int p = 0; p < u->passes; p++)
    for (int k = 0; k < 4; k++)
      for (int r = u->r0; r < u->r1; r++)
        for (int c = u->c0; c < u->c1; c++) arrays[k][r * COLS + c] *= 1.0000001f;
  u->us = (now_ns() - a) / 1e3 / u->passes;
  return NULL;
}

static void sharing(void) {
  shared = aligned_alloc(64, SHARED_BYTES);
  for (size_t i = 0; i < SHARED_BYTES / 4; i++) shared[i] = 0;
  pthread_t t;
  pthread_create(&t, NULL, other, NULL);
  double read_other[ROUNDS], read_own[ROUNDS], write_read[ROUNDS], write_own[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    /* CPU 1 writes; CPU 0 reads (its copy comes from CPU 1), then reads again (its own copy) */
    job_kind = 0;
    atomic_store(&job_round, 2 * r + 1);
    while (atomic_load(&job_done) != 2 * r + 1) {
    }
    double a = now_ns();
    float acc = read_lines();
    double b = now_ns();
    acc += read_lines();
    double c = now_ns();
    read_other[r] = (b - a) / 1e3, read_own[r] = (c - b) / 1e3;
    /* CPU 1 reads what CPU 0 holds; CPU 0 writes it (every line first taken back from CPU 1), then writes again */
    job_kind = 1;
    atomic_store(&job_round, 2 * r + 2);
    while (atomic_load(&job_done) != 2 * r + 2) {
    }
    a = now_ns();
    for (size_t i = 0; i < SHARED_BYTES / 4; i++) shared[i] = 0.5f;
    b = now_ns();
    for (size_t i = 0; i < SHARED_BYTES / 4; i++) shared[i] = 0.25f;
    c = now_ns();
    write_read[r] = (b - a) / 1e3, write_own[r] = (c - b) / 1e3;
    sink = acc;
  }
  pthread_join(t, NULL);
  qsort(read_other, ROUNDS, sizeof(double), by_value), qsort(read_own, ROUNDS, sizeof(double), by_value);
  qsort(write_read, ROUNDS, sizeof(double), by_value), qsort(write_own, ROUNDS, sizeof(double), by_value);
  printf("1.25 MB (p50): reading what the other CPU wrote %.0f µs, again %.0f µs; writing what the other CPU read %.0f "
         "µs, again %.0f µs\n",
         read_other[ROUNDS / 2], read_own[ROUNDS / 2], write_read[ROUNDS / 2], write_own[ROUNDS / 2]);

  for (int k = 0; k < 4; k++) {
    arrays[k] = aligned_alloc(64, (size_t)ROWS * COLS * sizeof(float));
    for (int i = 0; i < ROWS * COLS; i++) arrays[k][i] = 1.f;
  }
  const int passes = 200;
  update_t alone = {0, ROWS, 0, SPLIT, passes, 0, 0};
  update(&alone);
  update_t cols[2] = {{0, ROWS, 0, SPLIT, passes, 0, 0}, {0, ROWS, SPLIT, COLS, passes, 1, 0}};
  update_t rows[2] = {{0, ROWS / 2, 0, COLS, passes, 0, 0}, {ROWS / 2, ROWS, 0, COLS, passes, 1, 0}};
  for (int v = 0; v < 2; v++) {
    update_t *u = v == 0 ? cols : rows;
    pthread_t a, b;
    pthread_create(&a, NULL, update, &u[0]);
    pthread_create(&b, NULL, update, &u[1]);
    pthread_join(a, NULL), pthread_join(b, NULL);
  }
  printf("four 400 × 784 arrays, a pass: one thread, columns 0–383 alone %.0f µs; two threads on columns 0–383 | "
         "384–783 %.0f | %.0f µs; on rows 0–199 | 200–399 %.0f | %.0f µs\n",
         alone.us, cols[0].us, cols[1].us, rows[0].us, rows[1].us);
}

int main(void) {
  sharing();
  pin(0);
  pthread_t t;
  pthread_create(&t, NULL, pong, NULL);
  double t0 = now_ns();
  for (int i = 0; i < TRIPS; i++) {
    atomic_store(&flag, 2 * i + 1);
    while (atomic_load(&flag) != 2 * i + 2) {
    }
  }
  const double trip = (now_ns() - t0) / TRIPS;
  pthread_join(t, NULL);
  printf("cache line round trip between CPUs 0 and 1: %.0f ns\n", trip);

  static double running[WAKES];
  double call = 0;
  pthread_create(&t, NULL, sleeper, NULL);
  for (int i = 0; i < WAKES; i++) {
    usleep(500); /* the sleeper is asleep, its CPU idle */
    atomic_store(&woke_at, 0);
    const double a = now_ns();
    atomic_fetch_add(&word, 1);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    call += now_ns() - a;
    while (atomic_load(&woke_at) == 0) {
    }
    running[i] = (double)atomic_load(&woke_at) - a;
  }
  pthread_join(t, NULL);
  qsort(running, WAKES, sizeof(double), by_value);
  printf("futex wake-up: the call %.1f µs; the woken thread runs p10 %.1f, p50 %.1f, p90 %.1f µs after it began\n",
         call / WAKES / 1e3, running[WAKES / 10] / 1e3, running[WAKES / 2] / 1e3, running[9 * WAKES / 10] / 1e3);

  for (int r = 0; r < 3; r++) {
    const size_t bytes = (size_t)4 << 20;
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    const double a = now_ns();
    for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
    const double b = now_ns();
    munmap(p, bytes);
    const double c = now_ns();
    for (int i = 0; i < 1000; i++) syscall(SYS_getppid);
    const double d = now_ns();
    printf("minor page fault %.2f µs; munmap of 4 MiB %.0f µs; getppid %.2f µs\n", (b - a) / 1e3 / (double)(bytes / 4096),
           (c - b) / 1e3, (d - c) / 1e3 / 1000);
  }
  return 0;
}
