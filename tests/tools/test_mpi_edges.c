/*
 * test_mpi_edges.c - pairing MPI sends with their receipts by world rank
 * (docs/causality.md section 4) when a log's /ranks table knows the world
 * ranks of only some of its ranks, and when it knows none.
 */
#include "synth.h"

#include "mpi_edges.h"
#include "outbuf.h"
#include "select.h"
#include "tree_render.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Rank `rank` of file `file` sends to world rank `peer` (an MPI_Send
 * action, task `task`). */
static void send(weft__model *m, uint32_t file, uint32_t rank, uint64_t task,
                 int64_t peer, int64_t tag, int64_t t_us) {
  weft__stream *s = weft__model_stream(m, file, rank, 0);
  assert_non_null(s);
  weft_value f[] = {synth_i64("peer", peer), synth_i64("tag", tag),
                    synth_i64("comm", 0), synth_i64("send_seq", 1)};
  synth_event(m, s, WEFT_KIND_START, "MPI_Send", task, "/1", t_us, f, 4);
  synth_event(m, s, WEFT_KIND_SUCCESS, "MPI_Send", task, "/2", t_us + 5, NULL,
              0);
}

/* Rank `rank` of file `file` receives from world rank `peer` (an
 * "mpi:recv" message, task `task`). */
static void recv(weft__model *m, uint32_t file, uint32_t rank, uint64_t task,
                 int64_t peer, int64_t tag, int64_t t_us) {
  weft__stream *s = weft__model_stream(m, file, rank, 0);
  assert_non_null(s);
  weft_value f[] = {synth_i64("peer", peer), synth_i64("tag", tag),
                    synth_i64("comm", 0), synth_i64("recv_seq", 1)};
  synth_event(m, s, WEFT_KIND_MESSAGE, "mpi:recv", task, "/1", t_us, f, 4);
}

/* The node of rank `rank` of file `file` of type `type` whose peer and
 * tag are as given. */
static uint32_t node(const weft__model *m, uint32_t file, uint32_t rank,
                     const char *type, int64_t peer, int64_t tag) {
  uint32_t tid = weft__strtab_find(&m->names, type, strlen(type));
  uint32_t pid = weft__strtab_find(&m->names, "peer", 4);
  uint32_t gid = weft__strtab_find(&m->names, "tag", 3);
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = weft__model_node(m, i);
    if (n->file != file || n->rank != rank || n->type != tid)
      continue;
    const weft__mvalue *p = weft__model_field(m, i, pid);
    const weft__mvalue *g = weft__model_field(m, i, gid);
    if (p && g && p->v.i64 == peer && g->v.i64 == tag)
      return i;
  }
  fail_msg("no %s of rank %u to peer %lld tag %lld", type, rank,
           (long long)peer, (long long)tag);
  return WEFT__NONE;
}

/* 1 when a line of text holds `head` and ends with `tail`. */
static int has_line(const char *text, const char *head, const char *tail) {
  size_t tl = strlen(tail);
  for (const char *l = text; *l;) {
    const char *end = strchr(l, '\n');
    size_t len = end ? (size_t)(end - l) : strlen(l);
    const char *h = strstr(l, head);
    if (h && h < l + len && len >= tl && memcmp(l + len - tl, tail, tl) == 0)
      return 1;
    l += len + (end != NULL);
  }
  return 0;
}

static char *render(const weft__model *m, const weft__edges *e) {
  weft__out o;
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.ascii = 1;
  to.edges = e;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  assert_int_equal(weft__tree_render(&o, m, &sel, &to), 0);
  weft__select_release(&sel);
  return synth_take(&o);
}

/* Four ranks on a reversed split: log ranks 0 1 2 3 are world ranks 3 2 1
 * 0.  Ranks 1 and 3 were rebuilt from journals that did not name theirs,
 * so /ranks knows [3, ?, 1, ?].  Log rank 1 is then also the world rank
 * of log rank 2: taking it as rank 1's world rank would give two ranks
 * world rank 1 and let rank 1's messages claim rank 2's. */
