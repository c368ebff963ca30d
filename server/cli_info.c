/* cli_info.c: `traceview info FILE [--json]`: what a trace holds. */
#include "cli.h"
#include "traceview/reader.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: traceview info FILE [--json] [--quiet] [--cache-dir DIR] [--no-cache]\n"
    "\n"
    "Index FILE and describe it: format, size, raw events per phase, processes\n"
    "and threads with their names, time range, LLVM 'Total' summary events,\n"
    "repairs made to malformed input, and how fast indexing ran. The index\n"
    "is saved in the cache directory and reused while FILE is unchanged;\n"
    "'Index' says whether it came from there.\n"
    "\n"
    "Options:\n"
    "  --json      one JSON object on standard output (keys in docs/cli.md)\n"
    TV_CLI_CACHE_HELP
    "  --quiet     no progress bar and no warnings on standard error\n"
    "  -h, --help  show this help\n";

static uint64_t n_indexed(const tv_store_t *s) {
  return s->n_slices + s->n_instants + s->n_counter_samples;
}

static json_t *json_nullable_str(const tv_store_t *s, uint32_t id) {
  return id ? tv_json_str(tv_store_str(s, id)) : json_null();
}

static json_t *info_json(const tv_trace_t *t) {
  const tv_store_t *s = &t->store;
  const tv_tables_t *tb = &s->t;
  json_t *root = json_object();
  json_object_set_new(root, "file", json_string(t->source_path ? t->source_path : t->map.path));
  json_object_set_new(root, "format", json_string(t->format ? t->format : "unknown"));
  json_object_set_new(root, "bytes", json_integer((json_int_t)t->bytes_on_disk));
  json_object_set_new(root, "compression", t->compression ? json_string(t->compression) : json_null());
  json_object_set_new(root, "bytes_uncompressed", json_integer((json_int_t)t->map.len));
  json_object_set_new(root, "events", json_integer((json_int_t)tb->n_raw_events));
  json_t *phases = json_object();
  for (int c = 0; c < 256; c++)
    if (tb->phases.by_byte[c]) {
      char key[2] = {(char)c, 0};
      if (c == 0) continue; /* a NUL ph cannot be a JSON key here; counted in events */
      json_object_set_new(phases, key, json_integer((json_int_t)tb->phases.by_byte[c]));
    }
  for (size_t i = 0; i < tb->phases.n_other; i++) {
    tv_str_t ph = tv_store_str(s, tb->phases.other_ph[i]);
    char *key = strndup(ph.p, ph.len);
    if (key) json_object_set_new(phases, key, json_integer((json_int_t)tb->phases.other_n[i]));
    free(key);
  }
  json_object_set_new(root, "phases", phases);
  json_object_set_new(root, "slices", json_integer((json_int_t)s->n_slices));
  json_object_set_new(root, "instants", json_integer((json_int_t)s->n_instants));
  json_object_set_new(root, "counter_samples", json_integer((json_int_t)s->n_counter_samples));
  /* Each format's own units (0 when the format has none of them). */
  json_object_set_new(root, "samples", json_integer((json_int_t)tb->n_samples));
  json_object_set_new(root, "weight", json_integer((json_int_t)tb->sample_weight));
  json_object_set_new(root, "spans", json_integer((json_int_t)tb->n_span_events));
  json_object_set_new(root, "flows", json_integer((json_int_t)tb->n_flows));
  json_object_set_new(root, "has_timeline", json_boolean(!tb->no_timeline));

  json_t *totals = json_array();
  for (size_t i = 0; i < tb->n_totals; i++) {
    const tv_llvm_total_t *lt = &tb->totals[i];
    json_array_append_new(totals, json_pack("{s:o, s:I, s:I, s:I, s:f, s:I}",
        "name", tv_json_str(tv_store_str(s, lt->name)), "pid", (json_int_t)lt->pid,
        "tid", (json_int_t)lt->tid, "count", (json_int_t)lt->count, "avg_ms", lt->avg_ms,
        "dur_ns", (json_int_t)lt->dur_ns));
  }
  json_object_set_new(root, "llvm_totals", totals);

  json_t *procs = json_array();
  for (size_t i = 0; i < tb->n_procs; i++) {
    const tv_process_t *p = &tb->procs[i];
    json_array_append_new(procs, json_pack("{s:I, s:o, s:o}", "pid", (json_int_t)p->pid,
        "name", json_nullable_str(s, p->name),
        "sort_index", p->has_sort_index ? json_integer(p->sort_index) : json_null()));
  }
  json_object_set_new(root, "processes", procs);

  json_t *threads = json_array();
  for (size_t i = 0; i < tb->n_threads; i++) {
    const tv_thread_t *th = &tb->threads[i];
    if (!th->listed) continue;
    json_array_append_new(threads, json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:I}",
        "pid", (json_int_t)th->pid, "tid", (json_int_t)tv_thread_shown_tid(th),
        "name", json_nullable_str(s, th->name),
        "sort_index", th->has_sort_index ? json_integer(th->sort_index) : json_null(),
        "slices", (json_int_t)th->slices.n, "instants", (json_int_t)th->instants.n,
        "max_depth", (json_int_t)th->max_depth));
    json_t *last = json_array_get(threads, json_array_size(threads) - 1);
    json_object_set_new(last, "kind", json_string(tv_thread_kind_name(th->kind)));
    json_object_set_new(last, "samples", json_integer((json_int_t)th->samples.n));
  }
  json_object_set_new(root, "threads", threads);
  json_object_set_new(root, "time_range_ns",
                      s->min_ns <= s->max_ns
                          ? json_pack("[I, I]", (json_int_t)s->min_ns, (json_int_t)s->max_ns)
                          : json_null());
  json_t *repairs = json_object();
  for (int k = 0; k < TV_DIAG_COUNT; k++)
    json_object_set_new(repairs, tv_diag_name(k), json_integer((json_int_t)tb->diag.count[k]));
  json_object_set_new(root, "repairs", repairs);
  json_object_set_new(root, "truncated", json_boolean(t->truncated));
  json_t *warnings = json_array();
  for (size_t i = 0; i < t->n_warnings; i++)
    json_array_append_new(warnings, json_pack("{s:I, s:s}", "offset",
                                              (json_int_t)t->warnings[i].offset, "message",
                                              t->warnings[i].msg));
  json_object_set_new(root, "warnings", warnings);
  double secs = t->index_seconds > 0 ? t->index_seconds : 1e-9;
  size_t bytes = tv_store_bytes(s);
  uint64_t n = n_indexed(s);
  json_object_set_new(root, "index", json_pack("{s:f, s:f, s:f, s:I, s:f}",
      "seconds", t->index_seconds, "mb_per_s", (double)t->map.len / secs / 1e6,
      "events_per_s", (double)tb->n_raw_events / secs, "index_bytes", (json_int_t)bytes,
      "bytes_per_event", n ? (double)bytes / (double)n : 0.0));
  json_object_set_new(root, "cache", json_pack("{s:b, s:o, s:f, s:f, s:o}",
      "hit", t->cache_hit, "path", t->cache_path ? json_string(t->cache_path) : json_null(),
      "load_seconds", t->cache_load_seconds, "save_seconds", t->cache_save_seconds,
      "note", t->cache_note ? json_string(t->cache_note) : json_null()));
  return root;
}

