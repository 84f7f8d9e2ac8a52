/*
 * journal_read.h - reading a journal pair left by a process (journal.h,
 * docs/journal.md): the records it holds that did not reach the log.
 *
 * The input is untrusted (a killed process, a crashed node, a truncated
 * copy): the header's checksum is checked, the dictionary is read up to its
 * first bad entry, sealed blocks are checked against their checksums, and
 * blocks without one are checked record by record up to their published
 * end.  Whatever cannot be trusted is cut, with the rest of that thread's
 * stream after it (a stream with a hole would nest wrongly), and every cut
 * is reported.  Nothing is ever guessed.
 */
#ifndef WEFT_JOURNAL_READ_H
#define WEFT_JOURNAL_READ_H

#include "journal.h"
#include "weft_int.h"

#include <stddef.h>
#include <stdint.h>

/* What was cut: thread -1 for the dictionary or the file itself. */
typedef struct weft__jr_cut {
  int64_t thread;
  uint64_t seq;    /* the block's sequence number within the thread */
  uint64_t slot;   /* the block's slot in the file */
  uint64_t offset; /* byte within the block's data (dictionary: file) */
  uint64_t bytes;  /* record bytes dropped from here on in that block */
  int bad_slot;    /* the slot's header is damaged: thread and seq are
                      what it claims */
  char why[120];
} weft__jr_cut;

/* The part of one block that is not yet in the log, as whole records. */
typedef struct weft__jr_piece {
  uint64_t slot, seq;
  uint64_t from, to; /* data offsets */
} weft__jr_piece;

/* One thread's records not yet in the log, in order. */
typedef struct weft__jr_stream {
  uint32_t thread;
  unsigned char *data; /* len bytes of whole records (owned) */
  size_t len;
  uint64_t records;
  int64_t t_last; /* time stamp of its last record */
  size_t open;    /* actions left open at its end (lenient count) */
  weft__jr_piece *pieces;
  size_t npieces;
} weft__jr_stream;

typedef struct weft__jr_name {
  uint32_t id, len;
  char *s; /* NUL-terminated (owned) */
} weft__jr_name;

typedef struct weft__journal_read {
  /* The validated header, in the current version's layout: world_rank
   * -1 and world_size 0 for versions 1 and 2, whose checksum is copied to
   * `checksum`. */
  weft__journal_header h;
  /* The dictionary: names[id], schemas[id] (NULL when not defined). */
  weft__jr_name *names;
  uint32_t nnames; /* ids below this may be defined */
  weft__schema **schemas;
  uint32_t nschemas;
  uint32_t last_name, last_schema; /* highest ids read */
  weft__jr_stream *streams;        /* by thread index order */
  size_t nstreams;
  weft__jr_cut *cuts;
  size_t ncuts;
  uint64_t blocks;  /* in-use blocks found */
  uint64_t in_log;  /* record bytes found already in the log */
  uint64_t records; /* records not yet in the log, all threads */
  int64_t t_last;   /* latest record time stamp, all threads (0: none) */
  int64_t t_first;  /* earliest record time stamp of those (0: none) */
  uint64_t bytes;   /* record bytes not yet in the log */
} weft__journal_read;

/* Which records are wanted. */
typedef struct weft__jr_want {
  /* Epochs the log has committed (0 when there is no log): a snapshot
   * taken as epoch e < log_epochs reached the log. */
  uint64_t log_epochs;
  /* 1: every record still in the journal, as if nothing had reached a log
   * (to rebuild a log that is lost). */
  int all;
} weft__jr_want;

/* Read a journal from memory: the .wj bytes and the .wjd bytes.  Returns
 * WEFT_OK (cuts are not errors), WEFT_EFORMAT when the header cannot be
 * trusted (not a journal, bad checksum, bad geometry), or WEFT_ENOTSUP for
 * an intact header of a version this reader does not read (j->h.version
 * then holds it; the rest of *j is empty), with weft_errmsg().  The
 * buffers are not kept. */
WEFT_INTERNAL int weft__journal_read_mem(weft__journal_read *j,
                                         const unsigned char *wj, size_t wjlen,
                                         const unsigned char *wjd,
                                         size_t wjdlen, weft__jr_want want);
/* Read `path` (the .wj file; the dictionary is path + "d").  WEFT_EIO when
 * a file cannot be read. */
WEFT_INTERNAL int weft__journal_read_file(weft__journal_read *j,
                                          const char *path, weft__jr_want want);
WEFT_INTERNAL void weft__journal_read_free(weft__journal_read *j);
/* The journal's names and schemas, for weft__decoder_new. */
WEFT_INTERNAL weft__dict weft__journal_read_dict(const weft__journal_read *j);

/* The rank in MPI_COMM_WORLD of the journal's process, with the world's
 * size in *world_size; UINT32_MAX and 0 when the journal does not say (a
 * version 1 or 2 journal, a writer that never set it, or a rank that is
 * not below the size). */
WEFT_INTERNAL uint32_t weft__journal_read_world(const weft__journal_read *j,
                                                uint32_t *world_size);

/* Mark in the journal file that the pieces of j reached the log as epoch
 * `epoch` (taken/epoch of each block, as a flush does), then sync it, so a
 * second recovery knows once the log has committed that epoch.  WEFT_EIO. */
WEFT_INTERNAL int weft__journal_mark_taken(const char *path,
                                           const weft__journal_read *j,
                                           uint64_t epoch);

#endif /* WEFT_JOURNAL_READ_H */
