/* chrome_json.c: reader for the Chrome Trace Event Format (JSON).
 *
 * Forms: {"traceEvents":[...], ...} (keys in any order), a bare array [...]
 * (possibly unterminated, as the spec allows for crashed programs), and one
 * event object per line (JSONL).
 *
 * The scanner walks the mapped bytes once; nothing is parsed into a DOM.
 * Strings are found with memchr and kept as views into the mapping; only
 * strings that contain escapes are decoded (into the builder's arena). Only
 * the keys the index needs are looked at; every other value is skipped by a
 * bracket counter that knows about strings, so `},{` or `\"` inside a string
 * never confuses it. args are parsed on demand later (with jansson) from the
 * event's byte offset, which the store keeps.
 *
 * scan_event_list() reads a comma-separated run of event objects and can be
 * started at any event boundary, so a file can be cut into chunks at event
 * starts, scanned into separate builders and merged (see store.h).
 *
 * Scanner functions return 0, TV_SCAN_EOF when the input ends inside what they
 * read (a truncated trace), or a negative TV_E* code with err filled. */
#include "traceview/chrome_samples.h"
#include "traceview/selftrace.h"
#include "traceview/json_scan.h"
#include "traceview/pool.h"
#include "traceview/reader.h"
#include "traceview/str.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>
#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#define TV_SCAN_EOF 1
#define TV_MAX_NS ((INT64_C(1) << 62) - 1) /* ~146 years: beyond is absurd; B/E differences stay in int64 */
#define PROGRESS_STEP (64u << 20)

typedef struct scan {
  tv_jscan_t js;                    /* cursor over the mapped bytes */
  tv_builder_t *b;
  tv_trace_t *trace;
  const tv_open_opts_t *opts;
  const char *next_progress;
  uint64_t n_events;
  _Atomic uint64_t *progress_bytes; /* chunk scans: shared count instead of a callback */
  const char *progress_mark;
  tv_builder_t **extra;             /* builders of later chunks, in file order */
  size_t n_extra;
  const char *stack_frames, *samples; /* object form: the "stackFrames" object and
                                         "samples" array, resolved after the scan */
} scan_t;

typedef struct raw_event {
  const char *at; /* the '{' */
  tv_jstr_t ph, name, cat, detail, args_name;
  tv_jnum_t ts, dur, pid_num, tid_num, sort_index, count, avg_ms;
  tv_jstr_t pid_str, tid_str;
  tv_jnum_t id_num, bind_num;  /* async and flow ids: numbers or strings */
  tv_jstr_t id_str, bind_str, scope;
  bool id2_global, flow_in, flow_out;
  const char *args_p, *args_e; /* span of the args object, or NULL */
} raw_event_t;

static int parse_id2(scan_t *s, raw_event_t *ev);
static int read_bool(scan_t *s, bool *out);
static int emit_async(scan_t *s, const raw_event_t *ev, char ph, int64_t pid, uint32_t name,
                      int64_t ts, uint64_t off);
static int emit_flow(scan_t *s, const raw_event_t *ev, char ph, int64_t pid, int64_t tid,
                     uint32_t name, int64_t ts, uint64_t off);

/* Strings go to the builder of the chunk being scanned. */
static int intern_jstr(scan_t *s, const tv_jstr_t *j, uint32_t *id) {
  return tv_js_intern(&s->js, &s->b->strings, j, id);
}

/* args: picks the few keys the index needs, skips the rest. */
static int parse_args(scan_t *s, raw_event_t *ev) {
  ev->args_p = s->js.p;
  s->js.p++; /* '{' */
  tv_js_ws(&s->js);
  if (s->js.p >= s->js.end) return TV_SCAN_EOF;
  if (*s->js.p == '}') {
    s->js.p++;
    ev->args_e = s->js.p;
    return 0;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(&s->js, &key);
    if (rc) return rc;
    char kbuf[32];
    tv_str_t k = key.escaped ? tv_js_key_text(&key, kbuf, sizeof kbuf) : key.s;
    if (TV_KEY_IS(k, "detail")) rc = tv_js_string_or_skip(&s->js, &ev->detail);
    else if (TV_KEY_IS(k, "name")) rc = tv_js_string_or_skip(&s->js, &ev->args_name);
    else if (TV_KEY_IS(k, "sort_index")) rc = tv_js_number_or_skip(&s->js, &ev->sort_index);
    else if (TV_KEY_IS(k, "count")) rc = tv_js_number_or_skip(&s->js, &ev->count);
    else if (TV_KEY_IS(k, "avg ms")) rc = tv_js_number_or_skip(&s->js, &ev->avg_ms);
    else rc = tv_js_skip_value(&s->js);
    if (rc) return rc;
    rc = tv_js_after_member(&s->js, "',' or '}' in args");
    if (rc == 2) break;
    if (rc) return rc;
  }
  ev->args_e = s->js.p;
  return 0;
}

