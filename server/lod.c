/* lod.c: the level-of-detail pyramid and tile queries (see lod.h).
 *
 * Invariants:
 * (1) a run (level, depth) lists non-empty buckets in increasing order;
 *     entries count slices by the bucket of their start.
 * (2) level L+1 is level L with buckets paired (bucket >> 1).
 * (3) a tile counts every slice exactly once per level: in `slice` if it is
 *     at least one bucket wide (repeated in each tile it overlaps), otherwise
 *     in the summary of the bucket it starts in. */
#include "traceview/lod.h"
#include "traceview/pool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint32_t tv_lod_top_level(int64_t span_ns) {
  uint32_t level = 0;
  while (level < TV_MAX_LEVEL && (span_ns >> level) > 0) level++;
  return level;
}

static uint32_t ceil_log2(uint64_t v) {
  uint32_t l = 0;
  while (l < 63 && (UINT64_C(1) << l) < v) l++;
  return l;
}

/* Keeps the two longest rows of an entry when row r joins it. */
static void keep_two_longest(tv_lod_entry_t *en, const tv_slices_t *s, uint32_t r) {
  if (r == en->longest || r == en->second) return;
  if (s->dur_ns[r] > s->dur_ns[en->longest]) {
    en->second = en->longest;
    en->longest = r;
  } else if (en->second == UINT32_MAX || s->dur_ns[r] > s->dur_ns[en->second]) {
    en->second = r;
  }
}

/* All the runs of a pyramid live in one block, in run order (level-major):
 * one allocation per thread, and the index cache saves and loads it as one
 * column. While building, runs[i].e is unset and at[i] is the run's offset
 * (the block may move as it grows). */
typedef struct block {
  tv_lod_entry_t *e;
  size_t n, cap;
} block_t;

/* room for more entries at the end of the block; 0 or TV_ENOMEM */
static int reserve(block_t *bl, size_t more) {
  if (bl->cap - bl->n >= more) return 0;
  size_t cap = bl->cap ? bl->cap : 1024;
  while (cap - bl->n < more) cap *= 2;
  tv_lod_entry_t *e = realloc(bl->e, cap * sizeof *e);
  if (!e) return TV_ENOMEM;
  bl->e = e;
  bl->cap = cap;
  return 0;
}

/* Entries of one depth at level `level`, straight from the slices. */
static int build_base_run(block_t *bl, size_t *at, tv_lod_run_t *run, const tv_slices_t *s,
                          uint64_t b, uint64_t e, int64_t origin, uint32_t level) {
  size_t n = 0;
  int64_t last = -1;
  for (uint64_t i = b; i < e; i++) {
    int64_t bk = (s->start_ns[i] - origin) >> level;
    if (bk != last) n++, last = bk;
  }
  if (reserve(bl, n) != 0) return TV_ENOMEM;
  *at = bl->n;
  run->n = n;
  tv_lod_entry_t *cur = NULL;
  last = -1;
  for (uint64_t i = b; i < e; i++) {
    int64_t bk = (s->start_ns[i] - origin) >> level;
    if (bk != last) {
      cur = cur ? cur + 1 : bl->e + bl->n;
      *cur = (tv_lod_entry_t){.bucket = (uint32_t)bk, .longest = (uint32_t)i,
                              .second = UINT32_MAX};
      last = bk;
    } else {
      keep_two_longest(cur, s, (uint32_t)i);
    }
    cur->count++;
    cur->busy_ns = tv_sat_add(cur->busy_ns, s->dur_ns[i]);
  }
  bl->n += n;
  return 0;
}

/* Level L+1 from level L (invariant 2): the run at *at from the run of n_down
 * entries at down_at. */
