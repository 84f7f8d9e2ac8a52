/*
 * signals.c - a coordinated last flush when the job is told to stop
 * (docs/resilience.md; hpc-tracers.md section 2).
 *
 * SIGTERM (Slurm's time limit, scancel, mpirun passing on a Ctrl-C) and
 * the warning signal of `sbatch --signal` (SIGUSR1 unless WEFT_SIGNAL
 * names another, "none" for none) only set a flag: nothing else is safe
 * in a handler, and only a collective call can write the log.  At the next
 * safe point (weft_mpi_flush) the ranks agree with one MPI_Allreduce: when
 * any rank was signalled, or SLURM_JOB_END_TIME is closer than
 * WEFT_END_MARGIN seconds (by default 60, or half the time the job had
 * left at weft_mpi_init if that is less), that flush is the last one and
 * closes the log.  After a SIGTERM the previous disposition is restored and
 * SIGTERM raised again, so the process ends as it would have without Weft.  A
 * second SIGTERM before that point ends the process at once.  An
 * application's own handler of the warning signal is still called.
 */
#include "writer.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static volatile sig_atomic_t got_term, got_warn;
static int warn_sig;
static struct sigaction old_term, old_warn;
static int installed;
static int64_t end_time_s; /* SLURM_JOB_END_TIME, 0: none */
#define DEFAULT_MARGIN_S 60
static int64_t margin_s = DEFAULT_MARGIN_S;

static void on_term(int sig) {
  if (got_term) { /* asked twice: stop waiting for a safe point */
    sigaction(sig, &old_term, NULL);
    raise(sig);
    return;
  }
  got_term = 1;
}

static void on_warn(int sig, siginfo_t *info, void *ctx) {
  got_warn = 1;
  if (old_warn.sa_flags & SA_SIGINFO) {
    if (old_warn.sa_sigaction)
      old_warn.sa_sigaction(sig, info, ctx);
  } else if (old_warn.sa_handler != SIG_DFL && old_warn.sa_handler != SIG_IGN &&
             old_warn.sa_handler) {
    old_warn.sa_handler(sig);
  }
}

static int parse_signal(const char *v, int *sig) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"INT", SIGINT},
               {"HUP", SIGHUP},   {"XCPU", SIGXCPU}, {"URG", SIGURG},
               {"ALRM", SIGALRM}};
  if (!v || !*v) {
    *sig = SIGUSR1;
    return WEFT_OK;
  }
  if (!strcasecmp(v, "none") || !strcmp(v, "0")) {
    *sig = 0;
    return WEFT_OK;
  }
  const char *n = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcasecmp(n, names[i].name)) {
      *sig = names[i].sig;
      return WEFT_OK;
    }
  char *end;
  long x = strtol(v, &end, 10);
  if (*end || x <= 0 || x >= 65 || x == SIGKILL || x == SIGSTOP || x == SIGTERM)
    return weft__error(WEFT_EINVAL,
                       "WEFT_SIGNAL=\"%s\": expected a signal name (USR1, "
                       "USR2, ...), a number, or none",
                       v);
  *sig = (int)x;
  return WEFT_OK;
}

int weft__signals_install(void) {
  int sig = 0;
  int rc = parse_signal(getenv("WEFT_SIGNAL"), &sig);
  if (rc < 0)
    return rc;
  const char *e = getenv("SLURM_JOB_END_TIME");
  end_time_s = e ? strtoll(e, NULL, 10) : 0;
  const char *m = getenv("WEFT_END_MARGIN");
  if (m && *m) {
    char *end;
    long long x = strtoll(m, &end, 10);
    if (*end || x < 0)
      return weft__error(WEFT_EINVAL,
                         "WEFT_END_MARGIN=\"%s\": expected seconds >= 0", m);
    margin_s = x;
  } else {
    /* The default leaves a job at most half of the time it has left: a
     * job shorter than two minutes would otherwise close its log at its
     * first flush, and log the rest into the journals only. */
    int64_t left = end_time_s > 0 ? end_time_s - (int64_t)time(NULL) : 0;
    margin_s = DEFAULT_MARGIN_S;
    if (end_time_s > 0 && left / 2 < margin_s)
      margin_s = left > 0 ? left / 2 : 0;
  }
  got_term = got_warn = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_term;
  /* Without Weft the signal would have ended the process; with it, the
   * application's system calls should not start failing with EINTR. */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, &old_term);
  warn_sig = sig;
  if (sig) {
    struct sigaction sw;
    memset(&sw, 0, sizeof sw);
    sigemptyset(&sw.sa_mask);
    sw.sa_sigaction = on_warn;
    sw.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(sig, &sw, &old_warn);
  }
  installed = 1;
  return WEFT_OK;
}

void weft__signals_restore(void) {
  if (!installed)
    return;
  sigaction(SIGTERM, &old_term, NULL);
  if (warn_sig)
    sigaction(warn_sig, &old_warn, NULL);
  installed = 0;
}

/* Why this rank wants the last flush now: 0 none, 1 warning signal or end
 * time near, 2 SIGTERM. */
static int local_reason(void) {
  if (got_term)
    return 2;
  if (got_warn)
    return 1;
  if (end_time_s > 0 && (int64_t)time(NULL) >= end_time_s - margin_s)
    return 1;
  return 0;
}

/* The first collective of weft_mpi_flush (after each rank's counting
 * pass, flush.c), so where ranks that reached the flush early wait for
 * the late ones: asleep (quiet_wait.c). */
int weft__signals_agree(MPI_Comm comm, int *reason) {
  int mine = local_reason(), all = 0;
  if (weft__quiet_allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm) !=
      MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Allreduce of the stop flags failed");
  *reason = all;
  return WEFT_OK;
}

int weft__signals_term_pending(void) { return got_term != 0; }

void weft__signals_finish(void) {
  int term = got_term;
  weft__signals_restore();
  if (term)
    raise(SIGTERM);
}
