/* test_order.c: the radix sort, and the store's slice order against a
 * reference (qsort by start, longer first, offset, then input order; a stack
 * for depth and self time; a stable regroup by depth), on random slices with
 * many ties, split into chunks presorted or not. */
#include "check.h"
#include "traceview/lod.h"
#include "traceview/order.h"
#include "traceview/store.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void test_radix_stable(void) {
  for (size_t n = 0; n < 5000; n = n * 3 + 1) {
    tv_order_item_t *a = malloc((n + 1) * sizeof *a), *tmp = malloc((n + 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++) {
      /* keys from narrow to full 64-bit width */
      uint64_t k = next();
      a[i].key = n % 2 ? k % 7 : (n % 3 ? k : k << 40);
      a[i].row = i;
    }
    tv_radix_sort(a, tmp, n);
    for (size_t i = 1; i < n; i++) {
      CHECK(a[i - 1].key <= a[i].key);
      if (a[i - 1].key == a[i].key) CHECK(a[i - 1].row < a[i].row);
    }
    free(a);
    free(tmp);
  }
  CHECK_EQ(tv_order_key(-5, -5), 0);
  CHECK(tv_order_key(INT64_MAX, INT64_MIN) == UINT64_MAX);
}

typedef struct ref {
  int64_t start, dur, self;
  uint64_t off;
  uint32_t idx, depth;
} ref_t;

static int cmp_ref(const void *x, const void *y) {
  const ref_t *a = x, *b = y;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  if (a->dur != b->dur) return a->dur > b->dur ? -1 : 1;
  if (a->off != b->off) return a->off < b->off ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_depth(const void *x, const void *y) {
  const ref_t *a = x, *b = y;
  if (a->depth != b->depth) return a->depth < b->depth ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx; /* idx: position in start order */
}

/* The old algorithm, written plainly. */
static void reference(ref_t *r, size_t n) {
  qsort(r, n, sizeof *r, cmp_ref);
  size_t *stack = malloc((n + 1) * sizeof *stack), top = 0;
  for (size_t i = 0; i < n; i++) {
    while (top && r[stack[top - 1]].start + r[stack[top - 1]].dur <= r[i].start) top--;
    r[i].depth = (uint32_t)top;
    r[i].self = r[i].dur;
    if (top) {
      ref_t *p = &r[stack[top - 1]];
      int64_t end = r[i].start + r[i].dur, pend = p->start + p->dur;
      p->self -= (end < pend ? end : pend) - r[i].start;
      if (p->self < 0) p->self = 0;
    }
    if (r[i].dur > 0) stack[top++] = i;
    r[i].idx = (uint32_t)i;
  }
  qsort(r, n, sizeof *r, cmp_depth);
  free(stack);
}

static void random_case(size_t n, size_t n_chunks, int presort_mask, int shape) {
  ref_t *r = malloc(n * sizeof *r);
  tv_builder_t b[6];
  for (size_t c = 0; c < n_chunks; c++) CHECK_EQ(tv_builder_init(&b[c]), 0);
  int64_t t = 1000;
  for (size_t i = 0; i < n; i++) {
    int64_t start, dur;
    if (shape == 0) { /* completion order, nested (LLVM) */
      dur = (int64_t)(next() % 50);
      start = t - dur - (int64_t)(next() % 3);
      t += (int64_t)(next() % 20);
    } else { /* anything, with many equal starts and durations */
      start = (int64_t)(next() % 64) - 10;
      dur = (int64_t)(next() % 8);
    }
    uint64_t off = shape == 1 && i % 5 == 0 ? 7 : i * 3; /* some equal offsets */
    r[i] = (ref_t){start, dur, 0, off, (uint32_t)i, 0};
    tv_builder_t *bb = &b[i * n_chunks / n];
    tv_thread_t *th = tv_builder_thread(bb, 1, 1);
    CHECK_EQ(tv_builder_add_slice(bb, th, start, dur, (uint32_t)0, 0, 0, off), 0);
  }
  for (size_t c = 0; c < n_chunks; c++)
    if (presort_mask & (1 << c)) CHECK_EQ(tv_builder_presort(&b[c]), 0);
  tv_store_t st;
  tv_error_t err;
  CHECK_EQ(tv_store_build(&st, b, n_chunks, &err), 0);
  reference(r, n);
  const tv_slices_t *s = &st.t.threads[0].slices;
  CHECK_EQ(s->n, n);
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ(s->start_ns[i], r[i].start);
    CHECK_EQ(s->dur_ns[i], r[i].dur);
    CHECK_EQ(tv_slice_off(s, i), r[i].off);
    CHECK_EQ(s->depth[i], r[i].depth);
    CHECK_EQ(tv_slice_self(&st.t.threads[0], i), r[i].self);
  }
  tv_store_free(&st);
  free(r);
}

static void test_slice_order_matches_reference(void) {
  size_t sizes[] = {1, 2, 3, 10, 100, 3000};
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
    for (size_t chunks = 1; chunks <= 6; chunks++)
      for (int shape = 0; shape < 2; shape++)
        for (int mask = 0; mask < 4; mask++)
          if (chunks <= sizes[si])
            random_case(sizes[si], chunks, mask == 3 ? 0x3f : mask == 2 ? 0x15 : mask, shape);
}

int main(void) {
  test_radix_stable();
  test_slice_order_matches_reference();
  puts("order: ok");
  return 0;
}
