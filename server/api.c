/* api.c: the JSON API (docs/api.md). Endpoints are a table; parameters are
 * validated once, here, before a handler sees them. */
#include "traceview/demangle.h"
#include "traceview/flame.h"
#include "traceview/guard.h"
#include "traceview/query.h"
#include "traceview/reader.h"
#include "traceview/search.h"
#include "traceview/server.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAM_LEN 32
#define MAX_TRACKS_PARAM 40000 /* bytes of the tracks list (4096 numbers) */

void tv_api_error(tv_http_reply_t *reply, int status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *j = json_pack("{s:s}", "error", msg);
  free(reply->body);
  reply->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (!reply->body) reply->body = strdup("{\"error\":\"error\"}");
  json_decref(j);
  reply->len = reply->body ? strlen(reply->body) : 0;
  reply->status = status;
  reply->content_type = "application/json";
  reply->immutable = false;
}

static void reply_json(tv_http_reply_t *reply, json_t *root) {
  if (!root) {
    tv_api_error(reply, 500, "out of memory");
    return;
  }
  reply->body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
  json_decref(root);
  if (!reply->body) {
    tv_api_error(reply, 500, "out of memory");
    return;
  }
  reply->len = strlen(reply->body);
  reply->status = 200;
  reply->content_type = "application/json";
}

/* Strict integer parameter: optional '-', digits, within [lo, hi]. */
static bool int_param(tv_http_reply_t *reply, tv_param_fn get, void *ud, const char *name,
                      int64_t lo, int64_t hi, int64_t dflt, bool required, int64_t *out) {
  const char *v = get(ud, name);
  if (!v) {
    if (required) {
      tv_api_error(reply, 400, "missing parameter '%s'", name);
      return false;
    }
    *out = dflt;
    return true;
  }
  size_t len = strnlen(v, MAX_PARAM_LEN + 1);
  bool ok = len > 0 && len <= MAX_PARAM_LEN;
  size_t i = (ok && v[0] == '-') ? 1 : 0;
  ok = ok && i < len;
  int64_t val = 0;
  for (; ok && i < len; i++) {
    if (v[i] < '0' || v[i] > '9' || val > (INT64_MAX - 9) / 10) ok = false;
    else val = val * 10 + (v[i] - '0');
  }
  if (ok && v[0] == '-') val = -val;
  if (!ok || val < lo || val > hi) {
    char shown[MAX_PARAM_LEN + 4];
    size_t n = 0;
    for (size_t k = 0; v[k] && k < MAX_PARAM_LEN; k++)
      shown[n++] = (v[k] >= 0x20 && v[k] < 0x7f) ? v[k] : '?';
    shown[n] = '\0';
    tv_api_error(reply, 400, "bad parameter '%s': expected an integer %lld..%lld, got '%s%s'",
                 name, (long long)lo, (long long)hi, shown, len > MAX_PARAM_LEN ? "..." : "");
    return false;
  }
  *out = val;
  return true;
}

/* ---- tiles ---- */

