/* test_guard.c: a mapped file truncated under us: tv_map_changed notices,
 * a guarded read of a vanished page returns TV_EIO instead of dying of
 * SIGBUS, and the interner's strings no longer point into the mapping. */
#include "check.h"
#include "traceview/guard.h"
#include "traceview/map.h"
#include "traceview/trace.h"

#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGES 16

static char *temp_file(size_t len) {
  static char path[32];
  snprintf(path, sizeof path, "/tmp/tv_guard_XXXXXX");
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  char *buf = malloc(len);
  CHECK(buf != NULL);
  memset(buf, 'x', len);
  CHECK_EQ(write(fd, buf, len), (int64_t)len);
  free(buf);
  close(fd);
  return path;
}

static void test_truncated_read_is_an_error(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
  char *path = temp_file(len);
  tv_map_t map;
  tv_error_t err;
  CHECK_EQ(tv_map_open(&map, path, &err), 0);
  char why[160], buf[64];
  CHECK_EQ(tv_map_changed(&map, why, sizeof why), 0);
  CHECK_EQ(tv_guard_copy(buf, map.base + len - sizeof buf, sizeof buf), 0);
  CHECK(buf[0] == 'x');
  CHECK_EQ(truncate(path, (off_t)page), 0);
  CHECK_EQ(tv_map_changed(&map, why, sizeof why), TV_EIO);
  CHECK(strstr(why, "now") != NULL);
  /* Past the new end: SIGBUS, turned into an error, twice (the handler is
   * re-armed), and a good page still reads. */
  CHECK_EQ(tv_guard_copy(buf, map.base + len - sizeof buf, sizeof buf), TV_EIO);
  CHECK_EQ(tv_guard_copy(buf, map.base + 3 * page, sizeof buf), TV_EIO);
  CHECK_EQ(tv_guard_copy(buf, map.base, sizeof buf), 0);
  tv_map_close(&map);
  unlink(path);
}

static void test_rewritten_same_size(void) {
  char *path = temp_file(4096);
  tv_map_t map;
  tv_error_t err;
  CHECK_EQ(tv_map_open(&map, path, &err), 0);
  struct timespec later[2] = {{0, UTIME_OMIT}, {1, 0}}; /* mtime moves */
  CHECK_EQ(utimensat(AT_FDCWD, path, later, 0), 0);
  char why[160];
  CHECK_EQ(tv_map_changed(&map, why, sizeof why), TV_EIO);
  CHECK(strstr(why, "modified") != NULL);
  tv_map_close(&map);
  unlink(path);
}

static void test_names_do_not_point_into_the_map(void) {
  static const char json[] =
      "{\"traceEvents\":[{\"name\":\"alpha\",\"ph\":\"X\",\"ts\":1,\"dur\":2,\"pid\":1,"
      "\"tid\":1,\"cat\":\"c\",\"args\":{\"detail\":\"beta\"}}]}";
  char *path = temp_file(1);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  fputs(json, f);
  fclose(f);
  tv_trace_t t;
  tv_error_t err;
  CHECK_EQ(tv_trace_open(&t, path, NULL, &err), 0);
  const tv_intern_t *in = &t.store.t.strings;
  CHECK(in->n >= 3);
  for (uint32_t id = 1; id < in->n; id++) {
    tv_str_t s = tv_intern_str(in, id);
    CHECK(s.p < t.map.base || s.p >= t.map.base + t.map.len);
  }
  tv_trace_close(&t);
  unlink(path);
}

int main(void) {
  static const check_case_t cases[] = {
      {"a read past a truncation is an error, not SIGBUS", test_truncated_read_is_an_error},
      {"a same-size rewrite is noticed", test_rewritten_same_size},
      {"interned names are copies, not views into the map", test_names_do_not_point_into_the_map},
      {NULL, NULL},
  };
  return check_run(cases);
}
