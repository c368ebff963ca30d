/* lanes.c: async slices, spans and flows, resolved once every chunk of the
 * input has been merged (their begin and end, or parent and child, may be
 * far apart in the file).
 *
 * 1. Chrome async events are matched per key (category + id + scope, and
 *    the pid for process-local ids): nestable b/e pair like a stack, n is a
 *    zero-length slice inside the open one, legacy S opens and F closes (T
 *    steps are counted, not drawn). Unclosed ones end with the trace.
 * 2. Spans (async slices, Jaeger and OTLP spans) are laid out per process
 *    on lanes: threads of kind TV_THREAD_ASYNC or TV_THREAD_SPANS whose
 *    slices nest properly. A span goes to its parent's lane when it fits
 *    inside it there, else to the first lane where it fits, else a new one.
 * 3. Flow steps s/t/f with the same id become arrows between consecutive
 *    steps; span links become arrows from the linked span to the linking
 *    one. Both are kept sorted by their start. */
#include "traceview/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANES 4096 /* per process and kind; beyond, spans share lanes (overlapping) */

/* ---- 1. async matching ---- */

static int cmp_async(const void *x, const void *y, void *ud) {
  const tv_async_mark_t *m = ud;
  const tv_async_mark_t *a = &m[*(const size_t *)x], *b = &m[*(const size_t *)y];
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns ? -1 : 1;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  return i < j ? -1 : i > j; /* file order */
}

/* qsort_r is a GNU extension; a tiny merge sort keeps this portable. */
static void sort_idx(size_t *idx, size_t *tmp, size_t n,
                     int (*cmp)(const void *, const void *, void *), void *ud) {
  if (n < 2) return;
  size_t h = n / 2;
  sort_idx(idx, tmp, h, cmp, ud);
  sort_idx(idx + h, tmp, n - h, cmp, ud);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp(&idx[j], &idx[i], ud) < 0 ? idx[j++] : idx[i++];
  while (i < h) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

static int match_async(tv_tables_t *t, int64_t end_of_trace) {
  size_t n = t->n_asyncs;
  if (!n) return 0;
  size_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
  size_t *open = malloc(n * sizeof *open); /* stack of span indexes */
  int rc = TV_ENOMEM;
  if (!idx || !tmp || !open) goto out;
  for (size_t i = 0; i < n; i++) idx[i] = i;
  sort_idx(idx, tmp, n, cmp_async, t->asyncs);
  size_t depth = 0;
  uint64_t next_key = 1;
  for (size_t k = 0; k < n; k++) {
    const tv_async_mark_t *m = &t->asyncs[idx[k]];
    if (k > 0 && t->asyncs[idx[k - 1]].key != m->key) {
      for (; depth > 0; depth--) { /* the previous key's unclosed slices */
        tv_span_t *sp = &t->spans[open[depth - 1]];
        sp->dur_ns = end_of_trace > sp->start_ns ? end_of_trace - sp->start_ns : 0;
        tv_diag_add(&t->diag, TV_DIAG_unclosed_async, (int64_t)sp->off);
      }
    }
    if (m->ph == 'b' || m->ph == 'S' || m->ph == 'n') {
      tv_span_t sp = {.pid = m->pid, .key = next_key++,
                      .parent = depth ? t->spans[open[depth - 1]].key : 0,
                      .start_ns = m->ts_ns, .name = m->name, .detail = m->detail,
                      .cat = m->cat, .kind = TV_THREAD_ASYNC, .off = m->off};
      if (tv_builder_add_span(t, &sp) != 0) goto out;
      if (m->ph != 'n') open[depth++] = t->n_spans - 1;
    } else if (m->ph == 'e' || m->ph == 'F') {
      if (!depth) {
        tv_diag_add(&t->diag, TV_DIAG_unmatched_async_end, (int64_t)m->off);
        continue;
      }
      tv_span_t *sp = &t->spans[open[--depth]];
      sp->dur_ns = m->ts_ns - sp->start_ns;
    }
  }
  for (; depth > 0; depth--) {
    tv_span_t *sp = &t->spans[open[depth - 1]];
    sp->dur_ns = end_of_trace > sp->start_ns ? end_of_trace - sp->start_ns : 0;
    tv_diag_add(&t->diag, TV_DIAG_unclosed_async, (int64_t)sp->off);
  }
  rc = 0;
out:
  free(idx);
  free(tmp);
  free(open);
  free(t->asyncs);
  t->asyncs = NULL;
  t->n_asyncs = t->cap_asyncs = 0;
  return rc;
}

/* ---- 2. lanes ---- */

typedef struct lane {
  int64_t *end;   /* stack of open intervals: their ends */
  size_t *span;   /* and span indexes */
  size_t n, cap;
} lane_t;

/* Pops the intervals of lane l that ended by start. */
static void lane_pop(lane_t *l, int64_t start) {
  while (l->n && l->end[l->n - 1] <= start) l->n--;
}

/* Does [start, end) go on lane l? Strictly: the lane is free, or its open
 * interval is the span's parent and contains it (unrelated spans never nest,
 * so a row shows one operation and its children). Loosely (only once the
 * lanes run out): it nests in time. Zero-length spans never contain others. */
static bool lane_fits(lane_t *l, int64_t start, int64_t end, size_t parent, bool strict) {
  lane_pop(l, start);
  if (l->n == 0) return true;
  if (end > l->end[l->n - 1]) return false;
  return !strict || l->span[l->n - 1] == parent;
}

static int lane_push(lane_t *l, int64_t end, size_t span) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    int64_t *e = realloc(l->end, cap * sizeof *e);
    if (!e) return TV_ENOMEM;
    l->end = e;
    size_t *sp = realloc(l->span, cap * sizeof *sp);
    if (!sp) return TV_ENOMEM;
    l->span = sp;
    l->cap = cap;
  }
  l->end[l->n] = end;
  l->span[l->n++] = span;
  return 0;
}

