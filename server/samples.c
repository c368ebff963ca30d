/* samples.c: sampled call stacks become slices.
 *
 * A sampling profiler (perf, V8, Chrome's P events) gives, per thread, a
 * stack every few hundred microseconds. Each sample covers [ts, ts + width)
 * on the timeline. Consecutive samples that share a prefix of frames extend
 * the same open slices, so a function running across 40 samples is one
 * slice 40 samples wide: a flame chart over time, and every view built on
 * slices (flame graph, statistics, search) works unchanged. The flame graph
 * of a range then weighs each frame by width x samples, which is the sample
 * count scaled by the width when widths are equal (perf script, folded).
 *
 * A sample that starts before the previous one ended (timer jitter) is moved
 * to the end of the previous one, so widths stay exact and slices never
 * overlap; a gap between samples (the thread slept) closes every open slice.
 */
#include "traceview/store.h"

#include <stdlib.h>
#include <string.h>

struct tv_sample_run {
  uint32_t *name;  /* open frames, root first */
  int64_t *start;
  uint64_t *off;
  size_t n, cap;
  int64_t end;     /* where the last sample ended */
};

void tv_sample_run_free(tv_thread_t *th) {
  struct tv_sample_run *r = th->run;
  if (!r) return;
  free(r->name);
  free(r->start);
  free(r->off);
  free(r);
  th->run = NULL;
}

/* Closes open frames [keep, n) at time end, outermost first: a frame and its
 * callee often have the same start, end and offset (the sample's), and the
 * store keeps such ties in insertion order, so the caller must come first. */
static int close_frames(tv_builder_t *b, tv_thread_t *th, size_t keep, int64_t end) {
  struct tv_sample_run *r = th->run;
  for (size_t i = keep; i < r->n; i++)
    if (tv_builder_add_slice(b, th, r->start[i], end - r->start[i], r->name[i], TV_NO_STRING, 0,
                             r->off[i]) != 0)
      return TV_ENOMEM;
  if (r->n > keep) r->n = keep;
  return 0;
}

static int reserve(struct tv_sample_run *r, size_t need) {
  if (need <= r->cap) return 0;
  size_t cap = r->cap ? r->cap * 2 : 64;
  while (cap < need) cap *= 2;
  uint32_t *name = realloc(r->name, cap * sizeof *name);
  if (!name) return TV_ENOMEM;
  r->name = name;
  int64_t *start = realloc(r->start, cap * sizeof *start);
  if (!start) return TV_ENOMEM;
  r->start = start;
  uint64_t *off = realloc(r->off, cap * sizeof *off);
  if (!off) return TV_ENOMEM;
  r->off = off;
  r->cap = cap;
  return 0;
}

int tv_builder_add_sample(tv_builder_t *b, tv_thread_t *th, int64_t ts, int64_t width_ns,
                          const uint32_t *frames, size_t n, int64_t weight, uint64_t off) {
  if (width_ns < 0) width_ns = 0;
  if (!th->run) {
    th->run = calloc(1, sizeof *th->run);
    if (!th->run) return TV_ENOMEM;
    th->run->end = INT64_MIN;
  }
  struct tv_sample_run *r = th->run;
  size_t keep = 0;
  if (r->end != INT64_MIN && ts <= r->end) {
    ts = r->end; /* jitter: start where the previous sample ended */
    while (keep < r->n && keep < n && r->name[keep] == frames[keep]) keep++;
  }
  if (close_frames(b, th, keep, r->end) != 0 || reserve(r, n) != 0) return TV_ENOMEM;
  for (size_t i = keep; i < n; i++) {
    r->name[i] = frames[i];
    r->start[i] = ts;
    r->off[i] = off;
  }
  r->n = n;
  r->end = tv_sat_add(ts, width_ns);
  b->n_samples++;
  b->sample_weight = tv_sat_add(b->sample_weight, weight);
  return tv_builder_add_sample_mark(th, ts, n ? frames[n - 1] : TV_NO_STRING, off);
}

int tv_builder_flush_samples(tv_builder_t *b) {
  for (size_t i = 0; i < b->n_threads; i++) {
    tv_thread_t *th = &b->threads[i];
    if (!th->run) continue;
    int rc = close_frames(b, th, 0, th->run->end);
    tv_sample_run_free(th);
    if (rc) return rc;
  }
  return 0;
}
