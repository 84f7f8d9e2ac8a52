/*
 * init.c - weft_init, weft_shutdown, the options in force and statistics.
 */
#include "buffer.h"
#include "clock.h"
#include "emit.h"
#include "schema_int.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static weft_options opts;
static char journal_dir[4096]; /* opts.journal_dir points here */
static uint32_t last_gen;

const weft_options *weft__options(void) { return &opts; }

uint32_t weft__generation(void) {
  return __atomic_load_n(&weft__gen_now, __ATOMIC_ACQUIRE);
}

int weft_is_initialized(void) { return weft__generation() != 0; }

/* Options are named as the user gave them: the environment variable or
 * the field (weft__option_name). */
static int check_options(const weft_options *o) {
  char a[96], b[96], c[96];
  const char *block =
      weft__option_name(WEFT__OPT_BLOCK_SIZE, o->block_size, a, sizeof a);
  if (o->block_size < ((size_t)64 << 10))
    return weft__error(WEFT_EINVAL, "%s: below 64 KiB", block);
  if (o->block_size % WEFT_REC_ALIGN)
    return weft__error(WEFT_EINVAL, "%s: not a multiple of 8", block);
  if (o->buffer_budget < o->block_size)
    return weft__error(WEFT_EINVAL, "%s: smaller than one block (%s)",
                       weft__option_name(WEFT__OPT_BUFFER_BUDGET,
                                         o->buffer_budget, b, sizeof b),
                       block);
  if (o->policy != WEFT_FULL_DROP && o->policy != WEFT_FULL_HANDOFF)
    return weft__error(WEFT_EINVAL, "unknown full policy %d", (int)o->policy);
  /* A record must fit in a block beside the END reserve. */
  if ((uint64_t)o->array_keep * 8 * WEFT_FIELDS_MAX + o->string_max >
      o->block_size / 2)
    return weft__error(
        WEFT_EINVAL,
        "%s and %s: a record could need more than half a block (%s)",
        weft__option_name(WEFT__OPT_ARRAY_KEEP, o->array_keep, b, sizeof b),
        weft__option_name(WEFT__OPT_STRING_MAX, o->string_max, c, sizeof c),
        block);
  return WEFT_OK;
}

static int own_schemas(void) {
  weft_field d = WEFT_U64("count", 0);
  weft_field l[2] = {WEFT_STR("limit", ""), WEFT_U64("value", 0)};
  int64_t a = weft__schema_intern(WEFT_REC_MESSAGE, "weft:dropped", &d, 1);
  int64_t b = weft__schema_intern(WEFT_REC_MESSAGE, "weft:limit", l, 2);
  if (a < 0 || b < 0)
    return (int)(a < 0 ? a : b);
  weft__schema_dropped = (uint32_t)a;
  weft__schema_limit = (uint32_t)b;
  return WEFT_OK;
}

int weft_init(const weft_options *o) {
  weft_options chosen;
  if (o)
    chosen = *o;
  else
    weft_options_init(&chosen);
  pthread_mutex_lock(&init_lock);
  int rc;
  if (weft__generation()) {
    rc = weft__error(WEFT_EINIT, "weft_init has already been called");
    goto out;
  }
  if ((rc = check_options(&chosen)))
    goto out;
  if (chosen.journal_dir) {
    if (strlen(chosen.journal_dir) >= sizeof journal_dir) {
      rc = weft__error(WEFT_EINVAL, "journal_dir is too long");
      goto out;
    }
    strcpy(journal_dir, chosen.journal_dir);
    chosen.journal_dir = journal_dir;
  }
  opts = chosen;
  weft__clock_setup(opts.use_tsc);
  /* Buffers first: with a journal, the schemas interned next are written
   * to its dictionary. */
  if ((rc = weft__buffers_setup(&opts)))
    goto out;
  if ((rc = weft__schema_setup()) || (rc = own_schemas())) {
    weft__schema_teardown();
    weft__buffers_teardown();
    goto out;
  }
  last_gen = last_gen + 1 ? last_gen + 1 : 1;
  __atomic_store_n(&weft__gen_now, last_gen, __ATOMIC_RELEASE);
out:
  pthread_mutex_unlock(&init_lock);
  if (rc == WEFT_OK) /* once logging works: weft:unknown_setting messages */
    weft__env_report_unknown();
  return rc;
}

int weft_shutdown(void) {
  pthread_mutex_lock(&init_lock);
  if (!weft__generation()) {
    pthread_mutex_unlock(&init_lock);
    return weft__error(WEFT_ENOTINIT, "%s", WEFT__NOT_INIT);
  }
  __atomic_store_n(&weft__gen_now, 0, __ATOMIC_RELEASE);
  weft__buffers_teardown();
  weft__threads_reset();
  weft__schema_teardown();
  pthread_mutex_unlock(&init_lock);
  return WEFT_OK;
}

int weft_stats_get(weft_stats *st) {
  if (!st)
    return weft__error(WEFT_EINVAL, "weft_stats_get: st is NULL");
  if (!weft__generation())
    return weft__error(WEFT_ENOTINIT, "%s", WEFT__NOT_INIT);
  memset(st, 0, sizeof *st);
  weft__buf_lock();
  for (weft__thread *t = weft__threads_first(); t; t = t->next_all) {
    st->events += __atomic_load_n(&t->events, __ATOMIC_RELAXED);
    st->dropped += __atomic_load_n(&t->dropped_all, __ATOMIC_RELAXED);
    st->limits += (uint32_t)__atomic_load_n(&t->limits, __ATOMIC_RELAXED);
    st->threads++;
  }
  weft__buf_unlock();
  st->bytes_pending = weft__buf_pending_bytes();
  st->handed_off = weft__buf_handed_off();
  st->bytes_budget = opts.buffer_budget;
  return WEFT_OK;
}
