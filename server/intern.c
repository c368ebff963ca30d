/* intern.c: open-addressing string table with linear probing.
 *
 * Invariants:
 * (1) slots has a power-of-two size and is at most half full.
 * (2) strs[0] is "" so id 0 means "no string" in every column.
 * (3) a stored view is never moved or freed before tv_intern_free. */
#include "traceview/intern.h"
#include "traceview/error.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct tv_arena_block {
  tv_arena_block_t *next;
  size_t used, cap;
  char data[];
};

/* Reads 8 bytes at a time: names and symbols are 10-200 bytes, and a
 * byte-at-a-time hash is visible in the indexer's profile. */
uint32_t tv_hash_bytes(const char *p, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
    p += 8;
    len -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, len);
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 32;
  return (uint32_t)h;
}

int tv_intern_init(tv_intern_t *t) {
  memset(t, 0, sizeof *t);
  t->cap = 64;
  t->strs = malloc(t->cap * sizeof *t->strs);
  t->hashes = malloc(t->cap * sizeof *t->hashes);
  t->slots = calloc(128, sizeof *t->slots);
  if (!t->strs || !t->hashes || !t->slots) {
    tv_intern_free(t);
    return TV_ENOMEM;
  }
  t->mask = 127;
  t->strs[0] = tv_str("", 0);
  t->hashes[0] = tv_hash_bytes("", 0);
  t->slots[t->hashes[0] & t->mask] = (uint64_t)t->hashes[0] << 32 | 1;
  t->n = 1;
  return 0;
}

