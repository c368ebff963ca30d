/* served.c: a trace as the server holds it: the index plus what the API needs
 * on top (LOD pyramids, track numbering, overview, cached metadata). */
#include "traceview/server.h"
#include "traceview/selftrace.h"
#include "traceview/demangle.h"

#include <jansson.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static void stable_id(const char *key, size_t len, char out[16]) {
  /* FNV-1a, 40 bits: short enough for a URL, stable across restarts. */
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
  snprintf(out, 16, "%010llx", (unsigned long long)(h & 0xffffffffffull));
}

int tv_served_init(tv_served_t *s, const char *path, const void *mem, size_t len) {
  memset(s, 0, sizeof *s);
  s->path = strdup(path);
  const char *slash = strrchr(path, '/');
  s->name = strdup(slash ? slash + 1 : path);
  if (!s->path || !s->name) return TV_ENOMEM;
  s->mem = mem;
  s->mem_len = len;
  char abs[PATH_MAX];
  const char *key = (!mem && realpath(path, abs)) ? abs : path;
  stable_id(key, strlen(key), s->id);
  atomic_store(&s->state, TV_SERVED_INDEXING);
  pthread_mutex_init(&s->flame_lock, NULL);
  return 0;
}

static void on_progress(void *ud, uint64_t done, uint64_t total) {
  tv_served_t *s = ud;
  atomic_store_explicit(&s->total_bytes, total, memory_order_relaxed);
  atomic_store_explicit(&s->done_bytes, done, memory_order_relaxed);
}

