/*
 * waits.h - `weft profile --waits`: who made whom wait, in Scalasca's two
 * basic patterns (docs/causality.md section 4):
 *   late sender         a receiving call began before the matching send:
 *                       it waited min(send start - call start, its
 *                       elapsed), caused by the sender;
 *   wait at collective  in one collective instance (same comm, coll_seq
 *                       and type), every rank before the last waited
 *                       min(last arrival - its arrival, its elapsed),
 *                       caused by the last rank.
 * Grouped per phase (the type of the nearest enclosing action that is not
 * an MPI_* call), pattern and late rank.
 */
#ifndef WEFT_TOOLS_WAITS_H
#define WEFT_TOOLS_WAITS_H

#include "mpi_edges.h"
#include "outbuf.h"
#include "select.h"
#include "tree_model.h"

/* format: weft__profile_format (text, csv, json).  Returns 0 or -1 (out
 * of memory). */
int weft__waits_write(weft__out *o, const weft__model *m, const weft__edges *e,
                      const weft__select *sel, int format, int raw, int ascii);

#endif
