/*
 * select.c - node and task selection.
 */
#include "select.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void weft__select_init(weft__select *s) {
  memset(s, 0, sizeof *s);
  s->min_duration = -1;
  s->since = INT64_MIN;
  s->until = INT64_MAX;
}

void weft__select_release(weft__select *s) {
  for (size_t i = 0; i < s->nwhere; i++) {
    free(s->where[i].field);
    free(s->where[i].text);
  }
  free(s->where);
  free(s->ranks);
  weft__select_init(s);
}

static char *dup_trim(const char *a, const char *b) {
  while (a < b && isspace((unsigned char)*a))
    a++;
  while (b > a && isspace((unsigned char)b[-1]))
    b--;
  if (b - a >= 2 && (*a == '\'' || *a == '"') && b[-1] == *a) {
    a++;
    b--;
  }
  char *r = malloc((size_t)(b - a) + 1);
  if (r) {
    memcpy(r, a, (size_t)(b - a));
    r[b - a] = 0;
  }
  return r;
}

int weft__select_add_where(weft__select *s, const char *expr) {
  static const struct {
    const char *text;
    int op;
  } ops[] = {{"==", WEFT__OP_EQ}, {"!=", WEFT__OP_NE}, {"<=", WEFT__OP_LE},
             {">=", WEFT__OP_GE}, {"=", WEFT__OP_EQ},  {"<", WEFT__OP_LT},
             {">", WEFT__OP_GT},  {"~", WEFT__OP_GLOB}};
  const char *at = NULL;
  int op = 0;
  size_t oplen = 0;
  /* The first operator character splits field and value. */
  for (const char *p = expr; *p && !at; p++)
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
      if (!strncmp(p, ops[k].text, strlen(ops[k].text))) {
        at = p;
        op = ops[k].op;
        oplen = strlen(ops[k].text);
        break;
      }
  if (!at)
    return -1;
  weft__where w = {0};
  w.op = op;
  w.field = dup_trim(expr, at);
  w.text = dup_trim(at + oplen, at + strlen(at));
  if (!w.field || !w.text || !*w.field) {
    free(w.field);
    free(w.text);
    return -1;
  }
  char *end;
  w.num = strtod(w.text, &end);
  w.is_num = *w.text && !*end && isfinite(w.num);
  weft__where *nw = realloc(s->where, (s->nwhere + 1) * sizeof *nw);
  if (!nw) {
    free(w.field);
    free(w.text);
    return -1;
  }
  s->where = nw;
  s->where[s->nwhere++] = w;
  return 0;
}

int weft__select_add_ranks(weft__select *s, const char *spec) {
  const char *p = spec;
  while (*p) {
    char *end;
    unsigned long a = strtoul(p, &end, 10), b;
    if (end == p || a > 1u << 24)
      return -1;
    b = a;
    p = end;
    if (*p == '-') {
      b = strtoul(p + 1, &end, 10);
      if (end == p + 1 || b < a || b > 1u << 24)
        return -1;
      p = end;
    }
    if (b + 1 > s->nranks) {
      unsigned char *r = realloc(s->ranks, b + 1);
      if (!r)
        return -1;
      memset(r + s->nranks, 0, b + 1 - s->nranks);
      s->ranks = r;
      s->nranks = (uint32_t)b + 1;
    }
    for (unsigned long r = a; r <= b; r++)
      s->ranks[r] = 1;
    if (*p == ',')
      p++;
    else if (*p)
      return -1;
  }
  return s->ranks ? 0 : -1;
}

int weft__select_add_status(weft__select *s, const char *spec) {
  const char *p = spec;
  while (*p) {
    size_t n = strcspn(p, ",");
    if (n == 9 && !strncmp(p, "succeeded", n))
      s->status |= WEFT__STATUS_SUCCEEDED;
    else if (n == 6 && !strncmp(p, "failed", n))
      s->status |= WEFT__STATUS_FAILED;
    else if (n == 10 && !strncmp(p, "unfinished", n))
      s->status |= WEFT__STATUS_UNFINISHED;
    else if (n == 7 && !strncmp(p, "message", n))
      s->status |= WEFT__STATUS_MESSAGE;
    else
      return -1;
    p += n;
    if (*p)
      p++;
  }
  return s->status ? 0 : -1;
}

