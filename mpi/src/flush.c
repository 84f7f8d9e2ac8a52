/*
 * flush.c - one epoch of the collective writer (parallel-hdf5.md section 8,
 * docs/format.md section 8).
 *
 *   1. snapshot the buffers (weft__pending_collect);
 *   2. count the /events rows, leaf rows of /actions and /payload bytes
 *      the records become, build the segment, name, schema and derived
 *      action rows and the /order bits (all staged locally); then meet
 *      the other ranks (weft__meet: the stop-flag agreement of
 *      weft_mpi_flush, a quiet barrier in weft_mpi_finalize) and sample
 *      the clock, which puts the derived rows on the timeline;
 *   3. MPI_Exscan / MPI_Allreduce of the row counts: each rank's offsets
 *      and the totals; no event data ever leaves its rank except through
 *      the collective MPI-IO write;
 *   4. rank 0 checks that the file has room (space_probe.c);
 *      per dataset with a non-zero total: extend once, one collective
 *      hyperslab write (heaps before the tables that index them); the
 *      records and leaf rows are copied and written in rounds, the leaf
 *      rows put on the timeline as they are copied, the derived rows
 *      after them (write_records);
 *   5. rewrite /ranks, write the `committed` attribute, H5Fflush (not in
 *      the final flush: H5Fclose follows, see weft__file_commit).
 * The ranks agree after every collective step.  Only when every step
 * succeeded on every rank is the snapshot released and the writer's state
 * (committed counts, names and schemas written, clock samples, open
 * actions) advanced; otherwise the snapshot is abandoned to libweft, which
 * returns it at the next collect, and the next flush overwrites the
 * uncommitted rows.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>

#define LOCAL_ROW WEFT__LOCAL_ROW

typedef struct epoch {
  weft__pending p;
  int collected;
  weft__clock_sample now;
  weft__action_state work;
  uint64_t n[WEFT_D_COUNT];
  uint64_t off[WEFT_D_COUNT];
  uint64_t tot[WEFT_D_COUNT];
  uint64_t nrec, npay;      /* this rank's /events rows, /payload bytes */
  uint64_t nleaf;           /* ... and leaf rows of /actions */
  uint64_t nderived;        /* ... and derived rows (stage[WEFT_D_ACTIONS]) */
  uint64_t tot_derived;     /* all ranks' derived rows */
  uint8_t bits;             /* the segment's /order bits not yet stored */
  unsigned nbits;           /* how many */
  size_t *order, norder;    /* spans thread by thread (stage_records) */
  int whole;                /* records staged whole by scan() */
  uint64_t rank_strings_at; /* local offset of rank strings in /strings */
  uint32_t names_upto;      /* names below this id are staged */
  uint32_t schemas_upto;    /* schemas below this id are staged */
} epoch;

/* The schema of id: the fixed ones by value, the last user schema seen
 * kept (a stream mostly repeats one start schema between SUCCESS ids). */
typedef struct schema_cache {
  uint32_t id;
  const weft__schema *s;
} schema_cache;

static const weft__schema *schema_of(schema_cache *c, uint32_t id) {
  if (id < WEFT_SCHEMA_FIRST_USER)
    return weft__schema_get(id);
  if (id != c->id) {
    c->s = weft__schema_get(id);
    c->id = id;
  }
  return c->s;
}

/* The records' bytes were written long ago and are in no cache, and the
 * hardware prefetcher stops at each 4 KiB page: both passes ask ahead.
 * (A prefetch never faults, past the end of a span either.) */
#define PREFETCH_AHEAD 1024

/* Whether the record at data[off] (a START) and the next one fold into a
 * leaf (record.h, WEFT_REC_LEAF): that next one, in the same span, is a
 * SUCCESS without payload (short or not).  Returns the bytes of that
 * SUCCESS, or 0.  Both passes decide with this alone, so they fold
 * alike. */
static inline size_t leaf_at(const unsigned char *data, size_t off, size_t len,
                             int64_t *end) {
  weft_rec next;
  size_t hl = weft__rec_get(data + off, len - off, &next);
  if (hl == 0 || next.schema != WEFT_SCHEMA_SUCCESS || next.size != 0)
    return 0;
  *end = next.t;
  return hl;
}

/* Copy a padded payload (a multiple of 8 bytes).  Most are a few words:
 * a loop the compiler keeps inline beats a call to memcpy for each. */
static inline void copy_payload(unsigned char *dst, const unsigned char *src,
                                size_t n) {
  if (n > 64) {
    memcpy(dst, src, n);
    return;
  }
  for (size_t k = 0; k < n; k += 8)
    memcpy(dst + k, src + k, 8);
}

/* Write one /events row at *evp and its /payload bytes at *payp: header
 * h (skew applied), the padded payload, and for a leaf the LEAF bit, 8
 * more bytes of size and the end time (record.h). */
static inline void put_record(unsigned char **evp, unsigned char **payp,
                              weft_rec h, const unsigned char *payload,
                              size_t padded, int leaf, int64_t end) {
  if (leaf) {
    h.schema |= WEFT_REC_LEAF;
    h.size += 8;
  }
  memcpy(*evp, &h, sizeof h);
  *evp += sizeof h;
  copy_payload(*payp, payload, padded);
  *payp += padded;
  if (leaf) {
    memcpy(*payp, &end, 8);
    *payp += 8;
  }
}

