/* str.h: string views. Trace strings point into the mapped file (or into an
 * arena for strings that had to be unescaped) and are valid while the trace
 * that owns them lives. Never NUL-terminated unless said so. */
#ifndef TRACEVIEW_STR_H
#define TRACEVIEW_STR_H

#include <stddef.h>
#include <string.h>

typedef struct tv_str {
  const char *p;
  size_t len;
} tv_str_t;

#define TV_STR_LIT(s) ((tv_str_t){(s), sizeof(s) - 1})

static inline tv_str_t tv_str(const char *p, size_t len) {
  return (tv_str_t){p, len};
}
static inline int tv_str_eq(tv_str_t a, tv_str_t b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}
static inline int tv_str_eq_lit(tv_str_t a, const char *lit) {
  return tv_str_eq(a, tv_str(lit, strlen(lit)));
}

#endif
