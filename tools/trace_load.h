/*
 * trace_load.h - decodes the streams of opened Weft logs into the causal
 * tree model: reader (records) -> weft__decoder (events with task levels)
 * -> weft__model (nodes), one (file, rank, thread) stream at a time and in
 * bounded chunks.
 */
#ifndef WEFT_TOOLS_TRACE_LOAD_H
#define WEFT_TOOLS_TRACE_LOAD_H

#include "reader.h"
#include "tree_model.h"

#include <stddef.h>

/* Load every stream of traces[0..n) into m and finish m.  progress: report
 * progress on stderr when there are more than a few million events.
 * Returns 0, or -1 (the file is at fault) or WEFT__LOAD_NOMEM (memory ran
 * out) with a one-line reason in err and the index of the file being read
 * in *bad. */
#define WEFT__LOAD_NOMEM (-2)
int weft__trace_load(weft__model *m, weft__trace *traces, size_t n,
                     int progress, char *err, size_t errcap, size_t *bad);

#endif