static int build_parent_run(block_t *bl, size_t *at, tv_lod_run_t *up, size_t down_at,
                            size_t n_down, const tv_slices_t *s) {
  size_t n = 0;
  int64_t last = -1;
  for (size_t i = 0; i < n_down; i++)
    if ((int64_t)(bl->e[down_at + i].bucket >> 1) != last) n++, last = bl->e[down_at + i].bucket >> 1;
  if (reserve(bl, n) != 0) return TV_ENOMEM;
  *at = bl->n;
  up->n = n;
  const tv_lod_entry_t *down = bl->e + down_at;
  tv_lod_entry_t *cur = NULL;
  last = -1;
  for (size_t i = 0; i < n_down; i++) {
    const tv_lod_entry_t *d = &down[i];
    if ((int64_t)(d->bucket >> 1) != last) {
      cur = cur ? cur + 1 : bl->e + bl->n;
      *cur = (tv_lod_entry_t){.bucket = d->bucket >> 1, .longest = d->longest,
                              .second = d->second};
      last = d->bucket >> 1;
    } else {
      keep_two_longest(cur, s, d->longest);
      if (d->second != UINT32_MAX) keep_two_longest(cur, s, d->second);
    }
    cur->count += d->count;
    cur->busy_ns = tv_sat_add(cur->busy_ns, d->busy_ns);
  }
  bl->n += n;
  return 0;
}

int tv_lod_build(tv_lod_t *lod, const tv_thread_t *th, int64_t origin_ns, int64_t span_ns) {
  memset(lod, 0, sizeof *lod);
  lod->span_ns = span_ns;
  const tv_slices_t *s = &th->slices;
  lod->max_level = tv_lod_top_level(span_ns);
  lod->first_level = lod->max_level + 1;
  lod->n_depths = th->max_depth;
  /* Small tracks and tracks with more rows than a uint32 can name are
   * scanned directly. */
  if (s->n < 64 || s->n > UINT32_MAX || span_ns <= 0) return 0;
  uint64_t width = (uint64_t)span_ns / (s->n / 8);
  uint32_t first = ceil_log2(width ? width : 1);
  /* Bucket indexes at the first level must fit the entries' uint32. */
  while (first <= lod->max_level && ((uint64_t)span_ns >> first) > UINT32_MAX) first++;
  if (first > lod->max_level) return 0;
  uint32_t n_levels = lod->max_level - first + 1;
  size_t n_runs = (size_t)n_levels * lod->n_depths;
  lod->runs = calloc(n_runs, sizeof *lod->runs);
  size_t *at = malloc(n_runs * sizeof *at);
  /* The base level holds at most one entry per slice, and each level above
   * at most as many as the one below: start at twice the slices / 8. */
  block_t bl = {0};
  if (!lod->runs || !at || reserve(&bl, s->n / 4 + 64) != 0) {
    free(at);
    free(bl.e);
    tv_lod_free(lod);
    return TV_ENOMEM;
  }
  lod->first_level = first;
  int rc = 0;
  for (uint32_t d = 0; d < lod->n_depths && rc == 0; d++)
    rc = build_base_run(&bl, &at[d], &lod->runs[d], s, th->depth_begin[d], th->depth_begin[d + 1],
                        origin_ns, first);
  for (uint32_t l = 1; l < n_levels && rc == 0; l++)
    for (uint32_t d = 0; d < lod->n_depths && rc == 0; d++) {
      size_t down = (size_t)(l - 1) * lod->n_depths + d, up = (size_t)l * lod->n_depths + d;
      rc = build_parent_run(&bl, &at[up], &lod->runs[up], at[down], lod->runs[down].n, s);
    }
  if (rc == 0 && bl.n < bl.cap) { /* give back the slack */
    tv_lod_entry_t *e = realloc(bl.e, (bl.n ? bl.n : 1) * sizeof *e);
    if (e) bl.e = e;
  }
  lod->block = bl.e;
  lod->n_entries = bl.n;
  for (size_t i = 0; i < n_runs && rc == 0; i++) lod->runs[i].e = bl.e + at[i];
  free(at);
  if (rc) {
    tv_lod_free(lod);
    return rc;
  }
  lod->bytes = n_runs * sizeof *lod->runs + bl.n * sizeof(tv_lod_entry_t);
  return 0;
}

