/*
 * check_pmpi.c - checks the log libweft-pmpi wrote for pmpi_workload
 * against the truth files the workload wrote itself.
 *
 *   check_pmpi LOG TRUTH_DIR NRANKS [collectives | flushed | crashed]
 *
 * With `flushed` (a run with WEFT_PMPI_FLUSH_EVERY) the log must also have
 * been written in several flushes.  With `crashed` (pmpi_crash.sh: the
 * workload died before MPI_Finalize, and weft recover rebuilt the log
 * from the crash journals) it must not be closed.
 * With `collectives` (a run with WEFT_MPI_TRACE=collectives) only the
 * truth's collectives and communicator calls must be in the log, and no
 * point-to-point call, MPI-IO call or receipt.
 * 1. The log is valid and closed (see `crashed`), and every rank's events
 *    belong to one task: the job-wide action "mpi_job" of rank 0,
 *    continued on the others.
 * 2. Per rank, the MPI actions and "mpi:recv" messages, in order, are
 *    exactly the calls and receipts of the truth file, with the same
 *    peers, tags, byte counts (and the other fields the truth names, start
 *    or success fields): nothing missing, nothing extra (no MPI traffic of
 *    Weft or HDF5).  An MPI_Recv naming its source and tag is its own
 *    receipt (recv_seq on the action, no message).  A truth line with the
 *    word "failed" is a call that failed: its action must have failed,
 *    and a failed call is no receipt.
 * 3. Pairing by (sender, receiver, comm, tag, sequence number) joins each
 *    receipt to the send whose message id it really received, and every
 *    send is received.
 * 4. Collectives with the same (comm, coll_seq) have the same type on
 *    every rank, and on MPI_COMM_WORLD all ranks took part.
 * Prints the first problem and exits 1; 0 when everything holds.
 */
#include "log_reader.h"

#include <mpi.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 10

typedef struct rec {
  int kind;
  int failed; /* an MPI action that ended with a failure */
  char type[48];
  uint64_t task_hi, task_lo;
  size_t level_len;
  int nf;
  char fname[MAXF][16];
  int64_t fval[MAXF];
} rec;

typedef struct recs {
  rec *r;
  size_t n, cap;
} recs;

typedef struct key {
  int64_t from, to, tag, seq;
  uint64_t comm;
  long long id;
} key;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("check_pmpi: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* Append the numeric fields of ev to r. */
static void add_fields(rec *r, const weft_event *ev) {
  for (size_t i = 0; i < ev->nfields && r->nf < MAXF; i++) {
    const weft_value *v = &ev->fields[i];
    if (v->type != WEFT_TYPE_I64 && v->type != WEFT_TYPE_U64 &&
        v->type != WEFT_TYPE_BOOL)
      continue;
    snprintf(r->fname[r->nf], sizeof r->fname[0], "%s", v->name);
    r->fval[r->nf++] = v->type == WEFT_TYPE_BOOL  ? v->v.b
                       : v->type == WEFT_TYPE_I64 ? v->v.i64
                                                  : (int64_t)v->v.u64;
  }
}

static int keep(void *arg, uint64_t stream, const weft_event *ev) {
  (void)stream;
  recs *rs = arg;
  /* Success fields (e.g. MPI_Recv's `received`) join their action's record:
   * MPI calls do not nest, so it is the last MPI action kept. */
  if (ev->kind == WEFT_KIND_SUCCESS && ev->nfields && ev->type &&
      !strncmp(ev->type, "MPI_", 4)) {
    for (size_t k = rs->n; k-- > 0;)
      if (rs->r[k].kind == WEFT_KIND_START) {
        if (!strcmp(rs->r[k].type, ev->type))
          add_fields(&rs->r[k], ev);
        break;
      }
    return 0;
  }
  if (ev->kind == WEFT_KIND_FAILURE && ev->type &&
      !strncmp(ev->type, "MPI_", 4)) {
    for (size_t k = rs->n; k-- > 0;)
      if (rs->r[k].kind == WEFT_KIND_START) {
        rs->r[k].failed = !strcmp(rs->r[k].type, ev->type);
        break;
      }
    return 0;
  }
  int mpi_action = ev->kind == WEFT_KIND_START && !strncmp(ev->type, "MPI_", 4);
  int note = ev->kind == WEFT_KIND_MESSAGE && !strcmp(ev->type, "mpi:recv");
  int job = ev->kind == WEFT_KIND_START && !strcmp(ev->type, "mpi_job");
  if (!mpi_action && !note && !job)
    return 0;
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? 2 * rs->cap : 64;
    rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    if (!rs->r)
      return WEFT_ENOMEM;
  }
  rec *r = &rs->r[rs->n++];
  memset(r, 0, sizeof *r);
  r->kind = ev->kind;
  snprintf(r->type, sizeof r->type, "%s", ev->type);
  r->task_hi = ev->task_hi;
  r->task_lo = ev->task_lo;
  r->level_len = ev->level_len;
  add_fields(r, ev);
  return 0;
}