/* Whether a leaf (START sc followed by a SUCCESS without payload) is
 * written as a leaf row of /actions, its only record (format.md section 4,
 * "Leaf rows"): when there is an /actions table, and when its payload's
 * size follows from its schema (the row has no size) and its id fits the
 * row's 16 bits.  Both passes decide with this alone. */
static inline int leaf_row(const weft__writer *w, const weft__schema *sc,
                           uint32_t id) {
  return w->actions_on && sc->fixed_size && id <= UINT16_MAX;
}

/* The leaf row of a START h (skew applied) that ended at end, on this
 * rank's clock (the caller maps the times onto the timeline). */
static inline weft__action_row leaf_of(const weft__writer *w, weft_rec h,
                                       int64_t end) {
  return (weft__action_row){.start_ns = h.t,
                            .end_ns = end,
                            .elapsed_ns = end - h.t,
                            .rank = (uint32_t)w->rank,
                            .schema = (uint16_t)h.schema,
                            .status = WEFT_STATUS_SUCCEEDED};
}

/* Pass 1 over one span of a thread's records: count the /events rows,
 * leaf rows and /payload bytes they become (each START directly followed
 * by a SUCCESS without payload folds into a leaf: a leaf row of /actions,
 * or a leaf record of /events, leaf_row()), store the segment's /order
 * bits, fill the thread's segment row and feed the /actions builder;
 * with `copy`, also copy them into the staging areas (a flush staged
 * whole; its leaf rows on this rank's clock until stage_sampled).
 * Otherwise nothing is copied: the counts give each rank its offsets
 * before any record is, and the copy pass (copy_round) then writes round
 * by round from small areas that stay in cache.  The loop is most of the
 * CPU time of a flush: the cursors live in locals, not behind the staging
 * pointers, so that the stores of the copies cannot alias them. */
static int scan(weft__writer *w, epoch *e, uint32_t thread,
                const unsigned char *data, size_t len, weft__segment_row *seg,
                int copy) {
  weft__bytes *ev = &w->stage[WEFT_D_EVENTS], *pay = &w->stage[WEFT_D_PAYLOAD];
  weft__bytes *ob = &w->stage[WEFT_D_ORDER];
  /* (Only when copying: the areas may not exist yet otherwise.) */
  unsigned char *evp = copy ? ev->p + ev->len : NULL;
  unsigned char *payp = copy ? pay->p + pay->len : NULL;
  unsigned char *lfp = copy ? w->leaf_stage.p + w->leaf_stage.len : NULL;
  unsigned char *obp = ob->p + ob->len; /* stage_records reserved it */
  weft__bytes *rows = &w->stage[WEFT_D_ACTIONS];
  weft__action_stack *st = NULL;
  int rc = w->actions_on ? weft__actions_stack(&e->work, thread, &st) : WEFT_OK;
  schema_cache cache = {0, NULL};
  const weft__skew skew = w->skew; /* a local: see weft__skewed */
  uint64_t row = e->nrec, leaves = 0, bytes = 0;
  int64_t t_first = seg->t_first, t_last = seg->t_last;
  int first = seg->event_count + seg->leaf_count == 0;
  unsigned bits = e->bits, nbits = e->nbits;
  size_t off = 0;
  while (rc == WEFT_OK && off < len) {
    __builtin_prefetch(data + off + PREFETCH_AHEAD);
    weft_rec h;
    size_t hl = weft__rec_get(data + off, len - off, &h);
    size_t padded = WEFT_REC_PAD(h.size);
    if (hl == 0 || padded > len - off - hl) {
      rc = weft__error(WEFT_EFORMAT, "thread %u: truncated record", thread);
      break;
    }
    const unsigned char *payload = data + off + hl;
    off += hl + padded;
    h.t = weft__skewed(&skew, h.t);
    const weft__schema *sc = schema_of(&cache, h.schema);
    if (!sc) {
      rc = weft__error(WEFT_EFORMAT, "thread %u: unknown schema %u", thread,
                       h.schema);
      break;
    }
    int64_t end = 0;
    size_t leaf =
        sc->kind == WEFT_REC_START ? leaf_at(data, off, len, &end) : 0;
    if (leaf) {
      off += leaf;
      end = weft__skewed(&skew, end);
    }
    if (first)
      t_first = h.t;
    first = 0;
    t_last = leaf ? end : h.t;
    int as_row = leaf && leaf_row(w, sc, h.schema);
    bits |= (unsigned)as_row << nbits;
    if (++nbits == 8) {
      *obp++ = (unsigned char)bits;
      bits = nbits = 0;
    }
    if (as_row) {
      /* A short action: its row is its record, and it leaves the stack
       * as it was. */
      leaves++;
      bytes += padded;
      if (copy) {
        weft__action_row r = leaf_of(w, h, end);
        memcpy(lfp, &r, sizeof r);
        lfp += sizeof r;
        copy_payload(payp, payload, padded);
        payp += padded;
      }
      continue;
    }
    bytes += padded + (leaf ? 8 : 0);
    if (copy)
      put_record(&evp, &payp, h, payload, padded, leaf != 0, end);
    uint64_t this_row = row++ | LOCAL_ROW;
    if (!st)
      continue;
    rc = weft__actions_record(w, st, thread, &h, sc, this_row, rows);
    if (rc == WEFT_OK && leaf) {
      weft_rec done = {.t = end, .schema = WEFT_SCHEMA_SUCCESS, .size = 0};
      rc = weft__actions_record(w, st, thread, &done,
                                weft__schema_get(WEFT_SCHEMA_SUCCESS), this_row,
                                rows);
    }
  }
  if (copy) {
    ev->len = (size_t)(evp - ev->p);
    pay->len = (size_t)(payp - pay->p);
    w->leaf_stage.len = (size_t)(lfp - w->leaf_stage.p);
  }
  ob->len = (size_t)(obp - ob->p);
  e->bits = (uint8_t)bits;
  e->nbits = nbits;
  seg->event_count += row - e->nrec;
  seg->leaf_count += leaves;
  seg->payload_bytes += bytes;
  seg->t_first = t_first;
  seg->t_last = t_last;
  e->nrec = row;
  e->nleaf += leaves;
  e->npay += bytes;
  return rc;
}

