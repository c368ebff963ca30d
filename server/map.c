/* map.c: read-only file mapping.
 *
 * An empty file cannot be mmap'ed (EINVAL), so it maps to a zero-length view
 * and the format detector reports "empty file" with the file name. */
#include "traceview/map.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int tv_map_open(tv_map_t *map, const char *path, tv_error_t *err) {
  memset(map, 0, sizeof *map);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tv_error_set(err, TV_EIO, path, -1, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return tv_error_set(err, TV_EIO, path, -1, "cannot stat: %s", strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tv_error_set(err, TV_EIO, path, -1, "not a regular file");
  }
  map->path = dup_str(path);
  if (!map->path) {
    close(fd);
    return tv_error_set(err, TV_ENOMEM, path, -1, "out of memory");
  }
  map->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  map->len = (size_t)st.st_size;
  if (map->len == 0) {
    map->base = "";
    close(fd);
    return 0;
  }
  map->dev = (uint64_t)st.st_dev;
  map->ino = (uint64_t)st.st_ino;
  void *p = mmap(NULL, map->len, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  if (p == MAP_FAILED) {
    close(fd);
    free(map->path);
    map->path = NULL;
    return tv_error_set(err, TV_EIO, path, -1, "cannot map: %s", strerror(e));
  }
  /* The indexer reads the file front to back once. */
  madvise(p, map->len, MADV_SEQUENTIAL);
  map->base = p;
  map->mapped = 1;
  /* Kept open: fstat on it describes the very file mapped, even after the
   * path is renamed over (a new file there leaves our bytes intact). */
  map->fd = fd;
  return 0;
}

int tv_map_changed(const tv_map_t *map, char *why, size_t cap) {
  if (!map->mapped) return 0;
  struct stat st;
  if (fstat(map->fd, &st) != 0) {
    snprintf(why, cap, "cannot stat it: %s", strerror(errno));
    return TV_EIO;
  }
  int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  if ((size_t)st.st_size != map->len) {
    snprintf(why, cap, "it is now %lld bytes, was %zu", (long long)st.st_size, map->len);
    return TV_EIO;
  }
  if (mtime != map->mtime_ns) {
    snprintf(why, cap, "it was modified (same size, %zu bytes)", map->len);
    return TV_EIO;
  }
  return 0;
}

int tv_map_from_memory(tv_map_t *map, const void *bytes, size_t len, const char *name) {
  memset(map, 0, sizeof *map);
  map->path = dup_str(name ? name : "(memory)");
  if (!map->path) return TV_ENOMEM;
  map->base = len ? bytes : "";
  map->len = len;
  return 0;
}

void tv_map_close(tv_map_t *map) {
  if (!map) return;
  if (map->mapped) {
    munmap((void *)map->base, map->len);
    close(map->fd);
  }
  free(map->path);
  memset(map, 0, sizeof *map);
}