/* First index in the sorted ts[0..n) with ts >= t. */
static size_t lower_bound(const int64_t *ts, size_t n, int64_t t) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    if (ts[m] < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/* The "strings" object of an answer: each string id's display text, once.
 * A small id set avoids formatting a key for ids already listed. */
typedef struct string_table {
  tv_served_t *s;
  json_t *obj;    /* new reference, handed to the answer */
  uint32_t *seen; /* open addressing, 0 = empty */
  size_t cap, n;
} string_table_t;

static void strings_add(string_table_t *t, uint32_t id) {
  if (id == 0) return;
  if (t->n * 2 >= t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    uint32_t *grown = calloc(cap, sizeof *grown);
    if (!grown) return;
    for (size_t i = 0; i < t->cap; i++)
      if (t->seen[i]) {
        size_t k = (t->seen[i] * 2654435761u) & (cap - 1);
        while (grown[k]) k = (k + 1) & (cap - 1);
        grown[k] = t->seen[i];
      }
    free(t->seen);
    t->seen = grown;
    t->cap = cap;
  }
  size_t k = (id * 2654435761u) & (t->cap - 1);
  while (t->seen[k]) {
    if (t->seen[k] == id) return;
    k = (k + 1) & (t->cap - 1);
  }
  t->seen[k] = id;
  t->n++;
  size_t len;
  const char *text = tv_served_display(t->s, id, &len);
  char key[16];
  snprintf(key, sizeof key, "%u", id);
  json_object_set_new(t->obj, key, json_stringn(text, len));
}

/* Returns the strings object (new reference) and frees the set. */
static json_t *strings_done(string_table_t *t) {
  free(t->seen);
  t->seen = NULL;
  return t->obj;
}

typedef struct tile_build {
  const tv_thread_t *th;
  string_table_t strings;
  json_t *id, *start, *dur, *depth, *name, *detail;
  json_t *bucket, *sdepth, *count, *busy, *longest, *sname, *sdur;
} tile_build_t;

/* Sinks append straight to the answer's columns, names included. */
static void sink_slice(void *ud, uint64_t row, int64_t start, int64_t dur, uint32_t depth) {
  tile_build_t *tb = ud;
  const tv_slices_t *sl = &tb->th->slices;
  json_array_append_new(tb->id, json_integer((json_int_t)row));
  json_array_append_new(tb->start, json_integer(start));
  json_array_append_new(tb->dur, json_integer(dur));
  json_array_append_new(tb->depth, json_integer(depth));
  json_array_append_new(tb->name, json_integer(sl->name[row]));
  json_array_append_new(tb->detail, json_integer(sl->detail[row]));
  strings_add(&tb->strings, sl->name[row]);
  strings_add(&tb->strings, sl->detail[row]);
}

static void sink_summary(void *ud, uint32_t bucket, uint32_t depth, uint32_t count, int64_t busy,
                         uint64_t longest) {
  tile_build_t *tb = ud;
  const tv_slices_t *sl = &tb->th->slices;
  json_array_append_new(tb->bucket, json_integer(bucket));
  json_array_append_new(tb->sdepth, json_integer(depth));
  json_array_append_new(tb->count, json_integer(count));
  json_array_append_new(tb->busy, json_integer(busy));
  json_array_append_new(tb->longest, json_integer((json_int_t)longest));
  json_array_append_new(tb->sdur, json_integer(sl->dur_ns[longest]));
  json_array_append_new(tb->sname, json_integer(sl->name[longest]));
  strings_add(&tb->strings, sl->name[longest]);
}

/* Instants or sample marks of a tile, per bucket: count and the first name. */
static json_t *bucket_marks(tv_served_t *s, const tv_instants_t *ins, const tv_lod_t *lod,
                            uint32_t level, int64_t rt0, string_table_t *strings) {
  const tv_store_t *st = &s->trace.store;
  int64_t w = INT64_C(1) << level;
  json_t *ib = json_array(), *ic = json_array(), *in = json_array();
  if (ins->n && rt0 <= lod->span_ns) {
    int64_t t0 = st->min_ns + rt0;
    size_t lo = lower_bound(ins->ts_ns, ins->n, t0);
    int64_t last_bucket = -1;
    json_int_t cnt = 0;
    for (size_t i = lo; i < ins->n; i++) {
      int64_t rel = ins->ts_ns[i] - t0;
      if (rel >= TV_TILE_BUCKETS * w) break;
      int64_t bk = rel >> level;
      if (bk != last_bucket) {
        if (last_bucket >= 0) json_array_append_new(ic, json_integer(cnt));
        json_array_append_new(ib, json_integer(bk));
        json_array_append_new(in, json_integer(ins->name[i]));
        strings_add(strings, ins->name[i]);
        last_bucket = bk;
        cnt = 0;
      }
      cnt++;
    }
    if (last_bucket >= 0) json_array_append_new(ic, json_integer(cnt));
  }
  return json_pack("{s:o, s:o, s:o}", "bucket", ib, "count", ic, "name", in);
}

static void thread_tile(tv_served_t *s, const tv_thread_t *th, const tv_lod_t *lod, int64_t track,
                        uint32_t level, int64_t index, tv_http_reply_t *reply) {
  const tv_store_t *st = &s->trace.store;
  tile_build_t tb = {.th = th, .strings = {.s = s, .obj = json_object()}};
  json_t *root = json_object();
  tb.id = json_array(); tb.start = json_array(); tb.dur = json_array(); tb.depth = json_array();
  tb.name = json_array(); tb.detail = json_array();
  tb.bucket = json_array(); tb.sdepth = json_array(); tb.count = json_array();
  tb.busy = json_array(); tb.longest = json_array(); tb.sname = json_array();
  tb.sdur = json_array();
  tv_tile_sink_t sink = {.ud = &tb, .slice = sink_slice, .summary = sink_summary};
  tv_lod_tile(lod, th, st->min_ns, level, index, &sink);
  int64_t w = INT64_C(1) << level;
  int64_t rt0 = index * TV_TILE_BUCKETS * w;
  json_t *instants = bucket_marks(s, &th->instants, lod, level, rt0, &tb.strings);
  json_t *samples = bucket_marks(s, &th->samples, lod, level, rt0, &tb.strings);
  json_object_set_new(root, "track", json_integer(track));
  json_object_set_new(root, "level", json_integer(level));
  json_object_set_new(root, "index", json_integer(index));
  json_object_set_new(root, "t0", json_integer(rt0));
  json_object_set_new(root, "bucket_ns", json_integer(w));
  json_object_set_new(root, "slices", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", tb.id,
      "start", tb.start, "dur", tb.dur, "depth", tb.depth, "name", tb.name, "detail", tb.detail));
  json_object_set_new(root, "summaries", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
      "bucket", tb.bucket, "depth", tb.sdepth, "count", tb.count, "busy", tb.busy,
      "longest", tb.longest, "longest_dur", tb.sdur, "name", tb.sname));
  json_object_set_new(root, "instants", instants);
  json_object_set_new(root, "samples", samples);
  json_object_set_new(root, "strings", strings_done(&tb.strings));
  reply_json(reply, root);
}

static void counter_tile(tv_served_t *s, const tv_counter_t *c, int64_t track, uint32_t level,
                         int64_t index, tv_http_reply_t *reply) {
  const tv_store_t *st = &s->trace.store;
  int64_t w = INT64_C(1) << level;
  int64_t rt0 = index * TV_TILE_BUCKETS * w;
  int64_t span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns : 0;
  json_t *jb = json_array(), *jmin = json_array(), *jmax = json_array(), *jlast = json_array();
  json_t *prev = json_null();
  if (rt0 <= span) {
    int64_t t0 = st->min_ns + rt0;
    size_t lo = lower_bound(c->ts_ns, c->n, t0);
    if (lo > 0) {
      json_decref(prev);
      prev = json_real(c->value[lo - 1]); /* the value in force when the tile starts */
    }
    int64_t last_bucket = -1;
    double mn = 0, mx = 0, last = 0;
    for (size_t i = lo; i <= c->n; i++) {
      int64_t bk = -2;
      if (i < c->n && c->ts_ns[i] - t0 < TV_TILE_BUCKETS * w) bk = (c->ts_ns[i] - t0) >> level;
      if (bk != last_bucket && last_bucket >= 0) {
        json_array_append_new(jb, json_integer(last_bucket));
        json_array_append_new(jmin, json_real(mn));
        json_array_append_new(jmax, json_real(mx));
        json_array_append_new(jlast, json_real(last));
      }
      if (bk < 0) break;
      double v = c->value[i];
      if (bk != last_bucket) mn = mx = v;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      last = v;
      last_bucket = bk;
    }
  }
  reply_json(reply, json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "track",
                              (json_int_t)track, "level", (json_int_t)level, "index",
                              (json_int_t)index, "t0", (json_int_t)rt0, "bucket_ns",
                              (json_int_t)w, "prev", prev, "buckets", jb, "min", jmin, "max", jmax,
                              "last", jlast));
}

