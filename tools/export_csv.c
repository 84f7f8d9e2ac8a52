/*
 * export_csv.c - one row per action, ready for pandas.read_csv: task,
 * level, type, status, rank, thread, host, start / end (Unix seconds),
 * elapsed (seconds), reason, code, then one column per start field
 * (in.<name>) and per success field (out.<name>), in order of first
 * appearance.  A column in which some string was cut when it was logged
 * (shown with "…" by `weft tree`) is followed by cut.in.<name> (or
 * cut.out.<name>): true where the value is cut, false where it is whole.
 * The value itself stays the text that was kept: a marker inside it would
 * look like data to pandas and could not be told from a real "…".
 */
#include "export.h"

#include "value_text.h"

#include <stdlib.h>
#include <string.h>

static void secs(weft__out *o, int64_t ns) {
  const char *sign = ns < 0 ? "-" : "";
  uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  weft__out_fmt(o, "%s%llu.%09llu", sign, (unsigned long long)(a / 1000000000u),
                (unsigned long long)(a % 1000000000u));
}

/* A header cell "<prefix><name>", quoted as one cell when the name holds
 * a comma, a quote or a line break (the prefixes hold none). */
static void header(weft__out *o, const char *prefix, const char *name) {
  if (!strpbrk(name, ",\"\r\n")) {
    weft__out_str(o, prefix);
    weft__out_str(o, name);
    return;
  }
  weft__out_char(o, '"');
  weft__out_str(o, prefix);
  for (const char *c = name; *c; c++) {
    if (*c == '"')
      weft__out_char(o, '"');
    weft__out_char(o, *c);
  }
  weft__out_char(o, '"');
}

int weft__export_csv(const weft__export *x) {
  const weft__model *m = x->m;
  weft__out *o = x->o;
  uint32_t nn = m->names.n;
  /* col[0][name]: column of in.<name>; col[1][name]: out.<name> */
  uint32_t *col = malloc(2 * (size_t)(nn ? nn : 1) * sizeof *col);
  uint32_t *order = malloc(2 * (size_t)(nn ? nn : 1) * sizeof *order);
  /* cut[c]: some value of column c was cut, so cut.<column> follows it */
  unsigned char *cut = calloc(2 * (size_t)(nn ? nn : 1), 1);
  const weft__mvalue **cell = NULL;
  int filters = weft__select_filters_nodes(x->sel);
  int rc = -1;
  if (!col || !order || !cut)
    goto out;
  for (size_t k = 0; k < 2 * (size_t)nn; k++)
    col[k] = WEFT__NONE;
  uint32_t ncols = 0;
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (n->kind != WEFT__NODE_ACTION ||
        !weft__select_task(x->sel, m, n->task) ||
        (filters && !weft__select_node(x->sel, m, i)))
      continue;
    for (uint32_t k = 0; k < n->nfields + n->nend_fields; k++) {
      int out = k >= n->nfields;
      const weft__mvalue *v =
          &m->values[out ? n->end_fields + k - n->nfields : n->fields + k];
      uint32_t *c = &col[(size_t)out * nn + v->name];
      if (*c == WEFT__NONE) {
        *c = ncols;
        order[ncols++] = (uint32_t)out * nn + v->name;
      }
      cut[*c] |= (v->flags & WEFT__MV_CUT) != 0;
    }
  }
  cell = calloc(ncols ? ncols : 1, sizeof *cell);
  if (!cell)
    goto out;
  weft__out_str(o, "task_uuid,task_level,type,status,rank,thread,host,start,"
                   "end,elapsed,reason,code");
  for (uint32_t c = 0; c < ncols; c++) {
    int out = order[c] >= nn;
    const char *name = weft__model_name(m, order[c] - (out ? nn : 0));
    weft__out_char(o, ',');
    header(o, out ? "out." : "in.", name);
    if (cut[c]) {
      weft__out_char(o, ',');
      header(o, out ? "cut.out." : "cut.in.", name);
    }
  }
  weft__out_char(o, '\n');
  static const char *st[] = {"", "succeeded", "failed", "unfinished"};
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (n->kind != WEFT__NODE_ACTION ||
        !weft__select_task(x->sel, m, n->task) ||
        (filters && !weft__select_node(x->sel, m, i)))
      continue;
    char uuid[37];
    weft__task_uuid(uuid, m->tasks[n->task].hi, m->tasks[n->task].lo);
    weft__out_str(o, uuid);
    weft__out_char(o, ',');
    uint32_t len;
    const uint32_t *l = weft__model_level(m, i, &len);
    for (uint32_t k = 0; k < len; k++) {
      weft__out_char(o, '/');
      weft__out_u64(o, l[k]);
    }
    weft__out_char(o, ',');
    const char *type = weft__model_name(m, n->type);
    weft__out_csv_str(o, type, strlen(type));
    weft__out_fmt(o, ",%s,%u,%u,", st[n->status], n->rank, n->thread);
    const char *host = x->host ? x->host(x->host_arg, n->file, n->rank) : 0;
    if (host)
      weft__out_csv_str(o, host, strlen(host));
    weft__out_char(o, ',');
    if (!(n->flags & WEFT__NF_NO_START))
      secs(o, n->start);
    weft__out_char(o, ',');
    secs(o, n->end);
    weft__out_char(o, ',');
    if (!(n->flags & WEFT__NF_NO_START))
      secs(o, weft__time_diff(n->end, n->start));
    weft__out_char(o, ',');
    if (n->reason != WEFT__NONE)
      weft__value_csv(o, m, &m->values[n->reason]);
    weft__out_char(o, ',');
    if (n->status == WEFT__ST_FAILED)
      weft__out_i64(o, n->code);
    for (uint32_t k = 0; k < n->nfields + n->nend_fields; k++) {
      int out = k >= n->nfields;
      const weft__mvalue *v =
          &m->values[out ? n->end_fields + k - n->nfields : n->fields + k];
      cell[col[(size_t)out * nn + v->name]] = v;
    }
    for (uint32_t c = 0; c < ncols; c++) {
      weft__out_char(o, ',');
      if (cell[c])
        weft__value_csv(o, m, cell[c]);
      if (cut[c]) {
        weft__out_char(o, ',');
        if (cell[c])
          weft__out_str(o, cell[c]->flags & WEFT__MV_CUT ? "true" : "false");
      }
      cell[c] = NULL;
    }
    weft__out_char(o, '\n');
  }
  rc = 0;
out:
  free(col);
  free(order);
  free(cut);
  free(cell);
  return rc;
}
