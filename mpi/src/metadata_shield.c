/*
 * metadata_shield.c - a metadata write that fails on one rank must not
 * make that rank leave HDF5's metadata flush before the others.
 *
 * HDF5 1.10.8 writes a file's metadata inside H5Fflush and H5Fclose, in a
 * "sync point": each rank writes its share of the dirty entries, then all
 * meet in a barrier.  A rank whose write fails (a disk error, a full disk
 * without fallocate, a quota) leaves the sync point before that barrier
 * and goes on to the MPI_File_sync that ends the flush, whose barrier is
 * another one: the ranks wait in two different barriers for good (gdb:
 * one in H5AC__run_sync_point, one in mca_io_ompio_file_sync).  The rows
 * of a flush are written before (the writer agrees on their outcome
 * itself), so only this write, small and the last, could do it;
 * tests/mpi/test_disk_full.c part commit makes it fail.
 *
 * So while the writer runs H5Fflush or H5Fclose, a failed write to the
 * log is noted and reported to HDF5 as done: every rank goes through the
 * same barriers, and the writer asks the ranks afterwards whether one of
 * them failed.  What HDF5 then believes written is not all in the file,
 * and HDF5 will not write it again: the log may hold that commit's
 * metadata in part (or whole: a write may be reported failed after it was
 * done).  So the writer never writes to it again (flush.c: the log is
 * "damaged"), closes it without another write (metadata_discard.c), and
 * the events since its last commit stay in the buffers and the crash
 * journals, whose marks of that commit stay (weft__pending_keep): weft
 * recover after the job goes by the epochs the log shows committed.
 *
 * Only MPI_File_write_at and MPI_File_write_at_all are wrapped: the only
 * writes of HDF5 1.10.8's MPI-IO driver.  They are defined here so that
 * HDF5's calls come here first (the usual PMPI interposition); every other
 * call, and every call outside those regions, goes straight to PMPI.
 * libweft-pmpi, which defines them too, forwards to weft__shield_write_at
 * and weft__shield_write_at_all.  A tool that comes first and calls PMPI
 * itself (Darshan's preloaded wrappers, say) takes the shield away: a
 * failed metadata write may then hang the job, as before.
 */
#include "guard.h"
#include "writer.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The region: one writer, driven by one thread at a time.  Other threads
 * of the application may call MPI_File_write_at meanwhile, on their own
 * files: `on` is atomic, and `fh` is set before it. */
static _Atomic int on;
static struct {
  MPI_File fh; /* the log's handle as HDF5 has it */
  int failed;  /* writes reported done that were not */
  int err;     /* errno after the first of them, 0 if none was set */
  char why[MPI_MAX_ERROR_STRING]; /* MPI's text for the first of them */
} shield;

void weft__shield_begin(weft__writer *w) {
  MPI_File *fh = NULL;
  memset(&shield, 0, sizeof shield);
  if (w->file >= 0 &&
      H5Fget_vfd_handle(w->file, H5P_DEFAULT, (void **)&fh) >= 0 && fh) {
    shield.fh = *fh;
    atomic_store_explicit(&on, 1, memory_order_release);
  }
}

/* Whether a write on fh is shielded now. */
static int shielded(MPI_File fh) {
  return atomic_load_explicit(&on, memory_order_acquire) && fh == shield.fh;
}

int weft__shield_end(weft__writer *w, const char *what) {
  int failed = shield.failed;
  atomic_store_explicit(&on, 0, memory_order_release);
  int any = 0;
  if (PMPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, w->comm) !=
      MPI_SUCCESS)
    any = 1; /* cannot tell: assume the worst */
  if (any)
    w->damaged = 1; /* on every rank; the failed ones say why */
  if (!failed)
    return WEFT_OK;
  return weft__error(WEFT_EIO,
                     "%s: writing the metadata of %s failed (%s), so the log "
                     "may hold it in part: it is not written again, and the "
                     "events since its last commit stay in the crash "
                     "journal for weft recover",
                     what, w->path,
                     weft__errno_is_io(shield.err) ? strerror(shield.err)
                                                   : shield.why);
}

/* Whether the shielded write just made failed: an error code, or fewer
 * than `count` elements written (Open MPI 4.1's OMPIO returns success when
 * pwritev fails, and only the status tells; HDF5 checks that count).  If
 * so note it, and make `status` say that `count` elements were written. */
