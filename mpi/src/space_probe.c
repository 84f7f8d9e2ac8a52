/*
 * space_probe.c - make sure the file can grow before a flush writes.
 *
 * A write that fails for lack of space inside HDF5's collective calls is
 * not reported the same way on every rank: Open MPI's collective MPI-IO
 * may not report an aggregator's failed write at all, and a failed
 * metadata write leaves the log damaged for the rest of the job
 * (metadata_shield.c, which keeps it from hanging the job).  So rank 0
 * first reserves the space the flush will need, past the end of the file,
 * with fallocate(FALLOC_FL_KEEP_SIZE) (which fails with ENOSPC on a full
 * disk, EDQUOT over a quota; a file size limit is checked apart), and the
 * ranks agree
 * on the outcome before any HDF5 call of the flush.  The reservation is kept:
 * the flush writes into it (giving it back, as an earlier version did, made
 * tmpfs zero and free the pages only for the write to allocate them again, 5 %
 * of a one-shot trace's cost), and what it did not use is released when the
 * file is closed (weft__space_trim).  File systems without fallocate (NFS, some
 * FUSE ones) are asked for their free space instead (statvfs).  Only the
 * space is probed; a disk that fills up between the probe and the write
 * can still fail the flush.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Room for the metadata a flush writes (object headers, chunk indexes,
 * the superblock): a few kilobytes in practice, so this is generous, as it
 * must be: a metadata write that fails inside HDF5 damages the log for
 * the rest of the job (format.md section 8). */
#define META_ROOM ((uint64_t)1 << 20)
#define META_PER_CHUNK ((uint64_t)4 << 10)
/* How much the file can grow when a flush appends tot[d] rows to every
 * dataset d after its committed rows.  Parallel HDF5 allocates all the
 * chunks of a chunked dataset when it is extended (rows fill them later),
 * and each commit's H5Fflush sets the file's size to the end of the
 * allocation.  So from the last commit the file grows by the chunks
 * allocated since, whole: up to the larger of this flush's extent and the
 * highest a failed flush asked for (its chunks were allocated, and stay
 * under the end of allocation even when a smaller extent frees them); and
 * by the metadata. */
static uint64_t growth(const weft__writer *w, const uint64_t *tot) {
  uint64_t bytes = META_ROOM;
  /* Before the first commit the file has nothing on disk: /ranks is
   * allocated (contiguous, when created) but not yet written. */
  if (w->committed.epochs == 0)
    bytes += (uint64_t)w->size * sizeof(weft__rank_row);
  for (int d = 0; d < WEFT_D_COUNT; d++) {
    uint64_t c = weft__dset_chunk_rows((weft__dset)d);
    uint64_t base = weft__committed_rows(&w->committed, (weft__dset)d);
    uint64_t top = base + tot[d];
    if (w->ext_hi[d] > top)
      top = w->ext_hi[d];
    uint64_t have = (base + c - 1) / c, need = (top + c - 1) / c;
    bytes += (need - have) *
             (c * weft__dset_elem_size((weft__dset)d) + META_PER_CHUNK);
  }
  return bytes;
}

/* 0 when the file system of fd has `len` bytes free, else ENOSPC. */
static int free_space(int fd, uint64_t len) {
  struct statvfs v;
  if (fstatvfs(fd, &v) != 0 || v.f_frsize == 0)
    return 0; /* cannot tell: let the write find out */
  return (uint64_t)v.f_bavail >= len / v.f_frsize + 1 ? 0 : ENOSPC;
}

/* Rank 0's probe; *reserved: whether fallocate reserved the bytes (else
 * only statvfs was asked). */
static int probe(const weft__writer *w, const uint64_t *tot, int *reserved) {
  int fd = open(w->path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return weft__error(WEFT_EIO, "cannot open %s: %s", w->path,
                       strerror(errno));
  struct stat st;
  int rc = WEFT_OK;
  uint64_t len = 0;
  if (fstat(fd, &st) != 0) {
    rc = weft__error(WEFT_EIO, "%s: %s", w->path, strerror(errno));
  } else {
    len = growth(w, tot);
    int e = fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, (off_t)len) == 0
                ? 0
                : errno;
    *reserved = e == 0;
    if (e == EOPNOTSUPP || e == ENOSYS || e == EINVAL)
      e = free_space(fd, len);
    /* A reservation that keeps the size is not held to the file size
     * limit (ulimit -f); the write would be. */
    struct rlimit rl;
    if (e == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
        rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)st.st_size + len > (uint64_t)rl.rlim_cur)
      e = EFBIG;
    if (e != 0)
      rc = weft__error(WEFT_EIO, "no room for %llu more bytes in %s: %s",
                       (unsigned long long)len, w->path, strerror(e));
  }
  close(fd);
  return rc;
}

void weft__space_trim(const char *path) {
  /* Truncating to the same size releases blocks reserved past the end of
   * the file on ext4 and XFS; elsewhere it changes nothing. */
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  struct stat st;
  int rc = fd >= 0 && fstat(fd, &st) == 0 ? ftruncate(fd, st.st_size) : -1;
  (void)rc; /* best effort: the log is complete either way */
  if (fd >= 0)
    close(fd);
}

int weft__space_probe(weft__writer *w, const uint64_t *tot) {
  int reserved = 1;
  int local = w->rank == 0 ? probe(w, tot, &reserved) : WEFT_OK;
  int rc = weft__agree(w->comm, local);
  /* Without a reservation a write may still find the disk full, and only
   * a rank that writes its own piece is told (append.c): every rank must
   * know, to choose the same transfer. */
  if (rc == WEFT_OK &&
      PMPI_Bcast(&reserved, 1, MPI_INT, 0, w->comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "broadcasting the space probe failed");
  if (rc == WEFT_OK)
    w->unreserved = !reserved;
  return rc;
}
