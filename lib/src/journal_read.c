/*
 * journal_read.c - the records a journal holds that are not in the log
 * (journal_read.h; the format is docs/journal.md).
 *
 * Order of trust: the header must be intact (its checksum) or nothing is
 * read; dictionary entries are taken up to the first one whose checksum
 * fails; a sealed block must match its checksum; a block without one (the
 * block being filled when the process died) is taken record by record, each
 * checked by the stream decoder in lenient mode against the dictionary, up
 * to its published end.  The first failure in a thread cuts the rest of
 * that thread.
 */
#include "journal_read.h"
#include "buffer.h"
#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A process interns names and schemas in id order and appends each to its
 * dictionary as it does, so ids in a dictionary increase; a gap means an
 * append failed (a full disk).  Larger jumps are damage, and would make
 * the tables below huge. */
#define ID_JUMP_MAX 1024u

typedef struct blk {
  uint64_t slot;
  weft__block_hdr h;
  const unsigned char *data;
  uint64_t avail; /* data bytes present in the file */
} blk;

/* ---- small helpers -------------------------------------------------------
 */

static int cut_add(weft__journal_read *j, int64_t thread, uint64_t seq,
                   uint64_t slot, uint64_t offset, uint64_t bytes,
                   const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int cut_add(weft__journal_read *j, int64_t thread, uint64_t seq,
                   uint64_t slot, uint64_t offset, uint64_t bytes,
                   const char *fmt, ...) {
  weft__jr_cut *c = realloc(j->cuts, (j->ncuts + 1) * sizeof *c);
  if (!c)
    return weft__error(WEFT_ENOMEM, "journal cuts");
  j->cuts = c;
  c += j->ncuts++;
  c->thread = thread;
  c->seq = seq;
  c->slot = slot;
  c->offset = offset;
  c->bytes = bytes;
  c->bad_slot = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, sizeof c->why, fmt, ap);
  va_end(ap);
  return WEFT_OK;
}

static const weft__schema *dict_schema(void *arg, uint32_t id) {
  const weft__journal_read *j = arg;
  return id < j->nschemas ? j->schemas[id] : NULL;
}

static const char *dict_name(void *arg, uint32_t id) {
  const weft__journal_read *j = arg;
  return id < j->nnames ? j->names[id].s : NULL;
}

weft__dict weft__journal_read_dict(const weft__journal_read *j) {
  return (weft__dict){dict_schema, dict_name, (void *)j};
}

uint32_t weft__journal_read_world(const weft__journal_read *j,
                                  uint32_t *world_size) {
  const weft__journal_header *h = &j->h;
  int known = h->world_rank >= 0 && (uint32_t)h->world_rank < h->world_size;
  *world_size = known ? h->world_size : 0;
  return known ? (uint32_t)h->world_rank : UINT32_MAX;
}

/* ---- header --------------------------------------------------------------
 */