static int cmp_span(const void *x, const void *y, void *ud) {
  const tv_span_t *s = ud;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  const tv_span_t *a = &s[i], *b = &s[j];
  if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  if (a->start_ns != b->start_ns) return a->start_ns < b->start_ns ? -1 : 1;
  if (a->dur_ns != b->dur_ns) return a->dur_ns > b->dur_ns ? -1 : 1; /* parents first */
  if (a->off != b->off) return a->off < b->off ? -1 : 1; /* file order, not key order */
  return i < j ? -1 : i > j;
}

/* key -> span index, open addressing (keys are never 0) */
typedef struct key_map {
  uint64_t *keys;
  size_t *vals;
  size_t mask;
} key_map_t;

static size_t key_slot(uint64_t k, size_t mask) {
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  return (size_t)k & mask;
}

static int key_map_init(key_map_t *m, const tv_span_t *spans, size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  m->keys = calloc(cap, sizeof *m->keys);
  m->vals = malloc(cap * sizeof *m->vals);
  m->mask = cap - 1;
  if (!m->keys || !m->vals) return TV_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!spans[i].key) continue;
    size_t k = key_slot(spans[i].key, m->mask);
    while (m->keys[k] && m->keys[k] != spans[i].key) k = (k + 1) & m->mask;
    if (m->keys[k]) continue; /* duplicate span id: the first one wins */
    m->keys[k] = spans[i].key;
    m->vals[k] = i;
  }
  return 0;
}

static bool key_map_get(const key_map_t *m, uint64_t key, size_t *out) {
  if (!key) return false;
  for (size_t k = key_slot(key, m->mask); m->keys[k]; k = (k + 1) & m->mask)
    if (m->keys[k] == key) {
      *out = m->vals[k];
      return true;
    }
  return false;
}

/* A binary min-heap of lane numbers, ordered by number (free lanes) or by
 * the end of the lane's outermost open interval (busy lanes). */
typedef struct lane_heap {
  size_t *v;
  size_t n;
  const lane_t *lanes; /* NULL: order by lane number */
} lane_heap_t;

static bool heap_less(const lane_heap_t *h, size_t a, size_t b) {
  if (!h->lanes) return a < b;
  int64_t ea = h->lanes[a].end[0], eb = h->lanes[b].end[0];
  return ea != eb ? ea < eb : a < b;
}

static void heap_push(lane_heap_t *h, size_t lane) {
  size_t i = h->n++;
  h->v[i] = lane;
  while (i > 0 && heap_less(h, h->v[i], h->v[(i - 1) / 2])) {
    size_t p = (i - 1) / 2, tmp = h->v[p];
    h->v[p] = h->v[i];
    h->v[i] = tmp;
    i = p;
  }
}

static size_t heap_pop(lane_heap_t *h) {
  size_t top = h->v[0];
  h->v[0] = h->v[--h->n];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && heap_less(h, h->v[l], h->v[m])) m = l;
    if (r < h->n && heap_less(h, h->v[r], h->v[m])) m = r;
    if (m == i) break;
    size_t tmp = h->v[m];
    h->v[m] = h->v[i];
    h->v[i] = tmp;
    i = m;
  }
  return top;
}

