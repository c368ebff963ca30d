/* search.c: slices whose name or detail matches a pattern (see search.h).
 *
 * Hostile patterns: glibc's regexec does not backtrack for ERE without back
 * references, but a pattern can still be slow on long strings, so matching
 * checks the clock every 64 strings and gives up past the budget; strings
 * are tested on their first 4 KiB and patterns are at most 256 bytes. */
#include "traceview/search.h"
#include "traceview/demangle.h"
#include "traceview/flame.h"
#include "traceview/query.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PATTERN 256
#define MAX_TESTED_TEXT 4096

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool contains(const char *hay, size_t n, const char *needle, size_t m, bool cs) {
  if (m == 0) return true;
  if (cs) return n >= m && memmem(hay, n, needle, m) != NULL;
  for (size_t i = 0; i + m <= n; i++) {
    size_t k = 0;
    while (k < m && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k])) k++;
    if (k == m) return true;
  }
  return false;
}

typedef struct hit_heap {
  tv_search_hit_t *h;
  int64_t *key; /* larger is better (duration, or -start) */
  size_t n, cap;
} hit_heap_t;

/* A min-heap of the best `cap` hits: the root is the worst kept. */
static void heap_offer(hit_heap_t *hp, int64_t key, uint32_t thread, uint64_t row) {
  if (hp->cap == 0) return;
  size_t i;
  if (hp->n < hp->cap) {
    i = hp->n++;
    while (i > 0 && hp->key[(i - 1) / 2] > key) {
      hp->key[i] = hp->key[(i - 1) / 2];
      hp->h[i] = hp->h[(i - 1) / 2];
      i = (i - 1) / 2;
    }
  } else {
    if (key <= hp->key[0]) return;
    i = 0;
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      int64_t mk = key;
      if (l < hp->n && hp->key[l] < mk) m = l, mk = hp->key[l];
      if (r < hp->n && hp->key[r] < mk) m = r;
      if (m == i) break;
      hp->key[i] = hp->key[m];
      hp->h[i] = hp->h[m];
      i = m;
    }
  }
  hp->key[i] = key;
  hp->h[i] = (tv_search_hit_t){thread, row};
}

typedef struct walk_ctx {
  const tv_store_t *st;
  const uint8_t *matched;
  hit_heap_t heap;
  uint64_t count;
  bool by_time;
} walk_ctx_t;

static void consider(walk_ctx_t *w, uint32_t ti, uint64_t row, int64_t clipped) {
  const tv_slices_t *s = &w->st->t.threads[ti].slices;
  if (!w->matched[s->name[row]] && !w->matched[s->detail[row]]) return;
  w->count++;
  heap_offer(&w->heap, w->by_time ? -s->start_ns[row] : clipped, ti, row);
}

static uint32_t on_slice(void *ud, uint32_t ti, uint64_t row, uint64_t parent_row,
                         uint32_t parent_tag, int64_t clipped) {
  (void)parent_row;
  (void)parent_tag;
  consider(ud, ti, row, clipped);
  return 0;
}

static int cmp_key_desc(const void *x, const void *y, void *ctx) {
  const int64_t *key = ctx;
  int64_t a = key[*(const size_t *)x], b = key[*(const size_t *)y];
  return a > b ? -1 : a < b;
}