/* Pass 2: where the copy is, in the spans taken thread by thread. */
typedef struct copy_cursor {
  size_t at;  /* index into epoch.order */
  size_t off; /* within that span */
  weft__clock_cursor clock;
} copy_cursor;

/* Copy records from the cursor on into the /events, /payload and leaf
 * row staging areas (emptied first), folding leaves as scan() did, until
 * `max` items (rows of either table) are in or the next record's payload
 * does not fit in the payload area.  Leaf rows go on the timeline here:
 * the epoch's clock sample is known by now.  The cursors live in locals,
 * not behind the staging pointers, so that the stores of the copies
 * cannot alias them: this loop is most of the CPU time of a flush. */
static int copy_round(weft__writer *w, const epoch *e, copy_cursor *c,
                      uint64_t max, uint64_t pay_left) {
  weft__bytes *ev = &w->stage[WEFT_D_EVENTS], *pay = &w->stage[WEFT_D_PAYLOAD];
  weft__bytes *lf = &w->leaf_stage;
  ev->len = pay->len = lf->len = 0;
  if (!max)
    return WEFT_OK;
  /* Room for the payloads of a round of items like the average one (and
   * an area at all, even for items without payload). */
  uint64_t items = e->nrec + e->nleaf;
  uint64_t pay_want = max * (e->npay / (items ? items : 1) + 8);
  if (pay_want > pay_left)
    pay_want = pay_left;
  if (pay_want < 64)
    pay_want = 64;
  if (!weft__bytes_reserve(ev, max * sizeof(weft_rec)) ||
      !weft__bytes_reserve(lf, max * sizeof(weft__action_row)) ||
      !weft__bytes_reserve(pay, pay_want))
    return weft__error(
        WEFT_ENOMEM, "flush staging (%zu bytes)",
        (size_t)(max * (sizeof(weft_rec) + sizeof(weft__action_row)) +
                 pay_want));
  const weft__skew skew = w->skew; /* a local: see weft__skewed */
  const int64_t wall = w->timeline_wall_ns - w->timeline_mono_ns;
  weft__clock_cursor clock = c->clock;
  schema_cache cache = {0, NULL};
  unsigned char *evp = ev->p, *payp = pay->p, *lfp = lf->p;
  uint64_t left = max;
  for (; c->at < e->norder && left; c->at++, c->off = 0) {
    const weft__span *s = &e->p.spans[e->order[c->at]];
    const unsigned char *data = s->data;
    size_t off = c->off, len = s->len;
    unsigned char *pay_end = pay->p + pay->cap;
    while (off < len && left) {
      __builtin_prefetch(data + off + PREFETCH_AHEAD);
      weft_rec h;
      size_t hl = weft__rec_get(data + off, len - off, &h);
      if (hl == 0) /* scan() checked every record: never */
        return weft__error(WEFT_EFORMAT, "truncated record");
      size_t padded = WEFT_REC_PAD(h.size);
      if ((size_t)(pay_end - payp) < padded + 8) {
        /* A payload area that cannot hold even this one record grows;
         * otherwise the round ends here. */
        if (payp != pay->p)
          break;
        if (!weft__bytes_reserve(pay, padded + 8))
          return weft__error(WEFT_ENOMEM, "flush staging (%zu bytes)",
                             padded + 8);
        payp = pay->p;
        pay_end = pay->p + pay->cap;
      }
      const unsigned char *payload = data + off + hl;
      off += hl + padded;
      left--;
      int64_t end = 0;
      /* scan() found every schema. */
      const weft__schema *sc = schema_of(&cache, h.schema);
      size_t leaf =
          sc->kind == WEFT_REC_START ? leaf_at(data, off, len, &end) : 0;
      h.t = weft__skewed(&skew, h.t);
      if (leaf) {
        off += leaf;
        end = weft__skewed(&skew, end);
      }
      if (leaf && leaf_row(w, sc, h.schema)) {
        weft__action_row r = leaf_of(w, h, end);
        r.start_ns = weft__clock_map_near(w, &e->now, &clock, h.t) + wall;
        r.end_ns = weft__clock_map_near(w, &e->now, &clock, end) + wall;
        memcpy(lfp, &r, sizeof r);
        lfp += sizeof r;
        copy_payload(payp, payload, padded);
        payp += padded;
        continue;
      }
      put_record(&evp, &payp, h, payload, padded, leaf != 0, end);
    }
    c->off = off;
    if (off < len)
      break; /* the round is full: go on from here next time */
  }
  c->clock = clock;
  ev->len = (size_t)(evp - ev->p);
  pay->len = (size_t)(payp - pay->p);
  lf->len = (size_t)(lfp - lf->p);
  return WEFT_OK;
}