static int read_id_value(scan_t *s, tv_jnum_t *num, tv_jstr_t *str) {
  if (s->js.p < s->js.end && *s->js.p == '"') return tv_js_string(&s->js, str);
  return tv_js_number_or_skip(&s->js, num);
}

static int read_bool(scan_t *s, bool *out) {
  const char *p = s->js.p;
  int rc = tv_js_skip_value(&s->js);
  *out = rc == 0 && s->js.p - p == 4 && memcmp(p, "true", 4) == 0;
  return rc;
}

/* "id2": {"local": ID} or {"global": ID} */
static int parse_id2(scan_t *s, raw_event_t *ev) {
  s->js.p++;
  tv_js_ws(&s->js);
  if (s->js.p >= s->js.end) return TV_SCAN_EOF;
  if (*s->js.p == '}') {
    s->js.p++;
    return 0;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(&s->js, &key);
    if (rc) return rc;
    if (TV_KEY_IS(key.s, "local") || TV_KEY_IS(key.s, "global")) {
      ev->id2_global = TV_KEY_IS(key.s, "global");
      rc = read_id_value(s, &ev->id_num, &ev->id_str);
    } else {
      rc = tv_js_skip_value(&s->js);
    }
    if (rc) return rc;
    rc = tv_js_after_member(&s->js, "',' or '}' in id2");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

/* s->js.p at '{'. Fills ev with what the index needs. */
static int parse_event(scan_t *s, raw_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  ev->at = s->js.p;
  s->js.p++;
  tv_js_ws(&s->js);
  if (s->js.p >= s->js.end) return TV_SCAN_EOF;
  if (*s->js.p == '}') {
    s->js.p++;
    return 0;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(&s->js, &key);
    if (rc) return rc;
    char kbuf[32];
    tv_str_t k = key.escaped ? tv_js_key_text(&key, kbuf, sizeof kbuf) : key.s;
    if (k.len == 2 && k.p[0] == 'p' && k.p[1] == 'h') rc = tv_js_string_or_skip(&s->js, &ev->ph);
    else if (k.len == 2 && k.p[0] == 't' && k.p[1] == 's') rc = tv_js_number_or_skip(&s->js, &ev->ts);
    else if (TV_KEY_IS(k, "name")) rc = tv_js_string_or_skip(&s->js, &ev->name);
    else if (TV_KEY_IS(k, "dur")) rc = tv_js_number_or_skip(&s->js, &ev->dur);
    else if (TV_KEY_IS(k, "pid")) rc = read_id_value(s, &ev->pid_num, &ev->pid_str);
    else if (TV_KEY_IS(k, "tid")) rc = read_id_value(s, &ev->tid_num, &ev->tid_str);
    else if (TV_KEY_IS(k, "cat")) rc = tv_js_string_or_skip(&s->js, &ev->cat);
    else if (TV_KEY_IS(k, "args") && s->js.p < s->js.end && *s->js.p == '{') rc = parse_args(s, ev);
    else if (TV_KEY_IS(k, "id")) rc = read_id_value(s, &ev->id_num, &ev->id_str);
    else if (TV_KEY_IS(k, "id2") && s->js.p < s->js.end && *s->js.p == '{') rc = parse_id2(s, ev);
    else if (TV_KEY_IS(k, "scope")) rc = tv_js_string_or_skip(&s->js, &ev->scope);
    else if (TV_KEY_IS(k, "bind_id")) rc = read_id_value(s, &ev->bind_num, &ev->bind_str);
    else if (TV_KEY_IS(k, "flow_in")) rc = read_bool(s, &ev->flow_in);
    else if (TV_KEY_IS(k, "flow_out")) rc = read_bool(s, &ev->flow_out);
    else rc = tv_js_skip_value(&s->js);
    if (rc) return rc;
    rc = tv_js_after_member(&s->js, "',' or '}' after a value in an event");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

/* A pid or tid: a number, or a string that gets a stable number. */
static int event_id(scan_t *s, const tv_jnum_t *num, const tv_jstr_t *str, int64_t *out,
                    uint32_t *name) {
  *name = TV_NO_STRING;
  if (str->present) {
    /* The string names the thread or process unless metadata does. */
    int rc = intern_jstr(s, str, name);
    if (rc) return rc;
    int64_t v;
    if (!str->escaped && tv_parse_decimal(str->s.p, str->s.p + str->s.len, 0, &v) == 0) *out = v;
    else *out = INT64_C(0x100000000) + tv_hash_bytes(str->s.p, str->s.len);
    return 0;
  }
  if (!num->p) {
    *out = 0;
    return 0;
  }
  int rc = tv_parse_decimal(num->p, num->e, 0, out);
  if (rc) return tv_js_number_error(&s->js, num, rc, "pid/tid");
  return 0;
}

/* C events: one counter sample per numeric member of args. */
static int emit_counters(scan_t *s, const raw_event_t *ev, int64_t pid, uint32_t name,
                         int64_t ts) {
  if (!ev->args_p) return 0;
  tv_jscan_t sub = s->js;
  sub.p = ev->args_p + 1;
  sub.end = ev->args_e;
  tv_js_ws(&sub);
  if (sub.p < sub.end && *sub.p == '}') return 0;
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(&sub, &key);
    if (rc) return rc < 0 ? rc : 0;
    tv_jnum_t num = {0};
    rc = tv_js_number_or_skip(&sub, &num);
    if (rc < 0) return rc;
    bool ok = false;
    double v = num.p ? tv_js_double(&num, &ok) : 0;
    if (ok) {
      uint32_t series;
      if ((rc = intern_jstr(s, &key, &series)) != 0) return rc;
      if (tv_builder_add_counter(s->b, pid, name, series, ts, v, (uint64_t)tv_js_off(&s->js, ev->at)))
        return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
    }
    rc = tv_js_after_member(&sub, "',' or '}' in args");
    if (rc) return rc < 0 ? rc : 0;
  }
}

static bool is_llvm_total(const raw_event_t *ev, int64_t ts) {
  return ts == 0 && ev->count.p && ev->name.s.len > 6 && memcmp(ev->name.s.p, "Total ", 6) == 0;
}

/* What a one-byte phase is, looked up once per event. */
enum { PH_SKIPPED = 0, PH_TIMELINE, PH_ASYNC, PH_FLOW, PH_SAMPLE };
static const unsigned char ph_kind[256] = {
    ['X'] = PH_TIMELINE, ['B'] = PH_TIMELINE, ['E'] = PH_TIMELINE, ['i'] = PH_TIMELINE,
    ['I'] = PH_TIMELINE, ['C'] = PH_TIMELINE, ['M'] = PH_TIMELINE,
    ['b'] = PH_ASYNC, ['n'] = PH_ASYNC, ['e'] = PH_ASYNC, ['S'] = PH_ASYNC, ['F'] = PH_ASYNC,
    ['s'] = PH_FLOW, ['t'] = PH_FLOW, ['f'] = PH_FLOW, ['P'] = PH_SAMPLE,
};

static int emit_event(scan_t *s, const raw_event_t *ev) {
  tv_builder_t *b = s->b;
  uint64_t off = (uint64_t)tv_js_off(&s->js, ev->at);
  s->n_events++;
  if (!ev->ph.present) {
    b->n_raw_events++;
    tv_diag_add(&b->diag, TV_DIAG_missing_phase, (int64_t)off);
    return 0;
  }
  if (tv_builder_count_phase(b, ev->ph.s.p, ev->ph.s.len) != 0)
    return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  if (ev->ph.s.len != 1) return 0;
  char ph = ev->ph.s.p[0];
  int kind = ph_kind[(unsigned char)ph];
  if (kind == PH_SAMPLE) { /* samples: resolved after the scan (chrome_samples.c) */
    if (tv_builder_add_revisit(b, off) != 0)
      return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
    return 0;
  }
  if (kind == PH_SKIPPED) return 0; /* counted, skipped (T, p, O, N, D, ...) */

  int rc;
  int64_t pid, tid, ts = 0, dur = 0;
  uint32_t pid_name, tid_name;
  if ((rc = event_id(s, &ev->pid_num, &ev->pid_str, &pid, &pid_name)) != 0) return rc;
  if ((rc = event_id(s, &ev->tid_num, &ev->tid_str, &tid, &tid_name)) != 0) return rc;
  uint32_t name;
  if ((rc = intern_jstr(s, &ev->name, &name)) != 0) return rc;

  if (ph == 'M') {
    uint32_t value;
    if ((rc = intern_jstr(s, &ev->args_name, &value)) != 0) return rc;
    int64_t sort = 0;
    bool has_sort = ev->sort_index.p &&
                    tv_parse_decimal(ev->sort_index.p, ev->sort_index.e, 0, &sort) == 0 &&
                    sort >= INT32_MIN && sort <= INT32_MAX;
    tv_str_t n = ev->name.s;
    if (TV_KEY_IS(n, "process_name") || TV_KEY_IS(n, "process_sort_index")) {
      tv_process_t *p = tv_builder_process(b, pid);
      if (!p) return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
      if (TV_KEY_IS(n, "process_name") && value) p->name = value;
      if (TV_KEY_IS(n, "process_sort_index") && has_sort) {
        p->sort_index = (int32_t)sort;
        p->has_sort_index = true;
      }
    } else if (TV_KEY_IS(n, "thread_name") || TV_KEY_IS(n, "thread_sort_index")) {
      tv_thread_t *th = tv_builder_thread(b, pid, tid);
      if (!th) return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
      th->listed = true;
      if (TV_KEY_IS(n, "thread_name") && value) th->name = value;
      if (TV_KEY_IS(n, "thread_sort_index") && has_sort) {
        th->sort_index = (int32_t)sort;
        th->has_sort_index = true;
      }
    }
    return 0;
  }

  if (!ev->ts.p) {
    tv_diag_add(&b->diag, TV_DIAG_missing_ts, (int64_t)off);
    return 0;
  }
  if ((rc = tv_parse_decimal(ev->ts.p, ev->ts.e, 3, &ts)) != 0)
    return tv_js_number_error(&s->js, &ev->ts, rc, "ts");

  if (ph == 'C') {
    if (pid_name) {
      tv_process_t *p = tv_builder_process(b, pid);
      if (p && !p->name) p->name = pid_name;
    }
    return emit_counters(s, ev, pid, name, ts);
  }

  if (kind == PH_ASYNC) return emit_async(s, ev, ph, pid, name, ts, off);

  tv_thread_t *th = tv_builder_thread(b, pid, tid);
  if (!th) return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  if (tid_name && !th->name) th->name = tid_name;
  if (kind == PH_FLOW || ev->flow_in || ev->flow_out) {
    if ((rc = emit_flow(s, ev, ph, pid, tid, name, ts, off)) != 0) return rc;
    if (kind == PH_FLOW) return 0;
  }
  if (ph == 'i' || ph == 'I') {
    if (tv_builder_add_instant(b, th, ts, name, off))
      return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
    return 0;
  }
  uint32_t detail = TV_NO_STRING, cat_id = TV_NO_STRING;
  if (ph != 'E') {
    if ((rc = intern_jstr(s, &ev->detail, &detail)) != 0) return rc;
    if ((rc = intern_jstr(s, &ev->cat, &cat_id)) != 0) return rc;
  }
  uint16_t cat = tv_builder_cat(b, cat_id);
  if (ph == 'X') {
    if (ev->dur.p && (rc = tv_parse_decimal(ev->dur.p, ev->dur.e, 3, &dur)) != 0)
      return tv_js_number_error(&s->js, &ev->dur, rc, "dur");
    if (is_llvm_total(ev, ts)) {
      bool ok;
      int64_t count = 0;
      tv_parse_decimal(ev->count.p, ev->count.e, 0, &count);
      double avg = tv_js_double(&ev->avg_ms, &ok);
      tv_llvm_total_t t = {.name = name, .pid = pid, .tid = tid, .dur_ns = dur,
                           .count = count, .avg_ms = ok ? avg : 0, .off = off};
      if (tv_builder_add_total(b, &t))
        return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
      return 0;
    }
    if (dur < 0) {
      tv_diag_add(&b->diag, TV_DIAG_negative_duration, (int64_t)off);
      dur = 0;
    }
    if (ts > TV_MAX_NS - dur)
      return tv_js_number_error(&s->js, &ev->dur, TV_ERANGE, "ts + dur");
    if (tv_builder_add_slice(b, th, ts, dur, name, detail, cat, off))
      return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
    return 0;
  }
  /* B or E */
  if (tv_builder_add_mark(b, th, ph == 'B', ts, name, detail, cat, off))
    return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  return 0;
}

/* ---- async slices and flows: keys matched after the merge (lanes.c) ---- */


static uint64_t key_id(uint64_t h, const tv_jnum_t *num, const tv_jstr_t *str) {
  if (str->present) return tv_hash64_part(h, str->s.p, str->s.len);
  if (num->p) return tv_hash64_part(h, num->p, (size_t)(num->e - num->p));
  return tv_hash64_part(h, "", 0);
}

/* b/e/n (nestable) and S/F (legacy): keyed by kind, category, id, scope, and
 * the pid unless the id is global (id2.global). */
static int emit_async(scan_t *s, const raw_event_t *ev, char ph, int64_t pid, uint32_t name,
                      int64_t ts, uint64_t off) {
  tv_builder_t *b = s->b;
  uint32_t cat_id = TV_NO_STRING, detail = TV_NO_STRING;
  int rc;
  if ((rc = intern_jstr(s, &ev->cat, &cat_id)) != 0) return rc;
  if ((rc = intern_jstr(s, &ev->detail, &detail)) != 0) return rc;
  uint64_t key = tv_hash64_part(TV_HASH64_START, (ph == 'S' || ph == 'F') ? "S" : "b", 1);
  key = tv_hash64_part(key, ev->cat.s.p, ev->cat.present ? ev->cat.s.len : 0);
  key = (ev->id_str.present || ev->id_num.p) ? key_id(key, &ev->id_num, &ev->id_str)
                                               : tv_hash64_part(key, ev->name.s.p, ev->name.s.len);
  key = tv_hash64_part(key, ev->scope.s.p, ev->scope.present ? ev->scope.s.len : 0);
  if (!ev->id2_global) key = tv_hash64_part(key, &pid, sizeof pid);
  tv_async_mark_t m = {.pid = pid, .ts_ns = ts, .key = key | 1, .name = name, .detail = detail,
                       .cat = tv_builder_cat(b, cat_id), .ph = ph, .off = off};
  if (tv_builder_add_async(b, &m) != 0)
    return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  return 0;
}

/* Flow steps s/t/f (v1, keyed by id) and flow_out/flow_in on slices (v2,
 * keyed by bind_id). */
static int emit_flow(scan_t *s, const raw_event_t *ev, char ph, int64_t pid, int64_t tid,
                     uint32_t name, int64_t ts, uint64_t off) {
  uint64_t key;
  if (ph_kind[(unsigned char)ph] == PH_FLOW) {
    key = key_id(tv_hash64_part(TV_HASH64_START, "v1", 2), &ev->id_num, &ev->id_str);
    key = tv_hash64_part(key, ev->scope.s.p, ev->scope.present ? ev->scope.s.len : 0);
  } else {
    if (!ev->bind_str.present && !ev->bind_num.p) return 0;
    key = key_id(tv_hash64_part(TV_HASH64_START, "v2", 2), &ev->bind_num, &ev->bind_str);
    ph = ev->flow_in && ev->flow_out ? 't' : ev->flow_out ? 's' : 'f';
  }
  tv_flow_mark_t m = {.pid = pid, .tid = tid, .ts_ns = ts, .key = key | 1, .name = name,
                      .ph = ph, .off = off};
  if (tv_builder_add_flow_mark(s->b, &m) != 0)
    return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  return 0;
}

static void report_progress(scan_t *s) {
  if (s->js.p >= s->next_progress) {
    if (s->progress_bytes) {
      atomic_fetch_add_explicit(s->progress_bytes, (uint64_t)(s->js.p - s->progress_mark),
                                memory_order_relaxed);
      s->progress_mark = s->js.p;
    } else if (s->opts && s->opts->progress)
      s->opts->progress(s->opts->progress_ud, (uint64_t)(s->js.p - s->js.base),
                        (uint64_t)(s->js.end - s->js.base));
    s->next_progress = s->js.p + PROGRESS_STEP;
  }
}

/* Outcome of an event list. */
enum { LIST_CLOSED, LIST_UNTERMINATED, LIST_TRUNCATED };

/* Reads events separated by commas until ']' or the end of input. s->js.p is
 * just after '[' (or at any event boundary). *cut is set to the start of an
 * event cut short by the end of the input. */
static int scan_event_list(scan_t *s, int *outcome, const char **cut) {
  raw_event_t ev;
  for (;;) {
    tv_js_ws(&s->js);
    if (s->js.p >= s->js.end) {
      *outcome = LIST_UNTERMINATED;
      return 0;
    }
    if (*s->js.p == ']') {
      s->js.p++;
      *outcome = LIST_CLOSED;
      return 0;
    }
    if (*s->js.p != '{') return tv_js_expected(&s->js, s->js.p, "an event object '{' or ']'");
    const char *start = s->js.p;
    int rc = parse_event(s, &ev);
    if (rc == TV_SCAN_EOF) {
      *outcome = LIST_TRUNCATED;
      *cut = start;
      return 0;
    }
    if (rc) return rc;
    if ((rc = emit_event(s, &ev)) != 0) return rc;
    report_progress(s);
    tv_js_ws(&s->js);
    if (s->js.p >= s->js.end) {
      *outcome = LIST_UNTERMINATED;
      return 0;
    }
    if (*s->js.p == ',') {
      s->js.p++;
      continue; /* a trailing comma before ']' is tolerated */
    }
    if (*s->js.p == ']') {
      s->js.p++;
      *outcome = LIST_CLOSED;
      return 0;
    }
    return tv_js_expected(&s->js, s->js.p, "',' or ']' after an event");
  }
}

/* ---- parallel scanning of the event list ----
 *
 * The list after '[' is cut into chunks at candidate event starts (a '{'
 * after a ',' and white space), each scanned into its own builder on the
 * libuv thread pool. A candidate can lie inside a string ("a},{b"), so a
 * chunk's result is used only when the chunk before it ended exactly at its
 * start on a clean event boundary; otherwise everything from the first
 * unverified chunk is scanned again serially. The builders merge in file
 * order (tv_store_build), so the index equals a serial pass. */

#define DEFAULT_CHUNK_BYTES (16u << 20)
#define MAX_CHUNKS 64

typedef struct progress_tick {
  uv_timer_t timer;
  const tv_open_opts_t *opts;
  _Atomic uint64_t bytes;
  uint64_t base, total;
  size_t pending;
} progress_tick_t;

typedef struct chunk {
  uv_work_t work;
  scan_t s;
  tv_error_t err;
  int rc, outcome;
  const char *cut;
  progress_tick_t *tick;
} chunk_t;

/* Maps the chunk's pages in one call on its own thread: the page cache is
 * warm, and one populate costs less than a fault per 64 KiB. */
static void populate(const char *from, const char *to) {
#ifdef MADV_POPULATE_READ
  uintptr_t a = (uintptr_t)from & ~(uintptr_t)4095, b = (uintptr_t)to;
  if (b > a) madvise((void *)a, b - a, MADV_POPULATE_READ);
#else
  (void)from;
  (void)to;
#endif
}

static void chunk_work(uv_work_t *w) {
  chunk_t *c = w->data;
  uint64_t ph = tv_self_begin();
  populate(c->s.js.p, c->s.js.end);
  c->rc = scan_event_list(&c->s, &c->outcome, &c->cut);
  tv_self_end(ph, "scan chunk", NULL);
  /* Sorting here, in parallel, leaves tv_store_build a merge of sorted runs. */
  ph = tv_self_begin();
  if (c->rc == 0 && tv_builder_presort(c->s.b) != 0)
    c->rc = tv_error_set(c->s.js.err, TV_ENOMEM, c->s.js.file, -1, "out of memory");
  tv_self_end(ph, "presort chunk", NULL);
}

static void chunk_done(uv_work_t *w, int status) {
  (void)status;
  chunk_t *c = w->data;
  if (--c->tick->pending == 0) uv_close((uv_handle_t *)&c->tick->timer, NULL);
}

static void on_tick(uv_timer_t *t) {
  progress_tick_t *pt = t->data;
  if (pt->opts && pt->opts->progress)
    pt->opts->progress(pt->opts->progress_ud, pt->base + atomic_load(&pt->bytes), pt->total);
}

/* A '{' after ',' and white space, at or after p. */
static const char *find_candidate(const char *p, const char *end) {
  while (p < end && (p = memchr(p, '{', (size_t)(end - p))) != NULL) {
    const char *q = p - 1;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q--;
    if (*q == ',') return p;
    p++;
  }
  return NULL;
}

static unsigned scan_threads(const tv_open_opts_t *opts) {
  return opts && opts->threads ? opts->threads : tv_pool_threads();
}

/* Appends builder b to the later-chunk builders (taking it). */
static int push_extra(scan_t *s, tv_builder_t *b) {
  tv_builder_t **grown = realloc(s->extra, (s->n_extra + 1) * sizeof *grown);
  if (!grown) return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  s->extra = grown;
  s->extra[s->n_extra++] = b;
  return 0;
}

static tv_builder_t *new_builder(void) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (b && tv_builder_init(b) != 0) {
    free(b);
    b = NULL;
  }
  return b;
}

/* scan_event_list for the whole top-level list, in parallel when it is big. */
static int scan_list_top(scan_t *s, int *outcome, const char **cut) {
  size_t min_chunk = s->opts && s->opts->chunk_bytes ? s->opts->chunk_bytes : DEFAULT_CHUNK_BYTES;
  size_t len = (size_t)(s->js.end - s->js.p);
  size_t n = len / min_chunk, threads = scan_threads(s->opts);
  if (n > threads) n = threads;
  if (n > MAX_CHUNKS) n = MAX_CHUNKS;
  const char *bounds[MAX_CHUNKS + 1];
  size_t k = 0;
  bounds[k++] = s->js.p;
  for (size_t i = 1; i < n; i++) {
    const char *c = find_candidate(s->js.p + len * i / n, s->js.end);
    if (c && c > bounds[k - 1]) bounds[k++] = c;
  }
  n = k;
  bounds[n] = s->js.end;
  if (n < 2) return scan_event_list(s, outcome, cut);

  chunk_t *chunks = calloc(n, sizeof *chunks);
  progress_tick_t tick = {.opts = s->opts, .base = (uint64_t)(s->js.p - s->js.base),
                          .total = (uint64_t)(s->js.end - s->js.base), .pending = n};
  if (!chunks) return tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    chunk_t *c = &chunks[i];
    c->s = *s;
    c->s.js.p = c->s.progress_mark = bounds[i];
    c->s.js.end = bounds[i + 1];
    c->s.next_progress = bounds[i] + PROGRESS_STEP;
    c->s.js.err = &c->err;
    c->s.n_events = 0;
    c->s.progress_bytes = &tick.bytes;
    c->s.extra = NULL;
    c->s.n_extra = 0;
    c->tick = &tick;
    c->work.data = c;
    if (i > 0 && !(c->s.b = new_builder()))
      rc = tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
  }
  if (rc == 0) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &tick.timer);
    tick.timer.data = &tick;
    uv_timer_start(&tick.timer, on_tick, 100, 100);
    for (size_t i = 0; i < n; i++) uv_queue_work(&loop, &chunks[i].work, chunk_work, chunk_done);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once the last chunk closed the timer */
    uv_loop_close(&loop);
  }

  /* Chunks count in order while each one ended exactly where the next began. */
  size_t i = 0;
  for (; rc == 0 && i < n; i++) {
    chunk_t *c = &chunks[i];
    if (c->rc) {
      *s->js.err = c->err;
      rc = c->rc;
      break;
    }
    s->n_events += c->s.n_events;
    if (i > 0) {
      rc = push_extra(s, c->s.b);
      if (rc == 0) c->s.b = NULL;
    }
    if (i + 1 < n && c->outcome == LIST_UNTERMINATED && c->s.js.p == bounds[i + 1]) continue;
    if (i + 1 == n || c->outcome == LIST_CLOSED) {
      /* The list ends in this chunk (what follows was never events). */
      *outcome = c->outcome;
      *cut = c->cut;
      s->js.p = c->s.js.p;
      break;
    }
    /* The next chunk began inside an event (a "},{" in a string): scan the
     * rest serially from the event this chunk could not finish. */
    tv_builder_t *b = new_builder();
    if (!b) {
      rc = tv_error_set(s->js.err, TV_ENOMEM, s->js.file, -1, "out of memory");
      break;
    }
    scan_t rest = *s;
    rest.b = b;
    rest.js.p = c->outcome == LIST_TRUNCATED ? c->cut : c->s.js.p;
    rest.n_events = 0;
    rest.progress_bytes = NULL;
    rc = scan_event_list(&rest, outcome, cut);
    s->js.p = rest.js.p;
    s->n_events += rest.n_events;
    int prc = push_extra(s, b);
    if (prc) {
      tv_builder_free(b);
      free(b);
      rc = rc ? rc : prc;
    }
    break;
  }
  for (size_t j = 1; j < n; j++)
    if (chunks[j].s.b) {
      tv_builder_free(chunks[j].s.b);
      free(chunks[j].s.b);
    }
  free(chunks);
  return rc;
}

