/*
 * test_recover_world.c - world ranks in a log that `weft recover` rebuilt
 * from crash journals (docs/resilience.md, docs/journal.md).
 *
 *   test_recover_world run LOG ORDER [DROP]   (under mpiexec)
 *   test_recover_world check LOG NP WORLD     (one process)
 *   test_recover_world retag DIR RANK WORLD   (one process)
 *
 * run: the ranks of MPI_COMM_WORLD split into a communicator in ORDER
 * (`reversed`: log rank = size - 1 - world rank; `identity`), write LOG
 * on it (its journals in LOG.journal/), each log a message
 * "test:whoami" {world: its world rank}, and die by SIGKILL without
 * finalizing: the log holds epoch 0, the journals the rest.  The rank
 * whose log rank is DROP deletes its journal first (recover_world.sh
 * mixes the journals of two runs that way).
 *
 * check: LOG (recovered) must have NP ranks, every rank's whoami message,
 * and /ranks rows that follow docs/format.md: a known world rank is below
 * the row's world size, the rows that know one share that size, and no
 * world rank is held twice.  WORLD `whoami`: every row holds the world
 * rank its message names, and the world size NP (so a reversed run is
 * told from log rank = world rank); WORLD `unknown`: every row says
 * unknown (the journals clashed); WORLD `reversed`: row r holds world
 * rank NP - 1 - r of NP, whether or not r's message was recovered.
 *
 * retag: the journal in DIR of log rank RANK now says world rank WORLD
 * (its header checksum made anew), as a journal of another run would.
 */
#include "../check.h"
#include "journal.h"
#include "log_reader.h"
#include "weft_int.h"
#include "weft_mpi.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run(const char *log, const char *order, int drop) {
  int world, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int key = strcmp(order, "reversed") == 0 ? size - 1 - world : world;
  MPI_Comm comm;
  MPI_Comm_split(MPI_COMM_WORLD, 0, key, &comm);
  int rc = weft_mpi_init(comm, log);
  CHECK(rc == WEFT_OK, "weft_mpi_init: %s", weft_errmsg());
  int rank;
  MPI_Comm_rank(comm, &rank);
  CHECK(rank == key, "log rank %d, expected %d", rank, key);
  weft_field f = WEFT_I64("world", world);
  CHECK(weft_message_log("test:whoami", &f, 1) == WEFT_OK, "message: %s",
        weft_errmsg());
  if (rank == drop) {
    /* A journal of this run that must not be recovered. */
    const char *j = weft__journal_path();
    char d[4096];
    CHECK(j != NULL, "no journal");
    if (j) {
      snprintf(d, sizeof d, "%sd", j);
      CHECK(unlink(j) == 0 && unlink(d) == 0, "cannot delete %s", j);
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  fflush(stdout);
  fflush(stderr);
  if (failures)
    _exit(1);
  raise(SIGKILL); /* a crash: no finalize, no last flush */
  return 1;
}

typedef struct whoami {
  int64_t world;
  int found;
} whoami;

static int on_event(void *arg, uint64_t stream, const weft_event *ev) {
  (void)stream;
  whoami *w = arg;
  if (ev->kind == WEFT_KIND_MESSAGE && strcmp(ev->type, "test:whoami") == 0) {
    const weft_value *v = weft_event_field(ev, "world");
    if (v) {
      w->world = v->v.i64;
      w->found++;
    }
  }
  return 0;
}

static int check(const char *path, int np, const char *world) {
  lr_log log;
  if (lr_open(&log, path) != 0) {
    CHECK(0, "cannot read %s", path);
    return 1;
  }
  CHECK(log.mpi_size == (uint32_t)np, "%s: %u ranks, expected %d", path,
        log.mpi_size, np);
  uint32_t size = 0;
  unsigned char *held = calloc((size_t)np + 1, 1);
  int moved = 0;
  for (uint32_t r = 0; r < log.mpi_size; r++) {
    const lr_rank *row = &log.ranks[r];
    whoami w = {-1, 0};
    CHECK(lr_decode_rank(&log, r, on_event, &w) == 0, "decode rank %u: %s", r,
          weft_errmsg());
    CHECK(w.found == 1 || strcmp(world, "reversed") == 0,
          "rank %u: %d whoami messages", r, w.found);
    printf("rank %u: world rank %u of %u in /ranks, %lld in its message\n", r,
           row->world_rank, row->world_size, (long long)w.world);
    /* The readers' rules (format.md, /ranks). */
    if (row->world_rank != UINT32_MAX) {
      CHECK(row->world_rank < row->world_size, "rank %u: world rank %u of %u",
            r, row->world_rank, row->world_size);
      CHECK(!size || row->world_size == size, "rank %u: a world of %u, not %u",
            r, row->world_size, size);
      size = row->world_size;
      if (row->world_rank <= (uint32_t)np) {
        CHECK(!held[row->world_rank], "world rank %u held twice",
              row->world_rank);
        held[row->world_rank] = 1;
      }
    }
    if (strcmp(world, "whoami") == 0) {
      CHECK(w.found == 1 && row->world_rank == (uint64_t)w.world &&
                row->world_size == (uint32_t)np,
            "rank %u: world rank %u of %u in /ranks, %lld of %d in fact", r,
            row->world_rank, row->world_size, (long long)w.world, np);
      moved |= w.world != (int64_t)r;
    } else if (strcmp(world, "reversed") == 0) {
      CHECK(row->world_rank == (uint32_t)np - 1 - r &&
                row->world_size == (uint32_t)np,
            "rank %u: world rank %u of %u, expected %u of %d", r,
            row->world_rank, row->world_size, np - 1 - r, np);
    } else {
      CHECK(row->world_rank == UINT32_MAX && row->world_size == 0,
            "rank %u: world rank %u of %u, expected unknown", r,
            row->world_rank, row->world_size);
    }
  }
  if (strcmp(world, "whoami") == 0 && np > 1)
    CHECK(moved, "no rank's world rank differs from its log rank");
  free(held);
  lr_close(&log);
  return failures ? 1 : 0;
}

static int retag(const char *dir, int rank, int world) {
  DIR *d = opendir(dir);
  int done = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".wj") != 0)
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDWR);
    weft__journal_header h;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        h.rank != rank) {
      if (fd >= 0)
        close(fd);
      continue;
    }
    h.world_rank = world;
    weft__journal_header_seal(&h);
    CHECK(pwrite(fd, &h, sizeof h, 0) == (ssize_t)sizeof h, "write %s", path);
    close(fd);
    done++;
  }
  if (d)
    closedir(d);
  CHECK(done == 1, "%d journals of rank %d in %s", done, rank, dir);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rc = 2;
  if (argc >= 4 && strcmp(argv[1], "run") == 0)
    rc = run(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : -1);
  else if (argc == 5 && strcmp(argv[1], "check") == 0)
    rc = check(argv[2], atoi(argv[3]), argv[4]);
  else if (argc == 5 && strcmp(argv[1], "retag") == 0)
    rc = retag(argv[2], atoi(argv[3]), atoi(argv[4]));
  else
    fprintf(stderr,
            "usage: %s run LOG ORDER [DROP] | check LOG NP WORLD | retag "
            "DIR RANK WORLD\n",
            argv[0]);
  MPI_Finalize();
  return rc;
}
