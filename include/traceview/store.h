/* store.h: the event store, the index every view and query reads.
 *
 * Readers do not write the store directly: each one fills a tv_builder_t for a
 * chunk of its input (raw events in file order, chunk-local string ids), and
 * tv_store_build merges the builders in chunk order into the store: it remaps
 * string ids, concatenates per-thread columns, matches B/E pairs, sorts each
 * thread's slices and computes their depth. Any split of the input at
 * event boundaries gives the same store as one builder over the whole input.
 *
 * Units: timestamps and durations are integer nanoseconds (int64). */
#ifndef TRACEVIEW_STORE_H
#define TRACEVIEW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "traceview/error.h"
#include "traceview/intern.h"

#define TV_MAX_DEPTH_STORED 65535u /* depth column is uint16; deeper clamps */
#define TV_CAT_OVERFLOW 65535u     /* category id column is uint16 */
/* Slice byte offsets are 40 bits: tv_trace_open refuses inputs (after
 * decompression) larger than TV_MAX_INPUT_BYTES, 1 TiB. */
#define TV_MAX_INPUT_BYTES (UINT64_C(1) << 40)
#define TV_SLICE_OFF_MAX (TV_MAX_INPUT_BYTES - 1)

/* Repairs and anomalies, counted with the offset of the first occurrence.
 * X(name, description) */
#define TV_DIAG_MAP(X)                                                      \
  X(unmatched_end, "E events with no open B (dropped)")                     \
  X(unclosed_begin, "B events never closed (closed at the end of the trace)") \
  X(negative_duration, "X events with a negative dur (kept as 0)")          \
  X(overlapping, "slices that end after their parent (not properly nested)") \
  X(missing_ts, "events without a usable ts (skipped)")                     \
  X(missing_phase, "events without ph (skipped)")                           \
  X(too_many_categories, "categories beyond 65535 (merged)")                \
  X(depth_clamped, "slices nested deeper than 65535 (depth clamped)")          \
  X(unmatched_async_end, "async end events with no open begin (dropped)")   \
  X(unclosed_async, "async slices never ended (closed at the end of the trace)") \
  X(unmatched_flow, "flow steps with no flow start (dropped)")              \
  X(missing_parent, "spans whose parent span is not in the file (shown as roots)")

enum {
#define TV__DIAG_ENUM(name, desc) TV_DIAG_##name,
  TV_DIAG_MAP(TV__DIAG_ENUM)
#undef TV__DIAG_ENUM
  TV_DIAG_COUNT
};

typedef struct tv_diag {
  uint64_t count[TV_DIAG_COUNT];
  int64_t first_off[TV_DIAG_COUNT]; /* -1 when count is 0 */
} tv_diag_t;

/** a + b, saturating at INT64_MAX / INT64_MIN: sums of durations from hostile
 *  input (each below 2^62) must not overflow */
static inline int64_t tv_sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

void tv_diag_init(tv_diag_t *d);
void tv_diag_add(tv_diag_t *d, int kind, int64_t off);
const char *tv_diag_name(int kind);
const char *tv_diag_desc(int kind);

/* Columns of one thread's slices, ordered by depth, then start, then longer
 * first, then byte offset. Invariants (established by tv_store_build):
 * (1) the slices of depth d are rows [depth_begin[d], depth_begin[d + 1]) of
 *     the thread; within a depth they are disjoint, so both start_ns and
 *     start_ns + dur_ns are non-decreasing (binary search finds a time).
 * (2) depth[i] > 0 implies exactly one slice at depth[i] - 1 that contains
 *     start_ns[i] (its parent); zero-length slices are never parents.
 * (3) dur_ns[i] >= 0.
 * Improperly nested input (a child ending after its parent) keeps (1) but the
 * parent found by (2) is the slice it started in. Slices nested deeper than
 * TV_MAX_DEPTH_STORED all get that depth, where (1) does not hold.
 * Self time is not stored (8 bytes a slice): tv_slice_self and tv_self_walk
 * (lod.h) derive it from the children, found by (1) and (2).
 * 33 bytes a slice. */
typedef struct tv_slices {
  int64_t *start_ns;
  int64_t *dur_ns;
  uint32_t *name;   /* interned */
  uint32_t *detail; /* interned args.detail, TV_NO_STRING when absent */
  uint32_t *off_lo; /* byte offset of the X or B event (tv_slice_off): bits 0..31 */
  uint8_t *off_hi;  /*   and bits 32..39 */
  uint16_t *cat;    /* index into cats; 0 = no category */
  uint16_t *depth;
  size_t n, cap;
} tv_slices_t;