static bool track_param(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply,
                        int64_t *track) {
  if (!int_param(reply, get, ud, "track", 0, INT32_MAX, 0, true, track)) return false;
  if ((size_t)*track >= s->n_tracks) {
    tv_api_error(reply, 404, "no track %lld in this trace (it has %zu)", (long long)*track,
                 s->n_tracks);
    return false;
  }
  return true;
}

static void api_tile(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  int64_t track, level, index;
  if (!track_param(s, get, ud, reply, &track)) return;
  if (!int_param(reply, get, ud, "level", 0, TV_MAX_TILE_LEVEL, 0, true, &level)) return;
  if (!int_param(reply, get, ud, "index", 0, (INT64_MAX >> (level + 8)) - 1, 0, true, &index))
    return;
  const tv_track_t *tr = &s->tracks[track];
  if (tr->is_counter)
    counter_tile(s, &s->trace.store.t.counters[tr->index], track, (uint32_t)level, index, reply);
  else
    thread_tile(s, &s->trace.store.t.threads[tr->index], &s->lods[tr->index], track,
                (uint32_t)level, index, reply);
  if (reply->status == 200) {
    /* Under --watch the same URL may name a different tile after a
     * re-index: then browsers revalidate (a 304 when it did not change). */
    reply->immutable = !s->watched;
    snprintf(reply->etag, sizeof reply->etag, "\"%s-%llx-%llu-%lld-%lld-%lld\"", s->id,
             (unsigned long long)s->trace.map.mtime_ns, (unsigned long long)s->generation,
             (long long)track, (long long)level, (long long)index);
  }
}

/* ---- one event ---- */

/* The bytes of the JSON object at the start of a span of the mapping: a
 * bracket counter that knows strings. Runs under tv_guard_call, so it only
 * reads (no allocation: it may be abandoned at any byte). */
typedef struct extent_job {
  const char *p;
  size_t avail, len;
} extent_job_t;

/* Text formats (perf script, folded stacks): an event ends at a blank line,
 * read at most this far. */
#define MAX_TEXT_EVENT_BYTES (256u << 10)
#define MAX_EVENT_BYTES (16u << 20) /* one event's JSON: bounded */

static void event_extent(void *ud) {
  extent_job_t *j = ud;
  size_t depth = 0;
  bool in_str = false;
  j->len = j->avail; /* unterminated: jansson will say what is wrong */
  if (j->avail && j->p[0] != '{' && j->p[0] != '[') {
    if (j->len > MAX_TEXT_EVENT_BYTES) j->len = MAX_TEXT_EVENT_BYTES;
    for (size_t i = 1; i < j->len; i++)
      if (j->p[i] == '\n' && j->p[i - 1] == '\n') {
        j->len = i;
        return;
      }
    return;
  }
  for (size_t i = 0; i < j->avail; i++) {
    char c = j->p[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && depth > 0 && --depth == 0) {
      j->len = i + 1;
      return;
    }
  }
}

static void file_changed(tv_served_t *s, tv_http_reply_t *reply, const char *why) {
  tv_api_error(reply, 410, "the trace file changed on disk since it was indexed (%s); restart "
               "traceview serve or use --watch to re-index it: %s", why, s->path);
}

/* args of the event at byte offset off. The file may have been truncated or
 * rewritten since it was indexed: its size and time are checked first, and
 * the bytes are copied out under the SIGBUS guard (a truncation can still
 * race the check). false: reply is set. */
static bool event_args(tv_served_t *s, uint64_t off, json_t **args, tv_http_reply_t *reply) {
  const tv_map_t *map = &s->trace.map;
  char why[160];
  *args = NULL;
  if (off >= map->len) return true;
  if (tv_map_changed(map, why, sizeof why) != 0) {
    file_changed(s, reply, why);
    return false;
  }
  size_t avail = map->len - off;
  extent_job_t j = {.p = map->base + off, .avail = avail < MAX_EVENT_BYTES ? avail : MAX_EVENT_BYTES};
  int rc = tv_guard_call(event_extent, &j);
  char *copy = rc == 0 ? malloc(j.len ? j.len : 1) : NULL;
  if (rc == 0 && !copy) {
    tv_api_error(reply, 500, "out of memory");
    return false;
  }
  if (rc == 0) rc = tv_guard_copy(copy, j.p, j.len);
  if (rc != 0) {
    free(copy);
    file_changed(s, reply, "its pages vanished while being read: it was truncated");
    return false;
  }
  *args = tv_event_args(s->trace.reader, copy, j.len);
  free(copy);
  return true;
}

static json_t *display_json(tv_served_t *s, uint32_t id) {
  size_t len;
  const char *text = tv_served_display(s, id, &len);
  return json_stringn(text, len);
}

