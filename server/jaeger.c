/* jaeger.c: reader for Jaeger JSON (the query API and "Download JSON").
 *
 *   {"data":[{"traceID","spans":[{"traceID","spanID","operationName",
 *     "references":[{"refType":"CHILD_OF"|"FOLLOWS_FROM","traceID","spanID"}],
 *     "startTime"(us),"duration"(us),"tags","logs","processID"}...],
 *     "processes":{"p1":{"serviceName","tags"}}}, ...]}
 * "data" may also be one trace object, and the file may be a bare trace
 * object ({"traceID","spans","processes"}). Keys in any order; unknown keys
 * are skipped; numbers may be strings.
 *
 * Nothing is parsed into a DOM: spans are scanned one by one into pending
 * records (views into the input); a trace's "processes" may follow its
 * spans, so its spans are resolved when the trace object ends. Every service
 * is one process (pid 1, 2, ... in order of first appearance, named by the
 * service); spans go to lanes (lanes.c) by their CHILD_OF parent. The span
 * key is a 64-bit hash of (traceID, spanID), hex case and leading zeros
 * ignored. FOLLOWS_FROM and further references become links (flow arrows
 * from the referenced span). A span's detail is its service name.
 *
 * Not handled: logs as instants (counted in the details panel), the
 * "warnings" member, process tags (skipped). */
#include "traceview/json_scan.h"
#include "traceview/span_ids.h"
#include "traceview/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pend {
  tv_span_t sp;  /* pid and detail filled at resolution */
  uint32_t proc; /* interned processID, or the service itself when embedded */
  bool embedded; /* proc is a service name ("process":{"serviceName"}) */
} pend_t;

typedef struct jg {
  tv_jscan_t js;
  tv_trace_t *trace;
  tv_builder_t *b;
  pend_t *pend;
  size_t n_pend, cap_pend;
  uint32_t *services; /* service name id -> pid = index + 1 */
  size_t n_services, cap_services;
  const char *cut;    /* the span or value the input ended in */
  uint32_t follows_from, child_of;
} jg_t;

typedef struct procs {
  uint32_t *id, *service;
  size_t n, cap;
} procs_t;

static int oom(jg_t *j) { return tv_error_set(j->js.err, TV_ENOMEM, j->js.file, -1, "out of memory"); }

/* ---- object and array walks ---- */


/* ---- spans ---- */

typedef struct ref {
  tv_jstr_t type, trace, span;
} ref_t;

typedef struct raw_span {
  const char *at;
  tv_jstr_t trace, span, parent, op, proc, service;
  tv_jnum_t start, dur;
  ref_t refs[8]; /* the first ones; more are rare and become links only when listed here */
  size_t n_refs;
  uint64_t n_refs_dropped;
} raw_span_t;

static int ref_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  ref_t *r = ctx;
  if (TV_KEY_IS(k, "refType")) return tv_js_string_or_skip(&j->js, &r->type);
  if (TV_KEY_IS(k, "traceID")) return tv_js_string_or_skip(&j->js, &r->trace);
  if (TV_KEY_IS(k, "spanID")) return tv_js_string_or_skip(&j->js, &r->span);
  return tv_js_skip_value(&j->js);
}

static int ref_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  raw_span_t *r = ctx;
  ref_t ref = {0};
  int rc = tv_js_object(&j->js, "a reference object '{'", ref_member, j, &ref);
  if (rc) return rc;
  if (r->n_refs < sizeof r->refs / sizeof r->refs[0]) r->refs[r->n_refs++] = ref;
  else r->n_refs_dropped++;
  return 0;
}

static int process_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  if (TV_KEY_IS(k, "serviceName")) return tv_js_string_or_skip(&j->js, ctx);
  return tv_js_skip_value(&j->js);
}

