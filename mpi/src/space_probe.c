/*
 * space_probe.c - make sure the file can grow before a flush writes.
 *
 * A write that fails for lack of space inside HDF5's collective calls is
 * not reported the same way on every rank: Open MPI's collective MPI-IO
 * may not report an aggregator's failed write at all, and a metadata
 * write that fails on rank 0 makes rank 0 leave H5Fflush while the others
 * wait in its barrier, so the job hangs.  So rank 0 first reserves the
 * space the flush will need, past the end of the file, with
 * posix_fallocate (which fails with ENOSPC on a full disk, EDQUOT over a
 * quota, EFBIG over a file size limit), then gives it back by truncating
 * to the old size, and the ranks agree on the outcome before any HDF5
 * call of the flush.  Only the space is probed; a disk that fills up
 * between the probe and the write can still fail the flush.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for what a flush allocates beyond its rows, counted from the end of
 * the file (HDF5's end of allocation is not available from rank 0 alone
 * with the MPI-IO driver, and may lie past the end of the file by the
 * chunks allocated but not yet written): chunks of every dataset plus the
 * metadata written by H5Fflush. */
#define SLACK (8u << 20)

static int probe(const weft__writer *w, uint64_t bytes) {
  int fd = open(w->path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return weft__error(WEFT_EIO, "cannot open %s: %s", w->path,
                       strerror(errno));
  struct stat st;
  int rc = WEFT_OK;
  if (fstat(fd, &st) != 0) {
    rc = weft__error(WEFT_EIO, "%s: %s", w->path, strerror(errno));
  } else {
    int e = posix_fallocate(fd, st.st_size, (off_t)(bytes + SLACK));
    if (e != 0 && e != EOPNOTSUPP && e != EINVAL)
      rc = weft__error(WEFT_EIO, "no room for %llu more bytes in %s: %s",
                       (unsigned long long)(bytes + SLACK), w->path,
                       strerror(e));
    /* Give the reservation back: HDF5 owns the file's size. */
    if (ftruncate(fd, st.st_size) != 0 && rc == WEFT_OK)
      rc = weft__error(WEFT_EIO, "%s: %s", w->path, strerror(errno));
  }
  close(fd);
  return rc;
}

int weft__space_probe(weft__writer *w, uint64_t bytes) {
  int local = w->rank == 0 ? probe(w, bytes) : WEFT_OK;
  return weft__agree(w->comm, local);
}
