/* lod.h: level-of-detail pyramid per thread track, and tile queries.
 *
 * A tile is (track, level L, index I): the time span [I*256*2^L, (I+1)*256*2^L)
 * ns after the trace origin, split into 256 buckets of 2^L ns. A tile holds
 * every slice at least one bucket wide individually and aggregates the
 * narrower ones per (bucket, depth): count, busy time, longest slice. Since
 * slices of one depth are disjoint (store.h invariant 1), a tile holds at most
 * 257 slices and 256 summaries per depth, whatever the zoom: cost follows
 * pixels, not events.
 *
 * The pyramid makes coarse tiles cheap: for levels >= first_level it stores,
 * per depth, the non-empty buckets (count, busy, longest) of that level, built
 * bottom-up by merging pairs. first_level is chosen so that its buckets hold
 * about 8 slices on average, which bounds the pyramid to about a quarter of
 * the slice count in entries (24 bytes each: ~6 bytes per slice). Tiles below
 * first_level scan the slices directly: there are few of them per tile.
 * (Speedscope's atlas keys tiles by (depth, zoom level, index); Perfetto's
 * slice mipmap keeps max(dur) per bucket: this is both, per depth.) */
#ifndef TRACEVIEW_LOD_H
#define TRACEVIEW_LOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "traceview/store.h"

#define TV_TILE_BUCKETS 256
#define TV_MAX_LEVEL 62      /* pyramid levels: 2^62 ns covers any trace */
#define TV_MAX_TILE_LEVEL 54 /* a tile (256 buckets) at 54 spans 2^62 ns */

typedef struct tv_lod_entry {
  int64_t busy_ns;  /* summed duration of the slices starting in it */
  uint32_t bucket;  /* bucket index at this level, from the origin */
  uint32_t count;   /* slices starting in it */
  uint32_t longest; /* row of the longest of them */
  uint32_t second;  /* row of the next longest, UINT32_MAX when count is 1:
                       the longest may be a wide slice sent on its own, and
                       the summary of the rest still names its longest */
} tv_lod_entry_t;

typedef struct tv_lod_run {
  tv_lod_entry_t *e;
  size_t n;
} tv_lod_run_t;

typedef struct tv_lod {
  int64_t span_ns;      /* the trace's duration: tiles beyond it are empty */
  uint32_t first_level; /* > max_level when the track has no pyramid */
  uint32_t max_level;   /* one bucket covers the whole trace */
  uint32_t n_depths;
  tv_lod_run_t *runs;   /* [(level - first_level) * n_depths + depth] */
  tv_lod_entry_t *block; /* every run's entries, end to end in run order */
  size_t n_entries;     /* in block */
  size_t bytes;
  bool borrowed;        /* block belongs to someone else (loaded from the
                           index cache: it lives in the store's arena) */
} tv_lod_t;

/** builds the pyramid of th; origin_ns and span_ns describe the trace */
int tv_lod_build(tv_lod_t *lod, const tv_thread_t *th, int64_t origin_ns, int64_t span_ns);
void tv_lod_free(tv_lod_t *lod);
/** the pyramids of every thread of st (st->t.n_threads of them, built in
 *  parallel), or NULL on out of memory; free with tv_lods_free */
tv_lod_t *tv_lods_build(const tv_store_t *st);
void tv_lods_free(tv_lod_t *lods, size_t n);
/** runs in lod's pyramid ((max_level - first_level + 1) * n_depths, or 0) */
static inline size_t tv_lod_n_runs(const tv_lod_t *lod) {
  return lod->runs && lod->first_level <= lod->max_level
             ? (size_t)(lod->max_level - lod->first_level + 1) * lod->n_depths : 0;
}
/** the level whose single bucket covers span_ns */
uint32_t tv_lod_top_level(int64_t span_ns);

/* What a tile query produces (filled by callbacks so the caller chooses the
 * output format). Times are relative to the origin. */
typedef struct tv_tile_sink {
  void *ud;
  void (*slice)(void *ud, uint64_t row, int64_t start, int64_t dur, uint32_t depth);
  /* longest: row of the longest slice the summary counts */
  void (*summary)(void *ud, uint32_t bucket, uint32_t depth, uint32_t count, int64_t busy,
                  uint64_t longest);
} tv_tile_sink_t;

/** emits the tile (level, index) of thread th; returns the rows examined */
size_t tv_lod_tile(const tv_lod_t *lod, const tv_thread_t *th, int64_t origin_ns,
                   uint32_t level, int64_t index, const tv_tile_sink_t *sink);

/** first row of depth run [b, e) that ends after t or starts at or after t
 *  (both bounds are sorted within a depth, store.h invariant 1) */
uint64_t tv_slices_first_overlapping(const tv_slices_t *s, uint64_t b, uint64_t e, int64_t t);

/** row of the slice at depth containing time t (absolute ns), or UINT64_MAX */
uint64_t tv_thread_slice_at(const tv_thread_t *th, uint32_t depth, int64_t t);

/* ---- self time ----
 * The store keeps no self-time column: a slice's self time is its duration
 * minus, for each of its children, the part of the child inside it
 * (min(child end, end) - child start: a child ending after its parent, in
 * improperly nested input, only takes the overlapping part), floored at 0.
 * Its children are the slices whose parent it is (store.h invariant 2): the
 * slices of depth + 1 starting inside it, a contiguous run of that depth.
 * At the clamped depth (TV_MAX_DEPTH_STORED) rows are not disjoint: the
 * children are then told apart the way the store nested them (a row nests in
 * the last earlier row still open at its start), so the numbers are those of
 * the true nesting at any depth. */

/** self time of one slice: a binary search plus a pass over its children */
int64_t tv_slice_self(const tv_thread_t *th, uint64_t row);

/* Self times of many slices of one thread: init, tv_self_walk_next for rows
 * in increasing order, then free. Up to TV_SELF_CHUNK rows of one depth are
 * computed at a time, in one merge of them with the depth below (any other
 * order is slow but right): linear in the rows, at any nesting depth. */
#define TV_SELF_CHUNK 16384
typedef struct tv_self_walk {
  const tv_thread_t *th;
  uint64_t begin, end;       /* rows whose self times are in buf */
  uint64_t child;            /* the first child of row end */
  int64_t *buf;              /* cap rows */
  uint64_t cap;
  int64_t *clamped;          /* threads nested beyond the clamped depth: */
  uint64_t clamped_begin;    /*   self times of that depth's rows */
} tv_self_walk_t;

/** 0 or TV_ENOMEM */
int tv_self_walk_init(tv_self_walk_t *w, const tv_thread_t *th);
void tv_self_walk_free(tv_self_walk_t *w);
/* internal: computes the self times of the rows from row */
void tv_self_walk_fill(tv_self_walk_t *w, uint64_t row);

/** self time of row (< the thread's slice count) */
static inline int64_t tv_self_walk_next(tv_self_walk_t *w, uint64_t row) {
  if (row - w->begin >= w->end - w->begin) tv_self_walk_fill(w, row);
  return w->buf[row - w->begin];
}

#endif
