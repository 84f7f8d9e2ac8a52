/*
 * action.c - starting and finishing actions, messages and success fields:
 * the hot path.
 *
 * A started action costs: one thread-local load, one generation compare,
 * one schema load (cached per call site by the macros), a clock read, a
 * 16-byte header plus its field values written to the thread's block, and
 * a frame pushed on the thread's stack.  No lock, no system call, no
 * allocation.  Finishing costs a clock read and a 16-byte record.
 *
 * Handles are (thread index + 1) << 40 | serial, so a handle names its
 * thread (misuse from another thread is detected) and a finished action's
 * handle is never confused with a later one.
 */
#include "emit.h"

#define SERIAL_BITS 40
#define SERIAL_MASK ((UINT64_C(1) << SERIAL_BITS) - 1)

static inline weft_action handle_of(const weft__thread *t, uint64_t serial) {
  return ((uint64_t)(t->index + 1) << SERIAL_BITS) | (serial & SERIAL_MASK);
}

/* Push a frame for a new action and write its START (after a TASK record
 * when it is a task root).  Shared by the site and non-site forms and by
 * weft_context_continue (which writes its own CONTINUE first: pre). */
int weft__start(weft__thread *t, weft_action *out, uint32_t schema,
                const weft_field *f, size_t n, const unsigned char *pre,
                size_t pre_len) {
  uint32_t d = t->depth;
  if (__builtin_expect(d >= WEFT_DEPTH_MAX, 0)) {
    weft__emit_limit(t, "depth", WEFT_DEPTH_MAX);
    return weft__error(WEFT_EDEPTH, "more than %d actions open on this thread",
                       WEFT_DEPTH_MAX);
  }
  int64_t psize = weft__payload_size(t, weft__schema_get(schema), f, n);
  if (psize < 0)
    return (int)psize;
  const weft__schema *s = weft__schema_get(schema);
  int rc = WEFT_OK;
  weft__frame *fr = &t->frames[d];
  fr->dropped = 1;
  if (d == 0 || !t->frames[d - 1].dropped) {
    size_t need = sizeof(weft_rec) + WEFT_REC_PAD((size_t)psize);
    if (pre)
      need += pre_len;
    else if (d == 0)
      need += sizeof(weft_rec) + 16;
    unsigned char *p = psize > UINT32_MAX ? weft__buf_refuse(t, need)
                                          : weft__buf_reserve(t, need);
    if (p) {
      /* A continued action follows, causally, the serialize that may have
       * run on another thread: order its stamp after reading the context. */
      int64_t now = pre ? weft__now_ordered() : weft__now();
      if (pre) {
        /* A continued action takes no slot of the action below it. */
        memcpy(p, pre, pre_len);
        memcpy(p, &now, sizeof now); /* stamp the CONTINUE record */
        p += pre_len;
      } else if (d == 0) {
        p = weft__emit_task(t, p, now);
      } else {
        fr->slot = t->frames[d - 1].next++;
      }
      p = weft__rec_put(p, now, schema, (uint32_t)psize);
      if (s->fixed_size) {
        for (size_t i = 0; i < n; i++) {
          if (f[i].type == WEFT_TYPE_BOOL) {
            *p++ = f[i].v.b ? 1 : 0;
          } else {
            memcpy(p, &f[i].v, 8);
            p += 8;
          }
        }
      } else {
        p += weft__fields_encode(p, f, n, weft__options()->array_keep,
                                 weft__options()->string_max);
      }
      p = weft__rec_pad(p, (size_t)psize);
      t->events++;
      weft__buf_commit(t, p);
      fr->dropped = 0;
    }
  }
  if (fr->dropped) {
    t->dropped++;
    t->dropped_all++;
    rc = d && t->frames[d - 1].dropped
             ? weft__error_repeat(WEFT_EFULL, weft__drop_inside, 0, 0)
             : weft__buf_drop_error(t);
  }
  fr->next = 2;
  fr->continued = 0;
  fr->serial = ++t->serial;
  t->depth = d + 1;
  *out = handle_of(t, fr->serial);
  return rc;
}

