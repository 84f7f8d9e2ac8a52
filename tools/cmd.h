/*
 * cmd.h - the subcommands of `weft` and what they share.
 *
 * Adding a subcommand `foo`:
 *   1. write tools/cmd_foo.c defining `int cmd_foo(int argc, char **argv)`:
 *      a usage string, an option table (weft__opt), weft__opt_parse, then
 *      calls into the reader library; its return value is the exit status
 *      (0 ok, 1 failure writing output or out of memory, 2 bad input or
 *      usage);
 *   2. add it to the commands[] table in tools/weft.c and to weft_cli's
 *      sources in tools/CMakeLists.txt;
 *   3. document it in docs/tools.md (the synopsis must match its --help:
 *      tests/tools checks) and add tests under tests/tools/.
 */
#ifndef WEFT_TOOLS_CMD_H
#define WEFT_TOOLS_CMD_H

#include "reader.h"
#include "select.h"
#include "tree_model.h"

#include <stddef.h>
#include <stdio.h>

int cmd_tree(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_recover(int argc, char **argv);

/* ---- options (cli_options.c) --------------------------------------------- */

enum weft__opt_kind {
  WEFT__OPT_FLAG, /* int = 1 */
  WEFT__OPT_STR,  /* const char * = argument */
  WEFT__OPT_UINT, /* unsigned = argument */
  WEFT__OPT_CALL, /* call(ctx, argument) returns 0 or -1 (bad value) */
  WEFT__OPT_END
};

typedef struct weft__opt {
  const char *name; /* long name, used as --name */
  char short_name;  /* 0: none */
  int kind;         /* weft__opt_kind */
  void *dst;        /* FLAG: int *, STR: const char **, UINT: unsigned * */
  int (*call)(void *ctx, const char *arg);
  void *ctx;
  const char *arg; /* name of the argument in the help, NULL for flags */
  const char *help;
} weft__opt;

/* Parse argv[1..) (argv[0] is the subcommand).  Positional arguments are
 * moved to the front of argv + 1 and counted in *npos.  Returns 0, 1 when
 * --help / -h was given (help printed on stdout), or 2 after printing a
 * one-line usage error on stderr. */
int weft__opt_parse(int argc, char **argv, const weft__opt *opts,
                    const char *usage, const char *summary, int *npos);
void weft__opt_help(FILE *f, const char *usage, const char *summary,
                    const weft__opt *opts);

/* ---- shared selection options (cli_select.c) ----------------------------- */

typedef struct weft__cli_select {
  weft__select sel;
  const char *since, *until, *min_duration, *task;
  const char **types;
  size_t ntypes;
  int bad; /* a value could not be parsed */
} weft__cli_select;

/* The selection options, to be copied into a command's table (they point
 * into cs).  n receives the count. */
size_t weft__cli_select_opts(weft__cli_select *cs, weft__opt *out);
/* Resolve times and durations once the model is loaded (relative times
 * count from the job's first event).  Returns 0 or 2 after an error line. */
int weft__cli_select_finish(weft__cli_select *cs, const weft__model *m);
void weft__cli_select_release(weft__cli_select *cs);

/* ---- loading (cli_load.c) ------------------------------------------------ */

typedef struct weft__cli_input {
  weft__trace *traces;
  size_t ntraces;
  weft__model model;
} weft__cli_input;

/* Open files[0..n) and build the model.  Returns 0, or 2 after printing
 * "weft: <file>: <problem>" on stderr. */
int weft__cli_load(weft__cli_input *in, char **files, int n);
void weft__cli_input_release(weft__cli_input *in);
/* Host of (file, rank) for the exports. */
const char *weft__cli_host(void *arg, uint32_t file, uint32_t rank);
/* 1 when colour should be used for stdout given --color=auto|always|never
 * (NULL: auto). */
int weft__cli_color(const char *when);

#endif
