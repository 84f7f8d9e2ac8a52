/*
 * trace_load.c - from file records to the finished model.
 */
#include "trace_load.h"

#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events per progress step; progress is shown above PROGRESS_MIN. */
#define PROGRESS_MIN 2000000u
#define CHUNK_BYTES (8u << 20)

typedef struct load_ctx {
  weft__model *m;
  weft__trace *t;
  weft__decoder *dec;
  weft__stream *stream;
  const weft__segment_row *seg; /* being read */
  uint32_t file, rank, thread;
  const char *why; /* model error */
  int oom;         /* the error is a memory failure, not the file's */
  char *err;
  size_t errcap;
  uint64_t done, total, next_report;
  weft__wall_hint hint;
  int progress;
  const unsigned char *pf; /* the chunk being decoded */
  size_t pf_len, pf_off;   /* prefetch cursor: next record it looks at */
  uint64_t pf_events;      /* event records the cursor passed */
  uint64_t events;         /* events decoded from the chunk */
} load_ctx;

/* Task ids are random, so the model's lookup of each new task misses the
 * cache.  A cursor runs about PREFETCH_AHEAD events ahead of the decoder
 * and prefetches the table slots of the TASK records it passes.  Only a
 * hint: it reads record headers no further than the chunk and validates
 * nothing (the decoder does). */
#define PREFETCH_AHEAD 48

static void prefetch_tasks(load_ctx *c) {
  while (c->pf_events < c->events + PREFETCH_AHEAD &&
         c->pf_len - c->pf_off >= sizeof(weft_rec)) {
    const unsigned char *r = c->pf + c->pf_off;
    weft_rec h;
    memcpy(&h, r, sizeof h);
    size_t n = sizeof h + WEFT_REC_PAD((size_t)h.size);
    if (n > c->pf_len - c->pf_off) {
      c->pf_off = c->pf_len;
      break;
    }
    if (h.schema == WEFT_SCHEMA_TASK && h.size == 16) {
      uint64_t hi, lo;
      memcpy(&hi, r + sizeof h, 8);
      memcpy(&lo, r + sizeof h + 8, 8);
      weft__model_prefetch_task(c->m, hi, lo);
    } else if (h.schema != WEFT_SCHEMA_SERIALIZE &&
               h.schema != WEFT_SCHEMA_CONTINUE) {
      c->pf_events += h.schema & WEFT_REC_LEAF ? 2 : 1; /* start and end */
    }
    c->pf_off += n;
  }
}

static int on_event(void *arg, uint64_t key, const weft_event *ev) {
  load_ctx *c = arg;
  (void)key;
  c->events++;
  prefetch_tasks(c);
  int64_t t = weft__trace_wall_hint(c->t, c->rank, ev->t_ns, &c->hint);
  if (weft__model_add(c->m, c->stream, ev, t, &c->why))
    return 1;
  return 0;
}

static int on_globals(void *arg, uint64_t key, const weft_value *v, size_t n) {
  load_ctx *c = arg;
  (void)key;
  if (weft__model_add_globals(c->m, c->stream, v, n)) {
    c->why = "out of memory";
    return 1;
  }
  return 0;
}

/* The decoder's error after a feed that failed with rc < 0 at the record
 * at byte `off` of the chunk, without the offset it names that record by
 * (decode.h, WEFT__DECODE_AT): "malformed data: unknown schema".  Other
 * errors as they are. */
static void decoder_problem(int rc, size_t off, char *buf, size_t cap) {
  const char *msg = weft_errmsg(), *code = weft_strerror(rc);
  char head[96];
  snprintf(head, sizeof head, "%s: " WEFT__DECODE_AT, code, off);
  size_t hl = strlen(head);
  if (strncmp(msg, head, hl) != 0) {
    snprintf(buf, cap, "%s", msg);
    return;
  }
  const char *rest = msg + hl;
  /* The schema it gives is the header's; the row's is named instead. */
  if (strncmp(rest, " (schema ", 9) == 0 && strchr(rest, ')'))
    rest = strchr(rest, ')') + 1;
  if (strncmp(rest, ": ", 2) == 0)
    rest += 2;
  snprintf(buf, cap, "%s: %s", code, rest);
}

/* A feed of chunk ch stopped: rc > 0 the model's error (c->why), rc < 0
 * the decoder's.  Named by the file row of the record it stopped at
 * (weft__chunk_where), looked up only now, while the chunk is still the
 * reader's: reading a good log keeps nothing per record for it. */