static int span_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  raw_span_t *r = ctx;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "traceID")) return tv_js_string_or_skip(s, &r->trace);
  if (TV_KEY_IS(k, "spanID")) return tv_js_string_or_skip(s, &r->span);
  if (TV_KEY_IS(k, "parentSpanID")) return tv_js_string_or_skip(s, &r->parent);
  if (TV_KEY_IS(k, "operationName")) return tv_js_string_or_skip(s, &r->op);
  if (TV_KEY_IS(k, "processID")) return tv_js_string_or_skip(s, &r->proc);
  if (TV_KEY_IS(k, "startTime")) return tv_js_number_or_skip(s, &r->start);
  if (TV_KEY_IS(k, "duration")) return tv_js_number_or_skip(s, &r->dur);
  if (TV_KEY_IS(k, "references") && s->p < s->end && *s->p == '[')
    return tv_js_array(&j->js, "an array of references", ref_elem, j, r);
  if (TV_KEY_IS(k, "process") && s->p < s->end && *s->p == '{')
    return tv_js_object(&j->js, "a process object", process_member, j, &r->service);
  return tv_js_skip_value(s);
}

static int push_pend(jg_t *j, const pend_t *p) {
  if (j->n_pend == j->cap_pend) {
    size_t cap = j->cap_pend ? j->cap_pend * 2 : 256;
    pend_t *g = realloc(j->pend, cap * sizeof *g);
    if (!g) return oom(j);
    j->pend = g;
    j->cap_pend = cap;
  }
  j->pend[j->n_pend++] = *p;
  return 0;
}

static int span_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  tv_jscan_t *s = &j->js;
  raw_span_t r;
  memset(&r, 0, sizeof r);
  r.at = s->p;
  int rc = tv_js_object(&j->js, "a span object '{'", span_member, j, &r);
  if (rc == TV_SCAN_EOF && !j->cut) j->cut = r.at;
  if (rc) return rc;
  tv_builder_t *b = j->b;
  uint64_t off = (uint64_t)tv_js_off(s, r.at);
  b->n_raw_events++;
  if (!r.start.p) {
    tv_diag_add(&b->diag, TV_DIAG_missing_ts, (int64_t)off);
    return 0;
  }
  pend_t p = {.sp = {.kind = TV_THREAD_SPANS, .off = off}};
  if ((rc = tv_parse_decimal(r.start.p, r.start.e, 3, &p.sp.start_ns)) != 0)
    return tv_js_number_error(s, &r.start, rc, "startTime");
  if (r.dur.p && (rc = tv_parse_decimal(r.dur.p, r.dur.e, 3, &p.sp.dur_ns)) != 0)
    return tv_js_number_error(s, &r.dur, rc, "duration");
  if (p.sp.dur_ns > 0 && p.sp.start_ns > (INT64_C(1) << 62) - 1 - p.sp.dur_ns)
    return tv_js_number_error(s, &r.dur, TV_ERANGE, "startTime + duration");
  if ((rc = tv_js_intern(s, &b->strings, &r.op, &p.sp.name)) != 0) return rc;
  if (r.service.present) {
    if ((rc = tv_js_intern(s, &b->strings, &r.service, &p.proc)) != 0) return rc;
    p.embedded = true;
  } else if ((rc = tv_js_intern(s, &b->strings, &r.proc, &p.proc)) != 0)
    return rc;
  p.sp.key = tv_span_key(r.trace.s, r.span.s);
  /* the parent: the first CHILD_OF reference, else parentSpanID; every other
   * reference is a link */
  bool have_parent = false;
  for (size_t i = 0; i < r.n_refs; i++) {
    const ref_t *ref = &r.refs[i];
    uint64_t k = tv_span_key(ref->trace.present ? ref->trace.s : r.trace.s, ref->span.s);
    if (!k) continue;
    bool child_of = !ref->type.present || TV_KEY_IS(ref->type.s, "CHILD_OF");
    if (child_of && !have_parent) {
      p.sp.parent = k;
      have_parent = true;
      continue;
    }
    tv_flow_mark_t m = {.key = k, .to_span = p.sp.key, .ph = 'L', .off = off,
                        .name = child_of ? j->child_of : j->follows_from};
    if (p.sp.key && tv_builder_add_flow_mark(b, &m)) return oom(j);
  }
  if (!have_parent && r.parent.s.len) p.sp.parent = tv_span_key(r.trace.s, r.parent.s);
  if (r.n_refs_dropped)
    tv_trace_warn(j->trace, (int64_t)off, "a span with more than %zu references: the rest are ignored",
                  sizeof r.refs / sizeof r.refs[0]);
  return push_pend(j, &p);
}

