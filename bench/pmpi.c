/*
 * pmpi.c - what libweft-pmpi adds to an MPI call, beside the same call
 * without it, in the same run.
 *
 *   mpiexec -n 2 -x LD_PRELOAD=build/mpi/pmpi/libweft-pmpi.so \
 *       build/bench/pmpi
 *
 * With the library preloaded, MPI_Send & co. are its wrappers and the
 * PMPI_* names are the bare MPI library, so one process can time both:
 *   - an 8-byte ping-pong between the two ranks (MPI_Send + MPI_Recv on
 *     each side per round trip);
 *   - an 8-byte MPI_Allreduce;
 * under each WEFT_MPI_TRACE setting (all, collectives, off, switched with
 * weft_mpi_trace_set), each beside the PMPI_* version.  The variants run
 * round-robin in REPS short timed blocks, so that noise from other
 * processes hits them alike; each figure is the fastest block (on a
 * shared machine the slower blocks measure the other processes), and the
 * medians are printed as well (*_median).
 *
 * libweft is initialised here, before MPI_Init, with a sink that discards
 * full buffers (WEFT_FULL_HANDOFF): nothing is dropped, no I/O is timed,
 * and libweft-pmpi, finding libweft initialised, writes no log.
 *
 * Output (rank 0): `name value unit` lines; *_overhead_pct is
 * (traced - bare) / bare, *_per_call_ns the added time per MPI call.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif

#include "weft_mpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REPS = 41, PINGS = 1000, REDUCES = 1000 };

static int discard(void *arg, uint32_t thread, const void *records,
                   size_t len) {
  (void)arg;
  (void)thread;
  (void)records;
  (void)len;
  return 0;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef int (*send_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm);
typedef int (*recv_fn)(void *, int, MPI_Datatype, int, int, MPI_Comm,
                       MPI_Status *);
typedef int (*allreduce_fn)(const void *, void *, int, MPI_Datatype, MPI_Op,
                            MPI_Comm);

/* ns per round trip. */
static double pingpong(int rank, send_fn s, recv_fn r) {
  double x = 1.0;
  int peer = 1 - rank;
  PMPI_Barrier(MPI_COMM_WORLD);
  double t0 = now_ns();
  for (int i = 0; i < PINGS; i++) {
    if (rank == 0) {
      s(&x, 1, MPI_DOUBLE, peer, 7, MPI_COMM_WORLD);
      r(&x, 1, MPI_DOUBLE, peer, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      r(&x, 1, MPI_DOUBLE, peer, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      s(&x, 1, MPI_DOUBLE, peer, 7, MPI_COMM_WORLD);
    }
  }
  return (now_ns() - t0) / PINGS;
}

/* ns per call. */
static double allreduce(allreduce_fn f) {
  double x = 1.0, y = 0;
  PMPI_Barrier(MPI_COMM_WORLD);
  double t0 = now_ns();
  for (int i = 0; i < REDUCES; i++)
    f(&x, &y, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return (now_ns() - t0) / REDUCES;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v; the fastest block. */
static double fastest(double *v) {
  qsort(v, REPS, sizeof *v, cmp);
  return v[0];
}

/* 1 when MPI_Send resolves to libweft-pmpi's wrapper. */
static int wrapped(void) {
  Dl_info info;
  void *p = dlsym(RTLD_DEFAULT, "MPI_Send");
  return p && dladdr(p, &info) && info.dli_fname &&
         strstr(info.dli_fname, "weft-pmpi");
}

enum { BARE, ALL, COLL, OFF, NV };

int main(int argc, char **argv) {
  weft_options o;
  weft_options_init(&o);
  weft_options_from_env(&o);
  o.policy = WEFT_FULL_HANDOFF;
  o.sink = discard;
  o.buffer_budget = 16 << 20;
  if (weft_init(&o) < 0) {
    fprintf(stderr, "pmpi: weft_init: %s\n", weft_errmsg());
    return 1;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2 || !wrapped()) {
    if (rank == 0)
      fprintf(stderr,
              "pmpi: run with 2 ranks and libweft-pmpi preloaded: "
              "mpiexec -n 2 -x LD_PRELOAD=.../libweft-pmpi.so %s\n",
              argv[0]);
    MPI_Finalize();
    return 2;
  }
  /* The action every traced call nests under, as in an application. */
  weft_action top = 0;
  weft_action_start(&top, "bench", NULL, 0);

  static const int mode[NV] = {0, WEFT_MPI_TRACE_ALL,
                               WEFT_MPI_TRACE_COLLECTIVES, WEFT_MPI_TRACE_OFF};
  static const char *name[NV] = {"bare", "all", "collectives", "off"};
  double pp[NV][REPS], ar[NV][REPS];
  pingpong(rank, MPI_Send, MPI_Recv); /* warm-up */
  allreduce(MPI_Allreduce);
  for (int rep = 0; rep < REPS; rep++)
    for (int v = 0; v < NV; v++) {
      if (v == BARE) {
        pp[v][rep] = pingpong(rank, PMPI_Send, PMPI_Recv);
        ar[v][rep] = allreduce(PMPI_Allreduce);
      } else {
        weft_mpi_trace_set(mode[v]);
        pp[v][rep] = pingpong(rank, MPI_Send, MPI_Recv);
        ar[v][rep] = allreduce(MPI_Allreduce);
      }
    }
  weft_mpi_trace_set(WEFT_MPI_TRACE_OFF);
  weft_action_succeed(top);

  weft_stats st;
  weft_stats_get(&st);
  if (rank == 0) {
    double ppm[NV], arm[NV];
    for (int v = 0; v < NV; v++) {
      ppm[v] = fastest(pp[v]);
      arm[v] = fastest(ar[v]);
    }
    printf("pingpong_bare_roundtrip %.0f ns\n", ppm[BARE]);
    printf("allreduce_bare_call %.0f ns\n", arm[BARE]);
    for (int v = ALL; v < NV; v++) {
      /* a round trip is two calls on each rank */
      printf("pingpong_%s_roundtrip %.0f ns\n", name[v], ppm[v]);
      printf("pingpong_%s_overhead %.1f %%\n", name[v],
             100 * (ppm[v] - ppm[BARE]) / ppm[BARE]);
      printf("pingpong_%s_per_call %.0f ns\n", name[v],
             (ppm[v] - ppm[BARE]) / 2);
      printf("allreduce_%s_call %.0f ns\n", name[v], arm[v]);
      printf("allreduce_%s_overhead %.1f %%\n", name[v],
             100 * (arm[v] - arm[BARE]) / arm[BARE]);
      printf("allreduce_%s_per_call %.0f ns\n", name[v], arm[v] - arm[BARE]);
    }
    for (int v = 0; v < NV; v++)
      printf("pingpong_%s_roundtrip_median %.0f ns\n"
             "allreduce_%s_call_median %.0f ns\n",
             name[v], pp[v][REPS / 2], name[v], ar[v][REPS / 2]);
    printf("events_recorded %llu events\n", (unsigned long long)st.events);
    printf("events_dropped %llu events\n", (unsigned long long)st.dropped);
  }
  MPI_Finalize();
  weft_shutdown();
  return 0;
}
