/* test_flame_prune.c: pruning an already pruned flame tree (what the server
 * does with its cached whole-trace trees, server/served.c) answers exactly
 * what pruning the full tree would, node for node:
 *
 *   prune(prune(full, a), b) == prune(full, b)            for b >= a
 *   invert_pruned(full, a) == prune(invert(full), a)
 *   prune(invert_pruned(full, a), b) == prune(invert(full), b)
 *   focus_build(store, frame) == focus(build(store), frame)  (callers, callees)
 *
 * "Node for node": both trees walked depth-first with children as linked
 * (left-heavy: total descending, then label ids; "other" last among equal
 * totals), each pair of nodes with the same parent position, name, detail
 * (the folded-frame count of an "other" node), depth, total and self.
 *
 * On real corpus traces (LLVM time traces, clang -ftime-trace, node B/E
 * traces, folded and perf stacks, whose sample counts make many ties), all
 * three labels, and on a hand-made trace with known numbers: an "other" node
 * larger than kept siblings, ties on both sides of a threshold, "other"
 * nodes whose own total crosses the larger threshold. */
#include "check.h"
#include "traceview/flame.h"
#include "traceview/trace.h"

#include <stdbool.h>

/* ------------------------------------------------------------ helpers */

static uint32_t next_preorder(const tv_flame_t *f, uint32_t v) {
  if (f->nodes[v].first_child != TV_FLAME_NONE) return f->nodes[v].first_child;
  while (v != TV_FLAME_ROOT && f->nodes[v].next_sibling == TV_FLAME_NONE) v = f->nodes[v].parent;
  return v == TV_FLAME_ROOT ? TV_FLAME_NONE : f->nodes[v].next_sibling;
}

/* Structure every finished tree has: parents before children, depths, self =
 * total - children, children left-heavy, no slack kept. */
static void check_shape(const tv_flame_t *f, const char *what) {
  if (f->n == 0) CHECK_FAIL_("%s: no root", what);
  if (f->cap != f->n) CHECK_FAIL_("%s: capacity %zu for %zu nodes (slack kept)", what, f->cap, f->n);
  for (size_t i = 0; i < f->n; i++) {
    const tv_flame_node_t *n = &f->nodes[i];
    int64_t sum = 0, prev = INT64_MAX;
    uint32_t prev_name = 0, prev_detail = 0;
    for (uint32_t c = n->first_child; c != TV_FLAME_NONE; c = f->nodes[c].next_sibling) {
      const tv_flame_node_t *k = &f->nodes[c];
      if (k->parent != i || k->depth != n->depth + 1 || c <= i)
        CHECK_FAIL_("%s: node %u under %zu: parent %u depth %u", what, c, i, k->parent, k->depth);
      bool ordered = k->total_ns < prev ||
                     (k->total_ns == prev && (k->name > prev_name ||
                                              (k->name == prev_name && k->detail > prev_detail)));
      if (c != n->first_child && !ordered) CHECK_FAIL_("%s: children of %zu out of order", what, i);
      prev = k->total_ns;
      prev_name = k->name;
      prev_detail = k->detail;
      sum += k->total_ns;
    }
    int64_t self = n->total_ns - sum;
    if (n->self_ns != (self > 0 ? self : 0))
      CHECK_FAIL_("%s: node %zu self %" PRId64 ", total %" PRId64 " children %" PRId64, what, i,
                  n->self_ns, n->total_ns, sum);
    if (n->name == TV_FLAME_OTHER && n->first_child != TV_FLAME_NONE)
      CHECK_FAIL_("%s: an other node with children", what);
  }
}

