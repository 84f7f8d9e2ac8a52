/*
 * cmd_recover.c - `weft recover`: complete or rebuild a job's log from the
 * journals its ranks left (docs/resilience.md, docs/journal.md).
 *
 * Runs as one process (an MPI singleton: it reads every journal of the
 * directory) or as an MPI job with one process per node (each reads the
 * journals its own host wrote, e.g. on node-local storage); the processes
 * write the log together through libweft-mpi's collective writer
 * (mpi/src/recover.h), as one new epoch.
 *
 * Idempotence: before writing, each journal block records that its records
 * go to epoch E (as a flush does); once the log has committed E, a second
 * run finds nothing left.  A journal all of whose records reached the log
 * is deleted; one with a cut is kept, for inspection.
 */
#include "cmd.h"

#include "journal.h"
#include "journal_read.h"
#include "recover.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] = "weft recover [--journal DIR] LOG";
static const char summary[] =
    "Complete the log LOG of a job that did not end cleanly (killed, out of\n"
    "time, a rank that crashed or called MPI_Abort) with the events its\n"
    "ranks' journals hold and the log does not, as one new epoch; or rebuild\n"
    "LOG from the journals when it does not exist or was never committed.\n"
    "Actions that were running become unfinished.  Journals are read from\n"
    "--journal DIR, else $WEFT_JOURNAL_DIR, else LOG.journal/.  Run it as one\n"
    "process, or as an MPI job with one process per node (each reads the\n"
    "journals of its node).  A log that has everything is left untouched.";

/* MODE_REFUSED: a Weft log of a format version this weft does not read
 * (an older Weft's 1.x, or a newer one's): neither completed nor taken
 * for damaged and rebuilt, since it may hold what no journal does.
 * MODE_NOMEM: memory ran out reading the log, or two reads failed two
 * ways: nothing is known of it, so it is neither completed nor moved
 * aside. */
enum {
  MODE_APPEND,
  MODE_CREATE,
  MODE_REBUILD_DAMAGED,
  MODE_REFUSED,
  MODE_NOMEM
};

/* What rank 0 found about the log, broadcast to every process. */
typedef struct log_probe {
  int mode;
  int exists;
  uint64_t epochs;
  uint32_t size;
  int closed;          /* state closed: a flush ended the job's writing */
  int recovered;       /* an earlier weft recover appended to it */
  uint32_t version[2]; /* MODE_REFUSED: its format_version */
  char why[400];       /* why it cannot be appended to */
} log_probe;

typedef struct journal {
  char path[PATH_MAX];
  weft__journal_read jr;
  weft__recover_stream *streams;
  int used; /* given to the writer */
  /* Named by libweft-pmpi at MPI_Init, for the log of MPI_COMM_WORLD it
   * writes at MPI_Finalize, in a process whose program started libweft
   * itself (rank -1, its world rank, WEFT_FILE or no log): rebuilding
   * that log, its rank is its world rank, unless the program opened a log
   * of that name itself (judge, drop_provisional). */
  int provisional;
  char *skip; /* why it was not used (owned), or NULL */
  /* The version of a journal refused for being newer than this weft
   * reads (a newer Weft's), or 0: left untouched, for that Weft. */
  uint32_t newer;
} journal;

typedef struct ctx {
  int rank, nprocs;
  const char *log;
  char abs_log[PATH_MAX];
  char dir[PATH_MAX];
  int dir_explicit, dir_default;
  log_probe probe;
  weft__trace trace; /* open when mode is MODE_APPEND (rank table) */
  int trace_open;
  journal *js;
  size_t nj;
  /* Newer journals of every process: how many, their lowest and highest
   * version (after read_journals). */
  unsigned long long newer;
  uint32_t newer_lo, newer_hi;
} ctx;

/* After "nothing to recover" with no journal at all: a log its job left
 * open (state writing) has lost what the job logged after its last flush,
 * unless the journals are elsewhere; say so rather than let it pass for
 * complete. */
static void open_log_warning(const ctx *c) {
  if (c->rank != 0 || c->probe.closed || c->probe.recovered)
    return;
  printf("%s: but it was not closed (state writing): what the job logged "
         "after its last flush is in no journal found here; if the journals "
         "are elsewhere, give --journal DIR (a rank that logged a "
         "weft:no_journal message had none)\n",
         c->log);
}

/* p made absolute, cut to cap bytes (paths longer than PATH_MAX do not
 * name files anyway). */
