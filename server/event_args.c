/* event_args.c: one event's args, parsed on demand from the mapped input.
 *
 * The index keeps only the byte offset of each event; the details panel asks
 * for one event at a time, so parsing that one object with jansson is cheap
 * and the index never holds args. Each reader knows where its args live
 * (Chrome: "args"; Jaeger: "tags"; OTLP: "attributes"; ...). */
#include "traceview/reader.h"

#define MAX_EVENT_BYTES (16u << 20) /* one event's JSON: bounded */

json_t *tv_json_at(const tv_trace_t *t, uint64_t off) {
  const tv_map_t *map = &t->map;
  if (off >= map->len) return NULL;
  size_t avail = map->len - off;
  json_error_t jerr;
  return json_loadb(map->base + off, avail < MAX_EVENT_BYTES ? avail : MAX_EVENT_BYTES,
                    JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
}

static json_t *chrome_args(const tv_trace_t *t, uint64_t off) {
  json_t *ev = tv_json_at(t, off);
  json_t *args = json_is_object(ev) ? json_incref(json_object_get(ev, "args")) : NULL;
  json_decref(ev);
  return args;
}

json_t *tv_event_args(const tv_trace_t *t, uint64_t off) {
  json_t *args = t->reader && t->reader->event_args ? t->reader->event_args(t, off)
                                                    : chrome_args(t, off);
  if (!json_is_object(args)) {
    json_decref(args);
    args = json_object();
  }
  return args;
}
