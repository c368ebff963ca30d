/* cli_flamegraph.c: `traceview flamegraph FILE`: the merged call tree as an
 * interactive SVG or as folded stacks (flamegraph.pl / inferno input). */
#include "cli.h"
#include "traceview/flame.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: traceview flamegraph FILE (-o OUT.svg | --folded) [options]\n"
    "\n"
    "Merge the slices of FILE into a call tree (by name stack) and write it as a\n"
    "standalone interactive SVG (hover for times, click to zoom, search) or as\n"
    "folded stacks, one 'frame;frame;frame NANOSECONDS' line per stack with its\n"
    "self time, which flamegraph.pl and inferno accept.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write the SVG to FILE ('-' for standard output)\n"
    "  --folded           write folded stacks to standard output instead\n"
    "  --range A..B       only this time range (1.5s..2s, 200ms.., ..500us);\n"
    "                     slices partly inside count only their time inside\n"
    "  --thread T         only thread T (a tid, pid:tid or name); repeatable\n"
    "  --inverted         leaf-first (icicle): self time under reversed stacks\n"
    "  --label KIND       frame text: both (default: name, plus the demangled\n"
    "                     args.detail when present), detail, or name\n"
    "  --min-frac F       fold frames below this fraction of the total into\n"
    "                     'other' (SVG default 0.0005; folded default 0: all)\n"
    TV_CLI_CACHE_HELP
    "  --quiet            no progress and no warnings\n"
    "  -h, --help         show this help\n";

static int run_flamegraph(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'}, {"folded", no_argument, NULL, 'F'},
      {"range", required_argument, NULL, 'r'},  {"thread", required_argument, NULL, 'T'},
      {"inverted", no_argument, NULL, 'I'},     {"label", required_argument, NULL, 'l'},
      {"min-frac", required_argument, NULL, 'm'}, {"quiet", no_argument, NULL, 'q'},
      TV_CLI_CACHE_LONGOPTS, {"help", no_argument, NULL, 'h'},         {0, 0, 0, 0},
  };
  const char *output = NULL, *range = NULL, *thread_specs[64];
  size_t n_specs = 0;
  bool folded = false, inverted = false, quiet = false;
  double min_frac = -1;
  tv_flame_opts_t fo = {.label = TV_LABEL_BOTH};
  tv_cli_cache_t cache = {0};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:hq", longopts, NULL)) != -1) {
    if (tv_cli_cache_opt(&cache, c, optarg)) continue;
    if (c == '?' && optopt == TV_OPT_CACHE_DIR)
      return tv_cli_usage_error("flamegraph", "option '%s' needs a value", argv[optind - 1]);
    switch (c) {
      case 'o': output = optarg; break;
      case 'F': folded = true; break;
      case 'r': range = optarg; break;
      case 'T':
        if (n_specs == 64) return tv_cli_usage_error("flamegraph", "at most 64 --thread options");
        thread_specs[n_specs++] = optarg;
        break;
      case 'I': inverted = true; break;
      case 'l':
        if (!strcmp(optarg, "both")) fo.label = TV_LABEL_BOTH;
        else if (!strcmp(optarg, "detail")) fo.label = TV_LABEL_DETAIL;
        else if (!strcmp(optarg, "name")) fo.label = TV_LABEL_NAME;
        else return tv_cli_usage_error("flamegraph", "--label expects both, detail or name, got '%s'", optarg);
        break;
      case 'm': {
        char *end;
        min_frac = strtod(optarg, &end);
        if (*end || !(min_frac >= 0 && min_frac < 1))
          return tv_cli_usage_error("flamegraph", "--min-frac expects a number in [0, 1), got '%s'", optarg);
        break;
      }
      case 'q': quiet = true; break;
      case 'h': fputs(usage, stdout); return 0;
      default:
        if (optopt && strchr("orTlm", optopt))
          return tv_cli_usage_error("flamegraph", "option '%s' needs a value", argv[optind - 1]);
        return tv_cli_usage_error("flamegraph", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return tv_cli_usage_error("flamegraph", "missing FILE");
  if (optind + 1 < argc)
    return tv_cli_usage_error("flamegraph", "unexpected argument '%s'", argv[optind + 1]);
  if (folded == (output != NULL))
    return tv_cli_usage_error("flamegraph", "give exactly one of -o OUT.svg and --folded");
  if (min_frac < 0) min_frac = folded ? 0 : 0.0005;

  tv_trace_t t;
  int rc = tv_cli_open(&t, argv[optind], quiet, 1, &cache);
  if (rc) return rc;
  bool *sel = NULL;
  if ((rc = tv_cli_selection(&t, "flamegraph", range, thread_specs, n_specs, &fo.t0, &fo.t1,
                             &sel)) != 0) {
    tv_trace_close(&t);
    return rc;
  }
  fo.threads = sel;
  tv_flame_t tree = {0}, shaped = {0}, pruned = {0};
  rc = tv_flame_build(&tree, &t.store, &fo);
  const tv_flame_t *use = &tree;
  if (rc == 0 && inverted && min_frac > 0) {
    /* the pruned inverted tree without the whole inverted tree in between */
    rc = tv_flame_invert_pruned(&pruned, &tree, min_frac);
    use = &pruned;
  } else if (rc == 0 && inverted) {
    rc = tv_flame_invert(&shaped, &tree);
    use = &shaped;
  }
  if (rc == 0 && min_frac > 0 && !inverted) {
    rc = tv_flame_prune(&pruned, use, min_frac);
    use = &pruned;
  }
  if (rc != 0) {
    fprintf(stderr, "traceview: out of memory while building the flame graph\n");
    rc = 1;
  } else if (folded) {
    rc = tv_flame_write_folded(stdout, &t.store, use) ? 1 : 0;
  } else {
    FILE *out = strcmp(output, "-") == 0 ? stdout : fopen(output, "w");
    if (!out) {
      fprintf(stderr, "traceview: cannot write %s: %s\n", output, strerror(errno));
      rc = 1;
    } else {
      char subtitle[200];
      snprintf(subtitle, sizeof subtitle, "%s%s%s%s", range ? "range " : "", range ? range : "",
               n_specs ? (range ? ", selected threads" : "selected threads") : "",
               inverted ? (range || n_specs ? ", inverted" : "inverted") : "");
      tv_flame_svg_opts_t so = {.title = t.map.path, .subtitle = subtitle[0] ? subtitle : NULL,
                                .width = 1200, .inverted = inverted};
      rc = tv_flame_write_svg(out, &t.store, use, &so) ? 1 : 0;
      if (out != stdout && fclose(out) != 0) rc = 1;
      if (rc) fprintf(stderr, "traceview: cannot write %s\n", output);
    }
  }
  tv_flame_free(&tree);
  tv_flame_free(&shaped);
  tv_flame_free(&pruned);
  free(sel);
  tv_trace_close(&t);
  return rc;
}

const tv_command_t tv_cmd_flamegraph = {"flamegraph", run_flamegraph,
                                        "write a flame graph (SVG or folded stacks)", usage};