/* ---- processes and resolution ---- */

static int32_t service_pid(jg_t *j, uint32_t service) {
  for (size_t i = 0; i < j->n_services; i++)
    if (j->services[i] == service) return (int32_t)i + 1;
  if (j->n_services == j->cap_services) {
    size_t cap = j->cap_services ? j->cap_services * 2 : 16;
    uint32_t *g = realloc(j->services, cap * sizeof *g);
    if (!g) return -1;
    j->services = g;
    j->cap_services = cap;
  }
  j->services[j->n_services++] = service;
  tv_process_t *p = tv_builder_process(j->b, (int64_t)j->n_services);
  if (!p) return -1;
  p->name = service;
  return (int32_t)j->n_services;
}

/* Resolves pending spans [first, n_pend) with the trace's processes. */
static int resolve(jg_t *j, size_t first, const procs_t *ps) {
  uint32_t unknown = TV_NO_STRING;
  for (size_t i = first; i < j->n_pend; i++) {
    pend_t *p = &j->pend[i];
    uint32_t service = p->embedded ? p->proc : TV_NO_STRING;
    for (size_t k = 0; !p->embedded && k < ps->n; k++)
      if (ps->id[k] == p->proc) service = ps->service[k];
    if (!service) service = p->proc; /* an unknown processID names itself */
    if (!service) {
      if (!unknown) unknown = tv_intern(&j->b->strings, tv_str("unknown_service", 15), NULL);
      if (unknown == UINT32_MAX) return oom(j);
      service = unknown;
    }
    int32_t pid = service_pid(j, service);
    if (pid < 0) return oom(j);
    p->sp.pid = pid;
    p->sp.detail = service;
    if (tv_builder_add_span(j->b, &p->sp)) return oom(j);
    j->b->n_span_events++;
  }
  j->n_pend = first;
  return 0;
}

typedef struct trace_ctx {
  procs_t procs;
  bool top;
} trace_ctx_t;

static int trace_object(jg_t *j, bool top);

static int data_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  return trace_object(j, false);
}

/* "processes": {"p1": {...}, ...}: walked here, not with walk_object, because
 * the process ids are keys and must be interned from the input. */
static int processes(jg_t *j, procs_t *ps) {
  tv_jscan_t *s = &j->js;
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '{') return tv_js_skip_value(s);
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(s, &key);
    if (rc) return rc;
    tv_jstr_t service = {0};
    if (s->p < s->end && *s->p == '{') rc = tv_js_object(&j->js, "a process object", process_member, j, &service);
    else rc = tv_js_skip_value(s);
    if (rc) return rc;
    uint32_t id, svc;
    if ((rc = tv_js_intern(s, &j->b->strings, &key, &id)) != 0) return rc;
    if ((rc = tv_js_intern(s, &j->b->strings, &service, &svc)) != 0) return rc;
    if (ps->n == ps->cap) {
      size_t cap = ps->cap ? ps->cap * 2 : 8;
      uint32_t *a = realloc(ps->id, cap * sizeof *a);
      if (!a) return oom(j);
      ps->id = a;
      uint32_t *c = realloc(ps->service, cap * sizeof *c);
      if (!c) return oom(j);
      ps->service = c;
      ps->cap = cap;
    }
    ps->id[ps->n] = id;
    ps->service[ps->n++] = svc;
    rc = tv_js_after_member(s, "',' or '}' in \"processes\"");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

static int trace_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  trace_ctx_t *tc = ctx;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "spans")) return tv_js_array(&j->js, "an array of spans '['", span_elem, j, NULL);
  if (TV_KEY_IS(k, "processes")) return processes(j, &tc->procs);
  if (tc->top && TV_KEY_IS(k, "data") && s->p < s->end) {
    if (*s->p == '[') return tv_js_array(&j->js, "an array of traces '['", data_elem, j, NULL);
    if (*s->p == '{') return trace_object(j, false);
  }
  return tv_js_skip_value(s);
}

/* A trace object (or the top-level object); its spans are resolved when it
 * ends, or when the input ends inside it. */
