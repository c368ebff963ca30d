/* fuzz_chrome_json.c: libFuzzer harness for format detection, the Chrome
 * JSON reader, the store build and the summary engine. Any input must give a
 * trace or an error, never a crash, a leak or undefined behaviour.
 *
 * Built with -DTV_FUZZ_REPLAY it becomes a plain program that runs every file
 * given on the command line through the same entry point (used by the gcc
 * build to replay the seed corpus). */
#include "traceview/query.h"
#include "traceview/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tv_trace_t t;
  tv_error_t err;
  if (tv_trace_open_memory(&t, data, size, "fuzz", NULL, &err) != 0) return 0;
  static const tv_group_by_t groups[] = {TV_GROUP_NAME, TV_GROUP_DETAIL, TV_GROUP_CRATE,
                                         TV_GROUP_THREAD, TV_GROUP_CATEGORY};
  tv_summary_opts_t o = {.group_by = groups[size % 5], .demangle = true};
  tv_summary_t sum;
  if (tv_summary_compute(&t.store, &o, &sum, &err) == 0) tv_summary_free(&sum);
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
