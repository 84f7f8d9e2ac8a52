/*
 * info_print.h - `weft info`: what one log holds (job and Slurm metadata,
 * ranks and hosts, flushes, counts, clock offsets with error bounds,
 * dropped events, Weft's own notices, format version).
 */
#ifndef WEFT_TOOLS_INFO_PRINT_H
#define WEFT_TOOLS_INFO_PRINT_H

#include "outbuf.h"
#include "reader.h"
#include "tree_model.h"

/* Counts of the decoded tree for one file. */
typedef struct weft__info_counts {
  uint64_t actions, succeeded, failed, unfinished, messages, tasks;
  int64_t first, last; /* earliest / latest event, job timeline ns */
} weft__info_counts;

/* Count the nodes of file `file` in a finished model. */
void weft__info_count(const weft__model *m, uint32_t file,
                      weft__info_counts *c);
/* Print the description of t (file index `file` of model m, which may be
 * NULL).  flushes: list every clock sample. */
void weft__info_write(weft__out *o, const weft__trace *t,
                      const weft__info_counts *c, const weft__model *m,
                      uint32_t file, int flushes, int raw);

/* The `notices:` lines: one per kind of Weft's own message in file
 * `file` of m (type weft:..., and for weft:limit which limit), with the
 * ranks it came from (of nranks), how often, and the fields of its first
 * occurrence; then, when `dropped` (the events the ranks dropped, from
 * /flushes) is more than the weft:dropped messages count, how many were
 * never reported in the trace; "none" when there is nothing.  -1 when out
 * of memory (then nothing was printed). */
int weft__info_notices(weft__out *o, const weft__model *m, uint32_t file,
                       uint32_t nranks, uint64_t dropped);

#endif