int weft__select_set_task(weft__select *s, const char *id) {
  char hex[33];
  size_t n = 0;
  for (const char *p = id; *p; p++) {
    if (*p == '-')
      continue;
    if (!isxdigit((unsigned char)*p) || n == 32)
      return -1;
    hex[n++] = (char)tolower((unsigned char)*p);
  }
  if (n != 32)
    return -1;
  hex[32] = 0;
  char hi[17], lo[17];
  memcpy(hi, hex, 16);
  hi[16] = 0;
  memcpy(lo, hex + 16, 17);
  s->task = id;
  s->task_hi = strtoull(hi, NULL, 16);
  s->task_lo = strtoull(lo, NULL, 16);
  return 0;
}

void weft__task_uuid(char out[37], uint64_t hi, uint64_t lo) {
  /* 8-4-4-4-12 hex digits; straight-line, as it runs once per task */
  static const char hex[] = "0123456789abcdef";
  char d[32];
  for (int k = 0; k < 16; k++) {
    d[k] = hex[(hi >> (60 - 4 * k)) & 15];
    d[16 + k] = hex[(lo >> (60 - 4 * k)) & 15];
  }
  memcpy(out, d, 8);
  out[8] = '-';
  memcpy(out + 9, d + 8, 4);
  out[13] = '-';
  memcpy(out + 14, d + 12, 4);
  out[18] = '-';
  memcpy(out + 19, d + 16, 4);
  out[23] = '-';
  memcpy(out + 24, d + 20, 12);
  out[36] = 0;
}

int weft__select_filters_nodes(const weft__select *s) {
  return s->ranks || s->ntypes || s->nwhere || s->status ||
         s->min_duration >= 0 || s->since != INT64_MIN || s->until != INT64_MAX;
}

int weft__select_task(const weft__select *s, const weft__model *m, uint32_t t) {
  return !s->task ||
         (m->tasks[t].hi == s->task_hi && m->tasks[t].lo == s->task_lo);
}

static int where_holds(const weft__where *w, const weft__model *m, uint32_t i) {
  uint32_t name = weft__strtab_find(&m->names, w->field, strlen(w->field));
  if (name == UINT32_MAX)
    return 0;
  const weft__mvalue *v = weft__model_field(m, i, name);
  if (!v)
    return 0;
  double x;
  if (weft__mvalue_number(v, &x) && w->is_num && w->op != WEFT__OP_GLOB) {
    switch (w->op) {
    case WEFT__OP_EQ:
      return x == w->num;
    case WEFT__OP_NE:
      return x != w->num;
    case WEFT__OP_LT:
      return x < w->num;
    case WEFT__OP_LE:
      return x <= w->num;
    case WEFT__OP_GT:
      return x > w->num;
    default:
      return x >= w->num;
    }
  }
  if (v->type == WEFT_TYPE_BOOL && w->op <= WEFT__OP_NE) {
    int want = !strcmp(w->text, "true") || !strcmp(w->text, "1");
    return (v->v.i64 != 0) == want ? w->op == WEFT__OP_EQ
                                   : w->op == WEFT__OP_NE;
  }
  if (v->type != WEFT_TYPE_STR)
    return 0;
  const char *str = weft__model_str(m, v, NULL);
  int c = strcmp(str, w->text);
  switch (w->op) {
  case WEFT__OP_EQ:
    return c == 0;
  case WEFT__OP_NE:
    return c != 0;
  case WEFT__OP_LT:
    return c < 0;
  case WEFT__OP_LE:
    return c <= 0;
  case WEFT__OP_GT:
    return c > 0;
  case WEFT__OP_GE:
    return c >= 0;
  default:
    return fnmatch(w->text, str, 0) == 0;
  }
}

int weft__select_node(const weft__select *s, const weft__model *m, uint32_t i) {
  const weft__node *n = &m->nodes[i];
  if (s->ranks && (n->rank >= s->nranks || !s->ranks[n->rank]))
    return 0;
  if (s->status) {
    static const unsigned bit[] = {WEFT__STATUS_MESSAGE, WEFT__STATUS_SUCCEEDED,
                                   WEFT__STATUS_FAILED,
                                   WEFT__STATUS_UNFINISHED};
    if (!(s->status & bit[n->status]))
      return 0;
  }
  if (s->ntypes) {
    const char *type = weft__model_name(m, n->type);
    size_t k = 0;
    while (k < s->ntypes && fnmatch(s->types[k], type, 0) != 0)
      k++;
    if (k == s->ntypes)
      return 0;
  }
  if (s->min_duration >= 0 && weft__model_elapsed(m, i) < s->min_duration)
    return 0;
  if (n->start >= s->until || n->end < s->since)
    return 0;
  for (size_t k = 0; k < s->nwhere; k++)
    if (!where_holds(&s->where[k], m, i))
      return 0;
  return 1;
}
