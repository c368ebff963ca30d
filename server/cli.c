/* cli.c: helpers shared by the commands: opening a trace with progress and
 * readable errors, human units, JSON output. */
#include "cli.h"
#include "traceview/progress.h"

#include <stdarg.h>
#include <string.h>

int tv_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "traceview%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'traceview %s%s--help' for more information.\n", cmd ? cmd : "",
          cmd ? " " : "");
  return 2;
}

int tv_cli_print_error(const tv_error_t *err) {
  char buf[1200];
  fprintf(stderr, "traceview: %s\n", tv_error_format(err, buf, sizeof buf));
  return tv_exit_code(err->code);
}

static void print_warnings(const tv_trace_t *t) {
  for (size_t i = 0; i < t->n_warnings; i++) {
    if (t->warnings[i].offset >= 0)
      fprintf(stderr, "traceview: warning: %s: byte %lld: %s\n", t->map.path,
              (long long)t->warnings[i].offset, t->warnings[i].msg);
    else
      fprintf(stderr, "traceview: warning: %s: %s\n", t->map.path, t->warnings[i].msg);
  }
}

static int finish_open(tv_trace_t *t, int rc, tv_error_t *err, tv_progress_t *prog,
                       bool quiet) {
  tv_progress_done(prog);
  if (rc) return tv_cli_print_error(err);
  if (!quiet) print_warnings(t);
  return 0;
}

int tv_cli_open(tv_trace_t *t, const char *path, bool quiet, int progress_mode) {
  tv_progress_t prog;
  tv_progress_init(&prog, path, quiet ? 0 : progress_mode);
  tv_open_opts_t opts = {.progress = tv_progress_update, .progress_ud = &prog};
  tv_error_t err = {0};
  int rc = tv_trace_open(t, path, &opts, &err);
  return finish_open(t, rc, &err, &prog, quiet);
}

int tv_cli_open_memory(tv_trace_t *t, const void *bytes, size_t len, const char *name,
                       bool quiet, int progress_mode) {
  tv_progress_t prog;
  tv_progress_init(&prog, name, quiet ? 0 : progress_mode);
  tv_open_opts_t opts = {.progress = tv_progress_update, .progress_ud = &prog};
  tv_error_t err = {0};
  int rc = tv_trace_open_memory(t, bytes, len, name, &opts, &err);
  return finish_open(t, rc, &err, &prog, quiet);
}

const char *tv_fmt_duration(int64_t ns, char *buf, size_t cap) {
  double v = (double)ns;
  double a = v < 0 ? -v : v;
  if (a >= 1e9) snprintf(buf, cap, "%.2f s", v / 1e9);
  else if (a >= 1e6) snprintf(buf, cap, "%.2f ms", v / 1e6);
  else if (a >= 1e3) snprintf(buf, cap, "%.2f us", v / 1e3);
  else snprintf(buf, cap, "%lld ns", (long long)ns);
  return buf;
}

const char *tv_fmt_bytes(uint64_t bytes, char *buf, size_t cap) {
  double v = (double)bytes;
  if (v >= 1e9) snprintf(buf, cap, "%.2f GB", v / 1e9);
  else if (v >= 1e6) snprintf(buf, cap, "%.1f MB", v / 1e6);
  else if (v >= 1e3) snprintf(buf, cap, "%.1f kB", v / 1e3);
  else snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
  return buf;
}

const char *tv_fmt_count(uint64_t n, char *buf, size_t cap) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
  size_t o = 0;
  for (int i = 0; i < len && o + 2 < cap; i++) {
    if (i > 0 && (len - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

json_t *tv_json_str(tv_str_t s) {
  json_t *j = json_stringn(s.p ? s.p : "", s.len);
  /* Interned strings are validated UTF-8; anything else is a bug, but the
   * output must stay valid JSON. */
  return j ? j : json_string("(invalid UTF-8)");
}

int tv_json_print(json_t *root, bool pretty) {
  if (!root) {
    fprintf(stderr, "traceview: out of memory while writing JSON\n");
    return 1;
  }
  size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
  flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
  int rc = json_dumpf(root, stdout, flags);
  json_decref(root);
  fputc('\n', stdout);
  return rc == 0 ? 0 : 1;
}
