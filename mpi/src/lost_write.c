/*
 * lost_write.c - noticing that MPI-IO lost a write of this process.
 *
 * Under two-phase collective I/O, Open MPI 4.1's OMPIO does not report an
 * aggregator's failed write (a disk error, or a full disk the space probe
 * could not foresee): H5Dwrite returns success on every rank, the rows
 * are not in the file, and the failed request stays in OMPIO's
 * process-wide list of pending requests.  From then on every
 * MPI_File_sync of that process returns MPI_ERR_OTHER at once, before
 * its barrier, so the H5Fflush of the next commit (or H5Fclose) leaves
 * that rank while the others wait in the barrier: the job hangs
 * (tests/mpi/test_disk_full.c found it).
 *
 * So before a commit each rank asks its own MPI-IO layer: MPI_File_sync
 * on a handle of the log opened read-only on MPI_COMM_SELF (no barrier
 * to hang in, and nothing to write) returns MPI_ERR_ACCESS, which a
 * read-only file must give, unless that list holds a failed request,
 * when OMPIO answers MPI_ERR_OTHER first.  The ranks agree on the answer
 * (file_create.c) and fail the commit together: the events stay in the
 * buffers and the journal.  Other MPI-IO implementations answer
 * MPI_ERR_ACCESS or success, and the check never fires.  The loss is for
 * good (OMPIO never empties the list), so every later flush of the
 * process fails the same way, and weft recover completes the log from
 * the journals after the job.
 */
#include "writer.h"

void weft__lost_write_open(weft__writer *w) {
  w->lost_probe = MPI_FILE_NULL;
  MPI_File fh;
  /* Without it there is only no check: not a reason to fail the log. */
  if (PMPI_File_open(MPI_COMM_SELF, w->path, MPI_MODE_RDONLY, MPI_INFO_NULL,
                     &fh) != MPI_SUCCESS)
    return;
  PMPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
  w->lost_probe = fh;
}

int weft__lost_write_check(const weft__writer *w) {
  if (w->lost_probe == MPI_FILE_NULL)
    return WEFT_OK;
  MPI_File fh = w->lost_probe;
  int rc = PMPI_File_sync(fh);
  int cls = MPI_SUCCESS;
  if (rc != MPI_SUCCESS)
    PMPI_Error_class(rc, &cls);
  if (cls != MPI_ERR_OTHER)
    return WEFT_OK;
  return weft__error(WEFT_EIO,
                     "MPI-IO lost a write to %s (a collective write "
                     "failed without an error; Open MPI cannot write "
                     "for this process any more): the events stay in "
                     "the journal for weft recover",
                     w->path);
}

void weft__lost_write_close(weft__writer *w) {
  if (w->lost_probe != MPI_FILE_NULL)
    PMPI_File_close(&w->lost_probe);
  w->lost_probe = MPI_FILE_NULL;
}
