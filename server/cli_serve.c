/* cli_serve.c: `traceview serve [FILE...]`: index the traces and serve them.
 * The HTTP server comes with the server issue; this command already indexes
 * (with progress) so the README's first command works end to end. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: traceview serve [FILE...] [--host ADDR] [--port N] [--open]\n"
    "\n"
    "Index each FILE and serve a web viewer for them on http://HOST:PORT/.\n"
    "With no FILE, serves a small bundled example trace.\n"
    "\n"
    "Options:\n"
    "  --host ADDR  address to listen on (default 127.0.0.1: this machine only)\n"
    "  --port N     port (default 0: pick a free one)\n"
    "  --open       open the viewer in a browser\n"
    "  --quiet      no progress and no warnings\n"
    "  -h, --help   show this help\n";

static void print_ready(const tv_trace_t *t) {
  char b1[32], b2[32], b3[32];
  size_t listed = 0;
  for (size_t i = 0; i < t->store.t.n_threads; i++) listed += t->store.t.threads[i].listed;
  fprintf(stderr, "indexed %s: %s slices on %zu threads, %s in %s\n", t->map.path,
          tv_fmt_count(t->store.n_slices, b1, sizeof b1), listed,
          tv_fmt_bytes(t->map.len, b2, sizeof b2),
          tv_fmt_duration((int64_t)(t->index_seconds * 1e9), b3, sizeof b3));
}

static int run_serve(int argc, char **argv) {
  static const struct option longopts[] = {
      {"host", required_argument, NULL, 'H'}, {"port", required_argument, NULL, 'p'},
      {"open", no_argument, NULL, 'o'},       {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},       {0, 0, 0, 0},
  };
  bool quiet = false;
  const char *host = "127.0.0.1";
  long port = 0;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    switch (c) {
      case 'H': host = optarg; break;
      case 'p': {
        char *end;
        port = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end || port < 0 || port > 65535)
          return tv_cli_usage_error("serve", "--port expects 0..65535, got '%s'", optarg);
        break;
      }
      case 'o': break;
      case 'q': quiet = true; break;
      case 'h': fputs(usage, stdout); return 0;
      default:
        if (optopt == 'H' || optopt == 'p')
          return tv_cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        return tv_cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
    }
  }
  int n_files = argc - optind;
  tv_trace_t *traces = calloc(n_files ? (size_t)n_files : 1, sizeof *traces);
  if (!traces) return 1;
  int rc = 0, opened = 0;
  if (n_files == 0) {
    rc = tv_cli_open_memory(&traces[0], tv_example_trace, tv_example_trace_len,
                            "example.json (bundled)", quiet, 2);
    if (rc == 0) {
      opened = 1;
      if (!quiet) print_ready(&traces[0]);
    }
  }
  for (int i = 0; i < n_files && rc == 0; i++) {
    rc = tv_cli_open(&traces[i], argv[optind + i], quiet, 2);
    if (rc == 0) {
      opened++;
      if (!quiet) print_ready(&traces[i]);
    }
  }
  if (rc == 0)
    fprintf(stderr,
            "traceview serve: the web viewer is not yet implemented; the traces above are\n"
            "indexed and would be served on http://%s:%ld/. Meanwhile use 'traceview info'\n"
            "and 'traceview summary'.\n",
            host, port);
  for (int i = 0; i < opened; i++) tv_trace_close(&traces[i]);
  free(traces);
  return rc;
}

const tv_command_t tv_cmd_serve = {"serve", run_serve, "index traces and open them in a browser",
                                   usage};