static int cmp_proc_order(const void *x, const void *y) {
  const tv_process_t *a = *(const tv_process_t *const *)x, *b = *(const tv_process_t *const *)y;
  if (a->has_sort_index != b->has_sort_index) return a->has_sort_index ? -1 : 1;
  if (a->has_sort_index && a->sort_index != b->sort_index)
    return a->sort_index < b->sort_index ? -1 : 1;
  return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static json_t *str_or_null(const tv_store_t *st, uint32_t id) {
  if (!id) return json_null();
  tv_str_t v = tv_store_str(st, id);
  return json_stringn(v.p, v.len);
}

/* Numbers tracks (threads then counters, grouped by process in sort order)
 * and renders the /meta answer once. */
static int build_tracks_and_meta(tv_served_t *s) {
  const tv_store_t *st = &s->trace.store;
  const tv_tables_t *t = &st->t;
  s->tracks = calloc(t->n_threads + t->n_counters + 1, sizeof *s->tracks);
  s->track_of_thread = malloc((t->n_threads + 1) * sizeof *s->track_of_thread);
  if (!s->tracks || !s->track_of_thread) return TV_ENOMEM;
  for (size_t i = 0; i < t->n_threads; i++) s->track_of_thread[i] = -1;
  /* Every pid with a thread or counter, including ones without metadata. */
  size_t n_pids = 0;
  tv_process_t *procs = calloc(t->n_threads + t->n_counters + t->n_procs + 1, sizeof *procs);
  const tv_process_t **order = calloc(t->n_threads + t->n_counters + t->n_procs + 1, sizeof *order);
  if (!procs || !order) {
    free(procs);
    free(order);
    return TV_ENOMEM;
  }
  for (size_t i = 0; i < t->n_threads + t->n_counters + t->n_procs; i++) {
    int64_t pid = i < t->n_threads ? t->threads[i].pid
                  : i < t->n_threads + t->n_counters ? t->counters[i - t->n_threads].pid
                  : t->procs[i - t->n_threads - t->n_counters].pid;
    if (i < t->n_threads && !t->threads[i].listed) continue;
    bool seen = false;
    for (size_t k = 0; k < n_pids && !seen; k++) seen = procs[k].pid == pid;
    if (seen) continue;
    const tv_process_t *meta = tv_store_process(st, pid);
    procs[n_pids] = meta ? *meta : (tv_process_t){.pid = pid};
    order[n_pids] = &procs[n_pids];
    n_pids++;
  }
  qsort(order, n_pids, sizeof *order, cmp_proc_order);

  json_t *jprocs = json_array();
  for (size_t p = 0; p < n_pids; p++) {
    int64_t pid = order[p]->pid;
    json_t *jtracks = json_array();
    for (size_t i = 0; i < t->n_threads; i++) {
      const tv_thread_t *th = &t->threads[i];
      if (th->pid != pid || !th->listed) continue;
      size_t track = s->n_tracks++;
      s->tracks[track] = (tv_track_t){false, (uint32_t)i};
      s->track_of_thread[i] = (int64_t)track;
      /* lanes of async slices or spans are slice tracks like threads */
      json_array_append_new(jtracks, json_pack("{s:I, s:s, s:o, s:I, s:o, s:o, s:I, s:I, s:I, s:I}",
          "track", (json_int_t)track, "kind", "thread",
          "lane", th->kind ? json_string(tv_thread_kind_name(th->kind)) : json_null(),
          "tid", (json_int_t)tv_thread_shown_tid(th),
          "name", str_or_null(st, th->name),
          "sort_index", th->has_sort_index ? json_integer(th->sort_index) : json_null(),
          "slices", (json_int_t)th->slices.n, "instants", (json_int_t)th->instants.n,
          "samples", (json_int_t)th->samples.n, "max_depth", (json_int_t)th->max_depth));
    }
    for (size_t i = 0; i < t->n_counters; i++) {
      const tv_counter_t *c = &t->counters[i];
      if (c->pid != pid) continue;
      double lo = 0, hi = 0;
      for (size_t k = 0; k < c->n; k++) {
        if (k == 0 || c->value[k] < lo) lo = c->value[k];
        if (k == 0 || c->value[k] > hi) hi = c->value[k];
      }
      size_t track = s->n_tracks++;
      s->tracks[track] = (tv_track_t){true, (uint32_t)i};
      json_array_append_new(jtracks, json_pack("{s:I, s:s, s:o, s:o, s:I, s:f, s:f}",
          "track", (json_int_t)track, "kind", "counter", "name", str_or_null(st, c->name),
          "series", str_or_null(st, c->series), "samples", (json_int_t)c->n, "min", lo,
          "max", hi));
    }
    json_array_append_new(jprocs, json_pack("{s:I, s:o, s:o, s:o}", "pid", (json_int_t)pid,
        "name", str_or_null(st, order[p]->name),
        "sort_index", order[p]->has_sort_index ? json_integer(order[p]->sort_index) : json_null(),
        "tracks", jtracks));
  }
  free(procs);
  free(order);

  bool empty = st->min_ns > st->max_ns;
  char origin[32];
  snprintf(origin, sizeof origin, "%lld", (long long)(empty ? 0 : st->min_ns));
  int64_t span = empty ? 0 : st->max_ns - st->min_ns;
  json_t *root = json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o}",
      "id", s->id, "name", s->name, "format", s->trace.format ? s->trace.format : "unknown",
      "generation", (json_int_t)s->generation, "watching", s->watched,
      "origin_ns", origin, "duration_ns", (json_int_t)span,
      "tile_buckets", (json_int_t)TV_TILE_BUCKETS,
      "max_level", (json_int_t)(tv_lod_top_level(span) > TV_MAX_TILE_LEVEL
                                    ? TV_MAX_TILE_LEVEL : tv_lod_top_level(span)),
      "counts", "slices", (json_int_t)st->n_slices, "instants", (json_int_t)st->n_instants,
      "counter_samples", (json_int_t)st->n_counter_samples,
      "llvm_totals", (json_int_t)t->n_totals, "processes", jprocs);
  if (!root) return TV_ENOMEM;
  json_t *counts = json_object_get(root, "counts");
  json_object_set_new(counts, "samples", json_integer((json_int_t)t->n_samples));
  json_object_set_new(counts, "spans", json_integer((json_int_t)t->n_span_events));
  json_object_set_new(counts, "flows", json_integer((json_int_t)t->n_flows));
  /* Sampled profiles: one unit of weight is sample_ns wide on the timeline;
   * folded stacks have no real time at all (the UI hides the timeline). */
  json_object_set_new(root, "sample_ns", json_integer(t->sample_ns));
  json_object_set_new(root, "sample_weight", json_integer(t->sample_weight));
  json_object_set_new(root, "has_timeline", json_boolean(!t->no_timeline));
  s->meta_json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  return s->meta_json ? 0 : TV_ENOMEM;
}

/* Busy time of top-level slices per overview bucket, clipped at bucket edges. */
static void build_overview(tv_served_t *s) {
  const tv_store_t *st = &s->trace.store;
  if (st->min_ns > st->max_ns) return;
  double span = (double)(st->max_ns - st->min_ns) + 1;
  double width = span / TV_OVERVIEW_BUCKETS;
  for (size_t i = 0; i < st->t.n_threads; i++) {
    const tv_thread_t *th = &st->t.threads[i];
    /* threads and spans: async lanes and Chrome CPU samples would count time twice */
    if (th->max_depth == 0 || th->kind == TV_THREAD_ASYNC || th->kind == TV_THREAD_SAMPLES) continue;
    for (uint64_t r = 0; r < th->depth_begin[1]; r++) {
      double a = (double)(th->slices.start_ns[r] - st->min_ns);
      double b = a + (double)th->slices.dur_ns[r];
      size_t ka = (size_t)(a / width), kb = (size_t)(b / width);
      if (kb >= TV_OVERVIEW_BUCKETS) kb = TV_OVERVIEW_BUCKETS - 1;
      for (size_t k = ka; k <= kb && k < TV_OVERVIEW_BUCKETS; k++) {
        double lo = a > k * width ? a : k * width;
        double hi = b < (k + 1) * width ? b : (k + 1) * width;
        if (hi > lo) s->overview[k] = tv_sat_add(s->overview[k], (int64_t)(hi - lo));
      }
    }
  }
}