static void api_event(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  int64_t track, id;
  if (!track_param(s, get, ud, reply, &track)) return;
  const tv_track_t *tr = &s->tracks[track];
  if (tr->is_counter) {
    tv_api_error(reply, 404, "track %lld is a counter; events are slices", (long long)track);
    return;
  }
  const tv_store_t *st = &s->trace.store;
  const tv_thread_t *th = &st->t.threads[tr->index];
  if (!int_param(reply, get, ud, "id", 0, INT64_MAX, 0, true, &id)) return;
  if ((uint64_t)id >= th->slices.n) {
    tv_api_error(reply, 404, "no event %lld on track %lld", (long long)id, (long long)track);
    return;
  }
  const tv_slices_t *sl = &th->slices;
  json_t *root = json_object();
  json_object_set_new(root, "track", json_integer(track));
  json_object_set_new(root, "id", json_integer(id));
  json_object_set_new(root, "name", display_json(s, sl->name[id]));
  tv_str_t detail = tv_store_str(st, sl->detail[id]);
  json_object_set_new(root, "detail", json_stringn(detail.p, detail.len));
  json_object_set_new(root, "detail_demangled", display_json(s, sl->detail[id]));
  tv_str_t cat = tv_store_str(st, st->t.cats[sl->cat[id] < st->t.n_cats ? sl->cat[id] : 0]);
  json_object_set_new(root, "category", json_stringn(cat.p, cat.len));
  json_object_set_new(root, "start", json_integer(sl->start_ns[id] - st->min_ns));
  json_object_set_new(root, "dur", json_integer(sl->dur_ns[id]));
  json_object_set_new(root, "self", json_integer(tv_slice_self(th, (uint64_t)id)));
  json_object_set_new(root, "depth", json_integer(sl->depth[id]));
  json_object_set_new(root, "offset", json_integer((json_int_t)tv_slice_off(sl, (uint64_t)id)));
  /* args, parsed now from the mapped bytes of this one event */
  json_t *args = NULL;
  if (!event_args(s, tv_slice_off(sl, (uint64_t)id), &args, reply)) {
    json_decref(root);
    return;
  }
  json_object_set_new(root, "args", args ? args : json_object());
  json_t *parents = json_array();
  int64_t t = sl->start_ns[id];
  for (int64_t d = (int64_t)sl->depth[id] - 1; d >= 0; d--) {
    uint64_t p = tv_thread_slice_at(th, (uint32_t)d, t);
    if (p == UINT64_MAX) continue; /* improperly nested input can leave a gap */
    json_array_append_new(parents, json_pack("{s:I, s:o, s:I, s:I}", "id", (json_int_t)p,
        "name", display_json(s, sl->name[p]), "start", (json_int_t)(sl->start_ns[p] - st->min_ns),
        "dur", (json_int_t)sl->dur_ns[p]));
  }
  json_object_set_new(root, "parents", parents);
  reply_json(reply, root);
}

static void api_overview(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  int64_t n;
  if (!int_param(reply, get, ud, "buckets", 1, TV_OVERVIEW_BUCKETS, 1000, false, &n)) return;
  const tv_store_t *st = &s->trace.store;
  int64_t span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns + 1 : 1;
  json_t *busy = json_array();
  int64_t *acc = calloc((size_t)n, sizeof *acc);
  if (!acc) {
    tv_api_error(reply, 500, "out of memory");
    return;
  }
  for (int64_t k = 0; k < TV_OVERVIEW_BUCKETS; k++) {
    int64_t *a = &acc[k * n / TV_OVERVIEW_BUCKETS];
    *a = tv_sat_add(*a, s->overview[k]);
  }
  for (int64_t k = 0; k < n; k++) json_array_append_new(busy, json_integer(acc[k]));
  free(acc);
  reply_json(reply, json_pack("{s:I, s:o}", "bucket_ns", (json_int_t)((span + n - 1) / n), "busy",
                              busy));
}

static void api_progress(tv_served_t *s, tv_http_reply_t *reply) {
  int state = atomic_load_explicit(&s->state, memory_order_acquire);
  static const char *const names[] = {"indexing", "ready", "error"};
  char msg[1200];
  reply_json(reply, json_pack("{s:s, s:I, s:I, s:I, s:o}", "state", names[state],
      "generation", (json_int_t)s->generation, "done_bytes",
      (json_int_t)atomic_load(&s->done_bytes), "total_bytes", (json_int_t)atomic_load(&s->total_bytes),
      "error", state == TV_SERVED_ERROR ? json_string(tv_error_format(&s->err, msg, sizeof msg))
                                        : json_null()));
}

static void api_traces(tv_slot_t *slots, size_t n, tv_http_reply_t *reply) {
  json_t *list = json_array();
  static const char *const names[] = {"indexing", "ready", "error"};
  for (size_t i = 0; i < n; i++) {
    tv_served_t *s = tv_slot_acquire(&slots[i]);
    int state = atomic_load_explicit(&s->state, memory_order_acquire);
    uint64_t total = atomic_load(&s->total_bytes), done = atomic_load(&s->done_bytes);
    char msg[1200];
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:f, s:o}",
        "id", s->id, "name", s->name, "path", s->path,
        "bytes", (json_int_t)(state == TV_SERVED_READY ? s->trace.map.len : total),
        "format", state == TV_SERVED_READY && s->trace.format ? s->trace.format : "",
        "state", names[state], "progress", state == TV_SERVED_READY ? 1.0 : total ? (double)done / (double)total : 0.0,
        "error", state == TV_SERVED_ERROR ? json_string(tv_error_format(&s->err, msg, sizeof msg))
                                          : json_null()));
    tv_served_release(s);
  }
  reply_json(reply, json_pack("{s:o}", "traces", list));
}


