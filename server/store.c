/* store.c: builders (per-chunk raw tables) and their merge into the store.
 *
 * NOTES ON THE DESIGN
 * A reader appends raw events to a builder in file order. tv_store_build then:
 *   1. merges builders in chunk order (remapping chunk-local string ids);
 *   2. computes the time range over slices, B/E marks, instants, counters;
 *   3. per thread, matches B/E marks into slices (stable timestamp order,
 *      unclosed B closed at the end of the trace);
 *   4. per thread, sorts slices by (start, longer first, offset) and walks
 *      them with a stack to set depth (see docs/cli.md, "Nesting and self
 *      time"; zero-length slices are never parents; self time is derived
 *      when asked, lod.h);
 *   5. per thread, regroups slices by depth (a stable counting sort), so each
 *      depth is a run of disjoint slices that tiles can binary-search;
 *   6. sorts threads by (pid, sort index, tid).
 * Steps 3-5 depend only on the merged tables, so any chunking of the input
 * at event boundaries produces the same store.
 *
 * Columns grow with realloc: glibc moves large blocks with mremap, so spare
 * capacity costs address space, not resident memory. */
#include "traceview/store.h"
#include "traceview/selftrace.h"
#include "traceview/order.h"
#include "traceview/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- diag */

static const char *const diag_names[] = {
#define TV__DIAG_NAME(name, desc) #name,
    TV_DIAG_MAP(TV__DIAG_NAME)
#undef TV__DIAG_NAME
};
static const char *const diag_descs[] = {
#define TV__DIAG_DESC(name, desc) desc,
    TV_DIAG_MAP(TV__DIAG_DESC)
#undef TV__DIAG_DESC
};

void tv_diag_init(tv_diag_t *d) {
  for (int i = 0; i < TV_DIAG_COUNT; i++) {
    d->count[i] = 0;
    d->first_off[i] = -1;
  }
}

void tv_diag_add(tv_diag_t *d, int kind, int64_t off) {
  if (d->count[kind]++ == 0 || (off >= 0 && off < d->first_off[kind]))
    d->first_off[kind] = off;
}

const char *tv_diag_name(int kind) { return diag_names[kind]; }
const char *tv_diag_desc(int kind) { return diag_descs[kind]; }

/* ------------------------------------------------------------- columns */

/* Reallocates every column in cols (element sizes in sizes) to ncap rows. */
static int resize_columns(size_t *cap, size_t ncap, void **cols[], const size_t sizes[],
                          int ncols) {
  for (int i = 0; i < ncols; i++) {
    void *p = realloc(*cols[i], ncap * sizes[i]);
    if (!p) return TV_ENOMEM;
    *cols[i] = p;
  }
  *cap = ncap;
  return 0;
}

/* Grows every column to hold at least need rows (by 1.5x steps). */
static int grow_columns(size_t *cap, size_t need, void **cols[], const size_t sizes[],
                        int ncols) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) ncap += ncap / 2 + 16;
  return resize_columns(cap, ncap, cols, sizes, ncols);
}

#define GROW_ARRAY(arr, n, cap)                                             \
  ((n) < (cap) ? 0 : grow_columns(&(cap), (n) + 1, (void **[]){(void **)&(arr)}, \
                                  (size_t[]){sizeof *(arr)}, 1))

/* The slice columns, the one list of them (depth last: gather_slices). */
#define SLICE_COLUMN_PTRS(s)                                                    \
  (void **)&(s)->start_ns, (void **)&(s)->dur_ns, (void **)&(s)->name,          \
      (void **)&(s)->detail, (void **)&(s)->off_lo, (void **)&(s)->off_hi,      \
      (void **)&(s)->cat, (void **)&(s)->depth
#define SLICE_COLUMN_SIZES 8, 8, 4, 4, 4, 1, 2, 2
#define SLICE_COLUMNS(s) (void **[]){SLICE_COLUMN_PTRS(s)}, (size_t[]){SLICE_COLUMN_SIZES}, 8
#define INSTANT_COLUMNS(s)                                                          \
  (void **[]){(void **)&(s)->ts_ns, (void **)&(s)->name, (void **)&(s)->off},       \
      (size_t[]){8, 4, 8}, 3

static int slices_reserve(tv_slices_t *s, size_t need) {
  return grow_columns(&s->cap, need, SLICE_COLUMNS(s));
}

static void slices_free(tv_slices_t *s) {
  free(s->start_ns); free(s->dur_ns); free(s->name);
  free(s->detail); free(s->off_lo); free(s->off_hi); free(s->cat); free(s->depth);
  memset(s, 0, sizeof *s);
}

static int instants_reserve(tv_instants_t *s, size_t need) {
  return grow_columns(&s->cap, need, INSTANT_COLUMNS(s));
}

static void instants_free(tv_instants_t *s) {
  free(s->ts_ns); free(s->name); free(s->off);
  memset(s, 0, sizeof *s);
}

static int marks_reserve(tv_marks_t *m, size_t need) {
  return grow_columns(&m->cap, need,
                      (void **[]){(void **)&m->ts_ns, (void **)&m->off, (void **)&m->name,
                                  (void **)&m->detail, (void **)&m->cat,
                                  (void **)&m->is_begin},
                      (size_t[]){8, 8, 4, 4, 4, 1}, 6);
}

static void marks_free(tv_marks_t *m) {
  free(m->ts_ns); free(m->off); free(m->name); free(m->detail); free(m->cat);
  free(m->is_begin);
  memset(m, 0, sizeof *m);
}

static int counter_reserve(tv_counter_t *c, size_t need) {
  return grow_columns(&c->cap, need,
                      (void **[]){(void **)&c->ts_ns, (void **)&c->value, (void **)&c->off},
                      (size_t[]){8, 8, 8}, 3);
}

/* ------------------------------------------------------------- builder */

int tv_builder_init(tv_builder_t *b) {
  memset(b, 0, sizeof *b);
  tv_diag_init(&b->diag);
  if (tv_intern_init(&b->strings) != 0) return TV_ENOMEM;
  /* Category index 0 is always "no category" (string id 0). */
  if (tv_builder_cat(b, TV_NO_STRING) != 0) return TV_ENOMEM;
  return 0;
}

static void thread_free(tv_thread_t *th) {
  free(th->depth_begin);
  free(th->presorted);
  slices_free(&th->slices);
  instants_free(&th->instants);
  instants_free(&th->samples);
  tv_sample_run_free(th);
  marks_free(&th->marks);
}

