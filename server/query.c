/* query.c: grouped statistics over slices.
 *
 * Work per slice is two array lookups (filter verdict and group of its
 * string id); regex matching, demangling and key hashing happen once per
 * distinct string, so the cost follows the number of distinct names, not
 * the number of events. */
#include "traceview/query.h"
#include "traceview/demangle.h"
#include "traceview/flame.h"
#include "traceview/lod.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const group_names[] = {"name", "detail", "category", "thread", "crate"};
static const char *const sort_names[] = {"total", "self", "count", "avg", "max", "key"};

int tv_regex_check(const char *pattern, tv_error_t *err) {
  size_t len = strlen(pattern);
  if (len == 0 || len > 256)
    return tv_error_set(err, TV_EUSAGE, NULL, -1, "the regular expression must be 1..256 bytes");
  int depth = 0, bounded = 0;
  long product = 1; /* nested bounds multiply what regcomp builds: (x{1,100}){1,100} */
  bool after_rep = false; /* the previous token was a repetition operator */
  for (const char *p = pattern; *p; p++) {
    /* Stacked repetitions (a++, a*+, a{2}{2}) are undefined in POSIX, and
     * glibc copies the repeated tree for each '+' or bound: a+++...+ doubles
     * its memory per '+' (the HTTP parameter fuzzer found 1 GB at 40). */
    bool rep = *p == '*' || *p == '+' || *p == '?' || *p == '{';
    if (rep && after_rep)
      return tv_error_set(err, TV_EUSAGE, NULL, -1,
                          "the regular expression stacks repetition operators ('%c' right after "
                          "another): use one (POSIX has no lazy '*?' or possessive '++')", *p);
    after_rep = rep;
    if (*p == '\\' && p[1]) {
      p++;
      continue;
    }
    if (*p == '[') { /* a bracket expression holds no groups or repetitions */
      const char *q = p + 1;
      if (*q == '^') q++;
      if (*q == ']') q++;
      while (*q && *q != ']') q++;
      if (!*q) break; /* regcomp reports it */
      p = q;
      continue;
    }
    if (*p == '(' && ++depth > 16)
      return tv_error_set(err, TV_EUSAGE, NULL, -1,
                          "the regular expression nests groups more than 16 deep");
    if (*p == ')' && depth > 0) depth--;
    if (*p == '{') {
      char *end;
      long lo = strtol(p + 1, &end, 10), hi = lo;
      if (*end == ',') hi = end[1] == '}' ? 100 : strtol(end + 1, &end, 10);
      if (*end == '}') p = end; /* the bound is one token: what follows it is stacked */
      long most = lo > hi ? lo : hi;
      if (most > 100 || ++bounded > 4 || (product *= (most > 1 ? most : 1)) > 1000)
        return tv_error_set(err, TV_EUSAGE, NULL, -1,
                            "the regular expression is too costly: use at most 4 bounded "
                            "repetitions {m,n}, with m and n up to 100 and their bounds "
                            "multiplying to at most 1000");
    }
  }
  return 0;
}

int tv_group_by_parse(const char *s) {
  for (int i = 0; i < 5; i++)
    if (strcmp(s, group_names[i]) == 0) return i;
  if (strcmp(s, "cat") == 0) return TV_GROUP_CATEGORY;
  return -1;
}

const char *tv_group_by_name(tv_group_by_t g) { return group_names[g]; }

int tv_sort_by_parse(const char *s) {
  for (int i = 0; i < 6; i++)
    if (strcmp(s, sort_names[i]) == 0) return i;
  return -1;
}

typedef struct acc {
  uint64_t count;
  int64_t total_ns, self_ns, max_ns;
  uint32_t max_thread;
  uint64_t max_slice;
} acc_t;

#define EXCLUDED (UINT32_MAX - 1) /* a slice the filter leaves out */

typedef struct qctx {
  const tv_store_t *store;
  const tv_summary_opts_t *opts;
  tv_summary_t *out;
  acc_t *accs;
  size_t cap_accs;
  const regex_t *re;        /* name filter, or NULL */
  int8_t *name_ok;          /* per string id: -1 unknown, 0/1 verdict */
  uint32_t *group_of;       /* per member (string id, category, thread) */
  bool failed;              /* out of memory */
} qctx_t;