void tv_lod_free(tv_lod_t *lod) {
  if (!lod) return;
  if (!lod->borrowed) free(lod->block);
  free(lod->runs);
  memset(lod, 0, sizeof *lod);
}

typedef struct build_job {
  tv_lod_t *lods;
  const tv_store_t *st;
  int64_t span;
} build_job_t;

static int build_one(void *ctx, size_t i) {
  build_job_t *j = ctx;
  return tv_lod_build(&j->lods[i], &j->st->t.threads[i], j->st->min_ns, j->span) ? -1 : 0;
}

tv_lod_t *tv_lods_build(const tv_store_t *st) {
  size_t n = st->t.n_threads;
  build_job_t j = {.lods = calloc(n + 1, sizeof *j.lods), .st = st,
                   .span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns : 0};
  if (!j.lods) return NULL;
  /* Threads are independent; a handful of big ones dominate, and the pool
   * hands them out one at a time. */
  if (tv_pool_run(n, build_one, &j, 0) != 0) {
    tv_lods_free(j.lods, n);
    return NULL;
  }
  return j.lods;
}

void tv_lods_free(tv_lod_t *lods, size_t n) {
  if (!lods) return;
  for (size_t i = 0; i < n; i++) tv_lod_free(&lods[i]);
  free(lods);
}

uint64_t tv_slices_first_overlapping(const tv_slices_t *s, uint64_t b, uint64_t e, int64_t t) {
  while (b < e) {
    uint64_t m = b + (e - b) / 2;
    if (s->start_ns[m] + s->dur_ns[m] > t || s->start_ns[m] >= t) e = m;
    else b = m + 1;
  }
  return b;
}

uint64_t tv_thread_slice_at(const tv_thread_t *th, uint32_t depth, int64_t t) {
  if (depth >= th->max_depth) return UINT64_MAX;
  const tv_slices_t *s = &th->slices;
  uint64_t b = th->depth_begin[depth], e = th->depth_begin[depth + 1];
  /* Last row starting at or before t. */
  while (b < e) {
    uint64_t m = b + (e - b) / 2;
    if (s->start_ns[m] <= t) b = m + 1;
    else e = m;
  }
  if (b == th->depth_begin[depth]) return UINT64_MAX;
  uint64_t r = b - 1;
  int64_t end = s->start_ns[r] + s->dur_ns[r];
  return (end > t || s->start_ns[r] == t) ? r : UINT64_MAX;
}

/* A bucket index seen from `shift` levels higher. */
static inline int64_t bucket_above(uint32_t bucket, uint32_t shift) {
  return shift >= 32 ? 0 : (int64_t)(bucket >> shift);
}

typedef struct bucket_acc {
  uint32_t count;
  int64_t busy;
  uint64_t longest;
} bucket_acc_t;

