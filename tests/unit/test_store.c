/* test_store.c: B/E matching, ordering, nesting and self time (the rules in
 * docs/cli.md "Nesting and self time"), and merging builders. */
#include "check.h"
#include "traceview/lod.h"
#include "traceview/store.h"
#include "traceview/trace.h"

typedef struct ev {
  char kind; /* 'X', 'B', 'E' */
  int64_t ts, dur;
  const char *name;
} ev_t;

/* Builds a one-thread store from evs, split into n_builders chunks. */
static void build(tv_store_t *st, const ev_t *evs, size_t n, size_t n_builders) {
  tv_builder_t b[4];
  for (size_t k = 0; k < n_builders; k++) CHECK_EQ(tv_builder_init(&b[k]), 0);
  for (size_t i = 0; i < n; i++) {
    tv_builder_t *bb = &b[i * n_builders / n];
    tv_thread_t *th = tv_builder_thread(bb, 1, 1);
    uint32_t name = tv_intern(&bb->strings, tv_str(evs[i].name, strlen(evs[i].name)), NULL);
    if (evs[i].kind == 'X')
      CHECK_EQ(tv_builder_add_slice(bb, th, evs[i].ts, evs[i].dur, name, 0, 0, i * 10), 0);
    else
      CHECK_EQ(tv_builder_add_mark(bb, th, evs[i].kind == 'B', evs[i].ts, name, 0, 0, i * 10), 0);
  }
  tv_error_t err;
  CHECK_EQ(tv_store_build(st, b, n_builders, &err), 0);
}

/* "name@start+dur/depth/self" for every slice, in store order. */
static void dump(const tv_store_t *st, char *out, size_t cap) {
  size_t o = 0;
  out[0] = '\0';
  const tv_slices_t *s = &st->t.threads[0].slices;
  for (size_t i = 0; i < s->n && o < cap; i++) {
    tv_str_t nm = tv_store_str(st, s->name[i]);
    o += (size_t)snprintf(out + o, cap - o, "%s%.*s@%lld+%lld/%u/%lld", i ? " " : "", (int)nm.len,
                          nm.p, (long long)s->start_ns[i], (long long)s->dur_ns[i], s->depth[i],
                          (long long)tv_slice_self(&st->t.threads[0], i));
  }
}

/* Invariant (1) of store.h: depth runs are disjoint and sorted. */
static void check_depth_runs(const tv_thread_t *th) {
  const tv_slices_t *s = &th->slices;
  CHECK_EQ(th->depth_begin[0], 0);
  CHECK_EQ(th->depth_begin[th->max_depth], s->n);
  for (uint32_t d = 0; d < th->max_depth; d++)
    for (uint64_t i = th->depth_begin[d]; i < th->depth_begin[d + 1]; i++) {
      CHECK_EQ(s->depth[i], d);
      if (i > th->depth_begin[d])
        CHECK(s->start_ns[i - 1] + s->dur_ns[i - 1] <= s->start_ns[i]);
    }
}

/* Self time as the store computed and stored it before it was derived: the
 * slices in (start, longer first, offset) order, a stack of open slices (zero
 * length ones never pushed), each slice taking its part inside its parent,
 * min(end, parent end) - start, off the parent's self time, floored at 0. */
static const tv_slices_t *ref_s;
static int cmp_ref(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  const tv_slices_t *s = ref_s;
  if (s->start_ns[a] != s->start_ns[b]) return s->start_ns[a] < s->start_ns[b] ? -1 : 1;
  if (s->dur_ns[a] != s->dur_ns[b]) return s->dur_ns[a] > s->dur_ns[b] ? -1 : 1;
  if (tv_slice_off(s, a) != tv_slice_off(s, b)) return tv_slice_off(s, a) < tv_slice_off(s, b) ? -1 : 1;
  return a < b ? -1 : a > b;
}

static void reference_self(const tv_thread_t *th, int64_t *self) {
  const tv_slices_t *s = &th->slices;
  uint64_t *order = malloc((s->n + 1) * sizeof *order), *stack = malloc((s->n + 1) * sizeof *stack);
  CHECK(order && stack);
  for (uint64_t i = 0; i < s->n; i++) order[i] = i;
  ref_s = s;
  qsort(order, s->n, sizeof *order, cmp_ref);
  size_t top = 0;
  for (uint64_t k = 0; k < s->n; k++) {
    uint64_t i = order[k];
    int64_t start = s->start_ns[i], end = start + s->dur_ns[i];
    while (top > 0 && s->start_ns[stack[top - 1]] + s->dur_ns[stack[top - 1]] <= start) top--;
    self[i] = s->dur_ns[i];
    if (top > 0) {
      uint64_t p = stack[top - 1];
      int64_t pend = s->start_ns[p] + s->dur_ns[p];
      self[p] -= (end < pend ? end : pend) - start;
      if (self[p] < 0) self[p] = 0;
    }
    if (s->dur_ns[i] > 0) stack[top++] = i;
  }
  free(order);
  free(stack);
}

