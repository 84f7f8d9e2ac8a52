/*
 * file_create.c - creating and closing the log (docs/format.md).
 *
 * Every call here is collective with identical arguments on every rank:
 * values that could differ between ranks (clock name, timeline anchor)
 * come from rank 0 by broadcast before they are written.
 */
#include "writer.h"

#include <stdio.h>
#include <string.h>

static const char *const dset_descriptions[WEFT_D_COUNT] = {
    [WEFT_D_PAYLOAD] = "record payloads, each padded to 8 bytes "
                       "(docs/encoding.md)",
    [WEFT_D_EVENTS] = "event records {t, schema, size}, per thread stream "
                      "(see /segments)",
    [WEFT_D_ORDER] = "per segment, one bit per item: 1 for its next leaf "
                     "row of /actions, 0 for its next /events row",
    [WEFT_D_SEGMENTS] = "record, leaf row and payload ranges of each (epoch, "
                        "rank, thread)",
    [WEFT_D_STRINGS] = "text heap of /names and /ranks",
    [WEFT_D_NAMES] = "interned names per rank",
    [WEFT_D_SCHEMA_FIELDS] = "fields of the schemas",
    [WEFT_D_SCHEMAS] = "record schemas per rank (ids >= 16)",
    [WEFT_D_ACTIONS] = "one row per action: timeline start/end, elapsed, "
                       "rank, schema, status; the leaf rows that /segments "
                       "list are short actions' only records",
    [WEFT_D_FLUSHES] = "one row per (epoch, rank): clock offset to rank 0",
};

static int attr_write(hid_t obj, const char *name, hid_t type, hsize_t n,
                      const void *v) {
  hid_t sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
  hid_t a =
      sp >= 0 ? H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
  int ok = a >= 0 && H5Awrite(a, type, v) >= 0;
  if (a >= 0)
    H5Aclose(a);
  if (sp >= 0)
    H5Sclose(sp);
  return ok ? 0 : -1;
}

/* A fixed-length string attribute exactly as long as its value (h5dump
 * then shows no padding; h5py gives bytes). */
static int attr_string(hid_t obj, const char *name, const char *v) {
  size_t n = strlen(v);
  hid_t t = H5Tcopy(H5T_C_S1);
  int ok = t >= 0 && H5Tset_size(t, n ? n : 1) >= 0 &&
           H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
           attr_write(obj, name, t, 0, n ? v : "") == 0;
  if (t >= 0)
    H5Tclose(t);
  return ok ? 0 : -1;
}

static hid_t create_dset(weft__writer *w, weft__dset d) {
  hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = weft__dset_chunk_rows(d);
  hid_t sp = H5Screate_simple(1, &zero, &unlimited);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t ds = -1;
  if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
      H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
    ds = H5Dcreate2(w->file, weft__dset_name(d), w->types.row[d], sp,
                    H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (ds >= 0 && attr_string(ds, "description", dset_descriptions[d]) < 0) {
    H5Dclose(ds);
    ds = -1;
  }
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (sp >= 0)
    H5Sclose(sp);
  return ds;
}

static hid_t create_ranks(weft__writer *w) {
  hsize_t n = (hsize_t)w->size;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t ds = -1;
  if (sp >= 0 && dcpl >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
    ds = H5Dcreate2(w->file, "ranks", w->types.rank_row, sp, H5P_DEFAULT, dcpl,
                    H5P_DEFAULT);
  if (ds >= 0 &&
      attr_string(ds, "description",
                  "one row per rank: host, pid, MPI library, command "
                  "line, Slurm context") < 0) {
    H5Dclose(ds);
    ds = -1;
  }
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (sp >= 0)
    H5Sclose(sp);
  return ds;
}

/* HDF5 writes metadata at a "sync point", which it runs in H5Fflush and
 * H5Fclose, and also inside any collective call once this much dirty
 * metadata accumulated (256 KiB by default).  Raised to its maximum
 * (32 MiB, far above a flush's kilobytes): a sync point inside an
 * H5Dwrite would write outside the shield (metadata_shield.c), and with
 * independent metadata writes HDF5 1.10.8 may make the ranks issue
 * different numbers of collective writes there (fixed in 1.14.3). */
static herr_t sync_points_at_flush(hid_t fapl) {
  H5AC_cache_config_t c;
  memset(&c, 0, sizeof c);
  c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (H5Pget_mdc_config(fapl, &c) < 0)
    return -1;
  c.dirty_bytes_threshold = (size_t)32 << 20;
  return H5Pset_mdc_config(fapl, &c);
}

/* Metadata is written independently, each rank its share of the dirty
 * entries: a collective write that fails in Open MPI 4.1 leaves a failed
 * request behind that makes the MPI_File_sync ending H5Fflush return
 * before its barrier on that rank alone (a hang); an independent write
 * reports its failure (as a short write), which metadata_shield.c turns
 * into an error on every rank.  The metadata of a flush is kilobytes. */
hid_t weft__h5_fapl(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0 ||
                    H5Pset_coll_metadata_write(fapl, 0) < 0 ||
                    H5Pset_all_coll_metadata_ops(fapl, 1) < 0 ||
                    sync_points_at_flush(fapl) < 0)) {
    H5Pclose(fapl);
    fapl = -1;
  }
  return fapl;
}

