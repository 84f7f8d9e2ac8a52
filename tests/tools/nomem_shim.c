/*
 * nomem_shim.c - memory that runs out on demand, for the tools' tests.
 *
 * Preloaded (LD_PRELOAD) into a `weft` command, it makes every malloc,
 * calloc and realloc of WEFT_TEST_NOMEM_MIN bytes or more fail with ENOMEM,
 * whoever asks: the reader's tables, the model, and HDF5's own buffers
 * while it reads (its type conversion and chunk buffers), which is how a
 * job's log read on a small login node runs out.  Smaller requests, and
 * every request when the variable is unset or 0, go to glibc's allocator.
 * tests/tools/nomem.sh runs the commands under a range of such limits: at
 * every one they must either succeed or say that memory ran out and exit
 * 1, never take the log for a damaged one (exit 2) or crash.
 *
 * glibc's __libc_* entry points are called directly: dlsym, the usual way
 * to find the next definition, may itself allocate.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

/* The limit, read once (getenv does not allocate); 0: none. */
static size_t limit(void) {
  static size_t min = (size_t)-1;
  if (min == (size_t)-1) {
    const char *v = getenv("WEFT_TEST_NOMEM_MIN");
    min = v ? strtoull(v, NULL, 10) : 0;
  }
  return min;
}

static int refused(size_t n) {
  size_t min = limit();
  if (min && n >= min) {
    errno = ENOMEM;
    return 1;
  }
  return 0;
}

void *malloc(size_t n) { return refused(n) ? NULL : __libc_malloc(n); }

void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total))
    total = (size_t)-1;
  return refused(total) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
  return refused(n) ? NULL : __libc_realloc(p, n);
}