/* tv_slice_self and tv_self_walk agree with the reference. */
static void check_self(const tv_thread_t *th) {
  const tv_slices_t *s = &th->slices;
  int64_t *want = malloc((s->n + 1) * sizeof *want);
  CHECK(want);
  reference_self(th, want);
  for (uint64_t i = 0; i < s->n; i++) {
    CHECK_EQ(tv_slice_self(th, i), want[i]);
    CHECK(want[i] >= 0 && want[i] <= s->dur_ns[i]);
  }
  tv_self_walk_t w;
  CHECK_EQ(tv_self_walk_init(&w, th), 0);
  for (uint64_t i = 0; i < s->n; i++) CHECK_EQ(tv_self_walk_next(&w, i), want[i]);
  tv_self_walk_free(&w);
  free(want);
}

static void expect(const ev_t *evs, size_t n, const char *want, uint64_t diag_kind,
                   uint64_t diag_count) {
  for (size_t nb = 1; nb <= 3 && nb <= n; nb++) {
    tv_store_t st;
    char got[1024];
    build(&st, evs, n, nb);
    dump(&st, got, sizeof got);
    CHECK_STREQ(got, want);
    check_depth_runs(&st.t.threads[0]);
    check_self(&st.t.threads[0]);
    if (diag_count) CHECK_EQ(st.t.diag.count[diag_kind], diag_count);
    tv_store_free(&st);
  }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_nesting_and_self(void) {
  /* Children written before parents, as LLVM does. */
  static const ev_t evs[] = {
      {'X', 2, 3, "c1"}, {'X', 6, 2, "c2"}, {'X', 0, 10, "p"}, {'X', 3, 1, "g"}, {'X', 12, 1, "q"}};
  expect(evs, N(evs), "p@0+10/0/5 q@12+1/0/1 c1@2+3/1/2 c2@6+2/1/2 g@3+1/2/1", 0, 0);
}

static void test_zero_length_are_leaves(void) {
  /* Zero-length slices at a parent's start nest under it but never swallow
   * the siblings that follow at the same timestamp. */
  static const ev_t evs[] = {
      {'X', 5, 0, "z1"}, {'X', 5, 0, "z2"}, {'X', 5, 4, "p"}, {'X', 5, 2, "c"}, {'X', 9, 0, "end"}};
  expect(evs, N(evs), "p@5+4/0/2 end@9+0/0/0 c@5+2/1/2 z1@5+0/2/0 z2@5+0/2/0", 0, 0);
}

static void test_same_start_longer_first(void) {
  static const ev_t evs[] = {{'X', 0, 1, "short"}, {'X', 0, 5, "long"}, {'X', 0, 3, "mid"}};
  expect(evs, N(evs), "long@0+5/0/2 mid@0+3/1/2 short@0+1/2/1", 0, 0);
}

static void test_overlap_is_counted(void) {
  /* b starts inside a but ends after it: one level deeper, and a's self
   * time only loses the overlapping part. */
  static const ev_t evs[] = {{'X', 0, 10, "a"}, {'X', 5, 10, "b"}};
  expect(evs, N(evs), "a@0+10/0/5 b@5+10/1/10", TV_DIAG_overlapping, 1);
}

static void test_self_edge_cases(void) {
  /* Zero-length children take nothing, nor does a zero-length slice at a
   * parent's end (top level: zend); a child ending after its parent takes
   * only its part inside (o from p, q from oo) and stays open for what
   * starts inside it (q nests in oo, z10 in q). */
  static const ev_t evs[] = {{'X', 0, 10, "p"},  {'X', 0, 0, "z0"},  {'X', 4, 0, "z4"},
                             {'X', 10, 0, "z10"}, {'X', 10, 5, "q"}, {'X', 8, 4, "o"},
                             {'X', 9, 2, "oo"},  {'X', 13, 1, "r"},  {'X', 20, 10, "s"},
                             {'X', 30, 0, "zend"}};
  expect(evs, N(evs),
         "p@0+10/0/8 s@20+10/0/10 zend@30+0/0/0 z0@0+0/1/0 z4@4+0/1/0 o@8+4/1/2 oo@9+2/2/1 "
         "q@10+5/3/4 z10@10+0/4/0 r@13+1/4/1",
         TV_DIAG_overlapping, 2);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(uint64_t n) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state % n;
}

static void test_self_random(void) {
  /* Random X and B/E events, many nested, some overlapping, some zero-length,
   * many sharing timestamps. */
  static char names[4][2] = {"a", "b", "c", "d"};
  static ev_t evs[6000];
  for (int round = 0; round < 306; round++) {
    /* a few rounds with long depth runs (tv_self_walk works in chunks) */
    size_t n = 1 + rnd(round < 300 ? 120 : N(evs));
    for (size_t i = 0; i < n; i++) {
      uint64_t k = rnd(10);
      evs[i].kind = k < 7 ? 'X' : k < 9 ? 'B' : 'E';
      evs[i].ts = (int64_t)rnd(round % 2 ? 40 : 400) * (round < 300 ? 1 : 100);
      evs[i].dur = rnd(5) == 0 ? 0 : (int64_t)rnd(round % 3 ? 60 : 400);
      evs[i].name = names[rnd(4)];
    }
    for (size_t nb = 1; nb <= 3 && nb <= n; nb++) {
      tv_store_t st;
      build(&st, evs, n, nb);
      if (st.t.n_threads) {
        check_depth_runs(&st.t.threads[0]);
        check_self(&st.t.threads[0]);
      }
      tv_store_free(&st);
    }
  }
}

static void test_self_long_runs(void) {
  /* Depth runs longer than a tv_self_walk chunk (TV_SELF_CHUNK rows): top
   * level slices with 0 to 3 random children each (zero-length ones,
   * overlapping ones that nest deeper, ones ending after their parent). */
  tv_builder_t b;
  CHECK_EQ(tv_builder_init(&b), 0);
  tv_thread_t *th = tv_builder_thread(&b, 1, 1);
  uint32_t nm = tv_intern(&b.strings, TV_STR_LIT("n"), NULL);
  uint64_t off = 0;
  for (int64_t i = 0; i < 2 * TV_SELF_CHUNK + 777; i++) {
    int64_t ts = i * 100, dur = rnd(8) ? (int64_t)rnd(100) : 0;
    CHECK_EQ(tv_builder_add_slice(&b, th, ts, dur, nm, 0, 0, off++), 0);
    for (uint64_t k = rnd(4); k > 0; k--)
      CHECK_EQ(tv_builder_add_slice(&b, th, ts + (int64_t)rnd(100), (int64_t)rnd(40), nm, 0, 0, off++), 0);
  }
  tv_store_t st;
  tv_error_t err;
  CHECK_EQ(tv_store_build(&st, &b, 1, &err), 0);
  const tv_thread_t *t = &st.t.threads[0];
  CHECK(t->depth_begin[1] > 2 * TV_SELF_CHUNK && t->depth_begin[2] - t->depth_begin[1] > TV_SELF_CHUNK);
  check_depth_runs(t);
  check_self(t);
  tv_store_free(&st);
}

static void test_self_clamped_depth(void) {
  /* A chain nested deeper than the depth column holds: the rows below
   * TV_MAX_DEPTH_STORED share that depth, overlap, and still get the self
   * times of their true nesting. */
  enum { CHAIN = TV_MAX_DEPTH_STORED + 300 };
  tv_builder_t b;
  CHECK_EQ(tv_builder_init(&b), 0);
  tv_thread_t *th = tv_builder_thread(&b, 1, 1);
  uint32_t nm = tv_intern(&b.strings, TV_STR_LIT("n"), NULL);
  uint64_t off = 0;
  for (int64_t i = 0; i < CHAIN; i++) {
    int64_t start = i * 100, end = (2 * CHAIN - i) * 100;
    if (i == CHAIN - 100) end += 250; /* overlaps its parent's end */
    CHECK_EQ(tv_builder_add_slice(&b, th, start, end - start, nm, 0, 0, off++), 0);
    if (i >= TV_MAX_DEPTH_STORED - 3 && i % 7 == 0) {
      /* leaves after the child ended, a zero-length one at the child's start */
      CHECK_EQ(tv_builder_add_slice(&b, th, end - 90, 3, nm, 0, 0, off++), 0);
      CHECK_EQ(tv_builder_add_slice(&b, th, end - 50, 4, nm, 0, 0, off++), 0);
      CHECK_EQ(tv_builder_add_slice(&b, th, start + 100, 0, nm, 0, 0, off++), 0);
    }
    if (i == TV_MAX_DEPTH_STORED - 1 || i == TV_MAX_DEPTH_STORED + 6) {
      /* a child, its child ending after it, and a slice inside that one
       * starting after the child ended: a grandchild, not a child */
      CHECK_EQ(tv_builder_add_slice(&b, th, end - 40, 10, nm, 0, 0, off++), 0);
      CHECK_EQ(tv_builder_add_slice(&b, th, end - 35, 10, nm, 0, 0, off++), 0);
      CHECK_EQ(tv_builder_add_slice(&b, th, end - 28, 1, nm, 0, 0, off++), 0);
    }
  }
  /* leaves under the deepest slice */
  for (int64_t k = 0; k < 4; k++)
    CHECK_EQ(tv_builder_add_slice(&b, th, (CHAIN - 1) * 100 + 1 + 40 * k, 30, nm, 0, 0, off++), 0);
  tv_store_t st;
  tv_error_t err;
  CHECK_EQ(tv_store_build(&st, &b, 1, &err), 0);
  const tv_thread_t *t = &st.t.threads[0];
  CHECK_EQ(t->max_depth, TV_MAX_DEPTH_STORED + 1);
  CHECK(st.t.diag.count[TV_DIAG_depth_clamped] > 300);
  CHECK_EQ(st.t.diag.count[TV_DIAG_overlapping], 3);
  check_self(t);
  /* Spot checks: those two chain slices keep 100 ns at each end minus their
   * two leaves (3 + 4 ns) and their last child (10 ns), above and below the
   * clamp. */
  int found = 0;
  for (uint64_t r = 0; r < t->slices.n; r++) {
    int64_t st0 = t->slices.start_ns[r];
    if ((st0 == (TV_MAX_DEPTH_STORED - 1) * 100 || st0 == (TV_MAX_DEPTH_STORED + 6) * 100) &&
        t->slices.dur_ns[r] > 0) {
      CHECK_EQ(tv_slice_self(t, r), 200 - 3 - 4 - 10);
      CHECK_EQ(t->slices.depth[r], st0 < TV_MAX_DEPTH_STORED * 100 ? TV_MAX_DEPTH_STORED - 1
                                                                     : TV_MAX_DEPTH_STORED);
      found++;
    }
  }
  CHECK_EQ(found, 2);
  tv_store_free(&st);
}

static void test_offsets_40_bits(void) {
  /* Offsets past 4 GiB keep their high bits through merging and sorting:
   * equal start and duration order by the whole offset, so "lo" is the
   * parent and "hi" its child (the low 32 bits alone would swap them). */
  static const uint64_t offs[] = {(UINT64_C(1) << 32) + 1, 5, TV_SLICE_OFF_MAX,
                                  UINT64_C(0xAB12345678), TV_SLICE_OFF_MAX + 1,
                                  UINT64_MAX};
  static const char *const names[] = {"hi", "lo", "max", "mid", "over", "huge"};
  for (size_t nb = 1; nb <= 2; nb++) {
    tv_builder_t b[2];
    for (size_t k = 0; k < nb; k++) CHECK_EQ(tv_builder_init(&b[k]), 0);
    for (size_t i = 0; i < N(offs); i++) {
      tv_builder_t *bb = &b[i * nb / N(offs)];
      tv_thread_t *th = tv_builder_thread(bb, 1, 1);
      uint32_t nm = tv_intern(&bb->strings, tv_str(names[i], strlen(names[i])), NULL);
      int64_t ts = i < 2 ? 0 : 100 * (int64_t)i; /* "hi" and "lo" tie on start and dur */
      CHECK_EQ(tv_builder_add_slice(bb, th, ts, 10, nm, 0, 0, offs[i]), 0);
    }
    tv_store_t st;
    tv_error_t err;
    CHECK_EQ(tv_store_build(&st, b, nb, &err), 0);
    const tv_slices_t *s = &st.t.threads[0].slices;
    CHECK_EQ(s->n, N(offs));
    CHECK(tv_str_eq_lit(tv_store_str(&st, s->name[0]), "lo"));
    CHECK(tv_str_eq_lit(tv_store_str(&st, s->name[s->n - 1]), "hi"));
    CHECK_EQ(s->depth[s->n - 1], 1);
    for (size_t r = 0; r < s->n; r++) {
      size_t i = 0;
      while (!tv_str_eq(tv_store_str(&st, s->name[r]), tv_str(names[i], strlen(names[i])))) i++;
      /* Beyond 40 bits (never from a reader: see below) it saturates. */
      CHECK_EQ(tv_slice_off(s, r), offs[i] > TV_SLICE_OFF_MAX ? TV_SLICE_OFF_MAX : offs[i]);
    }
    tv_store_free(&st);
  }
  /* Inputs beyond 1 TiB are refused before a byte is read, naming the file
   * (the length is a lie: the check must not touch the bytes). */
  static const char small[] = "[]";
  tv_trace_t t;
  tv_error_t err = {0};
  CHECK_EQ(tv_trace_open_memory(&t, small, (size_t)TV_MAX_INPUT_BYTES + 1, "huge.json", NULL,
                                &err),
           TV_ELIMIT);
  CHECK_STREQ(err.file, "huge.json");
  CHECK(strstr(err.msg, "1099511627777 bytes") && strstr(err.msg, "up to 1 TiB"));
}

static void test_begin_end(void) {
  static const ev_t evs[] = {{'B', 0, 0, "outer"}, {'B', 2, 0, "inner"}, {'E', 4, 0, "x"},
                             {'E', 10, 0, "y"}};
  expect(evs, N(evs), "outer@0+10/0/8 inner@2+2/1/2", 0, 0);
}

static void test_begin_end_out_of_file_order(void) {
  /* Matching follows timestamps, not file order. */
  static const ev_t evs[] = {{'E', 10, 0, ""}, {'B', 0, 0, "a"}, {'E', 4, 0, ""}, {'B', 2, 0, "b"}};
  expect(evs, N(evs), "a@0+10/0/8 b@2+2/1/2", 0, 0);
}

static void test_unmatched(void) {
  static const ev_t evs[] = {{'E', 1, 0, ""}, {'B', 2, 0, "open"}, {'X', 3, 4, "x"}};
  /* "open" is closed at the end of the trace (7, the end of x). */
  expect(evs, N(evs), "open@2+5/0/1 x@3+4/1/4", TV_DIAG_unmatched_end, 1);
  expect(evs, N(evs), "open@2+5/0/1 x@3+4/1/4", TV_DIAG_unclosed_begin, 1);
}

static void test_merge_metadata_and_strings(void) {
  tv_builder_t b[2];
  tv_store_t st;
  tv_error_t err;
  for (int k = 0; k < 2; k++) CHECK_EQ(tv_builder_init(&b[k]), 0);
  /* Chunk 0 names thread 7 "first"; chunk 1 renames it (later wins) and adds
   * a string chunk 0 never saw. */
  tv_thread_t *t0 = tv_builder_thread(&b[0], 1, 7);
  t0->name = tv_intern(&b[0].strings, TV_STR_LIT("first"), NULL);
  t0->listed = true;
  tv_thread_t *t1 = tv_builder_thread(&b[1], 1, 7);
  t1->name = tv_intern(&b[1].strings, TV_STR_LIT("second"), NULL);
  uint32_t nm = tv_intern(&b[1].strings, TV_STR_LIT("only-in-chunk-1"), NULL);
  uint32_t cat = tv_intern(&b[1].strings, TV_STR_LIT("cat1"), NULL);
  CHECK_EQ(tv_builder_add_slice(&b[1], t1, 5, 1, nm, 0, tv_builder_cat(&b[1], cat), 0), 0);
  CHECK_EQ(tv_store_build(&st, b, 2, &err), 0);
  const tv_thread_t *th = tv_store_thread(&st, 1, 7);
  CHECK(th != NULL);
  CHECK(tv_str_eq_lit(tv_store_str(&st, th->name), "second"));
  CHECK(tv_str_eq_lit(tv_store_str(&st, th->slices.name[0]), "only-in-chunk-1"));
  CHECK(tv_str_eq_lit(tv_store_str(&st, st.t.cats[th->slices.cat[0]]), "cat1"));
  tv_store_free(&st);
}

int main(void) {
  static const check_case_t cases[] = {
      {"nesting and self time", test_nesting_and_self},
      {"zero-length slices are leaves", test_zero_length_are_leaves},
      {"same start: longer first", test_same_start_longer_first},
      {"overlapping slices are counted", test_overlap_is_counted},
      {"self time: zero-length and overlapping children", test_self_edge_cases},
      {"self time: random nesting against the stored-column model", test_self_random},
      {"self time: depth runs longer than a chunk", test_self_long_runs},
      {"self time beyond the clamped depth", test_self_clamped_depth},
      {"byte offsets are 40 bits; larger inputs are refused", test_offsets_40_bits},
      {"B/E pairs", test_begin_end},
      {"B/E matched in timestamp order", test_begin_end_out_of_file_order},
      {"unmatched E dropped, unclosed B closed", test_unmatched},
      {"merge keeps later metadata and remaps strings", test_merge_metadata_and_strings},
      {NULL, NULL},
  };
  return check_run(cases);
}
