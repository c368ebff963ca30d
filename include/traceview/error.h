/* error.h: error codes and error details shared by every module.
 *
 * Functions return 0 or a negative TV_E* code. Details (file, byte offset,
 * message) go into a caller's tv_error_t, which may be NULL. */
#ifndef TRACEVIEW_ERROR_H
#define TRACEVIEW_ERROR_H

#include <stddef.h>
#include <stdint.h>

/* X(name, value, exit code, description) */
#define TV_ERROR_MAP(X)                                              \
  X(OK,       0,  0, "success")                                      \
  X(USAGE,   -1,  2, "usage error")                                  \
  X(IO,      -2,  1, "cannot read file")                             \
  X(FORMAT,  -3,  1, "unrecognised file format")                     \
  X(SYNTAX,  -4,  1, "malformed trace")                              \
  X(RANGE,   -5,  1, "number out of range")                          \
  X(UTF8,    -6,  1, "invalid UTF-8")                                \
  X(NOMEM,   -7,  1, "out of memory")                                \
  X(LIMIT,   -8,  1, "limit exceeded")                               \
  X(UNSUPPORTED, -9, 1, "not supported yet")

enum {
#define TV__ERR_ENUM(name, val, exitc, desc) TV_E##name = (val),
  TV_ERROR_MAP(TV__ERR_ENUM)
#undef TV__ERR_ENUM
};

typedef struct tv_error {
  int code;          /* TV_E* */
  char file[512];    /* file the error is about, or "" */
  int64_t offset;    /* byte offset in that file, or -1 */
  char msg[512];     /* what was found and what was expected */
} tv_error_t;

/** name of a code, e.g. "syntax" */
const char *tv_strerror(int code);
/** process exit code for an error code (0, 1 or 2) */
int tv_exit_code(int code);
/** fills err (if not NULL) and returns code; msg is printf-style */
int tv_error_set(tv_error_t *err, int code, const char *file, int64_t offset,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** "FILE: at byte N: MSG" (parts left out when unknown) into buf */
const char *tv_error_format(const tv_error_t *err, char *buf, size_t cap);

#endif
