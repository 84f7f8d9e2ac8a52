/*
 * recover.h - libweft-mpi's writer for `weft recover` (internal; the tool
 * links libweft-mpi): it writes record streams that were read elsewhere (a
 * crashed job's journals) into a log, as one new epoch, collectively over
 * the processes of `comm`, each of which holds the streams of any number
 * of the job's ranks.  docs/resilience.md describes the recovery.
 */
#ifndef WEFT_MPI_RECOVER_H
#define WEFT_MPI_RECOVER_H

#include "weft_int.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* One thread's records (whole records, docs/encoding.md). */
typedef struct weft__recover_stream {
  uint32_t thread;
  const unsigned char *data;
  size_t len;
} weft__recover_stream;

/* One rank of the crashed job, as found in its journal. */
typedef struct weft__recover_rank {
  uint32_t rank;
  weft__dict dict;           /* its names and schemas */
  uint32_t nnames, nschemas; /* dictionary ids are below these */
  const weft__recover_stream *streams;
  size_t nstreams;
  /* From the journal header (used when the log is created anew). */
  char host[64];
  char job[64];
  int64_t pid;
  int64_t anchor_mono_ns, anchor_wall_ns, created_wall_ns;
  /* Its rank in MPI_COMM_WORLD and the world's size (a version 3
   * journal: weft__journal_read_world); UINT32_MAX and 0 when unknown. */
  uint32_t world_rank, world_size;
} weft__recover_rank;

typedef struct weft__recover_result {
  uint64_t epoch;   /* the epoch written */
  uint64_t events;  /* records written, all processes */
  uint64_t actions; /* /actions rows appended, all processes */
  /* Actions begun before the log's last commit, with an end or still open
   * in the journals, that could not be told to have one row or none in
   * the log (an /actions row names its rank, schema and start, no record):
   * their key is on several rows, or on a row that ended, or on several
   * such actions.  The log's rows were left as they were (an `unfinished`
   * one stays so) and none was added for them.  All processes. */
  uint64_t unsettled;
  /* Ranks whose journal named a world rank that their /ranks row does not
   * hold: it clashed with another rank's (two ranks of one world cannot
   * share one), or came with another world size than the log's, or
   * differed from the one the log's row already held.  Their rows keep
   * what the log said, or say unknown.  All processes. */
  uint32_t world_unknown;
  uint32_t mpi_size; /* ranks of the log */
  uint32_t ranks;    /* ranks that contributed records, all processes */
} weft__recover_result;

/* Collective over comm.  create: make a new log at path (replacing what is
 * there), with mpi_size = 1 + the highest rank given by any process;
 * otherwise open the log and append.  Writes the names, schemas, records,
 * segments (without leaf rows: records stay two per short action, as in
 * the journals), derived /actions rows (actions still open at the end of a
 * stream are unfinished; a log's `unfinished` row of an action whose end
 * the journals hold is rewritten with it) and one /flushes row per rank of
 * the log, then commits.  A /ranks row that does not know its world rank
 * takes its journal's, unless that one clashes (world_unknown).  Appends
 * only to logs of this format's major
 * version (WEFT_EFORMAT otherwise).
 * Every process returns the same code (weft__agree); WEFT_EINVAL when a
 * rank is out of range or given twice. */
WEFT_INTERNAL int weft__recover_write(MPI_Comm comm, const char *path,
                                      int create,
                                      const weft__recover_rank *ranks,
                                      size_t nranks, weft__recover_result *res);

#endif /* WEFT_MPI_RECOVER_H */