static void warn_truncated(scan_t *s, const char *cut) {
  s->trace->truncated = true;
  tv_trace_warn(s->trace, tv_js_off(&s->js, cut),
                "the trace ends inside an event (the file is truncated); loaded the %llu "
                "events before it",
                (unsigned long long)s->n_events);
}

/* One event object per line (blank lines and commas between them allowed). */
static int read_jsonl(scan_t *s) {
  raw_event_t ev;
  for (;;) {
    while (s->js.p < s->js.end && (*s->js.p == ' ' || *s->js.p == '\n' || *s->js.p == '\r' || *s->js.p == '\t' ||
                             *s->js.p == ','))
      s->js.p++;
    if (s->js.p >= s->js.end) return 0;
    if (*s->js.p != '{') return tv_js_expected(&s->js, s->js.p, "an event object '{' at the start of a line");
    const char *start = s->js.p;
    int rc = parse_event(s, &ev);
    if (rc == TV_SCAN_EOF) {
      warn_truncated(s, start);
      return 0;
    }
    if (rc) return rc;
    if ((rc = emit_event(s, &ev)) != 0) return rc;
    report_progress(s);
  }
}

static int read_array(scan_t *s) {
  int outcome;
  const char *cut = NULL;
  s->js.p++; /* '[' */
  int rc = scan_list_top(s, &outcome, &cut);
  if (rc) return rc;
  if (outcome == LIST_TRUNCATED) warn_truncated(s, cut);
  if (outcome == LIST_CLOSED) {
    tv_js_ws(&s->js);
    if (s->js.p < s->js.end)
      tv_trace_warn(s->trace, tv_js_off(&s->js, s->js.p), "ignored what follows the closing ']'");
  }
  return 0;
}