void tv_builder_free(tv_builder_t *b) {
  if (!b) return;
  for (size_t i = 0; i < b->n_threads; i++) thread_free(&b->threads[i]);
  free(b->threads);
  free(b->procs);
  for (size_t i = 0; i < b->n_counters; i++) {
    free(b->counters[i].ts_ns); free(b->counters[i].value); free(b->counters[i].off);
  }
  free(b->counters);
  free(b->totals);
  free(b->flows);
  free(b->spans);
  free(b->asyncs);
  free(b->flow_marks);
  free(b->revisit);
  free(b->cats);
  free(b->phases.other_ph);
  free(b->phases.other_n);
  free(b->thread_slots);
  tv_intern_free(&b->strings);
  memset(b, 0, sizeof *b);
}

static uint32_t thread_hash(int64_t pid, int64_t tid) {
  uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull ^ (uint64_t)tid * 0xC2B2AE3D27D4EB4Full;
  return (uint32_t)(h ^ (h >> 31));
}

static int rebuild_thread_slots(tv_tables_t *b) {
  uint32_t nslots = 64;
  while (nslots < b->n_threads * 2 + 2) nslots *= 2;
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return TV_ENOMEM;
  for (size_t i = 0; i < b->n_threads; i++) {
    uint32_t k = thread_hash(b->threads[i].pid, b->threads[i].tid) & (nslots - 1);
    while (slots[k]) k = (k + 1) & (nslots - 1);
    slots[k] = (uint32_t)i + 1;
  }
  free(b->thread_slots);
  b->thread_slots = slots;
  b->thread_mask = nslots - 1;
  return 0;
}

static tv_thread_t *find_thread(const tv_tables_t *b, int64_t pid, int64_t tid) {
  if (!b->thread_slots) return NULL;
  uint32_t k = thread_hash(pid, tid) & b->thread_mask;
  for (uint32_t v; (v = b->thread_slots[k]) != 0; k = (k + 1) & b->thread_mask) {
    tv_thread_t *th = &b->threads[v - 1];
    if (th->pid == pid && th->tid == tid) return th;
  }
  return NULL;
}

tv_thread_t *tv_builder_thread(tv_builder_t *b, int64_t pid, int64_t tid) {
  /* Consecutive events are usually on the same thread. */
  if (b->last_thread < b->n_threads) {
    tv_thread_t *th = &b->threads[b->last_thread];
    if (th->pid == pid && th->tid == tid) return th;
  }
  tv_thread_t *th = find_thread(b, pid, tid);
  if (!th) {
    if (GROW_ARRAY(b->threads, b->n_threads, b->cap_threads) != 0) return NULL;
    th = &b->threads[b->n_threads++];
    memset(th, 0, sizeof *th);
    th->pid = pid;
    th->tid = tid;
    if (b->n_threads * 2 + 2 > (size_t)b->thread_mask + 1 || !b->thread_slots) {
      if (rebuild_thread_slots(b) != 0) {
        b->n_threads--;
        return NULL;
      }
    } else {
      uint32_t k = thread_hash(pid, tid) & b->thread_mask;
      while (b->thread_slots[k]) k = (k + 1) & b->thread_mask;
      b->thread_slots[k] = (uint32_t)b->n_threads;
    }
  }
  b->last_thread = (size_t)(th - b->threads);
  return th;
}

tv_process_t *tv_builder_process(tv_builder_t *b, int64_t pid) {
  for (size_t i = 0; i < b->n_procs; i++)
    if (b->procs[i].pid == pid) return &b->procs[i];
  if (GROW_ARRAY(b->procs, b->n_procs, b->cap_procs) != 0) return NULL;
  tv_process_t *p = &b->procs[b->n_procs++];
  memset(p, 0, sizeof *p);
  p->pid = pid;
  return p;
}

uint16_t tv_builder_cat(tv_builder_t *b, uint32_t cat_id) {
  /* Traces have a handful of categories; a linear scan from the most recent
   * one is cheaper than a hash. */
  for (size_t i = b->n_cats; i-- > 0;)
    if (b->cats[i] == cat_id) return (uint16_t)i;
  if (b->n_cats >= TV_CAT_OVERFLOW || GROW_ARRAY(b->cats, b->n_cats, b->cap_cats) != 0) {
    tv_diag_add(&b->diag, TV_DIAG_too_many_categories, -1);
    return TV_CAT_OVERFLOW;
  }
  b->cats[b->n_cats] = cat_id;
  return (uint16_t)b->n_cats++;
}

int tv_builder_add_slice(tv_builder_t *b, tv_thread_t *th, int64_t ts, int64_t dur,
                         uint32_t name, uint32_t detail, uint16_t cat, uint64_t off) {
  (void)b;
  tv_slices_t *s = &th->slices;
  if (s->n == s->cap && slices_reserve(s, s->n + 1) != 0) return TV_ENOMEM;
  size_t i = s->n++;
  s->start_ns[i] = ts;
  s->dur_ns[i] = dur;
  s->name[i] = name;
  s->detail[i] = detail;
  tv_slice_set_off(s, i, off);
  s->cat[i] = cat;
  return 0;
}

int tv_builder_add_mark(tv_builder_t *b, tv_thread_t *th, int is_begin, int64_t ts,
                        uint32_t name, uint32_t detail, uint16_t cat, uint64_t off) {
  (void)b;
  tv_marks_t *m = &th->marks;
  if (m->n == m->cap && marks_reserve(m, m->n + 1) != 0) return TV_ENOMEM;
  size_t i = m->n++;
  m->ts_ns[i] = ts;
  m->off[i] = off;
  m->name[i] = name;
  m->detail[i] = detail;
  m->cat[i] = cat;
  m->is_begin[i] = (uint8_t)(is_begin != 0);
  if (!is_begin) th->n_end_events++;
  return 0;
}

int tv_builder_add_instant(tv_builder_t *b, tv_thread_t *th, int64_t ts, uint32_t name,
                           uint64_t off) {
  (void)b;
  tv_instants_t *s = &th->instants;
  if (s->n == s->cap && instants_reserve(s, s->n + 1) != 0) return TV_ENOMEM;
  size_t i = s->n++;
  s->ts_ns[i] = ts;
  s->name[i] = name;
  s->off[i] = off;
  return 0;
}

static tv_counter_t *find_counter(tv_tables_t *b, int64_t pid, uint32_t name,
                                  uint32_t series) {
  for (size_t i = b->n_counters; i-- > 0;) {
    tv_counter_t *c = &b->counters[i];
    if (c->pid == pid && c->name == name && c->series == series) return c;
  }
  if (GROW_ARRAY(b->counters, b->n_counters, b->cap_counters) != 0) return NULL;
  tv_counter_t *c = &b->counters[b->n_counters++];
  memset(c, 0, sizeof *c);
  c->pid = pid;
  c->name = name;
  c->series = series;
  return c;
}