void tv_served_index(tv_served_t *s) {
  /* The pyramids come from the cache file or are built (in parallel); a
   * missed cache is written after the trace is ready (tv_served_queue_save). */
  tv_open_opts_t opts = {.progress = on_progress, .progress_ud = s, .cache_dir = s->cache_dir,
                         .no_cache = s->no_cache, .lods = true, .defer_save = true};
  int rc = s->mem ? tv_trace_open_memory(&s->trace, s->mem, s->mem_len, s->path, &opts, &s->err)
                  : tv_trace_open(&s->trace, s->path, &opts, &s->err);
  if (rc) {
    atomic_store_explicit(&s->state, TV_SERVED_ERROR, memory_order_release);
    return;
  }
  const tv_store_t *st = &s->trace.store;
  s->lods = s->trace.lods;
  s->display = calloc(st->t.strings.n + 1, sizeof *s->display);
  rc = (s->lods || st->t.n_threads == 0) && s->display ? 0 : TV_ENOMEM;
  if (rc == 0) rc = build_tracks_and_meta(s);
  if (rc) {
    tv_error_set(&s->err, rc, s->path, -1, "out of memory while preparing the trace");
    atomic_store_explicit(&s->state, TV_SERVED_ERROR, memory_order_release);
    return;
  }
  uint64_t ph = tv_self_begin();
  build_overview(s);
  tv_self_end(ph, "build overview", NULL);
  atomic_store_explicit(&s->done_bytes, s->trace.map.len, memory_order_relaxed);
  atomic_store_explicit(&s->state, TV_SERVED_READY, memory_order_release);
}

const char *tv_served_display(tv_served_t *s, uint32_t id, size_t *len) {
  tv_str_t raw = tv_store_str(&s->trace.store, id);
  /* Cheap test first: only text with a '_' can hold a mangled symbol. */
  if (!memchr(raw.p, '_', raw.len)) {
    *len = raw.len;
    return raw.p;
  }
  char *d = atomic_load_explicit(&s->display[id], memory_order_acquire);
  if (!d) {
    /* Text with nothing to demangle is cached too, so it is tried once. */
    char *mine = tv_demangle_text(raw.p, raw.len);
    if (!mine) mine = strndup(raw.p, raw.len);
    if (!mine) {
      *len = raw.len;
      return raw.p;
    }
    char *expected = NULL;
    /* Two threads may demangle the same text; one result is kept. */
    if (atomic_compare_exchange_strong(&s->display[id], &expected, mine)) d = mine;
    else {
      free(mine);
      d = expected;
    }
  }
  *len = strlen(d);
  return d;
}

void tv_served_free(tv_served_t *s) {
  if (!s) return;
  if (s->display) {
    for (uint32_t i = 0; i < s->trace.store.t.strings.n; i++) free(s->display[i]);
    free(s->display);
  }
  for (int l = 0; l < 3; l++)
    for (int k = 0; k < 2; k++) {
      tv_flame_free(s->whole_flame[l][k]);
      free(s->whole_flame[l][k]);
    }
  pthread_mutex_destroy(&s->flame_lock);
  free(s->tracks);
  free(s->track_of_thread);
  free(s->meta_json);
  tv_trace_close(&s->trace);
  free(s->path);
  free(s->name);
  memset(s, 0, sizeof *s);
}

/* Both views of a label at once: the inverted one is made from the full
 * tree, which is freed as soon as the pruned trees are made. */
static void build_whole_flames(tv_served_t *s, tv_flame_label_t label) {
  tv_flame_t full, *normal = calloc(1, sizeof *normal), *inv = calloc(1, sizeof *inv);
  tv_flame_opts_t o = {.label = label};
  int rc = normal && inv ? tv_flame_build(&full, &s->trace.store, &o) : TV_ENOMEM;
  if (rc == 0) {
    rc = tv_flame_prune(normal, &full, TV_FLAME_CACHE_FRAC);
    if (rc == 0 && (rc = tv_flame_invert_pruned(inv, &full, TV_FLAME_CACHE_FRAC)) != 0)
      tv_flame_free(normal);
    tv_flame_free(&full);
  }
  if (rc != 0) {
    free(normal);
    free(inv);
    return;
  }
  s->whole_flame[label][0] = normal;
  s->whole_flame[label][1] = inv;
#ifdef __GLIBC__
  /* The build's big temporaries below the mmap threshold stay in this
   * thread's arena when freed; hand their pages back (~15 MB on a 1 GB
   * trace), as they will not be needed again. */
  malloc_trim(0);
#endif
}