/* {"traceEvents": [...], other keys...}, or the first line of a JSONL file,
 * which is an event: then *is_event is set and nothing is emitted. */
static int read_object(scan_t *s, bool *is_event) {
  bool seen_events = false, seen_ph = false;
  *is_event = false;
  s->js.p++; /* '{' */
  tv_js_ws(&s->js);
  if (s->js.p < s->js.end && *s->js.p == '}') {
    s->js.p++;
    goto closed;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(&s->js, &key);
    if (rc == TV_SCAN_EOF) goto eof;
    if (rc) return rc;
    char kbuf[32];
    key.s = tv_js_key_text(&key, kbuf, sizeof kbuf);
    if (TV_KEY_IS(key.s, "traceEvents") && s->js.p < s->js.end && *s->js.p == '[' && !seen_events) {
      seen_events = true;
      s->trace->format = "chrome-json-object";
      int outcome;
      const char *cut = NULL;
      s->js.p++;
      if ((rc = scan_list_top(s, &outcome, &cut)) != 0) return rc;
      if (outcome == LIST_TRUNCATED) {
        warn_truncated(s, cut);
        return 0;
      }
      if (outcome == LIST_UNTERMINATED) {
        tv_trace_warn(s->trace, tv_js_off(&s->js, s->js.p),
                      "the traceEvents array is not closed (the file is truncated)");
        s->trace->truncated = true;
        return 0;
      }
    } else if (TV_KEY_IS(key.s, "displayTimeUnit") && s->js.p < s->js.end && *s->js.p == '"') {
      tv_jstr_t unit;
      if ((rc = tv_js_string(&s->js, &unit)) != 0) goto eof_or_rc;
      if (unit.s.len < sizeof s->trace->display_time_unit) {
        memcpy(s->trace->display_time_unit, unit.s.p, unit.s.len);
        s->trace->display_time_unit[unit.s.len] = '\0';
      }
    } else {
      if (TV_KEY_IS(key.s, "ph")) seen_ph = true;
      if (TV_KEY_IS(key.s, "stackFrames") && s->js.p < s->js.end && *s->js.p == '{')
        s->stack_frames = s->js.p;
      if (TV_KEY_IS(key.s, "samples") && s->js.p < s->js.end && *s->js.p == '[')
        s->samples = s->js.p;
      if ((rc = tv_js_skip_value(&s->js)) != 0) goto eof_or_rc;
    }
    rc = tv_js_after_member(&s->js, "',' or '}' after a top-level value");
    if (rc == 2) break;
    if (rc == TV_SCAN_EOF) goto eof;
    if (rc) return rc;
    continue;
  eof_or_rc:
    if (rc != TV_SCAN_EOF) return rc;
    goto eof;
  }
closed:
  if (!seen_events) {
    if (seen_ph) {
      *is_event = true;
      return 0;
    }
    return tv_error_set(s->js.err, TV_EFORMAT, s->js.file, 0,
                        "no \"traceEvents\" array in the top-level object; expected a Chrome "
                        "trace ({\"traceEvents\": [...]}, [...], or one event per line)");
  }
  tv_js_ws(&s->js);
  if (s->js.p < s->js.end)
    tv_trace_warn(s->trace, tv_js_off(&s->js, s->js.p), "ignored what follows the top-level object");
  return 0;
eof:
  if (!seen_events)
    return tv_error_set(s->js.err, TV_ESYNTAX, s->js.file, tv_js_off(&s->js, s->js.end),
                        "the file ends before a \"traceEvents\" array was found (truncated?)");
  tv_trace_warn(s->trace, tv_js_off(&s->js, s->js.end),
                "the file ends inside the top-level object after the events (truncated?)");
  s->trace->truncated = true;
  return 0;
}

