/*
 * recover_write.c - one epoch written from streams read elsewhere, for
 * `weft recover` (recover.h).
 *
 * The same file layout and the same collective steps as a flush (flush.c):
 * stage locally, MPI_Exscan / MPI_Allreduce of the row counts, probe the
 * space, one weft__append per dataset, commit.  What differs: a process
 * stages the rows of several ranks (those whose journals it read), names
 * and schemas come from each journal's dictionary, the clock samples of a
 * rank come from the log's /flushes rows (or, for a log made anew, from
 * the journal's (monotonic, wall) anchor), and every rank of the log gets
 * its /flushes row for the epoch, journal or not, because readers expect
 * one per rank per epoch.
 */
#include "recover.h"
#include "writer.h"

#include <stdlib.h>
#include <string.h>

/* What one process knows of the log before it writes. */
typedef struct log_state {
  uint32_t size;
  weft__flush_row *flushes; /* committed rows */
  uint64_t nflushes;
  uint32_t *names_done;    /* per rank: 1 + highest name id in the log */
  uint32_t *schemas_done;  /* per rank: 1 + highest schema id */
  uint8_t *covered;        /* per rank: some process has its journal */
  weft__segment_row *segs; /* committed /segments rows (when /actions is on) */
  int64_t anchor0_mono, anchor0_wall, host0_same;
  uint32_t *world;        /* per rank: the world rank its row gets */
  uint32_t world_size;    /* of the rows that know their world rank */
  uint32_t world_unknown; /* journals' world ranks not taken */
} log_state;

static void log_free(log_state *l) {
  free(l->world);
  free(l->flushes);
  free(l->names_done);
  free(l->schemas_done);
  free(l->covered);
  free(l->segs);
}

static int attr_rw(hid_t file, const char *name, hid_t type, void *v,
                   int write) {
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  int ok = a >= 0 && (write ? H5Awrite(a, type, v) : H5Aread(a, type, v)) >= 0;
  if (a >= 0)
    H5Aclose(a);
  return ok ? 0 : -1;
}

static void handles_reset(weft__writer *w) {
  w->file = w->ranks = w->dxpl = w->dxpl_ind = -1;
  w->lost_probe = w->discard = MPI_FILE_NULL;
  w->types = (weft__h5types){.kind = -1,
                             .status = -1,
                             .ftype = -1,
                             .state = -1,
                             .rank_row = -1,
                             .committed = -1};
  for (int d = 0; d < WEFT_D_COUNT; d++) {
    w->types.row[d] = -1;
    w->dset[d] = -1;
  }
}

/* Collective: open an existing log for appending. */
static int open_log(weft__writer *w) {
  handles_reset(w);
  int local = WEFT_OK;
  hid_t fapl = weft__h5_fapl(w->comm);
  if (fapl < 0)
    local = weft__h5_error("setting up the MPI-IO file access");
  if (local == WEFT_OK && (w->file = H5Fopen(w->path, H5F_ACC_RDWR, fapl)) < 0)
    local = weft__h5_error("H5Fopen");
  if (fapl >= 0)
    H5Pclose(fapl);
  int rc = weft__agree(w->comm, local);
  if (rc < 0)
    return rc;
  weft__lost_write_open(w);
  weft__metadata_discard_open(w);
  if (weft__h5_dxpls(w) < 0 || weft__h5types_create(&w->types, -1) < 0)
    local = weft__h5_error("setting up the types");
  for (int d = 0; local == WEFT_OK && d < WEFT_D_COUNT; d++) {
    w->dset[d] = H5Dopen2(w->file, weft__dset_name((weft__dset)d), H5P_DEFAULT);
    hid_t sp = w->dset[d] >= 0 ? H5Dget_space(w->dset[d]) : -1;
    if (sp < 0 || H5Sget_simple_extent_dims(sp, &w->extent[d], NULL) != 1)
      local = weft__h5_error("opening a dataset of the log");
    w->ext_hi[d] = w->extent[d]; /* a crash may have left it allocated */
    if (sp >= 0)
      H5Sclose(sp);
  }
  if (local == WEFT_OK &&
      (w->ranks = H5Dopen2(w->file, "ranks", H5P_DEFAULT)) < 0)
    local = weft__h5_error("opening /ranks");
  /* Rows are appended in this writer's layout: a log of another major
   * version has other rows (and another `committed`), so it is refused
   * before anything of it is read. */
  uint32_t size = 0, version[2] = {0, 0};
  if (local == WEFT_OK &&
      (H5Aexists(w->file, "format_version") <= 0 ||
       attr_rw(w->file, "format_version", H5T_NATIVE_UINT32, version, 0)))
    local = weft__h5_error("reading the root attribute format_version");
  if (local == WEFT_OK && version[0] != WEFT_FORMAT_MAJOR)
    local = weft__error(WEFT_EFORMAT,
                        "the log is format %u.%u; this weft appends to "
                        "format %d logs only",
                        version[0], version[1], WEFT_FORMAT_MAJOR);
  if (local == WEFT_OK &&
      (attr_rw(w->file, "committed", w->types.committed, &w->committed, 0) ||
       attr_rw(w->file, "mpi_size", H5T_NATIVE_UINT32, &size, 0) ||
       attr_rw(w->file, "timeline_mono_ns", H5T_NATIVE_INT64,
               &w->timeline_mono_ns, 0) ||
       attr_rw(w->file, "timeline_wall_ns", H5T_NATIVE_INT64,
               &w->timeline_wall_ns, 0)))
    local = weft__h5_error("reading the root attributes");
  /* Rows are appended under the log's own rule (WEFT_ACTIONS=0: none). */
  uint8_t table = 1;
  if (local == WEFT_OK &&
      attr_rw(w->file, "actions_table", H5T_NATIVE_UINT8, &table, 0))
    local = weft__h5_error("reading the root attribute actions_table");
  w->actions_on = table != 0;
  w->size = (int)size;
  if (local == WEFT_OK && (size == 0 || size > (1u << 24)))
    local = weft__error(WEFT_EFORMAT, "mpi_size %u is out of range", size);
  return weft__agree(w->comm, local);
}

/* Independent transfer of rows [first, first + n) of dataset ds (memory
 * type `type`): 0, or -1 (HDF5's error stack says why). */
static int rows_io(hid_t ds, hid_t type, uint64_t first, uint64_t n, void *buf,
                   int write) {
  hid_t fs = H5Dget_space(ds);
  hsize_t start = first, cnt = n;
  hid_t ms = H5Screate_simple(1, &cnt, NULL);
  int ok =
      fs >= 0 && ms >= 0 &&
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) >= 0 &&
      (write ? H5Dwrite(ds, type, ms, fs, H5P_DEFAULT, buf)
             : H5Dread(ds, type, ms, fs, H5P_DEFAULT, buf)) >= 0;
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  return ok ? 0 : -1;
}

static int read_range(weft__writer *w, weft__dset d, uint64_t first, uint64_t n,
                      void *buf) {
  return rows_io(w->dset[d], w->types.row[d], first, n, buf, 0) == 0
             ? WEFT_OK
             : weft__h5_error("reading a table of the log");
}

/* Read the first n rows of dataset d (every process reads the same small
 * table). */