size_t tv_lod_tile(const tv_lod_t *lod, const tv_thread_t *th, int64_t origin_ns,
                   uint32_t level, int64_t index, const tv_tile_sink_t *sink) {
  const tv_slices_t *s = &th->slices;
  if (level > TV_MAX_TILE_LEVEL || index < 0 || index > (INT64_MAX >> (level + 8)) - 1) return 0;
  int64_t w = INT64_C(1) << level;
  /* Relative times cannot overflow: the index bound keeps rt1 <= INT64_MAX. */
  int64_t rt0 = index * TV_TILE_BUCKETS * w, rt1 = rt0 + TV_TILE_BUCKETS * w;
  if (rt0 > lod->span_ns) return 0;
  int64_t t0 = origin_ns + rt0;
  int64_t t1 = origin_ns + (rt1 <= lod->span_ns ? rt1 : lod->span_ns + 1);
  size_t examined = 0;
  bucket_acc_t acc[TV_TILE_BUCKETS];
  for (uint32_t d = 0; d < th->max_depth; d++) {
    uint64_t b = th->depth_begin[d], e = th->depth_begin[d + 1];
    uint64_t r = tv_slices_first_overlapping(s, b, e, t0);
    if (level < lod->first_level || !lod->runs) {
      /* Few slices per tile at this zoom: scan them. */
      memset(acc, 0, sizeof acc);
      for (uint64_t i = r; i < e && s->start_ns[i] < t1; i++) {
        examined++;
        int64_t start = s->start_ns[i], dur = s->dur_ns[i];
        if (dur >= w) {
          sink->slice(sink->ud, i, start - origin_ns, dur, d);
        } else if (start >= t0) { /* a narrow one starting earlier belongs to the previous tile */
          bucket_acc_t *a = &acc[(start - t0) >> level];
          if (!a->count || dur > s->dur_ns[a->longest]) a->longest = i;
          a->count++;
          a->busy = tv_sat_add(a->busy, dur);
        }
      }
      for (uint32_t k = 0; k < TV_TILE_BUCKETS; k++)
        if (acc[k].count) sink->summary(sink->ud, k, d, acc[k].count, acc[k].busy, acc[k].longest);
      continue;
    }
    /* A wide slice that started in an earlier tile. */
    if (r < e && s->start_ns[r] < t0 && s->dur_ns[r] >= w) {
      examined++;
      sink->slice(sink->ud, r, s->start_ns[r] - origin_ns, s->dur_ns[r], d);
    }
    /* Above the top level every slice starts in bucket 0: read the top run. */
    uint32_t run_level = level < lod->max_level ? level : lod->max_level;
    uint32_t shift = level - run_level;
    const tv_lod_run_t *run = &lod->runs[(size_t)(run_level - lod->first_level) * lod->n_depths + d];
    int64_t first_bucket = index * TV_TILE_BUCKETS;
    size_t lo = 0, hi = run->n;
    while (lo < hi) {
      size_t m = lo + (hi - lo) / 2;
      if (bucket_above(run->e[m].bucket, shift) < first_bucket) lo = m + 1;
      else hi = m;
    }
    for (size_t k = lo; k < run->n; k++) {
      const tv_lod_entry_t *en = &run->e[k];
      int64_t bucket = bucket_above(en->bucket, shift);
      if (bucket >= first_bucket + TV_TILE_BUCKETS) break;
      uint32_t bk = (uint32_t)(bucket - first_bucket);
      uint64_t lr = en->longest;
      examined++;
      /* At most one slice this wide starts in a bucket of one depth: the longest. */
      if (s->dur_ns[lr] >= w) {
        sink->slice(sink->ud, lr, s->start_ns[lr] - origin_ns, s->dur_ns[lr], d);
        if (en->count > 1)
          sink->summary(sink->ud, bk, d, en->count - 1, en->busy_ns - s->dur_ns[lr], en->second);
      } else {
        sink->summary(sink->ud, bk, d, en->count, en->busy_ns, lr);
      }
    }
  }
  return examined;
}

/* ------------------------------------------------------------ self time */

int64_t tv_slice_self(const tv_thread_t *th, uint64_t row) {
  const tv_slices_t *s = &th->slices;
  uint32_t d = s->depth[row];
  int64_t start = s->start_ns[row], dur = s->dur_ns[row], end = start + dur;
  if (dur <= 0) return 0;
  uint64_t c, e;
  if (d >= TV_MAX_DEPTH_STORED) { /* the clamped depth: children follow in the same run */
    c = row + 1;
    e = th->depth_begin[d + 1];
  } else if (d + 1 < th->max_depth) {
    c = th->depth_begin[d + 1];
    e = th->depth_begin[d + 2];
    /* First row of depth d + 1 starting at or after start. */
    while (c < e) {
      uint64_t m = c + (e - c) / 2;
      if (s->start_ns[m] < start) c = m + 1;
      else e = m;
    }
    e = th->depth_begin[d + 2];
  } else {
    return dur;
  }
  int64_t max_end = INT64_MIN, inside = 0;
  for (; c < e && s->start_ns[c] < end; c++) {
    int64_t cs = s->start_ns[c], ce = cs + s->dur_ns[c];
    if (max_end <= cs) inside += (ce < end ? ce : end) - cs; /* else nested in an earlier child */
    if (ce > max_end) max_end = ce;
  }
  return dur - inside > 0 ? dur - inside : 0;
}