static void check_same(const tv_flame_t *want, const tv_flame_t *got, const char *what) {
  check_shape(want, what);
  check_shape(got, what);
  if (want->n != got->n) CHECK_FAIL_("%s: %zu nodes, expected %zu", what, got->n, want->n);
  /* position in preorder of each node, to compare parents */
  uint32_t *pos_w = malloc(want->n * sizeof *pos_w), *pos_g = malloc(got->n * sizeof *pos_g);
  CHECK(pos_w && pos_g);
  uint32_t w = TV_FLAME_ROOT, g = TV_FLAME_ROOT, k = 0;
  for (; w != TV_FLAME_NONE && g != TV_FLAME_NONE; k++) {
    const tv_flame_node_t *a = &want->nodes[w], *b = &got->nodes[g];
    pos_w[w] = pos_g[g] = k;
    uint32_t pa = a->parent == TV_FLAME_NONE ? UINT32_MAX : pos_w[a->parent];
    uint32_t pb = b->parent == TV_FLAME_NONE ? UINT32_MAX : pos_g[b->parent];
    if (pa != pb || a->name != b->name || a->detail != b->detail || a->depth != b->depth ||
        a->total_ns != b->total_ns || a->self_ns != b->self_ns)
      CHECK_FAIL_("%s: node %u in preorder: got (parent %u, name %u, detail %u, depth %u, total "
                  "%" PRId64 ", self %" PRId64 "), expected (%u, %u, %u, %u, %" PRId64 ", %" PRId64
                  ")", what, k, pb, b->name, b->detail, b->depth, b->total_ns, b->self_ns, pa,
                  a->name, a->detail, a->depth, a->total_ns, a->self_ns);
    w = next_preorder(want, w);
    g = next_preorder(got, g);
  }
  if (w != g || k != want->n) CHECK_FAIL_("%s: preorder lengths differ", what);
  free(pos_w);
  free(pos_g);
}

static size_t count_other(const tv_flame_t *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->n; i++) n += f->nodes[i].name == TV_FLAME_OTHER;
  return n;
}

/* Fractions: a is the cache's, b the request's. */
static const double FRACS[] = {0, 1e-6, 5e-6, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2,
                               3e-2, 0.1, 0.3, 0.9};
#define N_FRACS (sizeof FRACS / sizeof FRACS[0])

typedef struct stats {
  size_t pairs, nontrivial; /* nontrivial: prune(full, a) had "other" nodes and
                               pruning it again at b folded more */
} stats_t;