int tv_builder_add_counter(tv_builder_t *b, int64_t pid, uint32_t name, uint32_t series,
                           int64_t ts, double value, uint64_t off) {
  tv_counter_t *c = find_counter(b, pid, name, series);
  if (!c) return TV_ENOMEM;
  if (c->n == c->cap && counter_reserve(c, c->n + 1) != 0) return TV_ENOMEM;
  c->ts_ns[c->n] = ts;
  c->value[c->n] = value;
  c->off[c->n] = off;
  c->n++;
  return 0;
}

int tv_builder_add_sample_mark(tv_thread_t *th, int64_t ts, uint32_t leaf, uint64_t off) {
  tv_instants_t *s = &th->samples;
  if (s->n == s->cap && instants_reserve(s, s->n + 1) != 0) return TV_ENOMEM;
  size_t i = s->n++;
  s->ts_ns[i] = ts;
  s->name[i] = leaf;
  s->off[i] = off;
  return 0;
}

int tv_builder_add_span(tv_builder_t *b, const tv_span_t *span) {
  if (GROW_ARRAY(b->spans, b->n_spans, b->cap_spans) != 0) return TV_ENOMEM;
  b->spans[b->n_spans++] = *span;
  return 0;
}

int tv_builder_add_async(tv_builder_t *b, const tv_async_mark_t *mark) {
  if (GROW_ARRAY(b->asyncs, b->n_asyncs, b->cap_asyncs) != 0) return TV_ENOMEM;
  b->asyncs[b->n_asyncs++] = *mark;
  return 0;
}

int tv_builder_add_flow_mark(tv_builder_t *b, const tv_flow_mark_t *mark) {
  if (GROW_ARRAY(b->flow_marks, b->n_flow_marks, b->cap_flow_marks) != 0) return TV_ENOMEM;
  b->flow_marks[b->n_flow_marks++] = *mark;
  return 0;
}

int tv_builder_add_revisit(tv_builder_t *b, uint64_t off) {
  if (GROW_ARRAY(b->revisit, b->n_revisit, b->cap_revisit) != 0) return TV_ENOMEM;
  b->revisit[b->n_revisit++] = off;
  return 0;
}

int tv_builder_add_flow(tv_builder_t *b, const tv_flow_t *flow) {
  if (GROW_ARRAY(b->flows, b->n_flows, b->cap_flows) != 0) return TV_ENOMEM;
  tv_flow_t *d = &b->flows[b->n_flows++]; /* zeroed padding: see tv_builder_add_total */
  memset(d, 0, sizeof *d);
  d->from_pid = flow->from_pid;
  d->from_tid = flow->from_tid;
  d->from_ts = flow->from_ts;
  d->to_pid = flow->to_pid;
  d->to_tid = flow->to_tid;
  d->to_ts = flow->to_ts;
  d->name = flow->name;
  d->off = flow->off;
  return 0;
}

/* Tables of structs are written to the index cache as they are: rows are
 * zeroed and filled field by field so padding bytes are zero too, and the
 * same trace always gives the same cache file. */
int tv_builder_add_total(tv_builder_t *b, const tv_llvm_total_t *total) {
  if (GROW_ARRAY(b->totals, b->n_totals, b->cap_totals) != 0) return TV_ENOMEM;
  tv_llvm_total_t *d = &b->totals[b->n_totals++];
  memset(d, 0, sizeof *d);
  d->name = total->name;
  d->pid = total->pid;
  d->tid = total->tid;
  d->dur_ns = total->dur_ns;
  d->count = total->count;
  d->avg_ms = total->avg_ms;
  d->off = total->off;
  return 0;
}

static int count_other_phase(tv_tables_t *b, uint32_t ph_id, uint64_t n) {
  tv_phase_counts_t *pc = &b->phases;
  for (size_t i = 0; i < pc->n_other; i++)
    if (pc->other_ph[i] == ph_id) {
      pc->other_n[i] += n;
      return 0;
    }
  if (grow_columns(&pc->cap_other, pc->n_other + 1,
                   (void **[]){(void **)&pc->other_ph, (void **)&pc->other_n},
                   (size_t[]){sizeof *pc->other_ph, sizeof *pc->other_n}, 2) != 0)
    return TV_ENOMEM;
  pc->other_ph[pc->n_other] = ph_id;
  pc->other_n[pc->n_other++] = n;
  return 0;
}

int tv_builder_count_phase(tv_builder_t *b, const char *ph, size_t len) {
  b->n_raw_events++;
  if (len == 1) {
    b->phases.by_byte[(unsigned char)ph[0]]++;
    return 0;
  }
  uint32_t id = tv_intern(&b->strings, tv_str(ph, len), NULL);
  if (id == UINT32_MAX) return TV_ENOMEM;
  return count_other_phase(b, id, 1);
}

/* --------------------------------------------------------------- merge */

/* Appends src's rows to dst, remapping string ids with map; src's columns
 * are freed as soon as they are copied, so merging never holds two copies of
 * more than one thread. */
static int append_instants(tv_instants_t *dst, const tv_instants_t *in, const uint32_t *map) {
  if (instants_reserve(dst, dst->n + in->n) != 0) return TV_ENOMEM;
  for (size_t i = 0; i < in->n; i++) {
    size_t j = dst->n++;
    dst->ts_ns[j] = in->ts_ns[i];
    dst->name[j] = map[in->name[i]];
    dst->off[j] = in->off[i];
  }
  return 0;
}

