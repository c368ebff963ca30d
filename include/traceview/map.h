/* map.h: a trace file mapped read-only into memory.
 *
 * The whole index refers to the mapping (string views, byte offsets), so the
 * map outlives every structure built from it. A map can also wrap bytes that
 * are already in memory (the bundled example, fuzzing). */
#ifndef TRACEVIEW_MAP_H
#define TRACEVIEW_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "traceview/error.h"

typedef struct tv_map {
  const char *base;   /* read-only: first byte of the file */
  size_t len;         /* read-only: file size in bytes */
  char *path;         /* read-only: path as given, NUL-terminated (owned) */
  int64_t mtime_ns;   /* read-only: modification time when mapped */
  uint64_t dev, ino;  /* read-only: the file mapped (0 for memory) */
  int mapped;         /* private: 1 if base came from mmap */
  int fd;             /* private: kept open while mapped, for tv_map_changed */
} tv_map_t;

/** maps path read-only; on failure fills err (TV_EIO) and returns it */
int tv_map_open(tv_map_t *map, const char *path, tv_error_t *err);
/** wraps caller bytes (not copied, must outlive the map) under a display name */
int tv_map_from_memory(tv_map_t *map, const void *bytes, size_t len, const char *name);
/** whether the mapped file changed since it was mapped (size, modification
 *  time): 0 when not (or not a file), else TV_EIO with why filled, e.g. "it is
 *  now 1234 bytes, was 5678". Reads of a shrunken mapping raise SIGBUS: check
 *  first, and read inside tv_guard_call for the race that remains. */
int tv_map_changed(const tv_map_t *map, char *why, size_t cap);
/** unmaps and frees; accepts a zeroed map */
void tv_map_close(tv_map_t *map);

#endif