/* All the identities on one full tree. */
static void check_tree(const tv_flame_t *full, const char *what, stats_t *st) {
  char msg[512];
  tv_flame_t inv, by_b[N_FRACS], inv_by_b[N_FRACS];
  CHECK_EQ(tv_flame_invert(&inv, full), 0);
  for (size_t j = 0; j < N_FRACS; j++) {
    CHECK_EQ(tv_flame_prune(&by_b[j], full, FRACS[j]), 0);
    CHECK_EQ(tv_flame_prune(&inv_by_b[j], &inv, FRACS[j]), 0);
    /* the inverted tree pruned without the whole inverted tree */
    tv_flame_t direct;
    CHECK_EQ(tv_flame_invert_pruned(&direct, full, FRACS[j]), 0);
    snprintf(msg, sizeof msg, "%s: invert_pruned(full, %g) vs prune(invert(full), %g)", what,
             FRACS[j], FRACS[j]);
    check_same(&inv_by_b[j], &direct, msg);
    tv_flame_free(&direct);
  }
  /* a fraction 0 prune keeps every node */
  CHECK_EQ(by_b[0].n, full->n);
  CHECK_EQ(inv_by_b[0].n, inv.n);
  for (size_t i = 0; i < N_FRACS; i++)
    for (int view = 0; view < 2; view++) {
      const tv_flame_t *cached = view ? &inv_by_b[i] : &by_b[i];
      for (size_t j = i; j < N_FRACS; j++) {
        tv_flame_t again;
        CHECK_EQ(tv_flame_prune(&again, cached, FRACS[j]), 0);
        snprintf(msg, sizeof msg, "%s: %s prune(prune(full, %g), %g) vs prune(full, %g)", what,
                 view ? "inverted" : "normal", FRACS[i], FRACS[j], FRACS[j]);
        check_same(view ? &inv_by_b[j] : &by_b[j], &again, msg);
        st->pairs++;
        st->nontrivial += j > i && count_other(cached) > 0 && again.n < cached->n;
        tv_flame_free(&again);
      }
    }
  for (size_t j = 0; j < N_FRACS; j++) {
    tv_flame_free(&by_b[j]);
    tv_flame_free(&inv_by_b[j]);
  }
  tv_flame_free(&inv);
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* tv_flame_focus_build == tv_flame_focus(tv_flame_build(...)) for the
 * heaviest frames at a few depths and the most repeated one (recursion:
 * only outermost occurrences count), callers and callees. */
static void check_focus(const tv_store_t *st, const tv_flame_t *full, const tv_flame_opts_t *fo,
                        const char *what, size_t *n_checked) {
  enum { MAX_FRAMES = 12 };
  uint32_t frames[MAX_FRAMES][2];
  size_t n_frames = 0;
  /* the heaviest node at each depth 1..6, then the label seen at most nodes */
  for (uint32_t d = 1; d <= 6 && n_frames < MAX_FRAMES; d++) {
    uint32_t best = TV_FLAME_NONE;
    for (size_t i = 1; i < full->n; i++)
      if (full->nodes[i].depth == d &&
          (best == TV_FLAME_NONE || full->nodes[i].total_ns > full->nodes[best].total_ns))
        best = (uint32_t)i;
    if (best == TV_FLAME_NONE) break;
    frames[n_frames][0] = full->nodes[best].name;
    frames[n_frames++][1] = full->nodes[best].detail;
  }
  if (full->n > 1) {
    uint64_t *labels = malloc(full->n * sizeof *labels);
    CHECK(labels != NULL);
    for (size_t i = 1; i < full->n; i++)
      labels[i - 1] = (uint64_t)full->nodes[i].name << 32 | full->nodes[i].detail;
    qsort(labels, full->n - 1, sizeof *labels, cmp_u64);
    size_t best = 0, best_run = 0;
    for (size_t i = 0, run = 0; i < full->n - 1; i++) {
      run = i && labels[i] == labels[i - 1] ? run + 1 : 1;
      if (run > best_run) best_run = run, best = i;
    }
    frames[n_frames][0] = (uint32_t)(labels[best] >> 32);
    frames[n_frames++][1] = (uint32_t)labels[best];
    free(labels);
  }
  /* a frame that is not in the tree: an empty answer */
  frames[n_frames][0] = TV_FLAME_OTHER - 1;
  frames[n_frames++][1] = 0;
  char msg[512];
  for (size_t k = 0; k < n_frames; k++)
    for (int callers = 0; callers < 2; callers++) {
      tv_flame_t want, got;
      CHECK_EQ(tv_flame_focus(&want, full, frames[k][0], frames[k][1], callers), 0);
      CHECK_EQ(tv_flame_focus_build(&got, st, fo, frames[k][0], frames[k][1], callers), 0);
      snprintf(msg, sizeof msg, "%s: %s of frame (%u, %u): focus_build vs focus(build)", what,
               callers ? "callers" : "callees", frames[k][0], frames[k][1]);
      check_same(&want, &got, msg);
      tv_flame_free(&want);
      tv_flame_free(&got);
      (*n_checked)++;
    }
}

static void check_trace(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TV_CORPUS_DIR, rel);
  tv_trace_t t;
  tv_error_t err = {0};
  tv_open_opts_t o = {.no_cache = true};
  if (tv_trace_open(&t, path, &o, &err) != 0) CHECK_FAIL_("cannot open %s", path);
  stats_t st = {0};
  size_t nodes[3] = {0}, n_focus = 0;
  /* a middle range and every other thread, for the focus builds */
  int64_t span = t.store.max_ns - t.store.min_ns;
  bool *half = calloc(t.store.t.n_threads + 1, sizeof *half);
  CHECK(half != NULL);
  for (size_t i = 0; i < t.store.t.n_threads; i += 2) half[i] = true;
  for (int label = TV_LABEL_BOTH; label <= TV_LABEL_NAME; label++) {
    tv_flame_t full;
    tv_flame_opts_t fo = {.label = (tv_flame_label_t)label};
    CHECK_EQ(tv_flame_build(&full, &t.store, &fo), 0);
    nodes[label] = full.n;
    char what[256];
    snprintf(what, sizeof what, "%s label %d", rel, label);
    check_tree(&full, what, &st);
    check_focus(&t.store, &full, &fo, what, &n_focus);
    tv_flame_free(&full);
    tv_flame_opts_t part = {.label = (tv_flame_label_t)label, .t0 = t.store.min_ns + span / 5,
                            .t1 = t.store.min_ns + span / 5 * 3, .threads = half};
    CHECK_EQ(tv_flame_build(&full, &t.store, &part), 0);
    snprintf(what, sizeof what, "%s label %d, range and half the threads", rel, label);
    check_focus(&t.store, &full, &part, what, &n_focus);
    tv_flame_free(&full);
  }
  free(half);
  printf("  %s: %zu/%zu/%zu nodes, %zu pairs compared, %zu that folded a pruned tree further; "
         "%zu focus builds\n", rel, nodes[0], nodes[1], nodes[2], st.pairs, st.nontrivial, n_focus);
  /* the test means something only when pruned trees were pruned further */
  if (st.nontrivial < 10) CHECK_FAIL_("%s: only %zu non-trivial pairs", rel, st.nontrivial);
  tv_trace_close(&t);
}

