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
 * Without a scratch file on every rank (no memfd_create, or MPI-IO cannot
 * open it) no rank swaps, and H5Fclose writes to the log as before.
 */
#include "writer.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* This rank's scratch handle, or MPI_FILE_NULL: an anonymous file in
 * memory (memfd), opened again by its /proc name, so that no file system
 * can be full or missing under it and nothing is left behind. */
static MPI_File scratch_open(void) {
  int fd = memfd_create("weft-discard", MFD_CLOEXEC);
  if (fd < 0)
    return MPI_FILE_NULL;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  MPI_File fh = MPI_FILE_NULL;
  if (PMPI_File_open(MPI_COMM_SELF, path, MPI_MODE_RDWR, MPI_INFO_NULL, &fh) !=
      MPI_SUCCESS)
    fh = MPI_FILE_NULL;
  close(fd); /* the handle keeps the file while it is open */
  if (fh != MPI_FILE_NULL)
    PMPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
  return fh;
}

int weft__metadata_discard(weft__writer *w) {
  MPI_File *log = NULL;
  MPI_File scratch = MPI_FILE_NULL;
  if (H5Fget_vfd_handle(w->file, H5P_DEFAULT, (void **)&log) >= 0 && log &&
      *log != MPI_FILE_NULL)
    scratch = scratch_open();
  int have = scratch != MPI_FILE_NULL, all = 0;
  if (PMPI_Allreduce(&have, &all, 1, MPI_INT, MPI_LAND, w->comm) !=
          MPI_SUCCESS ||
      !all) {
    if (have)
      PMPI_File_close(&scratch);
    return weft__error(WEFT_EIO, "no scratch file on every rank");
  }
  MPI_File old = *log;
  *log = scratch;
  /* Collective over the log's communicator, as every rank is here. */
  if (PMPI_File_close(&old) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "closing %s failed", w->path);
  return WEFT_OK;
}
