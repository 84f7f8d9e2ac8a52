/*
 * capture_tree.c - print captured events as an eliot-tree style tree.
 */
#include "capture_tree.h"

#include <inttypes.h>
#include <stdlib.h>

/* Events sort by task (in order of first appearance), then by task level
 * compared element by element: that is Eliot's causal order, and it needs
 * no clock, so it also orders events of different threads. */
typedef struct sort_key {
  const weft_event *e;
  size_t task_rank; /* index of the task's first event in the capture */
} sort_key;

static int level_cmp(const weft_event *a, const weft_event *b) {
  size_t n = a->level_len < b->level_len ? a->level_len : b->level_len;
  for (size_t i = 0; i < n; i++)
    if (a->level[i] != b->level[i])
      return a->level[i] < b->level[i] ? -1 : 1;
  return (a->level_len > b->level_len) - (a->level_len < b->level_len);
}

static int key_cmp(const void *pa, const void *pb) {
  const sort_key *a = pa, *b = pb;
  if (a->task_rank != b->task_rank)
    return a->task_rank < b->task_rank ? -1 : 1;
  int c = level_cmp(a->e, b->e);
  if (c != 0)
    return c;
  return (a->e->thread > b->e->thread) - (a->e->thread < b->e->thread);
}

static void print_value(const weft_value *v, FILE *out) {
  switch (v->type) {
  case WEFT_TYPE_I64:
    fprintf(out, "%" PRId64, v->v.i64);
    break;
  case WEFT_TYPE_U64:
    fprintf(out, "%" PRIu64, v->v.u64);
    break;
  case WEFT_TYPE_F64:
    fprintf(out, "%g", v->v.f64);
    break;
  case WEFT_TYPE_BOOL:
    fputs(v->v.b ? "true" : "false", out);
    break;
  case WEFT_TYPE_STR:
    fprintf(out, "\"%s\"%s", v->v.str.ptr,
            v->v.str.original_len > v->v.str.len ? "..." : "");
    break;
  case WEFT_TYPE_I64_ARRAY:
  case WEFT_TYPE_F64_ARRAY:
    fputs(v->type == WEFT_TYPE_I64_ARRAY ? "int64[" : "float64[", out);
    for (uint32_t d = 0; d < v->v.arr.ndim; d++)
      fprintf(out, "%s%" PRIu64, d ? "x" : "", v->v.arr.shape[d]);
    fprintf(out, "](min %g, max %g, mean %g", v->v.arr.min, v->v.arr.max,
            v->v.arr.mean);
    if (v->v.arr.nan_count)
      fprintf(out, ", %" PRIu64 " NaN", v->v.arr.nan_count);
    fputs(")", out);
    break;
  }
}

static const char *status(weft_kind k) {
  switch (k) {
  case WEFT_KIND_START:
    return "started";
  case WEFT_KIND_SUCCESS:
    return "succeeded";
  case WEFT_KIND_FAILURE:
    return "failed";
  case WEFT_KIND_MESSAGE:
    break;
  }
  return "message";
}

/* Depth of an event in the tree.  An action at level L (its start is
 * L+[1]) is drawn at depth len(L), and what it contains one deeper.  A
 * message at level [1] is a task of its own (a root action's [1] is its
 * start), so it is drawn at depth 0. */
static size_t depth(const weft_event *e) {
  if (e->kind == WEFT_KIND_MESSAGE)
    return e->level_len == 1 && e->level[0] == 1 ? 0 : e->level_len;
  return e->level_len - 1;
}

static void print_event(const weft_event *e, FILE *out) {
  for (size_t i = 0; i < depth(e); i++)
    fputs("    ", out);
  fprintf(out, "%s%s => %s", e->type, e->level_str, status(e->kind));
  if (e->kind == WEFT_KIND_SUCCESS || e->kind == WEFT_KIND_FAILURE)
    fprintf(out, " (%.3f ms)", (double)e->elapsed_ns / 1e6);
  if (e->thread != 0)
    fprintf(out, " [thread %" PRIu32 "]", e->thread);
  if (e->kind == WEFT_KIND_FAILURE) {
    fprintf(out, " reason=\"%s\"", e->reason ? e->reason : "");
    if (e->code)
      fprintf(out, " code=%" PRId64, e->code);
  }
  for (size_t i = 0; i < e->nfields; i++) {
    fprintf(out, " %s=", e->fields[i].name);
    print_value(&e->fields[i], out);
  }
  fputc('\n', out);
}

int capture_tree_print(const weft_capture *c, FILE *out) {
  size_t n = weft_capture_count(c);
  sort_key *keys = calloc(n ? n : 1, sizeof *keys);
  if (!keys)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const weft_event *e = weft_capture_event(c, i);
    keys[i].e = e;
    keys[i].task_rank = i;
    for (size_t j = 0; j < i; j++) /* small captures: quadratic is fine */
      if (keys[j].e->task_hi == e->task_hi &&
          keys[j].e->task_lo == e->task_lo) {
        keys[i].task_rank = keys[j].task_rank;
        break;
      }
  }
  qsort(keys, n, sizeof *keys, key_cmp);
  for (size_t i = 0; i < n; i++)
    print_event(keys[i].e, out);
  free(keys);
  return 0;
}
