/*
 * weft.c - the `weft` command: a dispatch table of subcommands in the
 * manner of git (one cmd_<name>.c each; see cmd.h for adding one).
 */
#include "cmd.h"

#include "weft.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"tree", cmd_tree,
     "draw the cross-rank causal tree of actions with their times"},
    {"profile", cmd_profile,
     "time per action type and rank, slowest inputs, load imbalance"},
    {"export", cmd_export, "write Eliot JSON lines, Chrome trace JSON or CSV"},
    {"info", cmd_info, "show what a log holds: job, ranks, clocks, counts"},
    {"recover", cmd_recover,
     "complete or rebuild a log from the journals of a failed job"},
    {"view", cmd_view, "write a self-contained HTML timeline and tree"},
    {"flame", cmd_flame, "draw a flame graph (SVG) or folded stacks"},
    {"help", cmd_help, "show help for weft or for a subcommand"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void overview(FILE *f) {
  fprintf(f, "usage: weft <command> [options] FILE...\n"
             "       weft help <command>\n\n"
             "Reads Weft HDF5 logs (one per MPI job) and shows what the job "
             "did.\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nExit status: 0 success, 1 output or memory failure, 2 bad "
             "input or usage.\nManual: docs/tools.md.\n");
}

static const struct command *find(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(commands[i].name, name))
      return &commands[i];
  return NULL;
}

static int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    overview(stdout);
    return 0;
  }
  const struct command *c = find(argv[1]);
  if (!c || c->run == cmd_help) {
    if (c) {
      overview(stdout);
      return 0;
    }
    fprintf(stderr, "weft: '%s' is not a weft command (see 'weft help')\n",
            argv[1]);
    return 2;
  }
  char *args[] = {argv[1], "--help", NULL};
  return c->run(2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    overview(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    overview(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("weft %s\n", weft_version_string());
    return 0;
  }
  const struct command *c = find(argv[1]);
  if (!c) {
    fprintf(stderr, "weft: '%s' is not a weft command (see 'weft help')\n",
            argv[1]);
    return 2;
  }
  return c->run(argc - 1, argv + 1);
}