/* Check that `a` is the calling thread's innermost open action. */
static int check_top(weft__thread *t, weft_action a, const char *what) {
  if (!a)
    return weft__error(WEFT_EINVAL, "%s: the action handle is 0", what);
  if ((a >> SERIAL_BITS) != (uint64_t)t->index + 1)
    return weft__error(WEFT_ETHREAD,
                       "%s: the action was started on thread %llu, this is "
                       "thread %u",
                       what, (unsigned long long)(a >> SERIAL_BITS) - 1,
                       t->index);
  uint64_t serial = a & SERIAL_MASK;
  if (t->depth && (t->frames[t->depth - 1].serial & SERIAL_MASK) == serial)
    return WEFT_OK;
  for (uint32_t i = 0; i + 1 < t->depth; i++)
    if ((t->frames[i].serial & SERIAL_MASK) == serial)
      return weft__error(WEFT_EUNBALANCED,
                         "%s: %u action(s) started inside it are still open",
                         what, t->depth - 1 - i);
  return weft__error(WEFT_EFINISHED, "%s: the action is not open", what);
}

static void pop(weft__thread *t) {
  weft__frame *fr = &t->frames[--t->depth];
  fr->serial = 0;
  if (fr->continued)
    t->conts_len = fr->cont_off;
}

/* Write the END record of the innermost action and pop it. */
static void finish_top(weft__thread *t, uint32_t schema, int64_t code,
                       const char *reason) {
  weft__frame *fr = &t->frames[t->depth - 1];
  if (fr->dropped) {
    t->dropped++;
    t->dropped_all++;
    pop(t);
    return;
  }
  if (schema == WEFT_SCHEMA_SUCCESS) {
    unsigned char *p = weft__buf_reserve_end(t, WEFT_REC_SHORT_SIZE);
    if (p) {
      uint64_t v = (uint64_t)weft__now() | WEFT_REC_SHORT; /* record.h */
      memcpy(p, &v, sizeof v);
      t->events++;
      weft__buf_commit(t, p + WEFT_REC_SHORT_SIZE);
    }
    pop(t);
    return;
  }
  /* FAILURE: i64 code and the reason as a string field.  When even the
   * reserve cannot hold the reason, it is cut (its original_len says so). */
  weft_field r = WEFT_STR("reason", reason ? reason : "");
  size_t psize = 8 + weft__fields_size(&r, 1, 0, weft__options()->string_max);
  /* The reserve holds WEFT__END_MAX bytes per open action: a full reason
   * must fit outside it. */
  unsigned char *p =
      weft__buf_reserve(t, sizeof(weft_rec) + WEFT_REC_PAD(psize));
  uint32_t max = weft__options()->string_max;
  if (!p) {
    max = 0;
    psize = 16;
    p = weft__buf_reserve_end(t, sizeof(weft_rec) + psize);
  }
  if (p) {
    p = weft__rec_put(p, weft__now(), WEFT_SCHEMA_FAILURE, (uint32_t)psize);
    memcpy(p, &code, 8);
    p += 8;
    p += weft__fields_encode(p, &r, 1, 0, max);
    p = weft__rec_pad(p, psize);
    t->events++;
    weft__buf_commit(t, p);
  }
  pop(t);
}

/* ---- public entry points ----------------------------------------------------
 */

int weft__action_start_site(weft_action *out, weft_site *site, const char *type,
                            const weft_field *f, size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if (!out)
    return weft__error(WEFT_EINVAL, "weft_action_start: out is NULL");
  *out = 0;
  int64_t schema = weft__site_schema(t, site, WEFT_REC_START, type, f, n);
  if (schema < 0)
    return (int)schema;
  return weft__start(t, out, (uint32_t)schema, f, n, NULL, 0);
}

int weft_action_start(weft_action *out, const char *type,
                      const weft_field *fields, size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if (!out)
    return weft__error(WEFT_EINVAL, "weft_action_start: out is NULL");
  *out = 0;
  int64_t id = weft__schema_lookup(t, WEFT_REC_START, type, fields, n);
  if (id < 0)
    return (int)id;
  return weft__start(t, out, (uint32_t)id, fields, n, NULL, 0);
}