static int append_thread(tv_thread_t *dst, tv_thread_t *src, const uint32_t *map,
                         const uint16_t *cat_map) {
  const tv_slices_t *s = &src->slices;
  /* Sorted runs stay known while every row so far is in one. */
  if (s->n && dst->n_presorted == dst->slices.n && src->n_presorted == s->n) {
    uint32_t *grown = realloc(dst->presorted, (dst->slices.n + s->n) * sizeof *grown);
    if (!grown) return TV_ENOMEM;
    dst->presorted = grown;
    for (size_t i = 0; i < s->n; i++)
      grown[dst->n_presorted + i] = (uint32_t)dst->slices.n + src->presorted[i];
    dst->n_presorted += s->n;
  } else if (s->n) {
    free(dst->presorted);
    dst->presorted = NULL;
    dst->n_presorted = 0;
  }
  free(src->presorted);
  src->presorted = NULL;
  src->n_presorted = 0;
  if (dst->slices.n + s->n > UINT32_MAX) return TV_ENOMEM;
  if (slices_reserve(&dst->slices, dst->slices.n + s->n) != 0) return TV_ENOMEM;
  for (size_t i = 0; i < s->n; i++) {
    size_t j = dst->slices.n++;
    dst->slices.start_ns[j] = s->start_ns[i];
    dst->slices.dur_ns[j] = s->dur_ns[i];
    dst->slices.name[j] = map[s->name[i]];
    dst->slices.detail[j] = map[s->detail[i]];
    dst->slices.off_lo[j] = s->off_lo[i];
    dst->slices.off_hi[j] = s->off_hi[i];
    dst->slices.cat[j] = s->cat[i] == TV_CAT_OVERFLOW ? TV_CAT_OVERFLOW : cat_map[s->cat[i]];
  }
  if (append_instants(&dst->instants, &src->instants, map) != 0 ||
      append_instants(&dst->samples, &src->samples, map) != 0)
    return TV_ENOMEM;
  if (src->kind) dst->kind = src->kind;
  const tv_marks_t *m = &src->marks;
  if (marks_reserve(&dst->marks, dst->marks.n + m->n) != 0) return TV_ENOMEM;
  for (size_t i = 0; i < m->n; i++) {
    size_t j = dst->marks.n++;
    dst->marks.ts_ns[j] = m->ts_ns[i];
    dst->marks.off[j] = m->off[i];
    dst->marks.name[j] = map[m->name[i]];
    dst->marks.detail[j] = map[m->detail[i]];
    dst->marks.cat[j] = m->cat[i] == TV_CAT_OVERFLOW ? TV_CAT_OVERFLOW : cat_map[m->cat[i]];
    dst->marks.is_begin[j] = m->is_begin[i];
  }
  /* Metadata later in the file wins, as in a single pass. */
  if (src->name) dst->name = map[src->name];
  if (src->has_sort_index) {
    dst->sort_index = src->sort_index;
    dst->has_sort_index = true;
  }
  dst->listed |= src->listed;
  dst->n_end_events += src->n_end_events;
  slices_free(&src->slices);
  instants_free(&src->instants);
  instants_free(&src->samples);
  marks_free(&src->marks);
  return 0;
}

typedef struct append_job {
  tv_thread_t *dst, *src;
  const uint32_t *map;
  const uint16_t *cat_map;
  int rc;
} append_job_t;

static int append_job(void *ctx, size_t i) {
  append_job_t *j = (append_job_t *)ctx + i;
  j->rc = append_thread(j->dst, j->src, j->map, j->cat_map);
  return j->rc;
}

/* Merges builder src into dst (which owns the result). */
static int merge_builder(tv_tables_t *dst, tv_builder_t *src) {
  int rc = TV_ENOMEM;
  uint32_t *map = malloc((size_t)src->strings.n * sizeof *map);
  uint16_t *cat_map = malloc((src->n_cats + 1) * sizeof *cat_map);
  if (!map || !cat_map) goto out;
  /* Strings new to dst are copied: src's arena goes with src. */
  for (uint32_t i = 0; i < src->strings.n; i++) {
    map[i] = tv_intern_copied(&dst->strings, src->strings.strs[i], NULL);
    if (map[i] == UINT32_MAX) goto out;
  }
  for (size_t i = 0; i < src->n_cats; i++) cat_map[i] = tv_builder_cat(dst, map[src->cats[i]]);
  /* Threads append independently: in parallel when there is much to copy.
   * Every destination thread exists before any job starts (creating one may
   * move the array). */
  append_job_t *jobs = calloc(src->n_threads + 1, sizeof *jobs);
  if (!jobs) goto out;
  uint64_t rows = 0;
  for (size_t i = 0; i < src->n_threads; i++) {
    tv_thread_t *s = &src->threads[i];
    if (!tv_builder_thread(dst, s->pid, s->tid)) {
      free(jobs);
      goto out;
    }
    rows += s->slices.n + s->marks.n;
  }
  for (size_t i = 0; i < src->n_threads; i++) {
    tv_thread_t *s = &src->threads[i];
    jobs[i] = (append_job_t){find_thread(dst, s->pid, s->tid), s, map, cat_map, 0};
  }
  if (rows >= (1u << 20)) {
    tv_pool_run(src->n_threads, append_job, jobs, 0);
  } else {
    for (size_t i = 0; i < src->n_threads; i++) append_job(jobs, i);
  }
  for (size_t i = 0; i < src->n_threads; i++)
    if (jobs[i].rc) {
      free(jobs);
      goto out;
    }
  free(jobs);
  for (size_t i = 0; i < src->n_procs; i++) {
    tv_process_t *d = tv_builder_process(dst, src->procs[i].pid);
    if (!d) goto out;
    if (src->procs[i].name) d->name = map[src->procs[i].name];
    if (src->procs[i].has_sort_index) {
      d->sort_index = src->procs[i].sort_index;
      d->has_sort_index = true;
    }
  }
  for (size_t i = 0; i < src->n_counters; i++) {
    const tv_counter_t *s = &src->counters[i];
    for (size_t k = 0; k < s->n; k++)
      if (tv_builder_add_counter(dst, s->pid, map[s->name], map[s->series], s->ts_ns[k],
                                 s->value[k], s->off[k]) != 0)
        goto out;
  }
  for (size_t i = 0; i < src->n_totals; i++) {
    tv_llvm_total_t t = src->totals[i];
    t.name = map[t.name];
    if (tv_builder_add_total(dst, &t) != 0) goto out;
  }
  for (int k = 0; k < 256; k++) dst->phases.by_byte[k] += src->phases.by_byte[k];
  for (size_t i = 0; i < src->phases.n_other; i++)
    if (count_other_phase(dst, map[src->phases.other_ph[i]], src->phases.other_n[i]) != 0)
      goto out;
  for (int k = 0; k < TV_DIAG_COUNT; k++) {
    if (!src->diag.count[k]) continue;
    if (!dst->diag.count[k]) dst->diag.first_off[k] = src->diag.first_off[k];
    dst->diag.count[k] += src->diag.count[k];
  }
  for (size_t i = 0; i < src->n_spans; i++) {
    tv_span_t sp = src->spans[i];
    sp.name = map[sp.name];
    sp.detail = map[sp.detail];
    sp.cat = sp.cat == TV_CAT_OVERFLOW ? TV_CAT_OVERFLOW : cat_map[sp.cat];
    if (tv_builder_add_span(dst, &sp) != 0) goto out;
  }
  for (size_t i = 0; i < src->n_asyncs; i++) {
    tv_async_mark_t m = src->asyncs[i];
    m.name = map[m.name];
    m.detail = map[m.detail];
    m.cat = m.cat == TV_CAT_OVERFLOW ? TV_CAT_OVERFLOW : cat_map[m.cat];
    if (tv_builder_add_async(dst, &m) != 0) goto out;
  }
  for (size_t i = 0; i < src->n_flow_marks; i++) {
    tv_flow_mark_t m = src->flow_marks[i];
    m.name = map[m.name];
    if (tv_builder_add_flow_mark(dst, &m) != 0) goto out;
  }
  for (size_t i = 0; i < src->n_flows; i++) {
    tv_flow_t f = src->flows[i];
    f.name = map[f.name];
    if (tv_builder_add_flow(dst, &f) != 0) goto out;
  }
  dst->n_raw_events += src->n_raw_events;
  dst->n_samples += src->n_samples;
  dst->sample_weight = tv_sat_add(dst->sample_weight, src->sample_weight);
  if (src->sample_ns > dst->sample_ns) dst->sample_ns = src->sample_ns;
  dst->n_span_events += src->n_span_events;
  dst->no_timeline |= src->no_timeline;
  rc = 0;
out:
  free(map);
  free(cat_map);
  return rc;
}

