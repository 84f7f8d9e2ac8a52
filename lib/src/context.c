/*
 * context.c - serializing a task context and continuing it elsewhere.
 *
 * The text form is Eliot's: "<task id as 32 hex digits>@/3/2/5", the level
 * of the new child slot.  Serializing takes that slot of the action (a
 * SERIALIZE record keeps readers' slot numbering in step).  Unlike Eliot,
 * a context may be continued many times: each continuation is a separate
 * action at that level, told apart by rank and thread.
 */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>

/* Find the frame of open action a on thread t (a == 0: the innermost). */
static int frame_of(weft__thread *t, weft_action a, uint32_t *depth) {
  if (a && (a >> 40) != (uint64_t)t->index + 1)
    return weft__error(WEFT_ETHREAD, "the action belongs to another thread");
  if (!t->depth)
    return weft__error(WEFT_ENOACTION, "no action is open on this thread");
  if (!a) {
    *depth = t->depth;
    return WEFT_OK;
  }
  for (uint32_t i = 0; i < t->depth; i++) {
    if ((t->frames[i].serial & ((UINT64_C(1) << 40) - 1)) ==
        (a & ((UINT64_C(1) << 40) - 1))) {
      *depth = i + 1;
      return WEFT_OK;
    }
  }
  return weft__error(WEFT_EFINISHED, "the action is not open");
}

int weft_context_serialize(weft_action a, char *buf, size_t cap, size_t *len) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  uint32_t d = 0;
  if ((err = frame_of(t, a, &d)))
    return err;
  /* The level of the new slot: that of the nearest continued action at or
   * below frame d-1 (or [] for a task root), the slots of the frames above
   * it, then the slot taken now. */
  uint32_t j = d - 1;
  while (j > 0 && !t->frames[j].continued)
    j--;
  const weft__frame *seg = &t->frames[j];
  uint64_t hi = seg->continued ? seg->task_hi : t->task_hi;
  uint64_t lo = seg->continued ? seg->task_lo : t->task_lo;
  uint32_t level[5 * WEFT_DEPTH_MAX + 1];
  size_t n = 0;
  if (seg->continued)
    for (uint32_t i = 0; i < seg->cont_len; i++)
      level[n++] = t->conts[seg->cont_off + i];
  for (uint32_t i = j + 1; i < d; i++)
    level[n++] = t->frames[i].slot;
  weft__frame *fr = &t->frames[d - 1];
  level[n++] = fr->next;

  char tmp[WEFT_CONTEXT_MAX];
  int w = snprintf(tmp, sizeof tmp, "%016llx%016llx@", (unsigned long long)hi,
                   (unsigned long long)lo);
  for (size_t i = 0; i < n && w > 0 && (size_t)w < sizeof tmp; i++)
    w += snprintf(tmp + w, sizeof tmp - (size_t)w, "/%u", level[i]);
  if (w <= 0 || (size_t)w >= sizeof tmp)
    return weft__error(WEFT_ENOSPACE, "context longer than %d bytes",
                       WEFT_CONTEXT_MAX);
  if (len)
    *len = (size_t)w + 1;
  if (!buf || cap < (size_t)w + 1)
    return weft__error(WEFT_ENOSPACE, "context needs %d bytes, %zu given",
                       w + 1, cap);
  memcpy(buf, tmp, (size_t)w + 1);

  /* Take the slot, if it can be recorded: readers number slots from the
   * records, so a slot taken silently would shift every later level. */
  if (!t->frames[t->depth - 1].dropped) { /* then none below is dropped */
    uint32_t up = t->depth - d;
    size_t psize = up ? 4 : 0;
    unsigned char *p =
        weft__buf_reserve(t, sizeof(weft_rec) + WEFT_REC_PAD(psize));
    if (p) {
      p = weft__rec_put(p, weft__now(), WEFT_SCHEMA_SERIALIZE, (uint32_t)psize);
      if (up) {
        memcpy(p, &up, 4);
        p = weft__rec_pad(p + 4, 4);
      }
      weft__buf_commit(t, p);
      fr->next++;
      return WEFT_OK;
    }
  }
  /* Not recorded: a continuation will show as continuing an action whose
   * events were dropped. */
  t->dropped++;
  t->dropped_all++;
  return WEFT_OK;
}

