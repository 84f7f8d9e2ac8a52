/*
 * view_data.h - the data of the HTML view (`weft view`) as one JSON
 * object: lanes (one per file, rank and thread), action types, tasks,
 * nodes in tree order with their fields, cross-rank links, and, when the
 * log holds more nodes than a browser page can take, the summary bars of
 * what was left out.
 *
 * Aggregation: above max_nodes nodes, actions are taken slowest first,
 * each with its missing ancestors (so the tree stays connected and the
 * outermost actions stay), until max_nodes are kept; the others are
 * summed per lane and type (count, total elapsed, first start, last end).
 */
#ifndef WEFT_TOOLS_VIEW_DATA_H
#define WEFT_TOOLS_VIEW_DATA_H

#include "mpi_edges.h"
#include "outbuf.h"
#include "tree_model.h"

#include <stddef.h>
#include <stdint.h>

typedef const char *(*weft__view_host_fn)(void *arg, uint32_t file,
                                          uint32_t rank);

typedef struct weft__view_input {
  const weft__model *m;
  const weft__edges *edges; /* MPI message edges, or NULL */
  const char *const *files; /* input file names */
  size_t nfiles;
  weft__view_host_fn host; /* host of (file, rank), or NULL */
  void *host_arg;
  uint32_t max_nodes; /* aggregate above this many nodes */
} weft__view_input;

/* Write the JSON object.  Returns 0 or -1 (out of memory). */
int weft__view_data(weft__out *o, const weft__view_input *in);

#endif
