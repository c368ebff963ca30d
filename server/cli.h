/* cli.h: the command-line front end: one cli_<command>.c per command, shared
 * helpers in cli.c. Commands return the process exit code. */
#ifndef TRACEVIEW_CLI_H
#define TRACEVIEW_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "traceview/str.h"
#include "traceview/trace.h"

typedef struct tv_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary; /* one line for `traceview --help` */
  const char *usage;   /* full help text for `traceview CMD --help` */
} tv_command_t;

extern const tv_command_t tv_cmd_serve, tv_cmd_info, tv_cmd_summary, tv_cmd_flamegraph,
    tv_cmd_index;

/** prints "traceview CMD: MSG" and a hint to --help; returns exit code 2 */
int tv_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* --cache-dir DIR and --no-cache, shared by the commands that open traces. */
typedef struct tv_cli_cache {
  const char *dir; /* NULL: the default directory */
  bool off;        /* --no-cache */
  bool lods;       /* load (and so check) or build the LOD pyramids too (index) */
} tv_cli_cache_t;
enum { TV_OPT_CACHE_DIR = 0x100, TV_OPT_NO_CACHE = 0x101 };
#define TV_CLI_CACHE_LONGOPTS                                  \
  {"cache-dir", required_argument, NULL, TV_OPT_CACHE_DIR},    \
  {"no-cache", no_argument, NULL, TV_OPT_NO_CACHE}
#define TV_CLI_CACHE_HELP                                                       \
  "  --cache-dir DIR  keep the index cache (and decompressed copies) in DIR\n"  \
  "                   (default $XDG_CACHE_HOME/traceview, ~/.cache/traceview)\n" \
  "  --no-cache       index FILE again; neither read nor write the cache\n"
/** handles a TV_OPT_* option; true when opt was one */
bool tv_cli_cache_opt(tv_cli_cache_t *c, int opt, const char *arg);

/** opens and indexes path with progress (unless quiet) and prints warnings;
 *  the index cache as cache says (NULL: the defaults). progress_mode as in
 *  tv_progress_init. Returns 0 or the exit code. */
int tv_cli_open(tv_trace_t *t, const char *path, bool quiet, int progress_mode,
                const tv_cli_cache_t *cache);
/** as above over bytes in memory (the bundled example) */
int tv_cli_open_memory(tv_trace_t *t, const void *bytes, size_t len, const char *name,
                       bool quiet, int progress_mode);
/** prints an error as "traceview: FILE: byte N: MSG"; returns its exit code */
int tv_cli_print_error(const tv_error_t *err);
/** "1.23 s", "45.6 ms", "789 us", "12 ns" */
const char *tv_fmt_duration(int64_t ns, char *buf, size_t cap);
/** "1.4 GB", "56.0 MB", "512 B" */
const char *tv_fmt_bytes(uint64_t bytes, char *buf, size_t cap);
/** "7,312,345" */
const char *tv_fmt_count(uint64_t n, char *buf, size_t cap);
/** a new JSON string from a view (jansson copies it) */
json_t *tv_json_str(tv_str_t s);
/** dumps root (stolen) to stdout with a final newline; returns 0 or 1 */
int tv_json_print(json_t *root, bool pretty);
/** parses "START..END" (either side may be empty) with units ns, us, ms, s
 *  ("1.5s..2s", "200ms..", "..500us"), relative to the trace start, into
 *  absolute [*t0, *t1). Returns 0, or -1 with a message in err. */
int tv_cli_parse_range(const char *text, const tv_store_t *st, int64_t *t0, int64_t *t1,
                       char *err, size_t cap);
/** marks in sel (per store thread) the threads matching spec: a tid, "pid:tid"
 *  or a thread name. Returns how many matched. */
size_t tv_cli_select_threads(const tv_store_t *st, const char *spec, bool *sel);

/** --range and --thread options of cmd applied to t: sets [*t0, *t1) (t0 == t1
 *  when no range) and *sel (malloc'd per-thread selection, NULL for all).
 *  Returns 0, or 2 after printing a usage error. */
int tv_cli_selection(const tv_trace_t *t, const char *cmd, const char *range,
                     const char *const *thread_specs, size_t n_specs, int64_t *t0, int64_t *t1,
                     bool **sel);

/** the bundled example trace (generated at build time) */
extern const unsigned char tv_example_trace[];
extern const size_t tv_example_trace_len;

#endif