static int cmp_total_dur(const void *x, const void *y) {
  const tv_llvm_total_t *a = *(const tv_llvm_total_t *const *)x;
  const tv_llvm_total_t *b = *(const tv_llvm_total_t *const *)y;
  return a->dur_ns > b->dur_ns ? -1 : a->dur_ns < b->dur_ns;
}

static void info_text(const tv_trace_t *t) {
  const tv_store_t *s = &t->store;
  const tv_tables_t *tb = &s->t;
  char b1[64], b2[64], b3[64];
  if (t->compression)
    printf("File        %s (%s, %s uncompressed)\n", t->map.path,
           tv_fmt_bytes(t->bytes_on_disk, b1, sizeof b1), tv_fmt_bytes(t->map.len, b2, sizeof b2));
  else
    printf("File        %s (%s)\n", t->map.path, tv_fmt_bytes(t->map.len, b1, sizeof b1));
  printf("Format      %s%s\n", t->format ? t->format : "unknown",
         t->truncated ? " (truncated: loaded the valid prefix)" : "");
  printf("Events      %s:", tv_fmt_count(tb->n_raw_events, b1, sizeof b1));
  for (int c = 1; c < 256; c++)
    if (tb->phases.by_byte[c])
      printf(" %c %s", c, tv_fmt_count(tb->phases.by_byte[c], b1, sizeof b1));
  for (size_t i = 0; i < tb->phases.n_other; i++) {
    tv_str_t ph = tv_store_str(s, tb->phases.other_ph[i]);
    printf(" \"%.*s\" %s", (int)ph.len, ph.p, tv_fmt_count(tb->phases.other_n[i], b1, sizeof b1));
  }
  printf("\n");
  size_t listed = 0;
  uint32_t depth = 0;
  for (size_t i = 0; i < tb->n_threads; i++) {
    listed += tb->threads[i].listed;
    if (tb->threads[i].max_depth > depth) depth = tb->threads[i].max_depth;
  }
  printf("Slices      %s on %zu thread%s in %zu process%s (up to %u levels deep)\n",
         tv_fmt_count(s->n_slices, b1, sizeof b1), listed, listed == 1 ? "" : "s", tb->n_procs,
         tb->n_procs == 1 ? "" : "es", depth);
  if (s->n_instants || s->n_counter_samples)
    printf("Other       %s instants, %s counter samples in %zu series\n",
           tv_fmt_count(s->n_instants, b1, sizeof b1),
           tv_fmt_count(s->n_counter_samples, b2, sizeof b2), tb->n_counters);
  if (tb->n_samples)
    printf("Samples     %s (total weight %s)%s\n", tv_fmt_count(tb->n_samples, b1, sizeof b1),
           tv_fmt_count((uint64_t)tb->sample_weight, b2, sizeof b2),
           tb->no_timeline ? "; no timestamps: flame graph and statistics only" : "");
  if (tb->n_span_events)
    printf("Spans       %s\n", tv_fmt_count(tb->n_span_events, b1, sizeof b1));
  if (tb->n_flows) printf("Flows       %s arrows\n", tv_fmt_count(tb->n_flows, b1, sizeof b1));
  if (s->min_ns <= s->max_ns)
    printf("Time range  %s .. %s (%s)\n", tv_fmt_duration(s->min_ns, b1, sizeof b1),
           tv_fmt_duration(s->max_ns, b2, sizeof b2),
           tv_fmt_duration(s->max_ns - s->min_ns, b3, sizeof b3));
  if (tb->n_procs) {
    printf("Processes\n");
    for (size_t i = 0; i < tb->n_procs; i++) {
      tv_str_t nm = tv_store_str(s, tb->procs[i].name);
      printf("  pid %-10lld %.*s\n", (long long)tb->procs[i].pid, (int)nm.len, nm.p);
    }
  }
  printf("Threads\n");
  size_t shown = 0;
  for (size_t i = 0; i < tb->n_threads; i++) {
    const tv_thread_t *th = &tb->threads[i];
    if (!th->listed) continue;
    if (shown++ == 40) {
      printf("  ... and %zu more (info --json lists them all)\n", listed - 40);
      break;
    }
    tv_str_t nm = tv_store_str(s, th->name);
    printf("  %8lld:%-8lld %-24.*s %12s slices  %3u levels\n", (long long)th->pid,
           (long long)tv_thread_shown_tid(th), (int)(nm.len > 24 ? 24 : nm.len), nm.p,
           tv_fmt_count(th->slices.n, b1, sizeof b1), th->max_depth);
  }
  if (tb->n_totals) {
    printf("LLVM totals (summary events, kept off the timeline): %zu, longest:\n", tb->n_totals);
    const tv_llvm_total_t **sorted = malloc(tb->n_totals * sizeof *sorted);
    if (sorted) {
      for (size_t i = 0; i < tb->n_totals; i++) sorted[i] = &tb->totals[i];
      qsort(sorted, tb->n_totals, sizeof *sorted, cmp_total_dur);
      for (size_t i = 0; i < tb->n_totals && i < 10; i++) {
        tv_str_t nm = tv_store_str(s, sorted[i]->name);
        printf("  %-50.*s %10s  x %s\n", (int)(nm.len > 50 ? 50 : nm.len), nm.p,
               tv_fmt_duration(sorted[i]->dur_ns, b1, sizeof b1),
               tv_fmt_count((uint64_t)sorted[i]->count, b2, sizeof b2));
      }
      free(sorted);
    }
  }
  int any = 0;
  for (int k = 0; k < TV_DIAG_COUNT; k++) {
    if (!tb->diag.count[k]) continue;
    if (!any++) printf("Repairs\n");
    printf("  %s %s (first at byte %lld)\n", tv_fmt_count(tb->diag.count[k], b1, sizeof b1),
           tv_diag_desc(k), (long long)tb->diag.first_off[k]);
  }
  if (!any) printf("Repairs     none needed\n");
  double secs = t->index_seconds > 0 ? t->index_seconds : 1e-9;
  size_t bytes = tv_store_bytes(s);
  uint64_t n = n_indexed(s);
  printf("Indexed in  %s (%.0f MB/s, %.1f M events/s); index %s, %.1f bytes per event\n",
         tv_fmt_duration((int64_t)(t->index_seconds * 1e9), b1, sizeof b1),
         (double)t->map.len / secs / 1e6, (double)tb->n_raw_events / secs / 1e6,
         tv_fmt_bytes(bytes, b2, sizeof b2), n ? (double)bytes / (double)n : 0.0);
  if (t->cache_hit)
    printf("Index       loaded from the cache in %s (%s)\n",
           tv_fmt_duration((int64_t)(t->cache_load_seconds * 1e9), b1, sizeof b1), t->cache_path);
  else if (t->cache_path)
    printf("Index       saved to the cache in %s (%s)\n",
           tv_fmt_duration((int64_t)(t->cache_save_seconds * 1e9), b1, sizeof b1), t->cache_path);
  else
    printf("Index       not cached%s%s\n", t->cache_note ? ": " : " (--no-cache)",
           t->cache_note ? t->cache_note : "");
}