/* Interns a key; its id is the group index. Returns UINT32_MAX on OOM. */
static uint32_t group_for_key(qctx_t *q, const char *p, size_t len) {
  tv_intern_t *keys = &q->out->keys;
  int is_new;
  uint32_t id = tv_intern(keys, tv_str(p, len), &is_new);
  if (id == UINT32_MAX) return id;
  if (is_new) {
    /* Keys must outlive the caller's buffer: copy them into the arena, NUL-terminated. */
    char *copy = tv_intern_alloc(keys, len + 1);
    if (!copy) return UINT32_MAX;
    memcpy(copy, p, len);
    copy[len] = '\0';
    keys->strs[id].p = copy;
  }
  if (id >= q->cap_accs) {
    size_t cap = q->cap_accs ? q->cap_accs * 2 : 256;
    while (cap <= id) cap *= 2;
    acc_t *a = realloc(q->accs, cap * sizeof *a);
    if (!a) return UINT32_MAX;
    memset(a + q->cap_accs, 0, (cap - q->cap_accs) * sizeof *a);
    q->accs = a;
    q->cap_accs = cap;
  }
  return id;
}

/* Key of a string id for name/detail/crate grouping. */
static uint32_t group_for_string(qctx_t *q, uint32_t sid, const char *empty_key) {
  tv_str_t s = tv_store_str(q->store, sid);
  if (s.len == 0) return group_for_key(q, empty_key, strlen(empty_key));
  char *dem = NULL;
  const char *p = s.p;
  size_t len = s.len;
  if (q->opts->group_by == TV_GROUP_CRATE) {
    tv_str_t root = q->opts->demangle ? tv_text_root(s.p, s.len, &dem) : tv_symbol_root(s.p, s.len);
    p = root.p;
    len = root.len;
  } else if (q->opts->demangle && (dem = tv_demangle_text(s.p, s.len)) != NULL) {
    p = dem;
    len = strlen(dem);
  }
  uint32_t g = group_for_key(q, p, len);
  free(dem);
  return g;
}

static int name_matches(const regex_t *re, tv_str_t s) {
  char stack[256];
  char *buf = s.len < sizeof stack ? stack : malloc(s.len + 1);
  if (!buf) return 0;
  memcpy(buf, s.p, s.len);
  buf[s.len] = '\0';
  int ok = regexec(re, buf, 0, NULL, 0) == 0;
  if (buf != stack) free(buf);
  return ok;
}

static int cmp_rows(const void *x, const void *y, void *ctx) {
  const tv_summary_row_t *a = x, *b = y;
  int64_t va = 0, vb = 0;
  switch (*(const tv_sort_by_t *)ctx) {
    case TV_SORT_TOTAL: va = a->total_ns; vb = b->total_ns; break;
    case TV_SORT_SELF: va = a->self_ns; vb = b->self_ns; break;
    case TV_SORT_COUNT: va = (int64_t)a->count; vb = (int64_t)b->count; break;
    case TV_SORT_AVG:
      va = a->count ? a->total_ns / (int64_t)a->count : 0;
      vb = b->count ? b->total_ns / (int64_t)b->count : 0;
      break;
    case TV_SORT_MAX: va = a->max_ns; vb = b->max_ns; break;
    case TV_SORT_KEY: break;
  }
  if (va != vb) return va > vb ? -1 : 1;
  return strcmp(a->key, b->key);
}

static uint32_t thread_group(qctx_t *q, uint32_t ti) {
  const tv_thread_t *th = &q->store->t.threads[ti];
  char key[600];
  tv_str_t nm = tv_store_str(q->store, th->name);
  if (nm.len)
    snprintf(key, sizeof key, "%.*s", (int)(nm.len < 500 ? nm.len : 500), nm.p);
  else
    snprintf(key, sizeof key, "%lld:%lld", (long long)th->pid, (long long)th->tid);
  return group_for_key(q, key, strlen(key));
}

