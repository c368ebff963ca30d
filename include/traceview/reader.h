/* reader.h: the interface every input format implements.
 *
 * A reader is a const table of functions (lwan's cache_funcs habit), listed in
 * tv_readers[]. Detection asks every probe about the content, never the file
 * name; the best score wins. read() scans the mapped bytes and fills one
 * builder per chunk of input, in input order; the caller merges them. */
#ifndef TRACEVIEW_READER_H
#define TRACEVIEW_READER_H

#include <jansson.h>
#include <stddef.h>
#include "traceview/error.h"
#include "traceview/store.h"
#include "traceview/trace.h"

struct tv_reader {
  const char *name;        /* "chrome-json" */
  const char *description; /* "Chrome trace event JSON" */
  /** 0 (not this format) .. 100 (certainly this format), from the first bytes */
  int (*probe)(const char *p, size_t len);
  /** reads t->map into *builders (array of *n_builders, malloc'd, caller
   *  frees); sets t->format and may add warnings. 0 or TV_E* with err. */
  int (*read)(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
              size_t *n_builders, tv_error_t *err);
  /** the args of one event or span, as a JSON object (new reference) or
   *  NULL, from its bytes p[0..len): a copy starting at the byte offset the
   *  store keeps (a JSON object's full text; for text formats, up to a blank
   *  line). Parsed on demand, one event at a time. NULL hook: the Chrome
   *  way, the "args" member of the object. */
  json_t *(*event_args)(const char *p, size_t len);
};

/** the args of one event through reader r (an empty object when there are
 *  none; NULL only when out of memory) */
json_t *tv_event_args(const tv_reader_t *r, const char *p, size_t len);
/** parses the JSON value at the start of p[0..len), or NULL: for hooks */
json_t *tv_json_parse(const char *p, size_t len);

extern const tv_reader_t tv_chrome_json_reader;
extern const tv_reader_t tv_perf_script_reader; /* perf_script.c */
extern const tv_reader_t tv_folded_reader;      /* folded.c */
extern const tv_reader_t tv_cpuprofile_reader; /* cpuprofile.c */
extern const tv_reader_t tv_jaeger_reader;     /* jaeger.c */
extern const tv_reader_t tv_otlp_reader;       /* otlp.c */

/** NULL-terminated list of all readers */
extern const tv_reader_t *const tv_readers[];

/** Picks the reader for bytes p[0..len). Returns NULL and fills err (naming
 *  file) when none fits: empty file, compressed input, unknown content. */
const tv_reader_t *tv_detect(const char *p, size_t len, const char *file, tv_error_t *err);

#endif
