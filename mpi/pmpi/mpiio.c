/*
 * mpiio.c - MPI-IO calls (WEFT_MPI_TRACE=all).
 *
 * MPI_File_open is the action {comm, path, amode} with the success field
 * `file`, a number this rank gives the open file (1, 2, ...); the reads,
 * writes, MPI_File_sync and MPI_File_close that follow are actions
 * {file, offset, bytes} (offset -1 for the calls that use the file
 * pointer; bytes as requested).  Non-blocking and split
 * collective I/O calls are not wrapped.
 */
#include "pmpi.h"

#include <stdlib.h>

typedef struct open_file {
  MPI_File fh;
  uint64_t id;
} open_file;

static open_file *files;
static size_t nfiles, files_cap;
static uint64_t next_id = 1;

static int traced(void) { return weft__mpi_trace_now() == WEFT_MPI_TRACE_ALL; }

static uint64_t file_id(MPI_File fh) {
  uint64_t id = 0;
  pm_lock();
  for (size_t i = 0; i < nfiles && !id; i++)
    if (files[i].fh == fh)
      id = files[i].id;
  pm_unlock();
  return id;
}

static uint64_t file_add(MPI_File fh) {
  pm_lock();
  if (nfiles == files_cap) {
    size_t cap = files_cap ? 2 * files_cap : 8;
    open_file *f = realloc(files, cap * sizeof *f);
    if (!f) {
      pm_unlock();
      return 0;
    }
    files = f;
    files_cap = cap;
  }
  uint64_t id = next_id++;
  files[nfiles++] = (open_file){fh, id};
  pm_unlock();
  return id;
}

static void file_forget(MPI_File fh) {
  pm_lock();
  for (size_t i = 0; i < nfiles; i++)
    if (files[i].fh == fh) {
      files[i] = files[--nfiles];
      break;
    }
  if (!nfiles) {
    free(files);
    files = NULL;
    files_cap = 0;
  }
  pm_unlock();
}

int MPI_File_open(MPI_Comm comm, const char *filename, int amode, MPI_Info info,
                  MPI_File *fh) {
  static weft_site site, end_site;
  if (!traced())
    return PMPI_File_open(comm, filename, amode, info, fh);
  pm_note_writer();
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  pm_unlock();
  weft_field f[] = {WEFT_U64("comm", c ? c->id : 0),
                    WEFT_STR("path", filename ? filename : ""),
                    WEFT_I64("amode", amode)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_File_open", f, 3);
  int rc = PMPI_File_open(comm, filename, amode, info, fh);
  weft_field r[] = {WEFT_U64("file", rc == MPI_SUCCESS ? file_add(*fh) : 0)};
  pm_call_end_fields(&call, rc, &end_site, r, 1);
  return rc;
}

int MPI_File_close(MPI_File *fh) {
  static weft_site site;
  if (!traced()) {
    file_forget(*fh);
    return PMPI_File_close(fh);
  }
  weft_field f[] = {WEFT_U64("file", file_id(*fh))};
  file_forget(*fh);
  pm_call call;
  pm_call_begin(&call, &site, "MPI_File_close", f, 1);
  int rc = PMPI_File_close(fh);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_File_sync(MPI_File fh) {
  static weft_site site;
  if (!traced())
    return PMPI_File_sync(fh);
  weft_field f[] = {WEFT_U64("file", file_id(fh))};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_File_sync", f, 1);
  int rc = PMPI_File_sync(fh);
  pm_call_end(&call, rc);
  return rc;
}

/* The fields of a read or write. */
static void io_begin(pm_call *call, weft_site *site, const char *type,
                     MPI_File fh, MPI_Offset offset, int count,
                     MPI_Datatype dt) {
  weft_field f[3]; /* element by element: see pm_msg_fields */
  f[0] = WEFT_U64("file", file_id(fh));
  f[1] = WEFT_I64("offset", (int64_t)offset);
  f[2] = WEFT_U64("bytes", pm_bytes(count, dt));
  pm_call_begin(call, site, type, f, 3);
}

/* The eight read/write calls differ only in name, direction and whether
 * they take an offset; one macro per shape keeps them identical.  FWD is
 * the call made: PMPI's, or for the two writes HDF5 makes, libweft-mpi's
 * own MPI_* definitions (metadata_shield.c, guard.h), which this library
 * hides. */
#define PM_IO_AT(NAME, BUFQ, FWD)                                              \
  int MPI_##NAME(MPI_File fh, MPI_Offset offset, BUFQ void *buf, int count,    \
                 MPI_Datatype dt, MPI_Status *status) {                        \
    static weft_site site;                                                     \
    if (!traced())                                                             \
      return FWD(fh, offset, buf, count, dt, status);                          \
    pm_call call;                                                              \
    io_begin(&call, &site, "MPI_" #NAME, fh, offset, count, dt);               \
    int rc = FWD(fh, offset, buf, count, dt, status);                          \
    pm_call_end(&call, rc);                                                    \
    return rc;                                                                 \
  }

#define PM_IO(NAME, BUFQ)                                                      \
  int MPI_##NAME(MPI_File fh, BUFQ void *buf, int count, MPI_Datatype dt,      \
                 MPI_Status *status) {                                         \
    static weft_site site;                                                     \
    if (!traced())                                                             \
      return PMPI_##NAME(fh, buf, count, dt, status);                          \
    pm_call call;                                                              \
    io_begin(&call, &site, "MPI_" #NAME, fh, -1, count, dt);                   \
    int rc = PMPI_##NAME(fh, buf, count, dt, status);                          \
    pm_call_end(&call, rc);                                                    \
    return rc;                                                                 \
  }

#define PM_NOQ

PM_IO_AT(File_read_at, PM_NOQ, PMPI_File_read_at)
PM_IO_AT(File_read_at_all, PM_NOQ, PMPI_File_read_at_all)
PM_IO_AT(File_write_at, const, weft__shield_write_at)
PM_IO_AT(File_write_at_all, const, weft__shield_write_at_all)
PM_IO(File_read, PM_NOQ)
PM_IO(File_read_all, PM_NOQ)
PM_IO(File_write, const)
PM_IO(File_write_all, const)