static int read_rows(weft__writer *w, weft__dset d, uint64_t n, void *buf) {
  return n ? read_range(w, d, 0, n, buf) : WEFT_OK;
}

/* What the log holds per rank: clock samples, dictionary ids. */
static int read_log_state(weft__writer *w, log_state *l) {
  const weft__committed *c = &w->committed;
  int rc = WEFT_OK;
  l->nflushes = c->flushes;
  l->flushes = malloc((c->flushes ? c->flushes : 1) * sizeof *l->flushes);
  weft__name_row *nm = malloc((c->names ? c->names : 1) * sizeof *nm);
  weft__schema_row *sc = malloc((c->schemas ? c->schemas : 1) * sizeof *sc);
  if (!l->flushes || !nm || !sc)
    rc = weft__error(WEFT_ENOMEM, "reading the log");
  if (rc == WEFT_OK)
    rc = read_rows(w, WEFT_D_FLUSHES, c->flushes, l->flushes);
  if (rc == WEFT_OK)
    rc = read_rows(w, WEFT_D_NAMES, c->names, nm);
  if (rc == WEFT_OK)
    rc = read_rows(w, WEFT_D_SCHEMAS, c->schemas, sc);
  for (uint64_t i = 0; rc == WEFT_OK && i < c->names; i++)
    if (nm[i].rank < l->size && nm[i].id + 1 > l->names_done[nm[i].rank])
      l->names_done[nm[i].rank] = nm[i].id + 1;
  for (uint64_t i = 0; rc == WEFT_OK && i < c->schemas; i++)
    if (sc[i].rank < l->size && sc[i].id + 1 > l->schemas_done[sc[i].rank])
      l->schemas_done[sc[i].rank] = sc[i].id + 1;
  free(nm);
  free(sc);
  /* Read once for every rank this process holds (committed_stacks). */
  if (rc == WEFT_OK && w->actions_on && c->segments) {
    if (!(l->segs = malloc(c->segments * sizeof *l->segs)))
      rc = weft__error(WEFT_ENOMEM, "reading the log");
    else
      rc = read_rows(w, WEFT_D_SEGMENTS, c->segments, l->segs);
  }
  return rc;
}

/* The last committed clock sample of `rank`, or NULL. */
static const weft__flush_row *last_sample(const log_state *l, uint32_t rank) {
  const weft__flush_row *best = NULL;
  for (uint64_t i = 0; i < l->nflushes; i++)
    if (l->flushes[i].rank == rank &&
        (!best || l->flushes[i].epoch >= best->epoch))
      best = &l->flushes[i];
  return best;
}

/* Rank r's samples in the log, in epoch order, for the /actions times. */
static int rank_samples(weft__writer *s, const log_state *l, uint32_t rank) {
  s->nsamples = 0;
  for (uint64_t i = 0; i < l->nflushes; i++) {
    const weft__flush_row *f = &l->flushes[i];
    if (f->rank != rank)
      continue;
    if (s->nsamples == s->samples_cap) {
      size_t cap = s->samples_cap ? 2 * s->samples_cap : 16;
      weft__clock_sample *p = realloc(s->samples, cap * sizeof *p);
      if (!p)
        return weft__error(WEFT_ENOMEM, "clock samples");
      s->samples = p;
      s->samples_cap = cap;
    }
    /* Rows are in epoch order within the table (one append per epoch). */
    s->samples[s->nsamples++] = (weft__clock_sample){
        f->sample_mono_ns, f->offset_ns, f->error_ns, f->sample_wall_ns};
  }
  return WEFT_OK;
}

static int push(weft__bytes *b, const void *p, size_t n) {
  return n && !weft__bytes_push(b, p, n)
             ? weft__error(WEFT_ENOMEM, "recovery staging")
             : WEFT_OK;
}

static int stage_dict(weft__writer *w, const weft__recover_rank *r,
                      uint32_t names_from, uint32_t schemas_from) {
  weft__bytes *str = &w->stage[WEFT_D_STRINGS];
  int rc = WEFT_OK;
  for (uint32_t id = names_from ? names_from : 1;
       rc == WEFT_OK && id < r->nnames; id++) {
    const char *s = r->dict.name(r->dict.arg, id);
    if (!s)
      continue;
    size_t len = strlen(s);
    weft__name_row row = {
        .off = str->len, .len = len, .rank = r->rank, .id = id};
    rc = push(str, s, len);
    if (rc == WEFT_OK)
      rc = push(&w->stage[WEFT_D_NAMES], &row, sizeof row);
  }
  weft__bytes *fields = &w->stage[WEFT_D_SCHEMA_FIELDS];
  for (uint32_t id = schemas_from > WEFT_SCHEMA_FIRST_USER
                         ? schemas_from
                         : WEFT_SCHEMA_FIRST_USER;
       rc == WEFT_OK && id < r->nschemas; id++) {
    const weft__schema *s = r->dict.schema(r->dict.arg, id);
    if (!s)
      continue;
    weft__schema_row row;
    memset(&row, 0, sizeof row);
    row.fields_off = fields->len / sizeof(weft__field_row);
    row.rank = r->rank;
    row.id = id;
    row.type_name = s->type_name;
    row.nfields = s->nfields;
    row.kind = s->kind;
    row.fixed_size = s->fixed_size;
    for (uint16_t i = 0; rc == WEFT_OK && i < s->nfields; i++) {
      weft__field_row f = {.name = s->names[i], .type = s->types[i]};
      rc = push(fields, &f, sizeof f);
    }
    if (rc == WEFT_OK)
      rc = push(&w->stage[WEFT_D_SCHEMAS], &row, sizeof row);
  }
  return rc;
}

/* The records of one stream into /events, /payload and one segment.
 * They stay two records per short action, as in the journal: the segment
 * has no leaf rows (leaf_count 0), and its leaf_start is where the rank's
 * rows of /actions begin (local index `rows_at` until settle_unfinished
 * and rebase), its order_start the end of /order (rebase), so that
 * neither points at garbage. */
static int stage_stream(weft__writer *w, uint32_t rank,
                        const weft__recover_stream *s, uint64_t rows_at,
                        int64_t *t_last) {
  weft__bytes *ev = &w->stage[WEFT_D_EVENTS], *pay = &w->stage[WEFT_D_PAYLOAD];
  weft__segment_row seg;
  memset(&seg, 0, sizeof seg);
  seg.event_start = ev->len / sizeof(weft_rec);
  seg.payload_start = pay->len;
  seg.leaf_start = rows_at;
  for (size_t off = 0; off < s->len;) {
    weft_rec h; /* a short SUCCESS becomes a 16-byte row (record.h) */
    size_t hl = weft__rec_get(s->data + off, s->len - off, &h);
    size_t padded = WEFT_REC_PAD((size_t)h.size);
    if (hl == 0 || padded > s->len - off - hl)
      return weft__error(WEFT_EFORMAT, "rank %u thread %u: record past the end",
                         rank, s->thread);
    if (push(ev, &h, sizeof h) || push(pay, s->data + off + hl, padded))
      return WEFT_ENOMEM;
    if (seg.event_count == 0)
      seg.t_first = h.t;
    seg.t_last = h.t;
    seg.event_count++;
    seg.payload_bytes += padded;
    off += hl + padded;
  }
  if (seg.event_count == 0)
    return WEFT_OK;
  if (seg.t_last > *t_last)
    *t_last = seg.t_last;
  seg.epoch = (uint32_t)w->committed.epochs;
  seg.rank = rank;
  seg.thread = s->thread;
  return push(&w->stage[WEFT_D_SEGMENTS], &seg, sizeof seg);
}