int tv_search_run(const tv_store_t *st, const tv_search_opts_t *o, tv_search_t *out,
                  tv_error_t *err) {
  memset(out, 0, sizeof *out);
  size_t plen = o->pattern ? strlen(o->pattern) : 0;
  if (plen == 0 || plen > MAX_PATTERN)
    return tv_error_set(err, TV_EUSAGE, NULL, -1, "the search pattern must be 1..%d bytes",
                        MAX_PATTERN);
  regex_t re;
  if (o->regex && tv_regex_check(o->pattern, err) != 0) return TV_EUSAGE;
  if (o->regex) {
    int e = regcomp(&re, o->pattern, REG_EXTENDED | REG_NOSUB | (o->case_sensitive ? 0 : REG_ICASE));
    if (e) {
      char msg[200];
      regerror(e, &re, msg, sizeof msg);
      return tv_error_set(err, TV_EUSAGE, NULL, -1, "bad regular expression: %s", msg);
    }
  }
  int rc = 0;
  out->n_strings = st->t.strings.n;
  out->matched = calloc(out->n_strings ? out->n_strings : 1, 1);
  char *buf = malloc(MAX_TESTED_TEXT + 1);
  walk_ctx_t w = {.st = st, .by_time = o->by_time};
  w.heap.cap = o->limit;
  w.heap.h = malloc((o->limit ? o->limit : 1) * sizeof *w.heap.h);
  w.heap.key = malloc((o->limit ? o->limit : 1) * sizeof *w.heap.key);
  if (!out->matched || !buf || !w.heap.h || !w.heap.key) {
    rc = tv_error_set(err, TV_ENOMEM, NULL, -1, "out of memory");
    goto done;
  }
  /* 1. every distinct name and detail once (not categories, metadata or
   * LLVM totals' names: they are not what a search finds) */
  uint8_t *used = calloc(out->n_strings ? out->n_strings : 1, 1);
  if (!used) {
    rc = tv_error_set(err, TV_ENOMEM, NULL, -1, "out of memory");
    goto done;
  }
  for (uint32_t ti = 0; ti < st->t.n_threads; ti++) {
    const tv_slices_t *sl = &st->t.threads[ti].slices;
    for (uint64_t r = 0; r < sl->n; r++) used[sl->name[r]] = used[sl->detail[r]] = 1;
  }
  double deadline = now_s() + (o->budget_s > 0 ? o->budget_s : 2.0);
  for (uint32_t id = 1; id < out->n_strings; id++) {
    if (!used[id]) continue;
    if ((id & 63) == 0 && now_s() > deadline) {
      free(used);
      rc = tv_error_set(err, TV_EUSAGE, NULL, -1,
                        "the pattern took too long to match; simplify it");
      goto done;
    }
    size_t len;
    const char *text;
    char *owned = NULL;
    if (o->text) {
      text = o->text(o->text_ud, id, &len);
    } else {
      tv_str_t raw = tv_store_str(st, id);
      owned = tv_demangle_text(raw.p, raw.len);
      text = owned ? owned : raw.p;
      len = owned ? strlen(owned) : raw.len;
    }
    if (len > MAX_TESTED_TEXT) len = MAX_TESTED_TEXT;
    bool hit;
    if (o->regex) {
      memcpy(buf, text, len);
      buf[len] = '\0';
      hit = regexec(&re, buf, 0, NULL, 0) == 0;
    } else {
      hit = contains(text, len, o->pattern, plen, o->case_sensitive);
    }
    free(owned);
    if (hit) {
      out->matched[id] = 1;
      out->strings_matched++;
    }
  }
  free(used);
  /* 2. slices, only when some string matched */
  if (out->strings_matched) {
    w.matched = out->matched;
    if (o->t0 < o->t1 || o->threads) {
      int64_t t0 = o->t0 < o->t1 ? o->t0 : INT64_MIN, t1 = o->t0 < o->t1 ? o->t1 : INT64_MAX;
      if (tv_walk_range(st, o->threads, t0, t1, on_slice, &w) == UINT64_MAX) {
        rc = tv_error_set(err, TV_ENOMEM, NULL, -1, "out of memory");
        goto done;
      }
    } else {
      for (uint32_t ti = 0; ti < st->t.n_threads; ti++)
        for (uint64_t r = 0; tv_thread_selected(&st->t.threads[ti], NULL, ti) &&
                             r < st->t.threads[ti].slices.n; r++)
          consider(&w, ti, r, st->t.threads[ti].slices.dur_ns[r]);
    }
  }
  out->count = w.count;
  /* Best first. */
  size_t *order = malloc((w.heap.n ? w.heap.n : 1) * sizeof *order);
  out->hits = malloc((w.heap.n ? w.heap.n : 1) * sizeof *out->hits);
  if (!order || !out->hits) {
    free(order);
    rc = tv_error_set(err, TV_ENOMEM, NULL, -1, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < w.heap.n; i++) order[i] = i;
  qsort_r(order, w.heap.n, sizeof *order, cmp_key_desc, w.heap.key);
  for (size_t i = 0; i < w.heap.n; i++) out->hits[i] = w.heap.h[order[i]];
  out->n_hits = w.heap.n;
  free(order);
done:
  if (o->regex) regfree(&re);
  free(buf);
  free(w.heap.h);
  free(w.heap.key);
  if (rc) tv_search_free(out);
  return rc;
}

void tv_search_free(tv_search_t *s) {
  if (!s) return;
  free(s->matched);
  free(s->hits);
  memset(s, 0, sizeof *s);
}