/* Pass 1 over the records of every thread, thread by thread: each
 * (epoch, rank, thread) is one segment.  Also lists the spans in that
 * order for the copy pass. */
static int stage_records(weft__writer *w, epoch *e) {
  weft__bytes *segs = &w->stage[WEFT_D_SEGMENTS];
  /* Up to w->stage_whole_max buffered bytes (writer.h), the records are
   * copied in the counting pass itself: one read of them instead of two.
   * Beyond, in rounds. */
  e->whole = e->p.bytes <= w->stage_whole_max;
  /* Rows take at most twice the records' bytes (a short SUCCESS whose
   * START went out in an earlier flush is 8 bytes here and a 16-byte
   * row), payloads at most their bytes. */
  size_t rows_max = 2 * (size_t)e->p.bytes;
  /* A leaf takes at least 24 buffered bytes (START header, short SUCCESS)
   * and becomes a 31-byte row. */
  size_t leaves_max = (size_t)e->p.bytes / 24 * sizeof(weft__action_row);
  if (e->whole &&
      (!weft__bytes_reserve(&w->stage[WEFT_D_EVENTS], rows_max) ||
       !weft__bytes_reserve(&w->stage[WEFT_D_PAYLOAD], e->p.bytes) ||
       !weft__bytes_reserve(&w->leaf_stage, leaves_max)))
    return weft__error(WEFT_ENOMEM, "flush staging (%zu bytes)",
                       rows_max + (size_t)e->p.bytes + leaves_max);
  w->leaf_stage.len = 0;
  uint32_t nthreads = weft__thread_count();
  for (size_t i = 0; i < e->p.n; i++)
    if (e->p.spans[i].thread >= nthreads)
      nthreads = e->p.spans[i].thread + 1;
  /* An /order bit per item, at least 8 buffered bytes each, and a byte
   * begun per segment. */
  weft__bytes *ob = &w->stage[WEFT_D_ORDER];
  if (!weft__bytes_reserve(ob, (size_t)e->p.bytes / 64 + nthreads + 1))
    return weft__error(WEFT_ENOMEM, "flush staging");
  e->order = e->p.n ? malloc(e->p.n * sizeof *e->order) : NULL;
  if (e->p.n && !e->order)
    return weft__error(WEFT_ENOMEM, "flush staging");
  for (uint32_t t = 0; t < nthreads; t++) {
    weft__segment_row seg;
    memset(&seg, 0, sizeof seg);
    seg.event_start = e->nrec;
    seg.payload_start = e->npay;
    seg.leaf_start = e->nleaf;
    seg.order_start = ob->len;
    e->bits = 0;
    e->nbits = 0;
    for (size_t i = 0; i < e->p.n; i++) {
      const weft__span *s = &e->p.spans[i];
      if (s->thread != t || s->len == 0)
        continue;
      e->order[e->norder++] = i;
      int rc = scan(w, e, t, s->data, s->len, &seg, e->whole);
      if (rc < 0)
        return rc;
    }
    if (e->nbits)
      ob->p[ob->len++] = e->bits;
    if (seg.leaf_count == 0) /* its items are its /events rows */
      ob->len = (size_t)seg.order_start;
    if (seg.event_count + seg.leaf_count == 0)
      continue;
    weft__thread_info info;
    seg.epoch = (uint32_t)w->committed.epochs;
    seg.rank = (uint32_t)w->rank;
    seg.thread = t;
    seg.os_tid =
        weft__thread_info_get(t, &info) == WEFT_OK ? (uint32_t)info.os_tid : 0;
    if (!weft__bytes_push(segs, &seg, sizeof seg))
      return weft__error(WEFT_ENOMEM, "flush staging");
  }
  return WEFT_OK;
}

/* Stage names and schemas interned since the last committed flush, and
 * this rank's metadata strings the first time. */
static int stage_dictionary(weft__writer *w, epoch *e) {
  weft__bytes *str = &w->stage[WEFT_D_STRINGS];
  if (!w->meta_done) {
    e->rank_strings_at = str->len;
    if (w->rank_strings.len &&
        !weft__bytes_push(str, w->rank_strings.p, w->rank_strings.len))
      return weft__error(WEFT_ENOMEM, "flush staging");
  }
  /* Read after the snapshot: every name and schema its records use was
   * interned before they were logged. */
  uint32_t names = weft__name_count();
  e->names_upto = names;
  for (uint32_t id = w->names_done ? w->names_done : 1; id < names; id++) {
    uint32_t len = 0;
    const char *s = weft__name_get(id, &len);
    if (!s)
      return weft__error(WEFT_EFORMAT, "name %u is not published", id);
    weft__name_row r = {
        .off = str->len, .len = len, .rank = (uint32_t)w->rank, .id = id};
    if ((len && !weft__bytes_push(str, s, len)) ||
        !weft__bytes_push(&w->stage[WEFT_D_NAMES], &r, sizeof r))
      return weft__error(WEFT_ENOMEM, "flush staging");
  }
  uint32_t schemas = weft__schema_count();
  e->schemas_upto = schemas;
  weft__bytes *fields = &w->stage[WEFT_D_SCHEMA_FIELDS];
  for (uint32_t id = w->schemas_done > WEFT_SCHEMA_FIRST_USER
                         ? w->schemas_done
                         : WEFT_SCHEMA_FIRST_USER;
       id < schemas; id++) {
    const weft__schema *s = weft__schema_get(id);
    if (!s)
      return weft__error(WEFT_EFORMAT, "schema %u is not published", id);
    weft__schema_row r;
    memset(&r, 0, sizeof r);
    r.fields_off = fields->len / sizeof(weft__field_row);
    r.rank = (uint32_t)w->rank;
    r.id = id;
    r.type_name = s->type_name;
    r.nfields = s->nfields;
    r.kind = s->kind;
    r.fixed_size = s->fixed_size;
    for (uint16_t i = 0; i < s->nfields; i++) {
      weft__field_row f = {.name = s->names[i], .type = s->types[i]};
      if (!weft__bytes_push(fields, &f, sizeof f))
        return weft__error(WEFT_ENOMEM, "flush staging");
    }
    if (!weft__bytes_push(&w->stage[WEFT_D_SCHEMAS], &r, sizeof r))
      return weft__error(WEFT_ENOMEM, "flush staging");
  }
  return WEFT_OK;
}

