/*
 * journal_pages.c - which journal slots serve which blocks, and the page
 * advice on them (label fault; docs/journal.md, "Pages").
 *
 *   journal_pages DIR
 *
 * A journal of 128 blocks of 64 KiB: its first 16 slots, and the others
 * that start before the next 2 MiB of the file (32 in all), keep small
 * pages and serve threads' first blocks; the rest are advised for huge
 * pages.  The main thread fills three blocks, a second thread logs one
 * event.  Read from the journal file while the process still runs: every
 * block with sequence number 0 (a thread's first) is in the first 32
 * slots, every later one after them; and the kernel's view of the mapping
 * (/proc/self/smaps) has the header and first slots advised random access
 * (VmFlags "rr") and the slots after the next 2 MiB boundary advised huge
 * pages ("hg").
 */
#include "../check.h"
#include "buffer.h"
#include "journal.h"
#include "weft_int.h"
#include "weft.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (64u << 10)
#define NSLOTS 128
#define SLOT (BLOCK + 64)
/* Slots starting before the first 2 MiB offset after NSLOTS / 8 slots. */
#define FIRST_SLOTS                                                            \
  ((((WEFT__JOURNAL_HEADER + NSLOTS / 8 * SLOT + (2u << 20) - 1) &             \
     ~((2u << 20) - 1)) -                                                      \
    WEFT__JOURNAL_HEADER + SLOT - 1) /                                         \
   SLOT)

static void *one_event(void *arg) {
  (void)arg;
  WEFT_LOG("helper", WEFT_I64("x", 1));
  return NULL;
}

static void check_slots(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f, "cannot open %s", path);
  if (!f)
    return;
  int later = 0;
  for (unsigned i = 0; i < NSLOTS; i++) {
    weft__block_hdr h;
    long at = WEFT__JOURNAL_HEADER + (long)i * (long)SLOT;
    if (fseek(f, at, SEEK_SET) != 0 || fread(&h, sizeof h, 1, f) != 1) {
      CHECK(0, "slot %u: cannot read its header", i);
      break;
    }
    if (h.magic != WEFT__BLOCK_MAGIC)
      continue;
    if (h.seq == 0)
      CHECK(i < FIRST_SLOTS, "thread %u's first block is in slot %u", h.thread,
            i);
    else
      CHECK(i >= FIRST_SLOTS, "thread %u's block %llu is in slot %u", h.thread,
            (unsigned long long)h.seq, i);
    later += h.seq != 0;
  }
  CHECK(later >= 2, "the main thread filled blocks: %d later blocks", later);
  fclose(f);
}

/* VmFlags of the mapping of the journal: whether some range of it is
 * advised random access and some advised huge pages. */
static void check_advice(const char *path) {
  FILE *f = fopen("/proc/self/smaps", "r");
  CHECK(f, "cannot read /proc/self/smaps");
  if (!f)
    return;
  char line[4096];
  int in_journal = 0, rr = 0, hg = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
      in_journal = strstr(line, path) != NULL;
      continue;
    }
    if (in_journal && !strncmp(line, "VmFlags:", 8)) {
      rr |= strstr(line, " rr") != NULL;
      hg |= strstr(line, " hg") != NULL;
    }
  }
  fclose(f);
  CHECK(rr, "no part of the journal mapping is advised MADV_RANDOM");
  CHECK(hg, "no part of the journal mapping is advised MADV_HUGEPAGE");
}

_Static_assert(FIRST_SLOTS == 32, "the layout this test describes");

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: journal_pages DIR\n");
    return 2;
  }
  weft_options o;
  weft_options_init(&o);
  o.block_size = BLOCK;
  o.buffer_budget = (size_t)NSLOTS * BLOCK;
  o.journal_dir = argv[1];
  if (weft_init(&o) != 0) {
    fprintf(stderr, "journal_pages: weft_init: %s\n", weft_errmsg());
    return 1;
  }
  /* ~2.5 blocks of 48-byte actions on the main thread. */
  for (int i = 0; i < (int)(BLOCK / 48 * 5 / 2); i++) {
    weft_action a;
    WEFT_ACTION_START(&a, "step", WEFT_I64("i", i), WEFT_I64("j", -i));
    weft_action_succeed(a);
  }
  pthread_t th;
  pthread_create(&th, NULL, one_event, NULL);
  pthread_join(th, NULL);

  char path[4096] = "";
  const char *jp = weft__journal_path();
  CHECK(jp && *jp, "no journal in %s", argv[1]);
  snprintf(path, sizeof path, "%s", jp ? jp : "");
  if (!failures) {
    check_slots(path);
    check_advice(path);
  }
  weft_shutdown(); /* keeps the journal: no log was written */
  char dict[4100];
  snprintf(dict, sizeof dict, "%sd", path);
  if (path[0]) {
    unlink(path);
    unlink(dict);
  }
  if (failures)
    return 1;
  printf("journal_pages: ok\n");
  return 0;
}