/* ---- selection: start, end, tracks (docs/api.md "Ranges and thread sets") ---- */

typedef struct selection {
  int64_t t0, t1;  /* absolute; t0 == t1 == 0: whole trace */
  bool *threads;   /* per store thread, or NULL */
  int64_t rel0, rel1;
} selection_t;

static bool parse_selection(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply,
                            selection_t *sel) {
  const tv_store_t *st = &s->trace.store;
  int64_t span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns + 1 : 1;
  memset(sel, 0, sizeof *sel);
  int64_t a, b;
  if (!int_param(reply, get, ud, "start", 0, INT64_MAX, 0, false, &a)) return false;
  if (!int_param(reply, get, ud, "end", 0, INT64_MAX, span, false, &b)) return false;
  if (a >= b) {
    tv_api_error(reply, 400, "bad range: 'start' must be below 'end'");
    return false;
  }
  if (a >= span) {
    tv_api_error(reply, 400, "bad range: 'start' is after the end of the trace (%lld ns)",
                 (long long)span);
    return false;
  }
  sel->rel0 = a;
  sel->rel1 = b < span ? b : span;
  if (get(ud, "start") || get(ud, "end")) {
    sel->t0 = st->min_ns + a;
    sel->t1 = st->min_ns + sel->rel1;
  }
  const char *tracks = get(ud, "tracks");
  if (!tracks) return true;
  size_t len = strnlen(tracks, MAX_TRACKS_PARAM + 1);
  if (len > MAX_TRACKS_PARAM) {
    tv_api_error(reply, 400, "bad parameter 'tracks': too long");
    return false;
  }
  sel->threads = calloc(st->t.n_threads + 1, sizeof *sel->threads);
  if (!sel->threads) {
    tv_api_error(reply, 500, "out of memory");
    return false;
  }
  for (const char *p = tracks; *p;) {
    char *end;
    if (*p < '0' || *p > '9') goto bad;
    unsigned long long v = strtoull(p, &end, 10);
    if (v >= s->n_tracks || (*end && *end != ',')) goto bad;
    if (!s->tracks[v].is_counter) sel->threads[s->tracks[v].index] = true;
    p = *end ? end + 1 : end;
  }
  return true;
bad:
  free(sel->threads);
  sel->threads = NULL;
  tv_api_error(reply, 400, "bad parameter 'tracks': expected comma-separated track numbers "
               "below %zu", s->n_tracks);
  return false;
}

/* The API track number of a store thread (-1 when it is not listed). */
static int64_t track_of_thread(const tv_served_t *s, uint32_t thread) {
  return s->track_of_thread[thread];
}

/* ---- flame graph ---- */