static int trace_object(jg_t *j, bool top) {
  trace_ctx_t tc = {.top = top};
  size_t first = j->n_pend;
  int rc = tv_js_object(&j->js, top ? "'{' at the start of a Jaeger trace" : "a trace object '{'", trace_member, j, &tc);
  if (rc == 0 || rc == TV_SCAN_EOF) {
    int rrc = resolve(j, first, &tc.procs);
    if (rrc) rc = rrc;
  }
  free(tc.procs.id);
  free(tc.procs.service);
  return rc;
}

/* Above Chrome's 10 for any '{', below its 90 for "traceEvents"/"ph". */
static int jaeger_probe(const char *p, size_t len) {
  size_t i = tv_js_skip_bom_ws(p, len);
  if (i >= len || p[i] != '{') return 0;
  size_t w = len - i < 65536 ? len - i : 65536;
  const char *q = p + i;
  if (memmem(q, w, "\"spans\"", 7) &&
      (memmem(q, w, "\"traceID\"", 9) || memmem(q, w, "\"spanID\"", 8) || memmem(q, w, "\"processes\"", 11)))
    return 60;
  return 0;
}

static int jaeger_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders, size_t *n_builders,
                       tv_error_t *err) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  }
  jg_t j = {.js = {.base = t->map.base, .end = t->map.base + t->map.len, .file = t->map.path, .err = err},
            .trace = t, .b = b};
  j.js.p = j.js.base + tv_js_skip_bom_ws(j.js.base, t->map.len);
  t->format = "jaeger";
  int rc = 0;
  j.follows_from = tv_intern(&b->strings, tv_str("FOLLOWS_FROM", 12), NULL);
  j.child_of = tv_intern(&b->strings, tv_str("CHILD_OF", 8), NULL);
  if (j.follows_from == UINT32_MAX || j.child_of == UINT32_MAX) rc = oom(&j);
  if (rc == 0) rc = trace_object(&j, true);
  if (rc == TV_SCAN_EOF) {
    if (!b->n_raw_events && !j.cut) {
      rc = tv_error_set(err, TV_ESYNTAX, t->map.path, (int64_t)t->map.len,
                        "unexpected end of file before any span (truncated?)");
    } else {
      t->truncated = true;
      tv_trace_warn(t, j.cut ? tv_js_off(&j.js, j.cut) : (int64_t)t->map.len,
                    "the trace ends inside %s (the file is truncated); loaded the %llu spans before it",
                    j.cut ? "a span" : "a value", (unsigned long long)b->n_span_events);
      rc = 0;
    }
  } else if (rc == 0) {
    tv_js_ws(&j.js);
    if (j.js.p < j.js.end)
      tv_trace_warn(t, tv_js_off(&j.js, j.js.p), "ignored what follows the top-level object");
  }
  free(j.pend);
  free(j.services);
  if (rc) {
    tv_builder_free(b);
    free(b);
    return rc;
  }
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
  *builders = b;
  *n_builders = 1;
  return 0;
}


/* tags as {key: value}, then spanID, traceID, processID, service, the
 * references, and the number of logs. */
static json_t *jaeger_args(const char *p, size_t len) {
  json_t *span = tv_json_parse(p, len);
  if (!json_is_object(span)) {
    json_decref(span);
    return NULL;
  }
  json_t *out = json_object();
  size_t i;
  json_t *tag;
  json_array_foreach(json_object_get(span, "tags"), i, tag) {
    const char *key = json_string_value(json_object_get(tag, "key"));
    json_t *v = json_object_get(tag, "value");
    if (key && v) json_object_set(out, key, v);
  }
  static const char *const keep[] = {"spanID", "traceID", "parentSpanID", "processID", "references", "flags"};
  for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
    json_t *v = json_object_get(span, keep[k]);
    if (v) json_object_set(out, keep[k], v);
  }
  json_t *logs = json_object_get(span, "logs");
  if (json_is_array(logs)) json_object_set_new(out, "logs", json_integer((json_int_t)json_array_size(logs)));
  json_decref(span);
  return out;
}

const tv_reader_t tv_jaeger_reader = {
    .name = "jaeger",
    .description = "Jaeger JSON",
    .probe = jaeger_probe,
    .read = jaeger_read,
    .event_args = jaeger_args,
};
