/*
 * cmd_info.c - `weft info`: what a log holds.
 */
#include "cmd.h"

#include "info_print.h"

static const char usage[] = "weft info [options] FILE...";
static const char summary[] =
    "Show, per file: format version and state, job and Slurm metadata,\n"
    "ranks and hosts, flushes, record and action counts, clock offsets\n"
    "with their error bounds, and dropped events.";

int cmd_info(int argc, char **argv) {
  int flushes = 0, raw = 0;
  weft__opt opts[] = {
      {"flushes", 0, WEFT__OPT_FLAG, &flushes, 0, 0, 0,
       "list every flush and clock sample"},
      {"raw", 0, WEFT__OPT_FLAG, &raw, 0, 0, 0, "exact times and durations"},
      {0, 0, WEFT__OPT_END, 0, 0, 0, 0, 0},
  };
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc)
    return rc == 1 ? 0 : 2;
  if (npos < 1) {
    fprintf(stderr, "weft info: no input file (usage: %s)\n", usage);
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  if (!rc) {
    weft__out o;
    if (weft__out_init(&o, stdout)) {
      rc = 1;
    } else {
      for (size_t f = 0; f < in.ntraces; f++) {
        weft__info_counts c;
        weft__info_count(&in.model, (uint32_t)f, &c);
        if (f)
          weft__out_char(&o, '\n');
        weft__info_write(&o, &in.traces[f], &c, &in.model, (uint32_t)f, flushes,
                         raw);
      }
      if (weft__out_close(&o))
        rc = 1;
    }
    if (rc)
      fprintf(stderr, "weft info: cannot write the output\n");
  }
  weft__cli_input_release(&in);
  return rc;
}
