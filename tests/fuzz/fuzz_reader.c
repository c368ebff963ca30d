/* fuzz_reader.c: libFuzzer harness for one reader (TV_FUZZ_FORMAT, a reader
 * name such as "chrome-json"; without it, format detection picks one), the
 * store build, the summary engine, the pyramid and tiles. Any input must give
 * a trace or an error, never a crash, a leak or undefined behaviour.
 *
 * Built with -DTV_FUZZ_REPLAY it becomes a plain program that runs every file
 * given on the command line through the same entry point (used by the gcc
 * build to replay the seed corpus). */
#include "traceview/lod.h"
#include "traceview/query.h"
#include "traceview/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_slice(void *ud, uint64_t row, int64_t start, int64_t dur, uint32_t depth) {
  (void)ud, (void)row, (void)start, (void)dur, (void)depth;
}
static void no_summary(void *ud, uint32_t bucket, uint32_t depth, uint32_t count, int64_t busy,
                       uint64_t longest) {
  (void)ud, (void)bucket, (void)depth, (void)count, (void)busy, (void)longest;
}

/* The pyramid and a few tiles per thread, at the top, middle and finest levels. */
static void exercise_tiles(const tv_store_t *st) {
  if (st->min_ns > st->max_ns) return;
  int64_t span = st->max_ns - st->min_ns;
  tv_tile_sink_t sink = {.slice = no_slice, .summary = no_summary};
  for (size_t i = 0; i < st->t.n_threads && i < 16; i++) {
    tv_lod_t lod;
    if (tv_lod_build(&lod, &st->t.threads[i], st->min_ns, span) != 0) continue;
    uint32_t top = tv_lod_top_level(span);
    uint32_t levels[] = {top, top / 2, 0, top + 3, TV_MAX_TILE_LEVEL};
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
      uint32_t lv = levels[k] > TV_MAX_TILE_LEVEL ? TV_MAX_TILE_LEVEL : levels[k];
      tv_lod_tile(&lod, &st->t.threads[i], st->min_ns, lv, 0, &sink);
      tv_lod_tile(&lod, &st->t.threads[i], st->min_ns, lv, 1, &sink);
    }
    tv_lod_free(&lod);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tv_trace_t t;
  tv_error_t err;
#ifdef TV_FUZZ_FORMAT
  tv_open_opts_t opts = {.format = TV_FUZZ_FORMAT, .threads = 1};
#else
  tv_open_opts_t opts = {.threads = 1};
#endif
  if (tv_trace_open_memory(&t, data, size, "fuzz", &opts, &err) != 0) return 0;
  static const tv_group_by_t groups[] = {TV_GROUP_NAME, TV_GROUP_DETAIL, TV_GROUP_CRATE,
                                         TV_GROUP_THREAD, TV_GROUP_CATEGORY};
  tv_summary_opts_t o = {.group_by = groups[size % 5], .demangle = true};
  tv_summary_t sum;
  if (tv_summary_compute(&t.store, &o, &sum, &err) == 0) tv_summary_free(&sum);
  exercise_tiles(&t.store);
  tv_trace_close(&t);
  return 0;
}

#ifdef TV_FUZZ_REPLAY
int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
      LLVMFuzzerTestOneInput(buf, (size_t)len);
      n++;
    }
    free(buf);
    fclose(f);
  }
  printf("replayed %d inputs\n", n);
  return n > 0 ? 0 : 1;
}
#endif