/* The group of a slice, EXCLUDED when the filter drops it, UINT32_MAX on
 * out of memory. Everything costly is cached per distinct member. */
static uint32_t slice_group(qctx_t *q, uint32_t ti, uint64_t row) {
  const tv_tables_t *t = &q->store->t;
  const tv_slices_t *s = &t->threads[ti].slices;
  uint32_t nm = s->name[row];
  if (q->re) {
    if (q->name_ok[nm] < 0) q->name_ok[nm] = (int8_t)name_matches(q->re, tv_store_str(q->store, nm));
    if (!q->name_ok[nm]) return EXCLUDED;
  }
  uint32_t member, *g;
  const char *empty = "(no name)";
  switch (q->opts->group_by) {
    case TV_GROUP_NAME: member = nm; break;
    case TV_GROUP_DETAIL: member = s->detail[row]; empty = "(no detail)"; break;
    case TV_GROUP_CRATE: member = s->detail[row] ? s->detail[row] : nm; break;
    case TV_GROUP_CATEGORY: {
      uint16_t c = s->cat[row];
      g = &q->group_of[c];
      if (*g == UINT32_MAX) {
        tv_str_t cs = c < t->n_cats ? tv_store_str(q->store, t->cats[c]) : TV_STR_LIT("(other)");
        if (cs.len == 0) cs = TV_STR_LIT("(none)");
        *g = group_for_key(q, cs.p, cs.len);
      }
      return *g;
    }
    default:
      g = &q->group_of[ti];
      if (*g == UINT32_MAX) *g = thread_group(q, ti);
      return *g;
  }
  g = &q->group_of[member];
  if (*g == UINT32_MAX) *g = group_for_string(q, member, empty);
  return *g;
}

static void account(qctx_t *q, uint32_t g, uint32_t ti, uint64_t row, int64_t dur, int64_t self) {
  acc_t *a = &q->accs[g];
  a->count++;
  a->total_ns = tv_sat_add(a->total_ns, dur);
  a->self_ns = tv_sat_add(a->self_ns, self);
  if (dur > a->max_ns || a->count == 1) {
    a->max_ns = dur;
    a->max_thread = ti;
    a->max_slice = row;
  }
}

/* Range walk: a slice's self time inside the range is its clipped duration
 * minus the part of each child inside both the range and the slice. */
static uint32_t on_range_slice(void *ud, uint32_t ti, uint64_t row, uint64_t parent_row,
                               uint32_t parent_tag, int64_t clipped) {
  qctx_t *q = ud;
  if (q->failed) return 0;
  uint32_t g = slice_group(q, ti, row);
  if (g == UINT32_MAX) {
    q->failed = true;
    return 0;
  }
  if (parent_tag) {
    const tv_slices_t *s = &q->store->t.threads[ti].slices;
    int64_t start = s->start_ns[row], end = start + s->dur_ns[row];
    int64_t pend = s->start_ns[parent_row] + s->dur_ns[parent_row];
    int64_t lo = start > q->opts->t0 ? start : q->opts->t0;
    int64_t hi = end < pend ? end : pend;
    if (hi > q->opts->t1) hi = q->opts->t1;
    acc_t *pa = &q->accs[parent_tag - 1];
    if (hi > lo) pa->self_ns -= hi - lo;
  }
  if (g == EXCLUDED) return 0;
  account(q, g, ti, row, clipped, clipped);
  return g + 1;
}

