/*
 * info_print.c - the text of `weft info`.
 */
#include "info_print.h"

#include "timefmt.h"
#include "value_text.h"

#include <stdlib.h>
#include <string.h>

void weft__info_count(const weft__model *m, uint32_t file,
                      weft__info_counts *c) {
  memset(c, 0, sizeof *c);
  c->first = INT64_MAX;
  c->last = INT64_MIN;
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (n->file != file)
      continue;
    if (n->kind == WEFT__NODE_MESSAGE)
      c->messages++;
    else {
      c->actions++;
      c->succeeded += n->status == WEFT__ST_SUCCEEDED;
      c->failed += n->status == WEFT__ST_FAILED;
      c->unfinished += n->status == WEFT__ST_UNFINISHED;
    }
    if (n->start < c->first)
      c->first = n->start;
    if (n->end > c->last)
      c->last = n->end;
    if (n->parent == WEFT__NONE && m->tasks[n->task].first_root == i)
      c->tasks++;
  }
}

static const char *or_dash(const char *s) { return *s ? s : "-"; }

/* Bytes a POSIX shell takes literally outside quotes (as Python's
 * shlex.quote: letters, digits and @%+=:,./-_). */
static int shell_plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("@%+=:,./-_", c));
}

/* One argument, ready to paste into a shell: as it is when every byte is
 * plain, else in single quotes, inside which every byte stands for itself
 * except the single quote, written '\'' (close, escaped quote, reopen). */
static void shell_word(weft__out *o, const char *s, size_t n) {
  size_t plain = 0;
  while (plain < n && shell_plain((unsigned char)s[plain]))
    plain++;
  if (n && plain == n) {
    weft__out_mem(o, s, n);
    return;
  }
  weft__out_char(o, '\'');
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\'')
      weft__out_str(o, "'\\''");
    else
      weft__out_char(o, s[i]);
  weft__out_char(o, '\'');
}

/* The command line of rank 0 (its arguments separated by NUL bytes,
 * docs/format.md /ranks), each argument quoted as a shell needs. */
static void command_line(weft__out *o, const weft__trace *t) {
  const char *args = t->ranks[0].cmdline;
  size_t len = t->ranks[0].cmdline_len;
  if (!len) {
    weft__out_str(o, "-");
    return;
  }
  for (size_t a = 0; a <= len;) {
    const char *end = a < len ? memchr(args + a, 0, len - a) : NULL;
    size_t n = end ? (size_t)(end - (args + a)) : len - a;
    if (a)
      weft__out_char(o, ' ');
    shell_word(o, args + a, n);
    a += n + 1;
  }
}

/* The last global fields recorded by each rank of the file. */
static void globals(weft__out *o, const weft__model *m, uint32_t file,
                    uint32_t nranks) {
  for (uint32_t r = 0; r < nranks; r++) {
    const weft__globals *g = NULL;
    for (uint32_t k = 0; k < m->nglobals; k++)
      if (m->globals[k].file == file && m->globals[k].rank == r)
        g = &m->globals[k];
    if (!g || !g->nfields)
      continue;
    weft__out_fmt(o, "globals:   rank %u:", r);
    for (uint32_t k = 0; k < g->nfields; k++) {
      const weft__mvalue *v = &m->values[g->fields + k];
      weft__out_fmt(o, "%s %s=", k ? "," : "", weft__model_name(m, v->name));
      weft__value_human(o, m, v, 60, 0, 0);
    }
    weft__out_char(o, '\n');
  }
}