static void api_flamegraph(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  selection_t sel;
  if (!parse_selection(s, get, ud, reply, &sel)) return;
  tv_flame_opts_t fo = {.t0 = sel.t0, .t1 = sel.t1, .threads = sel.threads, .label = TV_LABEL_BOTH};
  const char *label = get(ud, "label"), *view = get(ud, "view"), *mf = get(ud, "min_frac");
  double min_frac = 0.0005;
  int64_t name = -1, detail = 0;
  if (label && strcmp(label, "both") && strcmp(label, "detail") && strcmp(label, "name")) {
    tv_api_error(reply, 400, "bad parameter 'label': expected both, detail or name");
    goto out;
  }
  if (label) fo.label = !strcmp(label, "detail") ? TV_LABEL_DETAIL
                        : !strcmp(label, "name") ? TV_LABEL_NAME : TV_LABEL_BOTH;
  if (!view) view = "normal";
  bool focus = !strcmp(view, "callers") || !strcmp(view, "callees");
  if (strcmp(view, "normal") && strcmp(view, "inverted") && !focus) {
    tv_api_error(reply, 400, "bad parameter 'view': expected normal, inverted, callers or callees");
    goto out;
  }
  if (mf) {
    char *end;
    min_frac = strtod(mf, &end);
    if (*end || !(min_frac >= 0 && min_frac < 1)) {
      tv_api_error(reply, 400, "bad parameter 'min_frac': expected a number in [0, 1)");
      goto out;
    }
  }
  uint32_t n_strings = s->trace.store.t.strings.n;
  if (focus && (!int_param(reply, get, ud, "name", 0, (int64_t)n_strings - 1, 0, true, &name) ||
                !int_param(reply, get, ud, "detail", 0, (int64_t)n_strings - 1, 0, false, &detail)))
    goto out;
  tv_flame_t tree = {0}, shaped = {0}, pruned = {0};
  bool inverted = !strcmp(view, "inverted");
  int rc = 0;
  /* The whole trace, normal or inverted, pruned at least as much as the
   * cached trees are: prune the cached tree, shared by every request (it
   * answers exactly what pruning the full tree would). Anything else is
   * built from the store. */
  const tv_flame_t *cached = NULL;
  if (!sel.threads && sel.t0 == sel.t1 && !focus && min_frac >= TV_FLAME_CACHE_FRAC)
    cached = tv_served_whole_flame(s, fo.label, inverted);
  if (cached) {
    rc = tv_flame_prune(&pruned, cached, min_frac);
  } else if (focus) {
    /* straight from the index: the whole tree is not needed */
    rc = tv_flame_focus_build(&shaped, &s->trace.store, &fo, (uint32_t)name, (uint32_t)detail,
                              !strcmp(view, "callers"));
    if (rc == 0) rc = tv_flame_prune(&pruned, &shaped, min_frac);
    tv_flame_free(&shaped); /* before the answer is rendered */
  } else {
    rc = tv_flame_build(&tree, &s->trace.store, &fo);
    if (rc == 0 && inverted) rc = tv_flame_invert_pruned(&pruned, &tree, min_frac);
    else if (rc == 0) rc = tv_flame_prune(&pruned, &tree, min_frac);
    tv_flame_free(&tree);
  }
  if (rc != 0) {
    tv_api_error(reply, 500, "out of memory");
  } else {
    /* Depth-first order, children as linked (left-heavy). */
    json_t *jp = json_array(), *jn = json_array(), *jd = json_array(), *jdep = json_array();
    json_t *jt = json_array(), *js = json_array();
    string_table_t strings = {.s = s, .obj = json_object()};
    int64_t *index = malloc((pruned.n ? pruned.n : 1) * sizeof *index);
    int64_t next = 0;
    uint32_t v = pruned.n ? TV_FLAME_ROOT : TV_FLAME_NONE;
    while (v != TV_FLAME_NONE && index) {
      const tv_flame_node_t *n = &pruned.nodes[v];
      index[v] = next++;
      json_array_append_new(jp, json_integer(n->parent == TV_FLAME_NONE ? -1 : index[n->parent]));
      bool other = n->name == TV_FLAME_OTHER;
      json_array_append_new(jn, json_integer(other ? -1 : (json_int_t)n->name));
      json_array_append_new(jd, json_integer(n->detail));
      json_array_append_new(jdep, json_integer(n->depth));
      json_array_append_new(jt, json_integer(n->total_ns));
      json_array_append_new(js, json_integer(n->self_ns));
      if (!other && v != TV_FLAME_ROOT) {
        strings_add(&strings, n->name);
        strings_add(&strings, n->detail);
      }
      if (n->first_child != TV_FLAME_NONE) {
        v = n->first_child;
        continue;
      }
      while (v != TV_FLAME_ROOT && pruned.nodes[v].next_sibling == TV_FLAME_NONE)
        v = pruned.nodes[v].parent;
      v = v == TV_FLAME_ROOT ? TV_FLAME_NONE : pruned.nodes[v].next_sibling;
    }
    free(index);
    reply_json(reply, json_pack("{s:s, s:I, s:I, s:I, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o}",
        "view", view, "start", (json_int_t)sel.rel0, "end", (json_int_t)sel.rel1,
        "total_ns", (json_int_t)(pruned.n ? pruned.nodes[0].total_ns : 0),
        "nodes", "parent", jp, "name", jn, "detail", jd, "depth", jdep, "total", jt, "self", js,
        "strings", strings_done(&strings)));
  }
  tv_flame_free(&tree);
  tv_flame_free(&shaped);
  tv_flame_free(&pruned);
out:
  free(sel.threads);
}

/* ---- statistics ---- */

static void api_stats(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  selection_t sel;
  if (!parse_selection(s, get, ud, reply, &sel)) return;
  tv_summary_opts_t o = {.group_by = TV_GROUP_NAME, .sort_by = TV_SORT_TOTAL, .demangle = true,
                         .t0 = sel.t0, .t1 = sel.t1, .threads = sel.threads};
  const char *g = get(ud, "group_by"), *sort = get(ud, "sort"), *filter = get(ud, "filter");
  int64_t top;
  tv_summary_t sum;
  tv_error_t err = {0};
  if (g && (o.group_by = (tv_group_by_t)tv_group_by_parse(g)) == (tv_group_by_t)-1) {
    tv_api_error(reply, 400, "bad parameter 'group_by': expected name, detail, category, thread or crate");
    goto out;
  }
  if (sort && (o.sort_by = (tv_sort_by_t)tv_sort_by_parse(sort)) == (tv_sort_by_t)-1) {
    tv_api_error(reply, 400, "bad parameter 'sort': expected total, self, count, avg, max or key");
    goto out;
  }
  if (filter && (strlen(filter) > 256 || !*filter)) {
    tv_api_error(reply, 400, "bad parameter 'filter': 1..256 bytes");
    goto out;
  }
  o.filter = filter;
  if (!int_param(reply, get, ud, "top", 1, 10000, 200, false, &top)) goto out;
  if (tv_summary_compute(&s->trace.store, &o, &sum, &err) != 0) {
    tv_api_error(reply, err.code == TV_EUSAGE ? 400 : 500, "%s", err.msg);
    goto out;
  }
  static const char *const fields[] = {"name", "detail", "symbol", "category", "track"};
  json_t *rows = json_array();
  size_t n = sum.n_rows < (size_t)top ? sum.n_rows : (size_t)top;
  for (size_t i = 0; i < n; i++) {
    const tv_summary_row_t *r = &sum.rows[i];
    json_t *ids = json_array();
    size_t listed = 0;
    bool truncated = false;
    for (size_t m = 0; m < sum.n_members; m++) {
      if (sum.member_group[m] != r->key_group) continue;
      if (listed++ == 1000) {
        truncated = true;
        break;
      }
      json_int_t id = sum.match_field == TV_MATCH_THREAD ? track_of_thread(s, (uint32_t)m) : (json_int_t)m;
      json_array_append_new(ids, json_integer(id));
    }
    double pct = sum.self_ns > 0 ? (double)r->self_ns * 100.0 / (double)sum.self_ns : 0;
    json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:{s:I, s:I}, s:{s:s, s:o, s:b}}",
        "key", r->key, "count", (json_int_t)r->count, "total_ns", (json_int_t)r->total_ns,
        "self_ns", (json_int_t)r->self_ns, "avg_ns", (json_int_t)(r->total_ns / (int64_t)r->count),
        "max_ns", (json_int_t)r->max_ns, "self_pct", (double)(int64_t)(pct * 100 + 0.5) / 100,
        "longest", "track", (json_int_t)track_of_thread(s, r->max_thread), "id", (json_int_t)r->max_slice,
        "match", "field", fields[sum.match_field], "ids", ids, "truncated", truncated));
  }
  reply_json(reply, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
      "group_by", tv_group_by_name(o.group_by), "start", (json_int_t)sel.rel0,
      "end", (json_int_t)sel.rel1, "events", (json_int_t)sum.events,
      "total_ns", (json_int_t)sum.total_ns, "self_ns", (json_int_t)sum.self_ns,
      "groups", (json_int_t)sum.n_rows, "rows", rows));
  tv_summary_free(&sum);