/* libweft's drop count when the process's last log closed whole, and the
 * weft_init it counts for (the count starts again at each): the drops
 * before it belong to that log (/flushes.dropped, format.md). */
static uint64_t dropped_before;
static uint32_t dropped_gen;

static int stage_flush_row(weft__writer *w, epoch *e) {
  weft_stats st;
  memset(&st, 0, sizeof st);
  weft_stats_get(&st);
  w->dropped_seen = st.dropped;
  uint64_t base =
      dropped_gen == weft__generation() && st.dropped >= dropped_before
          ? dropped_before
          : 0;
  weft__flush_row r = {
      .sample_mono_ns = e->now.mono_ns,
      .offset_ns = e->now.offset_ns,
      .error_ns = e->now.error_ns,
      .sample_wall_ns = e->now.wall_ns,
      .events = e->nrec,
      .payload_bytes = e->npay,
      .dropped = st.dropped - base,
      .epoch = (uint32_t)w->committed.epochs,
      .rank = (uint32_t)w->rank,
  };
  if (!weft__bytes_push(&w->stage[WEFT_D_FLUSHES], &r, sizeof r))
    return weft__error(WEFT_ENOMEM, "flush staging");
  return WEFT_OK;
}

static void add_committed(weft__committed *c, const uint64_t *tot) {
  c->payload += tot[WEFT_D_PAYLOAD];
  c->events += tot[WEFT_D_EVENTS];
  c->segments += tot[WEFT_D_SEGMENTS];
  c->strings += tot[WEFT_D_STRINGS];
  c->names += tot[WEFT_D_NAMES];
  c->schema_fields += tot[WEFT_D_SCHEMA_FIELDS];
  c->schemas += tot[WEFT_D_SCHEMAS];
  c->actions += tot[WEFT_D_ACTIONS];
  c->order += tot[WEFT_D_ORDER];
  c->flushes += tot[WEFT_D_FLUSHES];
  c->epochs++;
}

static uint64_t row_base(const weft__writer *w, const epoch *e, weft__dset d) {
  return weft__committed_rows(&w->committed, d) + e->off[d];
}

/* Turn the rows' local offsets into file offsets. */
static void rebase(weft__writer *w, epoch *e) {
  weft__segment_row *seg = (void *)w->stage[WEFT_D_SEGMENTS].p;
  for (uint64_t i = 0; i < e->n[WEFT_D_SEGMENTS]; i++) {
    seg[i].event_start += row_base(w, e, WEFT_D_EVENTS);
    seg[i].payload_start += row_base(w, e, WEFT_D_PAYLOAD);
    seg[i].leaf_start += row_base(w, e, WEFT_D_ACTIONS);
    seg[i].order_start += row_base(w, e, WEFT_D_ORDER);
  }
  weft__name_row *nm = (void *)w->stage[WEFT_D_NAMES].p;
  for (uint64_t i = 0; i < e->n[WEFT_D_NAMES]; i++)
    nm[i].off += row_base(w, e, WEFT_D_STRINGS);
  weft__schema_row *sc = (void *)w->stage[WEFT_D_SCHEMAS].p;
  for (uint64_t i = 0; i < e->n[WEFT_D_SCHEMAS]; i++)
    sc[i].fields_off += row_base(w, e, WEFT_D_SCHEMA_FIELDS);
  uint64_t ev = row_base(w, e, WEFT_D_EVENTS);
  for (uint32_t t = 0; t < e->work.nthreads; t++)
    for (uint32_t i = 0; i < e->work.threads[t].n; i++) {
      weft__open_action *a = &e->work.threads[t].a[i];
      if (a->start_event & LOCAL_ROW)
        a->start_event = (a->start_event & ~LOCAL_ROW) + ev;
    }
}

