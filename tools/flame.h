/*
 * flame.h - flame graphs of a Weft trace: time per action path (the types
 * from a task's root action down to the action, following the causal
 * tree, so work continued on other ranks sits under the action that
 * caused it), summed over ranks or for one rank.
 *
 * Each action contributes its self time (elapsed minus the elapsed of its
 * child actions on the same rank and thread, never below 0) to its path;
 * a frame's width is the self time of its path plus that of every path
 * beneath it, which is what flamegraph.pl and speedscope compute from
 * folded stacks too.  Messages take no time and make no frames.
 */
#ifndef WEFT_TOOLS_FLAME_H
#define WEFT_TOOLS_FLAME_H

#include "outbuf.h"
#include "tree_model.h"

#include <stdint.h>

typedef struct weft__frame {
  uint32_t parent; /* frame index; WEFT__NONE for frame 0, the root */
  uint32_t type;   /* strtab id of the action type */
  uint32_t first_child, last_child, next_sibling;
  int64_t self;   /* ns */
  int64_t total;  /* ns: self plus the totals of the children */
  uint64_t calls; /* actions on this path */
} weft__frame;

typedef struct weft__flame {
  weft__frame *f; /* f[0]: the root, all tasks */
  uint32_t n, cap;
  uint32_t *slots; /* open addressing: (parent, type) -> frame index + 1 */
  uint32_t mask;
} weft__flame;

/* Build the frames of a finished model; rank < 0: all ranks, else only
 * actions that ran on that rank.  Returns 0 or -1 (out of memory). */
int weft__flame_build(weft__flame *fl, const weft__model *m, int64_t rank);
void weft__flame_release(weft__flame *fl);

/* Folded stacks, one line per path with self time: "a;b;c 1234" (ns),
 * parents before children. */
void weft__flame_folded(weft__out *o, const weft__flame *fl,
                        const weft__model *m);

/* A standalone SVG (root at the bottom, a <title> on every frame for
 * hover); frames narrower than a tenth of a pixel are left out.  Returns 0,
 * or -1 when memory ran out (nothing written then). */
int weft__flame_svg(weft__out *o, const weft__flame *fl, const weft__model *m,
                    const char *title);

#endif