/* Feed the /events rows of one committed segment to its thread's stack.
 * Only headers are read.  Its leaf rows of /actions, and its leaves in
 * /events, open and close nothing, so the /events rows alone give the
 * actions open at the segment's end (and their payloads are not needed:
 * with leaf rows interleaved, /events alone would not even say where they
 * are). */
static int committed_segment(weft__writer *w, weft__writer *sh,
                             weft__action_stack *stack,
                             const weft__segment_row *seg) {
  enum { CHUNK = 1 << 14 };
  weft_rec *h = malloc(CHUNK * sizeof *h);
  if (!h)
    return weft__error(WEFT_ENOMEM, "recovery");
  int rc = WEFT_OK;
  for (uint64_t done = 0; rc == WEFT_OK && done < seg->event_count;) {
    uint64_t n = seg->event_count - done;
    if (n > CHUNK)
      n = CHUNK;
    rc = read_range(w, WEFT_D_EVENTS, seg->event_start + done, n, h);
    for (uint64_t i = 0; rc == WEFT_OK && i < n; i++) {
      if (h[i].schema & WEFT_REC_LEAF)
        continue;
      const weft__schema *sc = sh->dict.schema(sh->dict.arg, h[i].schema);
      if (!sc)
        continue; /* as for the journals' records: skipped */
      rc = weft__actions_record(sh, stack, seg->thread, &h[i], sc,
                                seg->event_start + done + i, NULL);
    }
    done += n;
  }
  free(h);
  return rc;
}

/* The actions of `rank` still open at the end of the log's committed part:
 * its committed segments walked in epoch order, as the flushes' /actions
 * builder kept them in memory before the job died.  Without them, the
 * actions that were running when it died (the job, the time step) would
 * have no row, and their ends in the journals would be ignored. */
static int committed_stacks(weft__writer *w, weft__writer *sh,
                            const log_state *l, uint32_t rank,
                            weft__action_state *st) {
  const weft__segment_row *seg = l->segs;
  int rc = WEFT_OK;
  sh->actions_on = 0; /* their rows, if they ended, are in the log */
  for (uint64_t i = 0; seg && rc == WEFT_OK && i < w->committed.segments; i++) {
    weft__action_stack *stack;
    if (seg[i].rank == rank &&
        (rc = weft__actions_stack(st, seg[i].thread, &stack)) == WEFT_OK)
      rc = committed_segment(w, sh, stack, &seg[i]);
  }
  sh->actions_on = 1;
  return rc;
}

/* A writer that builds /actions rows for one rank (actions_table.c): the
 * derived rows of every action that ends in the journals or is still open
 * at their end, each with its start_event in sh->row_origin (a committed
 * /events row for the actions begun before the last commit, a
 * WEFT__LOCAL_ROW index for the others). */
static int stage_actions(weft__writer *w, weft__writer *sh,
                         const weft__recover_rank *r, const log_state *l,
                         const weft__clock_sample *now) {
  if (!w->actions_on)
    return WEFT_OK; /* a log written with WEFT_ACTIONS=0 */
  sh->rank = (int)r->rank;
  sh->actions_on = 1;
  sh->settle = 1;
  sh->dict = r->dict;
  sh->timeline_mono_ns = w->timeline_mono_ns;
  sh->timeline_wall_ns = w->timeline_wall_ns;
  int rc = rank_samples(sh, l, r->rank);
  weft__action_state st = {0};
  if (rc == WEFT_OK)
    rc = committed_stacks(w, sh, l, r->rank, &st);
  size_t from = w->stage[WEFT_D_ACTIONS].len / sizeof(weft__action_row);
  /* Only the WEFT__LOCAL_ROW bit of a recovered action's origin is read
   * (settle_unfinished): the rows name no record. */
  for (size_t i = 0; rc == WEFT_OK && i < r->nstreams; i++) {
    const weft__recover_stream *s = &r->streams[i];
    rc = weft__actions_feed(sh, &st, s->thread, s->data, s->len,
                            WEFT__LOCAL_ROW, &w->stage[WEFT_D_ACTIONS]);
  }
  if (rc == WEFT_OK)
    rc = weft__actions_unfinished(sh, &st, now->mono_ns,
                                  &w->stage[WEFT_D_ACTIONS]);
  if (rc == WEFT_OK)
    weft__actions_timeline(sh, now, &w->stage[WEFT_D_ACTIONS], from);
  weft__actions_free(&st);
  return rc;
}

/* The /flushes row of rank `rank` for this epoch and its clock sample. */
static weft__flush_row flush_row(const weft__writer *w, const log_state *l,
                                 uint32_t rank, const weft__recover_rank *r,
                                 int64_t t_last) {
  weft__flush_row f;
  memset(&f, 0, sizeof f);
  f.epoch = (uint32_t)w->committed.epochs;
  f.rank = rank;
  const weft__flush_row *last = last_sample(l, rank);
  if (last) {
    /* No new measurement: the last offset, sampled at the rank's last
     * record so that readers' interpolation stays flat. */
    f.offset_ns = last->offset_ns;
    f.error_ns = last->error_ns;
    f.sample_mono_ns =
        t_last > last->sample_mono_ns ? t_last : last->sample_mono_ns;
    f.sample_wall_ns =
        last->sample_wall_ns + (f.sample_mono_ns - last->sample_mono_ns);
  } else if (r) {
    /* A new log: offsets from the (monotonic, wall) anchors of the
     * journals, i.e. trusting the wall clocks across hosts (to about a
     * millisecond with NTP); exact on rank 0's host. */
    f.sample_mono_ns = r->anchor_mono_ns;
    f.sample_wall_ns = r->anchor_wall_ns;
    f.offset_ns = (r->anchor_mono_ns - r->anchor_wall_ns) -
                  (l->anchor0_mono - l->anchor0_wall);
    f.error_ns = l->host0_same ? 0 : 1000000;
  } else {
    f.sample_mono_ns = l->anchor0_mono;
    f.sample_wall_ns = l->anchor0_wall;
  }
  return f;
}

/* Local offsets to file offsets, once this process's row offsets are
 * known. */
static void rebase(weft__writer *w, const uint64_t *off) {
  uint64_t base[WEFT_D_COUNT];
  for (int d = 0; d < WEFT_D_COUNT; d++)
    base[d] = weft__committed_rows(&w->committed, (weft__dset)d) + off[d];
  weft__segment_row *seg = (void *)w->stage[WEFT_D_SEGMENTS].p;
  for (size_t i = 0; i < w->stage[WEFT_D_SEGMENTS].len / sizeof *seg; i++) {
    seg[i].event_start += base[WEFT_D_EVENTS];
    seg[i].payload_start += base[WEFT_D_PAYLOAD];
    seg[i].leaf_start += base[WEFT_D_ACTIONS];
    seg[i].order_start = base[WEFT_D_ORDER];
  }
  weft__name_row *nm = (void *)w->stage[WEFT_D_NAMES].p;
  for (size_t i = 0; i < w->stage[WEFT_D_NAMES].len / sizeof *nm; i++)
    nm[i].off += base[WEFT_D_STRINGS];
  weft__schema_row *sc = (void *)w->stage[WEFT_D_SCHEMAS].p;
  for (size_t i = 0; i < w->stage[WEFT_D_SCHEMAS].len / sizeof *sc; i++)
    sc[i].fields_off += base[WEFT_D_SCHEMA_FIELDS];
}