static int field(const rec *r, const char *name, int64_t *out) {
  for (int i = 0; i < r->nf; i++)
    if (!strcmp(r->fname[i], name)) {
      *out = r->fval[i];
      return 1;
    }
  return 0;
}

/* What WEFT_MPI_TRACE=collectives records. */
static int is_collective(const char *type) {
  static const char *const names[] = {
      "MPI_Barrier",    "MPI_Bcast",     "MPI_Reduce",   "MPI_Allreduce",
      "MPI_Gather",     "MPI_Allgather", "MPI_Alltoall", "MPI_Scatter",
      "MPI_Comm_split", "MPI_Comm_dup",  "MPI_Comm_free"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(type, names[i]))
      return 1;
  return 0;
}

static int only_collectives;

/* Compare the records of one rank (mpi_job excluded) with its truth file;
 * collect sends and receipts with their message ids. */
static int compare(int rank, const recs *rs, const char *truth_dir, key *sends,
                   size_t *nsends, key *notes, size_t *nnotes) {
  char path[4096], line[512];
  snprintf(path, sizeof path, "%s/truth.%d", truth_dir, rank);
  FILE *f = fopen(path, "r");
  if (!f)
    return fail("cannot read %s", path);
  size_t at = 0;
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    while (at < rs->n && !strcmp(rs->r[at].type, "mpi_job"))
      at++;
    char *save = NULL, *type = strtok_r(line, " \n", &save);
    if (!type || (only_collectives && !is_collective(type)))
      continue;
    if (at == rs->n) {
      fclose(f);
      return fail("rank %d: truth line %d (%s) has no event in the log", rank,
                  lineno, type);
    }
    const rec *r = &rs->r[at++];
    if (strcmp(r->type, type)) {
      fclose(f);
      return fail("rank %d: truth line %d is %s, the log has %s", rank, lineno,
                  type, r->type);
    }
    long long id = -1;
    int failed = 0;
    for (char *kv = strtok_r(NULL, " \n", &save); kv;
         kv = strtok_r(NULL, " \n", &save)) {
      char *eq = strchr(kv, '=');
      failed |= !eq && !strcmp(kv, "failed");
      if (!eq)
        continue;
      *eq = '\0';
      long long want = strtoll(eq + 1, NULL, 10);
      if (!strcmp(kv, "id")) {
        id = want;
        continue;
      }
      int64_t got;
      if (!field(r, kv, &got) || got != want) {
        fclose(f);
        return fail("rank %d: truth line %d (%s): %s should be %lld, the log "
                    "has %s%lld",
                    rank, lineno, type, kv, want,
                    field(r, kv, &got) ? "" : "no such field; ",
                    (long long)(field(r, kv, &got) ? got : 0));
      }
    }
    if (r->failed != failed) {
      fclose(f);
      return fail("rank %d: truth line %d (%s) %s, the log says it %s", rank,
                  lineno, type, failed ? "failed" : "succeeded",
                  r->failed ? "failed" : "did not fail");
    }
    int64_t peer = 0, tag = 0, comm = 0, seq = 0;
    if (!failed && field(r, "send_seq", &seq) && field(r, "peer", &peer) &&
        field(r, "tag", &tag) && field(r, "comm", &comm))
      sends[(*nsends)++] = (key){rank, peer, tag, seq, (uint64_t)comm, id};
    if (!failed && field(r, "recv_seq", &seq) && field(r, "peer", &peer) &&
        field(r, "tag", &tag) && field(r, "comm", &comm))
      notes[(*nnotes)++] = (key){peer, rank, tag, seq, (uint64_t)comm, id};
  }
  fclose(f);
  while (at < rs->n && !strcmp(rs->r[at].type, "mpi_job"))
    at++;
  if (at != rs->n)
    return fail("rank %d: the log has %zu more events than the truth, the "
                "first is %s",
                rank, rs->n - at, rs->r[at].type);
  return 0;
}

