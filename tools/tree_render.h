/*
 * tree_render.h - `weft tree` output: one line per action (type, inputs,
 * ⇒ status, ⧖ elapsed) with results beneath, in box drawing or ASCII.
 */
#ifndef WEFT_TOOLS_TREE_RENDER_H
#define WEFT_TOOLS_TREE_RENDER_H

#include "mpi_edges.h"
#include "outbuf.h"
#include "select.h"
#include "tree_model.h"

typedef struct weft__tree_opts {
  int ascii;                /* ASCII instead of box drawing and symbols */
  int color;                /* ANSI colours */
  int raw;                  /* exact durations and epoch times */
  int levels;               /* show Eliot task levels after the type */
  int subtree;              /* show the whole subtree of each match */
  size_t field_limit;       /* characters of a value (0: whole) */
  uint32_t fold_above;      /* fold runs over more ranks than this; 0: never */
  uint32_t depth;           /* deepest level shown (1: roots); 0: all */
  const weft__edges *edges; /* MPI message edges to show, or NULL */
  char *const *files;       /* input paths, by node file index ... */
  size_t nfiles;            /* ... shown beside the rank when more than 1 */
} weft__tree_opts;

/* Defaults: Unicode, no colour, field_limit 100, fold_above 4. */
void weft__tree_opts_init(weft__tree_opts *o);
/* Render every selected task of a finished model.  Returns 0, or -1 when
 * memory runs out. */
int weft__tree_render(weft__out *o, const weft__model *m,
                      const weft__select *sel, const weft__tree_opts *opt);

#endif