/* Threads of a recovered rank: one past the highest thread index that
 * logged (threads are numbered from 0 in the order they first logged). */
static uint32_t threads_of(const weft__recover_rank *r) {
  uint32_t n = 0;
  for (size_t k = 0; k < r->nstreams; k++)
    if (r->streams[k].thread + 1 > n)
      n = r->streams[k].thread + 1;
  return n;
}

/* Collective: write rows[i] at /ranks row idx[i] (rows this process
 * staged; local is its error so far, and it still joins the write). */
static int write_rank_rows(weft__writer *w, weft__bytes *rows, weft__bytes *idx,
                           int local) {
  hsize_t cnt = idx->len / sizeof(hsize_t);
  hid_t fs = H5Dget_space(w->ranks);
  hsize_t one = cnt ? cnt : 1;
  hid_t ms = H5Screate_simple(1, &one, NULL);
  if (fs < 0 || ms < 0)
    local = weft__h5_error("/ranks dataspace");
  else if (local == WEFT_OK && cnt)
    local = H5Sselect_elements(fs, H5S_SELECT_SET, cnt, (hsize_t *)idx->p) < 0
                ? weft__h5_error("selecting /ranks rows")
                : WEFT_OK;
  if (fs >= 0 && ms >= 0 && (local < 0 || !cnt)) {
    H5Sselect_none(fs);
    H5Sselect_none(ms);
  }
  if (fs >= 0 && ms >= 0 &&
      H5Dwrite(w->ranks, w->types.rank_row, ms, fs, w->dxpl,
               local == WEFT_OK && cnt ? rows->p : NULL) < 0 &&
      local == WEFT_OK)
    local = weft__h5_io_error("writing /ranks");
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  weft__bytes_free(rows);
  weft__bytes_free(idx);
  return weft__agree(w->comm, local);
}

/* Collective: this epoch's /flushes rows (this process's, sorted by rank),
 * each at its rank's place: an epoch has one row per rank, in rank order,
 * however the ranks' journals are spread over the processes (with node-
 * local journals, a process holds every other rank, say), which one
 * contiguous range per process (weft__append) could not give. */
static int write_flushes(weft__writer *w, uint64_t total) {
  uint64_t base = w->committed.flushes;
  int rc = weft__extend(w, WEFT_D_FLUSHES, base + total);
  if (rc < 0)
    return rc;
  const weft__bytes *b = &w->stage[WEFT_D_FLUSHES];
  const weft__flush_row *f = (const void *)b->p;
  hsize_t n = b->len / sizeof *f, one = 1;
  int local = WEFT_OK;
  hid_t fs = H5Dget_space(w->dset[WEFT_D_FLUSHES]);
  hid_t ms = H5Screate_simple(1, n ? &n : &one, NULL);
  if (fs < 0 || ms < 0 || H5Sselect_none(fs) < 0)
    local = weft__h5_error("/flushes dataspace");
  for (hsize_t i = 0; local == WEFT_OK && i < n; i++) {
    hsize_t at = base + f[i].rank; /* in memory order: ranks ascend */
    if (H5Sselect_hyperslab(fs, H5S_SELECT_OR, &at, NULL, &one, NULL) < 0)
      local = weft__h5_error("selecting /flushes rows");
  }
  if (fs >= 0 && ms >= 0 && (local < 0 || !n)) {
    H5Sselect_none(fs);
    H5Sselect_none(ms);
  }
  if (fs >= 0 && ms >= 0 &&
      H5Dwrite(w->dset[WEFT_D_FLUSHES], w->types.row[WEFT_D_FLUSHES], ms, fs,
               w->dxpl, local == WEFT_OK && n ? f : NULL) < 0 &&
      local == WEFT_OK)
    local = weft__h5_io_error("writing /flushes");
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  return weft__agree(w->comm, local);
}

/* New log: /ranks rows of the ranks this process holds (process 0 also
 * writes those nobody holds). */
static int write_ranks(weft__writer *w, const weft__recover_rank *ranks,
                       size_t n, const log_state *l) {
  weft__bytes rows = {0}, idx = {0};
  int local = WEFT_OK;
  for (size_t i = 0; local == WEFT_OK && i < n; i++) {
    weft__rank_row r;
    memset(&r, 0, sizeof r);
    r.rank = ranks[i].rank;
    r.pid = (uint32_t)ranks[i].pid;
    r.threads = threads_of(&ranks[i]);
    r.start_wall_ns = ranks[i].created_wall_ns;
    r.start_mono_ns =
        ranks[i].anchor_mono_ns - (ranks[i].anchor_wall_ns - r.start_wall_ns);
    memcpy(r.host, ranks[i].host, sizeof r.host - 1);
    memcpy(r.slurm_job_id, ranks[i].job, sizeof r.slurm_job_id - 1);
    r.world_rank = l->world[r.rank];
    r.world_size = r.world_rank != WEFT_WORLD_RANK_UNKNOWN ? l->world_size : 0;
    hsize_t at = r.rank;
    if (push(&rows, &r, sizeof r) || push(&idx, &at, sizeof at))
      local = WEFT_ENOMEM;
  }
  for (uint32_t k = 0; local == WEFT_OK && w->rank == 0 && k < l->size; k++)
    if (!l->covered[k]) {
      weft__rank_row r;
      memset(&r, 0, sizeof r);
      r.rank = k;
      r.world_rank = WEFT_WORLD_RANK_UNKNOWN;
      strcpy(r.host, "?");
      hsize_t at = k;
      if (push(&rows, &r, sizeof r) || push(&idx, &at, sizeof at))
        local = WEFT_ENOMEM;
    }
  return write_rank_rows(w, &rows, &idx, local);
}

/* Appending: a rank whose threads after the last commit outnumber those
 * its /ranks row counts gets the row rewritten with the new count, and
 * one whose row did not know its world rank gets its journal's
 * (settle_world). */
static int update_ranks(weft__writer *w, const weft__recover_rank *ranks,
                        size_t n, const log_state *l) {
  weft__bytes rows = {0}, idx = {0};
  int local = WEFT_OK;
  for (size_t i = 0; local == WEFT_OK && i < n; i++) {
    weft__rank_row r;
    hsize_t at = ranks[i].rank;
    if (rows_io(w->ranks, w->types.rank_row, at, 1, &r, 0) < 0)
      local = weft__h5_error("reading /ranks");
    uint32_t threads = threads_of(&ranks[i]);
    uint32_t world = l->world[ranks[i].rank];
    if (local == WEFT_OK && (threads > r.threads || world != r.world_rank)) {
      if (threads > r.threads)
        r.threads = threads;
      if (world != r.world_rank) {
        r.world_rank = world;
        r.world_size = world != WEFT_WORLD_RANK_UNKNOWN ? l->world_size : 0;
      }
      if (push(&rows, &r, sizeof r) || push(&idx, &at, sizeof at))
        local = WEFT_ENOMEM;
    }
  }
  return write_rank_rows(w, &rows, &idx, local);
}