/* First row of [b, e) starting at or after t. */
static uint64_t first_starting(const int64_t *st, uint64_t b, uint64_t e, int64_t t) {
  while (b < e) {
    uint64_t m = b + (e - b) / 2;
    if (st[m] < t) b = m + 1;
    else e = m;
  }
  return b;
}

/* The part inside a slice ending at end of its children from *cp on (those
 * starting before end); *cp moves past them. */
static inline int64_t children_inside(const int64_t *st, const int64_t *du, int64_t end,
                                      uint64_t *cp, uint64_t ce) {
  uint64_t c = *cp;
  int64_t inside = 0;
  for (; c < ce && st[c] < end; c++) {
    int64_t e = st[c] + du[c];
    inside += (e < end ? e : end) - st[c];
  }
  *cp = c;
  return inside;
}

/* Self times of rows [r, r + m) of one depth into out. *cp is the first row
 * of the depth below, [.., ce), starting at or after row r (its first child,
 * if any); it ends past the last row's children. Each row's children follow
 * the previous row's, so this is a merge of the rows with the depth below.
 * A loop over each row's children costs a mispredicted exit per row (most
 * have none); instead two halves of the rows are merged at once, each step
 * taking either the next child into the current row or the next row,
 * without branching. */
static void fill_merge(const int64_t *st, const int64_t *du, uint64_t r, uint64_t m, uint64_t *cp,
                       uint64_t ce, int64_t *out) {
  uint64_t h = r + m / 2, pe = r + m;
  uint64_t pA = r, cA = *cp, pB = h, cB = h > r ? first_starting(st, cA, ce, st[h]) : cA;
  uint64_t ceA = cB; /* the first half's children end where the second's begin */
  int64_t inA = 0, inB = 0;
  if (h > r) {
    int64_t endA = st[pA] + du[pA], endB = st[pB] + du[pB];
    while (pA < h && pB < pe && cA < ceA && cB < ce) {
      int64_t sA = st[cA], sB = st[cB], xA = sA + du[cA], xB = sB + du[cB];
      int64_t tA = sA < endA, tB = sB < endB; /* the child is inside the row */
      inA += ((xA < endA ? xA : endA) - sA) & -tA;
      inB += ((xB < endB ? xB : endB) - sB) & -tB;
      out[pA - r] = du[pA] - inA; /* rewritten until the row is done */
      out[pB - r] = du[pB] - inB;
      cA += (uint64_t)tA;
      pA += (uint64_t)(1 - tA);
      inA &= -tA;
      cB += (uint64_t)tB;
      pB += (uint64_t)(1 - tB);
      inB &= -tB;
      uint64_t qA = pA < h ? pA : h - 1, qB = pB < pe ? pB : pe - 1;
      endA = st[qA] + du[qA];
      endB = st[qB] + du[qB];
    }
  }
  /* What is left of each half, a row at a time (the current row keeps what
   * it took so far). */
  for (; pA < h; pA++, inA = 0) {
    inA += children_inside(st, du, st[pA] + du[pA], &cA, ceA);
    out[pA - r] = du[pA] - inA;
  }
  for (; pB < pe; pB++, inB = 0) {
    inB += children_inside(st, du, st[pB] + du[pB], &cB, ce);
    out[pB - r] = du[pB] - inB;
  }
  *cp = cB;
  for (uint64_t j = 0; j < m; j++) out[j] = out[j] > 0 ? out[j] : 0;
}

/* fill_merge's job for rows whose depth below is the clamped depth, where
 * a row there inside an earlier row of that depth is that one's child, not
 * this row's. */
