/* cli_index.c: `traceview index FILE`: build the on-disk index cache ahead
 * of time (index_cache.c), so that serve, info, summary and flamegraph open
 * FILE at once. */
#include "cli.h"

#include <getopt.h>

static const char usage[] =
    "Usage: traceview index FILE [--cache-dir DIR] [--quiet]\n"
    "\n"
    "Index FILE and save the index in the cache directory, so that later\n"
    "commands on FILE load it instead of reading FILE again (while FILE is\n"
    "unchanged). Prints where the index went and how long it took. An index\n"
    "already in the cache is checked and reused.\n"
    "\n"
    "Options:\n"
    "  --cache-dir DIR  keep the index cache in DIR\n"
    "                   (default $XDG_CACHE_HOME/traceview, ~/.cache/traceview)\n"
    "  --quiet          no progress bar and no warnings\n"
    "  -h, --help       show this help\n";

static int run_index(int argc, char **argv) {
  static const struct option longopts[] = {
      {"quiet", no_argument, NULL, 'q'}, {"cache-dir", required_argument, NULL, TV_OPT_CACHE_DIR},
      {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
  bool quiet = false;
  tv_cli_cache_t cache = {.lods = true}; /* a hit checks the pyramids too */
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    if (c == 'q') quiet = true;
    else if (c == TV_OPT_CACHE_DIR) cache.dir = optarg;
    else if (c == 'h') { fputs(usage, stdout); return 0; }
    else if (optopt == TV_OPT_CACHE_DIR)
      return tv_cli_usage_error("index", "option '%s' needs a value", argv[optind - 1]);
    else return tv_cli_usage_error("index", "unknown option '%s'", argv[optind - 1]);
  }
  if (optind >= argc) return tv_cli_usage_error("index", "missing FILE");
  if (optind + 1 < argc) return tv_cli_usage_error("index", "unexpected argument '%s'", argv[optind + 1]);
  tv_trace_t t;
  int rc = tv_cli_open(&t, argv[optind], quiet, 1, &cache);
  if (rc) return rc;
  char b1[32], b2[32], b3[32];
  if (t.cache_hit) {
    printf("%s: index already cached in %s (checked and loaded in %s)\n", t.map.path,
           t.cache_path, tv_fmt_duration((int64_t)(t.cache_load_seconds * 1e9), b1, sizeof b1));
  } else if (t.cache_path) {
    printf("%s: %s events indexed in %s; index saved to %s in %s\n", t.map.path,
           tv_fmt_count(t.store.t.n_raw_events, b1, sizeof b1),
           tv_fmt_duration((int64_t)(t.index_seconds * 1e9), b2, sizeof b2), t.cache_path,
           tv_fmt_duration((int64_t)(t.cache_save_seconds * 1e9), b3, sizeof b3));
  } else {
    fprintf(stderr, "traceview: %s: the index could not be saved%s%s\n", t.map.path,
            t.cache_note ? ": " : "", t.cache_note ? t.cache_note : "");
    rc = 1;
  }
  tv_trace_close(&t);
  return rc;
}

const tv_command_t tv_cmd_index = {"index", run_index, "build the index cache of a trace ahead of time",
                                   usage};
