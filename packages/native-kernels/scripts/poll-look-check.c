/*
 * A hand-run ThreadSanitizer check of parallel.c's timed looks: two helpers that finish a job together both take their
 * first look at /proc/loadavg (poll_once -> machine_oversubscribed) at once. pread is replaced here by a quiet
 * machine's line (1 running thread), so the helpers poll whatever the load of the machine running the check.
 *
 *   N=packages/native-kernels/native
 *   gcc -O1 -g -fsanitize=thread -std=gnu11 -I$N $N/../scripts/poll-look-check.c $N/parallel.c -lpthread -o plc && \
 *     for i in $(seq 30); do ./plc; done
 *
 * prints "ok" 30 times (2026-12-02: no ThreadSanitizer report; with the file opened by a plain "first caller"
 * static, as in 835f249, ThreadSanitizer reported a race on it in 6 of 10 runs).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "parallel.h"

static atomic_int total;
static void work(void *c, int64_t s, int64_t e) {
  (void)c;
  for (int64_t i = s; i < e; i++) atomic_fetch_add(&total, (int)i);
  usleep(200);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  (void)fd, (void)off;
  const char *line = "0.10 0.10 0.10 1/300 4242\n";
  const size_t l = strlen(line) < n ? strlen(line) : n;
  memcpy(buf, line, l);
  return (ssize_t)l;
}

int main(void) {
  varia_set_parallel(3, NULL);
  for (int k = 0; k < 5; k++) {
    varia_parallel_for(work, NULL, 12, 1);
    usleep(100);
  }
  varia_set_parallel(1, NULL);
  if (atomic_load(&total) != 5 * 66) {
    puts("wrong total");
    return 1;
  }
  puts("ok");
  return 0;
}