/* Places spans[order[0..n)] (one process and kind, sorted by start) on lanes;
 * lane_of[i] receives span i's lane. A lane is free once its outermost open
 * interval has ended; the busy heap finds those in order, the free heap
 * gives the lowest free lane, so placing costs O(log lanes). */
static int place_group(tv_tables_t *t, const size_t *order, size_t n, const key_map_t *keys,
                       uint32_t *lane_of) {
  lane_t *lanes = calloc(MAX_LANES, sizeof *lanes);
  lane_heap_t free_h = {.v = malloc(MAX_LANES * sizeof(size_t))};
  lane_heap_t busy_h = {.v = malloc(MAX_LANES * sizeof(size_t)), .lanes = lanes};
  size_t n_lanes = 0;
  int rc = TV_ENOMEM;
  if (!lanes || !free_h.v || !busy_h.v) goto out;
  const tv_span_t *g0 = &t->spans[order[0]];
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    const tv_span_t *sp = &t->spans[i];
    int64_t start = sp->start_ns, end = tv_sat_add(start, sp->dur_ns);
    while (busy_h.n && lanes[busy_h.v[0]].end[0] <= start) {
      size_t l = heap_pop(&busy_h);
      lanes[l].n = 0;
      heap_push(&free_h, l);
    }
    size_t lane = SIZE_MAX, parent = SIZE_MAX;
    if (!key_map_get(keys, sp->parent, &parent) || t->spans[parent].pid != sp->pid ||
        t->spans[parent].kind != sp->kind || lane_of[parent] == UINT32_MAX)
      parent = SIZE_MAX;
    if (parent != SIZE_MAX && lane_fits(&lanes[lane_of[parent]], start, end, parent, true))
      lane = lane_of[parent];
    bool opens = false; /* the span opens a free lane */
    if (lane == SIZE_MAX && free_h.n) lane = heap_pop(&free_h), opens = true;
    if (lane == SIZE_MAX && n_lanes < MAX_LANES) lane = n_lanes++, opens = true;
    for (size_t l = 0; lane == SIZE_MAX && l < n_lanes; l++)
      if (lane_fits(&lanes[l], start, end, SIZE_MAX, false)) lane = l;
    if (lane == SIZE_MAX) lane = MAX_LANES - 1; /* overlaps: the store repairs and counts it */
    if (lane_push(&lanes[lane], end, i) != 0) goto out;
    if (opens) heap_push(&busy_h, lane);
    lane_of[i] = (uint32_t)lane;
  }
  /* Lane threads, named "async" / "spans", then "async 2", ... */
  for (size_t l = 0; l < n_lanes; l++) {
    tv_thread_t *th = tv_builder_thread(t, g0->pid, tv_lane_tid(g0->kind, l));
    if (!th) goto out;
    th->kind = g0->kind;
    th->listed = true;
    /* interned strings are views: the label's bytes go to the arena */
    char *label = tv_intern_alloc(&t->strings, 32);
    if (!label) goto out;
    const char *base = g0->kind == TV_THREAD_ASYNC ? "async" : "spans";
    int len = l ? snprintf(label, 32, "%s %zu", base, l + 1) : snprintf(label, 32, "%s", base);
    th->name = tv_intern(&t->strings, tv_str(label, (size_t)len), NULL);
    if (th->name == UINT32_MAX) goto out;
  }
  rc = 0;
out:
  for (size_t l = 0; lanes && l < MAX_LANES; l++) {
    free(lanes[l].end);
    free(lanes[l].span);
  }
  free(lanes);
  free(free_h.v);
  free(busy_h.v);
  return rc;
}

/* ---- 3. flows ---- */

static int cmp_flow_mark(const void *x, const void *y, void *ud) {
  const tv_flow_mark_t *m = ud;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  const tv_flow_mark_t *a = &m[i], *b = &m[j];
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns ? -1 : 1;
  return i < j ? -1 : i > j;
}

static int cmp_flow(const void *x, const void *y) {
  const tv_flow_t *a = x, *b = y;
  if (a->from_ts != b->from_ts) return a->from_ts < b->from_ts ? -1 : 1;
  return a->off < b->off ? -1 : a->off > b->off;
}

