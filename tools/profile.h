/*
 * profile.h - `weft profile`: per action type count, total, mean, p50, p95
 * and max elapsed, overall and per rank; the slowest instances with their
 * inputs; Spearman correlation of numeric inputs with elapsed time; load
 * imbalance of the types run on every rank that logged events, and the
 * ranks that logged none.
 */
#ifndef WEFT_TOOLS_PROFILE_H
#define WEFT_TOOLS_PROFILE_H

#include "outbuf.h"
#include "select.h"
#include "tree_model.h"

enum weft__profile_format {
  WEFT__PROFILE_TEXT,
  WEFT__PROFILE_CSV,
  WEFT__PROFILE_JSON
};

typedef struct weft__profile_opts {
  int format;         /* weft__profile_format */
  uint32_t top;       /* slowest instances listed per type */
  int raw;            /* text: exact durations */
  int ascii;          /* text: "us" instead of "µs" */
  int per_rank;       /* text: the per-rank table too */
  size_t field_limit; /* text: characters of an input value (0: whole) */
  uint32_t job_ranks; /* ranks of the job (the largest mpi_size of the
                         files), so that ranks that logged nothing, past
                         the highest one that did, are seen; 0: unknown,
                         the ranks up to the highest one in the model */
} weft__profile_opts;

/* Profile the selected, finished actions of a finished model (actions
 * without a start are skipped; unfinished ones count with the time to
 * their last event).  Load imbalance is over the ranks (of --rank, when
 * given) that logged any event; the others are listed as ranks with no
 * events.  Returns 0 or -1 (out of memory). */
int weft__profile_write(weft__out *o, const weft__model *m,
                        const weft__select *sel, const weft__profile_opts *opt);

#endif
