/* index_cache.h: the on-disk index cache. After a trace is indexed, its store
 * (every column, the string bytes, every table), its LOD pyramids and what
 * reading found (format, warnings, truncated, displayTimeUnit) are saved in
 * the cache directory, numeric columns as they are in memory (a load maps
 * them in place), strings lz4-compressed; reopening the same unchanged file
 * loads them instead of reading the trace. The trace file itself is still
 * mapped: event args are parsed from it on demand. See the design notes atop
 * server/index_cache.c. */
#ifndef TRACEVIEW_INDEX_CACHE_H
#define TRACEVIEW_INDEX_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "traceview/error.h"
#include "traceview/trace.h"

#define TV_INDEX_CACHE_KEEP 8    /* index files kept per cache directory */
#define TV_DECOMPRESS_CACHE_KEEP 4 /* decompressed copies kept (they are large) */

/* What identifies the input a cache file was made from. */
typedef struct tv_cache_key {
  char path[4096];   /* absolute path */
  uint64_t size;     /* bytes on disk */
  int64_t mtime_ns;
  uint64_t inode, dev;
  uint64_t edge_hash; /* hash of the first and last 64 KiB */
} tv_cache_key_t;

/** the cache directory: override, else $XDG_CACHE_HOME/traceview, else
 *  ~/.cache/traceview, else /tmp/traceview-UID; created (mkdir -p) when
 *  missing. 0, or -1 with errno set. */
int tv_cache_dir(char *out, size_t cap, const char *override);

/** the key of the file at path whose bytes are mapped at p[0..len) */
int tv_cache_key_make(tv_cache_key_t *key, const char *path, const char *p, size_t len);

/** the cache file for key in dir (named by a hash of the absolute path) */
void tv_cache_file_name(char *out, size_t cap, const char *dir, const tv_cache_key_t *key);

/** Loads the cache file at file into t (t->map is already open and stays):
 *  fills t->store, t->reader, t->format, t->truncated, t->display_time_unit,
 *  appends the saved warnings, sets t->index_seconds to the original
 *  indexing time; with want_lods, t->lods when the file holds pyramids
 *  (else it stays NULL). Returns 0 on a hit; otherwise 1 (absent) or -1
 *  (stale or corrupt, with the reason in why) and leaves the store empty. */
int tv_index_cache_load(tv_trace_t *t, const char *file, const tv_cache_key_t *key,
                        bool want_lods, char *why, size_t why_cap);

/** Saves t's index (store, t->lods when not NULL, and warnings from
 *  first_warning on) for key to file, atomically (temporary file + rename),
 *  then trims the directory to the TV_INDEX_CACHE_KEEP newest index files.
 *  Only reads t (it may be served meanwhile). Gives up, removing the
 *  temporary file, when *cancel (may be NULL) becomes true or after
 *  tv_index_cache_abandon_saves. background: compress on threads of low
 *  priority (pool.h). 0 or -1 with a message. */
int tv_index_cache_save(const tv_trace_t *t, size_t first_warning, const char *file,
                        const tv_cache_key_t *key, const _Atomic bool *cancel, bool background,
                        char *why, size_t why_cap);

/** Shutdown: every save running or to come gives up; their temporary files
 *  are removed now (safe to call right before _exit). */
void tv_index_cache_abandon_saves(void);

/** deletes all but the keep newest files of dir whose names end in suffix
 *  (never the one named spare); returns how many were removed */
int tv_cache_trim(const char *dir, const char *suffix, size_t keep, const char *spare);

#endif