/* Parse "<32 hex>@/a/b/c" into a task id and a level. */
static int parse_context(const char *s, uint64_t *hi, uint64_t *lo,
                         uint32_t *level, uint32_t *n) {
  if (!s)
    return weft__error(WEFT_EINVAL, "context is NULL");
  uint64_t v[2] = {0, 0};
  for (int i = 0; i < 32; i++) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return weft__error(WEFT_ECONTEXT,
                         "context \"%.60s\": character %d is not a hex digit",
                         s, i);
    v[i / 16] = (v[i / 16] << 4) | d;
  }
  if (s[32] != '@' || s[33] != '/')
    return weft__error(WEFT_ECONTEXT,
                       "context \"%.60s\": expected \"@/\" after the task id",
                       s);
  const char *p = s + 33;
  *n = 0;
  while (*p == '/') {
    p++;
    if (*p < '1' || *p > '9')
      return weft__error(WEFT_ECONTEXT,
                         "context \"%.60s\": level elements are integers "
                         ">= 1",
                         s);
    char *end;
    unsigned long x = strtoul(p, &end, 10);
    if (x > UINT32_MAX || *n >= WEFT_DEPTH_MAX)
      return weft__error(WEFT_ECONTEXT,
                         "context \"%.60s\": level too long or too large", s);
    level[(*n)++] = (uint32_t)x;
    p = end;
  }
  if (*p != '\0' || *n == 0)
    return weft__error(WEFT_ECONTEXT, "context \"%.60s\": malformed level", s);
  *hi = v[0];
  *lo = v[1];
  return WEFT_OK;
}

int weft_context_continue(weft_action *out, const char *context,
                          const char *type, const weft_field *fields,
                          size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if (!out)
    return weft__error(WEFT_EINVAL, "weft_context_continue: out is NULL");
  *out = 0;
  uint64_t hi = 0, lo = 0;
  uint32_t level[WEFT_DEPTH_MAX], nl = 0;
  if ((err = parse_context(context, &hi, &lo, level, &nl)))
    return err;
  int64_t id = weft__schema_lookup(t, WEFT_REC_START, type, fields, n);
  if (id < 0)
    return (int)id;

  /* The CONTINUE record, copied in by weft__start before the START. */
  unsigned char pre[sizeof(weft_rec) + 24 + 4 * WEFT_DEPTH_MAX];
  uint32_t psize = 16 + 4 + 4 * nl;
  unsigned char *p = weft__rec_put(pre, 0, WEFT_SCHEMA_CONTINUE, psize);
  memcpy(p, &hi, 8);
  memcpy(p + 8, &lo, 8);
  memcpy(p + 16, &nl, 4);
  memcpy(p + 20, level, 4 * (size_t)nl);
  p = weft__rec_pad(p + psize, psize);

  if (t->conts_len + nl > sizeof t->conts / sizeof t->conts[0]) {
    weft__emit_limit(t, "continued_levels", sizeof t->conts / 4);
    return weft__error(WEFT_EDEPTH,
                       "continued contexts nested too deeply on this thread");
  }
  uint32_t d = t->depth;
  int rc = weft__start(t, out, (uint32_t)id, fields, n, pre, (size_t)(p - pre));
  if (t->depth == d + 1) { /* pushed (recorded, or dropped: EFULL) */
    weft__frame *fr = &t->frames[d];
    fr->continued = 1;
    fr->task_hi = hi;
    fr->task_lo = lo;
    fr->cont_off = t->conts_len;
    fr->cont_len = (uint16_t)nl;
    memcpy(&t->conts[t->conts_len], level, 4 * (size_t)nl);
    t->conts_len += nl;
  }
  return rc;
}