/* ------------------------------------------------------------ ordering */

/* Slices order by (start, longer first, byte offset), then row (stable):
 * outer slices come before the slices they contain. */
static inline int slice_cmp(const tv_slices_t *s, size_t a, size_t b) {
  if (s->start_ns[a] != s->start_ns[b]) return s->start_ns[a] < s->start_ns[b] ? -1 : 1;
  if (s->dur_ns[a] != s->dur_ns[b]) return s->dur_ns[a] > s->dur_ns[b] ? -1 : 1;
  uint64_t oa = tv_slice_off(s, a), ob = tv_slice_off(s, b);
  if (oa != ob) return oa < ob ? -1 : 1;
  return 0;
}

/* Rows sorted by timestamp (stable) into order; rows must fit 32 bits (the
 * pyramid and flame trees number rows in 32 bits too). */
static int time_order(const int64_t *ts, size_t n, uint32_t *order) {
  if (n > UINT32_MAX) return TV_ENOMEM;
  tv_order_item_t *items = malloc(n * sizeof *items), *tmp = malloc(n * sizeof *tmp);
  if (!items || !tmp) {
    free(items);
    free(tmp);
    return TV_ENOMEM;
  }
  int64_t lo = INT64_MAX;
  for (size_t i = 0; i < n; i++)
    if (ts[i] < lo) lo = ts[i];
  for (size_t i = 0; i < n; i++) items[i] = (tv_order_item_t){tv_order_key(ts[i], lo), i};
  tv_radix_sort(items, tmp, n);
  for (size_t i = 0; i < n; i++) order[i] = (uint32_t)items[i].row;
  free(items);
  free(tmp);
  return 0;
}

/* Within runs of equal start (from a stable sort by start), orders rows by
 * the rest of slice_cmp, then row. Such runs are short: nested slices that
 * begin together, zero-length marks. */
static void order_equal_starts(const tv_slices_t *s, uint32_t *order, size_t n) {
  for (size_t a = 0, b; a < n; a = b) {
    for (b = a + 1; b < n && s->start_ns[order[b]] == s->start_ns[order[a]]; b++) {}
    for (size_t i = a + 1; i < b; i++) { /* insertion sort */
      uint32_t r = order[i];
      size_t j = i;
      for (; j > a; j--) {
        int c = slice_cmp(s, order[j - 1], r);
        if (c < 0 || (c == 0 && order[j - 1] < r)) break;
        order[j] = order[j - 1];
      }
      order[j] = r;
    }
  }
}

#define MAX_MERGED_RUNS 8

/* The k-th row of the sequence that presorted describes: rows of the sorted
 * runs first, then the rows added after them (matched B/E pairs) in order. */
static inline size_t seq_row(const tv_thread_t *th, size_t k) {
  return k < th->n_presorted ? th->presorted[k] : k;
}

/* Merges sorted runs [run[r], run[r + 1]) of the sequence into order; ties
 * go to the earlier run, so the merge is stable. */
static void merge_runs(const tv_thread_t *th, const size_t *run, size_t n_runs,
                       uint32_t *order) {
  const tv_slices_t *s = &th->slices;
  size_t head[MAX_MERGED_RUNS];
  for (size_t r = 0; r < n_runs; r++) head[r] = run[r];
  if (n_runs == 1) {
    for (size_t k = 0; k < s->n; k++) order[k] = (uint32_t)seq_row(th, k);
    return;
  }
  if (n_runs == 2) { /* the common case: two chunks */
    size_t a = head[0], b = head[1], out = 0;
    while (a < run[1] && b < run[2]) {
      size_t ra = seq_row(th, a), rb = seq_row(th, b);
      if (slice_cmp(s, rb, ra) < 0) {
        order[out++] = (uint32_t)rb;
        b++;
      } else {
        order[out++] = (uint32_t)ra;
        a++;
      }
    }
    for (; a < run[1]; a++) order[out++] = (uint32_t)seq_row(th, a);
    for (; b < run[2]; b++) order[out++] = (uint32_t)seq_row(th, b);
    return;
  }
  for (size_t out = 0; out < s->n; out++) {
    size_t best = SIZE_MAX;
    for (size_t r = 0; r < n_runs; r++) {
      if (head[r] == run[r + 1]) continue;
      if (best == SIZE_MAX || slice_cmp(s, seq_row(th, head[r]), seq_row(th, head[best])) < 0)
        best = r;
    }
    order[out] = (uint32_t)seq_row(th, head[best]++);
  }
}

/* The rows of th's slices in slice_cmp order, or *out NULL when they are in
 * row order already. Input made of a few sorted runs (chunks presorted in
 * parallel, see tv_builder_presort) is merged; anything else is radix
 * sorted. The presorted hint is used up. */