static int read_header(weft__journal_read *j, const unsigned char *wj,
                       size_t len) {
  weft__journal_header *h = &j->h;
  if (len < sizeof *h)
    return weft__error(WEFT_EFORMAT,
                       "journal of %zu bytes: shorter than its header", len);
  memcpy(h, wj, sizeof *h);
  if (memcmp(h->magic, WEFT__JOURNAL_MAGIC, 8) != 0)
    return weft__error(WEFT_EFORMAT, "not a Weft journal (bad magic)");
  /* Every version has its first checksum at 1232; version 3 adds the
   * world rank after it, with a second checksum (journal.h).  Version 1
   * journals have no short SUCCESS records either: read alike. */
  if (weft__journal_checksum(h, offsetof(weft__journal_header, checksum)) !=
      h->checksum)
    return weft__error(WEFT_EFORMAT, "journal header checksum mismatch");
  if (h->version == 1 || h->version == 2) {
    /* Their writers did not record the world rank. */
    h->world_rank = -1;
    h->world_size = 0;
  } else if (h->version != WEFT__JOURNAL_VERSION) {
    return weft__error(WEFT_ENOTSUP,
                       "journal version %u is not supported (this weft "
                       "reads versions 1 to %u)",
                       h->version, WEFT__JOURNAL_VERSION);
  } else if (weft__journal_checksum(h, offsetof(weft__journal_header,
                                                checksum3)) != h->checksum3) {
    return weft__error(WEFT_EFORMAT, "journal header checksum mismatch "
                                     "(world rank)");
  }
  if (h->header_size != WEFT__JOURNAL_HEADER || h->block_size < 64 ||
      h->block_size > ((uint64_t)1 << 32) || h->block_size % 8 ||
      h->slot_size != sizeof(weft__block_hdr) + h->block_size ||
      h->nslots > ((uint64_t)1 << 40) / h->slot_size)
    return weft__error(WEFT_EFORMAT,
                       "journal geometry is inconsistent (header %u, block "
                       "%llu, slot %llu, %llu slots)",
                       h->header_size, (unsigned long long)h->block_size,
                       (unsigned long long)h->slot_size,
                       (unsigned long long)h->nslots);
  h->host[sizeof h->host - 1] = '\0';
  h->job[sizeof h->job - 1] = '\0';
  h->log[sizeof h->log - 1] = '\0';
  return WEFT_OK;
}

/* ---- dictionary ----------------------------------------------------------
 */

static int fixed_schemas(weft__journal_read *j) {
  static const uint8_t kinds[] = {0,
                                  WEFT_REC_TASK,
                                  WEFT_REC_SUCCESS,
                                  WEFT_REC_FAILURE,
                                  WEFT_REC_SERIALIZE,
                                  WEFT_REC_CONTINUE};
  j->schemas = calloc(WEFT_SCHEMA_FIRST_USER, sizeof *j->schemas);
  if (!j->schemas)
    return weft__error(WEFT_ENOMEM, "journal dictionary");
  j->nschemas = WEFT_SCHEMA_FIRST_USER;
  for (uint32_t i = 1; i < sizeof kinds; i++) {
    weft__schema *s = calloc(1, sizeof *s);
    if (!s)
      return weft__error(WEFT_ENOMEM, "journal dictionary");
    s->id = i;
    s->kind = kinds[i];
    s->fixed_size = i != WEFT_SCHEMA_FAILURE && i != WEFT_SCHEMA_CONTINUE;
    s->payload_size = i == WEFT_SCHEMA_TASK ? 16 : 0;
    j->schemas[i] = s;
  }
  return WEFT_OK;
}

static int grow_ids(void **arr, uint32_t *n, uint32_t need, size_t elem) {
  if (need <= *n)
    return WEFT_OK;
  uint32_t cap = *n ? *n : 16;
  while (cap < need)
    cap *= 2;
  void *p = realloc(*arr, (size_t)cap * elem);
  if (!p)
    return weft__error(WEFT_ENOMEM, "journal dictionary");
  memset((char *)p + (size_t)*n * elem, 0, (size_t)(cap - *n) * elem);
  *arr = p;
  *n = cap;
  return WEFT_OK;
}

