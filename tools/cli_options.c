/*
 * cli_options.c - the declarative option parser of the subcommands
 * (--name value, --name=value, -x value, flags, --help).
 */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void weft__opt_help(FILE *f, const char *usage, const char *summary,
                    const weft__opt *opts) {
  fprintf(f, "usage: %s\n\n%s\n\noptions:\n", usage, summary);
  for (const weft__opt *o = opts; o->kind != WEFT__OPT_END; o++) {
    char left[64];
    if (o->short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
               o->arg ? " " : "", o->arg ? o->arg : "");
    else
      snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
               o->arg ? o->arg : "");
    fprintf(f, "  %-30s %s\n", left, o->help);
  }
  fprintf(f, "  %-30s %s\n", "-h, --help", "show this help");
}

static int set(const weft__opt *o, const char *cmd, const char *arg) {
  switch (o->kind) {
  case WEFT__OPT_STR:
    *(const char **)o->dst = arg;
    return 0;
  case WEFT__OPT_UINT: {
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v > 0xffffffffu || arg[0] == '-') {
      fprintf(stderr, "weft %s: --%s needs a whole number, not '%s'\n", cmd,
              o->name, arg);
      return 2;
    }
    *(unsigned *)o->dst = (unsigned)v;
    return 0;
  }
  default:
    if (o->call(o->ctx, arg)) {
      fprintf(stderr, "weft %s: invalid value '%s' for --%s\n", cmd, arg,
              o->name);
      return 2;
    }
    return 0;
  }
}

int weft__opt_parse(int argc, char **argv, const weft__opt *opts,
                    const char *usage, const char *summary, int *npos) {
  const char *cmd = argv[0];
  int np = 0, only_pos = 0;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] == 0) {
      argv[1 + np++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = 1;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      weft__opt_help(stdout, usage, summary, opts);
      return 1;
    }
    const weft__opt *o = NULL;
    const char *val = NULL;
    if (a[1] == '-') {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      for (const weft__opt *p = opts; p->kind != WEFT__OPT_END; p++)
        if (strlen(p->name) == len && !strncmp(p->name, a + 2, len))
          o = p;
      if (eq)
        val = eq + 1;
    } else if (a[2] == 0) {
      for (const weft__opt *p = opts; p->kind != WEFT__OPT_END; p++)
        if (p->short_name == a[1])
          o = p;
    }
    if (!o) {
      fprintf(stderr, "weft %s: unknown option '%s' (see 'weft %s --help')\n",
              cmd, a, cmd);
      return 2;
    }
    if (o->kind == WEFT__OPT_FLAG) {
      if (val) {
        fprintf(stderr, "weft %s: --%s takes no value\n", cmd, o->name);
        return 2;
      }
      *(int *)o->dst = 1;
      continue;
    }
    if (!val) {
      if (i + 1 >= argc) {
        fprintf(stderr, "weft %s: --%s needs a value\n", cmd, o->name);
        return 2;
      }
      val = argv[++i];
    }
    int rc = set(o, cmd, val);
    if (rc)
      return rc;
  }
  *npos = np;
  return 0;
}