static int slice_order(tv_thread_t *th, uint32_t **out) {
  *out = NULL;
  const tv_slices_t *s = &th->slices;
  size_t n = s->n, run[MAX_MERGED_RUNS + 1], n_runs = 1;
  bool identity = true;
  run[0] = 0;
  for (size_t k = 1; k < n; k++) {
    size_t prev = seq_row(th, k - 1), cur = seq_row(th, k);
    if (cur != k) identity = false;
    if (slice_cmp(s, prev, cur) <= 0) continue;
    if (n_runs == MAX_MERGED_RUNS) {
      n_runs = SIZE_MAX;
      break;
    }
    run[n_runs++] = k;
  }
  int rc = 0;
  uint32_t *order = NULL;
  if (n_runs == 1 && identity) goto done;
  if (n > UINT32_MAX) {
    rc = TV_ENOMEM;
    goto done;
  }
  if (!(order = malloc(n * sizeof *order))) {
    rc = TV_ENOMEM;
    goto done;
  }
  if (n_runs != SIZE_MAX) {
    run[n_runs] = n;
    merge_runs(th, run, n_runs, order);
  } else if ((rc = time_order(s->start_ns, n, order)) == 0) {
    order_equal_starts(s, order, n);
  }
done:
  free(th->presorted);
  th->presorted = NULL;
  th->n_presorted = 0;
  if (rc) free(order);
  else *out = order;
  return rc;
}

/* Replaces a column of elements of size sz by its rows in order. */
static int gather_column(void *colp, size_t sz, const uint32_t *order, size_t n) {
  void **col = colp;
  void *out = malloc(n ? n * sz : 1);
  if (!out) return TV_ENOMEM;
  switch (sz) {
#define GATHER(T)                                                    \
  {                                                                  \
    const T *in = *col;                                              \
    T *o = out;                                                      \
    for (size_t i = 0; i < n; i++) o[i] = in[order[i]];              \
  }                                                                  \
  break;
    case 8: GATHER(uint64_t)
    case 4: GATHER(uint32_t)
    case 2: GATHER(uint16_t)
    default: GATHER(uint8_t)
#undef GATHER
  }
  free(*col);
  *col = out;
  return 0;
}

/* Puts the slice columns in order; with nested, depth too (before nesting
 * it holds nothing yet). Columns are exactly n rows after. */
static int gather_slices(tv_slices_t *s, const uint32_t *order, bool nested) {
  void **cols[] = {SLICE_COLUMN_PTRS(s)};
  static const size_t sizes[] = {SLICE_COLUMN_SIZES};
  /* depth is the last column */
  size_t ncols = sizeof sizes / sizeof *sizes - (nested ? 0 : 1);
  int rc = 0;
  for (size_t c = 0; c < ncols && rc == 0; c++) rc = gather_column(cols[c], sizes[c], order, s->n);
  /* Ungathered columns are at least n rows: n is a safe capacity. */
  if (rc == 0) s->cap = s->n;
  return rc;
}

int tv_builder_presort(tv_builder_t *b) {
  for (size_t i = 0; i < b->n_threads; i++) {
    tv_thread_t *th = &b->threads[i];
    if (th->slices.n == 0 || th->n_presorted) continue;
    uint32_t *order;
    int rc = slice_order(th, &order);
    if (rc) return rc;
    if (!order) { /* in order already: the identity */
      if (!(order = malloc(th->slices.n * sizeof *order))) return TV_ENOMEM;
      for (size_t k = 0; k < th->slices.n; k++) order[k] = (uint32_t)k;
    }
    th->presorted = order;
    th->n_presorted = th->slices.n;
  }
  return 0;
}

/* ------------------------------------------------- matching and nesting */

/* Matches B/E marks into slices; marks are freed. */
static int match_marks(tv_diag_t *diag, tv_thread_t *th, int64_t end_of_trace) {
  tv_marks_t *m = &th->marks;
  if (m->n == 0) {
    marks_free(m);
    return 0;
  }
  /* Stable timestamp order: ties keep file order (marks are in file order). */
  uint32_t *order = malloc(m->n * sizeof *order);
  size_t *stack = malloc(m->n * sizeof *stack);
  int rc = order && stack ? time_order(m->ts_ns, m->n, order) : TV_ENOMEM;
  size_t depth = 0;
  for (size_t k = 0; k < m->n && rc == 0; k++) {
    size_t i = order[k];
    if (m->is_begin[i]) {
      stack[depth++] = i;
      continue;
    }
    if (depth == 0) {
      tv_diag_add(diag, TV_DIAG_unmatched_end, (int64_t)m->off[i]);
      continue;
    }
    size_t b = stack[--depth];
    int64_t dur = m->ts_ns[i] - m->ts_ns[b];
    rc = tv_builder_add_slice(NULL, th, m->ts_ns[b], dur < 0 ? 0 : dur, m->name[b],
                              m->detail[b], (uint16_t)m->cat[b], m->off[b]);
  }
  /* Close what is still open at the end of the trace, innermost first. */
  while (depth > 0 && rc == 0) {
    size_t b = stack[--depth];
    tv_diag_add(diag, TV_DIAG_unclosed_begin, (int64_t)m->off[b]);
    int64_t dur = end_of_trace - m->ts_ns[b];
    rc = tv_builder_add_slice(NULL, th, m->ts_ns[b], dur < 0 ? 0 : dur, m->name[b],
                              m->detail[b], (uint16_t)m->cat[b], m->off[b]);
  }
  free(order);
  free(stack);
  marks_free(m);
  return rc;
}

/* Sets depth, visiting rows in slice_cmp order (order NULL: row order); see
 * invariant (2) in store.h. Self time is derived (lod.h). */
static int nest_slices(tv_diag_t *diag, tv_thread_t *th, const uint32_t *order) {
  tv_slices_t *s = &th->slices;
  size_t *stack = malloc((s->n + 1) * sizeof *stack);
  if (!stack) return TV_ENOMEM;
  size_t top = 0;
  uint32_t levels = 0;
  for (size_t k = 0; k < s->n; k++) {
    size_t i = order ? order[k] : k;
    int64_t start = s->start_ns[i], end = start + s->dur_ns[i];
    while (top > 0) {
      size_t p = stack[top - 1];
      if (s->start_ns[p] + s->dur_ns[p] > start) break;
      top--;
    }
    size_t depth = top;
    if (depth > TV_MAX_DEPTH_STORED) {
      tv_diag_add(diag, TV_DIAG_depth_clamped, (int64_t)tv_slice_off(s, i));
      depth = TV_MAX_DEPTH_STORED;
    }
    s->depth[i] = (uint16_t)depth;
    if (top > 0) {
      size_t p = stack[top - 1];
      if (end > s->start_ns[p] + s->dur_ns[p])
        tv_diag_add(diag, TV_DIAG_overlapping, (int64_t)tv_slice_off(s, i));
    }
    if (depth + 1 > levels) levels = (uint32_t)(depth + 1);
    if (s->dur_ns[i] > 0) stack[top++] = i;
  }
  th->max_depth = levels;
  free(stack);
  return 0;
}

