/* trace.h: one opened trace: its mapping, its index, and what reading it
 * found (format, warnings). State diagram of a trace as used by the CLI:
 *
 *   CLOSED -> MAPPED [tv_map_open] -> DETECTED [tv_detect] -> READY
 *   [reader->read + tv_store_build]; any step -> ERROR (tv_error_t filled);
 *   READY -> CLOSED [tv_trace_close].
 */
#ifndef TRACEVIEW_TRACE_H
#define TRACEVIEW_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include "traceview/error.h"
#include "traceview/lod.h"
#include "traceview/map.h"
#include "traceview/store.h"

/** called while indexing with bytes done so far; total is the file size */
typedef void (*tv_progress_fn)(void *ud, uint64_t done, uint64_t total);

typedef struct tv_open_opts {
  tv_progress_fn progress; /* may be NULL */
  void *progress_ud;
  const char *cache_dir;   /* decompressed copies and index cache files; NULL:
                              $XDG_CACHE_HOME/traceview or ~/.cache/traceview */
  bool no_cache;           /* neither read nor write the index cache */
  unsigned threads;        /* scanning threads; 0: $TRACEVIEW_THREADS, else the cores */
  size_t chunk_bytes;      /* smallest chunk worth a thread; 0: 16 MiB (tests lower it) */
  const char *format;      /* a reader's name to skip detection (fuzzers); NULL: detect */
  bool lods;               /* the LOD pyramids too (t->lods): loaded from the
                              cache, else built (serve, index) */
  bool defer_save;         /* on a cache miss, do not save before returning:
                              tv_trace_save_cache does it later (serve saves
                              after the trace is ready, in the background) */
} tv_open_opts_t;

typedef struct tv_warning {
  int64_t offset; /* -1 when not about a position */
  char *msg;
} tv_warning_t;

typedef struct tv_reader tv_reader_t;

typedef struct tv_trace {
  tv_map_t map;               /* read-only */
  tv_store_t store;           /* read-only after open */
  const tv_reader_t *reader;  /* read-only: the reader that read it */
  const char *format;         /* read-only: e.g. "chrome-json-object" */
  const char *compression;    /* read-only: "gzip", "lz4" or NULL */
  char *source_path;          /* read-only: the path as given (map.path may
                                 name the decompressed copy for messages) */
  uint64_t bytes_on_disk;     /* read-only: the file's size (compressed or not) */
  bool truncated;             /* read-only: the input was cut inside an event */
  char display_time_unit[8];  /* read-only: "ms", "ns" or "" */
  tv_warning_t *warnings;     /* read-only */
  size_t n_warnings;
  double index_seconds;       /* read-only: wall time of read + build (on a
                                 cache hit: of the indexing that made it) */
  /* The index cache (index_cache.h); all read-only. */
  bool cache_hit;             /* the index was loaded from cache_path */
  char *cache_path;           /* the cache file read or written; NULL: none */
  double cache_load_seconds;  /* hit: wall time of the load */
  double cache_save_seconds;  /* miss: wall time of writing the cache */
  char *cache_note;           /* why it missed or was not written, or NULL */
  tv_lod_t *lods;             /* read-only: per store thread with opts.lods
                                 (always built before a cache save: cache
                                 files hold them), else NULL */
  struct tv_cache_pending *pending_save; /* private: a deferred save */
} tv_trace_t;

/** maps and indexes path. On error fills err and leaves t closed. */
int tv_trace_open(tv_trace_t *t, const char *path, const tv_open_opts_t *opts,
                  tv_error_t *err);
/** the same over bytes already in memory (not copied; must outlive t) */
int tv_trace_open_memory(tv_trace_t *t, const void *bytes, size_t len, const char *name,
                         const tv_open_opts_t *opts, tv_error_t *err);
void tv_trace_close(tv_trace_t *t);
/** Does the deferred save of a trace opened with opts.defer_save that missed
 *  the cache (blocking: call it off the request path; t is only read, and
 *  may be served meanwhile). With background, on threads of low priority
 *  (pool.h). It gives up, removing its temporary file, once *cancel (may be
 *  NULL) becomes true or tv_index_cache_abandon_saves is called. Sets
 *  cache_path and cache_save_seconds on success. 1: nothing to save; 0:
 *  saved; -1: not saved (why says why; cancelled or an error). */
int tv_trace_save_cache(tv_trace_t *t, const _Atomic bool *cancel, bool background, char *why,
                        size_t why_cap);
/** whether a deferred save is waiting for tv_trace_save_cache */
bool tv_trace_save_pending(const tv_trace_t *t);
/** records a warning about byte offset off (or -1) */
void tv_trace_warn(tv_trace_t *t, int64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