static void feed_error(load_ctx *c, const weft__chunk *ch, int rc) {
  size_t off = 0;
  int at = weft__decoder_stopped_at(c->dec, &off);
  char problem[400], where[200];
  if (rc > 0)
    snprintf(problem, sizeof problem, "%s", c->why);
  else if (at)
    decoder_problem(rc, off, problem, sizeof problem);
  else /* not at a record: memory for the stream */
    snprintf(problem, sizeof problem, "%s", weft_errmsg());
  /* Out of memory is not the record's fault: only the segment is named. */
  int oom = rc == WEFT_ENOMEM || (rc > 0 && !strcmp(c->why, "out of memory"));
  c->oom = oom;
  if (at && !oom)
    weft__chunk_where(ch, off, where, sizeof where);
  else
    snprintf(where, sizeof where, "segment of rank %u thread %u epoch %u",
             c->seg->rank, c->seg->thread, c->seg->epoch);
  snprintf(c->err, c->errcap, "%s: %s", where, problem);
}

static int on_chunk(void *arg, const weft__chunk *ch) {
  load_ctx *c = arg;
  c->pf = ch->data;
  c->pf_len = ch->len;
  c->pf_off = 0;
  c->pf_events = c->events = 0;
  prefetch_tasks(c);
  int rc = weft__decoder_feed(c->dec, c->thread, ch->data, ch->len, on_event,
                              on_globals, c);
  if (rc != 0) {
    feed_error(c, ch, rc);
    return 1;
  }
  c->done += ch->len / 16; /* an estimate: records are at least 16 bytes */
  if (c->progress && c->done >= c->next_report) {
    double pct = 100.0 * (double)c->done / (double)c->total;
    fprintf(stderr, "\rweft: reading %s: %3.0f%%", c->t->path,
            pct > 100 ? 100 : pct);
    c->next_report = c->done + c->total / 100 + 1;
  }
  return 0;
}

int weft__trace_load(weft__model *m, weft__trace *traces, size_t n,
                     int progress, char *err, size_t errcap, size_t *bad) {
  load_ctx c = {.m = m, .err = err, .errcap = errcap};
  for (size_t f = 0; f < n; f++) /* /events rows and leaf rows */
    c.total += traces[f].c.events + traces[f].leaf_rows;
  c.progress = progress && c.total > PROGRESS_MIN;
  /* Decoded names point into the traces' name tables, open until the
   * caller closes them. */
  m->stable_names = 1;
  for (size_t f = 0; f < n; f++) {
    weft__trace *t = &traces[f];
    *bad = f;
    c.t = t;
    c.file = (uint32_t)f;
    /* World ranks, for the peers of MPI messages (mpi_edges.c). */
    uint32_t *world = malloc((size_t)t->mpi_size * sizeof *world);
    if (!world) {
      snprintf(err, errcap, "out of memory");
      return WEFT__LOAD_NOMEM;
    }
    for (uint32_t r = 0; r < t->mpi_size; r++)
      world[r] = t->ranks[r].world_rank; /* WEFT__WORLD_UNKNOWN: NONE */
    int wrc = weft__model_set_world(m, (uint32_t)f, world, t->mpi_size);
    free(world);
    if (wrc) {
      snprintf(err, errcap, "out of memory");
      return WEFT__LOAD_NOMEM;
    }
    size_t i = 0;
    while (i < t->nsegments) {
      /* One decoder per rank: names and schemas are per rank. */
      uint32_t rank = t->segments[i].rank;
      int drc = weft__decoder_new(&c.dec, weft__trace_dict(t, rank));
      if (drc) {
        snprintf(err, errcap, "%s", weft_errmsg());
        return drc == WEFT_ENOMEM ? WEFT__LOAD_NOMEM : -1;
      }
      weft__decoder_set_rows(c.dec, 1); /* rebuilt from /events rows */
      c.rank = rank;
      c.hint.valid = 0;
      for (; i < t->nsegments && t->segments[i].rank == rank; i++) {
        const weft__segment_row *s = &t->segments[i];
        c.stream = weft__model_stream(m, (uint32_t)f, rank, s->thread);
        if (!c.stream) {
          snprintf(err, errcap, "out of memory");
          weft__decoder_free(c.dec);
          return WEFT__LOAD_NOMEM;
        }
        /* The decoder keys its stream state by thread; a new decoder per
         * rank keeps the threads of different ranks apart. */
        c.thread = s->thread;
        c.seg = s;
        int rrc = weft__trace_read_segment(t, s, CHUNK_BYTES, on_chunk, &c, err,
                                           errcap);
        if (rrc) {
          weft__decoder_free(c.dec);
          return c.oom || rrc == WEFT__TRACE_ENOMEM ? WEFT__LOAD_NOMEM : -1;
        }
      }
      weft__decoder_free(c.dec);
      c.dec = NULL;
    }
  }
  if (c.progress)
    fprintf(stderr, "\rweft: building the tree...          \r");
  if (weft__model_finish(m)) {
    snprintf(err, errcap, "out of memory building the tree");
    return WEFT__LOAD_NOMEM;
  }
  if (c.progress)
    fprintf(stderr, "\r                                    \r");
  return 0;
}