static void test_edges_mixed_world_table_pairs_nothing_wrongly(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  const uint32_t world[4] = {3, WEFT__NONE, 1, WEFT__NONE};
  assert_int_equal(weft__model_set_world(&m, 0, world, 4), 0);
  /* Rank 0 (world 3) sends to world 1 (log rank 2) and world 2 (log rank
   * 1, unknown) with one tag: the receipts name the same sender and
   * sequence number. */
  send(&m, 0, 0, 1, 1, 7, 0);
  send(&m, 0, 0, 2, 2, 7, 10);
  /* Rank 1 (world 2, unknown) receives its message first in node order,
   * then sends to world 3 (log rank 0) with tag 8, as rank 2 (world 1)
   * does after it. */
  recv(&m, 0, 1, 3, 3, 7, 20);
  send(&m, 0, 1, 4, 3, 8, 30);
  recv(&m, 0, 2, 5, 3, 7, 25);
  send(&m, 0, 2, 6, 3, 8, 35);
  /* Rank 0 receives both tag 8 messages, from world 2 and world 1. */
  recv(&m, 0, 0, 7, 2, 8, 50);
  recv(&m, 0, 0, 8, 1, 8, 55);
  assert_int_equal(weft__model_finish(&m), 0);

  weft__edges e;
  assert_int_equal(weft__edges_build(&m, &e), 0);
  uint32_t to2 = node(&m, 0, 0, "MPI_Send", 1, 7);
  uint32_t to1 = node(&m, 0, 0, "MPI_Send", 2, 7);
  uint32_t at1 = node(&m, 0, 1, "mpi:recv", 3, 7);
  uint32_t at2 = node(&m, 0, 2, "mpi:recv", 3, 7);
  uint32_t from1 = node(&m, 0, 1, "MPI_Send", 3, 8);
  uint32_t from2 = node(&m, 0, 2, "MPI_Send", 3, 8);
  uint32_t of1 = node(&m, 0, 0, "mpi:recv", 2, 8);
  uint32_t of2 = node(&m, 0, 0, "mpi:recv", 1, 8);
  /* The known ranks' messages pair with each other ... */
  assert_int_equal(e.partner[to2], at2);
  assert_int_equal(e.partner[at2], to2);
  assert_int_equal(e.partner[from2], of2);
  assert_int_equal(e.partner[of2], from2);
  /* ... and rank 1's, whose world rank is unknown, with nothing; nor is
   * their partner said to be outside the log. */
  const uint32_t lone[] = {to1, at1, from1, of1};
  for (size_t k = 0; k < 4; k++) {
    assert_int_equal(e.partner[lone[k]], WEFT__NONE);
    assert_int_equal(e.away[lone[k]], 0);
  }
  assert_int_equal(e.kind[to1], WEFT__EDGE_SEND);
  assert_int_equal(e.kind[at1], WEFT__EDGE_RECV);
  assert_int_equal(e.pairs, 2);

  char *s = render(&m, &e);
  assert_true(has_line(s, "MPI_Send [rank 0] (peer: 1, tag: 7,",
                       "-> rank 2 (recv #1)"));
  assert_true(has_line(s, "mpi:recv [rank 2] (peer: 3, tag: 7,",
                       "<- rank 0 (send #1)"));
  assert_true(
      has_line(s, "MPI_Send [rank 0] (peer: 2, tag: 7,", " (not received)"));
  assert_true(
      has_line(s, "mpi:recv [rank 1] (peer: 3, tag: 7,", " (send not found)"));
  assert_true(
      has_line(s, "MPI_Send [rank 1] (peer: 3, tag: 8,", " (not received)"));
  assert_true(has_line(s, "MPI_Send [rank 2] (peer: 3, tag: 8,",
                       "-> rank 0 (recv #1)"));
  assert_true(
      has_line(s, "mpi:recv [rank 0] (peer: 2, tag: 8,", " (send not found)"));
  assert_true(has_line(s, "mpi:recv [rank 0] (peer: 1, tag: 8,",
                       "<- rank 2 (send #1)"));
  assert_null(strstr(s, "-> rank 1 "));
  assert_null(strstr(s, "<- rank 1 "));
  free(s);
  assert_int_equal(weft__model_world(&m, 0, 0), 3);
  assert_int_equal(weft__model_world(&m, 0, 1), WEFT__NONE);
  assert_int_equal(weft__model_world(&m, 0, 2), 1);
  assert_int_equal(weft__model_world(&m, 0, 3), WEFT__NONE);
  weft__edges_release(&e);
  weft__model_release(&m);
}

/* A log none of whose rows knows its world rank (a log of an older Weft
 * rebuilt by weft recover) is taken to be a log of MPI_COMM_WORLD: its
 * ranks pair by log rank, file by file, beside a file whose /ranks is
 * mixed. */
static void test_edges_no_world_table_pairs_by_log_rank(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  const uint32_t none[2] = {WEFT__NONE, WEFT__NONE};
  const uint32_t mixed[2] = {1, WEFT__NONE};
  assert_int_equal(weft__model_set_world(&m, 0, none, 2), 0);
  assert_int_equal(weft__model_set_world(&m, 1, mixed, 2), 0);
  for (uint32_t f = 0; f < 2; f++) {
    send(&m, f, 0, 10 + f, 1, 4, 0);
    recv(&m, f, 1, 20 + f, 0, 4, 10);
    send(&m, f, 1, 30 + f, 0, 5, 20);
    recv(&m, f, 0, 40 + f, 1, 5, 30);
  }
  assert_int_equal(weft__model_finish(&m), 0);
  weft__edges e;
  assert_int_equal(weft__edges_build(&m, &e), 0);
  uint32_t s01 = node(&m, 0, 0, "MPI_Send", 1, 4);
  uint32_t r01 = node(&m, 0, 1, "mpi:recv", 0, 4);
  uint32_t s10 = node(&m, 0, 1, "MPI_Send", 0, 5);
  uint32_t r10 = node(&m, 0, 0, "mpi:recv", 1, 5);
  assert_int_equal(e.partner[s01], r01);
  assert_int_equal(e.partner[s10], r10);
  /* In file 1, rank 0 is world rank 1 and rank 1 unknown: rank 0's send to
   * world 1 would be its own, and nothing names rank 1's. */
  const uint32_t f1[] = {
      node(&m, 1, 0, "MPI_Send", 1, 4), node(&m, 1, 1, "mpi:recv", 0, 4),
      node(&m, 1, 1, "MPI_Send", 0, 5), node(&m, 1, 0, "mpi:recv", 1, 5)};
  for (size_t k = 0; k < 4; k++)
    assert_int_equal(e.partner[f1[k]], WEFT__NONE);
  assert_int_equal(e.pairs, 2);
  assert_int_equal(weft__model_world(&m, 0, 1), 1);
  assert_int_equal(weft__model_world(&m, 1, 1), WEFT__NONE);
  weft__edges_release(&e);
  weft__model_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_edges_mixed_world_table_pairs_nothing_wrongly),
      cmocka_unit_test(test_edges_no_world_table_pairs_by_log_rank),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
