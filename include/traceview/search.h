/* search.h: find slices by name or detail (substring or regular expression).
 *
 * Two steps, so the cost follows the number of distinct strings first and
 * only then the number of slices: the pattern is matched against the text of
 * every distinct string (demangled), then slices are counted by a lookup of
 * their name and detail ids in the verdict table. */
#ifndef TRACEVIEW_SEARCH_H
#define TRACEVIEW_SEARCH_H

#include <stdbool.h>
#include <stdint.h>
#include "traceview/error.h"
#include "traceview/store.h"

typedef struct tv_search_opts {
  const char *pattern;
  bool regex;          /* POSIX extended; else a plain substring */
  bool case_sensitive;
  int64_t t0, t1;      /* absolute ns; t0 >= t1: the whole trace */
  const bool *threads; /* per store thread, or NULL */
  size_t limit;        /* results kept */
  bool by_time;        /* results ordered by start instead of duration */
  double budget_s;     /* time allowed for matching the strings */
  /* text for a string id (e.g. a cache of demangled text); NULL: demangle here */
  const char *(*text)(void *ud, uint32_t id, size_t *len);
  void *text_ud;
} tv_search_opts_t;

typedef struct tv_search_hit {
  uint32_t thread;
  uint64_t row;
} tv_search_hit_t;

typedef struct tv_search {
  uint64_t count;          /* matching slices in the selection */
  uint8_t *matched;        /* per string id: 1 when its text matches */
  uint32_t n_strings;
  uint32_t strings_matched;
  tv_search_hit_t *hits;   /* best first, at most limit */
  size_t n_hits;
} tv_search_t;

/** runs the search; TV_EUSAGE with err for a bad or too slow pattern */
int tv_search_run(const tv_store_t *st, const tv_search_opts_t *o, tv_search_t *out,
                  tv_error_t *err);
void tv_search_free(tv_search_t *s);

#endif