/* Collective: every rank writes its own row of /ranks. */
static int write_rank_row(weft__writer *w, const epoch *e) {
  weft__rank_row r = w->rank_row;
  r.threads = weft__thread_count();
  if (!w->meta_done) {
    uint64_t at = row_base(w, e, WEFT_D_STRINGS) + e->rank_strings_at;
    r.cmdline_off += at;
    r.mpi_library_off += at;
    r.nodelist_off += at;
  }
  int local = WEFT_OK;
  hid_t fspace = H5Dget_space(w->ranks);
  hsize_t start = (hsize_t)w->rank, one = 1;
  hid_t mspace = H5Screate_simple(1, &one, NULL);
  if (fspace < 0 || mspace < 0 ||
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0)
    local = weft__h5_error("selecting the /ranks row");
  if (local < 0 && fspace >= 0 && mspace >= 0) {
    H5Sselect_none(fspace);
    H5Sselect_none(mspace);
  }
  if (fspace >= 0 && mspace >= 0) {
    if (H5Dwrite(w->ranks, w->types.rank_row, mspace, fspace, w->dxpl, &r) <
        0) {
      if (local == WEFT_OK)
        local = weft__error(WEFT_EIO, "writing /ranks failed");
    } else if (local == WEFT_OK) {
      local = weft__check_collective(w, w->dxpl, "writing /ranks");
    }
  }
  if (mspace >= 0)
    H5Sclose(mspace);
  if (fspace >= 0)
    H5Sclose(fspace);
  int rc = weft__agree(w->comm, local);
  if (rc == WEFT_OK && !w->meta_done) {
    /* Keep the file offsets for the rewrites of later flushes. */
    w->rank_row.cmdline_off = r.cmdline_off;
    w->rank_row.mpi_library_off = r.mpi_library_off;
    w->rank_row.nodelist_off = r.nodelist_off;
  }
  return rc;
}

/* The records: /payload and /events extended once, then filled in rounds.
 * In each round every rank copies up to w->round_rows rows and their
 * payloads (copy_round) and the ranks write them with one collective
 * H5Dwrite per dataset, /payload first; rows of a rank stay contiguous, at the
 * offsets the counts gave.  The staging areas stay small and warm: the flush
 * does not need memory in proportion to what it writes.  A rank with
 * nothing left writes nothing but joins every round until all are done;
 * a round whose payloads are all empty skips /payload (HDF5 1.10.8 fails
 * an all-empty collective write).  A failure is carried to the next
 * round's count exchange, where every rank stops. */
static int write_records(weft__writer *w, epoch *e) {
  uint64_t tot_leaf = e->tot[WEFT_D_ACTIONS] - e->tot_derived;
  hsize_t ev0 = row_base(w, e, WEFT_D_EVENTS);
  hsize_t pay0 = row_base(w, e, WEFT_D_PAYLOAD);
  hsize_t act0 = row_base(w, e, WEFT_D_ACTIONS);
  int rc = WEFT_OK;
  for (int d = 0; rc == WEFT_OK && d < 3; d++) {
    static const weft__dset extended[3] = {WEFT_D_PAYLOAD, WEFT_D_EVENTS,
                                           WEFT_D_ACTIONS};
    weft__dset x = extended[d];
    if (e->tot[x]) /* every rank knows the total: all skip together */
      rc = weft__extend(w, x,
                        weft__committed_rows(&w->committed, x) + e->tot[x]);
  }
  if (rc < 0)
    return rc;
  copy_cursor c = {0, 0, {.from = 1, .to = 0}};
  uint64_t rows = 0, leaves = 0, bytes = 0;
  int local = WEFT_OK, independent = 0;
  for (int round = 0; e->tot[WEFT_D_EVENTS] + tot_leaf; round++) {
    weft__bytes *ev = &w->stage[WEFT_D_EVENTS];
    weft__bytes *pay = &w->stage[WEFT_D_PAYLOAD];
    weft__bytes *lf = &w->leaf_stage;
    uint64_t left = e->nrec + e->nleaf - rows - leaves;
    uint64_t max = (uint64_t)w->round_rows;
    if (e->whole && round) /* all staged: the first round wrote it */
      ev->len = pay->len = lf->len = 0;
    else if (!e->whole && local == WEFT_OK)
      local = copy_round(w, e, &c, left < max ? left : max, e->npay - bytes);
    uint64_t k = local == WEFT_OK ? ev->len / sizeof(weft_rec) : 0;
    uint64_t kl = local == WEFT_OK ? lf->len / sizeof(weft__action_row) : 0;
    uint64_t m = local == WEFT_OK ? pay->len : 0;
    /* rows, bytes, whether more comes after, whether a rank failed, leaf
     * rows */
    uint64_t in[5] = {k, m, rows + k < e->nrec || leaves + kl < e->nleaf,
                      local < 0, kl},
             tot[5];
    if (PMPI_Allreduce(in, tot, 5, MPI_UINT64_T, MPI_SUM, w->comm) !=
        MPI_SUCCESS)
      return weft__error(WEFT_EMPI, "exchanging the round counts failed");
    if (tot[3]) /* every rank is here: the failed one tells what */
      return weft__agree(w->comm, local);
    if (tot[0] + tot[4] == 0)
      break;
    /* Every rank makes the calls whatever happened to it (they are
     * collective), the heap before the rows that index it; the first
     * error is kept (a later write would overwrite its message).  A
     * table without rows in this round on any rank is skipped by all
     * (HDF5 1.10.8 fails an all-empty collective write). */
    const struct {
      weft__dset d;
      hsize_t at;
      uint64_t n, total;
      const void *p;
    } part[3] = {
        {WEFT_D_PAYLOAD, pay0 + bytes, m, tot[1], pay->p},
        {WEFT_D_EVENTS, ev0 + rows, k, tot[0], ev->p},
        {WEFT_D_ACTIONS, act0 + leaves, kl, tot[4], lf->p},
    };
    char why[WEFT__ERRMSG_MAX] = "";
    int first = WEFT_OK;
    for (int i = 0; i < 3; i++) {
      if (!part[i].total)
        continue;
      int r = weft__write_rows(w, part[i].d, part[i].at, part[i].n,
                               part[i].total, part[i].p);
      if (r < 0 && first == WEFT_OK) {
        first = r;
        snprintf(why, sizeof why, "%s", weft__errmsg_detail());
      }
      independent |= weft__transfer_independent(w, part[i].d, part[i].total);
    }
    local = first < 0 ? weft__error(first, "%s", why) : WEFT_OK;
    rows += k;
    leaves += kl;
    bytes += m;
    if (!tot[2])
      break;
  }
  if (local == WEFT_OK &&
      (rows != e->nrec || leaves != e->nleaf || bytes != e->npay))
    local = weft__error(
        WEFT_EFORMAT,
        "copied %llu rows, %llu leaf rows and %llu payload bytes of %llu, "
        "%llu and %llu",
        (unsigned long long)rows, (unsigned long long)leaves,
        (unsigned long long)bytes, (unsigned long long)e->nrec,
        (unsigned long long)e->nleaf, (unsigned long long)e->npay);
  /* The derived rows, after this rank's leaf rows. */
  if (e->tot_derived) {
    int r = weft__write_rows(w, WEFT_D_ACTIONS, act0 + e->nleaf, e->nderived,
                             e->tot_derived, w->stage[WEFT_D_ACTIONS].p);
    if (local == WEFT_OK)
      local = r;
    independent |=
        weft__transfer_independent(w, WEFT_D_ACTIONS, e->tot_derived);
  }
  /* After independent writes the ranks end one by one. */
  return independent ? weft__agree_quiet(w->comm, local)
                     : weft__agree(w->comm, local);
}