static int absorbed(int rc, int err, int count, MPI_Datatype dt,
                    MPI_Status *status) {
  int done = 0, size = 0;
  if (rc == MPI_SUCCESS &&
      (count == 0 || (PMPI_Type_size(dt, &size) == MPI_SUCCESS && size == 0) ||
       (PMPI_Get_count(status, dt, &done) == MPI_SUCCESS &&
        done != MPI_UNDEFINED && done >= count)))
    return 0; /* nothing to write, or all of it written */
  if (!shield.failed++) {
    int len = 0;
    shield.err = err;
    if (rc == MPI_SUCCESS)
      snprintf(shield.why, sizeof shield.why, "a short write");
    else if (PMPI_Error_string(rc, shield.why, &len) != MPI_SUCCESS)
      snprintf(shield.why, sizeof shield.why, "MPI error %d", rc);
  }
  PMPI_Status_set_elements(status, dt, count);
  return 1;
}

int weft__shield_write_at(MPI_File fh, MPI_Offset offset, const void *buf,
                          int count, MPI_Datatype dt, MPI_Status *status) {
  if (!shielded(fh))
    return PMPI_File_write_at(fh, offset, buf, count, dt, status);
  MPI_Status mine; /* the count is in it, when the caller ignores it */
  if (status == MPI_STATUS_IGNORE)
    status = &mine;
  errno = 0;
  int rc = PMPI_File_write_at(fh, offset, buf, count, dt, status);
  return absorbed(rc, errno, count, dt, status) ? MPI_SUCCESS : rc;
}

int weft__shield_write_at_all(MPI_File fh, MPI_Offset offset, const void *buf,
                              int count, MPI_Datatype dt, MPI_Status *status) {
  if (!shielded(fh))
    return PMPI_File_write_at_all(fh, offset, buf, count, dt, status);
  MPI_Status mine;
  if (status == MPI_STATUS_IGNORE)
    status = &mine;
  errno = 0;
  int rc = PMPI_File_write_at_all(fh, offset, buf, count, dt, status);
  return absorbed(rc, errno, count, dt, status) ? MPI_SUCCESS : rc;
}

/* The MPI names, for HDF5 (and the application: outside the regions
 * nothing changes).  Exported whatever the visibility of the rest; weak,
 * so that a program linking the static library and defining them itself
 * (another profiling layer) still links, and keeps its own. */
__attribute__((weak)) WEFT_API int
MPI_File_write_at(MPI_File fh, MPI_Offset offset, const void *buf, int count,
                  MPI_Datatype dt, MPI_Status *status) {
  return weft__shield_write_at(fh, offset, buf, count, dt, status);
}

__attribute__((weak)) WEFT_API int
MPI_File_write_at_all(MPI_File fh, MPI_Offset offset, const void *buf,
                      int count, MPI_Datatype dt, MPI_Status *status) {
  return weft__shield_write_at_all(fh, offset, buf, count, dt, status);
}

void weft__shield_check(void) {
  /* What HDF5's calls bind to: the first definition in the global scope,
   * the one RTLD_DEFAULT finds.  When it is in the same object as
   * PMPI_File_write_at, it is the MPI library's own (the MPI library came
   * before libweft-mpi in the link, or libweft-mpi was loaded privately):
   * no shield.  Another object may be a profiling layer that forwards to
   * us (libweft-pmpi) or not; it is not called a failure. */
  void *mpi = dlsym(RTLD_DEFAULT, "MPI_File_write_at");
  void *pmpi = dlsym(RTLD_DEFAULT, "PMPI_File_write_at");
  Dl_info a, b;
  if (!mpi || !pmpi || !dladdr(mpi, &a) || !dladdr(pmpi, &b) ||
      a.dli_fbase != b.dli_fbase)
    return;
  char why[WEFT__ERRMSG_MAX];
  snprintf(why, sizeof why,
           "HDF5's MPI_File_write_at is %s's own: link libweft-mpi before "
           "the MPI library, or a metadata write that fails on one rank "
           "may hang the job",
           a.dli_fname ? a.dli_fname : "the MPI library");
  weft_field f[1] = {WEFT_STR("reason", why)};
  weft_message_log("weft:no_shield", f, 1);
}