static int same_key(const key *a, const key *b) {
  return a->from == b->from && a->to == b->to && a->tag == b->tag &&
         a->seq == b->seq && a->comm == b->comm;
}

static int check_pairs(const key *sends, size_t ns, const key *notes,
                       size_t nn) {
  if (ns != nn)
    return fail("%zu sends but %zu receipts", ns, nn);
  for (size_t i = 0; i < nn; i++) {
    size_t hits = 0, j_hit = 0;
    for (size_t j = 0; j < ns; j++)
      if (same_key(&notes[i], &sends[j])) {
        hits++;
        j_hit = j;
      }
    if (hits != 1)
      return fail("receipt %lld on rank %lld (from %lld, tag %lld, seq "
                  "%lld) matches %zu sends",
                  notes[i].id, (long long)notes[i].to, (long long)notes[i].from,
                  (long long)notes[i].tag, (long long)notes[i].seq, hits);
    if (sends[j_hit].id != notes[i].id)
      return fail("rank %lld received message %lld but the trace pairs it "
                  "with send %lld",
                  (long long)notes[i].to, notes[i].id, sends[j_hit].id);
  }
  return 0;
}

typedef struct coll {
  uint64_t comm, seq;
  char type[48];
  int count;
} coll;

static int check_collectives(recs *per_rank, int nranks) {
  coll *c = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (int r = 0; r < nranks && !rc; r++)
    for (size_t i = 0; i < per_rank[r].n && !rc; i++) {
      const rec *e = &per_rank[r].r[i];
      int64_t comm, seq;
      if (!field(e, "coll_seq", &seq) || !field(e, "comm", &comm))
        continue;
      size_t k = 0;
      while (k < n &&
             !(c[k].comm == (uint64_t)comm && c[k].seq == (uint64_t)seq))
        k++;
      if (k == n) {
        if (n == cap) {
          cap = cap ? 2 * cap : 32;
          c = realloc(c, cap * sizeof *c);
        }
        c[n++] = (coll){(uint64_t)comm, (uint64_t)seq, "", 0};
        snprintf(c[k].type, sizeof c[k].type, "%s", e->type);
      } else if (strcmp(c[k].type, e->type))
        rc = fail("collective %llu on comm %llu is %s on one rank and %s on "
                  "rank %d",
                  (unsigned long long)seq, (unsigned long long)comm, c[k].type,
                  e->type, r);
      c[k].count++;
    }
  for (size_t k = 0; k < n && !rc; k++)
    if (c[k].comm == 0 && c[k].count != nranks)
      rc = fail("%s (coll_seq %llu) on MPI_COMM_WORLD seen on %d ranks of %d",
                c[k].type, (unsigned long long)c[k].seq, c[k].count, nranks);
  if (!rc && n == 0)
    rc = fail("no collective in the log");
  free(c);
  return rc;
}

