/* api.c: the JSON API (docs/api.md). Endpoints are a table; parameters are
 * validated once, here, before a handler sees them. */
#include "traceview/demangle.h"
#include "traceview/server.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAM_LEN 32
#define MAX_EVENT_BYTES (16u << 20) /* args parsed on demand: bounded */

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
  reply->body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
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

typedef struct tile_build {
  tv_served_t *s;
  json_t *id, *start, *dur, *depth, *name, *detail;
  json_t *bucket, *sdepth, *count, *busy, *longest, *sname, *sdur;
  uint32_t *seen; /* string ids listed, tiny open-addressing set */
  size_t seen_cap, seen_n;
  json_t *strings;
} tile_build_t;

static void use_string(tile_build_t *tb, uint32_t id) {
  if (id == 0) return;
  if (tb->seen_n * 2 >= tb->seen_cap) {
    size_t cap = tb->seen_cap ? tb->seen_cap * 2 : 256;
    uint32_t *n = calloc(cap, sizeof *n);
    if (!n) return;
    for (size_t i = 0; i < tb->seen_cap; i++)
      if (tb->seen[i]) {
        size_t k = (tb->seen[i] * 2654435761u) & (cap - 1);
        while (n[k]) k = (k + 1) & (cap - 1);
        n[k] = tb->seen[i];
      }
    free(tb->seen);
    tb->seen = n;
    tb->seen_cap = cap;
  }
  size_t k = (id * 2654435761u) & (tb->seen_cap - 1);
  while (tb->seen[k]) {
    if (tb->seen[k] == id) return;
    k = (k + 1) & (tb->seen_cap - 1);
  }
  tb->seen[k] = id;
  tb->seen_n++;
  size_t len;
  const char *text = tv_served_display(tb->s, id, &len);
  char key[16];
  snprintf(key, sizeof key, "%u", id);
  json_object_set_new(tb->strings, key, json_stringn(text, len));
}

static void sink_slice(void *ud, uint64_t row, int64_t start, int64_t dur, uint32_t depth) {
  tile_build_t *tb = ud;
  json_array_append_new(tb->id, json_integer((json_int_t)row));
  json_array_append_new(tb->start, json_integer(start));
  json_array_append_new(tb->dur, json_integer(dur));
  json_array_append_new(tb->depth, json_integer(depth));
}

static void sink_summary(void *ud, uint32_t bucket, uint32_t depth, uint32_t count, int64_t busy,
                         uint64_t longest) {
  tile_build_t *tb = ud;
  json_array_append_new(tb->bucket, json_integer(bucket));
  json_array_append_new(tb->sdepth, json_integer(depth));
  json_array_append_new(tb->count, json_integer(count));
  json_array_append_new(tb->busy, json_integer(busy));
  json_array_append_new(tb->longest, json_integer((json_int_t)longest));
}

static void thread_tile(tv_served_t *s, const tv_thread_t *th, const tv_lod_t *lod, int64_t track,
                        uint32_t level, int64_t index, tv_http_reply_t *reply) {
  const tv_store_t *st = &s->trace.store;
  tile_build_t tb = {.s = s};
  json_t *root = json_object();
  tb.id = json_array(); tb.start = json_array(); tb.dur = json_array(); tb.depth = json_array();
  tb.name = json_array(); tb.detail = json_array();
  tb.bucket = json_array(); tb.sdepth = json_array(); tb.count = json_array();
  tb.busy = json_array(); tb.longest = json_array(); tb.sname = json_array();
  tb.sdur = json_array();
  tb.strings = json_object();
  tv_tile_sink_t sink = {.ud = &tb, .slice = sink_slice, .summary = sink_summary};
  tv_lod_tile(lod, th, st->min_ns, level, index, &sink);
  /* Names and details of what was emitted. */
  for (size_t i = 0; i < json_array_size(tb.id); i++) {
    uint64_t row = (uint64_t)json_integer_value(json_array_get(tb.id, i));
    json_array_append_new(tb.name, json_integer(th->slices.name[row]));
    json_array_append_new(tb.detail, json_integer(th->slices.detail[row]));
    use_string(&tb, th->slices.name[row]);
    use_string(&tb, th->slices.detail[row]);
  }
  for (size_t i = 0; i < json_array_size(tb.longest); i++) {
    json_int_t row = json_integer_value(json_array_get(tb.longest, i));
    uint32_t nm = th->slices.name[row];
    json_array_append_new(tb.sname, json_integer(nm));
    json_array_append_new(tb.sdur, json_integer(th->slices.dur_ns[row]));
    use_string(&tb, nm);
  }
  /* Instants per bucket. */
  int64_t w = INT64_C(1) << level;
  int64_t rt0 = index * TV_TILE_BUCKETS * w;
  json_t *ib = json_array(), *ic = json_array(), *in = json_array();
  const tv_instants_t *ins = &th->instants;
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
        use_string(&tb, ins->name[i]);
        last_bucket = bk;
        cnt = 0;
      }
      cnt++;
    }
    if (last_bucket >= 0) json_array_append_new(ic, json_integer(cnt));
  }
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
  json_object_set_new(root, "instants", json_pack("{s:o, s:o, s:o}", "bucket", ib, "count", ic,
                                                  "name", in));
  json_object_set_new(root, "strings", tb.strings);
  free(tb.seen);
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
    reply->immutable = true;
    snprintf(reply->etag, sizeof reply->etag, "\"%s-%llx-%lld-%lld-%lld\"", s->id,
             (unsigned long long)s->trace.map.mtime_ns, (long long)track, (long long)level,
             (long long)index);
  }
}

