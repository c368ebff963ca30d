/* cli_serve.c: `traceview serve [FILE...]`: index the traces on the thread
 * pool and serve the web viewer for them (server/http.c). */
#include "cli.h"
#include "traceview/server.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: traceview serve [FILE...] [--host ADDR] [--port N] [--open] [--watch]\n"
    "                       [--cache-dir DIR] [--no-cache]\n"
    "\n"
    "Index each FILE and serve a web viewer for them. With no FILE, serves a\n"
    "small bundled example trace. Prints the URL to open when the traces are\n"
    "ready; the page shows indexing progress if opened earlier. Ctrl-C stops.\n"
    "\n"
    "Options:\n"
    "  --host ADDR  address to listen on (default 127.0.0.1: this machine only).\n"
    "               Any other address (0.0.0.0 for all) needs an access token:\n"
    "               a random one is made and the printed share links carry it\n"
    "  --token T    use T as the access token (letters, digits, - and _)\n"
    "  --no-auth    serve a non-loopback address without a token (anyone who\n"
    "               can reach it can read the traces)\n"
    "  --port N     port (default 0: any free port; a taken port falls back to a\n"
    "               free one, and says so)\n"
    "  --open       open the viewer in the default browser (xdg-open)\n"
    "  --watch      re-index a FILE when it changes on disk (after 300 ms\n"
    "               without writes), keep serving the old index meanwhile, then\n"
    "               reload open pages in the same view. Without --watch, a\n"
    "               file changed while served keeps its index; only reading\n"
    "               an event's args answers an error (410)\n"
    "  --cache-dir DIR  keep the index cache (and decompressed copies) in DIR\n"
    "               (default $XDG_CACHE_HOME/traceview, ~/.cache/traceview)\n"
    "  --no-cache   index every FILE again; neither read nor write the cache\n"
    "  --quiet      no progress and no warnings\n"
    "  -h, --help   show this help\n";

static int run_serve(int argc, char **argv) {
  static const struct option longopts[] = {
      {"host", required_argument, NULL, 'H'}, {"port", required_argument, NULL, 'p'},
      {"open", no_argument, NULL, 'o'},       {"quiet", no_argument, NULL, 'q'},
      {"token", required_argument, NULL, 't'}, {"no-auth", no_argument, NULL, 'N'},
      {"watch", no_argument, NULL, 'w'},      TV_CLI_CACHE_LONGOPTS,
      {"help", no_argument, NULL, 'h'},
      {0, 0, 0, 0},
  };
  tv_server_opts_t o = {.host = "127.0.0.1"};
  tv_cli_cache_t cache = {0};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    if (tv_cli_cache_opt(&cache, c, optarg)) continue;
    if (c == '?' && optopt == TV_OPT_CACHE_DIR)
      return tv_cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
    switch (c) {
      case 'H': o.host = optarg; break;
      case 'p': {
        char *end;
        long port = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end || port < 0 || port > 65535)
          return tv_cli_usage_error("serve", "--port expects 0..65535, got '%s'", optarg);
        o.port = (int)port;
        break;
      }
      case 'o': o.open_browser = true; break;
      case 'w': o.watch = true; break;
      case 't': {
        size_t len = strlen(optarg);
        bool ok = len >= 8 && len <= 64;
        for (const char *p = optarg; ok && *p; p++)
          ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               *p == '-' || *p == '_';
        if (!ok)
          return tv_cli_usage_error("serve", "--token expects 8..64 letters, digits, '-' or '_'");
        o.token = optarg;
        break;
      }
      case 'N': o.no_auth = true; break;
      case 'q': o.quiet = true; break;
      case 'h': fputs(usage, stdout); return 0;
      default:
        if (optopt == 'H' || optopt == 'p' || optopt == 't')
          return tv_cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        return tv_cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
    }
  }
  size_t n = argc > optind ? (size_t)(argc - optind) : 1;
  tv_slot_t *slots = calloc(n, sizeof *slots);
  if (!slots) return 1;
  size_t kept = 0;
  int rc = 0;
  if (argc == optind) {
    rc = tv_slot_init(&slots[kept++], "example.json", tv_example_trace, tv_example_trace_len,
                      false);
  }
  for (int i = optind; i < argc && rc == 0; i++) {
    rc = tv_slot_init(&slots[kept], argv[i], NULL, 0, o.watch);
    if (rc) break;
    slots[kept].cur->cache_dir = cache.dir;
    slots[kept].cur->no_cache = cache.off;
    /* The same file given twice is served once. */
    bool dup = false;
    for (size_t k = 0; k < kept && !dup; k++) dup = strcmp(slots[k].id, slots[kept].id) == 0;
    if (dup) tv_slot_free(&slots[kept]);
    else kept++;
  }
  if (rc == 0) rc = tv_serve(slots, kept, &o);
  else fprintf(stderr, "traceview: out of memory\n");
  for (size_t i = 0; i < kept; i++) tv_slot_free(&slots[i]);
  free(slots);
  return rc;
}

const tv_command_t tv_cmd_serve = {"serve", run_serve, "index traces and open them in a browser",
                                   usage};
