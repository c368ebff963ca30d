/* trace.c: open a trace: map, detect, read, build the store. */
#include "traceview/trace.h"
#include "traceview/selftrace.h"
#include "traceview/decompress.h"
#include "traceview/index_cache.h"
#include "traceview/reader.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tv_trace_warn(tv_trace_t *t, int64_t off, const char *fmt, ...) {
  if (t->n_warnings >= 100) return; /* a bound: the first ones say enough */
  tv_warning_t *w = realloc(t->warnings, (t->n_warnings + 1) * sizeof *w);
  if (!w) return;
  t->warnings = w;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  w[t->n_warnings].offset = off;
  w[t->n_warnings].msg = strdup(buf);
  if (w[t->n_warnings].msg) t->n_warnings++;
}

static int index_mapped(tv_trace_t *t, const tv_open_opts_t *opts, tv_error_t *err) {
  double t0 = now_seconds();
  t->reader = NULL;
  /* The index keeps 40-bit byte offsets (store.h): refuse what they cannot
   * name rather than point events at the wrong bytes. */
  if ((uint64_t)t->map.len > TV_MAX_INPUT_BYTES)
    return tv_error_set(err, TV_ELIMIT, t->map.path, -1,
                        "the trace is %llu bytes; traceview reads traces up to 1 TiB (%llu bytes)",
                        (unsigned long long)t->map.len, (unsigned long long)TV_MAX_INPUT_BYTES);
  if (opts && opts->format) { /* forced: fuzzers per reader, --format */
    for (size_t i = 0; tv_readers[i] && !t->reader; i++)
      if (strcmp(tv_readers[i]->name, opts->format) == 0) t->reader = tv_readers[i];
    if (!t->reader)
      return tv_error_set(err, TV_EUSAGE, t->map.path, -1, "no reader named '%s'", opts->format);
  } else {
    t->reader = tv_detect(t->map.base, t->map.len, t->map.path, err);
  }
  if (!t->reader) return err ? err->code : TV_EFORMAT;
  tv_builder_t *builders = NULL;
  size_t n = 0;
  uint64_t ph = tv_self_begin();
  int rc = t->reader->read(t, opts, &builders, &n, err);
  tv_self_end(ph, "read", t->reader->name);
  if (rc) return rc;
  ph = tv_self_begin();
  rc = tv_store_build(&t->store, builders, n, err);
  tv_self_end(ph, "build store", NULL);
  free(builders);
  if (rc) {
    if (err) snprintf(err->file, sizeof err->file, "%s", t->map.path);
    return rc;
  }
  /* Names are views into the mapping until here. Copied, the index never
   * reads the file again (only /event does, guarded): a file truncated or
   * rewritten while served cannot break tiles, search or statistics. The
   * cost is the distinct strings' bytes (docs/performance.md). */
  ph = tv_self_begin();
  rc = t->map.mapped ? tv_intern_own(&t->store.t.strings, t->map.base, t->map.len) : 0;
  tv_self_end(ph, "copy names", NULL);
  if (rc != 0) {
    if (err) tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory copying names");
    return TV_ENOMEM;
  }
  t->index_seconds = now_seconds() - t0;
#ifdef __GLIBC__
  /* Sort buffers freed on pool threads stay in their malloc arenas: give
   * them back, or the server holds them for its whole life. */
  malloc_trim(0);
#endif
  return 0;
}

/* Swaps a compressed mapping for its decompressed copy (named after the
 * original, so messages name the file the user gave). */
static int open_decompressed(tv_trace_t *t, const char *kind, const tv_open_opts_t *opts,
                             tv_error_t *err) {
  char copy[4096];
  int64_t truncated_at;
  int rc = tv_decompress_to_cache(&t->map, kind, opts ? opts->cache_dir : NULL, opts, copy,
                                  sizeof copy, &truncated_at, err);
  if (rc) return rc;
  char shown[4200];
  snprintf(shown, sizeof shown, "%s (%s-decompressed)", t->map.path, kind);
  tv_map_close(&t->map);
  rc = tv_map_open(&t->map, copy, err);
  if (opts && opts->no_cache) unlink(copy); /* private copy: the mapping keeps it */
  if (rc != 0) return rc;
  char *name = strdup(shown);
  if (name) {
    free(t->map.path);
    t->map.path = name;
  }
  t->compression = kind;
  if (truncated_at >= 0)
    tv_trace_warn(t, -1, "the %s data ends early (the file is truncated); reading what it holds",
                  kind);
  return 0;
}

/* Options that ask for a particular way of reading (a forced reader, a
 * thread count, a chunk size: fuzzers, tests, benchmarks) imply reading. */
static bool wants_cache(const tv_open_opts_t *o) {
  return o && !o->no_cache && !o->format && !o->threads && !o->chunk_bytes;
}

static void set_note(tv_trace_t *t, const char *why) {
  free(t->cache_note);
  t->cache_note = why && *why ? strdup(why) : NULL;
}

/* A save left for later (opts.defer_save). */
typedef struct tv_cache_pending {
  tv_cache_key_t key;
  char file[4200];
  size_t first_warning;
} tv_cache_pending_t;

/* The pyramids, when the command wants them or a cache file is to hold
 * them. 0 or TV_ENOMEM. */
static int build_lods(tv_trace_t *t) {
  if (t->lods) return 0;
  uint64_t ph = tv_self_begin();
  t->lods = tv_lods_build(&t->store);
  tv_self_end(ph, "build pyramids", NULL);
  return t->lods ? 0 : TV_ENOMEM;
}

