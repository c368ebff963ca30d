/* intern.h: string interning. Every distinct string gets a dense uint32 id;
 * id 0 is always the empty string, so a zeroed column means "none".
 *
 * Strings are views: the table stores pointers, not copies. A view must stay
 * valid as long as the table (views into the mapped file, or copies made with
 * tv_intern_copy, which live in the table's own arena). */
#ifndef TRACEVIEW_INTERN_H
#define TRACEVIEW_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include "traceview/str.h"

#define TV_NO_STRING 0u

typedef struct tv_arena_block tv_arena_block_t;

typedef struct tv_intern {
  tv_str_t *strs;      /* private: id -> string */
  uint32_t *hashes;    /* private: id -> hash */
  uint32_t n, cap;     /* read-only n: number of strings including "" */
  uint64_t *slots;     /* private: open addressing, hash << 32 | (id + 1), 0 = empty
                          (the hash in the slot keeps most probes off strs) */
  uint32_t mask;       /* private: slot count - 1 */
  tv_arena_block_t *arena; /* private: copies made by tv_intern_copy */
  uint32_t recent[256];    /* private: ids of recently interned strings, by a
                              cheap index of their bytes: a trace repeats the
                              same name or symbol in event after event, and a
                              hit costs one compare instead of hash and probe */
  size_t arena_bytes;  /* read-only: bytes held by the arena */
} tv_intern_t;

/** initialises an empty table holding only "" (id 0); 0 or TV_ENOMEM */
int tv_intern_init(tv_intern_t *t);
void tv_intern_free(tv_intern_t *t);
/** id of s, adding a view of it when new. Returns UINT32_MAX on out of memory.
 *  *is_new (may be NULL) tells whether it was added. */
uint32_t tv_intern(tv_intern_t *t, tv_str_t s, int *is_new);
/** as tv_intern, but a new string is copied into the table's arena: lookups
 *  then compare against compact copies, not bytes scattered over the file */
uint32_t tv_intern_copied(tv_intern_t *t, tv_str_t s, int *is_new);
/** id of s or UINT32_MAX when absent; never adds */
uint32_t tv_intern_find(const tv_intern_t *t, tv_str_t s);
/** copies len bytes into the table's arena (for decoded strings); NULL on OOM */
char *tv_intern_copy(tv_intern_t *t, const char *p, size_t len);
/** allocates len bytes in the arena; NULL on OOM */
char *tv_intern_alloc(tv_intern_t *t, size_t len);
static inline tv_str_t tv_intern_str(const tv_intern_t *t, uint32_t id) {
  return t->strs[id];
}
/** moves src's arena blocks (its decoded strings) to dst, so views into them
 *  stay valid after src is freed */
void tv_intern_adopt_arena(tv_intern_t *dst, tv_intern_t *src);
/** copies into the arena every string that is a view into [base, base+len)
 *  (a mapped file), so the table no longer reads that memory; 0 or TV_ENOMEM
 *  (then some strings are still views) */
int tv_intern_own(tv_intern_t *t, const char *base, size_t len);
/** Rebuilds t (initialised, still empty) from saved strings (the index
 *  cache): n strings, lens[id] bytes each, end to end in bytes (which must
 *  live as long as t: allocate them with tv_intern_alloc on t), with their
 *  tv_hash_bytes values in hashes (malloc'd; the table takes it). 0 or
 *  TV_E*; on error hashes still belongs to the caller. */
int tv_intern_load(tv_intern_t *t, uint32_t n, const uint32_t *lens, const char *bytes,
                   uint32_t *hashes);
/** bytes used by the table (not counting mapped strings) */
size_t tv_intern_bytes(const tv_intern_t *t);
/** the hash used by the table (exposed for tests and other tables) */
uint32_t tv_hash_bytes(const char *p, size_t len);

#endif