/** byte offset of slice i's event */
static inline uint64_t tv_slice_off(const tv_slices_t *s, uint64_t i) {
  return (uint64_t)s->off_hi[i] << 32 | s->off_lo[i];
}

/** sets slice i's byte offset; beyond TV_SLICE_OFF_MAX (inputs are smaller)
 *  it saturates rather than wraps */
static inline void tv_slice_set_off(tv_slices_t *s, uint64_t i, uint64_t off) {
  if (off > TV_SLICE_OFF_MAX) off = TV_SLICE_OFF_MAX;
  s->off_lo[i] = (uint32_t)off;
  s->off_hi[i] = (uint8_t)(off >> 32);
}

/* Instants and counter samples are sorted by timestamp (stable). */
typedef struct tv_instants {
  int64_t *ts_ns;
  uint32_t *name;
  uint64_t *off;
  size_t n, cap;
} tv_instants_t;

/* B/E events waiting to be matched (builder only). */
typedef struct tv_marks {
  int64_t *ts_ns;
  uint64_t *off;
  uint32_t *name, *detail, *cat; /* meaningful for B */
  uint8_t *is_begin;
  size_t n, cap;
} tv_marks_t;

/* What a row of the timeline is: a thread of the trace, a lane of async
 * slices or spans laid out by tv_store_build (lanes.c), or the CPU samples of
 * a thread of a Chrome trace (kept apart from its trace events, which they
 * would overlap). */
enum { TV_THREAD_PLAIN = 0, TV_THREAD_ASYNC = 1, TV_THREAD_SPANS = 2, TV_THREAD_SAMPLES = 3 };
#define TV_THREAD_KINDS 4
#define TV_LANE_TID_BASE (INT64_C(1) << 61) /* lane threads: tid = base + kind << 40 + lane */

struct tv_sample_run; /* samples.c: the open stack of a sampled thread (builder only) */

typedef struct tv_thread {
  int64_t pid, tid;
  uint32_t name;         /* thread_name, or the string tid, or TV_NO_STRING */
  int32_t sort_index;
  bool has_sort_index;
  bool listed;           /* has timeline events or thread metadata */
  uint32_t max_depth;    /* nesting levels (0 when no slices) */
  uint64_t *depth_begin; /* max_depth + 1 row offsets, see tv_slices_t */
  uint64_t n_end_events; /* E events seen (for "listed") */
  tv_slices_t slices;
  tv_instants_t instants;
  tv_instants_t samples; /* sample marks (name = leaf frame), sorted by time */
  tv_marks_t marks;      /* builder only; empty in a built store */
  uint32_t *presorted;   /* builder only: rows [0, n_presorted) in slice order,
                            as sorted runs (tv_builder_presort) */
  size_t n_presorted;
  uint8_t kind;          /* TV_THREAD_* */
  struct tv_sample_run *run; /* builder only */
} tv_thread_t;

/** "thread", "async", "spans" or "samples" */
static inline const char *tv_thread_kind_name(uint8_t kind) {
  static const char *const names[TV_THREAD_KINDS] = {"thread", "async", "spans", "samples"};
  return names[kind < TV_THREAD_KINDS ? kind : 0];
}

/** the tid of row n of a kind of lane (n < 2^40); tv_thread_shown_tid undoes it */
static inline int64_t tv_lane_tid(uint8_t kind, int64_t n) {
  return TV_LANE_TID_BASE + ((int64_t)kind << 40) + n;
}

/** the tid to show: a lane's number (from 0) for lane threads */
static inline int64_t tv_thread_shown_tid(const tv_thread_t *th) {
  return th->kind ? th->tid - TV_LANE_TID_BASE - ((int64_t)th->kind << 40) : th->tid;
}

/** Is thread ti in a selection (threads[ti]), or by default (threads NULL)?
 *  Async lanes are not call stacks: flame graphs, statistics and summaries
 *  leave them out unless their tracks are selected explicitly. Spans (Jaeger,
 *  OTLP) and sampled stacks are in. */
static inline bool tv_thread_selected(const tv_thread_t *th, const bool *threads, size_t ti) {
  return threads ? threads[ti] : th->kind != TV_THREAD_ASYNC;
}

typedef struct tv_process {
  int64_t pid;
  uint32_t name;
  int32_t sort_index;
  bool has_sort_index;
} tv_process_t;

typedef struct tv_counter {
  int64_t pid;
  uint32_t name, series; /* event name and args key */
  int64_t *ts_ns;
  double *value;
  uint64_t *off;
  size_t n, cap;
} tv_counter_t;

