/*
 * pmpi_self_init.c - a program that initialises libweft itself (weft_init
 * before MPI_Init), logs, and never calls weft_mpi_init: it leaves the log
 * to libweft-pmpi, which writes it at MPI_Finalize (docs/causality.md,
 * "Life cycle").
 *
 *   pmpi_self_init self    weft_init before MPI_Init, then on each rank an
 *                          action "self_work" {world} holding a message
 *                          "self_step" {i} and the MPI calls below
 *   pmpi_self_init plain   no Weft call: the MPI calls only (the other
 *                          program of an MPMD launch)
 *   pmpi_self_init crash   as self, but every rank dies by SIGKILL after
 *                          the MPI calls (and a barrier), "self_work" still
 *                          open, before MPI_Finalize: what it logged is in
 *                          its crash journal only (WEFT_JOURNAL_DIR)
 *   pmpi_self_init sub [R [PATH]]
 *                          as crash, but world rank R (0) first opens a
 *                          log of its own, PATH (sub.h5 in the working
 *                          directory; "-": weft_mpi_init's default name),
 *                          on a communicator of itself alone: the other
 *                          ranks are outside it
 *   pmpi_self_init subend [R [PATH]]
 *                          as sub, without the crash: MPI_Finalize closes
 *                          rank R's log
 *   pmpi_self_init restart as self, but the program shuts libweft down and
 *                          initialises it again right after MPI_Init (a new
 *                          crash journal), before it logs
 *   pmpi_self_init restartcrash
 *                          as restart, then killed as crash
 *   pmpi_self_init ownlog  as restart, then the program writes a log of its
 *                          own, own.h5 in the working directory, on
 *                          MPI_COMM_WORLD around "self_work" (weft_mpi_init
 *                          .. weft_mpi_finalize), then logs "after" {i}
 *                          and the MPI calls again, and is killed as crash
 *   pmpi_self_init earlyshut
 *                          as self, but the program shuts libweft down
 *                          before MPI_Finalize (what it logged is then
 *                          written nowhere) and runs to the end
 *   pmpi_self_init steps STEPS
 *                          the steps of STEPS in order, one letter each:
 *                          I weft_init, M MPI_Init, W a message "step"
 *                          {i} (i: the step's place in STEPS, from 1), A an
 *                          MPI_Allreduce, L a log of the program's own on
 *                          MPI_COMM_WORLD (own1.h5, own2.h5, ...), C
 *                          weft_mpi_finalize, X weft_shutdown, F
 *                          MPI_Finalize, K a barrier then SIGKILL, D
 *                          spoil the header of the process's first
 *                          journal (<host>.<pid>.wj in WEFT_JOURNAL_DIR),
 *                          E a call of the program's own that fails
 *                          (weft_message_log without a type), V check
 *                          that weft_errmsg() still says what E left
 *
 * Every rank makes an MPI_Allreduce on MPI_COMM_WORLD and an MPI_Sendrecv
 * around the ring (tag 9).  After MPI_Finalize, a "self" rank checks that
 * libweft is still initialised (libweft-pmpi must not shut down the
 * application's libweft) and a "plain" rank that it is not (libweft-pmpi
 * shuts down what it started there): exit status 3 otherwise.
 */
