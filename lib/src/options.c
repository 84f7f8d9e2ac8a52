/*
 * options.c - default options and their environment variables.
 */
#include "weft_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void weft_options_init(weft_options *opts) {
  if (!opts)
    return;
  memset(opts, 0, sizeof *opts);
  opts->buffer_budget = (size_t)64 << 20;
  opts->block_size = (size_t)1 << 20;
  opts->policy = WEFT_FULL_DROP;
  opts->array_keep = 16;
  opts->string_max = 4096;
  opts->use_tsc = 1;
}

/* Parse "123", "64K", "8M", "1G" (powers of 1024) into *out. */
static int parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (*s == '-' || *s == '\0')
    return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -1;
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'k':
  case 'K':
    shift = 10;
    end++;
    break;
  case 'm':
  case 'M':
    shift = 20;
    end++;
    break;
  case 'g':
  case 'G':
    shift = 30;
    end++;
    break;
  default:
    return -1;
  }
  if (*end == 'i' || *end == 'B') /* accept KiB, MB, ... */
    end++;
  if (*end == 'B')
    end++;
  if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

/* The size options: their fields, variables and accepted ranges. */
static const struct {
  const char *field, *var;
  uint64_t min, max;
} sizes[WEFT__OPT_COUNT] = {
    [WEFT__OPT_BUFFER_BUDGET] = {"buffer_budget", "WEFT_BUFFER_BUDGET",
                                 64 << 10, (uint64_t)1 << 44},
    [WEFT__OPT_BLOCK_SIZE] = {"block_size", "WEFT_BLOCK_SIZE", 64 << 10,
                              (uint64_t)1 << 32},
    [WEFT__OPT_ARRAY_KEEP] = {"array_keep", "WEFT_ARRAY_KEEP", 0, 1 << 20},
    [WEFT__OPT_STRING_MAX] = {"string_max", "WEFT_STRING_MAX", 0, 1 << 24},
};

/* What weft_options_from_env last took from the environment, as written,
 * so that weft_init can name the variable in the message of a check that
 * only the combination of options fails (weft__option_name).  weft_init
 * checks a struct, not where it came from: a value that equals the one
 * taken from the environment is taken to be that one. */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int set;
  uint64_t value;
  char text[64]; /* the variable's text, cut */
} env_taken[WEFT__OPT_COUNT];

const char *weft__option_name(weft__option o, uint64_t v, char *buf,
                              size_t cap) {
  pthread_mutex_lock(&env_lock);
  if (env_taken[o].set && env_taken[o].value == v)
    snprintf(buf, cap, "%s=%s", sizes[o].var, env_taken[o].text);
  else
    snprintf(buf, cap, "%s %llu", sizes[o].field, (unsigned long long)v);
  pthread_mutex_unlock(&env_lock);
  return buf;
}

/* Size option o from its variable: *text is the variable's text, or NULL
 * when it is not set. */
static int env_size(weft__option o, uint64_t *out, const char **text) {
  const char *s = getenv(sizes[o].var);
  *text = s;
  if (!s)
    return WEFT_OK;
  if (parse_size(s, out) || *out < sizes[o].min || *out > sizes[o].max)
    return weft__error(WEFT_EINVAL,
                       "environment variable %s=\"%s\": expected a number "
                       "from %llu to %llu, optionally with K, M or G",
                       sizes[o].var, s, (unsigned long long)sizes[o].min,
                       (unsigned long long)sizes[o].max);
  return WEFT_OK;
}

/* Remember what was taken, once every variable is good. */
static void remember(const uint64_t v[WEFT__OPT_COUNT],
                     const char *const text[WEFT__OPT_COUNT]) {
  pthread_mutex_lock(&env_lock);
  for (int i = 0; i < WEFT__OPT_COUNT; i++) {
    env_taken[i].set = text[i] != NULL;
    env_taken[i].value = v[i];
    if (text[i])
      snprintf(env_taken[i].text, sizeof env_taken[i].text, "%s", text[i]);
  }
  pthread_mutex_unlock(&env_lock);
}

int weft_options_from_env(weft_options *opts) {
  if (!opts)
    return weft__error(WEFT_EINVAL, "weft_options_from_env: opts is NULL");
  weft_options o = *opts;
  uint64_t v[WEFT__OPT_COUNT] = {0};
  const char *text[WEFT__OPT_COUNT];
  int rc;

  for (int i = 0; i < WEFT__OPT_COUNT; i++)
    if ((rc = env_size((weft__option)i, &v[i], &text[i])))
      return rc;
  if (text[WEFT__OPT_BUFFER_BUDGET])
    o.buffer_budget = (size_t)v[WEFT__OPT_BUFFER_BUDGET];
  if (text[WEFT__OPT_BLOCK_SIZE])
    o.block_size = (size_t)v[WEFT__OPT_BLOCK_SIZE];
  if (text[WEFT__OPT_ARRAY_KEEP])
    o.array_keep = (uint32_t)v[WEFT__OPT_ARRAY_KEEP];
  if (text[WEFT__OPT_STRING_MAX])
    o.string_max = (uint32_t)v[WEFT__OPT_STRING_MAX];

  const char *p = getenv("WEFT_FULL_POLICY");
  if (p) {
    if (!strcasecmp(p, "drop"))
      o.policy = WEFT_FULL_DROP;
    else if (!strcasecmp(p, "handoff"))
      o.policy = WEFT_FULL_HANDOFF;
    else
      return weft__error(WEFT_EINVAL,
                         "environment variable WEFT_FULL_POLICY=\"%s\": "
                         "expected drop or handoff",
                         p);
  }
  const char *c = getenv("WEFT_CLOCK");
  if (c) {
    if (!strcasecmp(c, "tsc"))
      o.use_tsc = 1;
    else if (!strcasecmp(c, "monotonic"))
      o.use_tsc = 0;
    else
      return weft__error(WEFT_EINVAL,
                         "environment variable WEFT_CLOCK=\"%s\": expected "
                         "tsc or monotonic",
                         c);
  }
  const char *j = getenv("WEFT_JOURNAL_DIR");
  if (j) {
    if (!*j)
      return weft__error(WEFT_EINVAL, "environment variable WEFT_JOURNAL_DIR "
                                      "is empty");
    o.journal_dir = j;
  }
  remember(v, text);
  *opts = o;
  return WEFT_OK;
}