/* One entry's body; returns 1 when it is malformed (a cut), 0, or < 0. */
static int dict_entry(weft__journal_read *j, uint8_t type,
                      const unsigned char *b, size_t n) {
  if (type == WEFT__DICT_NAME) {
    uint32_t id, len;
    if (n < 8)
      return 1;
    memcpy(&id, b, 4);
    memcpy(&len, b + 4, 4);
    if (id <= j->last_name || id - j->last_name > ID_JUMP_MAX || len != n - 8 ||
        len > WEFT_NAME_MAX)
      return 1;
    j->last_name = id;
    int rc = grow_ids((void **)&j->names, &j->nnames, id + 1, sizeof *j->names);
    char *s = rc ? NULL : malloc((size_t)len + 1);
    if (!s)
      return rc ? rc : weft__error(WEFT_ENOMEM, "journal dictionary");
    memcpy(s, b + 8, len);
    s[len] = '\0';
    j->names[id] = (weft__jr_name){id, len, s};
    return 0;
  }
  if (type != WEFT__DICT_SCHEMA || n < 12)
    return 1;
  uint32_t id, tname;
  uint16_t nf;
  memcpy(&id, b, 4);
  memcpy(&nf, b + 6, 2);
  memcpy(&tname, b + 8, 4);
  uint8_t kind = b[4];
  uint32_t last = j->last_schema ? j->last_schema : WEFT_SCHEMA_FIRST_USER - 1;
  if (id <= last || id - last > ID_JUMP_MAX || nf > WEFT_FIELDS_MAX ||
      n != 12 + 5 * (size_t)nf || kind < WEFT_REC_START ||
      kind > WEFT_REC_GLOBALS)
    return 1;
  if (tname && (tname >= j->nnames || !j->names[tname].s))
    return 1;
  weft__schema *s = calloc(1, sizeof *s + 5 * (size_t)nf);
  if (!s)
    return weft__error(WEFT_ENOMEM, "journal dictionary");
  uint32_t *names = (uint32_t *)(s + 1);
  uint8_t *types = (uint8_t *)(names + nf);
  memcpy(names, b + 12, 4 * (size_t)nf);
  memcpy(types, b + 12 + 4 * (size_t)nf, nf);
  s->id = id;
  s->kind = kind;
  s->nfields = nf;
  s->type_name = tname;
  s->names = names;
  s->types = types;
  s->fixed_size = 1;
  for (uint16_t i = 0; i < nf; i++) {
    if (!names[i] || names[i] >= j->nnames || !j->names[names[i]].s ||
        types[i] < WEFT_TYPE_I64 || types[i] > WEFT_TYPE_F64_ARRAY) {
      free(s);
      return 1;
    }
    if (types[i] == WEFT_TYPE_BOOL)
      s->payload_size += 1;
    else if (types[i] <= WEFT_TYPE_F64)
      s->payload_size += 8;
    else
      s->fixed_size = 0;
  }
  if (!s->fixed_size)
    s->payload_size = 0;
  int rc =
      grow_ids((void **)&j->schemas, &j->nschemas, id + 1, sizeof *j->schemas);
  if (rc) {
    free(s);
    return rc;
  }
  j->schemas[id] = s;
  j->last_schema = id;
  return 0;
}

static int read_dict(weft__journal_read *j, const unsigned char *d,
                     size_t len) {
  int rc = fixed_schemas(j);
  size_t off = 0;
  while (rc == WEFT_OK && off < len) {
    uint32_t n;
    uint64_t sum;
    const char *why = NULL;
    if (len - off < 13) {
      why = "torn entry header";
    } else {
      memcpy(&n, d + off, 4);
      memcpy(&sum, d + off + 4, 8);
      if (n < 1 || n > len - off - 12)
        why = "entry runs past the end of the file";
      else if (weft__journal_checksum(d + off + 12, n) != sum)
        why = "entry checksum mismatch";
      else if ((rc = dict_entry(j, d[off + 12], d + off + 13, n - 1)) == 1)
        why = "malformed entry";
    }
    if (rc < 0)
      return rc;
    if (why)
      return cut_add(j, -1, 0, 0, off, len - off,
                     "dictionary cut at byte %zu: %s", off, why);
    off += 12 + (size_t)n;
  }
  return rc;
}

/* ---- blocks --------------------------------------------------------------
 */

static int blk_cmp(const void *a, const void *b) {
  const blk *x = a, *y = b;
  if (x->h.thread != y->h.thread)
    return x->h.thread < y->h.thread ? -1 : 1;
  if (x->h.seq != y->h.seq)
    return x->h.seq < y->h.seq ? -1 : 1;
  return (x->slot > y->slot) - (x->slot < y->slot);
}

