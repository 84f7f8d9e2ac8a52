/*
 * cmd_flame.c - `weft flame`: a flame graph of time per action path, as
 * an SVG or as folded stacks.
 */
#include "cmd.h"

#include "flame.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "weft flame [--rank R] [--folded] [-o PATH] FILE...";
static const char summary[] =
    "Draw inclusive time per action path (the action types from a task's\n"
    "root down, following work continued on other ranks), summed over\n"
    "ranks or for one rank: a standalone SVG with a title on every frame,\n"
    "or with --folded the folded stacks \"a;b;c NS\" (self time in\n"
    "nanoseconds) that flamegraph.pl, speedscope and inferno read.";

static int parse_rank(const char *s, int64_t *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *s == '-' || *end || v > 0xfffffffful)
    return -1;
  *out = (int64_t)v;
  return 0;
}

int cmd_flame(int argc, char **argv) {
  const char *output = NULL, *rank_arg = NULL;
  int folded = 0;
  weft__opt opts[] = {
      {"rank", 'r', WEFT__OPT_STR, &rank_arg, 0, 0, "R",
       "only the time spent on rank R"},
      {"folded", 0, WEFT__OPT_FLAG, &folded, 0, 0, 0,
       "write folded stacks instead of an SVG"},
      {"output", 'o', WEFT__OPT_STR, &output, 0, 0, "PATH",
       "write to PATH instead of stdout"},
      {0, 0, WEFT__OPT_END, 0, 0, 0, 0, 0},
  };
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc)
    return rc == 1 ? 0 : 2;
  int64_t rank = -1;
  if (rank_arg && parse_rank(rank_arg, &rank)) {
    fprintf(stderr, "weft flame: --rank needs a rank number, not '%s'\n",
            rank_arg);
    return 2;
  }
  if (npos < 1) {
    fprintf(stderr, "weft flame: no input file (usage: %s)\n", usage);
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  if (!rc && rank >= 0 && (uint64_t)rank >= in.model.nranks) {
    fprintf(stderr, "weft flame: %s: no rank %lld (the log has %u)\n", argv[1],
            (long long)rank, in.model.nranks);
    rc = 2;
  }
  weft__flame fl;
  if (!rc && weft__flame_build(&fl, &in.model, rank)) {
    fprintf(stderr, "weft flame: out of memory\n");
    rc = 1;
  } else if (!rc) {
    FILE *f = stdout;
    if (output && !(f = fopen(output, "w"))) {
      fprintf(stderr, "weft flame: cannot write '%s'\n", output);
      rc = 1;
    } else {
      char title[512];
      snprintf(title, sizeof title, "%s%s - %s", argv[1],
               npos > 1 ? " ..." : "", rank < 0 ? "all ranks" : "rank ");
      if (rank >= 0)
        snprintf(title + strlen(title), sizeof title - strlen(title), "%lld",
                 (long long)rank);
      weft__out o;
      if (weft__out_init(&o, f)) {
        rc = 1;
      } else {
        if (folded)
          weft__flame_folded(&o, &fl, &in.model);
        else if (weft__flame_svg(&o, &fl, &in.model, title))
          rc = 1;
        if (weft__out_close(&o))
          rc = 1;
      }
      if (f != stdout && fclose(f))
        rc = 1;
      if (rc)
        fprintf(stderr, "weft flame: cannot write the output\n");
    }
    weft__flame_release(&fl);
  }
  weft__cli_input_release(&in);
  return rc;
}