static int match_flows(tv_tables_t *t, const key_map_t *keys, const uint32_t *lane_of) {
  size_t n = t->n_flow_marks;
  size_t *idx = malloc((n + 1) * sizeof *idx), *tmp = malloc((n + 1) * sizeof *tmp);
  int rc = TV_ENOMEM;
  if (!idx || !tmp) goto out;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const tv_flow_mark_t *f = &t->flow_marks[i];
    if (f->ph != 'L') {
      idx[m++] = i;
      continue;
    }
    size_t from, to; /* a span link: from the linked span to the linking one */
    if (!key_map_get(keys, f->key, &from) || !key_map_get(keys, f->to_span, &to)) {
      tv_diag_add(&t->diag, TV_DIAG_unmatched_flow, (int64_t)f->off);
      continue;
    }
    const tv_span_t *a = &t->spans[from], *b = &t->spans[to];
    tv_flow_t fl = {.from_pid = a->pid, .from_tid = tv_lane_tid(a->kind, lane_of[from]),
                    .from_ts = a->start_ns, .to_pid = b->pid,
                    .to_tid = tv_lane_tid(b->kind, lane_of[to]), .to_ts = b->start_ns,
                    .name = f->name, .off = f->off};
    if (tv_builder_add_flow(t, &fl) != 0) goto out;
  }
  sort_idx(idx, tmp, m, cmp_flow_mark, t->flow_marks);
  for (size_t k = 0; k < m; k++) {
    const tv_flow_mark_t *f = &t->flow_marks[idx[k]];
    bool chained = k > 0 && t->flow_marks[idx[k - 1]].key == f->key &&
                   t->flow_marks[idx[k - 1]].ph != 'f';
    if (f->ph == 's') continue;
    if (!chained) {
      tv_diag_add(&t->diag, TV_DIAG_unmatched_flow, (int64_t)f->off);
      continue;
    }
    const tv_flow_mark_t *p = &t->flow_marks[idx[k - 1]];
    tv_flow_t fl = {.from_pid = p->pid, .from_tid = p->tid, .from_ts = p->ts_ns,
                    .to_pid = f->pid, .to_tid = f->tid, .to_ts = f->ts_ns,
                    .name = p->name ? p->name : f->name, .off = p->off};
    if (tv_builder_add_flow(t, &fl) != 0) goto out;
  }
  if (t->n_flows) qsort(t->flows, t->n_flows, sizeof *t->flows, cmp_flow);
  rc = 0;
out:
  free(idx);
  free(tmp);
  free(t->flow_marks);
  t->flow_marks = NULL;
  t->n_flow_marks = t->cap_flow_marks = 0;
  return rc;
}

int tv_lanes_build(tv_tables_t *t, int64_t end_of_trace) {
  int rc = match_async(t, end_of_trace);
  if (rc) return rc;
  size_t n = t->n_spans;
  size_t *order = malloc((n + 1) * sizeof *order), *tmp = malloc((n + 1) * sizeof *tmp);
  uint32_t *lane_of = malloc((n + 1) * sizeof *lane_of);
  key_map_t keys = {0};
  rc = TV_ENOMEM;
  if (!order || !tmp || !lane_of || key_map_init(&keys, t->spans, n) != 0) goto out;
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
    lane_of[i] = UINT32_MAX;
    /* a parent that is not in the file: the span is a root */
    size_t parent;
    if (t->spans[i].kind == TV_THREAD_SPANS && t->spans[i].parent &&
        !key_map_get(&keys, t->spans[i].parent, &parent))
      tv_diag_add(&t->diag, TV_DIAG_missing_parent, (int64_t)t->spans[i].off);
    if (t->spans[i].dur_ns < 0) {
      tv_diag_add(&t->diag, TV_DIAG_negative_duration, (int64_t)t->spans[i].off);
      t->spans[i].dur_ns = 0;
    }
  }
  sort_idx(order, tmp, n, cmp_span, t->spans);
  for (size_t g = 0; g < n;) {
    size_t e = g + 1;
    while (e < n && t->spans[order[e]].pid == t->spans[order[g]].pid &&
           t->spans[order[e]].kind == t->spans[order[g]].kind)
      e++;
    if (place_group(t, order + g, e - g, &keys, lane_of) != 0) goto out;
    g = e;
  }
  for (size_t i = 0; i < n; i++) {
    const tv_span_t *sp = &t->spans[i];
    tv_thread_t *th = tv_builder_thread(t, sp->pid, tv_lane_tid(sp->kind, lane_of[i]));
    if (!th || tv_builder_add_slice(t, th, sp->start_ns, sp->dur_ns, sp->name, sp->detail,
                                    sp->cat, sp->off) != 0)
      goto out;
  }
  rc = match_flows(t, &keys, lane_of);
out:
  free(order);
  free(tmp);
  free(lane_of);
  free(keys.keys);
  free(keys.vals);
  free(t->spans);
  t->spans = NULL;
  t->n_spans = t->cap_spans = 0;
  return rc;
}