#include <weft.h>
#include <weft_mpi.h>

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int work(int rank, int size) {
  int x = rank, sum = -1, got = -1;
  int to = (rank + 1) % size, from = (rank + size - 1) % size;
  if (MPI_Allreduce(&x, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD) !=
          MPI_SUCCESS ||
      sum != size * (size - 1) / 2)
    return 1;
  if (MPI_Sendrecv(&x, 1, MPI_INT, to, 9, &got, 1, MPI_INT, from, 9,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS ||
      got != from)
    return 1;
  return 0;
}

/* weft_init with the options of the environment (WEFT_JOURNAL_DIR). */
static int start_weft(void) {
  weft_options o;
  weft_options_init(&o);
  if (weft_options_from_env(&o) != WEFT_OK || weft_init(&o) != WEFT_OK) {
    fprintf(stderr, "weft_init: %s\n", weft_errmsg());
    return 1;
  }
  return 0;
}

/* Step D: zero the magic of this process's first journal, so that no
 * header rewrite takes it any more. */
static int spoil_first_journal(void) {
  char host[64] = "localhost", path[4096];
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const char *dir = getenv("WEFT_JOURNAL_DIR");
  snprintf(path, sizeof path, "%s/%s.%ld.wj", dir ? dir : ".", host,
           (long)getpid());
  FILE *f = fopen(path, "r+b");
  static const char zeros[8];
  int bad = !f || fwrite(zeros, 1, sizeof zeros, f) != sizeof zeros;
  if (f && fclose(f) != 0)
    bad = 1;
  if (bad)
    fprintf(stderr, "cannot spoil %s\n", path);
  return bad;
}

/* Mode steps (see the top). */
static int steps(int *argc, char ***argv, const char *list) {
  int i = 0, logs = 0, x = 1, y = 0;
  static char said[1024]; /* weft_errmsg() after step E */
  for (const char *p = list; *p; p++) {
    char name[32];
    weft_field f[] = {WEFT_I64("i", ++i)};
    int bad = 0;
    switch (*p) {
    case 'I':
      bad = start_weft();
      break;
    case 'M':
      bad = MPI_Init(argc, argv) != MPI_SUCCESS;
      break;
    case 'W':
      bad = weft_message_log("step", f, 1) != WEFT_OK;
      break;
    case 'A':
      bad = MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD) !=
            MPI_SUCCESS;
      break;
    case 'L':
      snprintf(name, sizeof name, "own%d.h5", ++logs);
      bad = weft_mpi_init(MPI_COMM_WORLD, name) != WEFT_OK;
      break;
    case 'C':
      bad = weft_mpi_finalize() != WEFT_OK;
      break;
    case 'X':
      bad = weft_shutdown() != WEFT_OK;
      break;
    case 'F':
      bad = MPI_Finalize() != MPI_SUCCESS;
      break;
    case 'D':
      bad = spoil_first_journal();
      break;
    case 'E':
      bad = weft_message_log(NULL, NULL, 0) == WEFT_OK;
      snprintf(said, sizeof said, "%s", weft_errmsg());
      break;
    case 'V':
      if ((bad = strcmp(weft_errmsg(), said) != 0))
        fprintf(stderr, "weft_errmsg() was \"%s\", is \"%s\"\n", said,
                weft_errmsg());
      break;
    case 'K':
      MPI_Barrier(MPI_COMM_WORLD);
      fflush(stdout);
      fflush(stderr);
      raise(SIGKILL);
      break;
    default:
      bad = 1;
    }
    if (bad) {
      fprintf(stderr, "step %c of %s went wrong: %s\n", *p, list,
              weft_errmsg());
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "steps"))
    return steps(&argc, &argv, argv[2]);
  static const char *const modes[] = {"self",         "plain",  "crash",
                                      "sub",          "subend", "restart",
                                      "restartcrash", "ownlog", "earlyshut"};
  int mode = -1;
  for (int m = 0; argc >= 2 && m < 9; m++)
    if (!strcmp(argv[1], modes[m]))
      mode = m;
  int sub = mode == 3 || mode == 4;
  if (mode < 0 || argc > (sub ? 4 : 2)) {
    fprintf(stderr, "usage: pmpi_self_init self|plain|crash|restart|"
                    "restartcrash|ownlog|earlyshut, sub|subend "
                    "[RANK [PATH|-]], or steps STEPS\n");
    return 2;
  }
  int sub_rank = sub && argc > 2 ? atoi(argv[2]) : 0;
  const char *sub_path = sub && argc > 3 ? argv[3] : "sub.h5";
  if (!strcmp(sub_path, "-"))
    sub_path = NULL;
  int crash = mode == 2 || mode == 3 || mode == 6 || mode == 7;
  int self = mode != 1;
  if (self && start_weft())
    return 1;
  MPI_Init(&argc, &argv);
  if (mode >= 5 && mode <= 7 && (weft_shutdown() != WEFT_OK || start_weft()))
    return 1;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int bad = 0;
  weft_action a = 0;
  if (sub) {
    MPI_Comm alone;
    MPI_Comm_split(MPI_COMM_WORLD, rank == sub_rank ? 0 : MPI_UNDEFINED, 0,
                   &alone);
    if (rank == sub_rank && weft_mpi_init(alone, sub_path) != WEFT_OK) {
      fprintf(stderr, "weft_mpi_init: %s\n", weft_errmsg());
      bad = 1;
    }
  }
  if (mode == 7 && weft_mpi_init(MPI_COMM_WORLD, "own.h5") != WEFT_OK) {
    fprintf(stderr, "weft_mpi_init: %s\n", weft_errmsg());
    bad = 1;
  }
  if (self) {
    weft_field f[] = {WEFT_I64("world", rank)};
    weft_field g[] = {WEFT_I64("i", 1)};
    bad |= weft_action_start(&a, "self_work", f, 1) != WEFT_OK;
    bad |= weft_message_log("self_step", g, 1) != WEFT_OK;
  }
  if (work(rank, size)) {
    fprintf(stderr, "world rank %d: the MPI calls went wrong\n", rank);
    bad = 1;
  }
  if (mode == 7) {
    weft_field g[] = {WEFT_I64("i", 2)};
    bad |= weft_action_succeed(a) != WEFT_OK;
    if (weft_mpi_finalize() != WEFT_OK) {
      fprintf(stderr, "weft_mpi_finalize: %s\n", weft_errmsg());
      bad = 1;
    }
    bad |= weft_message_log("after", g, 1) != WEFT_OK;
    bad |= work(rank, size);
  }
  if (mode == 8)
    bad |= weft_shutdown() != WEFT_OK || work(rank, size);
  if (crash) {
    MPI_Barrier(MPI_COMM_WORLD); /* every rank logged all of the above */
    fflush(stdout);
    fflush(stderr);
    if (bad)
      return 1;
    raise(SIGKILL); /* a crash: no MPI_Finalize, no log */
  }
  if (self && mode != 7 && mode != 8)
    bad |= weft_action_succeed(a) != WEFT_OK;
  MPI_Finalize();
  int live = self && mode != 8; /* the application's libweft is up */
  if (weft_is_initialized() != live) {
    fprintf(stderr,
            "world rank %d: libweft is %sinitialised after "
            "MPI_Finalize\n",
            rank, live ? "not " : "");
    return 3;
  }
  if (live)
    weft_shutdown();
  return bad;
}