/* LLVM's "Total <pass>" summary events: not timeline events. */
typedef struct tv_llvm_total {
  uint32_t name;
  int64_t pid, tid;
  int64_t dur_ns;
  int64_t count;
  double avg_ms;
  uint64_t off;
} tv_llvm_total_t;

/* An arrow between two points of the timeline: a Chrome flow (s/t/f steps)
 * or a span link. Sorted by from_ts. */
typedef struct tv_flow {
  int64_t from_pid, from_tid, from_ts;
  int64_t to_pid, to_tid, to_ts;
  uint32_t name;
  uint64_t off; /* the event or span that made it */
} tv_flow_t;

/* Builder only: an interval to lay out on lanes (async slices, spans). key
 * identifies it for parent and link references (0: none); parent is a key. */
typedef struct tv_span {
  int64_t pid;
  uint64_t key, parent;
  int64_t start_ns, dur_ns;
  uint32_t name, detail;
  uint16_t cat;
  uint8_t kind; /* TV_THREAD_ASYNC or TV_THREAD_SPANS */
  uint64_t off;
} tv_span_t;

/* Builder only: a Chrome async event (b/e/n, S/T/F) waiting to be matched by
 * key (a hash of category, id and scope, and the pid for local ids). */
typedef struct tv_async_mark {
  int64_t pid, ts_ns;
  uint64_t key;
  uint32_t name, detail;
  uint16_t cat;
  char ph;
  uint64_t off;
} tv_async_mark_t;

/* Builder only: a flow step (s/t/f) or a span link, matched in tv_store_build. */
typedef struct tv_flow_mark {
  int64_t pid, tid, ts_ns; /* for links: unused, found from the spans */
  uint64_t key;            /* flow id; for links the source span's key */
  uint64_t to_span;        /* links: the target span's key; steps: 0 */
  uint32_t name;
  char ph;                 /* 's', 't', 'f', or 'L' for a link */
  uint64_t off;
} tv_flow_mark_t;

/* Raw phase counts: one-byte ph values in by_byte, anything else by string. */
typedef struct tv_phase_counts {
  uint64_t by_byte[256];
  uint32_t *other_ph;   /* interned ph strings of length != 1 */
  uint64_t *other_n;
  size_t n_other, cap_other;
} tv_phase_counts_t;

/* Common part of builder and store. */
typedef struct tv_tables {
  tv_intern_t strings;
  tv_thread_t *threads; size_t n_threads, cap_threads;
  tv_process_t *procs; size_t n_procs, cap_procs;
  tv_counter_t *counters; size_t n_counters, cap_counters;
  tv_llvm_total_t *totals; size_t n_totals, cap_totals;
  uint32_t *cats; size_t n_cats, cap_cats; /* category index -> string id */
  tv_phase_counts_t phases;
  tv_diag_t diag;
  uint64_t n_raw_events;
  tv_flow_t *flows; size_t n_flows, cap_flows;
  tv_span_t *spans; size_t n_spans, cap_spans;                 /* builder only */
  tv_async_mark_t *asyncs; size_t n_asyncs, cap_asyncs;        /* builder only */
  tv_flow_mark_t *flow_marks; size_t n_flow_marks, cap_flow_marks; /* builder only */
  uint64_t *revisit; size_t n_revisit, cap_revisit; /* builder only: offsets of events
                                 the reader resolves after its scan (Chrome P) */
  /* Sampled profiles (perf script, folded stacks, cpuprofile, Chrome P) */
  uint64_t n_samples;     /* samples read */
  int64_t sample_weight;  /* sum of their weights (folded stacks: the counts) */
  int64_t sample_ns;      /* timeline width of one unit of weight; 0: not sampled */
  uint64_t n_span_events; /* spans read (Jaeger, OTLP) */
  bool no_timeline;       /* the times are made up (folded stacks): no timeline view */
  /* private lookup caches */
  uint32_t *thread_slots; uint32_t thread_mask;
  size_t last_thread;
} tv_tables_t;

typedef tv_tables_t tv_builder_t;

typedef struct tv_store {
  tv_tables_t t;
  int64_t min_ns, max_ns;     /* time range; min > max when empty */
  uint64_t n_slices, n_instants, n_counter_samples;
  /* private: a store loaded from the index cache keeps its columns in one
   * anonymous mapping (arena) or maps them in place from the cache file
   * (mapped; index_cache.c); tv_store_free calls arena_free first, which
   * takes them out of the store and unmaps both. */
  void *arena, *mapped;
  size_t arena_bytes, mapped_bytes;
  void (*arena_free)(struct tv_store *store);
} tv_store_t;

