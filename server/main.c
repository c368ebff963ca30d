/* main.c: `traceview COMMAND ...`: dispatch to the command table. */
#include "cli.h"

#include <string.h>

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
          "Formats (detected from the content): Chrome trace event JSON (object,\n"
          "array, unterminated array, one event per line).\n"
          "\n"
          "Exit codes: 0 success, 1 bad input file, 2 usage error.\n"
          "Run 'traceview COMMAND --help' for a command's options.\n",
          "help", "show help for a command");
}

int main(int argc, char **argv) {
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
    if (!strcmp((*c)->name, cmd)) return (*c)->run(argc - 1, argv + 1);
  return tv_cli_usage_error(NULL, "unknown command '%s'", cmd);
}