/* Every event of every rank belongs to rank 0's mpi_job task. */
static int check_tree(recs *per_rank, int nranks) {
  if (per_rank[0].n == 0 || strcmp(per_rank[0].r[0].type, "mpi_job"))
    return fail("rank 0's first event is not the start of mpi_job");
  const rec *job = &per_rank[0].r[0];
  for (int r = 0; r < nranks; r++) {
    if (per_rank[r].n == 0 || strcmp(per_rank[r].r[0].type, "mpi_job"))
      return fail("rank %d does not begin with mpi_job", r);
    if (r > 0 && per_rank[r].r[0].level_len != 2)
      return fail("rank %d: mpi_job does not continue rank 0's", r);
    for (size_t i = 0; i < per_rank[r].n; i++) {
      const rec *e = &per_rank[r].r[i];
      if (e->task_hi != job->task_hi || e->task_lo != job->task_lo)
        return fail("rank %d: %s is outside the job's task", r, e->type);
      if (i > 0 && e->level_len < per_rank[r].r[0].level_len + 1)
        return fail("rank %d: %s is not nested in mpi_job", r, e->type);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  only_collectives = argc == 5 && !strcmp(argv[4], "collectives");
  int flushed = argc == 5 && !strcmp(argv[4], "flushed");
  /* rebuilt by weft recover from the journals of a job that died */
  int crashed = argc == 5 && !strcmp(argv[4], "crashed");
  if (argc != 4 && !only_collectives && !flushed && !crashed) {
    fprintf(stderr, "usage: check_pmpi LOG TRUTH_DIR NRANKS "
                    "[collectives | flushed | crashed]\n");
    MPI_Finalize();
    return 2;
  }
  int nranks = atoi(argv[3]);
  lr_log log;
  int rc = lr_open(&log, argv[1]) ? fail("cannot read %s", argv[1]) : 0;
  if (!rc &&
      ((crashed ? log.closed : !log.closed) || (int)log.mpi_size != nranks))
    rc = fail("%s: closed %d, %u ranks (want %s, %d)", argv[1], log.closed,
              log.mpi_size, crashed ? "not closed" : "closed", nranks);
  /* epoch 0 is weft_mpi_init, the last one weft_mpi_finalize */
  if (!rc && flushed && log.c.epochs < 4)
    rc = fail("%s: %llu epochs, expected periodic flushes", argv[1],
              (unsigned long long)log.c.epochs);
  recs *per_rank = calloc((size_t)nranks, sizeof *per_rank);
  key *sends = calloc(4096, sizeof *sends),
      *notes = calloc(4096, sizeof *notes);
  size_t ns = 0, nn = 0;
  for (int r = 0; !rc && r < nranks; r++) {
    int e = lr_decode_rank(&log, (uint32_t)r, keep, &per_rank[r]);
    if (e)
      rc = fail("rank %d: decoding failed: %s", r, weft_errmsg());
    else
      rc = compare(r, &per_rank[r], argv[2], sends, &ns, notes, &nn);
  }
  if (!rc)
    rc = check_tree(per_rank, nranks);
  if (!rc && only_collectives && (ns || nn))
    rc =
        fail("collectives only, but %zu sends and %zu receipts traced", ns, nn);
  if (!rc && !only_collectives)
    rc = check_pairs(sends, ns, notes, nn);
  if (!rc)
    rc = check_collectives(per_rank, nranks);
  if (!rc)
    printf("check_pmpi: %d ranks, %zu messages paired, trace matches\n", nranks,
           nn);
  for (int r = 0; r < nranks; r++)
    free(per_rank[r].r);
  free(per_rank);
  free(sends);
  free(notes);
  lr_close(&log);
  MPI_Finalize();
  return rc;
}
