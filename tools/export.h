/*
 * export.h - `weft export`: the causal tree as Eliot JSON lines, as Chrome
 * / Perfetto trace-event JSON, or as CSV with one row per action.
 */
#ifndef WEFT_TOOLS_EXPORT_H
#define WEFT_TOOLS_EXPORT_H

#include "mpi_edges.h"
#include "outbuf.h"
#include "select.h"
#include "tree_model.h"

/* Host name of (file, rank), or NULL when unknown. */
typedef const char *(*weft__host_fn)(void *arg, uint32_t file, uint32_t rank);

typedef struct weft__export {
  weft__out *o;
  const weft__model *m;
  const weft__select *sel;
  weft__host_fn host;
  void *host_arg;
  const weft__edges *edges; /* MPI message edges (chrome flows), or NULL */
} weft__export;

/* Eliot JSON lines.  Node filters select whole tasks (a task is written
 * when any node matches) because Eliot's parser needs whole actions.
 * Levels are renumbered by position (start 1, children in tree order, end
 * last) so that a context continued N times gives N distinct levels.  A
 * message names its strings that were cut when logged in "weft_cut". */
int weft__export_eliot(const weft__export *x);
/* Chrome trace-event JSON ("X" slices, "i" instants, "s"/"f" flow events
 * from each action to work it caused on another rank or thread). */
int weft__export_chrome(const weft__export *x);
/* CSV, one row per selected action; start fields as in.<name>, success
 * fields as out.<name>, each followed by cut.in.<name> / cut.out.<name>
 * (true / false) when some string of it was cut when logged. */
int weft__export_csv(const weft__export *x);

/* Per task: 1 when the task is selected and has a node matching the node
 * filters (every selected task when there are none).  NULL on out of
 * memory; free() it. */
unsigned char *weft__export_tasks(const weft__export *x);

#endif
