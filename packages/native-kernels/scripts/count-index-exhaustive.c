/*
 * Checks native/count_index.h on all 2³² float32 bit patterns (run by hand, not in CI; ~2 minutes per table size):
 *
 *   gcc -O3 -march=native -std=c11 -Inative scripts/count-index-exhaustive.c -lm -o /tmp/count-index && /tmp/count-index
 *
 * For each table size: varia_count_index's index is inside the table for every input, and its hit is exactly
 * "an integer v with 0 ≤ v < min(size, 2²³)" (−0 included), with index v then; and where the CPU has AVX-512,
 * varia_count_gather16 gives the same hits and looks up the same entries (a table holding its own indices).
 * Prints one line per size with the number of inputs that break any of these (0 expected).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "count_index.h"

int main(void) {
  const int32_t sizes[] = {1, 1024, 8388608, 16777216};
  float *identity = malloc(sizeof(float) * 16777216);
  if (!identity) return 1;
  for (int32_t k = 0; k < 16777216; k++) identity[k] = (float)k;
  int failed = 0;
  for (int s = 0; s < 4; s++) {
    const int32_t size = sizes[s];
    const float limit = varia_count_limit(size);
    unsigned long long bad = 0, hits = 0;
    for (uint64_t b = 0; b < (1ull << 32); b += 16) {
      float v[16];
      int32_t k[16], hit[16];
      for (int l = 0; l < 16; l++) {
        const uint32_t u = (uint32_t)(b + l);
        memcpy(&v[l], &u, 4);
        k[l] = varia_count_index(v[l], size, limit, &hit[l]);
        const int want = v[l] >= 0.f && v[l] < (float)size && v[l] < 8388608.f && v[l] == floorf(v[l]);
        if (k[l] < 0 || k[l] >= size || hit[l] != want || (hit[l] && (float)k[l] != v[l])) bad++;
        hits += hit[l];
      }
#if VARIA_COUNT_GATHER
      if (__builtin_cpu_supports("avx512f")) {
        __mmask16 mask;
        float got[16];
        _mm512_storeu_ps(got, varia_count_gather16(_mm512_loadu_ps(v), identity, size, limit, &mask));
        for (int l = 0; l < 16; l++)
          if (((mask >> l) & 1) != hit[l] || got[l] != (float)k[l]) bad++;
      }
#endif
    }
    printf("table size %d: %llu of 2^32 inputs wrong, %llu counts\n", size, bad, hits);
    failed |= bad != 0;
  }
  free(identity);
  return failed;
}
