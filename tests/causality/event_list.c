/*
 * event_list.c - see event_list.h.
 */
#include "event_list.h"
#include "log_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
  el_list *l;
  int rank;
} ctx;

static int keep(void *arg, uint64_t stream, const weft_event *ev) {
  (void)stream;
  ctx *c = arg;
  el_list *l = c->l;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 256;
    el_event *e = realloc(l->e, cap * sizeof *e);
    if (!e)
      return WEFT_ENOMEM;
    l->e = e;
    l->cap = cap;
  }
  el_event *e = &l->e[l->n++];
  memset(e, 0, sizeof *e);
  e->kind = (int)ev->kind;
  e->rank = c->rank;
  snprintf(e->type, sizeof e->type, "%s", ev->type ? ev->type : "");
  e->task_hi = ev->task_hi;
  e->task_lo = ev->task_lo;
  snprintf(e->level, sizeof e->level, "%s", ev->level_str);
  e->level_len = ev->level_len;
  for (size_t i = 0; i < ev->nfields && e->nf < EL_FIELDS; i++) {
    const weft_value *v = &ev->fields[i];
    if (v->type != WEFT_TYPE_I64 && v->type != WEFT_TYPE_U64 &&
        v->type != WEFT_TYPE_BOOL)
      continue;
    snprintf(e->fname[e->nf], sizeof e->fname[0], "%s", v->name);
    e->fval[e->nf++] = v->type == WEFT_TYPE_BOOL  ? v->v.b
                       : v->type == WEFT_TYPE_I64 ? v->v.i64
                                                  : (int64_t)v->v.u64;
  }
  return 0;
}

int el_load(el_list *l, const char *path) {
  memset(l, 0, sizeof *l);
  lr_log log;
  if (lr_open(&log, path) != 0)
    return -1;
  int rc = 0;
  for (uint32_t r = 0; r < log.mpi_size && rc == 0; r++) {
    ctx c = {l, (int)r};
    if (lr_decode_rank(&log, r, keep, &c) != 0)
      rc = el_fail("%s: rank %u does not decode: %s", path, r, weft_errmsg());
  }
  if (rc == 0 && !log.closed)
    rc = el_fail("%s: the log is not closed", path);
  lr_close(&log);
  return rc ? -1 : 0;
}

void el_free(el_list *l) {
  free(l->e);
  memset(l, 0, sizeof *l);
}

int el_field(const el_event *e, const char *name, int64_t *out) {
  for (int i = 0; i < e->nf; i++)
    if (!strcmp(e->fname[i], name)) {
      *out = e->fval[i];
      return 1;
    }
  return 0;
}

long el_find(const el_list *l, int kind, const char *type, int rank, int nth) {
  for (size_t i = 0; i < l->n; i++) {
    const el_event *e = &l->e[i];
    if (e->kind == kind && !strcmp(e->type, type) &&
        (rank < 0 || e->rank == rank) && nth-- == 0)
      return (long)i;
  }
  return -1;
}

size_t el_count(const el_list *l, int kind, const char *type, int rank) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->e[i].kind == kind && !strcmp(l->e[i].type, type) &&
        (rank < 0 || l->e[i].rank == rank))
      n++;
  return n;
}

int el_same_task(const el_event *a, const el_event *b) {
  return a->task_hi == b->task_hi && a->task_lo == b->task_lo;
}

int el_child_of(const el_event *child, const el_event *parent) {
  if (!el_same_task(child, parent) || child->level_len != parent->level_len + 1)
    return 0;
  /* parent "/a/b/1" -> action level "/a/b"; child "/a/b/k/1" */
  const char *cut = strrchr(parent->level, '/');
  size_t plen = cut ? (size_t)(cut - parent->level) : 0;
  return !strncmp(child->level, parent->level, plen) &&
         child->level[plen] == '/';
}

int el_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}