static int gather(weft__journal_read *j, const unsigned char *wj, size_t len,
                  blk **out, size_t *nout) {
  const weft__journal_header *h = &j->h;
  blk *v = NULL;
  size_t n = 0, cap = 0;
  for (uint64_t s = 0; s < h->nslots; s++) {
    uint64_t at = WEFT__JOURNAL_HEADER + s * h->slot_size;
    if (at >= len)
      break;
    if (len - at < sizeof(weft__block_hdr)) {
      int rc = WEFT_OK;
      for (size_t i = at; i < len && rc == WEFT_OK; i++)
        if (wj[i]) { /* something was there: say so */
          rc = cut_add(j, -1, 0, s, 0, 0,
                       "journal file ends inside the header of slot %llu",
                       (unsigned long long)s);
          break;
        }
      if (rc < 0) {
        free(v);
        return rc;
      }
      break;
    }
    weft__block_hdr bh;
    memcpy(&bh, wj + at, sizeof bh);
    if ((bh.magic != WEFT__BLOCK_MAGIC && bh.magic != 0) ||
        (bh.magic == WEFT__BLOCK_MAGIC &&
         bh.ident != weft__block_ident(bh.thread, bh.seq))) {
      /* Neither free nor in use: a damaged header.  The block it claims
       * to be, and what follows it in that thread, cannot be trusted. */
      int rc = cut_add(j, bh.thread, bh.seq, s, 0, 0,
                       "slot %llu has a damaged block header",
                       (unsigned long long)s);
      if (rc) {
        free(v);
        return rc;
      }
      j->cuts[j->ncuts - 1].bad_slot = 1;
      continue;
    }
    if (bh.magic != WEFT__BLOCK_MAGIC)
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      blk *p = realloc(v, cap * sizeof *p);
      if (!p) {
        free(v);
        return weft__error(WEFT_ENOMEM, "journal blocks");
      }
      v = p;
    }
    uint64_t data_at = at + sizeof bh, avail = 0;
    if (data_at < len)
      avail = len - data_at < h->block_size ? len - data_at : h->block_size;
    v[n++] = (blk){s, bh, wj + data_at, avail};
  }
  uint64_t full = WEFT__JOURNAL_HEADER + h->nslots * h->slot_size;
  if (len < full) { /* the file is always made at its full size */
    int rc = cut_add(j, -1, 0, 0, len, full - len,
                     "journal file is truncated: %zu of %llu bytes", len,
                     (unsigned long long)full);
    if (rc) {
      free(v);
      return rc;
    }
  }
  if (n)
    qsort(v, n, sizeof *v, blk_cmp);
  *out = v;
  *nout = n;
  return WEFT_OK;
}

typedef struct thread_state {
  weft__journal_read *j;
  weft__jr_stream *st;
  weft__decoder *dec;
  size_t cap;
} thread_state;

static int no_event(void *arg, uint64_t stream, const weft_event *ev) {
  (void)arg;
  (void)stream;
  (void)ev;
  return 0;
}

static int no_globals(void *arg, uint64_t stream, const weft_value *v,
                      size_t n) {
  (void)arg;
  (void)stream;
  (void)v;
  (void)n;
  return 0;
}

static int take(thread_state *ts, const unsigned char *p, size_t n) {
  weft__jr_stream *st = ts->st;
  if (st->len + n > ts->cap) {
    size_t cap = ts->cap ? ts->cap : 4096;
    while (cap < st->len + n)
      cap *= 2;
    unsigned char *q = realloc(st->data, cap);
    if (!q)
      return weft__error(WEFT_ENOMEM, "journal records");
    st->data = q;
    ts->cap = cap;
  }
  memcpy(st->data + st->len, p, n);
  st->len += n;
  return WEFT_OK;
}

/* Walk the records of b's data in [from, end); returns the offset where a
 * record failed (== end when none did) and its reason in why. */
