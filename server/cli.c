/* cli.c: helpers shared by the commands: opening a trace with progress and
 * readable errors, human units, JSON output. */
#include "cli.h"
#include "traceview/progress.h"

#include <stdarg.h>
#include <stdlib.h>
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

bool tv_cli_cache_opt(tv_cli_cache_t *c, int opt, const char *arg) {
  if (opt == TV_OPT_CACHE_DIR) c->dir = arg;
  else if (opt == TV_OPT_NO_CACHE) c->off = true;
  else return false;
  return true;
}

int tv_cli_open(tv_trace_t *t, const char *path, bool quiet, int progress_mode,
                const tv_cli_cache_t *cache) {
  tv_progress_t prog;
  tv_progress_init(&prog, path, quiet ? 0 : progress_mode);
  tv_open_opts_t opts = {.progress = tv_progress_update, .progress_ud = &prog,
                         .cache_dir = cache ? cache->dir : NULL,
                         .no_cache = cache ? cache->off : false,
                         .lods = cache ? cache->lods : false};
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

/* "1.5s" -> ns; a bare 0 is allowed, other numbers need a unit. */
static int parse_duration(const char *p, size_t len, int64_t *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, p, len);
  buf[len] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (end == buf) return -1;
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  double scale = -1;
  if (*end == '\0' && v == 0) scale = 1;
  for (size_t i = 0; i < sizeof units / sizeof units[0] && scale < 0; i++)
    if (strcmp(end, units[i].unit) == 0) scale = units[i].ns;
  if (scale < 0 || !(v * scale >= 0) || v * scale > 9e18) return -1;
  *out = (int64_t)(v * scale + 0.5);
  return 0;
}

int tv_cli_parse_range(const char *text, const tv_store_t *st, int64_t *t0, int64_t *t1,
                       char *err, size_t cap) {
  const char *dots = strstr(text, "..");
  int64_t origin = st->min_ns <= st->max_ns ? st->min_ns : 0;
  int64_t span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns + 1 : 1;
  int64_t a = 0, b = span;
  if (!dots || (dots > text && parse_duration(text, (size_t)(dots - text), &a) != 0) ||
      (dots[2] && parse_duration(dots + 2, strlen(dots + 2), &b) != 0)) {
    snprintf(err, cap, "bad range '%s': expected START..END with units, relative to the "
             "trace start, e.g. 1.5s..2s, 200ms.., ..500us", text);
    return -1;
  }
  if (a >= b) {
    snprintf(err, cap, "bad range '%s': the end must come after the start", text);
    return -1;
  }
  *t0 = origin + a;
  *t1 = b > span ? origin + span : origin + b;
  return 0;
}

size_t tv_cli_select_threads(const tv_store_t *st, const char *spec, bool *sel) {
  size_t n = 0;
  char *end;
  long long num = strtoll(spec, &end, 10);
  long long pid = 0, tid = 0;
  bool is_pair = *end == ':' && sscanf(spec, "%lld:%lld", &pid, &tid) == 2;
  bool is_num = *spec && *end == '\0';
  for (size_t i = 0; i < st->t.n_threads; i++) {
    const tv_thread_t *th = &st->t.threads[i];
    tv_str_t name = tv_store_str(st, th->name);
    bool match = (is_pair && th->pid == pid && th->tid == tid) || (is_num && th->tid == num) ||
                 (name.len && name.len == strlen(spec) && memcmp(name.p, spec, name.len) == 0);
    if (match) {
      sel[i] = true;
      n++;
    }
  }
  return n;
}

int tv_cli_selection(const tv_trace_t *t, const char *cmd, const char *range,
                     const char *const *thread_specs, size_t n_specs, int64_t *t0, int64_t *t1,
                     bool **sel) {
  *t0 = *t1 = 0;
  *sel = NULL;
  char msg[300];
  if (range && tv_cli_parse_range(range, &t->store, t0, t1, msg, sizeof msg) != 0)
    return tv_cli_usage_error(cmd, "%s", msg);
  if (n_specs == 0) return 0;
  *sel = calloc(t->store.t.n_threads + 1, sizeof **sel);
  if (!*sel) return 1;
  for (size_t i = 0; i < n_specs; i++)
    if (tv_cli_select_threads(&t->store, thread_specs[i], *sel) == 0) {
      free(*sel);
      *sel = NULL;
      return tv_cli_usage_error(cmd, "no thread matches '%s' (give a tid, pid:tid or a thread "
                                "name; 'traceview info' lists them)", thread_specs[i]);
    }
  return 0;
}
