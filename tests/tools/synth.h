/*
 * synth.h - synthetic decoded events for the tools' unit tests: what
 * weft__decoder would produce for a job, without a file.
 */
#ifndef WEFT_TESTS_TOOLS_SYNTH_H
#define WEFT_TESTS_TOOLS_SYNTH_H

#include "tree_model.h"

#include <stddef.h>
#include <stdint.h>

/* 2026-11-26 14:03:22 UTC, the wall time of t = 0 in the tests. */
#define SYNTH_T0 1795701802000000000LL

/* Add one event of `kind` at level "/a/b/..." of task `task` (low 64 bits;
 * the high ones are 0xabc) at SYNTH_T0 + t_us microseconds.  Fails the
 * test on error. */
void synth_event(weft__model *m, weft__stream *s, weft_kind kind,
                 const char *type, uint64_t task, const char *level,
                 int64_t t_us, const weft_value *f, size_t nf);
void synth_fail(weft__model *m, weft__stream *s, const char *type,
                uint64_t task, const char *level, int64_t t_us,
                const char *reason, int64_t code);
weft_value synth_i64(const char *name, int64_t v);
weft_value synth_u64(const char *name, uint64_t v);
weft_value synth_str(const char *name, const char *v);
/* A string cut when it was logged: v is the part kept, original_len the
 * length of the whole. */
weft_value synth_str_cut(const char *name, const char *v, size_t original_len);
/* Render / profile / export a finished model into a NUL-terminated
 * malloc'ed string. */
char *synth_take(void *out); /* takes a weft__out collected in memory */

#endif
