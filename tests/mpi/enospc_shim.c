/*
 * enospc_shim.c - a full disk on demand, for one file, in one process.
 *
 * The space probe (mpi/src/space_probe.c) is the only guard against a
 * full disk that libweft-mpi can test without one: RLIMIT_FSIZE makes
 * writes fail with EFBIG, and the probe checks that limit by itself.  A
 * real ENOSPC comes from the file system, either when the probe reserves
 * the space or later, from a write inside HDF5's collective calls (Open
 * MPI's MPI-IO writes with pwrite, pwritev, and aio_write for its
 * non-blocking calls; ROMIO with pwrite and write).  This library stands
 * in front of libc for those calls and makes them fail with ENOSPC on the
 * file named by WEFT_TEST_ENOSPC_FILE (compared by device and inode, so
 * any path or descriptor of it matches), as WEFT_TEST_ENOSPC says at the
 * moment of the call, so that a test switches it with setenv between
 * steps:
 *
 *   off (or unset)  nothing fails
 *   probe           fallocate and posix_fallocate fail (a full disk found
 *                   by the probe)
 *   write           every write to the file fails (the disk filled up
 *                   after the probe passed)
 *   write_rank:K    the same, in the process whose OMPI_COMM_WORLD_RANK
 *                   is K only (a full quota or a failing aggregator seen
 *                   by one rank)
 *   write_first:K:N the first N writes to the file of rank K after the
 *                   mode was set fail, later ones do not (a disk full for
 *                   a moment, until another job freed space)
 *   write_below:N   the writes (pwrite, pwritev) that begin before byte N
 *                   fail, on every rank: with N = 4096, the metadata HDF5
 *                   rewrites at every commit, in the object headers it
 *                   made first, and never a row
 *   write_below_done:N  the same writes are done, then reported failed
 *                   (a disk error reported late: the file has them)
 *
 * With WEFT_TEST_ENOSPC_NO_FALLOCATE=1, fallocate on the file fails with
 * EOPNOTSUPP whatever the mode, as on a file system without it (NFS,
 * some FUSE ones), where the probe can only ask statvfs.
 *
 * Linked into a test program it comes before libc in the symbol lookup
 * order (the program's libraries are searched in link order, libc last);
 * any other program can have it with LD_PRELOAD.  The real functions are
 * found with dlsym(RTLD_NEXT).  Under AddressSanitizer its interceptors
 * run first and call these through their own RTLD_NEXT lookup.
 *
 * enospc_shim_counts() tells what it did (failures injected, and writes
 * to the file that went through), so a test can check that the shim is
 * there and that the failures it expects did happen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enospc_shim.h"

#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static _Atomic unsigned long injected[ENOSPC_SHIM_CALLS];
static _Atomic unsigned long passed[ENOSPC_SHIM_CALLS];

/* Whether fd is the file. */
static int is_target(int fd) {
  const char *file = getenv("WEFT_TEST_ENOSPC_FILE");
  struct stat a, b;
  return file && *file && fstat(fd, &a) == 0 && stat(file, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Whether this process is MPI rank `k` (the text after a mode's colon,
 * up to the next colon or the end). */
static int my_rank_is(const char *k) {
  const char *me = getenv("OMPI_COMM_WORLD_RANK");
  size_t n = strcspn(k, ":");
  return me && strlen(me) == n && !strncmp(me, k, n);
}

/* write_first:K:N counts the writes it failed since the mode was set (a
 * call with another mode, or none, starts the count again). */
static char counted_mode[64];
static unsigned long counted;

/* Whether fallocate on fd is to fail as unsupported. */
static int unsupported(int fd) {
  const char *v = getenv("WEFT_TEST_ENOSPC_NO_FALLOCATE");
  return v && !strcmp(v, "1") && is_target(fd);
}

/* Whether calls of this kind (a fallocate: probe, else a write) on fd
 * fail now. */
static int fails(int fd, int probe) {
  const char *mode = getenv("WEFT_TEST_ENOSPC");
  if (!mode)
    mode = "off";
  if (strncmp(mode, counted_mode, sizeof counted_mode)) {
    snprintf(counted_mode, sizeof counted_mode, "%s", mode);
    counted = 0;
  }
  if (!strcmp(mode, "off") || !is_target(fd))
    return 0;
  if (probe)
    return !strcmp(mode, "probe");
  if (!strcmp(mode, "write"))
    return 1;
  if (!strncmp(mode, "write_rank:", 11))
    return my_rank_is(mode + 11);
  if (!strncmp(mode, "write_first:", 12) && my_rank_is(mode + 12)) {
    const char *n = strchr(mode + 12, ':');
    if (n && counted < strtoul(n + 1, NULL, 10)) {
      counted++;
      return 1;
    }
  }
  return 0;
}

/* Whether a write at offset `off` (-1: at the file position, never
 * failed) fails in mode write_below:N or write_below_done:N (one that
 * begins before byte N): 0 no, 1 it fails, 2 it is done, then reported
 * failed. */
static int below_fails(int fd, off_t off) {
  const char *mode = getenv("WEFT_TEST_ENOSPC");
  int done = mode && !strncmp(mode, "write_below_done:", 17);
  if (off < 0 || !mode || (!done && strncmp(mode, "write_below:", 12)))
    return 0;
  long long n = strtoll(mode + (done ? 17 : 12), NULL, 10);
  return off < n && is_target(fd) ? 1 + done : 0;
}

/* Store in *fn (a function pointer) the next definition of `name` after
 * this library (libc's); memcpy because ISO C has no conversion from
 * dlsym's void * to a function pointer.  A missing one cannot be called:
 * abort rather than pretend. */
static void real(const char *name, void *fn, size_t size) {
  void *f = dlsym(RTLD_NEXT, name);
  if (!f || size != sizeof f)
    abort();
  memcpy(fn, &f, sizeof f);
}

/* The signatures of the real functions. */
typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef int (*posix_fallocate_fn)(int, off_t, off_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*pwritev2_fn)(int, const struct iovec *, int, off_t, int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*aio_write_fn)(struct aiocb *);

/* `static type var`, looked up at the first call. */
#define REAL(var, name, type)                                                  \
  static type var;                                                             \
  if (!var)                                                                    \
  real(name, &var, sizeof var)

/* Count a call that went through to the file. */
static void pass(int fd, enospc_shim_call c) {
  if (is_target(fd))
    passed[c]++;
}

static int fallocate_common(const char *name, int fd, int mode, off_t off,
                            off_t len) {
  static fallocate_fn f[2];
  int k = name[9] != '\0'; /* "fallocate64" */
  if (!f[k])
    real(name, &f[k], sizeof f[k]);
  if (unsupported(fd)) {
    errno = EOPNOTSUPP;
    return -1;
  }
  if (fails(fd, 1)) {
    injected[ENOSPC_SHIM_FALLOCATE]++;
    errno = ENOSPC;
    return -1;
  }
  pass(fd, ENOSPC_SHIM_FALLOCATE);
  return f[k](fd, mode, off, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  return fallocate_common("fallocate", fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len) {
  return fallocate_common("fallocate64", fd, mode, off, len);
}

/* posix_fallocate returns the error instead of setting errno. */
static int posix_fallocate_common(const char *name, int fd, off_t off,
                                  off_t len) {
  static posix_fallocate_fn f[2];
  int k = name[15] != '\0'; /* "posix_fallocate64" */
  if (!f[k])
    real(name, &f[k], sizeof f[k]);
  if (fails(fd, 1)) {
    injected[ENOSPC_SHIM_FALLOCATE]++;
    return ENOSPC;
  }
  pass(fd, ENOSPC_SHIM_FALLOCATE);
  return f[k](fd, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
  return posix_fallocate_common("posix_fallocate", fd, off, len);
}

int posix_fallocate64(int fd, off_t off, off_t len) {
  return posix_fallocate_common("posix_fallocate64", fd, off, len);
}

/* The write functions: -1 with ENOSPC, as write(2) on a full disk when
 * nothing could be written; in mode write_below_done, after the write
 * (`call`, the real one) was done, as a disk error reported late. */
#define WRITE_FAILS(fd, kind) WRITE_FAILS_AT(fd, kind, -1, 0)
#define WRITE_FAILS_AT(fd, kind, off, call)                                    \
  do {                                                                         \
    int how_ = fails(fd, 0) ? 1 : below_fails(fd, off);                        \
    if (how_) {                                                                \
      injected[kind]++;                                                        \
      if (how_ == 2)                                                           \
        (void)(call);                                                          \
      errno = ENOSPC;                                                          \
      return -1;                                                               \
    }                                                                          \
    pass(fd, kind);                                                            \
  } while (0)

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(f, "pwrite", pwrite_fn);
  WRITE_FAILS_AT(fd, ENOSPC_SHIM_PWRITE, off, f(fd, buf, n, off));
  return f(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  REAL(f, "pwrite64", pwrite_fn);
  WRITE_FAILS_AT(fd, ENOSPC_SHIM_PWRITE, off, f(fd, buf, n, off));
  return f(fd, buf, n, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
  REAL(f, "pwritev", pwritev_fn);
  WRITE_FAILS_AT(fd, ENOSPC_SHIM_PWRITEV, off, f(fd, iov, n, off));
  return f(fd, iov, n, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off) {
  REAL(f, "pwritev64", pwritev_fn);
  WRITE_FAILS_AT(fd, ENOSPC_SHIM_PWRITEV, off, f(fd, iov, n, off));
  return f(fd, iov, n, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags) {
  REAL(f, "pwritev2", pwritev2_fn);
  WRITE_FAILS_AT(fd, ENOSPC_SHIM_PWRITEV, off, f(fd, iov, n, off, flags));
  return f(fd, iov, n, off, flags);
}

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(f, "write", write_fn);
  WRITE_FAILS(fd, ENOSPC_SHIM_WRITE);
  return f(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  REAL(f, "writev", writev_fn);
  WRITE_FAILS(fd, ENOSPC_SHIM_WRITE);
  return f(fd, iov, n);
}

/* A queued write reports its error through aio_error/aio_return, which
 * this library does not fake: failing the submission with EAGAIN (which
 * aio_write may return) would be retried or reported differently.  So an
 * aio_write to the file is only counted, and a test in which one went
 * through while writes were to fail knows that a write escaped. */
int aio_write(struct aiocb *cb) {
  REAL(f, "aio_write", aio_write_fn);
  pass(cb->aio_fildes, ENOSPC_SHIM_AIO_WRITE);
  return f(cb);
}

void enospc_shim_counts(enospc_shim_tally *out) {
  for (int c = 0; c < ENOSPC_SHIM_CALLS; c++) {
    out->injected[c] = injected[c];
    out->passed[c] = passed[c];
  }
}