static int run_info(int argc, char **argv) {
  static const struct option longopts[] = {
      {"json", no_argument, NULL, 'j'},
      {"quiet", no_argument, NULL, 'q'},
      TV_CLI_CACHE_LONGOPTS, {"help", no_argument, NULL, 'h'},
      {0, 0, 0, 0},
  };
  bool json = false, quiet = false;
  tv_cli_cache_t cache = {0};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
    if (tv_cli_cache_opt(&cache, c, optarg)) continue;
    if (c == '?' && optopt == TV_OPT_CACHE_DIR)
      return tv_cli_usage_error("info", "option '%s' needs a value", argv[optind - 1]);
    switch (c) {
      case 'j': json = true; break;
      case 'q': quiet = true; break;
      case 'h': fputs(usage, stdout); return 0;
      default: return tv_cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return tv_cli_usage_error("info", "missing FILE");
  if (optind + 1 < argc) return tv_cli_usage_error("info", "unexpected argument '%s'", argv[optind + 1]);
  tv_trace_t t;
  int rc = tv_cli_open(&t, argv[optind], quiet, 1, &cache);
  if (rc) return rc;
  if (json) rc = tv_json_print(info_json(&t), true);
  else info_text(&t);
  tv_trace_close(&t);
  return rc;
}

const tv_command_t tv_cmd_info = {"info", run_info, "describe a trace: format, threads, counts",
                                  usage};
