/*
 * journal.h - buffers backed by a file mapping, so that what a process
 * logged survives its death (a crash, SIGKILL, MPI_Abort): the kernel keeps
 * the pages of a MAP_SHARED mapping and writes them back to the file.
 *
 * docs/journal.md is the format.  In short, a journal is two files named
 * after the host and pid: `<host>.<pid>.wj` holds a 4 KiB header and the
 * buffer blocks themselves (so logging costs no system call), and
 * `<host>.<pid>.wjd` the names and schemas, appended as they are interned
 * (rare, off the hot path).  A block's checksum is computed when its owner
 * seals it; the block being filled has none, and readers trust it up to
 * its published `used`.
 */
#ifndef WEFT_JOURNAL_H
#define WEFT_JOURNAL_H

#include "weft_int.h"

#include <stddef.h>
#include <stdint.h>

#define WEFT__JOURNAL_MAGIC "WEFTJNL1"
/* 2: short SUCCESS records (record.h); 3: the process's place in
 * MPI_COMM_WORLD (world_rank, world_size) after the checksum, and a second
 * checksum over them.  Readers take 1 and 2 too (their world rank is
 * unknown). */
#define WEFT__JOURNAL_VERSION 3
#define WEFT__JOURNAL_HEADER 4096
#define WEFT__BLOCK_MAGIC 0x4b4c4257u /* "WBLK" */
#define WEFT__DICT_NAME 1
#define WEFT__DICT_SCHEMA 2

/* Check value of a block header's owner and sequence number. */
static inline uint32_t weft__block_ident(uint32_t thread, uint64_t seq) {
  uint64_t x = ((uint64_t)thread << 40) ^ seq ^ 0x5745465442ull;
  x *= 0x9e3779b97f4a7c15ull;
  return (uint32_t)(x >> 32);
}

/* The first bytes of the journal file (the rest of its 4 KiB is zero). */
typedef struct weft__journal_header {
  char magic[8];        /* WEFT__JOURNAL_MAGIC */
  uint32_t version;     /* WEFT__JOURNAL_VERSION */
  uint32_t header_size; /* WEFT__JOURNAL_HEADER */
  uint64_t block_size;  /* data bytes per block */
  uint64_t slot_size;   /* bytes per slot: 64-byte header + data */
  uint64_t nslots;      /* slots after the header */
  int64_t pid;
  int32_t rank;           /* set by libweft-mpi; -1 before */
  uint32_t clock_tsc;     /* 1 when stamps came from the TSC */
  int64_t anchor_mono_ns; /* a (monotonic, wall) pair of this process */
  int64_t anchor_wall_ns;
  int64_t created_wall_ns;
  char host[64];
  char job[64];      /* e.g. the Slurm job id; set by libweft-mpi */
  char log[1024];    /* the HDF5 log it belongs to; set by libweft-mpi */
  uint64_t checksum; /* XXH3-64 of the bytes before this field */
  /* Since version 3, set by libweft-mpi (the log's `rank` may be in a
   * split or reordered communicator; libweft-pmpi's peers are world
   * ranks).  They come after the checksum of versions 1 and 2, which
   * stays where it was, so that an older reader finds the header intact
   * and refuses it for its version, not as damaged; checksum3 covers
   * them and everything before. */
  int32_t world_rank;  /* rank in MPI_COMM_WORLD; -1 before */
  uint32_t world_size; /* size of MPI_COMM_WORLD; 0 before */
  uint64_t checksum3;  /* XXH3-64 of the bytes before this field */
} weft__journal_header;

_Static_assert(offsetof(weft__journal_header, checksum) == 1232 &&
                   offsetof(weft__journal_header, world_rank) == 1240 &&
                   offsetof(weft__journal_header, checksum3) == 1248 &&
                   sizeof(weft__journal_header) <= WEFT__JOURNAL_HEADER,
               "journal header layout (docs/journal.md)");

/* Open a journal in directory dir (created if missing) for `nslots`
 * blocks of `block_size` data bytes; maps it and returns the address of
 * slot 0 in *slots.  At least the first *small_slots slots keep small
 * pages, the others are advised for transparent huge pages (buffer.c
 * says why); *small_slots is set to the number that do.  Errors:
 * WEFT_EIO with the path in weft_errmsg(). */
int weft__journal_open(const char *dir, size_t block_size, size_t nslots,
                       size_t *small_slots, unsigned char **slots,
                       size_t *slot_size);
/* Unmap and close.  remove: delete both files (nothing is left unwritten). */
void weft__journal_close(int remove);
/* 1 while a journal is open. */
int weft__journal_active(void);
/* Append an entry to the dictionary file (under the schema lock). */
void weft__journal_dict_append(uint8_t type, const void *body, size_t len);
/* Record in the journal header the process's rank in MPI_COMM_WORLD and
 * the world's size (libweft-mpi, which has MPI, calls it beside
 * weft__journal_set_meta).  WEFT_ENOTFOUND without journal. */
WEFT_INTERNAL int weft__journal_set_world(int world_rank, int world_size);
/* Set both checksums of a header after a change to it. */
WEFT_INTERNAL void weft__journal_header_seal(weft__journal_header *h);
/* Set the journal file at path, no longer open, back to naming no rank,
 * no world rank and no log (libweft-pmpi: a journal it named
 * provisionally for `log` whose libweft the application shut down).  Only
 * a header of this version, that checks and still names that log
 * provisionally (rank -1, a world rank), is rewritten; a file that is
 * gone (weft_shutdown removes a journal whose events were all written)
 * is fine.  0, or WEFT_EIO. */
WEFT_INTERNAL int weft__journal_unname_file(const char *path, const char *log);
/* XXH3-64 of a sealed block's records. */
uint64_t weft__journal_checksum(const void *p, size_t n);

#endif /* WEFT_JOURNAL_H */
