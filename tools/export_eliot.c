/*
 * export_eliot.c - Eliot's message format (task_uuid, task_level,
 * timestamp, action_type / message_type, action_status, reason,
 * exception, user fields) from the causal tree.
 *
 * Levels are assigned by walking the tree rather than copied, because one
 * Weft context may be continued many times (on every rank) and Eliot's
 * parser rejects two messages with the same (task_uuid, task_level).
 *
 * A string cut when it was logged (shown with "…" by `weft tree`) keeps
 * the text that was kept, unchanged, and the message lists the names of
 * such fields in "weft_cut": the value keeps its type for code that reads
 * it, a "…" inside it could not be told from a real one, and a field of
 * its own is what eliot-tree shows and jq or Eliot's parser can select.
 */
#include "export.h"

#include "value_text.h"

#include <stdlib.h>
#include <string.h>

typedef struct eliot {
  const weft__export *x;
  uint32_t *level; /* current level path */
  size_t depth, cap;
  char uuid[37];
  uint32_t reserved[8]; /* name ids that clash with Eliot's or ours */
  size_t nreserved;
  int oom;
} eliot;

static int push(eliot *e, uint32_t v) {
  if (e->depth == e->cap) {
    size_t nc = e->cap ? e->cap * 2 : 64;
    uint32_t *p = realloc(e->level, nc * sizeof *p);
    if (!p) {
      e->oom = 1;
      return -1;
    }
    e->level = p;
    e->cap = nc;
  }
  e->level[e->depth++] = v;
  return 0;
}

static void head(eliot *e, int64_t t, uint32_t file, uint32_t rank,
                 uint32_t thread) {
  weft__out *o = e->x->o;
  weft__out_str(o, "{\"task_uuid\":\"");
  weft__out_str(o, e->uuid);
  weft__out_str(o, "\",\"task_level\":[");
  for (size_t k = 0; k < e->depth; k++) {
    if (k)
      weft__out_char(o, ',');
    weft__out_u64(o, e->level[k]);
  }
  weft__out_str(o, "],\"timestamp\":");
  int64_t sec = t / 1000000000, frac = t % 1000000000;
  if (frac < 0) {
    sec--;
    frac += 1000000000;
  }
  weft__out_fmt(o, "%lld.%09lld", (long long)sec, (long long)frac);
  weft__out_str(o, ",\"rank\":");
  weft__out_u64(o, rank);
  weft__out_str(o, ",\"thread\":");
  weft__out_u64(o, thread);
  const char *host = e->x->host ? e->x->host(e->x->host_arg, file, rank) : 0;
  if (host) {
    weft__out_str(o, ",\"host\":");
    weft__out_json_str(o, host, strlen(host));
  }
}

/* The JSON key of user field `name` (a string with its quotes). */
static void key(eliot *e, uint32_t name) {
  const char *s = weft__model_name(e->x->m, name);
  int clash = 0;
  for (size_t r = 0; r < e->nreserved; r++)
    clash |= e->reserved[r] == name;
  if (clash) {
    /* a user field named like one of Eliot's own, or weft_cut */
    weft__out_str(e->x->o, "\"weft_user_");
    weft__out_str(e->x->o, s);
    weft__out_char(e->x->o, '"');
  } else {
    weft__out_json_str(e->x->o, s, strlen(s));
  }
}

static void fields(eliot *e, uint32_t first, uint32_t n) {
  const weft__model *m = e->x->m;
  uint32_t cut = 0;
  for (uint32_t k = 0; k < n; k++) {
    const weft__mvalue *v = &m->values[first + k];
    weft__out_char(e->x->o, ',');
    key(e, v->name);
    weft__out_char(e->x->o, ':');
    weft__value_json(e->x->o, m, v);
    cut += (v->flags & WEFT__MV_CUT) != 0;
  }
  if (!cut)
    return;
  weft__out_str(e->x->o, ",\"weft_cut\":[");
  for (uint32_t k = 0; k < n; k++) {
    const weft__mvalue *v = &m->values[first + k];
    if (!(v->flags & WEFT__MV_CUT))
      continue;
    key(e, v->name);
    weft__out_char(e->x->o, --cut ? ',' : ']');
  }
}

static void type_field(eliot *e, const char *key, uint32_t type) {
  const char *s = weft__model_name(e->x->m, type);
  weft__out_str(e->x->o, key);
  weft__out_json_str(e->x->o, s, strlen(s));
}

/* Write node i, whose level is e->level (for an action, the action's own
 * level; its messages get one more element). */