static uint64_t walk(thread_state *ts, const blk *b, uint64_t from,
                     uint64_t end, char *why, size_t cap, int *err) {
  weft__journal_read *j = ts->j;
  uint64_t off = from;
  *err = 0;
  while (off < end) {
    weft_rec r;
    size_t hl = weft__rec_get(b->data + off, (size_t)(end - off), &r);
    if (hl == 0) {
      snprintf(why, cap, "torn record header");
      return off;
    }
    if (hl == WEFT_REC_SHORT_SIZE && j->h.version == 1) {
      snprintf(why, cap, "short record in a version 1 journal");
      return off;
    }
    uint64_t need = hl + WEFT_REC_PAD((uint64_t)r.size);
    if (need > end - off) {
      snprintf(why, cap, "record of %u payload bytes runs past the end",
               r.size);
      return off;
    }
    if (!dict_schema(j, r.schema)) {
      snprintf(why, cap, "record with unknown schema %u", r.schema);
      return off;
    }
    for (uint64_t k = hl + r.size; k < need; k++)
      if (b->data[off + k]) {
        snprintf(why, cap, "record padding is not zero");
        return off;
      }
    int rc = weft__decoder_feed(ts->dec, ts->st->thread, b->data + off,
                                (size_t)need, no_event, no_globals, NULL);
    if (rc == WEFT_ENOMEM) {
      *err = rc;
      return off;
    }
    if (rc < 0) {
      snprintf(why, cap, "%s", weft_errmsg());
      return off;
    }
    if ((rc = take(ts, b->data + off, (size_t)need)) < 0) {
      *err = rc;
      return off;
    }
    ts->st->records++;
    ts->st->t_last = r.t;
    if (!j->t_first || r.t < j->t_first)
      j->t_first = r.t;
    if (!j->t_last || r.t > j->t_last)
      j->t_last = r.t;
    off += need;
  }
  return off;
}

static int piece_add(weft__jr_stream *st, const blk *b, uint64_t from,
                     uint64_t to) {
  weft__jr_piece *p = realloc(st->pieces, (st->npieces + 1) * sizeof *p);
  if (!p)
    return weft__error(WEFT_ENOMEM, "journal pieces");
  st->pieces = p;
  p[st->npieces++] = (weft__jr_piece){b->slot, b->h.seq, from, to};
  return WEFT_OK;
}

/* Where the records not yet in the log begin in block b, or UINT64_MAX when
 * the header is inconsistent. */
static uint64_t first_unlogged(const weft__journal_read *j, const blk *b,
                               weft__jr_want want) {
  const weft__block_hdr *h = &b->h;
  if (h->used > j->h.block_size || h->used % 8 || h->consumed > h->used ||
      h->consumed % 8 || h->sealed > 1)
    return UINT64_MAX;
  if (want.all)
    return 0;
  if (h->taken > h->consumed && h->taken <= h->used && h->taken % 8 == 0 &&
      h->epoch < want.log_epochs)
    return h->taken;
  return h->consumed;
}

/* A damaged slot (gather) claims to be block <= seq of thread. */
static int damaged_before(const weft__journal_read *j, uint32_t thread,
                          uint64_t seq) {
  for (size_t i = 0; i < j->ncuts; i++)
    if (j->cuts[i].bad_slot && j->cuts[i].thread == (int64_t)thread &&
        j->cuts[i].seq <= seq)
      return 1;
  return 0;
}