static int write_all(weft__writer *w, epoch *e) {
  int rc = write_records(w, e);
  if (rc < 0)
    return rc;
  for (int d = 0; d < WEFT_D_COUNT; d++) {
    if (d == WEFT_D_EVENTS || d == WEFT_D_PAYLOAD || d == WEFT_D_ACTIONS)
      continue; /* write_records */
    if (e->tot[d] == 0)
      continue; /* every rank knows the total: all skip together */
    int rc =
        weft__append(w, (weft__dset)d, weft__committed_rows(&w->committed, d),
                     e->off[d], e->n[d], e->tot[d], w->stage[d].p);
    if (rc < 0)
      return rc;
  }
  return write_rank_row(w, e);
}

/* What a rank stages from its own records and dictionary, before the
 * clock sample (the /actions rows on its own clock until then). */
static int stage_local(weft__writer *w, epoch *e) {
  int rc = WEFT_OK;
  if (w->actions_on)
    rc = weft__actions_copy(&e->work, &w->actions);
  if (rc == WEFT_OK)
    rc = stage_dictionary(w, e);
  if (rc == WEFT_OK && e->collected)
    rc = stage_records(w, e);
  return rc;
}

/* What needs the epoch's clock sample. */
static int stage_sampled(weft__writer *w, epoch *e, int final) {
  int rc = WEFT_OK;
  if (final && w->actions_on)
    rc = weft__actions_unfinished(w, &e->work, e->now.mono_ns,
                                  &w->stage[WEFT_D_ACTIONS]);
  if (rc == WEFT_OK) {
    weft__actions_timeline(w, &e->now, &w->stage[WEFT_D_ACTIONS], 0);
    if (e->whole) /* scan() staged the leaf rows on this rank's clock */
      weft__actions_timeline(w, &e->now, &w->leaf_stage, 0);
    e->nderived = w->stage[WEFT_D_ACTIONS].len / sizeof(weft__action_row);
    rc = stage_flush_row(w, e);
  }
  return rc;
}

