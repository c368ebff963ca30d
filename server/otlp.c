/* otlp.c: reader for OpenTelemetry traces as OTLP JSON (the collector's
 * file exporter, `otel-cli`, telemetrygen, the OTLP/HTTP JSON body).
 *
 *   {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
 *     "value":{"stringValue":"..."}}]},"scopeSpans":[{"scope":{...},
 *     "spans":[{"traceId","spanId","parentSpanId","name","kind",
 *     "startTimeUnixNano","endTimeUnixNano" (strings or numbers, ns),
 *     "attributes","events","links":[{"traceId","spanId"}],"status"}]}]}]}
 * and the older "instrumentationLibrarySpans" for "scopeSpans". Keys in any
 * order, unknown keys skipped; ids are hex strings.
 *
 * Like jaeger.c: spans are scanned one by one into pending records, and a
 * resource's spans are resolved when its object ends (its "resource" may
 * follow "scopeSpans"). One process per service.name (pid 1, 2, ... in order
 * of first appearance; "unknown_service" when absent); spans go to lanes by
 * parentSpanId; links become flow arrows from the linked span. The span key
 * is a 64-bit hash of (traceId, spanId), hex case and leading zeros ignored.
 * A span's detail is its service name.
 *
 * Not handled: span events as instants (counted in the details panel),
 * base64 ids (hashed as they are, so they still match each other). */
#include "traceview/json_scan.h"
#include "traceview/span_ids.h"
#include "traceview/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ot {
  tv_jscan_t js;
  tv_trace_t *trace;
  tv_builder_t *b;
  tv_span_t *pend; /* spans of the current resource (pid, detail unset) */
  size_t n_pend, cap_pend;
  uint32_t *services; /* service name id -> pid = index + 1 */
  size_t n_services, cap_services;
  const char *cut;    /* the span the input ended in */
  uint32_t link, unknown;
} ot_t;

typedef ot_t jg_t; /* the walks below are shared in shape with jaeger.c */

static int oom(jg_t *j) { return tv_error_set(j->js.err, TV_ENOMEM, j->js.file, -1, "out of memory"); }

/* ---- object and array walks ---- */


/* ---- spans ---- */

typedef struct link {
  tv_jstr_t trace, span;
} link_t;

typedef struct raw_span {
  const char *at;
  tv_jstr_t trace, span, parent, name;
  tv_jnum_t start, end;
  link_t links[8]; /* the first ones */
  size_t n_links;
  uint64_t n_links_dropped;
} raw_span_t;

static int link_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  link_t *l = ctx;
  if (TV_KEY_IS(k, "traceId")) return tv_js_string_or_skip(&j->js, &l->trace);
  if (TV_KEY_IS(k, "spanId")) return tv_js_string_or_skip(&j->js, &l->span);
  return tv_js_skip_value(&j->js);
}

static int link_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  raw_span_t *r = ctx;
  link_t l = {0};
  int rc = tv_js_object(&j->js, "a link object '{'", link_member, j, &l);
  if (rc) return rc;
  if (r->n_links < sizeof r->links / sizeof r->links[0]) r->links[r->n_links++] = l;
  else r->n_links_dropped++;
  return 0;
}

static int span_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  raw_span_t *r = ctx;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "traceId")) return tv_js_string_or_skip(s, &r->trace);
  if (TV_KEY_IS(k, "spanId")) return tv_js_string_or_skip(s, &r->span);
  if (TV_KEY_IS(k, "parentSpanId")) return tv_js_string_or_skip(s, &r->parent);
  if (TV_KEY_IS(k, "name")) return tv_js_string_or_skip(s, &r->name);
  if (TV_KEY_IS(k, "startTimeUnixNano")) return tv_js_number_or_skip(s, &r->start);
  if (TV_KEY_IS(k, "endTimeUnixNano")) return tv_js_number_or_skip(s, &r->end);
  if (TV_KEY_IS(k, "links") && s->p < s->end && *s->p == '[')
    return tv_js_array(&j->js, "an array of links", link_elem, j, r);
  return tv_js_skip_value(s);
}

