/*
 * metadata_discard.c - closing a log whose last flush failed, without
 * writing to it again.
 *
 * A flush that fails after it extended the datasets leaves HDF5 holding
 * dirty metadata (the new extents, the chunks allocated for them), and
 * H5Fclose writes it.  When the flush failed because the disk fails, those
 * writes fail too, and HDF5 1.10.8 does not fail them alike on every rank:
 * under two-phase collective I/O only the aggregator hears of the failed
 * write, so it leaves the cache flush before the barrier that ends it and
 * the other ranks wait there for good (2 ranks); alone, H5Fclose fails
 * half way, the file stays half closed, and HDF5 crashes on it inside
 * MPI_Finalize (1 rank).  tests/mpi/test_disk_full.c, part final, found
 * both.  HDF5 has no call that drops a file's dirty metadata.
 *
 * So when the last flush failed (or the epoch weft recover writes: it
 * crashed the tool the same way), each rank first points HDF5's MPI-IO
 * handle of the log (H5Fget_vfd_handle: a pointer to the driver's
 * MPI_File) at a scratch file of its own: a file in memory (memfd_create)
 * opened on MPI_COMM_SELF, so no rank waits for another in it, no full or
 * missing TMPDIR can fail its writes (which would bring the hang back),
 * and nothing is left behind.  (It takes the few kilobytes of metadata
 * written; the size H5Fclose gives it is sparse.)  H5Fclose then writes the
 * metadata there, which succeeds, and closes the scratch handle; the writer
 * closes the log's own handle.  (H5Fclose reads nothing it has not cached: what
 * it flushes is dirty, so in the cache.  A read would find zeros in the scratch
 * file and fail the close.)  The log keeps exactly what its last commit wrote:
 * the state readers trust anyway (format.md section 1), and a better one than
 * metadata written half way.  The events of the failed flush stay in the
 * buffers and the journal, as after any failed flush.
 *
 * The scratch handle is opened with the log, not when it is needed: a
 * failed flush often means a full disk, and Open MPI's MPI_File_open then
 * crashes (SIGBUS in its shared-file-pointer component, which maps a file
 * in its session directory: seen when a test run filled /tmp).
 *
 * Without a scratch file on every rank (no memfd_create, or MPI-IO cannot
 * open it) no rank swaps, and H5Fclose writes to the log as before.
 */
#include "writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* This rank's scratch handle, or MPI_FILE_NULL: an anonymous file in
 * memory (memfd), so that no file system can be full under it and nothing
 * is left behind.  MPI-IO opens it through a symbolic link of a name no
 * other file has, removed at once: Open MPI names a semaphore of its
 * shared-file-pointer component after the file's base name, and the
 * /proc/self/fd/N of every process would share (and, after a crash, leave
 * locked) the one of "N". */
static MPI_File scratch_open(void) {
  int fd = memfd_create("weft-discard", MFD_CLOEXEC);
  if (fd < 0)
    return MPI_FILE_NULL;
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir)
    dir = "/tmp";
  char target[64], link[4096];
  snprintf(target, sizeof target, "/proc/%ld/fd/%d", (long)getpid(), fd);
  int made = 0;
  for (int k = 0; k < 100 && !made; k++) {
    int n = snprintf(link, sizeof link, "%s/weft-discard-%ld-%d", dir,
                     (long)getpid(), k);
    if (n < 0 || (size_t)n >= sizeof link)
      break;
    made = symlink(target, link) == 0;
    if (!made && errno != EEXIST)
      break;
  }
  MPI_File fh = MPI_FILE_NULL;
  if (made && PMPI_File_open(MPI_COMM_SELF, link, MPI_MODE_RDWR, MPI_INFO_NULL,
                             &fh) != MPI_SUCCESS)
    fh = MPI_FILE_NULL;
  if (made)
    unlink(link);
  close(fd); /* the handle keeps the file while it is open */
  if (fh != MPI_FILE_NULL)
    PMPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
  return fh;
}

void weft__metadata_discard_open(weft__writer *w) {
  w->discard = scratch_open();
}

void weft__metadata_discard_close(weft__writer *w) {
  if (w->discard != MPI_FILE_NULL)
    PMPI_File_close(&w->discard);
  w->discard = MPI_FILE_NULL;
}

int weft__metadata_discard(weft__writer *w) {
  MPI_File *log = NULL;
  int have = w->discard != MPI_FILE_NULL &&
             H5Fget_vfd_handle(w->file, H5P_DEFAULT, (void **)&log) >= 0 &&
             log && *log != MPI_FILE_NULL;
  int all = 0;
  if (PMPI_Allreduce(&have, &all, 1, MPI_INT, MPI_LAND, w->comm) !=
          MPI_SUCCESS ||
      !all)
    return weft__error(WEFT_EIO, "no scratch file on every rank");
  MPI_File old = *log;
  *log = w->discard; /* HDF5's now: H5Fclose closes it */
  w->discard = MPI_FILE_NULL;
  /* Collective over the log's communicator, as every rank is here. */
  if (PMPI_File_close(&old) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "closing %s failed", w->path);
  return WEFT_OK;
}
