/* test_intern.c: the string table. */
#include "check.h"
#include "traceview/intern.h"

#include <stdio.h>

static void test_empty_is_zero(void) {
  tv_intern_t t;
  CHECK_EQ(tv_intern_init(&t), 0);
  CHECK_EQ(tv_intern(&t, tv_str("", 0), NULL), TV_NO_STRING);
  CHECK_EQ(t.n, 1);
  tv_intern_free(&t);
}

static void test_dedup_and_growth(void) {
  tv_intern_t t;
  CHECK_EQ(tv_intern_init(&t), 0);
  static char bufs[20000][16];
  for (int i = 0; i < 20000; i++) {
    int len = snprintf(bufs[i], sizeof bufs[i], "name%d", i);
    int is_new;
    CHECK_EQ(tv_intern(&t, tv_str(bufs[i], (size_t)len), &is_new), i + 1);
    CHECK(is_new);
  }
  /* Same content at another address gets the same id. */
  char again[16];
  for (int i = 0; i < 20000; i += 97) {
    int len = snprintf(again, sizeof again, "name%d", i);
    int is_new;
    CHECK_EQ(tv_intern(&t, tv_str(again, (size_t)len), &is_new), i + 1);
    CHECK(!is_new);
    CHECK_EQ(tv_intern_find(&t, tv_str(again, (size_t)len)), i + 1);
  }
  CHECK_EQ(tv_intern_find(&t, TV_STR_LIT("absent")), UINT32_MAX);
  /* Prefixes and embedded NULs are distinct strings. */
  uint32_t a = tv_intern(&t, tv_str("ab\0c", 4), NULL), b = tv_intern(&t, tv_str("ab", 2), NULL);
  CHECK(a != b);
  tv_intern_free(&t);
}

static void test_arena_copies_survive(void) {
  tv_intern_t t, u;
  CHECK_EQ(tv_intern_init(&t), 0);
  CHECK_EQ(tv_intern_init(&u), 0);
  char *big = tv_intern_alloc(&t, 100000); /* larger than a block */
  CHECK(big != NULL);
  memset(big, 'x', 100000);
  char *c = tv_intern_copy(&t, "decoded", 7);
  uint32_t id = tv_intern(&t, tv_str(c, 7), NULL);
  tv_intern_adopt_arena(&u, &t);
  tv_str_t s = tv_intern_str(&t, id);
  tv_intern_free(&t); /* the copy now belongs to u */
  CHECK(memcmp(s.p, "decoded", 7) == 0);
  CHECK(big[99999] == 'x');
  tv_intern_free(&u);
}

int main(void) {
  static const check_case_t cases[] = {
      {"empty string is id 0", test_empty_is_zero},
      {"dedup and growth", test_dedup_and_growth},
      {"arena copies survive adoption", test_arena_copies_survive},
      {NULL, NULL},
  };
  return check_run(cases);
}
