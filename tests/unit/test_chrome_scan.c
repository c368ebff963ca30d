/* test_chrome_scan.c: the Chrome JSON scanner's pieces (numbers, strings,
 * UTF-8) and the chunked-scan contract: scanning a real trace in chunks cut
 * at event boundaries and merging gives the same store as one pass. */
#include "check.h"
#include "../../server/chrome_json.c" /* reach the statics (h2o's habit) */
#include "traceview/lod.h"

static int64_t dec(const char *s, int pow10, int *rc) {
  int64_t v = -1;
  *rc = tv_parse_decimal(s, s + strlen(s), pow10, &v);
  return v;
}

static void test_decimal(void) {
  int rc;
  CHECK_EQ(dec("1", 3, &rc), 1000); CHECK_EQ(rc, 0);
  CHECK_EQ(dec("1.5", 3, &rc), 1500);
  CHECK_EQ(dec("0.0005", 3, &rc), 1);       /* half rounds away from zero */
  CHECK_EQ(dec("0.0004999", 3, &rc), 0);
  CHECK_EQ(dec("-0.0005", 3, &rc), -1);
  CHECK_EQ(dec("1e3", 3, &rc), 1000000);
  CHECK_EQ(dec("1.25E-1", 3, &rc), 125);
  CHECK_EQ(dec("123456789.123456789", 3, &rc), 123456789123);
  CHECK_EQ(dec("0.12345678901234567890123", 3, &rc), 123);
  dec("99999999999999999999", 0, &rc); CHECK_EQ(rc, TV_ERANGE);
  CHECK_EQ(dec("1.99999999999999999999", 0, &rc), 2); /* 20 significant digits */
  CHECK_EQ(dec("0", 3, &rc), 0);
  CHECK_EQ(dec("-0", 3, &rc), 0);
  CHECK_EQ(dec("00012", 0, &rc), 12);
  CHECK_EQ(dec("4611686018427387903", 0, &rc), 4611686018427387903); CHECK_EQ(rc, 0);
  dec("4611686018427387904", 0, &rc); CHECK_EQ(rc, TV_ERANGE);
  dec("1e300", 3, &rc); CHECK_EQ(rc, TV_ERANGE);
  dec("1234567890123456789012345678901234567890", 3, &rc); CHECK_EQ(rc, TV_ERANGE);
  CHECK_EQ(dec("1e-300", 3, &rc), 0); CHECK_EQ(rc, 0);
  dec("", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  dec("-", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  dec("1.2.3", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  dec("1e", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  dec("true", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  /* The plain-integer fast path's edges: up to 18 digits after scaling. */
  CHECK_EQ(dec("999999999999999", 3, &rc), 999999999999999000); CHECK_EQ(rc, 0);
  CHECK_EQ(dec("4611686018427387", 3, &rc), 4611686018427387000); CHECK_EQ(rc, 0);
  dec("4611686018427388", 3, &rc); CHECK_EQ(rc, TV_ERANGE); /* 16 digits: general path */
  CHECK_EQ(dec("000000000000000001", 0, &rc), 1);
  CHECK_EQ(dec("12", -1, &rc), 1); /* 1.2 rounds down: negative scales take the general path */
  dec("12a", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
  dec("1 ", 3, &rc); CHECK_EQ(rc, TV_ESYNTAX);
}

static void test_utf8(void) {
  size_t bad;
  CHECK(tv_valid_utf8((const unsigned char *)"plain", 5, &bad));
  CHECK(tv_valid_utf8((const unsigned char *)"d\xc3\xa9marrage \xf0\x9f\x9a\x80", 15, &bad));
  CHECK(!tv_valid_utf8((const unsigned char *)"ab\xff", 3, &bad)); CHECK_EQ(bad, 2);
  CHECK(!tv_valid_utf8((const unsigned char *)"\xc0\xaf", 2, &bad));         /* overlong */
  CHECK(!tv_valid_utf8((const unsigned char *)"\xed\xa0\x80", 3, &bad));     /* surrogate */
  CHECK(!tv_valid_utf8((const unsigned char *)"\xf4\x90\x80\x80", 4, &bad)); /* > U+10FFFF */
  CHECK(!tv_valid_utf8((const unsigned char *)"\xe2\x82", 2, &bad));         /* cut */
}

/* Opens JSON text from memory and returns the name of the first slice. */
static void first_name(const char *json, char *out, size_t cap) {
  tv_trace_t t;
  tv_error_t err;
  CHECK_EQ(tv_trace_open_memory(&t, json, strlen(json), "mem", NULL, &err), 0);
  CHECK(t.store.t.n_threads >= 1);
  tv_str_t s = tv_store_str(&t.store, t.store.t.threads[0].slices.name[0]);
  snprintf(out, cap, "%.*s", (int)s.len, s.p);
  tv_trace_close(&t);
}

static void test_strings(void) {
  char name[64];
  first_name("[{\"ph\":\"X\",\"ts\":1,\"dur\":1,\"name\":\"a},{\\\"b\\\\\"}]", name, sizeof name);
  CHECK_STREQ(name, "a},{\"b\\");
  first_name("[{\"name\":\"\\u00e9\\ud83d\\ude80\\n\",\"ph\":\"X\",\"ts\":1}]", name, sizeof name);
  CHECK_STREQ(name, "\xc3\xa9\xf0\x9f\x9a\x80\n");
  first_name("[{\"name\":\"lone \\ud800 x\",\"ph\":\"X\",\"ts\":1}]", name, sizeof name);
  CHECK_STREQ(name, "lone \xef\xbf\xbd x");
  /* Escaped and unescaped spellings intern to one string. */
  const char *two = "[{\"name\":\"\\u0041\",\"ph\":\"X\",\"ts\":1},{\"name\":\"A\",\"ph\":\"X\",\"ts\":2}]";
  tv_trace_t t;
  tv_error_t err;
  CHECK_EQ(tv_trace_open_memory(&t, two, strlen(two), "mem", NULL, &err), 0);
  CHECK_EQ(t.store.t.threads[0].slices.name[0], t.store.t.threads[0].slices.name[1]);
  tv_trace_close(&t);
  const char *bad = "[{\"name\":\"\\x\",\"ph\":\"X\",\"ts\":1}]";
  CHECK(tv_trace_open_memory(&t, bad, strlen(bad), "mem", NULL, &err) == TV_ESYNTAX);
  CHECK_EQ(err.offset, 10);
}

/* ---- chunked scan == one pass ---- */

static int same_str(const tv_store_t *a, uint32_t ia, const tv_store_t *b, uint32_t ib) {
  return tv_str_eq(tv_store_str(a, ia), tv_store_str(b, ib));
}

static void check_same_store(const tv_store_t *a, const tv_store_t *b) {
  const tv_tables_t *x = &a->t, *y = &b->t;
  CHECK_EQ(x->n_raw_events, y->n_raw_events);
  CHECK_EQ(a->n_slices, b->n_slices);
  CHECK_EQ(a->min_ns, b->min_ns);
  CHECK_EQ(a->max_ns, b->max_ns);
  CHECK_EQ(x->n_threads, y->n_threads);
  for (size_t i = 0; i < x->n_threads; i++) {
    const tv_thread_t *p = &x->threads[i], *q = &y->threads[i];
    CHECK_EQ(p->pid, q->pid);
    CHECK_EQ(p->tid, q->tid);
    CHECK(same_str(a, p->name, b, q->name));
    CHECK_EQ(p->max_depth, q->max_depth);
    CHECK_EQ(p->slices.n, q->slices.n);
    for (size_t k = 0; k < p->slices.n; k++) {
      CHECK_EQ(p->slices.start_ns[k], q->slices.start_ns[k]);
      CHECK_EQ(p->slices.dur_ns[k], q->slices.dur_ns[k]);
      CHECK_EQ(tv_slice_self(p, k), tv_slice_self(q, k));
      CHECK_EQ(p->slices.depth[k], q->slices.depth[k]);
      CHECK_EQ(tv_slice_off(&p->slices, k), tv_slice_off(&q->slices, k));
      CHECK(same_str(a, p->slices.name[k], b, q->slices.name[k]));
      CHECK(same_str(a, p->slices.detail[k], b, q->slices.detail[k]));
      CHECK(same_str(a, x->cats[p->slices.cat[k]], b, y->cats[q->slices.cat[k]]));
    }
    CHECK_EQ(p->instants.n, q->instants.n);
    /* The two ways to derive self times agree (test_store checks them
     * against a model). */
    tv_self_walk_t w;
    CHECK_EQ(tv_self_walk_init(&w, p), 0);
    for (size_t k = 0; k < p->slices.n; k++) CHECK_EQ(tv_self_walk_next(&w, k), tv_slice_self(p, k));
    tv_self_walk_free(&w);
  }
  CHECK_EQ(x->n_totals, y->n_totals);
  for (size_t i = 0; i < x->n_totals; i++) CHECK(same_str(a, x->totals[i].name, b, y->totals[i].name));
  CHECK_EQ(a->n_counter_samples, b->n_counter_samples);
  for (int c = 0; c < 256; c++) CHECK_EQ(x->phases.by_byte[c], y->phases.by_byte[c]);
  for (int k = 0; k < TV_DIAG_COUNT; k++) {
    CHECK_EQ(x->diag.count[k], y->diag.count[k]);
    CHECK_EQ(x->diag.first_off[k], y->diag.first_off[k]);
  }
}

/* Scans [begin, end) of the event list into a new builder. */
static void scan_chunk(tv_trace_t *t, const char *begin, const char *end, tv_builder_t *b) {
  tv_error_t err;
  CHECK_EQ(tv_builder_init(b), 0);
  scan_t s = {.js = {.base = t->map.base, .p = begin, .end = end, .file = t->map.path,
                     .err = &err},
              .b = b, .trace = t, .next_progress = end};
  int outcome;
  const char *cut = NULL;
  CHECK_EQ(scan_event_list(&s, &outcome, &cut), 0);
  CHECK(outcome != LIST_TRUNCATED);
}

static void chunked_equals_serial(const char *path, size_t n_chunks) {
  tv_trace_t serial, t;
  tv_error_t err;
  if (tv_trace_open(&serial, path, NULL, &err) != 0) {
    printf("skip %s: %s\n", path, err.msg);
    return;
  }
  CHECK_EQ(tv_map_open(&t.map, path, &err), 0);
  const char *list = memmem(t.map.base, t.map.len, "\"traceEvents\":[", 15);
  CHECK(list != NULL);
  list += 15;
  /* Event starts, found with the scanner itself. */
  size_t cap = 1 << 16, n = 0;
  const char **starts = malloc(cap * sizeof *starts);
  tv_jscan_t s = {.base = t.map.base, .p = list, .end = t.map.base + t.map.len, .err = &err};
  for (;;) {
    tv_js_ws(&s);
    if (*s.p != '{') break;
    if (n == cap) starts = realloc(starts, (cap *= 2) * sizeof *starts);
    starts[n++] = s.p;
    CHECK_EQ(tv_js_skip_value(&s), 0);
    tv_js_ws(&s);
    if (*s.p == ',') s.p++;
  }
  const char *list_end = s.p + 1; /* past ']' */
  tv_builder_t *bs = calloc(n_chunks, sizeof *bs);
  for (size_t c = 0; c < n_chunks; c++) {
    /* Uneven chunks: boundaries at events c^2/n^2 of the way through. */
    const char *from = c == 0 ? list : starts[n * c * c / (n_chunks * n_chunks)];
    const char *to = c + 1 == n_chunks ? list_end : starts[n * (c + 1) * (c + 1) / (n_chunks * n_chunks)];
    scan_chunk(&t, from, to, &bs[c]);
    /* Presorted and plain chunks mix: both orders of the store's merge. */
    if (c % 3 != 1) CHECK_EQ(tv_builder_presort(&bs[c]), 0);
  }
  CHECK_EQ(tv_store_build(&t.store, bs, n_chunks, &err), 0);
  check_same_store(&serial.store, &t.store);
  printf("  %s: %zu events in %zu chunks == one pass\n", path, n, n_chunks);
  free(bs);
  free(starts);
  tv_store_free(&t.store);
  tv_map_close(&t.map);
  tv_trace_close(&serial);
}

static void test_chunks_real_traces(void) {
  chunked_equals_serial(TV_CORPUS_DIR "/rustc/memchr-2.5.0.O0.llvm_timings.json", 7);
  chunked_equals_serial(TV_CORPUS_DIR "/clang/nlohmann-json-unit-msgpack.O1.time-trace.json", 4);
  chunked_equals_serial(TV_CORPUS_DIR "/node/npm-ls.trace.json", 5);
  chunked_equals_serial(TV_CORPUS_DIR "/node/tsc-speedscope.trace.json", 9);
}

/* The parallel scan (many small chunks on the libuv pool) equals one thread. */
static void parallel_equals_serial(const char *what, const void *bytes, size_t len,
                                   const char *path) {
  tv_trace_t one, many;
  tv_error_t err;
  tv_open_opts_t o1 = {.threads = 1}, on = {.threads = 7, .chunk_bytes = 512};
  int r1 = path ? tv_trace_open(&one, path, &o1, &err)
                : tv_trace_open_memory(&one, bytes, len, what, &o1, &err);
  CHECK_EQ(r1, 0);
  int rn = path ? tv_trace_open(&many, path, &on, &err)
                : tv_trace_open_memory(&many, bytes, len, what, &on, &err);
  CHECK_EQ(rn, 0);
  check_same_store(&one.store, &many.store);
  CHECK_EQ(one.truncated, many.truncated);
  CHECK_EQ(one.n_warnings, many.n_warnings);
  printf("  %s: %llu events, parallel == serial\n", what,
         (unsigned long long)one.store.t.n_raw_events);
  tv_trace_close(&one);
  tv_trace_close(&many);
}

static void test_parallel_real_traces(void) {
  parallel_equals_serial("memchr", NULL, 0,
                         TV_CORPUS_DIR "/rustc/memchr-2.5.0.O0.llvm_timings.json");
  parallel_equals_serial("npm-ls", NULL, 0, TV_CORPUS_DIR "/node/npm-ls.trace.json");
  parallel_equals_serial("tsc", NULL, 0, TV_CORPUS_DIR "/node/tsc-speedscope.trace.json");
  parallel_equals_serial("big_trace (array)", NULL, 0, TV_CORPUS_DIR "/catapult/big_trace.json");
}

/* Chunk candidates inside strings ("},{" and ", {"), B/E pairs across chunk
 * edges, multi-byte characters, and a list cut short or followed by keys. */
static void test_parallel_adversarial(void) {
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(cap);
  const char *tails[] = {"]}", "", "],\"metadata\":{\"a\":[1,{\"b\":\"},{\"}]}}",
                         ",{\"ph\":\"X\",\"ts\":"};
  for (int variant = 0; variant < 4; variant++) {
    n = (size_t)snprintf(buf, cap, "{\"traceEvents\":[");
    for (int i = 0; i < 3000; i++) {
      const char *ph = i % 3 == 0 ? "B" : i % 3 == 1 ? "E" : "X";
      n += (size_t)snprintf(buf + n, cap - n,
                            "%s{\"name\":\"n%d},{\\\", {\\\"x\\\":1}, \xc3\xa9\",\"ph\":\"%s\","
                            "\"ts\":%d,\"dur\":%d,\"pid\":1,\"tid\":%d,"
                            "\"args\":{\"detail\":\"d,{\\\"%d\\\"}\"}}",
                            i ? (i % 7 ? "," : ",\n  ") : "", i % 13, ph, i, i % 5, i % 4, i);
    }
    n += (size_t)snprintf(buf + n, cap - n, "%s", tails[variant]);
    char what[32];
    snprintf(what, sizeof what, "adversarial %d", variant);
    parallel_equals_serial(what, buf, n, NULL);
  }
  free(buf);
}

int main(void) {
  static const check_case_t cases[] = {
      {"decimal to integer ns", test_decimal},
      {"utf-8 validation", test_utf8},
      {"strings: escapes, },{ and unicode", test_strings},
      {"chunked scan equals one pass on real traces", test_chunks_real_traces},
      {"parallel scan equals one thread on real traces", test_parallel_real_traces},
      {"parallel scan with candidates inside strings", test_parallel_adversarial},
      {NULL, NULL},
  };
  return check_run(cases);
}
