/*
 * nomem_shim.c - memory that runs out on demand, for the tools' tests.
 *
 * Preloaded (LD_PRELOAD) into a `weft` command, it makes malloc, calloc
 * and realloc fail with ENOMEM:
 *
 *   WEFT_TEST_NOMEM_MIN=B  every request of B bytes or more, whoever asks:
 *                          the reader's tables, the model, and HDF5's own
 *                          buffers while it reads (its type conversion and
 *                          chunk buffers), which is how a job's log read on
 *                          a small login node runs out;
 *   WEFT_TEST_NOMEM_NTH=N  the N-th request made from the program itself
 *                          (the `weft` executable, not its libraries), of
 *                          any size: one after another, every allocation
 *                          of Weft's reader and model fails once;
 *   WEFT_TEST_NOMEM_FROM=S with NTH: count the requests made from the
 *                          libraries whose path contains S instead (S =
 *                          libhdf5: HDF5's own small allocations);
 *   WEFT_TEST_NOMEM_COUNT=1  at exit, print on stderr how many requests
 *                          the program made ("nomem_shim: N").
 *
 * Other requests, and all of them when neither is set, go to glibc's
 * allocator.  tests/tools/nomem.sh runs the commands under such limits: at
 * every one they must either succeed or say that memory ran out and exit
 * 1, never take the log for a damaged one (exit 2) or crash.
 *
 * glibc's __libc_* entry points are called directly: dlsym, the usual way
 * to find the next definition, may itself allocate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static int ready;
static size_t min_bytes; /* 0: no size limit */
static long nth;         /* 0: no request singled out */
static long made;        /* requests from the executable so far */
static int count_them;
static uintptr_t exe_lo, exe_hi; /* the counted code's mappings */

/* The address range of the executable, or of the mappings whose path
 * contains `from`, from /proc/self/maps (read with plain system calls:
 * nothing here may allocate). */
static void find_executable(const char *from) {
  char exe[4096], maps[1 << 17];
  ssize_t n = from ? (ssize_t)strlen(from)
                   : readlink("/proc/self/exe", exe, sizeof exe - 1);
  int fd = open("/proc/self/maps", O_RDONLY);
  if (n <= 0 || (size_t)n >= sizeof exe || fd < 0) {
    if (fd >= 0)
      close(fd);
    return;
  }
  if (from)
    memcpy(exe, from, (size_t)n);
  exe[n] = '\0';
  size_t len = 0;
  ssize_t got;
  while (len < sizeof maps - 1 &&
         (got = read(fd, maps + len, sizeof maps - 1 - len)) > 0)
    len += (size_t)got;
  close(fd);
  maps[len] = '\0';
  for (char *line = maps; *line;) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    size_t l = strlen(line), e = strlen(exe);
    if (from ? strstr(line, exe) != NULL
             : l > e && !strcmp(line + l - e, exe)) {
      char *p;
      uintptr_t lo = (uintptr_t)strtoull(line, &p, 16);
      uintptr_t hi = (uintptr_t)strtoull(p + 1, NULL, 16);
      if (!exe_lo || lo < exe_lo)
        exe_lo = lo;
      if (hi > exe_hi)
        exe_hi = hi;
    }
    if (!end)
      break;
    line = end + 1;
  }
}

static void setup(void) {
  ready = 1;
  const char *v = getenv("WEFT_TEST_NOMEM_MIN");
  min_bytes = v ? (size_t)strtoull(v, NULL, 10) : 0;
  v = getenv("WEFT_TEST_NOMEM_NTH");
  nth = v ? atol(v) : 0;
  v = getenv("WEFT_TEST_NOMEM_COUNT");
  count_them = v && *v == '1';
  if (nth > 0 || count_them)
    find_executable(getenv("WEFT_TEST_NOMEM_FROM"));
}

static int refused(size_t n, void *caller) {
  if (!ready)
    setup();
  if (exe_lo && (uintptr_t)caller >= exe_lo && (uintptr_t)caller < exe_hi &&
      ++made == nth) {
    errno = ENOMEM;
    return 1;
  }
  if (min_bytes && n >= min_bytes) {
    errno = ENOMEM;
    return 1;
  }
  return 0;
}

__attribute__((destructor)) static void report(void) {
  if (count_them)
    fprintf(stderr, "nomem_shim: %ld\n", made);
}

void *malloc(size_t n) {
  return refused(n, __builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total))
    total = (size_t)-1;
  return refused(total, __builtin_return_address(0)) ? NULL
                                                     : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
  return refused(n, __builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
