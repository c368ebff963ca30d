/* check.h: tiny assertion helpers for unit tests (libuv ASSERT_* style).
 * A failed check prints both values and exits non-zero; each test file is its
 * own executable and its own ctest. */
#ifndef TRACEVIEW_TEST_CHECK_H
#define TRACEVIEW_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FAIL_(...)                                                    \
  do {                                                                      \
    fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__);           \
    fprintf(stderr, __VA_ARGS__);                                           \
    fputc('\n', stderr);                                                    \
    exit(1);                                                                \
  } while (0)

#define CHECK(cond)                                                         \
  do { if (!(cond)) CHECK_FAIL_("%s", #cond); } while (0)

#define CHECK_EQ(a, b)                                                      \
  do {                                                                      \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                           \
    if (a_ != b_)                                                           \
      CHECK_FAIL_("%s == %s (%" PRId64 " vs %" PRId64 ")", #a, #b, a_, b_); \
  } while (0)

#define CHECK_STREQ(a, b)                                                   \
  do {                                                                      \
    const char *a_ = (a), *b_ = (b);                                        \
    if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
      CHECK_FAIL_("%s == %s (\"%s\" vs \"%s\")", #a, #b, a_ ? a_ : "(null)", \
                  b_ ? b_ : "(null)");                                      \
  } while (0)

#define CHECK_NULL(a)                                                       \
  do { const void *a_ = (a); if (a_) CHECK_FAIL_("%s is NULL", #a); } while (0)

/* A test file lists its cases in a table and calls check_run. */
typedef struct check_case {
  const char *name;
  void (*fn)(void);
} check_case_t;

static inline int check_run(const check_case_t *cases) {
  int n = 0;
  for (const check_case_t *c = cases; c->name; c++, n++) {
    c->fn();
    printf("ok %s\n", c->name);
  }
  printf("%d checks passed\n", n);
  return 0;
}

#endif
