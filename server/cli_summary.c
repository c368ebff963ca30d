/* cli_summary.c: `traceview summary FILE`: where the time went, grouped
 * (the table follows measureme's `summarize`). */
#include "cli.h"
#include "traceview/query.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char usage[] =
    "Usage: traceview summary FILE [options]\n"
    "\n"
    "Index FILE and print where the time went: slices grouped by a key, with\n"
    "self time, % of total self time, total time, count, average and maximum.\n"
    "LLVM 'Total' summary events are left out (they double-count).\n"
    "\n"
    "Options:\n"
    "  --group-by KEY  name (default), detail (args.detail: the function or pass\n"
    "                  LLVM worked on), category, thread, or crate (first path\n"
    "                  segment of the demangled symbol: detail, else name)\n"
    "  --filter REGEX  only slices whose name matches (POSIX extended regex)\n"
    "  --range A..B    only this time range, relative to the trace start, with\n"
    "                  units (1.5s..2s, 200ms.., ..500us); slices partly inside\n"
    "                  count only their time inside\n"
    "  --thread T      only thread T (a tid, pid:tid or thread name); repeatable\n"
    "  --top N         print the first N rows (default 25 for text, all for\n"
    "                  --json and --csv; 0 = all)\n"
    "  --sort COLUMN   total (default), self, count, avg, max or key\n"
    "  --no-demangle   show mangled symbols as they are in the trace\n"
    "  --json          JSON on standard output (format in docs/cli.md)\n"
    "  --csv           CSV: key,count,total_ns,self_ns,avg_ns,max_ns,self_pct\n"
    TV_CLI_CACHE_HELP
    "  --quiet         no progress bar and no warnings\n"
    "  -h, --help      show this help\n"
    "\n"
    "Example: which functions did LLVM spend longest optimizing?\n"
    "  traceview summary trace.json --filter '^OptFunction$' --group-by detail --top 10\n";

static double pct(int64_t part, int64_t whole) {
  return whole > 0 ? (double)part * 100.0 / (double)whole : 0.0;
}

static double round2(double v) { return (double)(int64_t)(v * 100.0 + 0.5) / 100.0; }

static void csv_field(const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"') putchar('"');
    putchar(*s);
  }
  putchar('"');
}

/* Prints at most `width` display columns of s (UTF-8 aware), eliding with "...". */
static void print_cell(const char *s, int width) {
  size_t cols = 0, i = 0, len = strlen(s), cut = len;
  for (; i < len; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80) {
      if (cols == (size_t)width - 3) cut = i;
      cols++;
    }
  if (cols <= (size_t)width) {
    fputs(s, stdout);
    for (size_t k = cols; k < (size_t)width; k++) putchar(' ');
  } else {
    fwrite(s, 1, cut, stdout);
    fputs("...", stdout);
  }
}

/* The item column takes what the numbers leave of the terminal's width. */
static int key_width(void) {
  struct winsize ws;
  int cols = 140;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    cols = ws.ws_col;
  int w = cols - 70;
  return w < 30 ? 30 : w > 120 ? 120 : w;
}