int weft_action_succeed(weft_action a) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if ((err = check_top(t, a, "weft_action_succeed")))
    return err;
  finish_top(t, WEFT_SCHEMA_SUCCESS, 0, NULL);
  return WEFT_OK;
}

int weft_action_fail(weft_action a, const char *reason, int64_t code) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if ((err = check_top(t, a, "weft_action_fail")))
    return err;
  finish_top(t, WEFT_SCHEMA_FAILURE, code, reason);
  return WEFT_OK;
}

static int add_fields(weft__thread *t, weft_action a, weft_site *site,
                      const weft_field *f, size_t n) {
  int err = check_top(t, a, "weft_action_add");
  if (err)
    return err;
  if (n == 0)
    return WEFT_OK;
  int64_t schema = weft__site_schema(t, site, WEFT_REC_ADD, NULL, f, n);
  if (schema < 0)
    return (int)schema;
  return weft__emit_fields(t, (uint32_t)schema, f, n, 0);
}

int weft__action_add_site(weft_action a, weft_site *site, const weft_field *f,
                          size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  return t ? add_fields(t, a, site, f, n) : err;
}

int weft_action_add(weft_action a, const weft_field *fields, size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  return t ? add_fields(t, a, NULL, fields, n) : err;
}

static int message(weft_site *site, const char *type, const weft_field *f,
                   size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  int64_t schema = weft__site_schema(t, site, WEFT_REC_MESSAGE, type, f, n);
  if (schema < 0)
    return (int)schema;
  return weft__emit_fields(t, (uint32_t)schema, f, n, 1);
}

int weft__message_site(weft_site *site, const char *type, const weft_field *f,
                       size_t n) {
  return message(site, type, f, n);
}

int weft_message_log(const char *type, const weft_field *fields, size_t n) {
  return message(NULL, type, fields, n);
}

weft_action weft_action_current(void) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t || !t->depth)
    return 0;
  return handle_of(t, t->frames[t->depth - 1].serial);
}

int weft_action_is_open(weft_action a) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t || !a)
    return 0;
  if ((a >> SERIAL_BITS) == (uint64_t)t->index + 1) {
    for (uint32_t i = 0; i < t->depth; i++)
      if ((t->frames[i].serial & SERIAL_MASK) == (a & SERIAL_MASK))
        return 1;
    return 0;
  }
  return weft__thread_has_open((uint32_t)(a >> SERIAL_BITS) - 1,
                               a & SERIAL_MASK);
}

/* ---- scoped forms
 * ------------------------------------------------------------ */

void weft__scope_end(weft_action *a) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t || !*a || (*a >> SERIAL_BITS) != (uint64_t)t->index + 1)
    return;
  uint32_t i = 0;
  while (i < t->depth &&
         (t->frames[i].serial & SERIAL_MASK) != (*a & SERIAL_MASK))
    i++;
  if (i == t->depth)
    return; /* finished inside the scope */
  /* Actions opened inside the scope and left open fail, so the tree stays
   * well formed and shows the mistake. */
  while (t->depth > i + 1)
    finish_top(t, WEFT_SCHEMA_FAILURE, 0,
               "still open when its enclosing scope ended");
  finish_top(t, WEFT_SCHEMA_SUCCESS, 0, NULL);
}

static void result(weft_action a, weft_field f) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (t)
    add_fields(t, a, NULL, &f, 1);
}

int64_t weft__result_i64(weft_action a, int64_t v) {
  result(a, WEFT_I64("result", v));
  return v;
}

uint64_t weft__result_u64(weft_action a, uint64_t v) {
  result(a, WEFT_U64("result", v));
  return v;
}

double weft__result_f64(weft_action a, double v) {
  result(a, WEFT_F64("result", v));
  return v;
}

int weft__result_bool(weft_action a, int v) {
  result(a, WEFT_BOOL("result", v));
  return v;
}

const char *weft__result_str(weft_action a, const char *v) {
  result(a, WEFT_STR("result", v ? v : ""));
  return v;
}