void tv_intern_free(tv_intern_t *t) {
  if (!t) return;
  free(t->strs);
  free(t->hashes);
  free(t->slots);
  for (tv_arena_block_t *b = t->arena, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  memset(t, 0, sizeof *t);
}

static int grow_slots(tv_intern_t *t) {
  uint32_t nslots = (t->mask + 1) * 2;
  uint64_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return TV_ENOMEM;
  uint32_t mask = nslots - 1;
  for (uint32_t id = 0; id < t->n; id++) {
    uint32_t i = t->hashes[id] & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = (uint64_t)t->hashes[id] << 32 | (id + 1);
  }
  free(t->slots);
  t->slots = slots;
  t->mask = mask;
  return 0;
}

static uint32_t lookup(const tv_intern_t *t, tv_str_t s, uint32_t h, uint32_t *slot) {
  uint32_t i = h & t->mask;
  for (;;) {
    uint64_t v = t->slots[i];
    if (!v) break;
    if ((uint32_t)(v >> 32) == h) {
      uint32_t id = (uint32_t)v - 1;
      if (tv_str_eq(t->strs[id], s)) return id;
    }
    i = (i + 1) & t->mask;
  }
  *slot = i;
  return UINT32_MAX;
}

uint32_t tv_intern_find(const tv_intern_t *t, tv_str_t s) {
  uint32_t slot;
  return lookup(t, s, tv_hash_bytes(s.p, s.len), &slot);
}

/* Index into recent[]: length, first and last 8 bytes (cheap, not a hash). */
static inline uint32_t recent_slot(tv_str_t s) {
  uint64_t a = 0, b = 0;
  if (s.len >= 8) {
    memcpy(&a, s.p, 8);
    memcpy(&b, s.p + s.len - 8, 8);
  } else {
    memcpy(&a, s.p, s.len);
  }
  uint64_t h = (a ^ (b >> 1) ^ (uint64_t)s.len) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(h >> 56);
}

static uint32_t add(tv_intern_t *t, tv_str_t s, bool copy, int *is_new) {
  uint32_t r = recent_slot(s), rid = t->recent[r];
  if (rid < t->n && t->strs[rid].len == s.len && memcmp(t->strs[rid].p, s.p, s.len) == 0) {
    if (is_new) *is_new = 0;
    return rid;
  }
  uint32_t h = tv_hash_bytes(s.p, s.len), slot = 0;
  uint32_t id = lookup(t, s, h, &slot);
  if (is_new) *is_new = id == UINT32_MAX;
  if (id != UINT32_MAX) {
    t->recent[r] = id;
    return id;
  }
  if (t->n == UINT32_MAX - 1) return UINT32_MAX;
  if (t->n == t->cap) {
    uint32_t cap = t->cap * 2;
    tv_str_t *strs = realloc(t->strs, cap * sizeof *strs);
    if (!strs) return UINT32_MAX;
    t->strs = strs;
    uint32_t *hashes = realloc(t->hashes, cap * sizeof *hashes);
    if (!hashes) return UINT32_MAX;
    t->hashes = hashes;
    t->cap = cap;
  }
  if (copy && s.len) {
    char *d = tv_intern_copy(t, s.p, s.len);
    if (!d) return UINT32_MAX;
    s.p = d;
  }
  id = t->n++;
  t->strs[id] = s;
  t->hashes[id] = h;
  t->recent[r] = id;
  t->slots[slot] = (uint64_t)h << 32 | (id + 1);
  if ((uint64_t)t->n * 2 > (uint64_t)t->mask + 1 && grow_slots(t) != 0) {
    /* The string is stored; the table is just fuller than it likes. */
  }
  return id;
}

uint32_t tv_intern(tv_intern_t *t, tv_str_t s, int *is_new) { return add(t, s, false, is_new); }

uint32_t tv_intern_copied(tv_intern_t *t, tv_str_t s, int *is_new) {
  return add(t, s, true, is_new);
}

char *tv_intern_alloc(tv_intern_t *t, size_t len) {
  tv_arena_block_t *b = t->arena;
  if (!b || b->cap - b->used < len) {
    size_t cap = len > 60000 ? len : 65536 - sizeof *b;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = t->arena;
    b->used = 0;
    b->cap = cap;
    t->arena = b;
    t->arena_bytes += sizeof *b + cap;
  }
  char *p = b->data + b->used;
  b->used += len;
  return p;
}

char *tv_intern_copy(tv_intern_t *t, const char *p, size_t len) {
  char *d = tv_intern_alloc(t, len ? len : 1);
  if (d && len) memcpy(d, p, len);
  return d;
}

int tv_intern_own(tv_intern_t *t, const char *base, size_t len) {
  uintptr_t lo = (uintptr_t)base, hi = lo + len;
  for (uint32_t id = 1; id < t->n; id++) {
    tv_str_t s = t->strs[id];
    uintptr_t p = (uintptr_t)s.p;
    if (p < lo || p >= hi) continue; /* already a copy */
    char *d = tv_intern_copy(t, s.p, s.len);
    if (!d) return TV_ENOMEM;
    t->strs[id].p = d; /* same bytes, same hash: the slots stay valid */
  }
  return 0;
}

size_t tv_intern_bytes(const tv_intern_t *t) {
  return (size_t)t->cap * (sizeof *t->strs + sizeof *t->hashes) +
         ((size_t)t->mask + 1) * sizeof *t->slots + t->arena_bytes;
}

void tv_intern_adopt_arena(tv_intern_t *dst, tv_intern_t *src) {
  if (!src->arena) return;
  tv_arena_block_t *last = src->arena;
  while (last->next) last = last->next;
  last->next = dst->arena;
  dst->arena = src->arena;
  dst->arena_bytes += src->arena_bytes;
  src->arena = NULL;
  src->arena_bytes = 0;
}

int tv_intern_load(tv_intern_t *t, uint32_t n, const uint32_t *lens, const char *bytes,
                   uint32_t *hashes) {
  if (n == 0 || lens[0] != 0) return TV_EFORMAT; /* id 0 is always "" */
  tv_str_t *strs = malloc((size_t)n * sizeof *strs);
  uint32_t nslots = 128;
  while ((uint64_t)n * 2 > nslots) nslots *= 2;
  uint64_t *slots = calloc(nslots, sizeof *slots);
  if (!strs || !slots) {
    free(strs);
    free(slots);
    return TV_ENOMEM;
  }
  size_t pos = 0;
  for (uint32_t id = 0; id < n; id++) {
    strs[id] = tv_str(bytes + pos, lens[id]);
    pos += lens[id];
    uint32_t i = hashes[id] & (nslots - 1);
    while (slots[i]) i = (i + 1) & (nslots - 1);
    slots[i] = (uint64_t)hashes[id] << 32 | (id + 1);
  }
  free(t->strs);
  free(t->hashes);
  free(t->slots);
  t->strs = strs;
  t->hashes = hashes;
  t->slots = slots;
  t->mask = nslots - 1;
  t->n = t->cap = n;
  memset(t->recent, 0, sizeof t->recent);
  return 0;
}