/* ------------------------------------------------------------- cases */

static void test_corpus(void) {
  static const char *const traces[] = {
      "rustc/memchr-2.5.0.O0.llvm_timings.json",
      "rustc/regex_lite-0.1.9.O0.llvm_timings.json.gz",
      "clang/sqlite3-3.6.11.O2.time-trace.json",
      "node/tsc-speedscope.trace.json",
      "node/npm-ls.trace.json",
      "catapult/big_trace.json",
      "perf/xz-fp.folded",
      "perf/rustc-regex-lite-fp.perf.txt",
      NULL};
  for (size_t i = 0; traces[i]; i++) check_trace(traces[i]);
}

/* A hand-made trace, one thread, in us. Root total 1000 us:
 *   A 500: a1 300, a2 100, a3 55, then 40 frames of 1 us; self 5
 *   B 300: b1 10, then 25 frames of 2 us; self 240
 *   C 100, D 100 (a tie)
 * prune(full, 0.002) (2 us) folds A's 1 us frames into one other (40 us, 40
 * frames), nothing else. Pruning that at 0.15 (150 us): at the top C and D
 * fold (200 us, 2 frames, after B); under A, a2, a3 and the other fold
 * (195 us, 42 frames); under B everything folds (60 us, 26 frames). At 0.03
 * (30 us) the other under A (40 us) is above the threshold but its frames
 * are not: it folds again, alone (40 us, 40 frames). */
static void test_handmade(void) {
  char *json = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&json, &len);
  CHECK(m != NULL);
  fputs("{\"traceEvents\":[\n", m);
#define EV(name, ts, dur) \
  fprintf(m, "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"name\":\"%s\",\"ts\":%d,\"dur\":%d},\n", name, ts, dur)
  EV("A", 0, 500);
  EV("a1", 0, 300);
  EV("a2", 300, 100);
  EV("a3", 400, 100 - 40 - 5);
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "tiny%02d", i);
    EV(name, 455 + i, 1);
  }
  EV("B", 500, 300);
  EV("b1", 500, 10);
  for (int i = 0; i < 25; i++) {
    char name[16];
    snprintf(name, sizeof name, "small%02d", i);
    EV(name, 510 + 2 * i, 2);
  }
  EV("C", 800, 100);
  EV("D", 900, 100);