out:
  free(sel.threads);
}

/* ---- search ---- */

static const char *served_text(void *ud, uint32_t id, size_t *len) {
  return tv_served_display(ud, id, len);
}

static void api_search(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  selection_t sel;
  if (!parse_selection(s, get, ud, reply, &sel)) return;
  const char *q = get(ud, "q"), *order = get(ud, "order");
  int64_t regex, cs, limit;
  tv_search_t res;
  tv_error_t err = {0};
  if (!q || !*q || strlen(q) > 256) {
    tv_api_error(reply, 400, "bad parameter 'q': 1..256 bytes required");
    goto out;
  }
  if (!int_param(reply, get, ud, "regex", 0, 1, 0, false, &regex) ||
      !int_param(reply, get, ud, "case", 0, 1, 0, false, &cs) ||
      !int_param(reply, get, ud, "limit", 0, 1000, 100, false, &limit))
    goto out;
  if (order && strcmp(order, "longest") && strcmp(order, "time")) {
    tv_api_error(reply, 400, "bad parameter 'order': expected longest or time");
    goto out;
  }
  tv_search_opts_t o = {.pattern = q, .regex = regex, .case_sensitive = cs, .t0 = sel.t0,
                        .t1 = sel.t1, .threads = sel.threads, .limit = (size_t)limit,
                        .by_time = order && !strcmp(order, "time"), .budget_s = 2.0,
                        .text = served_text, .text_ud = s};
  if (tv_search_run(&s->trace.store, &o, &res, &err) != 0) {
    tv_api_error(reply, err.code == TV_EUSAGE ? 400 : 500, "%s", err.msg);
    goto out;
  }
  json_t *ids = json_array(), *results = json_array();
  string_table_t strings = {.s = s, .obj = json_object()};
  size_t listed = 0;
  for (uint32_t id = 1; id < res.n_strings && listed < 20000; id++)
    if (res.matched[id]) {
      json_array_append_new(ids, json_integer(id));
      listed++;
    }
  const tv_store_t *st = &s->trace.store;
  for (size_t i = 0; i < res.n_hits; i++) {
    const tv_slices_t *sl = &st->t.threads[res.hits[i].thread].slices;
    uint64_t r = res.hits[i].row;
    json_array_append_new(results, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "track", (json_int_t)track_of_thread(s, res.hits[i].thread), "id", (json_int_t)r,
        "name", (json_int_t)sl->name[r], "detail", (json_int_t)sl->detail[r],
        "start", (json_int_t)(sl->start_ns[r] - st->min_ns), "dur", (json_int_t)sl->dur_ns[r],
        "depth", (json_int_t)sl->depth[r]));
    strings_add(&strings, sl->name[r]);
    strings_add(&strings, sl->detail[r]);
  }
  reply_json(reply, json_pack("{s:s, s:I, s:I, s:o, s:b, s:o, s:o}", "q", q,
      "count", (json_int_t)res.count, "strings_matched", (json_int_t)res.strings_matched,
      "ids", ids, "ids_truncated", listed < res.strings_matched, "results", results,
      "strings", strings_done(&strings)));
  tv_search_free(&res);
out:
  free(sel.threads);
}

/* Endpoint table: the part of the path after /api/traces/{id}/. */
typedef struct endpoint {
  const char *name;
  bool needs_ready;
  void (*fn)(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply);
} endpoint_t;

static void api_meta(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  (void)get;
  (void)ud;
  reply->body = strdup(s->meta_json);
  reply->len = reply->body ? strlen(reply->body) : 0;
  reply->status = reply->body ? 200 : 500;
  reply->content_type = "application/json";
}

static void api_progress_ep(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  (void)get;
  (void)ud;
  api_progress(s, reply);
}

/* ---- flows: arrows between slices (Chrome flow events, span links) ---- */

#define MAX_FLOWS 4000 /* per answer; more sets "truncated" */

/* Track and depth of the deepest slice at ts on thread (pid, tid), or false. */
static bool flow_end(tv_served_t *s, int64_t pid, int64_t tid, int64_t ts, json_t **out) {
  const tv_store_t *st = &s->trace.store;
  const tv_thread_t *th = tv_store_thread(st, pid, tid);
  if (!th) return false;
  int64_t track = s->track_of_thread[th - st->t.threads];
  if (track < 0) return false;
  int64_t depth = -1;
  for (uint32_t d = th->max_depth; d-- > 0 && depth < 0;)
    if (tv_thread_slice_at(th, d, ts) != UINT64_MAX) depth = d;
  *out = json_pack("{s:I, s:I, s:I}", "track", (json_int_t)track, "ts",
                   (json_int_t)(ts - st->min_ns), "depth", (json_int_t)depth);
  return true;
}