static int chrome_probe(const char *p, size_t len) {
  size_t i = tv_js_skip_bom_ws(p, len);
  if (i >= len) return 0;
  if (p[i] == '[') return 80;
  if (p[i] != '{') return 0;
  /* Other JSON formats start with '{' too: look for Chrome's keys. */
  size_t window = len - i < 65536 ? len - i : 65536;
  if (memmem(p + i, window, "\"traceEvents\"", 13) || memmem(p + i, window, "\"ph\"", 4))
    return 90;
  return 10;
}

static int chrome_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
                       size_t *n_builders, tv_error_t *err) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  }
  scan_t s = {.js = {.base = t->map.base, .end = t->map.base + t->map.len,
                     .file = t->map.path, .err = err},
              .b = b, .trace = t, .opts = opts};
  s.js.p = s.js.base + tv_js_skip_bom_ws(s.js.base, t->map.len);
  s.next_progress = s.js.p + PROGRESS_STEP;
  int rc;
  if (s.js.p == s.js.end) { /* detection says so first, unless the reader was forced */
    tv_builder_free(b);
    free(b);
    return tv_error_set(err, TV_EFORMAT, t->map.path, (int64_t)t->map.len,
                        "no trace events: the file is empty or holds only white space");
  }
  if (*s.js.p == '[') {
    t->format = "chrome-json-array";
    rc = read_array(&s);
  } else {
    bool is_event;
    const char *start = s.js.p;
    rc = read_object(&s, &is_event);
    if (rc == 0 && is_event) {
      /* Start again: the first object was the first event of a JSONL file. */
      tv_builder_free(b);
      if (tv_builder_init(b) != 0) {
        free(b);
        return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
      }
      t->format = "chrome-jsonl";
      s.js.p = start;
      s.n_events = 0;
      rc = read_jsonl(&s);
    }
  }
  if (rc == TV_SCAN_EOF) rc = tv_error_set(err, TV_ESYNTAX, t->map.path, (int64_t)t->map.len,
                                        "unexpected end of file");
  tv_builder_t *all = rc ? NULL : malloc((1 + s.n_extra) * sizeof *all);
  if (!rc && !all) rc = tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  if (rc) {
    for (size_t i = 0; i < s.n_extra; i++) {
      tv_builder_free(s.extra[i]);
      free(s.extra[i]);
    }
    free(s.extra);
    tv_builder_free(b);
    free(b);
    return rc;
  }
  /* The first chunk's builder, then the later chunks', in file order. */
  all[0] = *b;
  free(b);
  for (size_t i = 0; i < s.n_extra; i++) {
    all[1 + i] = *s.extra[i];
    free(s.extra[i]);
  }
  free(s.extra);
  rc = tv_chrome_samples(t, all, 1 + s.n_extra, s.stack_frames, s.samples, err);
  if (rc) {
    for (size_t i = 0; i < 1 + s.n_extra; i++) tv_builder_free(&all[i]);
    free(all);
    return rc;
  }
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
  *builders = all;
  *n_builders = 1 + s.n_extra;
  return 0;
}

const tv_reader_t tv_chrome_json_reader = {
    .name = "chrome-json",
    .description = "Chrome trace event JSON",
    .probe = chrome_probe,
    .read = chrome_read,
};