/* Gives back spare capacity once a thread's tables are final. */
static void shrink_thread(tv_thread_t *th) {
  tv_slices_t *s = &th->slices;
  if (s->n && s->n < s->cap) resize_columns(&s->cap, s->n, SLICE_COLUMNS(s));
  tv_instants_t *in = &th->instants;
  if (in->n && in->n < in->cap) resize_columns(&in->cap, in->n, INSTANT_COLUMNS(in));
}

/* Sorts rows of parallel columns by a timestamp column, stable; the columns
 * are exactly n rows after (cap). */
static int sort_by_ts(size_t *cap, int64_t **ts, size_t n, void **cols[], const size_t sizes[],
                      int ncols) {
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; i++) sorted = (*ts)[i] >= (*ts)[i - 1];
  if (sorted) return 0;
  uint32_t *order = malloc(n * sizeof *order);
  int rc = order ? time_order(*ts, n, order) : TV_ENOMEM;
  for (int c = 0; c < ncols && rc == 0; c++) rc = gather_column(cols[c], sizes[c], order, n);
  if (rc == 0) rc = gather_column(ts, 8, order, n);
  if (rc == 0) *cap = n;
  free(order);
  return rc;
}

/* Puts the slices (in slice_cmp order through order) in their final place:
 * grouped by depth, start order within a depth (a stable counting sort). */
static int group_by_depth(tv_thread_t *th, const uint32_t *order) {
  tv_slices_t *s = &th->slices;
  th->depth_begin = calloc((size_t)th->max_depth + 1, sizeof *th->depth_begin);
  if (!th->depth_begin) return TV_ENOMEM;
  if (s->n == 0) return 0;
  uint64_t *next = calloc((size_t)th->max_depth + 1, sizeof *next);
  if (!next) return TV_ENOMEM;
  for (size_t i = 0; i < s->n; i++) next[s->depth[i] + 1]++;
  for (uint32_t d = 1; d <= th->max_depth; d++) next[d] += next[d - 1];
  memcpy(th->depth_begin, next, ((size_t)th->max_depth + 1) * sizeof *next);
  int rc = 0;
  if (order || th->max_depth > 1) {
    uint32_t *perm = malloc(s->n * sizeof *perm);
    if (perm) {
      for (size_t k = 0; k < s->n; k++) {
        uint32_t i = order ? order[k] : (uint32_t)k;
        perm[next[s->depth[i]]++] = i;
      }
      rc = gather_slices(s, perm, true);
    } else {
      rc = TV_ENOMEM;
    }
    free(perm);
  }
  free(next);
  return rc;
}

static int cmp_thread(const void *x, const void *y) {
  const tv_thread_t *a = x, *b = y;
  if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
  if (a->has_sort_index != b->has_sort_index) return a->has_sort_index ? -1 : 1;
  if (a->has_sort_index && a->sort_index != b->sort_index)
    return a->sort_index < b->sort_index ? -1 : 1;
  if (a->tid != b->tid) return a->tid < b->tid ? -1 : 1;
  return 0;
}

