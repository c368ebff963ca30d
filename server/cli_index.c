/* cli_index.c: `traceview index FILE`: build the index only. The on-disk
 * index cache comes with the scale issue; today this checks that FILE
 * indexes cleanly and reports how long it took. */
#include "cli.h"

#include <getopt.h>

static const char usage[] =
    "Usage: traceview index FILE [--quiet]\n"
    "\n"
    "Index FILE ahead of time and report how long it took. (The index is not\n"
    "saved to disk yet: an on-disk cache is planned.)\n";

static int run_index(int argc, char **argv) {
  static const struct option longopts[] = {
      {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
  bool quiet = false;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    if (c == 'q') quiet = true;
    else if (c == 'h') { fputs(usage, stdout); return 0; }
    else return tv_cli_usage_error("index", "unknown option '%s'", argv[optind - 1]);
  }
  if (optind >= argc) return tv_cli_usage_error("index", "missing FILE");
  if (optind + 1 < argc) return tv_cli_usage_error("index", "unexpected argument '%s'", argv[optind + 1]);
  tv_trace_t t;
  int rc = tv_cli_open(&t, argv[optind], quiet, 1);
  if (rc) return rc;
  char b1[32], b2[32];
  printf("%s: %s events indexed in %s\n", t.map.path,
         tv_fmt_count(t.store.t.n_raw_events, b1, sizeof b1),
         tv_fmt_duration((int64_t)(t.index_seconds * 1e9), b2, sizeof b2));
  tv_trace_close(&t);
  return 0;
}

const tv_command_t tv_cmd_index = {"index", run_index, "index a trace ahead of time", usage};