/* ---- one event ---- */

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
  json_object_set_new(root, "self", json_integer(sl->self_ns[id]));
  json_object_set_new(root, "depth", json_integer(sl->depth[id]));
  json_object_set_new(root, "offset", json_integer((json_int_t)sl->off[id]));
  /* args, parsed now from the mapped bytes of this one event */
  const tv_map_t *map = &s->trace.map;
  json_t *args = NULL;
  if (sl->off[id] < map->len) {
    size_t avail = map->len - sl->off[id];
    json_error_t jerr;
    json_t *ev = json_loadb(map->base + sl->off[id], avail < MAX_EVENT_BYTES ? avail : MAX_EVENT_BYTES,
                            JSON_DISABLE_EOF_CHECK, &jerr);
    if (ev) {
      args = json_incref(json_object_get(ev, "args"));
      json_decref(ev);
    }
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
  reply_json(reply, json_pack("{s:s, s:I, s:I, s:o}", "state", names[state], "done_bytes",
      (json_int_t)atomic_load(&s->done_bytes), "total_bytes", (json_int_t)atomic_load(&s->total_bytes),
      "error", state == TV_SERVED_ERROR ? json_string(tv_error_format(&s->err, msg, sizeof msg))
                                        : json_null()));
}

static void api_traces(tv_served_t *traces, size_t n, tv_http_reply_t *reply) {
  json_t *list = json_array();
  static const char *const names[] = {"indexing", "ready", "error"};
  for (size_t i = 0; i < n; i++) {
    tv_served_t *s = &traces[i];
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
  }
  reply_json(reply, json_pack("{s:o}", "traces", list));
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

static const endpoint_t endpoints[] = {
    {"progress", false, api_progress_ep},
    {"meta", true, api_meta},
    {"tile", true, api_tile},
    {"event", true, api_event},
    {"overview", true, api_overview},
};

void tv_api_handle(tv_served_t *traces, size_t n, const char *path, tv_param_fn get, void *ud,
                   tv_http_reply_t *reply) {
  static const char prefix[] = "/api/traces";
  if (strncmp(path, prefix, sizeof prefix - 1) != 0) {
    tv_api_error(reply, 404, "no such API endpoint");
    return;
  }
  const char *rest = path + sizeof prefix - 1;
  if (*rest == '\0' || strcmp(rest, "/") == 0) {
    api_traces(traces, n, reply);
    return;
  }
  if (*rest != '/') {
    tv_api_error(reply, 404, "no such API endpoint");
    return;
  }
  rest++;
  const char *slash = strchr(rest, '/');
  size_t id_len = slash ? (size_t)(slash - rest) : strlen(rest);
  tv_served_t *s = NULL;
  for (size_t i = 0; i < n && !s; i++)
    if (strlen(traces[i].id) == id_len && memcmp(traces[i].id, rest, id_len) == 0) s = &traces[i];
  if (!s) {
    tv_api_error(reply, 404, "no trace with this id");
    return;
  }
  const char *what = slash ? slash + 1 : "meta";
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
    if (strcmp(what, endpoints[i].name) != 0) continue;
    int state = atomic_load_explicit(&s->state, memory_order_acquire);
    if (endpoints[i].needs_ready && state != TV_SERVED_READY) {
      if (state == TV_SERVED_ERROR) {
        char msg[1200];
        tv_api_error(reply, 422, "the trace could not be read: %s",
                     tv_error_format(&s->err, msg, sizeof msg));
      } else {
        tv_api_error(reply, 409, "the trace is still indexing; poll /api/traces/%s/progress", s->id);
      }
      return;
    }
    endpoints[i].fn(s, get, ud, reply);
    return;
  }
  tv_api_error(reply, 404, "no such API endpoint");
}