static int push_pend(jg_t *j, const tv_span_t *p) {
  if (j->n_pend == j->cap_pend) {
    size_t cap = j->cap_pend ? j->cap_pend * 2 : 256;
    tv_span_t *g = realloc(j->pend, cap * sizeof *g);
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
  tv_span_t sp = {.kind = TV_THREAD_SPANS, .off = off};
  int64_t end = 0;
  if ((rc = tv_parse_decimal(r.start.p, r.start.e, 0, &sp.start_ns)) != 0)
    return tv_js_number_error(s, &r.start, rc, "startTimeUnixNano");
  if (r.end.p && (rc = tv_parse_decimal(r.end.p, r.end.e, 0, &end)) != 0)
    return tv_js_number_error(s, &r.end, rc, "endTimeUnixNano");
  /* no end: a zero-length span; an end before the start: negative_duration (lanes.c) */
  sp.dur_ns = r.end.p ? end - sp.start_ns : 0;
  if ((rc = tv_js_intern(s, &b->strings, &r.name, &sp.name)) != 0) return rc;
  sp.key = tv_span_key(r.trace.s, r.span.s);
  if (r.parent.s.len) sp.parent = tv_span_key(r.trace.s, r.parent.s);
  for (size_t i = 0; i < r.n_links && sp.key; i++) {
    const link_t *l = &r.links[i];
    uint64_t k = tv_span_key(l->trace.present ? l->trace.s : r.trace.s, l->span.s);
    tv_flow_mark_t m = {.key = k, .to_span = sp.key, .ph = 'L', .off = off, .name = j->link};
    if (k && tv_builder_add_flow_mark(b, &m)) return oom(j);
  }
  if (r.n_links_dropped)
    tv_trace_warn(j->trace, (int64_t)off, "a span with more than %zu links: the rest are ignored",
                  sizeof r.links / sizeof r.links[0]);
  return push_pend(j, &sp);
}

/* ---- resources ---- */

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

/* Resolves the pending spans of one resource. */
static int resolve(jg_t *j, uint32_t service) {
  if (!service) service = j->unknown;
  int32_t pid = j->n_pend ? service_pid(j, service) : 0;
  if (pid < 0) return oom(j);
  for (size_t i = 0; i < j->n_pend; i++) {
    j->pend[i].pid = pid;
    j->pend[i].detail = service;
    if (tv_builder_add_span(j->b, &j->pend[i])) return oom(j);
    j->b->n_span_events++;
  }
  j->n_pend = 0;
  return 0;
}

typedef struct attr {
  tv_jstr_t key, value;
} attr_t;

static int any_value_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  if (TV_KEY_IS(k, "stringValue")) return tv_js_string_or_skip(&j->js, ctx);
  return tv_js_skip_value(&j->js);
}

static int attr_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  attr_t *a = ctx;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "key")) return tv_js_string_or_skip(s, &a->key);
  if (TV_KEY_IS(k, "value") && s->p < s->end && *s->p == '{')
    return tv_js_object(&j->js, "an attribute value", any_value_member, j, &a->value);
  return tv_js_skip_value(s);
}

static int attr_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  tv_jstr_t *service = ctx;
  attr_t a = {0};
  int rc = tv_js_object(&j->js, "an attribute object '{'", attr_member, j, &a);
  if (rc) return rc;
  if (TV_KEY_IS(a.key.s, "service.name") && !a.key.escaped && a.value.present) *service = a.value;
  return 0;
}

static int resource_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "attributes") && s->p < s->end && *s->p == '[')
    return tv_js_array(&j->js, "an array of attributes", attr_elem, j, ctx);
  return tv_js_skip_value(s);
}

static int scope_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "spans")) return tv_js_array(&j->js, "an array of spans '['", span_elem, j, NULL);
  return tv_js_skip_value(s);
}

static int scope_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  return tv_js_object(&j->js, "a scope spans object '{'", scope_member, j, NULL);
}

static int rs_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  tv_jscan_t *s = &j->js;
  if (TV_KEY_IS(k, "resource") && s->p < s->end && *s->p == '{')
    return tv_js_object(&j->js, "a resource object", resource_member, j, ctx);
  if (TV_KEY_IS(k, "scopeSpans") || TV_KEY_IS(k, "instrumentationLibrarySpans"))
    return tv_js_array(&j->js, "an array of scope spans '['", scope_elem, j, NULL);
  return tv_js_skip_value(s);
}

static int rs_elem(void *owner, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  tv_jstr_t service = {0};
  int rc = tv_js_object(&j->js, "a resource spans object '{'", rs_member, j, &service);
  if (rc == 0 || rc == TV_SCAN_EOF) {
    uint32_t id;
    int rrc = tv_js_intern(&j->js, &j->b->strings, &service, &id);
    if (rrc == 0) rrc = resolve(j, id);
    if (rrc) rc = rrc;
  }
  return rc;
}