static int run_summary(int argc, char **argv) {
  static const struct option longopts[] = {
      {"group-by", required_argument, NULL, 'g'}, {"filter", required_argument, NULL, 'f'},
      {"top", required_argument, NULL, 't'},      {"sort", required_argument, NULL, 's'},
      {"no-demangle", no_argument, NULL, 'D'},    {"json", no_argument, NULL, 'j'},
      {"csv", no_argument, NULL, 'c'},            {"quiet", no_argument, NULL, 'q'},
      {"range", required_argument, NULL, 'r'},    {"thread", required_argument, NULL, 'T'},
      TV_CLI_CACHE_LONGOPTS, {"help", no_argument, NULL, 'h'},           {0, 0, 0, 0},
  };
  const char *range = NULL, *thread_specs[64];
  size_t n_thread_specs = 0;
  tv_summary_opts_t o = {.group_by = TV_GROUP_NAME, .sort_by = TV_SORT_TOTAL, .demangle = true};
  bool json = false, csv = false, quiet = false;
  long top = -1;
  tv_cli_cache_t cache = {0};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    if (tv_cli_cache_opt(&cache, c, optarg)) continue;
    if (c == '?' && optopt == TV_OPT_CACHE_DIR)
      return tv_cli_usage_error("summary", "option '%s' needs a value", argv[optind - 1]);
    switch (c) {
      case 'g': {
        int g = tv_group_by_parse(optarg);
        if (g < 0)
          return tv_cli_usage_error("summary", "unknown --group-by '%s' (expected name, detail, "
                                    "category, thread or crate)", optarg);
        o.group_by = (tv_group_by_t)g;
        break;
      }
      case 'f': o.filter = optarg; break;
      case 't': {
        char *end;
        top = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end || top < 0 || top > 100000000)
          return tv_cli_usage_error("summary", "--top expects a number >= 0, got '%s'", optarg);
        break;
      }
      case 's': {
        int sb = tv_sort_by_parse(optarg);
        if (sb < 0)
          return tv_cli_usage_error("summary", "unknown --sort '%s' (expected total, self, count, "
                                    "avg, max or key)", optarg);
        o.sort_by = (tv_sort_by_t)sb;
        break;
      }
      case 'D': o.demangle = false; break;
      case 'r': range = optarg; break;
      case 'T':
        if (n_thread_specs == 64) return tv_cli_usage_error("summary", "at most 64 --thread options");
        thread_specs[n_thread_specs++] = optarg;
        break;
      case 'j': json = true; break;
      case 'c': csv = true; break;
      case 'q': quiet = true; break;
      case 'h': fputs(usage, stdout); return 0;
      case ':':
        return tv_cli_usage_error("summary", "option '%s' needs a value", argv[optind - 1]);
      default:
        if (optopt && strchr("gftsrT", optopt))
          return tv_cli_usage_error("summary", "option '%s' needs a value", argv[optind - 1]);
        return tv_cli_usage_error("summary", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (json && csv) return tv_cli_usage_error("summary", "--json and --csv exclude each other");
  if (optind >= argc) return tv_cli_usage_error("summary", "missing FILE");
  if (optind + 1 < argc)
    return tv_cli_usage_error("summary", "unexpected argument '%s'", argv[optind + 1]);
  if (top < 0) top = (json || csv) ? 0 : 25;

  tv_trace_t t;
  int rc = tv_cli_open(&t, argv[optind], quiet, 1, &cache);
  if (rc) return rc;
  bool *sel = NULL;
  if ((rc = tv_cli_selection(&t, "summary", range, thread_specs, n_thread_specs, &o.t0, &o.t1,
                             &sel)) != 0) {
    tv_trace_close(&t);
    return rc;
  }
  o.threads = sel;
  tv_summary_t sum;
  tv_error_t err = {0};
  rc = tv_summary_compute(&t.store, &o, &sum, &err);
  free(sel);
  if (rc != 0) {
    tv_trace_close(&t);
    if (rc == TV_EUSAGE) return tv_cli_usage_error("summary", "%s", err.msg);
    return tv_cli_print_error(&err);
  }
  size_t n = (top == 0 || (size_t)top > sum.n_rows) ? sum.n_rows : (size_t)top;
  if (json) {
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
      const tv_summary_row_t *r = &sum.rows[i];
      json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f}",
          "key", r->key, "count", (json_int_t)r->count, "total_ns", (json_int_t)r->total_ns,
          "self_ns", (json_int_t)r->self_ns,
          "avg_ns", (json_int_t)(r->total_ns / (int64_t)r->count), "max_ns", (json_int_t)r->max_ns,
          "self_pct", round2(pct(r->self_ns, sum.self_ns))));
    }
    json_t *root = json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:I, s:I, s:o}",
        "file", t.map.path, "group_by", tv_group_by_name(o.group_by),
        "filter", o.filter ? json_string(o.filter) : json_null(), "demangled", o.demangle,
        "events", (json_int_t)sum.events, "total_ns", (json_int_t)sum.total_ns,
        "self_ns", (json_int_t)sum.self_ns, "groups", (json_int_t)sum.n_rows, "rows", rows);
    rc = tv_json_print(root, false);
  } else if (csv) {
    printf("key,count,total_ns,self_ns,avg_ns,max_ns,self_pct\n");
    for (size_t i = 0; i < n; i++) {
      const tv_summary_row_t *r = &sum.rows[i];
      csv_field(r->key);
      printf(",%llu,%lld,%lld,%lld,%lld,%.2f\n", (unsigned long long)r->count,
             (long long)r->total_ns, (long long)r->self_ns,
             (long long)(r->total_ns / (int64_t)r->count), (long long)r->max_ns,
             round2(pct(r->self_ns, sum.self_ns)));
    }
  } else {
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    printf("%s: %s slices", t.map.path, tv_fmt_count(sum.events, b1, sizeof b1));
    if (o.filter) printf(" with a name matching /%s/", o.filter);
    printf(", by %s, %zu groups, sorted by %s\n\n", tv_group_by_name(o.group_by), sum.n_rows,
           o.sort_by == TV_SORT_TOTAL ? "total time" : "the chosen column");
    const int key_w = key_width();
    print_cell("Item", key_w);
    printf(" %11s %7s %11s %10s %10s %10s\n", "Self time", "% self", "Total time", "Count",
           "Average", "Max");
    for (size_t i = 0; i < n; i++) {
      const tv_summary_row_t *r = &sum.rows[i];
      print_cell(r->key, key_w);
      printf(" %11s %6.2f%% %11s %10s %10s %10s\n", tv_fmt_duration(r->self_ns, b1, sizeof b1),
             pct(r->self_ns, sum.self_ns), tv_fmt_duration(r->total_ns, b2, sizeof b2),
             tv_fmt_count(r->count, b3, sizeof b3),
             tv_fmt_duration(r->total_ns / (int64_t)r->count, b4, sizeof b4),
             tv_fmt_duration(r->max_ns, b5, sizeof b5));
    }
    if (n < sum.n_rows) printf("... %zu more rows (--top 0 shows all)\n", sum.n_rows - n);
  }
  tv_summary_free(&sum);
  tv_trace_close(&t);
  return rc;
}

const tv_command_t tv_cmd_summary = {"summary", run_summary,
                                     "where the time went, grouped by name, detail, ...", usage};
