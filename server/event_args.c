/* event_args.c: one event's args, parsed on demand.
 *
 * The index keeps only the byte offset of each event; the details panel asks
 * for one event at a time, so parsing that one object with jansson is cheap
 * and the index never holds args. The server copies the event's bytes out of
 * the mapping first (api.c, under the SIGBUS guard); each reader knows where
 * its args live in them (Chrome: "args"; Jaeger: "tags"; OTLP:
 * "attributes"; perf script: the sample's header and stack). */
#include "traceview/reader.h"

json_t *tv_json_parse(const char *p, size_t len) {
  json_error_t jerr;
  return json_loadb(p, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
}

static json_t *chrome_args(const char *p, size_t len) {
  json_t *ev = tv_json_parse(p, len);
  json_t *args = json_is_object(ev) ? json_incref(json_object_get(ev, "args")) : NULL;
  json_decref(ev);
  return args;
}

json_t *tv_event_args(const tv_reader_t *r, const char *p, size_t len) {
  json_t *args = r && r->event_args ? r->event_args(p, len) : chrome_args(p, len);
  if (!json_is_object(args)) {
    json_decref(args);
    args = json_object();
  }
  return args;
}