static int top_member(void *owner, tv_str_t k, void *ctx) {
  jg_t *j = owner;
  (void)ctx;
  if (TV_KEY_IS(k, "resourceSpans")) return tv_js_array(&j->js, "an array of resource spans '['", rs_elem, j, NULL);
  return tv_js_skip_value(&j->js);
}

/* Above Chrome's 10 for any '{' and Jaeger's 60, below Chrome's 90. */
static int otlp_probe(const char *p, size_t len) {
  size_t i = tv_js_skip_bom_ws(p, len);
  if (i >= len || p[i] != '{') return 0;
  size_t w = len - i < 65536 ? len - i : 65536;
  if (memmem(p + i, w, "\"resourceSpans\"", 15)) return 70;
  return 0;
}

static int otlp_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders, size_t *n_builders,
                     tv_error_t *err) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  }
  ot_t j = {.js = {.base = t->map.base, .end = t->map.base + t->map.len, .file = t->map.path, .err = err},
            .trace = t, .b = b};
  j.js.p = j.js.base + tv_js_skip_bom_ws(j.js.base, t->map.len);
  t->format = "otlp";
  int rc = 0;
  j.link = tv_intern(&b->strings, tv_str("link", 4), NULL);
  j.unknown = tv_intern(&b->strings, tv_str("unknown_service", 15), NULL);
  if (j.link == UINT32_MAX || j.unknown == UINT32_MAX) rc = oom(&j);
  if (rc == 0) rc = tv_js_object(&j.js, "'{' at the start of an OTLP JSON trace", top_member, &j, NULL);
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

/* An OTLP AnyValue ({"stringValue": ...}, intValue as a string, ...) as plain JSON. */
static json_t *any_value(json_t *v) {
  if (!json_is_object(v)) return json_incref(v);
  json_t *x;
  if ((x = json_object_get(v, "stringValue"))) return json_incref(x);
  if ((x = json_object_get(v, "boolValue"))) return json_incref(x);
  if ((x = json_object_get(v, "doubleValue"))) return json_incref(x);
  if ((x = json_object_get(v, "bytesValue"))) return json_incref(x);
  if ((x = json_object_get(v, "intValue"))) {
    const char *s = json_string_value(x);
    char *e;
    if (s) {
      long long n = strtoll(s, &e, 10);
      if (*s && !*e) return json_integer(n);
    }
    return json_incref(x);
  }
  if ((x = json_object_get(v, "arrayValue"))) {
    json_t *arr = json_array(), *el;
    size_t i;
    json_array_foreach(json_object_get(x, "values"), i, el) json_array_append_new(arr, any_value(el));
    return arr;
  }
  if ((x = json_object_get(v, "kvlistValue"))) {
    json_t *obj = json_object(), *el;
    size_t i;
    json_array_foreach(json_object_get(x, "values"), i, el) {
      const char *k = json_string_value(json_object_get(el, "key"));
      if (k) json_object_set_new(obj, k, any_value(json_object_get(el, "value")));
    }
    return obj;
  }
  return json_incref(v);
}


/* attributes as {key: value}, then traceId, spanId, parentSpanId, kind,
 * status, service, the links, and the number of events. */
static json_t *otlp_args(const char *p, size_t len) {
  json_t *span = tv_json_parse(p, len);
  if (!json_is_object(span)) {
    json_decref(span);
    return NULL;
  }
  json_t *out = json_object(), *a;
  size_t i;
  json_array_foreach(json_object_get(span, "attributes"), i, a) {
    const char *key = json_string_value(json_object_get(a, "key"));
    if (key) json_object_set_new(out, key, any_value(json_object_get(a, "value")));
  }
  static const char *const keep[] = {"traceId", "spanId", "parentSpanId", "kind", "status", "links", "traceState"};
  for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
    json_t *v = json_object_get(span, keep[k]);
    if (v) json_object_set(out, keep[k], v);
  }
  json_t *events = json_object_get(span, "events");
  if (json_is_array(events)) json_object_set_new(out, "events", json_integer((json_int_t)json_array_size(events)));
  json_decref(span);
  return out;
}

const tv_reader_t tv_otlp_reader = {
    .name = "otlp",
    .description = "OpenTelemetry OTLP JSON",
    .probe = otlp_probe,
    .read = otlp_read,
    .event_args = otlp_args,
};