void weft__info_write(weft__out *o, const weft__trace *t,
                      const weft__info_counts *c, const weft__model *m,
                      uint32_t file, int flushes, int raw) {
  char b1[64], b2[64], b3[64];
  const weft__rank_row *r0 = &t->ranks[0];
  weft__out_fmt(o, "file:      %s\n", t->path);
  weft__out_fmt(o, "format:    weft-h5 %u.%u, payload %s, written by %s\n",
                t->version[0], t->version[1], t->encoding, or_dash(t->writer));
  /* Nothing in the log tells a finalize from the last flush after a stop
   * signal or near SLURM_JOB_END_TIME (docs/resilience.md); after the
   * latter the application may have gone on logging, into the journals. */
  weft__out_fmt(
      o, "state:     %s\n",
      t->closed      ? "closed (by weft_mpi_finalize, or by the last flush "
                       "at a stop signal or near the job's end time: weft "
                       "recover adds what was logged later)"
      : t->recovered ? "writing (the job ended before a weft_mpi_finalize "
                       "that succeeded)"
                     : "writing (job running, or it ended before a "
                       "weft_mpi_finalize that succeeded: weft recover "
                       "completes it)");
  if (t->recovered)
    weft__out_fmt(o,
                  "           completed by weft recover from crash journals "
                  "(%u epoch%s)\n",
                  t->recovered, t->recovered == 1 ? "" : "s");
  if (r0->job_id[0]) {
    weft__out_fmt(o, "slurm:     job %s, step %s", r0->job_id,
                  or_dash(r0->step_id));
    if (r0->array_job_id[0])
      weft__out_fmt(o, ", array job %s task %s", r0->array_job_id,
                    or_dash(r0->array_task_id));
    weft__out_fmt(o, ", partition %s, nodes %s\n", or_dash(r0->partition),
                  or_dash(r0->nodelist));
    /* Seconds; a damaged value beyond the ns range prints as itself. */
    int64_t end_s = r0->slurm_job_end_time;
    if (end_s > INT64_MAX / 1000000000 || end_s < INT64_MIN / 1000000000)
      weft__out_fmt(o, "           time limit at %lld s (Unix time)\n",
                    (long long)end_s);
    else if (end_s)
      weft__out_fmt(o, "           time limit at %s\n",
                    weft__fmt_time(b1, sizeof b1, end_s * 1000000000, raw));
  } else {
    weft__out_str(o, "slurm:     - (not run under Slurm)\n");
  }
  weft__out_str(o, "command:   ");
  command_line(o, t);
  weft__out_char(o, '\n');
  if (m)
    globals(o, m, file, t->mpi_size);
  const char *mpi = or_dash(r0->mpi_library);
  weft__out_fmt(o, "mpi:       %.*s\n", (int)strcspn(mpi, "\n"), mpi);
  /* distinct hosts */
  uint32_t hosts = 0;
  for (uint32_t r = 0; r < t->mpi_size; r++) {
    uint32_t k = 0;
    while (k < r && strcmp(t->ranks[k].host, t->ranks[r].host))
      k++;
    hosts += k == r;
  }
  weft__out_fmt(o, "ranks:     %u on %u host%s, clock %s\n", t->mpi_size, hosts,
                hosts == 1 ? "" : "s", or_dash(t->clock));
  weft__out_fmt(o,
                "flushes:   %llu epoch%s committed (epoch 0 is init), %llu "
                "failed attempt%s\n",
                (unsigned long long)t->c.epochs, t->c.epochs == 1 ? "" : "s",
                (unsigned long long)t->c.failed_flushes,
                t->c.failed_flushes == 1 ? "" : "s");
  weft__out_fmt(
      o,
      "records:   %llu in /events, %llu payload bytes, %llu names, "
      "%llu schemas\n",
      (unsigned long long)t->c.events, (unsigned long long)t->c.payload,
      (unsigned long long)t->c.names, (unsigned long long)t->c.schemas);
  /* Format 2.0: a row per action; the short ones (leaf rows) have no
   * other record (docs/format.md section 4). */
  if (!t->actions_table)
    weft__out_str(o, "/actions:  off (WEFT_ACTIONS=0): every action is in "
                     "/events only\n");
  else
    weft__out_fmt(o,
                  "/actions:  %llu rows: every action (%llu leaf row%s: "
                  "short actions, stored only there)\n",
                  (unsigned long long)t->c.actions,
                  (unsigned long long)t->leaf_rows,
                  t->leaf_rows == 1 ? "" : "s");
  if (c) {
    weft__out_fmt(
        o,
        "tree:      %llu actions (%llu succeeded, %llu failed, %llu "
        "unfinished), %llu messages, %llu tasks\n",
        (unsigned long long)c->actions, (unsigned long long)c->succeeded,
        (unsigned long long)c->failed, (unsigned long long)c->unfinished,
        (unsigned long long)c->messages, (unsigned long long)c->tasks);
    if (c->first <= c->last)
      weft__out_fmt(
          o, "time:      %s to %s (%s)\n",
          weft__fmt_time(b1, sizeof b1, c->first, raw),
          weft__fmt_time(b2, sizeof b2, c->last, raw),
          weft__fmt_duration(b3, sizeof b3, c->last - c->first, raw, 0));
  }
  uint64_t dropped_total = 0;
  weft__out_str(o, "\n  rank  host                  pid  threads   clock "
                   "offset     error bound  dropped\n");
  for (uint32_t r = 0; r < t->mpi_size; r++) {
    /* the rank's latest sample: flushes are sorted by rank, then time */
    const weft__flush_row *last = NULL;
    int64_t max_err = 0;
    uint64_t dropped = 0; /* the largest: rows weft recover adds hold 0 */
    for (uint64_t k = 0; k < t->c.flushes; k++)
      if (t->flushes[k].rank == r) {
        last = &t->flushes[k];
        if (last->error_ns > max_err)
          max_err = last->error_ns;
        if (last->dropped > dropped)
          dropped = last->dropped;
      }
    dropped_total += dropped;
    weft__out_fmt(
        o, "  %4u  %-18s %7u  %7u  %14s  %14s  %7llu\n", r,
        or_dash(t->ranks[r].host), t->ranks[r].pid, t->ranks[r].threads,
        weft__fmt_duration(b1, sizeof b1, last ? last->offset_ns : 0, raw, 1),
        weft__fmt_duration(b2, sizeof b2, max_err, raw, 1),
        (unsigned long long)dropped);
  }
  weft__out_fmt(o,
                "\ndropped:   %s%llu event%s (buffer budget, or a record too "
                "large for a block)%s\n",
                t->recovered ? "at least " : "",
                (unsigned long long)dropped_total,
                dropped_total == 1 ? "" : "s",
                t->recovered ? "; weft recover cannot count drops after the "
                               "last flush"
                             : "");
  if (m && weft__info_notices(o, m, file, t->mpi_size, dropped_total) < 0)
    weft__out_str(o, "notices:   (not enough memory to gather them)\n");
  if (flushes) {
    weft__out_str(o, "\n  epoch  rank  sample (mono ns)       offset        "
                     "error  events\n");
    for (uint64_t k = 0; k < t->c.flushes; k++) {
      const weft__flush_row *f = &t->flushes[k];
      weft__out_fmt(o, "  %5u  %4u  %18lld  %11s  %11s  %llu\n", f->epoch,
                    f->rank, (long long)f->sample_mono_ns,
                    weft__fmt_duration(b1, sizeof b1, f->offset_ns, raw, 1),
                    weft__fmt_duration(b2, sizeof b2, f->error_ns, raw, 1),
                    (unsigned long long)f->events);
    }
  }
}
