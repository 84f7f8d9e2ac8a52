/*
 * cli_select.c - the selection options shared by tree, profile and export.
 */
#include "cmd.h"

#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

static int on_task(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  return weft__select_set_task(&cs->sel, arg);
}

static int on_rank(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  return weft__select_add_ranks(&cs->sel, arg);
}

static int on_type(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  const char **p = realloc(cs->types, (cs->ntypes + 1) * sizeof *p);
  if (!p)
    return -1;
  p[cs->ntypes++] = arg;
  cs->types = p;
  cs->sel.types = cs->types;
  cs->sel.ntypes = cs->ntypes;
  return 0;
}

static int on_where(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  return weft__select_add_where(&cs->sel, arg);
}

static int on_status(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  return weft__select_add_status(&cs->sel, arg);
}

static int on_min(void *ctx, const char *arg) {
  weft__cli_select *cs = ctx;
  return weft__parse_duration(arg, &cs->sel.min_duration);
}

static int check_time(void *ctx, const char *arg) {
  int64_t t;
  (void)ctx;
  return weft__parse_time(arg, 0, &t);
}

static int on_since(void *ctx, const char *arg) {
  ((weft__cli_select *)ctx)->since = arg;
  return check_time(ctx, arg);
}

static int on_until(void *ctx, const char *arg) {
  ((weft__cli_select *)ctx)->until = arg;
  return check_time(ctx, arg);
}

size_t weft__cli_select_opts(weft__cli_select *cs, weft__opt *out) {
  const weft__opt o[] = {
      {"task", 'u', WEFT__OPT_CALL, NULL, on_task, cs, "ID",
       "only the task with this id (UUID or 32 hex digits)"},
      {"rank", 'r', WEFT__OPT_CALL, NULL, on_rank, cs, "LIST",
       "only these ranks, e.g. 3 or 0-3,7 (repeatable)"},
      {"type", 't', WEFT__OPT_CALL, NULL, on_type, cs, "GLOB",
       "only action/message types matching GLOB (repeatable)"},
      {"where", 'w', WEFT__OPT_CALL, NULL, on_where, cs, "EXPR",
       "field predicate 'name OP value', OP one of == != < <= > >= ~ "
       "(repeatable, all must hold)"},
      {"status", 's', WEFT__OPT_CALL, NULL, on_status, cs, "LIST",
       "only succeeded, failed, unfinished or message (comma list)"},
      {"min-duration", 'd', WEFT__OPT_CALL, NULL, on_min, cs, "DUR",
       "only actions taking at least DUR (e.g. 10ms, 2.5s)"},
      {"since", 0, WEFT__OPT_CALL, NULL, on_since, cs, "TIME",
       "only what runs at or after TIME (ISO 8601 UTC, epoch s, or +DUR "
       "from the first event)"},
      {"until", 0, WEFT__OPT_CALL, NULL, on_until, cs, "TIME",
       "only what starts before TIME"},
  };
  memcpy(out, o, sizeof o);
  return sizeof o / sizeof o[0];
}

int weft__cli_select_finish(weft__cli_select *cs, const weft__model *m) {
  int64_t origin = INT64_MAX;
  for (uint32_t t = 0; t < m->ntasks; t++)
    if (m->tasks[t].first_time < origin)
      origin = m->tasks[t].first_time;
  if (origin == INT64_MAX)
    origin = 0;
  if (cs->since && weft__parse_time(cs->since, origin, &cs->sel.since))
    return 2;
  if (cs->until && weft__parse_time(cs->until, origin, &cs->sel.until))
    return 2;
  return 0;
}

void weft__cli_select_release(weft__cli_select *cs) {
  weft__select_release(&cs->sel);
  free(cs->types);
  cs->types = NULL;
  cs->ntypes = 0;
}