int weft__h5_dxpls(weft__writer *w) {
  for (int i = 0; i < 2; i++) {
    hid_t p = H5Pcreate(H5P_DATASET_XFER);
    if (p < 0 || H5Pset_dxpl_mpio(p, H5FD_MPIO_COLLECTIVE) < 0 ||
        H5Pset_dxpl_mpio_collective_opt(p, i ? H5FD_MPIO_INDIVIDUAL_IO
                                             : H5FD_MPIO_COLLECTIVE_IO) < 0) {
      if (p >= 0)
        H5Pclose(p);
      return -1;
    }
    *(i ? &w->dxpl_ind : &w->dxpl) = p;
  }
  return 0;
}

static int root_attributes(weft__writer *w) {
  struct {
    int64_t mono, wall;
    char clock[16];
  } t0;
  memset(&t0, 0, sizeof t0);
  if (w->rank == 0) {
    weft__clock_anchor a = weft__clock_anchor_now();
    t0.mono = weft__skewed(&w->skew, a.mono_ns);
    t0.wall = a.wall_ns;
    strncpy(t0.clock, weft_clock_name(), sizeof t0.clock - 1);
  }
  if (PMPI_Bcast(&t0, (int)sizeof t0, MPI_BYTE, 0, w->comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Bcast of the timeline anchor");
  w->timeline_mono_ns = t0.mono;
  w->timeline_wall_ns = t0.wall;

  char writer[64];
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  snprintf(writer, sizeof writer, "libweft-mpi %s (HDF5 %u.%u.%u)",
           weft_version_string(), maj, min, rel);
  uint32_t version[2] = {WEFT_FORMAT_MAJOR, WEFT_FORMAT_MINOR};
  uint32_t size = (uint32_t)w->size;
  uint8_t actions = (uint8_t)w->actions_on, state = 0;
  weft__committed zero;
  memset(&zero, 0, sizeof zero);
  hid_t f = w->file;
  if (attr_string(f, "format", WEFT_FORMAT_NAME) < 0 ||
      attr_write(f, "format_version", H5T_STD_U32LE, 2, version) < 0 ||
      attr_string(f, "writer", writer) < 0 ||
      attr_write(f, "mpi_size", H5T_STD_U32LE, 0, &size) < 0 ||
      attr_string(f, "time_unit", "ns") < 0 ||
      attr_string(f, "clock", t0.clock) < 0 ||
      attr_string(f, "payload_encoding", "weft-record-1") < 0 ||
      attr_write(f, "timeline_mono_ns", H5T_STD_I64LE, 0, &t0.mono) < 0 ||
      attr_write(f, "timeline_wall_ns", H5T_STD_I64LE, 0, &t0.wall) < 0 ||
      attr_write(f, "actions_table", H5T_STD_U8LE, 0, &actions) < 0 ||
      attr_write(f, "state", w->types.state, 0, &state) < 0 ||
      attr_write(f, "committed", w->types.committed, 0, &zero) < 0)
    return weft__h5_error("writing the root attributes");
  return WEFT_OK;
}

int weft__file_create(weft__writer *w) {
  w->file = -1;
  w->lost_probe = w->discard = MPI_FILE_NULL;
  w->ranks = -1;
  w->dxpl = w->dxpl_ind = -1;
  w->types = (weft__h5types){.kind = -1,
                             .status = -1,
                             .ftype = -1,
                             .state = -1,
                             .rank_row = -1,
                             .committed = -1};
  for (int d = 0; d < WEFT_D_COUNT; d++)
    w->types.row[d] = -1;
  for (int d = 0; d < WEFT_D_COUNT; d++) {
    w->dset[d] = -1;
    w->extent[d] = w->ext_hi[d] = 0;
  }
  int local = WEFT_OK;
  hid_t fapl = weft__h5_fapl(w->comm);
  if (fapl < 0)
    local = weft__h5_error("setting up the MPI-IO file access");
  /* H5Fcreate is collective; it fails on every rank or on none. */
  if (local == WEFT_OK) {
    w->file = H5Fcreate(w->path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0)
      local = weft__h5_error("H5Fcreate");
  }
  if (fapl >= 0)
    H5Pclose(fapl);
  int rc = weft__agree(w->comm, local);
  if (rc < 0)
    return rc;

  weft__lost_write_open(w);
  weft__metadata_discard_open(w);
  if (weft__h5_dxpls(w) < 0)
    local = weft__h5_error("setting up collective transfers");
  if (local == WEFT_OK && weft__h5types_create(&w->types, w->file) < 0)
    local = weft__h5_error("creating the datatypes");
  for (int d = 0; local == WEFT_OK && d < WEFT_D_COUNT; d++)
    if ((w->dset[d] = create_dset(w, (weft__dset)d)) < 0)
      local = weft__h5_error("creating a dataset");
  if (local == WEFT_OK && (w->ranks = create_ranks(w)) < 0)
    local = weft__h5_error("creating /ranks");
  if (local == WEFT_OK)
    local = root_attributes(w);
  return weft__agree(w->comm, local);
}

/* H5Fflush: metadata, truncate and MPI_File_sync, its metadata writes
 * shielded (metadata_shield.c).  However it failed, HDF5's metadata and
 * the file's may differ from then on: the log is damaged. */
static int flush_metadata(weft__writer *w) {
  int local = WEFT_OK;
  weft__shield_begin(w);
  if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
    local = weft__h5_io_error("H5Fflush");
  int rc = weft__shield_end(w, "H5Fflush");
  if (rc < 0)
    local = rc;
  rc = weft__agree(w->comm, local);
  if (rc < 0)
    w->damaged = 1;
  return rc;
}

int weft__file_commit(weft__writer *w, const weft__committed *c, int final) {
  /* Before anything that syncs or closes: a rank whose MPI-IO lost a
   * write would leave the others in that sync's barrier. */
  int local = weft__lost_write_check(w);
  int rc = weft__agree(w->comm, local);
  if (rc < 0)
    return rc;
  /* The durability point, in two steps: first the metadata of the new
   * rows (extents, chunk index) under the old counters, then the counters.
   * A metadata write that fails in the first step leaves counters that
   * point at rows the file's metadata already had: the log still reads as
   * its last commit, and weft recover completes it instead of rebuilding
   * it from the journals alone (which have lost what they recycled).
   * Both steps sync, so that the file can be read between flushes and a
   * crashed node leaves the last commit on disk.  The final flush skips
   * them: H5Fclose comes next and writes the metadata without
   * MPI_File_sync, as any program's last write leaves its data to the
   * kernel; syncing gigabytes there would make the job wait for the disk
   * for no reader's benefit. */
  if (!final && (rc = flush_metadata(w)) < 0)
    return rc;
  hid_t a = H5Aopen(w->file, "committed", H5P_DEFAULT);
  if (a < 0 || H5Awrite(a, w->types.committed, c) < 0)
    local = weft__h5_error("writing the committed counters");
  if (a >= 0)
    H5Aclose(a);
  rc = weft__agree(w->comm, local);
  if (rc < 0 || final)
    return rc;
  return flush_metadata(w);
}

int weft__file_close(weft__writer *w, int closed) {
  int local = WEFT_OK;
  /* What the failed flush left for H5Fclose to write goes nowhere: the
   * disk that failed it may fail those writes too. */
  int discarded = (w->flush_failed || w->damaged) && w->file >= 0 &&
                  weft__metadata_discard(w) == WEFT_OK;
  if (closed && w->file >= 0) {
    uint8_t state = 1;
    hid_t a = H5Aopen(w->file, "state", H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, w->types.state, &state) < 0)
      local = weft__h5_error("writing the state attribute");
    if (a >= 0)
      H5Aclose(a);
  }
  for (int d = 0; d < WEFT_D_COUNT; d++)
    if (w->dset[d] >= 0) {
      H5Dclose(w->dset[d]);
      w->dset[d] = -1;
    }
  if (w->ranks >= 0) {
    H5Dclose(w->ranks);
    w->ranks = -1;
  }
  weft__h5types_close(&w->types);
  if (w->dxpl >= 0) {
    H5Pclose(w->dxpl);
    w->dxpl = -1;
  }
  if (w->dxpl_ind >= 0) {
    H5Pclose(w->dxpl_ind);
    w->dxpl_ind = -1;
  }
  weft__lost_write_close(w);
  weft__metadata_discard_close(w); /* unless HDF5 has it */
  if (w->file >= 0) {
    /* Its metadata writes are shielded as those of H5Fflush are (after a
     * discard they go to the scratch file, and cannot fail). */
    weft__shield_begin(w);
    if (H5Fclose(w->file) < 0 && local == WEFT_OK)
      local = weft__h5_error("H5Fclose");
    int shielded = weft__shield_end(w, "H5Fclose");
    if (shielded < 0 && local == WEFT_OK && !discarded)
      local = shielded;
    w->file = -1;
  }
  int rc = weft__agree(w->comm, local);
  /* Failed: its metadata may be in the file, whole or in part. */
  if (rc < 0 && !discarded)
    w->damaged = 1;
  if (w->rank == 0 && w->path) /* every rank has closed it */
    weft__space_trim(w->path);
  return rc;
}