#undef EV
  fputs("{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"t\"}}]}\n", m);
  CHECK_EQ(fclose(m), 0);
  tv_trace_t t;
  tv_error_t err = {0};
  tv_open_opts_t o = {.no_cache = true};
  CHECK_EQ(tv_trace_open_memory(&t, json, len, "handmade.json", &o, &err), 0);
  tv_flame_t full;
  tv_flame_opts_t fo = {.label = TV_LABEL_NAME};
  CHECK_EQ(tv_flame_build(&full, &t.store, &fo), 0);
  CHECK_EQ(full.nodes[0].total_ns, 1000000);
  stats_t st = {0};
  check_tree(&full, "handmade", &st);
  CHECK(st.nontrivial > 0);

  /* The numbers by hand: prune(prune(full, 0.002), 0.02) at the top and under B. */
  tv_flame_t p1, p2;
  CHECK_EQ(tv_flame_prune(&p1, &full, 0.002), 0);
  CHECK_EQ(count_other(&p1), 1); /* A's 40 tiny frames */
  CHECK_EQ(tv_flame_prune(&p2, &p1, 0.15), 0);
  /* top: A 500, B 300, other (C, D) 200 */
  uint32_t a = p2.nodes[0].first_child, b = p2.nodes[a].next_sibling;
  uint32_t o1 = p2.nodes[b].next_sibling;
  CHECK_EQ(p2.nodes[a].total_ns, 500000);
  CHECK_EQ(p2.nodes[b].total_ns, 300000);
  CHECK_EQ(p2.nodes[o1].name, TV_FLAME_OTHER);
  CHECK_EQ(p2.nodes[o1].detail, 2);
  CHECK_EQ(p2.nodes[o1].total_ns, 200000);
  CHECK_EQ(p2.nodes[o1].next_sibling, TV_FLAME_NONE);
  /* under A: a1 300 stays; a2 100, a3 55 and the other (40 us, 40 frames)
   * fold into one other: 195 us, 42 frames */
  uint32_t a1 = p2.nodes[a].first_child, ao = p2.nodes[a1].next_sibling;
  CHECK_EQ(p2.nodes[a1].total_ns, 300000);
  CHECK_EQ(p2.nodes[ao].name, TV_FLAME_OTHER);
  CHECK_EQ(p2.nodes[ao].detail, 42);
  CHECK_EQ(p2.nodes[ao].total_ns, 195000);
  CHECK_EQ(p2.nodes[ao].self_ns, 195000);
  CHECK_EQ(p2.nodes[a].self_ns, 5000);
  /* under B: everything (b1 and 25 frames of 2 us) folds: 60 us, 26 frames */
  uint32_t bo = p2.nodes[b].first_child;
  CHECK_EQ(p2.nodes[bo].name, TV_FLAME_OTHER);
  CHECK_EQ(p2.nodes[bo].detail, 26);
  CHECK_EQ(p2.nodes[bo].total_ns, 60000);
  CHECK_EQ(p2.nodes[bo].next_sibling, TV_FLAME_NONE);
  CHECK_EQ(p2.n, 7); /* root, A, a1, other, B, other, other */
  tv_flame_free(&p1);
  tv_flame_free(&p2);

  /* An other node above the threshold folds again (0.03, see above). */
  CHECK_EQ(tv_flame_prune(&p1, &full, 0.002), 0);
  CHECK_EQ(tv_flame_prune(&p2, &p1, 0.03), 0);
  tv_flame_t ref;
  CHECK_EQ(tv_flame_prune(&ref, &full, 0.03), 0);
  check_same(&ref, &p2, "handmade other above the larger threshold");
  a = p2.nodes[0].first_child;
  size_t others = 0;
  for (uint32_t c = p2.nodes[a].first_child; c != TV_FLAME_NONE; c = p2.nodes[c].next_sibling)
    if (p2.nodes[c].name == TV_FLAME_OTHER) {
      others++;
      CHECK_EQ(p2.nodes[c].detail, 40);
      CHECK_EQ(p2.nodes[c].total_ns, 40000);
    }
  CHECK_EQ(others, 1);
  tv_flame_free(&p1);
  tv_flame_free(&p2);
  tv_flame_free(&ref);
  tv_flame_free(&full);
  tv_trace_close(&t);
  free(json);
}

int main(void) {
  static const check_case_t cases[] = {
      {"handmade", test_handmade},
      {"corpus", test_corpus},
      {NULL, NULL},
  };
  return check_run(cases);
}