const tv_flame_t *tv_served_whole_flame(tv_served_t *s, tv_flame_label_t label, bool inverted) {
  pthread_mutex_lock(&s->flame_lock);
  if (!s->whole_flame[label][0]) build_whole_flames(s, label);
  const tv_flame_t *f = s->whole_flame[label][inverted];
  pthread_mutex_unlock(&s->flame_lock);
  return f;
}

/* ---- slots: one file across re-indexing (server.h) ---- */

tv_served_t *tv_served_new(const char *path, const void *mem, size_t len, uint64_t generation,
                           bool watched) {
  tv_served_t *s = malloc(sizeof *s);
  if (!s) return NULL;
  if (tv_served_init(s, path, mem, len) != 0) {
    tv_served_free(s);
    free(s);
    return NULL;
  }
  s->generation = generation;
  s->watched = watched;
  atomic_store(&s->refs, 1);
  return s;
}

void tv_served_release(tv_served_t *s) {
  if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
    tv_served_free(s);
    free(s);
  }
}

int tv_slot_init(tv_slot_t *slot, const char *path, const void *mem, size_t len, bool watched) {
  memset(slot, 0, sizeof *slot);
  slot->cur = tv_served_new(path, mem, len, 1, watched && !mem);
  if (!slot->cur) return TV_ENOMEM;
  memcpy(slot->id, slot->cur->id, sizeof slot->id);
  slot->watched = slot->cur->watched;
  atomic_store(&slot->generation, 1);
  pthread_mutex_init(&slot->lock, NULL);
  return 0;
}

/* A mutex, not a bare atomic pointer: taking the reference and reading the
 * pointer must be one step, or a swap could free the trace in between. It is
 * held for two instructions, so requests never wait on each other for long. */
tv_served_t *tv_slot_acquire(tv_slot_t *slot) {
  pthread_mutex_lock(&slot->lock);
  tv_served_t *s = slot->cur;
  atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
  pthread_mutex_unlock(&slot->lock);
  return s;
}

void tv_slot_swap(tv_slot_t *slot, tv_served_t *next) {
  pthread_mutex_lock(&slot->lock);
  tv_served_t *old = slot->cur;
  atomic_store(&old->save_cancel, true); /* its cache file would be stale */
  slot->cur = next;
  atomic_store(&slot->generation, next->generation);
  pthread_mutex_unlock(&slot->lock);
  tv_served_release(old);
}

void tv_slot_free(tv_slot_t *slot) {
  if (!slot || !slot->cur) return;
  tv_served_release(slot->cur);
  pthread_mutex_destroy(&slot->lock);
  memset(slot, 0, sizeof *slot);
}

/* ---- the index cache, written after the trace is ready ---- */

typedef struct save_job {
  uv_work_t work;
  tv_served_t *s; /* a reference */
  bool quiet;
  int rc;
  char why[512];
} save_job_t;

static void save_work(uv_work_t *w) {
  save_job_t *j = w->data;
  j->rc = tv_trace_save_cache(&j->s->trace, &j->s->save_cancel, true, j->why, sizeof j->why);
}

static void save_done(uv_work_t *w, int status) {
  (void)status;
  save_job_t *j = w->data;
  /* A cancelled save (re-indexed, shutting down) is no news. */
  if (j->rc < 0 && !j->quiet && strcmp(j->why, "cancelled") != 0)
    fprintf(stderr, "traceview: warning: %s: could not save the index cache: %s\n", j->s->name,
            j->why);
  tv_served_release(j->s);
  free(j);
}

void tv_served_queue_save(struct uv_loop_s *loop, tv_served_t *s, bool quiet) {
  if (atomic_load(&s->state) != TV_SERVED_READY || !tv_trace_save_pending(&s->trace)) return;
  save_job_t *j = calloc(1, sizeof *j);
  if (!j) return; /* only the next open is slower */
  j->s = s;
  j->quiet = quiet;
  j->work.data = j;
  atomic_fetch_add(&s->refs, 1);
  if (uv_queue_work(loop, &j->work, save_work, save_done) != 0) {
    tv_served_release(s);
    free(j);
  }
}
