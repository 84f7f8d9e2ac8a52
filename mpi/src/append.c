/*
 * append.c - the collective writes of a flush.
 *
 * Every rank extends the dataset to the same new extent, then writes its
 * own rows as one hyperslab (per flush, or per round for /payload and
 * /events: flush.c write_records); a rank without rows selects nothing on
 * both the file and the memory space but still calls H5Dwrite, which is
 * collective.  The caller skips the whole call when the total is 0 (HDF5
 * 1.10.8 fails an all-empty collective write, machine notes section 2).
 *
 * Under that collective H5Dwrite, HDF5 hands the data to MPI-IO either
 * collectively (two-phase I/O: aggregator ranks gather the pieces and
 * write large aligned blocks) or independently (each rank writes its own
 * piece).  Each rank's piece is one contiguous range of the file and the
 * ranges never interleave, so two-phase I/O only pays when the pieces are
 * small: it turns many small writes into few large ones.  For large
 * pieces it copies every byte to an aggregator for nothing and leaves the
 * other ranks waiting while the aggregators write (Open MPI's OMPIO does
 * so; ROMIO's romio_cb_write=automatic already writes non-interleaved
 * pieces independently).  So by default (WEFT_IO=auto) a dataset whose
 * pieces average WEFT_IO_INDEPENDENT_MIN bytes or more is written
 * independently; all ranks know the total, so all choose alike.
 */
#include "writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int weft__io_mode_from_env(int *out) {
  const char *v = getenv("WEFT_IO");
  *out = WEFT_IO_AUTO;
  if (!v || !*v || !strcmp(v, "auto"))
    return WEFT_OK;
  if (!strcmp(v, "collective"))
    *out = WEFT_IO_COLLECTIVE;
  else if (!strcmp(v, "independent"))
    *out = WEFT_IO_INDEPENDENT;
  else
    return weft__error(WEFT_EINVAL,
                       "WEFT_IO=\"%s\": expected auto, collective or "
                       "independent",
                       v);
  return WEFT_OK;
}

/* Whether to write dataset d's `total` rows independently.  The same on
 * every rank: it depends only on the total, the communicator's size and
 * rank 0's WEFT_IO.  (weft recover, which writes with the ranks it runs
 * on, not the job's, always uses auto.) */
int weft__transfer_independent(const weft__writer *w, weft__dset d,
                               hsize_t total) {
  if (w->io_mode != WEFT_IO_AUTO)
    return w->io_mode == WEFT_IO_INDEPENDENT;
  /* No space reserved (a file system without fallocate): a write may fail
   * for want of space, and under two-phase I/O Open MPI 4.1's OMPIO does
   * not report an aggregator's failed write (format.md section 8), so
   * every rank writes its own piece and hears of its own failure. */
  if (w->unreserved)
    return 1;
  int nprocs = 1;
  PMPI_Comm_size(w->comm, &nprocs);
  return total * weft__dset_elem_size(d) >=
         (hsize_t)nprocs * WEFT_IO_INDEPENDENT_MIN;
}

int weft__check_collective(const weft__writer *w, hid_t dxpl,
                           const char *what) {
  if (!w->check_collective)
    return WEFT_OK;
  H5D_mpio_actual_io_mode_t mode = H5D_MPIO_NO_COLLECTIVE;
  uint32_t local = 0, global = 0;
  if (H5Pget_mpio_actual_io_mode(dxpl, &mode) < 0 ||
      H5Pget_mpio_no_collective_cause(dxpl, &local, &global) < 0)
    return weft__h5_error("reading the transfer's I/O mode");
  /* Chunked datasets report chunk collective, /ranks contiguous
   * collective; INDIVIDUAL_IO (WEFT_IO) is still a collective transfer. */
  if ((mode != H5D_MPIO_CHUNK_COLLECTIVE &&
       mode != H5D_MPIO_CONTIGUOUS_COLLECTIVE) ||
      global != H5D_MPIO_COLLECTIVE)
    return weft__error(WEFT_EFORMAT,
                       "%s: HDF5 did not write collectively (mode %d, "
                       "cause 0x%x here, 0x%x on some rank)",
                       what, (int)mode, local, global);
  return WEFT_OK;
}

int weft__extend(weft__writer *w, weft__dset d, hsize_t extent) {
  int local = WEFT_OK;
  int extend = extent != w->extent[d];
  if (extend && extent > w->ext_hi[d])
    w->ext_hi[d] = extent;
  if (extend && H5Dset_extent(w->dset[d], &extent) < 0)
    local = weft__h5_error("H5Dset_extent");
  /* set_extent is collective: agree before going on.  The extent is
   * remembered only when every rank set it; otherwise no rank knows it
   * (some may have extended, some not), so the next flush sets it again
   * on every rank, as a collective call must be made. */
  int rc = weft__agree(w->comm, local);
  if (extend)
    w->extent[d] = rc < 0 ? WEFT_EXTENT_UNKNOWN : extent;
  return rc;
}

int weft__write_rows(weft__writer *w, weft__dset d, hsize_t start, hsize_t n,
                     hsize_t total, const void *buf) {
  hid_t ds = w->dset[d];
  int local = WEFT_OK;
  hid_t fspace = H5Dget_space(ds);
  hsize_t one = n ? n : 1;
  hid_t mspace = H5Screate_simple(1, &one, NULL);
  if (fspace < 0 || mspace < 0) {
    local = weft__h5_error("H5Dget_space");
  } else if (n) {
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &n, NULL) < 0)
      local = weft__h5_error("H5Sselect_hyperslab");
  } else if (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0) {
    local = weft__h5_error("H5Sselect_none");
  }
  /* A rank whose selection failed must still join the collective write;
   * it writes nothing. */
  if (local < 0 && fspace >= 0 && mspace >= 0) {
    H5Sselect_none(fspace);
    H5Sselect_none(mspace);
  }
  hid_t dxpl = weft__transfer_independent(w, d, total) ? w->dxpl_ind : w->dxpl;
  if (fspace >= 0 && mspace >= 0) {
    int failed = H5Dwrite(ds, w->types.row[d], mspace, fspace, dxpl,
                          n && local == WEFT_OK ? buf : NULL) < 0;
    if (local == WEFT_OK && (failed || w->check_collective)) {
      char what[4200];
      snprintf(what, sizeof what, "writing /%s of %s", weft__dset_name(d),
               w->path);
      local = failed ? weft__h5_io_error(what)
                     : weft__check_collective(w, dxpl, what);
    }
  }
  if (mspace >= 0)
    H5Sclose(mspace);
  if (fspace >= 0)
    H5Sclose(fspace);
  return local;
}

int weft__append(weft__writer *w, weft__dset d, hsize_t base, hsize_t offset,
                 hsize_t n, hsize_t total, const void *buf) {
  int rc = weft__extend(w, d, base + total);
  if (rc < 0)
    return rc;
  int local = weft__write_rows(w, d, base + offset, n, total, buf);
  if (weft__transfer_independent(w, d, total)) /* the ranks end one by one */
    return weft__agree_quiet(w->comm, local);
  return weft__agree(w->comm, local);
}