static void api_flows(tv_served_t *s, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  selection_t sel;
  if (!parse_selection(s, get, ud, reply, &sel)) return;
  free(sel.threads);
  const tv_store_t *st = &s->trace.store;
  int64_t t0 = st->min_ns + sel.rel0, t1 = st->min_ns + sel.rel1;
  json_t *list = json_array();
  string_table_t strings = {.s = s, .obj = json_object()};
  bool truncated = false;
  for (size_t i = 0; i < st->t.n_flows; i++) {
    const tv_flow_t *f = &st->t.flows[i];
    if (f->from_ts > t1) break; /* sorted by from_ts */
    int64_t lo = f->from_ts < f->to_ts ? f->from_ts : f->to_ts;
    int64_t hi = f->from_ts < f->to_ts ? f->to_ts : f->from_ts;
    if (hi < t0 || lo > t1) continue;
    if (json_array_size(list) == MAX_FLOWS) {
      truncated = true;
      break;
    }
    json_t *from, *to;
    if (!flow_end(s, f->from_pid, f->from_tid, f->from_ts, &from)) continue;
    if (!flow_end(s, f->to_pid, f->to_tid, f->to_ts, &to)) {
      json_decref(from);
      continue;
    }
    json_array_append_new(list, json_pack("{s:o, s:o, s:I}", "from", from, "to", to, "name",
                                          (json_int_t)f->name));
    strings_add(&strings, f->name);
  }
  reply_json(reply, json_pack("{s:o, s:b, s:o}", "flows", list, "truncated", truncated,
                              "strings", strings_done(&strings)));
}

static const endpoint_t endpoints[] = {
    {"progress", false, api_progress_ep},
    {"meta", true, api_meta},
    {"tile", true, api_tile},
    {"event", true, api_event},
    {"overview", true, api_overview},
    {"flamegraph", true, api_flamegraph},
    {"stats", true, api_stats},
    {"search", true, api_search},
    {"flows", true, api_flows},
};

/* ---- waiting for a re-index (--watch) ---- */

void tv_api_wait_reply(tv_slot_t *slot, uint64_t seen, tv_http_reply_t *reply) {
  uint64_t g = atomic_load(&slot->generation);
  reply_json(reply, json_pack("{s:I, s:b, s:b}", "generation", (json_int_t)g, "changed", g != seen,
                              "watching", slot->watched));
}

/* Answers at once when the client is behind (or nothing is watched, so
 * nothing will change); else the request is held (http.c) until the
 * generation moves or a timeout. */
static void api_wait(tv_slot_t *slot, tv_param_fn get, void *ud, tv_http_reply_t *reply) {
  int64_t seen;
  if (!int_param(reply, get, ud, "generation", 0, INT64_MAX, 0, true, &seen)) return;
  if (!slot->watched || (uint64_t)seen != atomic_load(&slot->generation)) {
    tv_api_wait_reply(slot, (uint64_t)seen, reply);
    return;
  }
  reply->park = true;
  reply->park_generation = (uint64_t)seen;
}

void tv_api_handle(tv_slot_t *slots, size_t n, const char *path, tv_param_fn get, void *ud,
                   tv_http_reply_t *reply, tv_slot_t **slot_out) {
  static const char prefix[] = "/api/traces";
  if (slot_out) *slot_out = NULL;
  if (strncmp(path, prefix, sizeof prefix - 1) != 0) {
    tv_api_error(reply, 404, "no such API endpoint");
    return;
  }
  const char *rest = path + sizeof prefix - 1;
  if (*rest == '\0' || strcmp(rest, "/") == 0) {
    api_traces(slots, n, reply);
    return;
  }
  if (*rest != '/') {
    tv_api_error(reply, 404, "no such API endpoint");
    return;
  }
  rest++;
  const char *slash = strchr(rest, '/');
  size_t id_len = slash ? (size_t)(slash - rest) : strlen(rest);
  tv_slot_t *slot = NULL;
  for (size_t i = 0; i < n && !slot; i++)
    if (strlen(slots[i].id) == id_len && memcmp(slots[i].id, rest, id_len) == 0) slot = &slots[i];
  if (!slot) {
    tv_api_error(reply, 404, "no trace with this id");
    return;
  }
  const char *what = slash ? slash + 1 : "meta";
  if (strcmp(what, "wait") == 0) {
    api_wait(slot, get, ud, reply);
    if (reply->park && slot_out) *slot_out = slot;
    else if (reply->park) tv_api_wait_reply(slot, reply->park_generation, reply);
    return;
  }
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
    if (strcmp(what, endpoints[i].name) != 0) continue;
    /* One index for the whole request, even if a re-index swaps meanwhile. */
    tv_served_t *s = tv_slot_acquire(slot);
    int state = atomic_load_explicit(&s->state, memory_order_acquire);
    if (endpoints[i].needs_ready && state != TV_SERVED_READY) {
      if (state == TV_SERVED_ERROR) {
        char msg[1200];
        tv_api_error(reply, 422, "the trace could not be read: %s",
                     tv_error_format(&s->err, msg, sizeof msg));
      } else {
        tv_api_error(reply, 409, "the trace is still indexing; poll /api/traces/%s/progress", s->id);
      }
    } else {
      endpoints[i].fn(s, get, ud, reply);
    }
    tv_served_release(s);
    return;
  }
  tv_api_error(reply, 404, "no such API endpoint");
}
