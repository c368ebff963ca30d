/* decompress.h: compressed input (gzip, lz4 frame), detected by magic bytes,
 * decompressed once into a cache file that is then mapped like a plain one. */
#ifndef TRACEVIEW_DECOMPRESS_H
#define TRACEVIEW_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include "traceview/error.h"
#include "traceview/map.h"
#include "traceview/trace.h"

/** "gzip", "lz4" or NULL, from the first bytes */
const char *tv_compression_of(const char *p, size_t len);

/** Decompresses the mapped file `in` into the cache directory (cache_override,
 *  else $XDG_CACHE_HOME/traceview, else ~/.cache/traceview), reusing an
 *  earlier copy of the same file (path, size, mtime). Writes the copy's path
 *  to out_path. A stream that ends early keeps what it holds and sets
 *  *truncated_at (else -1): the trace reader then loads the valid prefix.
 *  With opts->no_cache the copy is private, in $TMPDIR (or /tmp), never
 *  reused, and the caller unlinks it once mapped. */
int tv_decompress_to_cache(const tv_map_t *in, const char *kind, const char *cache_override,
                           const tv_open_opts_t *opts, char *out_path, size_t cap,
                           int64_t *truncated_at, tv_error_t *err);

#endif