static void fill_above_clamped(const int64_t *st, const int64_t *du, uint64_t r, uint64_t m,
                               uint64_t *cp, uint64_t ce, int64_t *out) {
  /* The rows of the depth below before row r's first child ended before it
   * started. */
  uint64_t c = *cp;
  int64_t max_end = INT64_MIN;
  for (uint64_t i = r; i < r + m; i++) {
    int64_t end = st[i] + du[i], inside = 0;
    for (; c < ce && st[c] < end; c++) {
      int64_t cs = st[c], e = cs + du[c];
      if (max_end <= cs) inside += (e < end ? e : end) - cs;
      if (e > max_end) max_end = e;
    }
    out[i - r] = du[i] - inside > 0 ? du[i] - inside : 0;
  }
  *cp = c;
}

void tv_self_walk_fill(tv_self_walk_t *w, uint64_t row) {
  const tv_thread_t *th = w->th;
  const int64_t *st = th->slices.start_ns, *du = th->slices.dur_ns;
  uint32_t d = th->slices.depth[row];
  uint64_t e = th->depth_begin[d + 1];
  uint64_t m = e - row < w->cap ? e - row : w->cap;
  /* Rows in order: the next chunk's first child is where the last stopped. */
  uint64_t c = row == w->end && row > th->depth_begin[d] ? w->child : UINT64_MAX;
  w->begin = row;
  w->end = row + m;
  if (w->clamped && d == TV_MAX_DEPTH_STORED) {
    memcpy(w->buf, w->clamped + (row - w->clamped_begin), m * sizeof *w->buf);
  } else if (d + 1 >= th->max_depth) {
    memcpy(w->buf, du + row, m * sizeof *w->buf);
  } else {
    uint64_t ce = th->depth_begin[d + 2];
    if (c == UINT64_MAX) c = first_starting(st, e, ce, st[row]);
    if (d + 1 == TV_MAX_DEPTH_STORED) fill_above_clamped(st, du, row, m, &c, ce, w->buf);
    else fill_merge(st, du, row, m, &c, ce, w->buf);
  }
  w->child = c;
}

/* Self times of the clamped depth's rows [b, e), nested among themselves the
 * way the store nested them: a row's parent is the last earlier row still
 * open at its start (the rows whose parent is of depth
 * TV_MAX_DEPTH_STORED - 1 find none open). */
static int clamped_self(const tv_slices_t *s, uint64_t b, uint64_t e, int64_t *self) {
  uint64_t *stack = malloc((e - b) * sizeof *stack);
  if (!stack) return TV_ENOMEM;
  size_t top = 0;
  for (uint64_t i = b; i < e; i++) {
    int64_t start = s->start_ns[i], end = start + s->dur_ns[i];
    while (top > 0 && s->start_ns[stack[top - 1]] + s->dur_ns[stack[top - 1]] <= start) top--;
    self[i - b] = s->dur_ns[i];
    if (top > 0) {
      uint64_t p = stack[top - 1];
      int64_t pend = s->start_ns[p] + s->dur_ns[p];
      self[p - b] -= (end < pend ? end : pend) - start;
      if (self[p - b] < 0) self[p - b] = 0;
    }
    if (s->dur_ns[i] > 0) stack[top++] = i;
  }
  free(stack);
  return 0;
}

int tv_self_walk_init(tv_self_walk_t *w, const tv_thread_t *th) {
  memset(w, 0, sizeof *w);
  w->th = th;
  w->cap = th->slices.n < TV_SELF_CHUNK ? th->slices.n : TV_SELF_CHUNK;
  w->buf = malloc((w->cap ? w->cap : 1) * sizeof *w->buf);
  if (!w->buf) return TV_ENOMEM;
  if (th->max_depth > TV_MAX_DEPTH_STORED) {
    uint64_t b = th->depth_begin[TV_MAX_DEPTH_STORED], e = th->depth_begin[TV_MAX_DEPTH_STORED + 1];
    w->clamped = malloc((e - b) * sizeof *w->clamped);
    if (!w->clamped || clamped_self(&th->slices, b, e, w->clamped) != 0) {
      tv_self_walk_free(w);
      return TV_ENOMEM;
    }
    w->clamped_begin = b;
  }
  return 0;
}

void tv_self_walk_free(tv_self_walk_t *w) {
  free(w->clamped);
  free(w->buf);
  w->clamped = NULL;
  w->buf = NULL;
}