static int exchange_counts(weft__writer *w, epoch *e) {
  for (int d = 0; d < WEFT_D_COUNT; d++)
    e->n[d] = w->stage[d].len / weft__dset_elem_size((weft__dset)d);
  e->n[WEFT_D_EVENTS] = e->nrec; /* copied in rounds later */
  e->n[WEFT_D_PAYLOAD] = e->npay;
  e->n[WEFT_D_ACTIONS] = e->nleaf + e->nderived; /* leaf rows first */
  /* The totals of the datasets, and of the derived rows (written after
   * every round, write_records). */
  uint64_t n[WEFT_D_COUNT + 1], tot[WEFT_D_COUNT + 1];
  memcpy(n, e->n, sizeof e->n);
  n[WEFT_D_COUNT] = e->nderived;
  if (PMPI_Exscan(e->n, e->off, WEFT_D_COUNT, MPI_UINT64_T, MPI_SUM, w->comm) !=
          MPI_SUCCESS ||
      PMPI_Allreduce(n, tot, WEFT_D_COUNT + 1, MPI_UINT64_T, MPI_SUM,
                     w->comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "exchanging the row counts failed");
  memcpy(e->tot, tot, sizeof e->tot);
  e->tot_derived = tot[WEFT_D_COUNT];
  if (w->rank == 0) /* MPI_Exscan leaves rank 0's result undefined */
    memset(e->off, 0, sizeof e->off);
  return WEFT_OK;
}

static int keep_sample(weft__writer *w, const weft__clock_sample *s) {
  if (w->nsamples == w->samples_cap) {
    size_t cap = w->samples_cap ? w->samples_cap * 2 : 64;
    weft__clock_sample *p = realloc(w->samples, cap * sizeof *p);
    if (!p)
      return weft__error(WEFT_ENOMEM, "clock samples");
    w->samples = p;
    w->samples_cap = cap;
  }
  w->samples[w->nsamples++] = *s;
  return WEFT_OK;
}

/* The error of a flush of a damaged log. */
static int damaged(const weft__writer *w) {
  return weft__error(WEFT_EIO,
                     "%s may hold a commit's metadata in part (its write "
                     "failed at an earlier flush), so nothing more is "
                     "written to it: the events stay in the crash journal "
                     "for weft recover",
                     w->path);
}

/* The error of a flush after libweft was shut down and initialised again
 * while the log was open: the new libweft gives its names and schemas the
 * ids this log has already written with other meanings (one (rank, id)
 * cannot hold two), and the old one's unwritten events went with it. */
static int restarted(const weft__writer *w) {
  return weft__error(WEFT_ESHUTDOWN,
                     "libweft was shut down and initialised again while %s "
                     "was open: the log keeps what it had written and takes "
                     "nothing more (close a log before weft_shutdown)",
                     w->path);
}

void weft__flush_settle(weft__writer *w, int closed) {
  if (closed) { /* the next log counts its drops from here */
    dropped_before = w->dropped_seen;
    dropped_gen = weft__generation();
  }
  if (!w->holding)
    return;
  if (closed)
    weft__pending_release(&w->held);
  else if (w->damaged) /* H5Fclose wrote its metadata in part */
    weft__pending_keep(&w->held);
  else
    weft__pending_abandon(&w->held);
  w->holding = 0;
}

int weft__flush(weft__writer *w, int final, weft__meet meet, int *stop) {
  epoch e;
  memset(&e, 0, sizeof e);
  for (int d = 0; d < WEFT_D_COUNT; d++)
    w->stage[d].len = 0;

  /* The journal records which epoch this snapshot goes to (recovery).  A
   * damaged log (metadata_shield.c) takes nothing more, and the journal
   * keeps the marks of the commit that damaged it: w->damaged is set on
   * every rank alike, so the ranks still meet and agree below. */
  int local = w->damaged ? damaged(w)
              : w->generation != weft__generation()
                  ? restarted(w)
                  : weft__pending_collect_epoch(&e.p, w->committed.epochs);
  e.collected = !w->damaged && local == WEFT_OK;
  if (local == WEFT_ECAPTURE)
    local = WEFT_OK; /* a capture takes the events: nothing to write */
  /* The counting pass is the rank's own work: done before the ranks meet
   * (writer.h), it fills the time a rank that came early would wait for
   * the others, asleep, so that the last ones have the cores. */
  if (local == WEFT_OK)
    local = stage_local(w, &e);
  int met = WEFT_OK;
  if (meet == WEFT__MEET_BARRIER) {
    met = weft__quiet_barrier(w->comm);
  } else if (meet == WEFT__MEET_STOP) {
    met = weft__signals_agree(w->comm, stop);
    if (met == WEFT_OK && *stop)
      final = 1;
  }
  if (local == WEFT_OK)
    local = met;
  int rc = weft__clock_sync(w, &e.now);
  if (local == WEFT_OK)
    local = rc;
  /* Reserve the sample slot now so that keeping it cannot fail later. */
  if (local == WEFT_OK && (local = keep_sample(w, &e.now)) == WEFT_OK)
    w->nsamples--;
  if (local == WEFT_OK)
    local = stage_sampled(w, &e, final);
  rc = weft__agree(w->comm, local);
  if (rc == WEFT_OK)
    rc = weft__agree(w->comm, exchange_counts(w, &e));
  if (rc == WEFT_OK)
    rc = weft__space_probe(w, e.tot);
  if (rc == WEFT_OK) {
    rebase(w, &e);
    rc = write_all(w, &e);
  }
  weft__committed next = w->committed;
  add_committed(&next, e.tot);
  if (rc == WEFT_OK)
    rc = weft__file_commit(w, &next, final);

  if (rc == WEFT_OK) {
    /* The final flush's data is durable only once H5Fclose has written
     * the metadata (weft__file_commit skips H5Fflush then): the snapshot
     * is held until weft__flush_settle, so that a process killed inside
     * H5Fclose leaves those events unconsumed in its journal. */
    if (e.collected && final) {
      w->held = e.p;
      w->holding = 1;
    } else if (e.collected) {
      weft__pending_release(&e.p);
    }
    w->committed = next;
    w->flush_failed = 0;
    for (int d = 0; d < WEFT_D_COUNT; d++)
      w->ext_hi[d] = weft__committed_rows(&next, (weft__dset)d);
    w->names_done = e.names_upto;
    w->schemas_done = e.schemas_upto;
    w->samples[w->nsamples++] = e.now;
    w->meta_done = 1;
    weft__action_state old = w->actions;
    w->actions = e.work;
    e.work = old;
  } else {
    if (e.collected && w->damaged) /* its commit may be in the log */
      weft__pending_keep(&e.p);
    else if (e.collected)
      weft__pending_abandon(&e.p);
    w->committed.failed_flushes++;
    w->flush_failed = 1;
  }
  weft__actions_free(&e.work);
  free(e.order);
  return rc;
}