int tv_trace_open(tv_trace_t *t, const char *path, const tv_open_opts_t *opts,
                  tv_error_t *err) {
  memset(t, 0, sizeof *t);
  int rc = tv_map_open(&t->map, path, err);
  if (rc) return rc;
  t->bytes_on_disk = t->map.len;
  t->source_path = strdup(path);
  /* The key is the file as given (compressed or not), taken before the
   * mapping is swapped for a decompressed copy. */
  tv_cache_key_t *key = wants_cache(opts) ? malloc(sizeof *key) : NULL;
  char *file = NULL, why[512] = "";
  if (key) {
    char dir[4096];
    file = malloc(4200);
    if (!file || tv_cache_key_make(key, path, t->map.base, t->map.len) != 0 ||
        tv_cache_dir(dir, sizeof dir, opts->cache_dir) != 0) {
      snprintf(why, sizeof why, "no usable cache directory or key");
      free(file);
      file = NULL;
    } else {
      tv_cache_file_name(file, 4200, dir, key);
    }
  }
  const char *kind = tv_compression_of(t->map.base, t->map.len);
  if (kind && (rc = open_decompressed(t, kind, opts, err)) != 0) goto out;
  bool want_lods = opts && opts->lods;
  if (file) {
    uint64_t ph = tv_self_begin();
    int loaded = tv_index_cache_load(t, file, key, want_lods, why, sizeof why);
    tv_self_end(ph, "load index cache", NULL);
    if (loaded == 0) {
      t->cache_hit = true;
      t->cache_path = file;
      file = NULL;
      /* A file without pyramids (a build failed for lack of memory) */
      if (want_lods && build_lods(t) != 0) goto oom;
      if (opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
      goto out;
    }
  }
  size_t first_warning = t->n_warnings;
  rc = index_mapped(t, opts, err);
  /* A cache file holds the pyramids whoever writes it (index_cache.c (6)). */
  if (rc == 0 && (want_lods || file) && build_lods(t) != 0 && want_lods) goto oom;
  if (rc == 0 && file && opts->defer_save) {
    tv_cache_pending_t *p = malloc(sizeof *p);
    if (p) {
      p->key = *key;
      snprintf(p->file, sizeof p->file, "%s", file);
      p->first_warning = first_warning;
      t->pending_save = p;
      snprintf(why, sizeof why, "saving in the background");
    }
  } else if (rc == 0 && file) {
    double t0 = now_seconds();
    char werr[512];
    uint64_t ph = tv_self_begin();
    int saved = tv_index_cache_save(t, first_warning, file, key, NULL, false, werr, sizeof werr);
    tv_self_end(ph, "save index cache", NULL);
    if (saved == 0) {
      t->cache_save_seconds = now_seconds() - t0;
      t->cache_path = file;
      file = NULL;
    } else {
      /* The index is fine; only the next open will be slower. */
      tv_trace_warn(t, -1, "could not save the index cache: %s", werr);
      snprintf(why, sizeof why, "could not save: %.400s", werr);
    }
    if (!want_lods) { /* built for the file only */
      tv_lods_free(t->lods, t->store.t.n_threads);
      t->lods = NULL;
    }
  }
  goto out;
oom:
  rc = tv_error_set(err, TV_ENOMEM, path, -1, "out of memory building the LOD pyramids");
out:
  if (rc == 0) set_note(t, why);
  free(file);
  free(key);
  if (rc) tv_trace_close(t);
  return rc;
}

int tv_trace_open_memory(tv_trace_t *t, const void *bytes, size_t len, const char *name,
                         const tv_open_opts_t *opts, tv_error_t *err) {
  memset(t, 0, sizeof *t);
  if (tv_map_from_memory(&t->map, bytes, len, name) != 0)
    return tv_error_set(err, TV_ENOMEM, name, -1, "out of memory");
  t->bytes_on_disk = len;
  int rc = index_mapped(t, opts, err);
  if (rc == 0 && opts && opts->lods && build_lods(t) != 0)
    rc = tv_error_set(err, TV_ENOMEM, name, -1, "out of memory building the LOD pyramids");
  if (rc) tv_trace_close(t);
  return rc;
}

bool tv_trace_save_pending(const tv_trace_t *t) { return t->pending_save != NULL; }

int tv_trace_save_cache(tv_trace_t *t, const _Atomic bool *cancel, bool background, char *why,
                        size_t why_cap) {
  tv_cache_pending_t *p = t->pending_save;
  if (!p) return 1;
  t->pending_save = NULL;
  double t0 = now_seconds();
  int rc = tv_index_cache_save(t, p->first_warning, p->file, &p->key, cancel, background, why,
                               why_cap);
  if (rc == 0 && (t->cache_path = strdup(p->file)) != NULL)
    t->cache_save_seconds = now_seconds() - t0;
  free(p);
  return rc == 0 ? 0 : -1;
}

void tv_trace_close(tv_trace_t *t) {
  if (!t) return;
  tv_lods_free(t->lods, t->store.t.n_threads); /* before the store: they may live in its arena */
  free(t->pending_save);
  tv_store_free(&t->store);
  for (size_t i = 0; i < t->n_warnings; i++) free(t->warnings[i].msg);
  free(t->warnings);
  tv_map_close(&t->map);
  free(t->source_path);
  free(t->cache_path);
  free(t->cache_note);
  memset(t, 0, sizeof *t);
}
