/*
 * guard.h - what libweft-pmpi must know about libweft-mpi's own MPI use.
 *
 * libweft-pmpi records the application's MPI calls.  The MPI traffic of
 * libweft-mpi itself is never recorded: its own calls go to PMPI_*
 * directly, but HDF5, which it drives during weft_mpi_init, _flush and
 * _finalize, calls the MPI_* names.  So libweft-mpi marks the calling
 * thread as "inside Weft" for as long as it drives HDF5, and the PMPI
 * wrappers pass every call made on that thread straight through.
 *
 * The mark is a per-thread depth (it nests), so that libweft-pmpi can set
 * it as well around the weft_mpi_* calls it makes itself.
 */
#ifndef WEFT_MPI_GUARD_H
#define WEFT_MPI_GUARD_H

#include "weft_int.h"

#include <mpi.h>

/* Enter / leave a region whose MPI calls belong to Weft (they nest). */
WEFT_INTERNAL void weft__mpi_guard_enter(void);
WEFT_INTERNAL void weft__mpi_guard_leave(void);
/* 1 when the calling thread is inside such a region. */
WEFT_INTERNAL int weft__mpi_guarded(void);

/* A function libweft-pmpi registers so that it can finish the job-wide
 * action it opened (see docs/causality.md) before weft_mpi_finalize writes
 * the last events; weft_mpi_finalize calls weft__mpi_before_finalize()
 * first.  NULL unregisters. */
typedef void (*weft__mpi_finalize_hook)(void);
WEFT_INTERNAL void weft__mpi_finalize_hook_set(weft__mpi_finalize_hook fn);
WEFT_INTERNAL void weft__mpi_before_finalize(void);

/* libweft-pmpi at MPI_Init, when the application has not initialised
 * libweft: weft_init as weft_mpi_init(comm, NULL) would do it, with the
 * crash journal beside the log that call will write (whose default name
 * is chosen now, collectively over comm, and kept for it; its absolute
 * path in log[cap]; "" when none could be had, and why in why_none), so
 * that a job that never reaches
 * MPI_Finalize leaves its events for `weft recover`.  The WEFT_*
 * settings weft_mpi_init checks are checked first, and the ranks agree:
 * libweft is initialised on every rank or on none.
 * weft__journal_dir_cleanup() after weft_shutdown removes the default
 * journal directory when it is left empty. */
WEFT_INTERNAL int weft__journal_init_early(MPI_Comm comm, char *log, size_t cap,
                                           char *why_none, size_t why_cap);
WEFT_INTERNAL void weft__journal_dir_cleanup(void);
/* Name this process's journal, if it has one: its rank in the log's
 * communicator (-1: none yet, docs/journal.md), its rank and the size of
 * MPI_COMM_WORLD, the Slurm job, and the log (an absolute path, or ""). */
WEFT_INTERNAL void weft__journal_name(int rank, const char *log);
/* path itself when absolute (or when the working directory cannot be
 * had), else the working directory joined to it in buf. */
WEFT_INTERNAL const char *weft__path_absolute(const char *path, char *buf,
                                              size_t cap);
/* After the log was written (or not) at MPI_Finalize: rank 0 removes the
 * empty file that held the default name weft__journal_init_early chose,
 * when no log took it (the application wrote its own elsewhere). */
WEFT_INTERNAL void weft__output_name_release(void);

/* 1 when no log is open and the last one was closed by a
 * weft_mpi_finalize that wrote everything (not by a last flush at a stop
 * signal: what is logged after that is for weft recover). */
WEFT_INTERNAL int weft__mpi_log_complete(void);

/* The trace mode for an MPI call made now by the calling thread:
 * WEFT_MPI_TRACE_OFF inside a guarded region, else weft_mpi_trace_get()
 * (trace_mode.c). */
WEFT_INTERNAL int weft__mpi_trace_now(void);

/* MPI_File_write_at and MPI_File_write_at_all as libweft-mpi defines them
 * (metadata_shield.c): a wrapper of libweft-pmpi calls these instead of
 * PMPI_*, so that a failed write inside HDF5's metadata flush does not
 * hang the job when libweft-pmpi's wrapper comes first. */
WEFT_INTERNAL int weft__shield_write_at(MPI_File fh, MPI_Offset offset,
                                        const void *buf, int count,
                                        MPI_Datatype dt, MPI_Status *status);
WEFT_INTERNAL int weft__shield_write_at_all(MPI_File fh, MPI_Offset offset,
                                            const void *buf, int count,
                                            MPI_Datatype dt,
                                            MPI_Status *status);

#endif /* WEFT_MPI_GUARD_H */
