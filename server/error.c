/* error.c: error codes, their names and exit codes, and error details. */
#include "traceview/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tv_strerror(int code) {
  switch (code) {
#define TV__ERR_STR(name, val, exitc, desc) case (val): return desc;
    TV_ERROR_MAP(TV__ERR_STR)
#undef TV__ERR_STR
  }
  return "unknown error";
}

int tv_exit_code(int code) {
  switch (code) {
#define TV__ERR_EXIT(name, val, exitc, desc) case (val): return exitc;
    TV_ERROR_MAP(TV__ERR_EXIT)
#undef TV__ERR_EXIT
  }
  return 1;
}

int tv_error_set(tv_error_t *err, int code, const char *file, int64_t offset,
                 const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  snprintf(err->file, sizeof err->file, "%s", file ? file : "");
  err->offset = offset;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

const char *tv_error_format(const tv_error_t *err, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  if (err->file[0]) n += (size_t)snprintf(buf + n, cap - n, "%s: ", err->file);
  if (n < cap && err->offset >= 0)
    n += (size_t)snprintf(buf + n, cap - n, "byte %lld: ", (long long)err->offset);
  if (n < cap)
    snprintf(buf + n, cap - n, "%s", err->msg[0] ? err->msg : tv_strerror(err->code));
  return buf;
}
