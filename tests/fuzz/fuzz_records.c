/*
 * fuzz_records.c - libFuzzer target for what `weft` does after HDF5 has
 * handed over a thread's bytes: the stream decoder (weft__decoder) over a
 * dictionary read from the file, the causal tree model, MPI message edges,
 * the tree renderer, the exports, the profile and the wait states.  Field
 * names include peer, tag, comm, send_seq, recv_seq and coll_seq so that
 * edges and waits are reached.
 *
 * Input: byte 0 = number of schemas (mod 9); per schema a kind byte
 * (start, message, add, globals, or anything), a field count (mod 7) and
 * that many type bytes; then one flag byte (bit 0: lenient decoding, bit 1:
 * second stream, bits 2..7: where to split the stream into two feeds);
 * the rest is the record stream.  Names 1..6 are peer, tag, comm,
 * send_seq, recv_seq, coll_seq and 7..16 "n7".."n16"; schema i has
 * id 16 + i, type name i % 16 + 1 and field names 1, 2, ...
 */
#include "decode.h"
#include "export.h"
#include "mpi_edges.h"
#include "outbuf.h"
#include "select.h"
#include "tree_model.h"
#include "tree_render.h"
#include "profile.h"
#include "waits.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct dict {
  weft__schema schemas[8];
  uint32_t names[8][6];
  uint8_t types[8][6];
  size_t n;
  char text[17][12];
} dict;

static const weft__schema *schema(void *arg, uint32_t id) {
  dict *d = arg;
  if (id < WEFT_SCHEMA_FIRST_USER || id - WEFT_SCHEMA_FIRST_USER >= d->n)
    return NULL;
  return &d->schemas[id - WEFT_SCHEMA_FIRST_USER];
}

static const char *name(void *arg, uint32_t id) {
  dict *d = arg;
  return id >= 1 && id <= 16 ? d->text[id] : NULL;
}

typedef struct sink {
  weft__model *m;
  weft__stream *s[2];
} sink;

static int on_event(void *arg, uint64_t key, const weft_event *ev) {
  sink *k = arg;
  const char *why;
  return weft__model_add(k->m, k->s[key & 1], ev, ev->t_ns, &why) ? 1 : 0;
}

static int on_globals(void *arg, uint64_t key, const weft_value *v, size_t n) {
  sink *k = arg;
  return weft__model_add_globals(k->m, k->s[key & 1], v, n) ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static dict d;
  size_t at = 0;
  if (size < 2)
    return 0;
  memset(&d, 0, sizeof d);
  static const char *mpi[] = {"peer",     "tag",      "comm",
                              "send_seq", "recv_seq", "coll_seq"};
  for (int i = 1; i <= 16; i++) {
    if (i <= 6)
      snprintf(d.text[i], sizeof d.text[i], "%s", mpi[i - 1]);
    else
      snprintf(d.text[i], sizeof d.text[i], "n%d", i);
  }
  d.n = data[at++] % 9;
  if (d.n > 8)
    d.n = 8;
  for (size_t i = 0; i < d.n; i++) {
    if (at + 2 > size)
      return 0;
    uint8_t kind = data[at++];
    uint16_t nf = data[at++] % 7;
    if (at + nf > size)
      return 0;
    uint32_t fixed = 1, psize = 0;
    for (uint16_t f = 0; f < nf; f++) {
      d.names[i][f] = f + 1u;
      d.types[i][f] = data[at++] % 8;
      if (d.types[i][f] == WEFT_TYPE_BOOL)
        psize += 1;
      else if (d.types[i][f] >= 1 && d.types[i][f] <= 3)
        psize += 8;
      else
        fixed = 0;
    }
    d.schemas[i] = (weft__schema){.id = (uint32_t)(WEFT_SCHEMA_FIRST_USER + i),
                                  .kind = kind,
                                  .fixed_size = (uint8_t)fixed,
                                  .nfields = nf,
                                  .type_name = (uint32_t)(i % 16 + 1),
                                  .payload_size = fixed ? psize : 0,
                                  .names = d.names[i],
                                  .types = d.types[i]};
  }
  if (at >= size)
    return 0;
  uint8_t flags = data[at++];
  const uint8_t *rec = data + at;
  size_t len = size - at;
  size_t split = len ? ((size_t)(flags >> 2) * 8) % (len + 1) : 0;

  weft__model m;
  if (weft__model_init(&m))
    return 0;
  weft__decoder *dec = NULL;
  weft__dict wd = {.schema = schema, .name = name, .arg = &d};
  if (weft__decoder_new(&dec, wd) == 0) {
    weft__decoder_set_lenient(dec, flags & 1);
    sink k = {.m = &m};
    k.s[0] = weft__model_stream(&m, 0, 0, 0);
    k.s[1] = weft__model_stream(&m, 0, 1, 0);
    uint64_t key2 = (flags & 2) ? 1 : 0;
    if (k.s[0] && k.s[1] &&
        weft__decoder_feed(dec, 0, rec, split, on_event, on_globals, &k) == 0)
      weft__decoder_feed(dec, key2, rec + split, len - split, on_event,
                         on_globals, &k);
    weft__decoder_free(dec);
  }
  if (weft__model_finish(&m) == 0) {
    weft__select sel;
    weft__select_init(&sel);
    weft__tree_opts to;
    weft__tree_opts_init(&to);
    to.fold_above = 1;
    weft__out o;
    weft__edges e;
    if (weft__edges_build(&m, &e) == 0) {
      to.edges = &e;
      if (weft__out_init(&o, NULL) == 0) {
        weft__tree_render(&o, &m, &sel, &to);
        weft__export x = {.o = &o, .m = &m, .sel = &sel, .edges = &e};
        weft__export_eliot(&x);
        weft__export_chrome(&x);
        weft__export_csv(&x);
        weft__profile_opts po = {.format = WEFT__PROFILE_JSON, .top = 2};
        weft__profile_write(&o, &m, &sel, &po);
        weft__waits_write(&o, &m, &e, &sel, WEFT__PROFILE_TEXT, 0, 0);
        weft__out_close(&o);
      }
      weft__edges_release(&e);
    }
  }
  weft__model_release(&m);
  return 0;
}
