/* main.c: `traceview COMMAND ...`: dispatch to the command table. */
#include "cli.h"
#include "traceview/selftrace.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const tv_command_t *const commands[] = {
    &tv_cmd_serve, &tv_cmd_info, &tv_cmd_summary, &tv_cmd_flamegraph, &tv_cmd_index, NULL,
};

static void print_help(FILE *out) {
  fprintf(out,
          "traceview %s: a viewer for huge profiling traces\n"
          "\n"
          "Usage: traceview COMMAND [ARGS...]\n"
          "\n"
          "Commands:\n",
          TV_VERSION);
  for (const tv_command_t *const *c = commands; *c; c++)
    fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
  fprintf(out,
          "  %-10s %s\n"
          "\n"
          "Formats (detected from the content, gzip or lz4 compressed or not):\n"
          "Chrome trace event JSON (object, array, unterminated array, one event\n"
          "per line), perf script output, folded stacks, V8 .cpuprofile, Jaeger\n"
          "JSON and OTLP JSON.\n"
          "\n"
          "Every command also takes --trace-self OUT.json: traceview's own phases\n"
          "(scanning, sorting, cache, pyramids) per thread, as a trace it opens.\n"
          "\n"
          "Exit codes: 0 success, 1 bad input file, 2 usage error.\n"
          "Run 'traceview COMMAND --help' for a command's options.\n",
          "help", "show help for a command");
}

/* Indexing jobs run on the libuv pool and queue their chunks on it too, so
 * the pool needs room for both (libuv's default is 4 threads). Set before
 * the pool starts. */
static void size_thread_pool(void) {
  if (getenv("UV_THREADPOOL_SIZE")) return;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  char n[16];
  snprintf(n, sizeof n, "%ld", cores > 0 ? (cores * 2 + 4 > 128 ? 128 : cores * 2 + 4) : 8);
  setenv("UV_THREADPOOL_SIZE", n, 1);
}

/* Takes --trace-self OUT (or --trace-self=OUT) out of argv, for any command. */
static int take_trace_self(int *argc, char **argv, const char **out) {
  int w = 0;
  for (int r = 0; r < *argc; r++) {
    const char *a = argv[r];
    if (r > 0 && !strcmp(a, "--trace-self")) {
      if (r + 1 >= *argc) return -1;
      *out = argv[++r];
      continue;
    }
    if (r > 0 && !strncmp(a, "--trace-self=", 13)) {
      *out = a + 13;
      if (!**out) return -1;
      continue;
    }
    argv[w++] = argv[r];
  }
  argv[w] = NULL;
  *argc = w;
  return 0;
}

static int run_command(const tv_command_t *c, int argc, char **argv, const char *self_out) {
  uint64_t t0 = tv_self_begin();
  int rc = c->run(argc, argv);
  tv_self_end(t0, c->name, NULL);
  if (self_out && tv_self_write(self_out) != 0) {
    fprintf(stderr, "traceview: cannot write '%s': %s\n", self_out, strerror(errno));
    if (rc == 0) rc = 1;
  }
  return rc;
}

int main(int argc, char **argv) {
  size_thread_pool();
  const char *self_out = NULL;
  if (take_trace_self(&argc, argv, &self_out) != 0)
    return tv_cli_usage_error(NULL, "option '--trace-self' needs a file name");
  if (self_out) tv_self_enable();
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    print_help(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    printf("traceview %s\n", TV_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "help")) {
    if (argc < 3) {
      print_help(stdout);
      return 0;
    }
    cmd = argv[2];
    for (const tv_command_t *const *c = commands; *c; c++)
      if (!strcmp((*c)->name, cmd)) {
        fputs((*c)->usage, stdout);
        return 0;
      }
    return tv_cli_usage_error(NULL, "unknown command '%s'", cmd);
  }
  for (const tv_command_t *const *c = commands; *c; c++)
    if (!strcmp((*c)->name, cmd)) return run_command(*c, argc - 1, argv + 1, self_out);
  return tv_cli_usage_error(NULL, "unknown command '%s'", cmd);
}
