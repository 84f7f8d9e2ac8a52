/*
 * cmd_profile.c - `weft profile`: where the time goes, per type and rank.
 */
#include "cmd.h"

#include "profile.h"
#include "waits.h"

#include <string.h>

static const char usage[] = "weft profile [options] FILE...";
static const char summary[] =
    "Per action type: count, total, mean, p50, p95 and max elapsed time,\n"
    "overall and per rank; the slowest instances with their inputs and\n"
    "rank; the Spearman correlation of each numeric input with elapsed\n"
    "time; load imbalance (max/mean over ranks, straggler) of the types\n"
    "run on every rank that logged events, and the ranks that logged none.";

int cmd_profile(int argc, char **argv) {
  weft__cli_select cs = {0};
  weft__select_init(&cs.sel);
  const char *format = "text";
  unsigned top = 5, limit = 60;
  int raw = 0, ascii = 0, per_rank = 0, waits = 0;
  weft__opt opts[32] = {
      {"format", 'f', WEFT__OPT_STR, &format, 0, 0, "FMT",
       "text (default), csv or json"},
      {"top", 'n', WEFT__OPT_UINT, &top, 0, 0, "N",
       "slowest instances listed per type (5)"},
      {"per-rank", 'R', WEFT__OPT_FLAG, &per_rank, 0, 0, 0,
       "text: the table per rank too (csv and json always have it)"},
      {"raw", 0, WEFT__OPT_FLAG, &raw, 0, 0, 0, "exact durations in seconds"},
      {"ascii", 0, WEFT__OPT_FLAG, &ascii, 0, 0, 0, "write us, not \xc2\xb5s"},
      {"field-limit", 'l', WEFT__OPT_UINT, &limit, 0, 0, "N",
       "cut input values at N characters (60; 0: whole)"},
      {"waits", 0, WEFT__OPT_FLAG, &waits, 0, 0, 0,
       "MPI wait states instead: late senders and waits at collectives, "
       "per phase and late rank"},
  };
  size_t n = 7;
  n += weft__cli_select_opts(&cs, opts + n);
  opts[n].kind = WEFT__OPT_END;
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc) {
    weft__cli_select_release(&cs);
    return rc == 1 ? 0 : 2;
  }
  weft__profile_opts po = {.top = top,
                           .raw = raw,
                           .ascii = ascii,
                           .per_rank = per_rank,
                           .field_limit = limit};
  if (!strcmp(format, "text"))
    po.format = WEFT__PROFILE_TEXT;
  else if (!strcmp(format, "csv"))
    po.format = WEFT__PROFILE_CSV;
  else if (!strcmp(format, "json"))
    po.format = WEFT__PROFILE_JSON;
  else {
    fprintf(stderr, "weft profile: --format must be text, csv or json\n");
    weft__cli_select_release(&cs);
    return 2;
  }
  if (npos < 1) {
    fprintf(stderr, "weft profile: no input file (usage: %s)\n", usage);
    weft__cli_select_release(&cs);
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  /* The job's size: a rank that logged nothing is in no event. */
  for (size_t f = 0; !rc && f < in.ntraces; f++)
    if (in.traces[f].mpi_size > po.job_ranks)
      po.job_ranks = in.traces[f].mpi_size;
  if (!rc && (rc = weft__cli_select_finish(&cs, &in.model)))
    fprintf(stderr, "weft profile: invalid --since/--until\n");
  if (!rc) {
    weft__out o;
    weft__edges edges = {0};
    if (waits && weft__edges_build(&in.model, &edges)) {
      fprintf(stderr, "weft profile: out of memory\n");
      rc = 1;
    } else {
      if (weft__out_init(&o, stdout) ||
          (waits ? weft__waits_write(&o, &in.model, &edges, &cs.sel, po.format,
                                     raw, ascii)
                 : weft__profile_write(&o, &in.model, &cs.sel, &po)) ||
          weft__out_close(&o)) {
        fprintf(stderr, "weft profile: cannot write the output\n");
        rc = 1;
      }
      weft__edges_release(&edges);
    }
  }
  weft__cli_input_release(&in);
  weft__cli_select_release(&cs);
  return rc;
}