/* lanes.c, called by tv_store_build: matches async marks into spans, lays
 * spans out on lane threads, and turns flow marks and links into flows. */
int tv_lanes_build(tv_tables_t *t, int64_t end_of_trace);

/* ---- builder: what readers call ---- */
int tv_builder_init(tv_builder_t *b);
void tv_builder_free(tv_builder_t *b);
/** thread for (pid, tid), created when new; NULL on out of memory */
tv_thread_t *tv_builder_thread(tv_builder_t *b, int64_t pid, int64_t tid);
tv_process_t *tv_builder_process(tv_builder_t *b, int64_t pid);
/** category index for an interned category string id */
uint16_t tv_builder_cat(tv_builder_t *b, uint32_t cat_id);
int tv_builder_add_slice(tv_builder_t *b, tv_thread_t *th, int64_t ts, int64_t dur,
                         uint32_t name, uint32_t detail, uint16_t cat, uint64_t off);
int tv_builder_add_mark(tv_builder_t *b, tv_thread_t *th, int is_begin, int64_t ts,
                        uint32_t name, uint32_t detail, uint16_t cat, uint64_t off);
int tv_builder_add_instant(tv_builder_t *b, tv_thread_t *th, int64_t ts,
                           uint32_t name, uint64_t off);
int tv_builder_add_counter(tv_builder_t *b, int64_t pid, uint32_t name, uint32_t series,
                           int64_t ts, double value, uint64_t off);
int tv_builder_add_total(tv_builder_t *b, const tv_llvm_total_t *total);
int tv_builder_count_phase(tv_builder_t *b, const char *ph, size_t len);
/** a sample of thread th at ts: frames[0] is the root, frames[n - 1] the leaf
 *  (interned names). It covers [ts, ts + width_ns) on the timeline; consecutive
 *  samples with common prefixes merge into longer slices (a flame chart over
 *  time), so a thread's samples must come in time order; one that starts
 *  before the previous one ended is moved after it. weight counts toward
 *  sample_weight. */
int tv_builder_add_sample(tv_builder_t *b, tv_thread_t *th, int64_t ts, int64_t width_ns,
                          const uint32_t *frames, size_t n, int64_t weight, uint64_t off);
/** orders each thread's slices so far (a reader calls it per chunk, on the
 *  chunk's worker thread: tv_store_build then merges sorted runs) */
int tv_builder_presort(tv_builder_t *b);
/** closes every open sampled stack (tv_store_build does it too) */
int tv_builder_flush_samples(tv_builder_t *b);
/** an interval for the lanes of process pid (span key, parent key or 0) */
int tv_builder_add_span(tv_builder_t *b, const tv_span_t *span);
int tv_builder_add_async(tv_builder_t *b, const tv_async_mark_t *mark);
int tv_builder_add_flow_mark(tv_builder_t *b, const tv_flow_mark_t *mark);
int tv_builder_add_flow(tv_builder_t *b, const tv_flow_t *flow);
int tv_builder_add_revisit(tv_builder_t *b, uint64_t off);
/* internal to the store's modules (samples.c) */
int tv_builder_add_sample_mark(tv_thread_t *th, int64_t ts, uint32_t leaf, uint64_t off);
void tv_sample_run_free(tv_thread_t *th);

/* ---- store ---- */
/** merges builders (consumed: they are freed) in order into store */
int tv_store_build(tv_store_t *store, tv_builder_t *builders, size_t n, tv_error_t *err);
void tv_store_free(tv_store_t *store);
/** rebuilds the (pid, tid) -> thread lookup of tables loaded from the index
 *  cache (index_cache.c); 0 or TV_ENOMEM */
int tv_store_rebuild_lookup(tv_tables_t *t);
/** bytes held by the index (columns, strings, tables), for the memory budget */
size_t tv_store_bytes(const tv_store_t *store);
static inline tv_str_t tv_store_str(const tv_store_t *s, uint32_t id) {
  return tv_intern_str(&s->t.strings, id);
}
/** finds the thread (pid, tid) or NULL */
const tv_thread_t *tv_store_thread(const tv_store_t *s, int64_t pid, int64_t tid);
const tv_process_t *tv_store_process(const tv_store_t *s, int64_t pid);
/** number of raw events with phase ph (any length) */
uint64_t tv_store_phase_count(const tv_store_t *s, const char *ph, size_t len);

#endif
