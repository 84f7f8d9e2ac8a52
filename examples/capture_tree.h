/*
 * capture_tree.h - print the events of a weft_capture as a tree, the way
 * eliot-tree prints an Eliot log.  Used by the examples that run without
 * MPI; the `weft` tool does the same for HDF5 trace files.
 */
#ifndef CAPTURE_TREE_H
#define CAPTURE_TREE_H

#include <weft.h>

#include <stdio.h>

/* Print every event of the stopped capture `c` to `out`, task by task in
 * causal order (sorted by task level, so events of other threads that
 * continued a serialized context land under their parent).  One line per
 * event: indentation by depth, "type/level => status", elapsed time for
 * finished actions, the thread when it is not 0, then the fields.
 * Returns 0, or -1 when memory ran out. */
int capture_tree_print(const weft_capture *c, FILE *out);

#endif /* CAPTURE_TREE_H */
