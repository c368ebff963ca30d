/* query.h: statistics over the store, grouped by a key (the engine behind
 * `traceview summary` and, later, the statistics view). */
#ifndef TRACEVIEW_QUERY_H
#define TRACEVIEW_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include "traceview/error.h"
#include "traceview/store.h"

typedef enum tv_group_by {
  TV_GROUP_NAME,
  TV_GROUP_DETAIL,
  TV_GROUP_CATEGORY,
  TV_GROUP_THREAD,
  TV_GROUP_CRATE,
} tv_group_by_t;

typedef enum tv_sort_by {
  TV_SORT_TOTAL,
  TV_SORT_SELF,
  TV_SORT_COUNT,
  TV_SORT_AVG,
  TV_SORT_MAX,
  TV_SORT_KEY,
} tv_sort_by_t;

typedef struct tv_summary_opts {
  tv_group_by_t group_by;
  tv_sort_by_t sort_by;
  const char *filter; /* POSIX extended regex on the slice name, or NULL */
  bool demangle;      /* demangle names and details that are mangled symbols */
  int64_t t0, t1;     /* absolute ns range; t0 >= t1: the whole trace. Slices
                         partly inside are clipped (docs/api.md, "Ranges") */
  const bool *threads; /* per store thread, or NULL for all */
} tv_summary_opts_t;

/* Which slices a row covers, for highlighting: members are string ids
 * (name, detail, or symbol = detail else name), category indexes, or store
 * thread indexes. */
typedef enum tv_match_field {
  TV_MATCH_NAME,
  TV_MATCH_DETAIL,
  TV_MATCH_SYMBOL,
  TV_MATCH_CATEGORY,
  TV_MATCH_THREAD,
} tv_match_field_t;

typedef struct tv_summary_row {
  const char *key;    /* NUL-terminated, owned by the summary */
  uint32_t key_group; /* group index (see member_group) */
  uint64_t count;
  int64_t total_ns, self_ns, max_ns;
  uint32_t max_thread; /* where the longest occurrence is: thread index */
  uint64_t max_slice;  /* and slice index in that thread */
} tv_summary_row_t;

typedef struct tv_summary {
  tv_summary_row_t *rows; /* sorted as asked */
  size_t n_rows;
  uint64_t events;        /* slices that passed the filter */
  int64_t total_ns, self_ns;
  tv_match_field_t match_field;
  uint32_t *member_group; /* member (see tv_match_field_t) -> group, UINT32_MAX if none */
  size_t n_members;
  tv_intern_t keys;       /* private: key strings */
} tv_summary_t;

/** Refuses regular expressions that make glibc's regcomp explode in time,
 *  memory or stack (bounded repetitions like (.*){1,32000}, deep nesting):
 *  at most 256 bytes, 16 levels of groups, repetition bounds up to 100 and 4
 *  bounded repetitions. 0, or TV_EUSAGE with a message in err. */
int tv_regex_check(const char *pattern, tv_error_t *err);

/** parses "name", "detail", ...; -1 when unknown */
int tv_group_by_parse(const char *s);
const char *tv_group_by_name(tv_group_by_t g);
int tv_sort_by_parse(const char *s);

/** computes the summary; TV_EUSAGE with err for a bad regex */
int tv_summary_compute(const tv_store_t *store, const tv_summary_opts_t *opts,
                       tv_summary_t *out, tv_error_t *err);
void tv_summary_free(tv_summary_t *sum);

#endif