int tv_summary_compute(const tv_store_t *store, const tv_summary_opts_t *opts,
                       tv_summary_t *out, tv_error_t *err) {
  memset(out, 0, sizeof *out);
  int rc = TV_ENOMEM;
  regex_t re;
  bool have_re = false;
  if (opts->filter) {
    if (tv_regex_check(opts->filter, err) != 0) return TV_EUSAGE;
    int e = regcomp(&re, opts->filter, REG_EXTENDED | REG_NOSUB);
    if (e != 0) {
      char msg[256];
      regerror(e, &re, msg, sizeof msg);
      return tv_error_set(err, TV_EUSAGE, NULL, -1, "bad --filter regular expression '%s': %s",
                          opts->filter, msg);
    }
    have_re = true;
  }
  const tv_tables_t *t = &store->t;
  qctx_t q = {.store = store, .opts = opts, .out = out, .re = have_re ? &re : NULL};
  static const tv_match_field_t fields[] = {TV_MATCH_NAME, TV_MATCH_DETAIL, TV_MATCH_CATEGORY,
                                            TV_MATCH_THREAD, TV_MATCH_SYMBOL};
  out->match_field = fields[opts->group_by];
  out->n_members = opts->group_by == TV_GROUP_CATEGORY ? 65536
                   : opts->group_by == TV_GROUP_THREAD ? t->n_threads + 1
                                                       : t->strings.n;
  if (tv_intern_init(&out->keys) != 0) goto done;
  q.name_ok = malloc(t->strings.n);
  q.group_of = malloc(out->n_members * sizeof *q.group_of);
  if (!q.name_ok || !q.group_of) goto done;
  memset(q.name_ok, -1, t->strings.n);
  memset(q.group_of, 0xff, out->n_members * sizeof *q.group_of);

  bool ranged = opts->t0 < opts->t1 || opts->threads;
  if (ranged) {
    tv_summary_opts_t whole = *opts;
    if (whole.t0 >= whole.t1) {
      whole.t0 = INT64_MIN;
      whole.t1 = INT64_MAX;
    }
    q.opts = &whole;
    uint64_t n = tv_walk_range(store, opts->threads, whole.t0, whole.t1, on_range_slice, &q);
    q.opts = opts;
    if (n == UINT64_MAX || q.failed) goto done;
  } else {
    /* The whole trace: no range walk; self times from tv_self_walk, a pass
     * over each depth and the depth below it, a chunk of rows at a time. */
    for (uint32_t ti = 0; ti < t->n_threads; ti++) {
      const tv_thread_t *th = &t->threads[ti];
      if (!tv_thread_selected(th, opts->threads, ti)) continue;
      const tv_slices_t *s = &th->slices;
      tv_self_walk_t w;
      if (tv_self_walk_init(&w, th) != 0) goto done;
      for (uint64_t i = 0; i < s->n; i++) {
        uint32_t g = slice_group(&q, ti, i);
        if (g == EXCLUDED) continue;
        if (g == UINT32_MAX) {
          tv_self_walk_free(&w);
          goto done;
        }
        account(&q, g, ti, i, s->dur_ns[i], tv_self_walk_next(&w, i));
      }
      tv_self_walk_free(&w);
    }
  }

  out->rows = calloc(out->keys.n ? out->keys.n : 1, sizeof *out->rows);
  if (!out->rows) goto done;
  for (uint32_t g = 0; g < out->keys.n && g < q.cap_accs; g++) {
    const acc_t *a = &q.accs[g];
    if (!a->count) continue;
    tv_summary_row_t *r = &out->rows[out->n_rows++];
    r->key = out->keys.strs[g].p;
    r->key_group = g;
    r->count = a->count;
    r->total_ns = a->total_ns;
    r->self_ns = a->self_ns > 0 ? a->self_ns : 0;
    r->max_ns = a->max_ns;
    r->max_thread = a->max_thread;
    r->max_slice = a->max_slice;
    out->events += a->count;
    out->total_ns = tv_sat_add(out->total_ns, r->total_ns);
    out->self_ns = tv_sat_add(out->self_ns, r->self_ns);
  }
  tv_sort_by_t sort_by = opts->sort_by;
  qsort_r(out->rows, out->n_rows, sizeof *out->rows, cmp_rows, &sort_by);
  out->member_group = q.group_of;
  q.group_of = NULL;
  rc = 0;
done:
  if (have_re) regfree(&re);
  free(q.name_ok);
  free(q.group_of);
  free(q.accs);
  if (rc) {
    tv_summary_free(out);
    return tv_error_set(err, rc, NULL, -1, "out of memory");
  }
  return 0;
}

void tv_summary_free(tv_summary_t *sum) {
  if (!sum) return;
  free(sum->rows);
  free(sum->member_group);
  tv_intern_free(&sum->keys);
  memset(sum, 0, sizeof *sum);
}
