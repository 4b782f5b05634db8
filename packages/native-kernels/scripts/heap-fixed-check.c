/*
 * A hand-run check of dense_adam.c's heap_fixed (whether a heap's next 4 GiB are mapped or reserved, from
 * /proc/self/maps) on crafted maps: this file includes dense_adam.c and hands heap_fixed a maps text of its own
 * (fopen of /proc/self/maps is replaced), so no process needs such mappings. The case that matters: a mapped file
 * whose path makes its line longer than the 512-byte line buffer, the rest of the line reading "0-ffffffffffff…", in
 * front of a heap that is NOT reserved ahead — read as a line of its own, that rest is a range covering every address.
 *
 *   N=packages/native-kernels/native
 *   gcc -O1 -g -std=gnu11 -fno-math-errno -I$N -I/usr/include/node $N/../scripts/heap-fixed-check.c \
 *     $(find $N -name '*.c' ! -name dense_adam.c ! -name varia_native.c) -lm -lpthread -ldl -o hfc && ./hfc
 *
 * prints "ok" (2026-12-02; before the fix heap_fixed read the crafted line's rest as a range and said the unreserved
 * heap was fixed: "wrong: long path").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

static const char *maps_text;
FILE *fopen(const char *path, const char *mode) {
  (void)path, (void)mode;
  return fmemopen((void *)maps_text, strlen(maps_text), "r");
}

#include "../native/dense_adam.c"

/* The N-API functions the addon's files call (none is called here): each an alias of one stub. */
napi_status napi_stub(void) { return napi_generic_failure; }
#define STUB(name) __asm__(".globl " #name "\n.set " #name ", napi_stub");
STUB(napi_add_env_cleanup_hook)
STUB(napi_create_double)
STUB(napi_create_error)
STUB(napi_create_int32)
STUB(napi_create_int64)
STUB(napi_create_object)
STUB(napi_create_string_utf8)
STUB(napi_get_arraybuffer_info)
STUB(napi_get_boolean)
STUB(napi_get_cb_info)
STUB(napi_get_typedarray_info)
STUB(napi_get_value_bool)
STUB(napi_get_value_double)
STUB(napi_get_value_int32)
STUB(napi_get_value_string_utf8)
STUB(napi_is_arraybuffer)
STUB(napi_is_typedarray)
STUB(napi_set_named_property)
STUB(napi_throw)
STUB(napi_throw_error)

static char text[8192];
static int check(const char *what, const void *base, int want) {
  maps_text = text;
  const int got = heap_fixed(base);
  if (got != want) printf("wrong: %s (%d)\n", what, got);
  return got != want;
}

int main(void) {
  int bad = 0;
  /* the heap 0x7f0000000000 … +64 MiB, and nothing reserved after it; a library below it with a 600-character path */
  char path[700];
  int n = snprintf(path, sizeof path, "/tmp/");
  while (n < 438) n += snprintf(path + n, sizeof path - (size_t)n, "%.*s/", 438 - n - 1 > 200 ? 200 : 438 - n - 1,
                                "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                                "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                                "dddddddddddddddddddddddddddddddddddddddddddd");
  snprintf(path + n, sizeof path - (size_t)n, "0-ffffffffffff.node");
  snprintf(text, sizeof text,
           "7e0000000000-7e0000010000 r--p 00000000 fe:00 2319979                    %s\n"
           "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
           "7f0100000000-7f0100001000 r--p 00000000 fe:00 12                         /usr/lib/x.so\n",
           path);
  bad += check("long path", (const void *)0x7f0000000000, 0);
  /* the same heap reserved 8 GiB ahead (as V8 does): fixed, long path or not */
  snprintf(text, sizeof text,
           "7e0000000000-7e0000010000 r--p 00000000 fe:00 2319979                    %s\n"
           "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
           "7f0004000000-7f0200000000 ---p 00000000 00:00 0 \n",
           path);
  bad += check("reserved", (const void *)0x7f0000001000, 1);
  puts(bad ? "failed" : "ok");
  return bad != 0;
}