/* One thread's blocks v[0, n), in sequence order. */
static int read_thread(weft__journal_read *j, const blk *v, size_t n,
                       weft__jr_want want) {
  weft__jr_stream *st = &j->streams[j->nstreams];
  memset(st, 0, sizeof *st);
  st->thread = v[0].h.thread;
  thread_state ts = {j, st, NULL, 0};
  int rc = weft__decoder_new(&ts.dec, weft__journal_read_dict(j));
  if (rc < 0)
    return rc;
  weft__decoder_set_lenient(ts.dec, 1);
  j->nstreams++;
  int cut = 0;
  for (size_t i = 0; i < n && rc == WEFT_OK; i++) {
    const blk *b = &v[i];
    const weft__block_hdr *h = &b->h;
    j->blocks++;
    if (cut) {
      rc = cut_add(j, st->thread, h->seq, b->slot, 0, h->used,
                   "block after a cut in the same thread");
      continue;
    }
    if (damaged_before(j, st->thread, h->seq)) {
      rc = cut_add(j, st->thread, h->seq, b->slot, 0, h->used,
                   "a damaged block of this thread comes at or before it");
      cut = 1;
      continue;
    }
    if (i > 0 && h->seq != v[i - 1].h.seq + 1) {
      rc = cut_add(j, st->thread, h->seq, b->slot, 0, h->used,
                   h->seq == v[i - 1].h.seq
                       ? "two blocks with the same sequence number"
                       : "blocks missing before this one");
      cut = 1;
      continue;
    }
    uint64_t from = first_unlogged(j, b, want);
    if (from == UINT64_MAX) {
      rc = cut_add(j, st->thread, h->seq, b->slot, 0, h->used,
                   "block header is inconsistent");
      cut = 1;
      continue;
    }
    j->in_log += from;
    uint64_t end = h->used < b->avail ? h->used : b->avail;
    if (h->sealed) {
      if (b->avail < h->used) {
        rc = cut_add(j, st->thread, h->seq, b->slot, from, h->used - from,
                     "journal file ends inside a sealed block (at data byte "
                     "%llu of %llu)",
                     (unsigned long long)b->avail, (unsigned long long)h->used);
        cut = 1;
        continue;
      }
      if (weft__journal_checksum(b->data, h->used) != h->checksum) {
        rc = cut_add(j, st->thread, h->seq, b->slot, from, h->used - from,
                     "sealed block checksum mismatch");
        cut = 1;
        continue;
      }
    }
    char why[120] = "";
    int err = 0;
    uint64_t at = walk(&ts, b, from, end, why, sizeof why, &err);
    if (err < 0) {
      rc = err;
      break;
    }
    if (at > from)
      rc = piece_add(st, b, from, at);
    if (rc == WEFT_OK && at < end) {
      rc = cut_add(j, st->thread, h->seq, b->slot, at, h->used - at, "%s", why);
      cut = 1;
    } else if (rc == WEFT_OK && end < h->used) {
      rc = cut_add(j, st->thread, h->seq, b->slot, end, h->used - end,
                   "journal file ends inside the block (at data byte %llu "
                   "of %llu)",
                   (unsigned long long)end, (unsigned long long)h->used);
      cut = 1;
    }
  }
  st->open = weft__decoder_open_count(ts.dec, st->thread);
  weft__decoder_free(ts.dec);
  j->records += st->records;
  j->bytes += st->len;
  return rc;
}

int weft__journal_read_mem(weft__journal_read *j, const unsigned char *wj,
                           size_t wjlen, const unsigned char *wjd,
                           size_t wjdlen, weft__jr_want want) {
  memset(j, 0, sizeof *j);
  int rc = read_header(j, wj, wjlen);
  if (rc == WEFT_OK)
    rc = read_dict(j, wjd, wjdlen);
  blk *v = NULL;
  size_t n = 0;
  if (rc == WEFT_OK)
    rc = gather(j, wj, wjlen, &v, &n);
  size_t threads = 0;
  for (size_t i = 0; i < n; i++)
    threads += i == 0 || v[i].h.thread != v[i - 1].h.thread;
  if (rc == WEFT_OK && threads &&
      !(j->streams = calloc(threads, sizeof *j->streams)))
    rc = weft__error(WEFT_ENOMEM, "journal streams");
  for (size_t i = 0; rc == WEFT_OK && i < n;) {
    size_t k = i + 1;
    while (k < n && v[k].h.thread == v[i].h.thread)
      k++;
    rc = read_thread(j, v + i, k - i, want);
    i = k;
  }
  free(v);
  if (rc < 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", weft_errmsg());
    uint32_t version = j->h.version;
    weft__journal_read_free(j);
    if (rc == WEFT_ENOTSUP) /* the caller may say whose it is */
      j->h.version = version;
    /* weft_errmsg() already has the code's prefix: keep only the detail. */
    const char *colon = strstr(msg, ": ");
    return weft__error(rc, "%s", colon ? colon + 2 : msg);
  }
  return WEFT_OK;
}

