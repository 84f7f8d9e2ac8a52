/*
 * nospace.c - LD_PRELOAD library for fault.retry: every fallocate fails
 * with ENOSPC, as on a full disk, so that `weft recover` fails at its
 * space probe, after it has staged everything and before it writes.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>

int fallocate(int fd, int mode, off_t offset, off_t len) {
  (void)fd;
  (void)mode;
  (void)offset;
  (void)len;
  errno = ENOSPC;
  return -1;
}

int fallocate64(int fd, int mode, off_t offset, off_t len) {
  return fallocate(fd, mode, offset, len);
}