static int cmp_proc(const void *x, const void *y) {
  const tv_process_t *a = x, *b = y;
  return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static void update_range(tv_store_t *s, int64_t lo, int64_t hi) {
  if (lo < s->min_ns) s->min_ns = lo;
  if (hi > s->max_ns) s->max_ns = hi;
}

/* Steps 3-5 for one thread: independent of every other thread, so threads
 * are finished in parallel; repairs are counted per thread and added up in
 * thread order (counts add, first offsets take the minimum: as one pass). */
typedef struct thread_job {
  tv_thread_t *th;
  int64_t end_of_trace;
  tv_diag_t diag;
  int rc;
} thread_job_t;

static int finish_thread(void *ctx, size_t i) {
  uint64_t ph = tv_self_begin();
  thread_job_t *j = (thread_job_t *)ctx + i;
  tv_thread_t *th = j->th;
  int rc = match_marks(&j->diag, th, j->end_of_trace);
  uint32_t *order = NULL;
  if (rc == 0) rc = slice_order(th, &order);
  if (rc == 0) rc = nest_slices(&j->diag, th, order);
  if (rc == 0) rc = group_by_depth(th, order);
  free(order);
  if (rc == 0)
    rc = sort_by_ts(&th->instants.cap, &th->instants.ts_ns, th->instants.n,
                    (void **[]){(void **)&th->instants.name, (void **)&th->instants.off},
                    (size_t[]){4, 8}, 2);
  if (rc == 0)
    rc = sort_by_ts(&th->samples.cap, &th->samples.ts_ns, th->samples.n,
                    (void **[]){(void **)&th->samples.name, (void **)&th->samples.off},
                    (size_t[]){4, 8}, 2);
  if (th->slices.n || th->instants.n || th->samples.n || th->n_end_events) th->listed = true;
  shrink_thread(th);
  j->rc = rc;
  if (ph && th->slices.n) {
    char what[64];
    snprintf(what, sizeof what, "%zu slices", th->slices.n);
    tv_self_end(ph, "finish thread", what);
  }
  return 0; /* failures are in j->rc: the other threads still finish */
}

static int finish_threads(tv_tables_t *t, int64_t end_of_trace) {
  thread_job_t *jobs = calloc(t->n_threads + 1, sizeof *jobs);
  if (!jobs) return TV_ENOMEM;
  uint64_t events = 0;
  for (size_t i = 0; i < t->n_threads; i++) {
    jobs[i].th = &t->threads[i];
    jobs[i].end_of_trace = end_of_trace;
    tv_diag_init(&jobs[i].diag);
    events += t->threads[i].slices.n + t->threads[i].marks.n;
  }
  if (events >= (1u << 16)) {
    tv_pool_run(t->n_threads, finish_thread, jobs, 0);
  } else {
    for (size_t i = 0; i < t->n_threads; i++) finish_thread(jobs, i);
  }
  int rc = 0;
  for (size_t i = 0; i < t->n_threads; i++) {
    if (jobs[i].rc && !rc) rc = jobs[i].rc;
    for (int k = 0; k < TV_DIAG_COUNT; k++) {
      if (!jobs[i].diag.count[k]) continue;
      int64_t off = jobs[i].diag.first_off[k];
      if (!t->diag.count[k] || (off >= 0 && off < t->diag.first_off[k])) t->diag.first_off[k] = off;
      t->diag.count[k] += jobs[i].diag.count[k];
    }
  }
  free(jobs);
  return rc;
}

/* [min, max] over slices, instants, counter samples (and B/E marks). */
static void compute_range(tv_store_t *store, bool with_marks) {
  const tv_tables_t *t = &store->t;
  store->min_ns = INT64_MAX;
  store->max_ns = INT64_MIN;
  for (size_t i = 0; i < t->n_threads; i++) {
    const tv_thread_t *th = &t->threads[i];
    for (size_t k = 0; k < th->slices.n; k++)
      update_range(store, th->slices.start_ns[k], th->slices.start_ns[k] + th->slices.dur_ns[k]);
    for (size_t k = 0; with_marks && k < th->marks.n; k++)
      update_range(store, th->marks.ts_ns[k], th->marks.ts_ns[k]);
    for (size_t k = 0; k < th->instants.n; k++)
      update_range(store, th->instants.ts_ns[k], th->instants.ts_ns[k]);
    for (size_t k = 0; k < th->samples.n; k++)
      update_range(store, th->samples.ts_ns[k], th->samples.ts_ns[k]);
  }
  for (size_t i = 0; with_marks && i < t->n_asyncs; i++)
    update_range(store, t->asyncs[i].ts_ns, t->asyncs[i].ts_ns);
  for (size_t i = 0; with_marks && i < t->n_spans; i++)
    update_range(store, t->spans[i].start_ns, tv_sat_add(t->spans[i].start_ns, t->spans[i].dur_ns));
  for (size_t i = 0; i < t->n_counters; i++)
    for (size_t k = 0; k < t->counters[i].n; k++)
      update_range(store, t->counters[i].ts_ns[k], t->counters[i].ts_ns[k]);
}

int tv_store_build(tv_store_t *store, tv_builder_t *builders, size_t n, tv_error_t *err) {
  memset(store, 0, sizeof *store);
  int rc = 0;
  size_t first = 0;
  if (n == 0) {
    rc = tv_builder_init(&store->t);
  } else {
    /* The first builder becomes the store's tables; the rest merge into it. */
    store->t = builders[0];
    memset(&builders[0], 0, sizeof builders[0]);
    first = 1;
  }
  if (rc == 0) rc = tv_builder_flush_samples(&store->t);
  /* Each builder is freed once merged, to keep the peak low. */
  uint64_t ph = tv_self_begin();
  for (size_t i = first; i < n; i++) {
    if (rc == 0) rc = tv_builder_flush_samples(&builders[i]);
    if (rc == 0) rc = merge_builder(&store->t, &builders[i]);
    tv_builder_free(&builders[i]);
  }
  if (rc != 0) goto fail;

  tv_self_end(ph, "merge chunks", NULL);
  tv_tables_t *t = &store->t;
  /* Unclosed B close at the last timestamp seen anywhere, E marks included. */
  compute_range(store, true);
  rc = tv_lanes_build(t, store->max_ns);
  if (rc != 0) goto fail;
  ph = tv_self_begin();
  rc = finish_threads(t, store->max_ns);
  tv_self_end(ph, "finish threads", NULL);
  for (size_t i = 0; i < t->n_threads; i++) {
    store->n_slices += t->threads[i].slices.n;
    store->n_instants += t->threads[i].instants.n;
  }
  if (rc != 0) goto fail;
  /* The time range covers what is on the timeline: dropped E marks are not. */
  compute_range(store, false);
  for (size_t i = 0; i < t->n_counters && rc == 0; i++) {
    tv_counter_t *c = &t->counters[i];
    store->n_counter_samples += c->n;
    rc = sort_by_ts(&c->cap, &c->ts_ns, c->n, (void **[]){(void **)&c->value, (void **)&c->off},
                    (size_t[]){8, 8}, 2);
  }
  if (rc != 0) goto fail;
  if (t->n_threads) qsort(t->threads, t->n_threads, sizeof *t->threads, cmp_thread);
  if (t->n_procs) qsort(t->procs, t->n_procs, sizeof *t->procs, cmp_proc);
  t->last_thread = 0;
  if ((rc = rebuild_thread_slots(t)) != 0) goto fail;
  return 0;
fail:
  tv_store_free(store);
  return tv_error_set(err, rc, NULL, -1, "out of memory while building the index");
}

void tv_store_free(tv_store_t *store) {
  if (!store) return;
  if (store->arena_free) store->arena_free(store);
  tv_builder_free(&store->t);
  memset(store, 0, sizeof *store);
}

size_t tv_store_bytes(const tv_store_t *store) {
  const tv_tables_t *t = &store->t;
  size_t bytes = tv_intern_bytes(&t->strings);
  bytes += t->cap_threads * sizeof *t->threads + t->cap_procs * sizeof *t->procs;
  bytes += t->cap_totals * sizeof *t->totals + t->cap_cats * sizeof *t->cats;
  bytes += ((size_t)t->thread_mask + 1) * sizeof *t->thread_slots;
  for (size_t i = 0; i < t->n_threads; i++) {
    bytes += t->threads[i].slices.cap * (8 + 8 + 4 + 4 + 4 + 1 + 2 + 2);
    bytes += (t->threads[i].instants.cap + t->threads[i].samples.cap) * (8 + 4 + 8);
    bytes += ((size_t)t->threads[i].max_depth + 1) * sizeof(uint64_t);
  }
  for (size_t i = 0; i < t->n_counters; i++) bytes += t->counters[i].cap * 24;
  bytes += t->cap_counters * sizeof *t->counters;
  bytes += t->cap_flows * sizeof *t->flows;
  return bytes;
}

const tv_thread_t *tv_store_thread(const tv_store_t *s, int64_t pid, int64_t tid) {
  return find_thread(&s->t, pid, tid);
}

const tv_process_t *tv_store_process(const tv_store_t *s, int64_t pid) {
  for (size_t i = 0; i < s->t.n_procs; i++)
    if (s->t.procs[i].pid == pid) return &s->t.procs[i];
  return NULL;
}

uint64_t tv_store_phase_count(const tv_store_t *s, const char *ph, size_t len) {
  if (len == 1) return s->t.phases.by_byte[(unsigned char)ph[0]];
  uint32_t id = tv_intern_find(&s->t.strings, tv_str(ph, len));
  for (size_t i = 0; i < s->t.phases.n_other; i++)
    if (s->t.phases.other_ph[i] == id) return s->t.phases.other_n[i];
  return 0;
}

int tv_store_rebuild_lookup(tv_tables_t *t) {
  t->last_thread = 0;
  return rebuild_thread_slots(t);
}