static void node(eliot *e, uint32_t i) {
  const weft__model *m = e->x->m;
  const weft__node *n = &m->nodes[i];
  weft__out *o = e->x->o;
  if (n->kind == WEFT__NODE_MESSAGE) {
    head(e, n->start, n->file, n->rank, n->thread);
    type_field(e, ",\"message_type\":", n->type);
    fields(e, n->fields, n->nfields);
    weft__out_str(o, "}\n");
    return;
  }
  size_t base = e->depth;
  uint32_t next = 1;
  if (!(n->flags & WEFT__NF_NO_START)) {
    if (push(e, next))
      return;
    head(e, n->start, n->file, n->rank, n->thread);
    type_field(e, ",\"action_type\":", n->type);
    weft__out_str(o, ",\"action_status\":\"started\"");
    fields(e, n->fields, n->nfields);
    weft__out_str(o, "}\n");
    e->depth = base;
  }
  next++;
  for (uint32_t c = n->first_child; c != WEFT__NONE && !e->oom;
       c = m->nodes[c].next_sibling) {
    if (push(e, next++))
      return;
    node(e, c);
    e->depth = base;
  }
  if (n->status == WEFT__ST_SUCCEEDED || n->status == WEFT__ST_FAILED) {
    if (push(e, next))
      return;
    head(e, n->end, n->file, n->rank, n->thread);
    type_field(e, ",\"action_type\":", n->type);
    if (n->status == WEFT__ST_SUCCEEDED) {
      weft__out_str(o, ",\"action_status\":\"succeeded\"");
    } else {
      weft__out_str(o, ",\"action_status\":\"failed\",\"exception\":"
                       "\"weft.Failure\",\"reason\":");
      if (n->reason != WEFT__NONE)
        weft__value_json(o, m, &m->values[n->reason]);
      else
        weft__out_str(o, "\"\"");
      weft__out_str(o, ",\"code\":");
      weft__out_i64(o, n->code);
    }
    fields(e, n->end_fields, n->nend_fields);
    weft__out_str(o, "}\n");
    e->depth = base;
  }
}

unsigned char *weft__export_tasks(const weft__export *x) {
  const weft__model *m = x->m;
  unsigned char *sel = calloc(m->ntasks ? m->ntasks : 1, 1);
  if (!sel)
    return NULL;
  int filters = weft__select_filters_nodes(x->sel);
  for (uint32_t t = 0; t < m->ntasks; t++)
    sel[t] = !filters && weft__select_task(x->sel, m, t);
  if (filters)
    for (uint32_t i = 0; i < m->nnodes; i++) {
      uint32_t t = m->nodes[i].task;
      if (!sel[t] && weft__select_task(x->sel, m, t) &&
          weft__select_node(x->sel, m, i))
        sel[t] = 1;
    }
  return sel;
}

int weft__export_eliot(const weft__export *x) {
  const weft__model *m = x->m;
  eliot e = {.x = x};
  static const char *reserved[] = {
      "task_uuid",     "task_level",   "timestamp", "action_type",
      "action_status", "message_type", "weft_cut"};
  for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
    uint32_t id =
        weft__strtab_find(&m->names, reserved[k], strlen(reserved[k]));
    if (id != UINT32_MAX)
      e.reserved[e.nreserved++] = id;
  }
  unsigned char *match = weft__export_tasks(x);
  if (!match)
    return -1;
  for (uint32_t k = 0; k < m->ntasks && !e.oom; k++) {
    uint32_t t = m->order[k];
    if (!match[t])
      continue;
    weft__task_uuid(e.uuid, m->tasks[t].hi, m->tasks[t].lo);
    /* The root action has level [] and a root message [1]; further roots
     * (continuations whose action is missing) follow at the next free
     * top-level slots. */
    uint32_t next = 1;
    for (uint32_t r = m->tasks[t].first_root; r != WEFT__NONE && !e.oom;
         r = m->nodes[r].next_sibling) {
      const weft__node *n = &m->nodes[r];
      e.depth = 0;
      if (next == 1 && n->kind == WEFT__NODE_ACTION) {
        node(&e, r);
        /* slots used: start, children, end */
        uint32_t kids = 0;
        for (uint32_t c = n->first_child; c != WEFT__NONE;
             c = m->nodes[c].next_sibling)
          kids++;
        next = kids + 3;
      } else {
        if (push(&e, next++))
          break;
        node(&e, r);
      }
    }
  }
  free(match);
  free(e.level);
  return e.oom ? -1 : 0;
}