static int read_all(const char *path, unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  }
  size_t cap = st.st_size > 0 ? (size_t)st.st_size : 1, n = 0;
  unsigned char *p = malloc(cap);
  ssize_t got = 0;
  while (p && n < cap && (got = read(fd, p + n, cap - n)) > 0)
    n += (size_t)got;
  close(fd);
  if (!p)
    return weft__error(WEFT_ENOMEM, "reading %s", path);
  if (got < 0) {
    free(p);
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  }
  *out = p;
  *len = n;
  return WEFT_OK;
}

int weft__journal_read_file(weft__journal_read *j, const char *path,
                            weft__jr_want want) {
  memset(j, 0, sizeof *j);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return weft__error(WEFT_EIO, "%s: not a regular file", path);
  }
  /* The file is sparse and may be large: map it rather than read it. */
  size_t len = (size_t)st.st_size;
  void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  close(fd);
  if (len && map == MAP_FAILED)
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  char dpath[4200];
  snprintf(dpath, sizeof dpath, "%sd", path);
  unsigned char *dict = NULL;
  size_t dlen = 0;
  /* A missing dictionary reads as empty: records with user schemas are
   * then cut, and reported. */
  if (access(dpath, F_OK) == 0) {
    int rc = read_all(dpath, &dict, &dlen);
    if (rc < 0) {
      if (map)
        munmap(map, len);
      return rc;
    }
  }
  int rc = weft__journal_read_mem(j, map ? map : (const void *)"", len, dict,
                                  dlen, want);
  if (map)
    munmap(map, len);
  free(dict);
  if (rc < 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s", weft_errmsg());
    const char *colon = strstr(msg, ": ");
    return weft__error(rc, "%s: %s", path, colon ? colon + 2 : msg);
  }
  return WEFT_OK;
}

void weft__journal_read_free(weft__journal_read *j) {
  for (uint32_t i = 0; i < j->nnames; i++)
    free(j->names[i].s);
  free(j->names);
  for (uint32_t i = 0; i < j->nschemas; i++)
    free(j->schemas[i]);
  free(j->schemas);
  for (size_t i = 0; i < j->nstreams; i++) {
    free(j->streams[i].data);
    free(j->streams[i].pieces);
  }
  free(j->streams);
  free(j->cuts);
  memset(j, 0, sizeof *j);
}

int weft__journal_mark_taken(const char *path, const weft__journal_read *j,
                             uint64_t epoch) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  int rc = WEFT_OK;
  for (size_t i = 0; rc == WEFT_OK && i < j->nstreams; i++)
    for (size_t k = 0; rc == WEFT_OK && k < j->streams[i].npieces; k++) {
      const weft__jr_piece *p = &j->streams[i].pieces[k];
      off_t at = (off_t)(WEFT__JOURNAL_HEADER + p->slot * j->h.slot_size);
      uint64_t v[2] = {p->to, epoch}; /* taken, epoch: adjacent fields */
      if (pwrite(fd, v, sizeof v, at + offsetof(weft__block_hdr, taken)) !=
          (ssize_t)sizeof v)
        rc = weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
    }
  if (rc == WEFT_OK && fsync(fd) != 0)
    rc = weft__error(WEFT_EIO, "%s: %s", path, strerror(errno));
  close(fd);
  return rc;
}
