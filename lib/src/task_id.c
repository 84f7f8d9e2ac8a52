/*
 * task_id.c - 128-bit task ids.
 *
 * Every root action is a new task, so ids are made on the hot path: a
 * per-thread xoshiro256** generator, seeded once per thread from
 * getrandom() (mixed with the time and the thread's address in case
 * getrandom is unavailable), gives them without a system call.  The bits
 * follow UUID version 4 so that exports can print them as Eliot does.
 */
#include "weft_int.h"
#include "clock.h"

#include <sys/random.h>
#include <unistd.h>

typedef struct rng {
  uint64_t s[4];
  int seeded;
} rng;

static _Thread_local rng state;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void seed(rng *r) {
  uint64_t mix = (uint64_t)weft__mono_ns() ^ ((uint64_t)getpid() << 32) ^
                 (uint64_t)(uintptr_t)r;
  uint64_t buf[4] = {0, 0, 0, 0};
  if (getrandom(buf, sizeof buf, GRND_NONBLOCK) != (ssize_t)sizeof buf)
    buf[0] = buf[1] = buf[2] = buf[3] = 0;
  for (int i = 0; i < 4; i++)
    r->s[i] = buf[i] ^ splitmix(&mix);
  r->seeded = 1;
}

static uint64_t next(rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

void weft__task_id_new(uint64_t *hi, uint64_t *lo) {
  rng *r = &state;
  if (__builtin_expect(!r->seeded, 0))
    seed(r);
  uint64_t a = next(r), b = next(r);
  /* version 4 (bits 12..15 of the high half, the 13th hex digit), variant 10
   * (top of low). */
  *hi = (a & ~0xf000ull) | 0x4000ull;
  *lo = (b & ~(3ull << 62)) | (2ull << 62);
}

/* After fork() the child must not repeat the parent's ids. */
void weft__task_id_reseed(void) { state.seeded = 0; }