static void absolute(const char *p, char *out, size_t cap) {
  char cwd[PATH_MAX];
  size_t n = 0;
  if (p[0] != '/' && getcwd(cwd, sizeof cwd)) {
    size_t c = strlen(cwd);
    n = c < cap - 1 ? c : cap - 1;
    memcpy(out, cwd, n);
    if (n < cap - 1)
      out[n++] = '/';
  }
  size_t l = strlen(p);
  if (l > cap - 1 - n)
    l = cap - 1 - n;
  memcpy(out + n, p, l);
  out[n + l] = '\0';
}

/* Same file name once directories are resolved (the log may not exist). */
static int same_log(const char *a, const char *b) {
  char da[PATH_MAX], db[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
  snprintf(da, sizeof da, "%s", a);
  snprintf(db, sizeof db, "%s", b);
  char *sa = strrchr(da, '/'), *sb = strrchr(db, '/');
  if (!sa || !sb || strcmp(sa, sb) != 0)
    return strcmp(a, b) == 0;
  *sa = *sb = '\0';
  if (realpath(da[0] ? da : "/", ra) && realpath(db[0] ? db : "/", rb))
    return strcmp(ra, rb) == 0;
  return strcmp(a, b) == 0;
}

/* Whether the file holds HDF5's signature where a superblock may start
 * (byte 0, 512, 1024, 2048, ...: the HDF5 format specification).  HDF5
 * calls a file "not an HDF5 file" as well when it could not look. */
static int has_hdf5_signature(const char *path) {
  static const unsigned char sig[8] = {0x89, 'H',  'D',  'F',
                                       '\r', '\n', 0x1a, '\n'};
  FILE *f = fopen(path, "rb");
  int found = 0;
  for (long at = 0; f && !found && at < (1L << 30); at = at ? 2 * at : 512) {
    unsigned char b[8];
    if (fseek(f, at, SEEK_SET) != 0 || fread(b, 1, 8, f) != 8)
      break;
    found = !memcmp(b, sig, 8);
  }
  if (f)
    fclose(f);
  return found;
}

static void probe_log(ctx *c) {
  log_probe *p = &c->probe;
  memset(p, 0, sizeof *p);
  struct stat st;
  if (stat(c->log, &st) != 0) {
    p->mode = MODE_CREATE;
    snprintf(p->why, sizeof p->why, "it does not exist");
    return;
  }
  if (S_ISREG(st.st_mode) && st.st_size == 0) {
    /* The empty file that held a default name for a job killed before
     * its log was written (libweft-pmpi): nothing in it to keep. */
    p->mode = MODE_CREATE;
    snprintf(p->why, sizeof p->why, "it is empty");
    return;
  }
  p->exists = 1;
  char err[300], again[300];
  int rc = weft__trace_open(&c->trace, c->log, err, sizeof err);
  /* A log about to be moved aside as damaged is read once more: a failure
   * that memory running out caused without HDF5 saying so (some of its
   * allocation failures read as an object not found) does not come back
   * the same at the same place, damage does. */
  if (rc == -1) {
    int rc2 = weft__trace_open(&c->trace, c->log, again, sizeof again);
    if (rc2 == -1 && strcmp(again, err)) {
      p->mode = MODE_NOMEM;
      snprintf(p->why, sizeof p->why,
               "read twice, it failed two ways (%.150s; then %.150s): memory "
               "running out, or a file still being written",
               err, again);
      return;
    }
    if (rc2 != -1) {
      rc = rc2;
      snprintf(err, sizeof err, "%s", again);
    } else {
      const char *odd =
          !weft__hdf5_works() ? "HDF5 can no longer make a small file in memory"
          : !strcmp(err, "not an HDF5 file") && has_hdf5_signature(c->log)
              ? "yet the file holds HDF5's signature"
              : NULL;
      if (odd) {
        p->mode = MODE_NOMEM;
        snprintf(p->why, sizeof p->why,
                 "%.200s, %s: HDF5 ran out of memory without saying so", err,
                 odd);
        return;
      }
    }
  }
  if (rc == WEFT__TRACE_ENOMEM) {
    p->mode = MODE_NOMEM;
    snprintf(p->why, sizeof p->why, "%s", err);
    return;
  }
  if (rc == WEFT__TRACE_EVERSION) {
    p->mode = MODE_REFUSED;
    p->version[0] = c->trace.version[0];
    p->version[1] = c->trace.version[1];
    snprintf(p->why, sizeof p->why, "%s", err);
    return;
  }
  if (rc == 0) {
    p->mode = MODE_APPEND;
    p->epochs = c->trace.c.epochs;
    p->size = c->trace.mpi_size;
    p->closed = c->trace.closed;
    p->recovered = c->trace.recovered > 0;
    weft__trace_close(&c->trace);
    return;
  }
  p->mode = MODE_REBUILD_DAMAGED;
  snprintf(p->why, sizeof p->why, "%s", err);
}

static int journal_name(const char *n) {
  size_t len = strlen(n);
  return len > 3 && strcmp(n + len - 3, ".wj") == 0;
}

static void skip(journal *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void skip(journal *j, const char *fmt, ...) {
  char buf[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(j->skip);
  j->skip = strdup(buf);
}

/* 1 when process pid of this host is alive (not a zombie).  A job's
 * processes may still be going away when its launcher returns (killed
 * ranks), so give them a few seconds. */
static int running(pid_t pid) {
  if (pid <= 0)
    return 0;
  for (int tries = 0; tries < 100; tries++) {
    if (kill(pid, 0) != 0 && errno != EPERM)
      return 0;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
      fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* "pid (comm) S ..." */
    if (paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'))
      return 0;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return 1;
}

/* Decide whether journal j belongs to the log; fill its streams. */
static int judge(ctx *c, journal *j) {
  weft__journal_header *h = &j->jr.h;
  uint32_t wsize, world = weft__journal_read_world(&j->jr, &wsize);
  if (h->rank < 0 && world == UINT32_MAX) {
    skip(j, "its process never reached weft_mpi_init (no rank)");
    return 0;
  }
  j->provisional = h->rank < 0;
  char host[128] = "";
  gethostname(host, sizeof host - 1);
  if (strncmp(h->host, host, sizeof h->host) == 0 && running((pid_t)h->pid)) {
    /* Appending what a live process will flush itself would duplicate it
     * (or the pid was reused: then run again when it is gone). */
    skip(j, "its process (pid %lld) is still running", (long long)h->pid);
    return 0;
  }
  if (h->log[0] && !same_log(h->log, c->abs_log)) {
    skip(j, "it belongs to another log, %s", h->log);
    return 0;
  }
  if (j->provisional && c->probe.mode == MODE_APPEND) {
    /* The log was made since, by a weft_mpi_init that named the journals
     * of its ranks: this one is of a process outside it, or of a libweft
     * the process shut down before (whose names and schemas are not the
     * log's: its records must not go in under them). */
    skip(j,
         "named only provisionally for this log at MPI_Init (world rank "
         "%u), and the log was made without naming it",
         world);
    return 0;
  }
  if (j->provisional)
    h->rank = (int32_t)world;
  if (c->probe.mode == MODE_APPEND) {
    if ((uint32_t)h->rank >= c->trace.mpi_size) {
      skip(j, "rank %d is beyond the log's %u ranks", h->rank,
           c->trace.mpi_size);
      return 0;
    }
    const weft__rank_row *r = &c->trace.ranks[h->rank];
    if ((int64_t)r->pid != h->pid || strncmp(r->host, h->host, 64) != 0) {
      skip(j,
           "it is from another run: rank %d was pid %u on %s in the log, "
           "pid %lld on %s here",
           h->rank, r->pid, r->host, (long long)h->pid, h->host);
      return 0;
    }
    if (world != UINT32_MAX && r->world_rank != WEFT__WORLD_UNKNOWN &&
        (world != r->world_rank || wsize != r->world_size)) {
      skip(j,
           "it is from another run: rank %d was world rank %u of %u in the "
           "log, %u of %u here",
           h->rank, r->world_rank, r->world_size, world, wsize);
      return 0;
    }
  }
  j->streams = calloc(j->jr.nstreams ? j->jr.nstreams : 1, sizeof *j->streams);
  if (!j->streams)
    return -1;
  for (size_t i = 0; i < j->jr.nstreams; i++)
    j->streams[i] = (weft__recover_stream){
        j->jr.streams[i].thread, j->jr.streams[i].data, j->jr.streams[i].len};
  j->used = 1;
  return 0;
}

/* List and read the journals this process is responsible for. */
static int read_journals(ctx *c) {
  DIR *d = opendir(c->dir);
  if (!d)
    return 0; /* checked by the caller */
  char host[128] = "";
  gethostname(host, sizeof host - 1);
  /* Rebuilding: records that went to a log that is gone count as not in
   * it (the blocks still holding them have not been recycled). */
  weft__jr_want want = {c->probe.mode == MODE_APPEND ? c->probe.epochs : 0,
                        c->probe.mode != MODE_APPEND};
  /* Tests only (one host): process p takes the journals of ranks with
   * rank % processes == p, as if each rank's node were another host. */
  const char *split = getenv("WEFT_TEST_RECOVER_SPLIT");
  int by_rank = split && strcmp(split, "1") == 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!journal_name(e->d_name))
      continue;
    journal *nj = realloc(c->js, (c->nj + 1) * sizeof *nj);
    if (!nj) {
      closedir(d);
      return -1;
    }
    c->js = nj;
    journal *j = &c->js[c->nj];
    memset(j, 0, sizeof *j);
    if (strlen(c->dir) + strlen(e->d_name) + 2 > sizeof j->path)
      continue; /* cannot be named */
    snprintf(j->path, sizeof j->path, "%.2048s/%.1024s", c->dir, e->d_name);
    int rc = weft__journal_read_file(&j->jr, j->path, want);
    if (rc < 0) {
      /* Unreadable: its name (<host>.<pid>.wj) says whose it is. */
      size_t hl = strlen(host);
      if (c->nprocs > 1 &&
          (by_rank ? c->rank != 0
                   : strncmp(e->d_name, host, hl) != 0 || e->d_name[hl] != '.'))
        continue;
      c->nj++;
      uint32_t v = rc == WEFT_ENOTSUP ? j->jr.h.version : 0;
      if (v > WEFT__JOURNAL_VERSION) {
        /* Neither damaged nor from another run: a newer Weft's, whose
         * weft recover can still add its events. */
        j->newer = v;
        skip(j, "journal version %u, written by a newer Weft: left for it", v);
      } else {
        skip(j, "unreadable: %s", weft_errmsg());
      }
      continue;
    }
    /* In an MPI job, each process takes the journals of its own host. */
    int32_t as = j->jr.h.rank; /* a provisional journal: its world rank */
    uint32_t wsize, world = weft__journal_read_world(&j->jr, &wsize);
    if (as < 0 && world != UINT32_MAX)
      as = (int32_t)world;
    if (c->nprocs > 1 && (by_rank ? as < 0 || as % c->nprocs != c->rank
                                  : strncmp(j->jr.h.host, host, 64) != 0)) {
      weft__journal_read_free(&j->jr);
      continue;
    }
    c->nj++;
    if (judge(c, j) < 0) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  return 0;
}

/* Collective.  Rebuilding, a log some journal names with a rank of its
 * own is not (only) the log of MPI_COMM_WORLD that libweft-pmpi named
 * the provisional journals for: a weft_mpi_init of the application's made
 * it (WEFT_FILE, a provisional journal's log, may go to a log of a
 * sub-communicator, and a provisional journal without a log goes with
 * any), or libweft-pmpi's MPI_Finalize named the journals anew when it
 * opened the log, or another run left them.  The provisional journals are
 * then of processes the log may not have had, or of a libweft that
 * process replaced, and their world ranks are not its ranks.  (Appending,
 * judge skips them all.) */
static void drop_provisional(ctx *c) {
  int named = 0, any = 0;
  for (size_t i = 0; i < c->nj; i++)
    named |= c->js[i].used && !c->js[i].provisional;
  MPI_Allreduce(&named, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!any || c->probe.mode == MODE_APPEND)
    return;
  for (size_t i = 0; i < c->nj; i++) {
    journal *j = &c->js[i];
    if (!j->used || !j->provisional)
      continue;
    j->used = 0;
    skip(j,
         "named only provisionally for this log at MPI_Init (world rank "
         "%d), and other journals name their ranks in it",
         j->jr.h.rank);
  }
}

/* Collective.  Rebuilding, the provisional journals that remain are of
 * libweft-pmpi's log of MPI_COMM_WORLD, but of which run: a killed run
 * and a later one with the same WEFT_FILE leave theirs in one directory.
 * The newest journal's run is taken: those of another Slurm job or
 * another world size are skipped (left for a log of their own), not
 * mixed into one log rank by rank.  (Runs with the same job and world
 * size are told apart by drop_duplicates, newest per rank.) */
static void drop_other_runs(ctx *c) {
  if (c->probe.mode == MODE_APPEND)
    return;
  struct {
    long t;
    int rank;
  } mine = {LONG_MIN, c->rank}, top;
  struct {
    char job[64];
    uint32_t size;
  } key = {"", 0};
  for (size_t i = 0; i < c->nj; i++) {
    const journal *j = &c->js[i];
    if (j->used && j->provisional && j->jr.h.created_wall_ns > mine.t) {
      mine.t = (long)j->jr.h.created_wall_ns;
      memcpy(key.job, j->jr.h.job, sizeof key.job);
      weft__journal_read_world(&j->jr, &key.size);
    }
  }
  MPI_Allreduce(&mine, &top, 1, MPI_LONG_INT, MPI_MAXLOC, MPI_COMM_WORLD);
  if (top.t == LONG_MIN)
    return; /* none anywhere */
  MPI_Bcast(&key, (int)sizeof key, MPI_BYTE, top.rank, MPI_COMM_WORLD);
  for (size_t i = 0; i < c->nj; i++) {
    journal *j = &c->js[i];
    uint32_t size;
    weft__journal_read_world(&j->jr, &size);
    if (!j->used || !j->provisional ||
        (!strncmp(j->jr.h.job, key.job, sizeof key.job) && size == key.size))
      continue;
    j->used = 0;
    skip(j,
         "of another run (job \"%.64s\", world size %u) than the newest "
         "journal named only provisionally for this log (job \"%.64s\", "
         "world size %u): left in place (in a directory of its own, it "
         "rebuilds its run's log)",
         j->jr.h.job, size, key.job, key.size);
  }
}

/* Two journals of one rank (a leftover of an earlier run in a shared
 * directory): keep the newer. */
static void drop_duplicates(ctx *c) {
  for (size_t a = 0; a < c->nj; a++)
    for (size_t b = 0; b < c->nj; b++)
      if (a != b && c->js[a].used && c->js[b].used &&
          c->js[a].jr.h.rank == c->js[b].jr.h.rank &&
          c->js[a].jr.h.created_wall_ns < c->js[b].jr.h.created_wall_ns) {
        c->js[a].used = 0;
        skip(&c->js[a], "rank %d has a newer journal, %s", c->js[a].jr.h.rank,
             c->js[b].path);
      }
}

static void print_journal(const ctx *c, const journal *j) {
  const weft__journal_read *r = &j->jr;
  if (j->skip) {
    printf("%s: skipped: %s\n", j->path, j->skip);
    return;
  }
  size_t open = 0;
  for (size_t i = 0; i < r->nstreams; i++)
    open += r->streams[i].open;
  uint32_t wsize, world = weft__journal_read_world(r, &wsize);
  char wtext[48] = "";
  if (world != UINT32_MAX)
    snprintf(wtext, sizeof wtext, "world rank %u of %u, ", world, wsize);
  printf("%s: rank %d (%spid %lld on %s): %llu records not in the log, "
         "%zu thread%s, %zu action%s left open\n",
         j->path, r->h.rank, wtext, (long long)r->h.pid, r->h.host,
         (unsigned long long)r->records, r->nstreams,
         r->nstreams == 1 ? "" : "s", open, open == 1 ? "" : "s");
  for (size_t i = 0; i < r->ncuts; i++) {
    const weft__jr_cut *k = &r->cuts[i];
    if (k->thread < 0)
      printf("  cut: %s\n", k->why);
    else
      printf("  cut: thread %lld, block %llu (slot %llu) at data byte %llu, "
             "%llu bytes dropped: %s\n",
             (long long)k->thread, (unsigned long long)k->seq,
             (unsigned long long)k->slot, (unsigned long long)k->offset,
             (unsigned long long)k->bytes, k->why);
  }
  (void)c;
}

/* Remove the journals whose records are all in the log now. */
static void remove_done(ctx *c) {
  for (size_t i = 0; i < c->nj; i++) {
    journal *j = &c->js[i];
    if (!j->used || j->jr.ncuts)
      continue;
    char dpath[PATH_MAX + 2];
    snprintf(dpath, sizeof dpath, "%sd", j->path);
    if (unlink(j->path) == 0)
      unlink(dpath);
  }
  if (c->dir_default)
    rmdir(c->dir); /* only when empty */
}

/* Count the newer journals of every process (collective). */
static void gather_newer(ctx *c) {
  unsigned long long n = 0;
  unsigned lo = UINT32_MAX, hi = 0;
  for (size_t i = 0; i < c->nj; i++)
    if (c->js[i].newer) {
      n++;
      lo = c->js[i].newer < lo ? c->js[i].newer : lo;
      hi = c->js[i].newer > hi ? c->js[i].newer : hi;
    }
  MPI_Allreduce(&n, &c->newer, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM,
                MPI_COMM_WORLD);
  unsigned v[2] = {lo, hi}, lo_all, hi_all;
  MPI_Allreduce(&v[0], &lo_all, 1, MPI_UNSIGNED, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&v[1], &hi_all, 1, MPI_UNSIGNED, MPI_MAX, MPI_COMM_WORLD);
  c->newer_lo = lo_all;
  c->newer_hi = hi_all;
}

/* Once, on rank 0, one line: the journals a newer Weft wrote are left
 * untouched; the run then ends with status 2 (their events are not in the
 * log).  not_made: nor is a log made without them (its why). */
static void say_newer(const ctx *c, const char *not_made) {
  if (c->rank != 0 || !c->newer)
    return;
  char v[32];
  if (c->newer_lo == c->newer_hi)
    snprintf(v, sizeof v, "version %u", c->newer_lo);
  else
    snprintf(v, sizeof v, "versions %u to %u", c->newer_lo, c->newer_hi);
  fprintf(stderr,
          "weft: %s: %llu journal%s in %s %s of journal %s, written by a "
          "newer Weft (this weft reads versions 1 to %u): %s left untouched, "
          "for the weft recover of the Weft that wrote %s%s%s%s\n",
          c->log, c->newer, c->newer == 1 ? "" : "s", c->dir,
          c->newer == 1 ? "is" : "are", v, WEFT__JOURNAL_VERSION,
          c->newer == 1 ? "it is" : "they are", c->newer == 1 ? "it" : "them",
          not_made ? "; the log (" : "", not_made ? not_made : "",
          not_made ? ") is not made without them: it could not take their "
                     "events later"
                   : "");
}

static int bcast_probe(ctx *c) {
  return MPI_Bcast(&c->probe, (int)sizeof c->probe, MPI_BYTE, 0,
                   MPI_COMM_WORLD) == MPI_SUCCESS
             ? 0
             : -1;
}

static int run(ctx *c) {
  if (c->rank == 0)
    probe_log(c);
  if (bcast_probe(c))
    return 1;
  if (c->probe.mode == MODE_REFUSED) {
    /* Before any journal is read or marked: the log and the journals
     * stay as they are, for the Weft that wrote them. */
    if (c->rank == 0)
      fprintf(stderr,
              "weft: %s: a Weft log of format %u.%u, written by %s Weft: "
              "not recovered by this weft (it writes format %u.x); the log "
              "and its journals are left untouched\n",
              c->log, c->probe.version[0], c->probe.version[1],
              c->probe.version[0] < WEFT__FORMAT_MAJOR ? "an older" : "a newer",
              WEFT__FORMAT_MAJOR);
    return 2;
  }
  if (c->probe.mode == MODE_NOMEM) {
    if (c->rank == 0)
      fprintf(stderr,
              "weft: %s: %s; not recovered: the log and its journals are "
              "left untouched\n",
              c->log, c->probe.why);
    return 1;
  }
  if (c->probe.mode == MODE_APPEND) {
    char err[300];
    /* 1: memory ran out here; 2: the log is not readable here. */
    int bad = 0, any_bad = 0;
    int rc = weft__trace_open(&c->trace, c->log, err, sizeof err);
    if (rc) {
      bad = rc == WEFT__TRACE_ENOMEM ? 1 : 2;
      fprintf(stderr, "weft: %s: %s%s\n", c->log, err,
              bad == 1 ? "; not recovered: the log and its journals are left "
                         "untouched"
                       : "");
    }
    c->trace_open = !bad;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad)
      return any_bad;
  }
  struct stat st;
  int have_dir = stat(c->dir, &st) == 0 && S_ISDIR(st.st_mode);
  int all_dir = 0;
  MPI_Allreduce(&have_dir, &all_dir, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!all_dir) {
    if (c->probe.mode == MODE_APPEND && !c->dir_explicit) {
      if (c->rank == 0)
        printf("%s: nothing to recover: no journal directory %s (the job "
               "ended cleanly, or was recovered already)\n",
               c->log, c->dir);
      open_log_warning(c);
      return 0;
    }
    if (c->rank == 0 && c->probe.mode == MODE_APPEND)
      fprintf(stderr, "weft: %s: no such journal directory\n", c->dir);
    else if (c->rank == 0)
      fprintf(stderr,
              "weft: %s: no such journal directory (and the log %s: %s)\n",
              c->dir, c->log, c->probe.why);
    return 2;
  }
  if (read_journals(c) < 0) {
    fprintf(stderr, "weft: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  drop_provisional(c);
  drop_other_runs(c);
  drop_duplicates(c);
  unsigned long long mine[2] = {0, 0}, tot[2];
  size_t nranks = 0;
  for (size_t i = 0; i < c->nj; i++)
    if (c->js[i].used) {
      mine[0] += c->js[i].jr.records;
      mine[1]++;
      nranks++;
    }
  MPI_Allreduce(mine, tot, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  gather_newer(c);
  for (int p = 0; p < c->nprocs; p++) { /* reports in process order */
    if (p == c->rank)
      for (size_t i = 0; i < c->nj; i++)
        print_journal(c, &c->js[i]);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (c->newer && c->probe.mode != MODE_APPEND) {
    /* A log made now would lack the ranks of the newer journals, which
     * could then never be added to it: nothing is written or marked. */
    say_newer(c, c->probe.why);
    return 2;
  }
  if (tot[0] == 0) {
    if (c->newer) {
      /* Appending (the other modes stopped above).  Not "nothing to
       * recover": the newer journals may hold what the log does not. */
      if (c->rank == 0 && tot[1])
        printf("%s: the %llu journal%s this weft reads hold no event the "
               "log does not; the log is unchanged\n",
               c->log, tot[1], tot[1] == 1 ? "" : "s");
      remove_done(c);
      say_newer(c, NULL);
      return 2;
    }
    if (c->probe.mode == MODE_APPEND) {
      if (c->rank == 0)
        printf("%s: nothing to recover: its %llu epochs hold every event of "
               "the %llu journal%s found; the log is unchanged\n",
               c->log, (unsigned long long)c->probe.epochs, tot[1],
               tot[1] == 1 ? "" : "s");
      if (tot[1] == 0)
        open_log_warning(c);
      remove_done(c);
      return 0;
    }
    if (c->rank == 0)
      fprintf(stderr,
              "weft: %s: cannot rebuild it (%s): no journal in %s "
              "holds events for it\n",
              c->log, c->probe.why, c->dir);
    return 2;
  }

  weft__recover_rank *rr = calloc(nranks ? nranks : 1, sizeof *rr);
  if (!rr) {
    fprintf(stderr, "weft: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  size_t k = 0;
  uint64_t epoch = c->probe.mode == MODE_APPEND ? c->probe.epochs : 0;
  int local = 0;
  for (size_t i = 0; i < c->nj; i++) {
    journal *j = &c->js[i];
    if (!j->used)
      continue;
    weft__recover_rank *r = &rr[k++];
    r->rank = (uint32_t)j->jr.h.rank;
    r->dict = weft__journal_read_dict(&j->jr);
    r->nnames = j->jr.nnames;
    r->nschemas = j->jr.nschemas;
    r->streams = j->streams;
    r->nstreams = j->jr.nstreams;
    memcpy(r->host, j->jr.h.host, sizeof r->host);
    memcpy(r->job, j->jr.h.job, sizeof r->job);
    r->pid = j->jr.h.pid;
    r->anchor_mono_ns = j->jr.h.anchor_mono_ns;
    r->anchor_wall_ns = j->jr.h.anchor_wall_ns;
    r->created_wall_ns = j->jr.h.created_wall_ns;
    r->world_rank = weft__journal_read_world(&j->jr, &r->world_size);
    /* Say first where these records go, so that a run interrupted after
     * the commit does not add them twice. */
    if (weft__journal_mark_taken(j->path, &j->jr, epoch) < 0 && !local) {
      fprintf(stderr, "weft: %s\n", weft_errmsg());
      local = 1;
    }
  }
  int any = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any) {
    free(rr);
    return 1;
  }
  char aside[PATH_MAX + 16];
  int moved = 0;
  if (c->probe.mode == MODE_REBUILD_DAMAGED && c->rank == 0) {
    /* Never over an earlier LOG.damaged: it may hold what nothing else
     * does. */
    struct stat st;
    for (int k = 0; k < 1000; k++) {
      if (k == 0)
        snprintf(aside, sizeof aside, "%s.damaged", c->log);
      else
        snprintf(aside, sizeof aside, "%s.damaged.%d", c->log, k);
      if (lstat(aside, &st) != 0)
        break;
    }
    if (rename(c->log, aside) == 0) {
      moved = 1;
      printf("%s: cannot be completed (%s): moved to %s, rebuilding it from "
             "the journals alone (what its flushes held and the journals no "
             "longer do is lost)\n",
             c->log, c->probe.why, aside);
    } else {
      fprintf(stderr,
              "weft: %s: cannot be completed (%s), and cannot be moved aside "
              "to %s to rebuild it: %s\n",
              c->log, c->probe.why, aside, strerror(errno));
    }
  }
  /* A damaged log that could not be moved aside is not written over. */
  int stuck = c->probe.mode == MODE_REBUILD_DAMAGED && c->rank == 0 && !moved;
  MPI_Bcast(&stuck, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (stuck) {
    free(rr);
    return 1;
  }
  weft__recover_result res;
  int rc = weft__recover_write(MPI_COMM_WORLD, c->log,
                               c->probe.mode != MODE_APPEND, rr, nranks, &res);
  free(rr);
  if (rc < 0) {
    if (c->rank == 0) {
      fprintf(stderr, "weft: %s: recovery failed: %s\n", c->log, weft_errmsg());
      /* A log made here goes, and a damaged one comes back: a failed run
       * leaves things as they were, to be run again. */
      if (c->probe.mode == MODE_CREATE || moved)
        unlink(c->log);
      if (moved && rename(aside, c->log) == 0)
        fprintf(stderr, "weft: %s: put back as it was\n", c->log);
    }
    return rc == WEFT_EINVAL ? 2 : 1;
  }
  remove_done(c);
  if (c->rank == 0)
    printf("%s: %s: %llu records of %u rank%s from %llu journal%s written as "
           "epoch %llu (%llu action rows); the log has %u ranks\n",
           c->log, c->probe.mode == MODE_APPEND ? "completed" : "rebuilt",
           (unsigned long long)res.events, res.ranks, res.ranks == 1 ? "" : "s",
           tot[1], tot[1] == 1 ? "" : "s", (unsigned long long)res.epoch,
           (unsigned long long)res.actions, res.mpi_size);
  if (c->rank == 0 && res.world_unknown)
    printf("%s: %u rank%s not given the world rank %s journal%s named: "
           "it clashed with another rank's, or with the world size of the "
           "log or of the other journals (while other ranks know theirs, "
           "the tools pair none of such a rank's messages, "
           "docs/causality.md)\n",
           c->log, res.world_unknown, res.world_unknown == 1 ? "" : "s",
           res.world_unknown == 1 ? "its" : "their",
           res.world_unknown == 1 ? "" : "s");
  if (c->rank == 0 && res.unsettled)
    printf("%s: %llu action%s begun before the log's last commit left as "
           "the log had %s: their rows could not be told apart (same rank, "
           "type and start)\n",
           c->log, (unsigned long long)res.unsettled,
           res.unsettled == 1 ? "" : "s", res.unsettled == 1 ? "it" : "them");
  /* Recovered, but not whole: the newer journals' events are not in. */
  say_newer(c, NULL);
  return c->newer ? 2 : 0;
}

int cmd_recover(int argc, char **argv) {
  const char *dir = NULL;
  weft__opt opts[] = {
      {"journal", 'j', WEFT__OPT_STR, &dir, 0, 0, "DIR",
       "directory of the journals (default $WEFT_JOURNAL_DIR, else "
       "LOG.journal)"},
      {0, 0, WEFT__OPT_END, 0, 0, 0, 0, 0},
  };
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc)
    return rc == 1 ? 0 : 2;
  if (npos != 1) {
    fprintf(stderr, "weft recover: expected one log file (usage: %s)\n", usage);
    return 2;
  }
  ctx c;
  memset(&c, 0, sizeof c);
  c.log = argv[1];
  absolute(c.log, c.abs_log, sizeof c.abs_log);
  const char *env = getenv("WEFT_JOURNAL_DIR");
  if (dir) {
    c.dir_explicit = 1;
    snprintf(c.dir, sizeof c.dir, "%s", dir);
  } else if (env && *env) {
    snprintf(c.dir, sizeof c.dir, "%s", env);
  } else {
    c.dir_default = 1;
    snprintf(c.dir, sizeof c.dir, "%s.journal", c.log);
  }
  /* Everything that can be checked before MPI starts. */
  struct stat st;
  if (stat(c.log, &st) == 0 && !S_ISREG(st.st_mode)) {
    fprintf(stderr, "weft: %s: not a regular file\n", c.log);
    return 2;
  }
  if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    fprintf(stderr, "weft recover: MPI_Init failed\n");
    return 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c.nprocs);
  rc = run(&c);
  if (c.trace_open)
    weft__trace_close(&c.trace);
  for (size_t i = 0; i < c.nj; i++) {
    weft__journal_read_free(&c.js[i].jr);
    free(c.js[i].streams);
    free(c.js[i].skip);
  }
  free(c.js);
  /* Every process returns the worst status. */
  int worst = rc;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  fflush(stdout);
  MPI_Finalize();
  return worst;
}