/* New log: the job's size, and rank 0's (or the lowest rank's) anchor. */
static int new_log_shape(weft__writer *w, const weft__recover_rank *ranks,
                         size_t n, log_state *l) {
  int mine[2] = {-1, w->rank}, low[2] = {1 << 30, w->rank}, out[2];
  char host[64] = "";
  for (size_t i = 0; i < n; i++) {
    if ((int)ranks[i].rank > mine[0])
      mine[0] = (int)ranks[i].rank;
    if ((int)ranks[i].rank < low[0])
      low[0] = (int)ranks[i].rank;
  }
  int max = 0;
  if (PMPI_Allreduce(&mine[0], &max, 1, MPI_INT, MPI_MAX, w->comm) !=
          MPI_SUCCESS ||
      PMPI_Allreduce(low, out, 1, MPI_2INT, MPI_MINLOC, w->comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Allreduce of the job's shape failed");
  if (max < 0)
    return weft__error(WEFT_ENOTFOUND, "no rank to recover");
  l->size = (uint32_t)max + 1;
  int64_t a[2] = {0, 0};
  for (size_t i = 0; i < n; i++)
    if ((int)ranks[i].rank == out[0]) {
      a[0] = ranks[i].anchor_mono_ns;
      a[1] = ranks[i].anchor_wall_ns;
      memcpy(host, ranks[i].host, sizeof host - 1);
    }
  if (PMPI_Bcast(a, 2, MPI_INT64_T, out[1], w->comm) != MPI_SUCCESS ||
      PMPI_Bcast(host, sizeof host, MPI_CHAR, out[1], w->comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Bcast of the timeline anchor failed");
  l->anchor0_mono = a[0];
  l->anchor0_wall = a[1];
  l->host0_same = 1;
  for (size_t i = 0; i < n; i++)
    if (strncmp(ranks[i].host, host, sizeof host))
      l->host0_same = 0;
  return WEFT_OK;
}

static int check_ranks(weft__writer *w, const weft__recover_rank *ranks,
                       size_t n, log_state *l) {
  int local = WEFT_OK;
  l->covered = calloc(l->size, 1);
  l->names_done = calloc(l->size, sizeof *l->names_done);
  l->schemas_done = calloc(l->size, sizeof *l->schemas_done);
  uint8_t *all = calloc(l->size, 1);
  /* A rank out of memory still takes part in the agreement below, so the
   * others are not left waiting in a collective. */
  if (!l->covered || !l->names_done || !l->schemas_done || !all)
    local = weft__error(WEFT_ENOMEM, "recovery");
  for (size_t i = 0; local == WEFT_OK && i < n; i++) {
    if (ranks[i].rank >= l->size)
      local = weft__error(WEFT_EINVAL, "rank %u is beyond the log's %u ranks",
                          ranks[i].rank, l->size);
    else if (l->covered[ranks[i].rank])
      local =
          weft__error(WEFT_EINVAL, "two journals of rank %u", ranks[i].rank);
    else
      l->covered[ranks[i].rank] = 1;
  }
  int rc = weft__agree(w->comm, local);
  if (rc == WEFT_OK &&
      PMPI_Allreduce(l->covered, all, (int)l->size, MPI_UINT8_T, MPI_SUM,
                     w->comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "MPI_Allreduce of the ranks held failed");
  for (uint32_t k = 0; rc == WEFT_OK && k < l->size; k++)
    if (all[k] > 1)
      rc =
          weft__error(WEFT_EINVAL,
                      "rank %u's journal was given by %u processes", k, all[k]);
  if (rc == WEFT_OK)
    memcpy(l->covered, all, l->size);
  free(all);
  return rc;
}

/* A world rank and the log rank that holds it, or claims it. */
typedef struct world_claim {
  uint32_t world, rank;
  int fixed; /* the log's row holds it: it stays */
} world_claim;

static int claim_cmp(const void *pa, const void *pb) {
  const world_claim *a = pa, *b = pb;
  if (a->world != b->world)
    return a->world < b->world ? -1 : 1;
  return (a->rank > b->rank) - (a->rank < b->rank);
}

/* The world ranks of the log's committed /ranks rows (appending; every
 * process reads them all) into world[] and size[], UINT32_MAX and 0 for a
 * row that does not know it (as the readers take it: a world rank is
 * known when it is below the row's world size). */
static int log_worlds(weft__writer *w, uint32_t nrows, uint32_t *world,
                      uint32_t *size) {
  enum { CHUNK = 1 << 12 };
  weft__rank_row *rows = malloc(CHUNK * sizeof *rows);
  if (!rows)
    return weft__error(WEFT_ENOMEM, "recovery");
  int rc = WEFT_OK;
  for (uint32_t done = 0; rc == WEFT_OK && done < nrows; done += CHUNK) {
    uint32_t k = nrows - done < CHUNK ? nrows - done : CHUNK;
    if (rows_io(w->ranks, w->types.rank_row, done, k, rows, 0) < 0)
      rc = weft__h5_error("reading /ranks");
    for (uint32_t i = 0; rc == WEFT_OK && i < k; i++) {
      int known = rows[i].world_rank < rows[i].world_size;
      world[done + i] = known ? rows[i].world_rank : WEFT_WORLD_RANK_UNKNOWN;
      size[done + i] = known ? rows[i].world_size : 0;
    }
  }
  free(rows);
  return rc;
}

/* Collective: the world rank each rank's /ranks row gets, in l->world
 * (every process computes the same table from the same inputs).  A row of
 * the log that knows its world rank keeps it (libweft-mpi wrote it; a
 * journal that says otherwise is counted, not taken).  A row that does
 * not (a new log, or one rebuilt by a recovery from journals that did not
 * say) takes its journal's world rank, unless that would give the readers
 * a log they refuse (format.md, /ranks): one world size for every row
 * that knows it (the log's, else the journals' when they all agree), and
 * no world rank twice.  Every journal world rank in a clash is left out
 * (unknown), not all but one of them: which is right cannot be told.
 * Those left out are counted in l->world_unknown. */
static int settle_world(weft__writer *w, const weft__recover_rank *ranks,
                        size_t n, int create, log_state *l) {
  const uint32_t size = l->size;
  /* (world size << 32 | world rank) of each rank's journal, UINT64_MAX
   * when it does not say; one process holds a rank (check_ranks). */
  uint64_t *mine = malloc(size * sizeof *mine), *all = NULL;
  uint32_t *log_size = calloc(size, sizeof *log_size);
  world_claim *c = malloc(size * sizeof *c);
  l->world = malloc(size * sizeof *l->world);
  int local =
      mine && log_size && c && l->world && (all = malloc(size * sizeof *all))
          ? WEFT_OK
          : weft__error(WEFT_ENOMEM, "recovery");
  for (uint32_t k = 0; local == WEFT_OK && k < size; k++) {
    mine[k] = UINT64_MAX;
    l->world[k] = WEFT_WORLD_RANK_UNKNOWN;
  }
  for (size_t i = 0; local == WEFT_OK && i < n; i++)
    if (ranks[i].world_rank < ranks[i].world_size)
      mine[ranks[i].rank] =
          (uint64_t)ranks[i].world_size << 32 | ranks[i].world_rank;
  if (local == WEFT_OK && !create)
    local = log_worlds(w, size, l->world, log_size);
  int rc = weft__agree(w->comm, local);
  if (rc == WEFT_OK && PMPI_Allreduce(mine, all, (int)size, MPI_UINT64_T,
                                      MPI_MIN, w->comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "MPI_Allreduce of the world ranks failed");
  if (rc == WEFT_OK) {
    /* The world's size: the log's, else the journals' if they agree. */
    uint32_t wsize = 0;
    for (uint32_t k = 0; k < size && !wsize; k++)
      wsize = log_size[k];
    int from_log = wsize != 0, worlds = 0;
    for (uint32_t k = 0; !from_log && k < size; k++) {
      uint32_t s = all[k] == UINT64_MAX ? 0 : (uint32_t)(all[k] >> 32);
      worlds |= s && wsize && s != wsize;
      if (s && !wsize)
        wsize = s;
    }
    if (worlds)
      wsize = 0; /* journals of two worlds: none is taken */
    size_t nc = 0;
    for (uint32_t k = 0; k < size; k++) {
      uint32_t s = all[k] == UINT64_MAX ? 0 : (uint32_t)(all[k] >> 32);
      uint32_t wr = (uint32_t)all[k];
      if (l->world[k] != WEFT_WORLD_RANK_UNKNOWN) {
        c[nc++] = (world_claim){l->world[k], k, 1};
        l->world_unknown += s && (wr != l->world[k] || s != log_size[k]);
      } else if (s && s == wsize) {
        c[nc++] = (world_claim){wr, k, 0};
      } else if (s) {
        l->world_unknown++;
      }
    }
    qsort(c, nc, sizeof *c, claim_cmp);
    for (size_t o = 0, e; o < nc; o = e) {
      for (e = o + 1; e < nc && c[e].world == c[o].world; e++)
        ;
      for (size_t i = o; i < e; i++)
        if (!c[i].fixed && e - o == 1)
          l->world[c[i].rank] = c[i].world;
        else if (!c[i].fixed)
          l->world_unknown++;
    }
    l->world_size = wsize;
  }
  free(mine);
  free(all);
  free(log_size);
  free(c);
  return rc;
}

/* Write row r over row `at` of /actions (independently: no other process
 * holds the same rank). */
static int overwrite_action(weft__writer *w, uint64_t at, weft__action_row *r) {
  return rows_io(w->dset[WEFT_D_ACTIONS], w->types.row[WEFT_D_ACTIONS], at, 1,
                 r, 1) == 0
             ? WEFT_OK
             : weft__h5_io_error("rewriting an /actions row");
}

/* A staged row of an action begun in the log's committed part, and what
 * the log's rows say of it.  Format 2.0 rows name no record, so the row
 * is matched to the log's on (rank, schema, start_ns): the flush that
 * wrote the log's row put start_ns on the timeline with the samples of
 * /flushes that stage_actions maps it with too, in integers
 * (timeline.h), so one start gives one start_ns. */
typedef struct old_row {
  int64_t start_ns;
  uint32_t rank;
  uint16_t schema;
  size_t i;      /* index among the staged rows */
  size_t twins;  /* staged old rows with its key, itself included */
  uint64_t hits; /* the log's derived rows with its key */
  uint64_t at;   /* the last of them */
  int fits;      /* that row is unfinished, or equal to the staged one */
} old_row;

static int old_cmp(const void *pa, const void *pb) {
  const old_row *a = pa, *b = pb;
  if (a->rank != b->rank)
    return a->rank < b->rank ? -1 : 1;
  if (a->schema != b->schema)
    return a->schema < b->schema ? -1 : 1;
  if (a->start_ns != b->start_ns)
    return a->start_ns < b->start_ns ? -1 : 1;
  return 0;
}

/* The first of the n sorted old rows with key k, or n. */
static size_t old_find(const old_row *old, size_t n, const old_row *k) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (old_cmp(&old[mid], k) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && old_cmp(&old[lo], k) == 0 ? lo : n;
}

/* Whether row `row` of /actions is a leaf row of a committed segment: the
 * only record of a short action, never the row of one whose start is in
 * /events. */
static int leaf_row(const weft__writer *w, const log_state *l, uint64_t row) {
  for (uint64_t i = 0; l->segs && i < w->committed.segments; i++)
    if (l->segs[i].leaf_count && row >= l->segs[i].leaf_start &&
        row - l->segs[i].leaf_start < l->segs[i].leaf_count)
      return 1;
  return 0;
}

/* Member by member, as the packed row's members are read everywhere. */
static int same_row(const weft__action_row *a, const weft__action_row *b) {
  return a->start_ns == b->start_ns && a->end_ns == b->end_ns &&
         a->elapsed_ns == b->elapsed_ns && a->rank == b->rank &&
         a->schema == b->schema && a->status == b->status;
}

/* Count the log's derived rows with the key of each old row. */
static int match_log_rows(weft__writer *w, const log_state *l,
                          const weft__action_row *st, old_row *old,
                          size_t nold) {
  enum { CHUNK = 1 << 14 };
  uint64_t nrows = w->committed.actions;
  weft__action_row *rows = nrows ? malloc(CHUNK * sizeof *rows) : NULL;
  if (nrows && !rows)
    return weft__error(WEFT_ENOMEM, "recovery");
  int rc = WEFT_OK;
  for (uint64_t done = 0; rc == WEFT_OK && done < nrows; done += CHUNK) {
    uint64_t k = nrows - done < CHUNK ? nrows - done : CHUNK;
    rc = read_range(w, WEFT_D_ACTIONS, done, k, rows);
    for (uint64_t j = 0; rc == WEFT_OK && j < k; j++) {
      old_row key = {.start_ns = rows[j].start_ns,
                     .rank = rows[j].rank,
                     .schema = rows[j].schema};
      size_t o = old_find(old, nold, &key);
      if (o == nold || leaf_row(w, l, done + j))
        continue;
      for (; o < nold && old_cmp(&old[o], &key) == 0; o++) {
        old[o].hits++;
        old[o].at = done + j;
        old[o].fits = rows[j].status == WEFT_STATUS_UNFINISHED ||
                      same_row(&rows[j], &st[old[o].i]);
      }
    }
  }
  free(rows);
  return rc;
}

/* The staged rows of actions begun in the log's committed part (their
 * origin, in `origin`, a committed /events row without WEFT__LOCAL_ROW)
 * are matched to the log's derived rows (old_row):
 *   - none has the key: the action has no row yet (the job died), the
 *     staged row is appended;
 *   - one has it, `unfinished` (the stop signal's last flush wrote it) or
 *     equal to the staged row (a recovery that died between its rewrites
 *     and its commit wrote it), and no other staged row has the key: it
 *     is rewritten in place after the appends (write_settled), not
 *     appended a second time;
 *   - otherwise which row is whose cannot be told: one row that ended
 *     (another action with the same key, or a stream the rebuild could
 *     not follow), several rows, or several staged rows.  The log's rows
 *     are left as they are (an unfinished one stays unfinished), the
 *     staged rows are dropped (never two rows for one action), and
 *     counted in *unsettled.
 * Staged rows keep their order, and origin and the segments' leaf_start
 * (local row indexes) follow them.  Only the few old rows are sorted and
 * looked up (the actions open at the last commit), not every staged
 * row. */
static int settle_unfinished(weft__writer *w, const log_state *l,
                             weft__bytes *origin, weft__bytes *later,
                             uint64_t *unsettled) {
  weft__bytes *b = &w->stage[WEFT_D_ACTIONS];
  weft__action_row *st = (void *)b->p;
  uint64_t *from = (void *)origin->p;
  size_t n = b->len / sizeof *st, nold = 0;
  for (size_t i = 0; i < n; i++)
    nold += !(from[i] & WEFT__LOCAL_ROW);
  if (nold == 0)
    return WEFT_OK;
  unsigned char *gone = calloc(n, 1);
  old_row *old = calloc(nold, sizeof *old);
  size_t *at = malloc((n + 1) * sizeof *at);
  int rc = WEFT_OK;
  if (!gone || !old || !at)
    rc = weft__error(WEFT_ENOMEM, "recovery");
  nold = 0;
  for (size_t i = 0; rc == WEFT_OK && i < n; i++)
    if (!(from[i] & WEFT__LOCAL_ROW))
      old[nold++] = (old_row){.start_ns = st[i].start_ns,
                              .rank = st[i].rank,
                              .schema = st[i].schema,
                              .i = i};
  if (rc == WEFT_OK) {
    qsort(old, nold, sizeof *old, old_cmp);
    for (size_t o = 0, e; o < nold; o = e) {
      for (e = o + 1; e < nold && old_cmp(&old[o], &old[e]) == 0; e++)
        ;
      for (size_t k = o; k < e; k++)
        old[k].twins = e - o;
    }
    rc = match_log_rows(w, l, st, old, nold);
  }
  for (size_t o = 0; rc == WEFT_OK && o < nold; o++) {
    if (old[o].hits == 0)
      continue;
    gone[old[o].i] = 1;
    if (old[o].hits == 1 && old[o].twins == 1 && old[o].fits) {
      if (push(later, &old[o].at, sizeof old[o].at) ||
          push(later, &st[old[o].i], sizeof st[old[o].i]))
        rc = WEFT_ENOMEM;
    } else {
      (*unsettled)++;
    }
  }
  if (rc == WEFT_OK) {
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
      at[i] = kept;
      if (!gone[i]) {
        st[kept] = st[i];
        from[kept] = from[i];
        kept++;
      }
    }
    at[n] = kept;
    b->len = kept * sizeof *st;
    origin->len = kept * sizeof *from;
    weft__segment_row *seg = (void *)w->stage[WEFT_D_SEGMENTS].p;
    for (size_t i = 0; i < w->stage[WEFT_D_SEGMENTS].len / sizeof *seg; i++)
      seg[i].leaf_start = at[seg[i].leaf_start];
  }
  free(gone);
  free(old);
  free(at);
  return rc;
}

/* Collective: the rewrites settle_unfinished scheduled, once the appends
 * succeeded (a recovery that fails before changes no committed row). */
static int write_settled(weft__writer *w, weft__bytes *later) {
  const size_t one = sizeof(uint64_t) + sizeof(weft__action_row);
  int local = WEFT_OK;
  for (size_t off = 0; local == WEFT_OK && off + one <= later->len;
       off += one) {
    uint64_t at;
    weft__action_row r;
    memcpy(&at, later->p + off, sizeof at);
    memcpy(&r, later->p + off + sizeof at, sizeof r);
    local = overwrite_action(w, at, &r);
  }
  return weft__agree(w->comm, local);
}

static int by_rank(const void *pa, const void *pb) {
  const weft__recover_rank *const *a = pa, *const *b = pb;
  return (*a)->rank < (*b)->rank ? -1 : (*a)->rank > (*b)->rank;
}

static int flush_by_rank(const void *pa, const void *pb) {
  const weft__flush_row *a = pa, *b = pb;
  return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Everything after the file is open.  A process stages its ranks in rank
 * order, as a flush's ranks follow each other in the datasets (over
 * several processes, the processes' ranges follow in process order). */
static int write_epoch(weft__writer *w, const weft__recover_rank *ranks,
                       size_t n, int create, log_state *l,
                       weft__recover_result *res) {
  int local = create ? WEFT_OK : read_log_state(w, l);
  const weft__recover_rank **held = malloc((n ? n : 1) * sizeof *held);
  if (!held && local == WEFT_OK)
    local = weft__error(WEFT_ENOMEM, "recovery");
  for (size_t i = 0; held && i < n; i++)
    held[i] = &ranks[i];
  if (held)
    qsort(held, n, sizeof *held, by_rank);
  weft__writer shadow;
  memset(&shadow, 0, sizeof shadow);
  for (int d = 0; d < WEFT_D_COUNT; d++)
    w->stage[d].len = 0;
  uint64_t local_ranks = 0;
  for (size_t i = 0; local == WEFT_OK && i < n; i++) {
    const weft__recover_rank *r = held[i];
    uint64_t first = w->stage[WEFT_D_EVENTS].len / sizeof(weft_rec);
    uint64_t first_byte = w->stage[WEFT_D_PAYLOAD].len;
    uint64_t rows_at = w->stage[WEFT_D_ACTIONS].len / sizeof(weft__action_row);
    int64_t t_last = INT64_MIN;
    local = stage_dict(w, r, l->names_done[r->rank], l->schemas_done[r->rank]);
    for (size_t k = 0; local == WEFT_OK && k < r->nstreams; k++)
      local = stage_stream(w, r->rank, &r->streams[k], rows_at, &t_last);
    weft__flush_row f = flush_row(w, l, r->rank, r, t_last);
    f.events = w->stage[WEFT_D_EVENTS].len / sizeof(weft_rec) - first;
    f.payload_bytes = w->stage[WEFT_D_PAYLOAD].len - first_byte;
    weft__clock_sample now = {f.sample_mono_ns, f.offset_ns, f.error_ns,
                              f.sample_wall_ns};
    if (t_last != INT64_MIN && now.mono_ns < t_last)
      now.mono_ns = t_last; /* unfinished actions end at the last record */
    if (local == WEFT_OK)
      local = stage_actions(w, &shadow, r, l, &now);
    if (local == WEFT_OK)
      local = push(&w->stage[WEFT_D_FLUSHES], &f, sizeof f);
    local_ranks += f.events > 0;
  }
  for (uint32_t k = 0; local == WEFT_OK && w->rank == 0 && k < l->size; k++)
    if (!l->covered[k]) {
      weft__flush_row f = flush_row(w, l, k, NULL, INT64_MIN);
      local = push(&w->stage[WEFT_D_FLUSHES], &f, sizeof f);
    }
  free(held);
  /* write_flushes selects the rows' places in file order, which is the
   * order its memory rows are taken in. */
  size_t nflush = w->stage[WEFT_D_FLUSHES].len / sizeof(weft__flush_row);
  if (nflush)
    qsort(w->stage[WEFT_D_FLUSHES].p, nflush, sizeof(weft__flush_row),
          flush_by_rank);
  weft__bytes later = {0};
  uint64_t unsettled = 0;
  if (local == WEFT_OK && !create)
    local = settle_unfinished(w, l, &shadow.row_origin, &later, &unsettled);
  free(shadow.samples);
  weft__bytes_free(&shadow.row_origin);
  int rc = weft__agree(w->comm, local);
  if (rc < 0) {
    weft__bytes_free(&later);
    return rc;
  }

  /* The row counts, then the ranks with records and the unsettled rows
   * (for the result). */
  enum { NCOUNT = WEFT_D_COUNT + 2 };
  uint64_t cnt[NCOUNT], off[NCOUNT], tot[NCOUNT];
  for (int d = 0; d < WEFT_D_COUNT; d++)
    cnt[d] = w->stage[d].len / weft__dset_elem_size((weft__dset)d);
  cnt[WEFT_D_COUNT] = local_ranks;
  cnt[WEFT_D_COUNT + 1] = unsettled;
  if (PMPI_Exscan(cnt, off, NCOUNT, MPI_UINT64_T, MPI_SUM, w->comm) !=
          MPI_SUCCESS ||
      PMPI_Allreduce(cnt, tot, NCOUNT, MPI_UINT64_T, MPI_SUM, w->comm) !=
          MPI_SUCCESS) {
    weft__bytes_free(&later);
    return weft__error(WEFT_EMPI, "exchanging the row counts failed");
  }
  if (w->rank == 0)
    memset(off, 0, sizeof off);
  rebase(w, off);
  rc = weft__space_probe(w, tot);
  for (int d = 0; rc == WEFT_OK && d < WEFT_D_COUNT; d++)
    if (tot[d] && d != WEFT_D_FLUSHES)
      rc = weft__append(w, (weft__dset)d,
                        weft__committed_rows(&w->committed, (weft__dset)d),
                        off[d], cnt[d], tot[d], w->stage[d].p);
  if (rc == WEFT_OK)
    rc = write_flushes(w, tot[WEFT_D_FLUSHES]);
  if (rc == WEFT_OK)
    rc = create ? write_ranks(w, ranks, n, l) : update_ranks(w, ranks, n, l);
  if (rc == WEFT_OK)
    rc = write_settled(w, &later);
  weft__bytes_free(&later);
  weft__committed next = w->committed;
  next.payload += tot[WEFT_D_PAYLOAD];
  next.events += tot[WEFT_D_EVENTS];
  next.segments += tot[WEFT_D_SEGMENTS];
  next.strings += tot[WEFT_D_STRINGS];
  next.names += tot[WEFT_D_NAMES];
  next.schema_fields += tot[WEFT_D_SCHEMA_FIELDS];
  next.schemas += tot[WEFT_D_SCHEMAS];
  next.actions += tot[WEFT_D_ACTIONS];
  next.order += tot[WEFT_D_ORDER];
  next.flushes += tot[WEFT_D_FLUSHES];
  next.epochs++;
  if (rc == WEFT_OK) {
    /* How many recoveries made this log (readers may ignore it). */
    uint32_t recovered = 0;
    local = WEFT_OK;
    if (H5Aexists(w->file, "recovered") > 0)
      attr_rw(w->file, "recovered", H5T_NATIVE_UINT32, &recovered, 0);
    recovered++;
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    if (sp >= 0)
      a = H5Aexists(w->file, "recovered") > 0
              ? H5Aopen(w->file, "recovered", H5P_DEFAULT)
              : H5Acreate2(w->file, "recovered", H5T_STD_U32LE, sp, H5P_DEFAULT,
                           H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_UINT32, &recovered) < 0)
      local = weft__h5_error("writing the recovered attribute");
    if (a >= 0)
      H5Aclose(a);
    if (sp >= 0)
      H5Sclose(sp);
    rc = weft__agree(w->comm, local);
  }
  if (rc == WEFT_OK)
    rc = weft__file_commit(w, &next, 0);
  if (rc == WEFT_OK) {
    res->epoch = w->committed.epochs;
    res->events = tot[WEFT_D_EVENTS];
    res->actions = tot[WEFT_D_ACTIONS];
    res->ranks = (uint32_t)tot[WEFT_D_COUNT];
    res->unsettled = tot[WEFT_D_COUNT + 1];
    res->mpi_size = l->size;
    res->world_unknown = l->world_unknown;
    w->committed = next;
  }
  return rc;
}

int weft__recover_write(MPI_Comm comm, const char *path, int create,
                        const weft__recover_rank *ranks, size_t nranks,
                        weft__recover_result *res) {
  memset(res, 0, sizeof *res);
  weft__writer *w = calloc(1, sizeof *w);
  if (!w)
    return weft__error(WEFT_ENOMEM, "recovery");
  w->comm = comm;
  PMPI_Comm_rank(comm, &w->rank);
  w->actions_on = 1;
  w->path = (char *)path;
  if (create) {
    /* A new log (rebuilt from journals) follows the job's environment. */
    const char *table = getenv("WEFT_ACTIONS");
    w->actions_on = !(table && !strcmp(table, "0"));
  }
  handles_reset(w);
  log_state l;
  memset(&l, 0, sizeof l);
  weft__h5_quiet q;
  weft__h5_quiet_begin(&q);
  int rc;
  if (create) {
    rc = new_log_shape(w, ranks, nranks, &l);
    rc = weft__agree(comm, rc);
    if (rc == WEFT_OK) {
      w->size = (int)l.size;
      rc = weft__file_create(w);
    }
    if (rc == WEFT_OK) {
      /* The job's timeline, not the recovering process's clock. */
      int local = attr_rw(w->file, "timeline_mono_ns", H5T_NATIVE_INT64,
                          &l.anchor0_mono, 1) ||
                          attr_rw(w->file, "timeline_wall_ns", H5T_NATIVE_INT64,
                                  &l.anchor0_wall, 1)
                      ? weft__h5_error("writing the timeline anchor")
                      : WEFT_OK;
      w->timeline_mono_ns = l.anchor0_mono;
      w->timeline_wall_ns = l.anchor0_wall;
      rc = weft__agree(comm, local);
    }

  } else {
    rc = open_log(w);
    l.size = (uint32_t)w->size;
  }
  if (rc == WEFT_OK)
    rc = check_ranks(w, ranks, nranks, &l);
  if (rc == WEFT_OK)
    rc = settle_world(w, ranks, nranks, create, &l);
  if (rc == WEFT_OK)
    rc = write_epoch(w, ranks, nranks, create, &l, res);
  char why[WEFT__ERRMSG_MAX] = "";
  if (rc < 0)
    strncpy(why, weft__errmsg_detail(), sizeof why - 1);
  if (w->file >= 0) {
    /* A failed write leaves the log as its last commit wrote it: HDF5's
     * metadata for the failed epoch goes to a scratch file, not to a disk
     * that may fail it again (HDF5 would crash in MPI_Finalize). */
    w->flush_failed = rc < 0;
    int crc = weft__file_close(w, 0);
    if (rc == WEFT_OK)
      rc = crc;
    else
      weft__error(rc, "%s", why);
  }
  weft__h5_quiet_end(&q);
  for (int d = 0; d < WEFT_D_COUNT; d++)
    weft__bytes_free(&w->stage[d]);
  log_free(&l);
  free(w);
  return rc;
}
