/* test_index_cache.c: the index cache round trip at the C level (the CLI
 * and API ones are in tests/cache): a cache hit gives the same columns and
 * the same LOD pyramids as indexing (entry for entry, and the same tiles);
 * a load without pyramids checks but skips them; a deferred save writes
 * the file later, and a cancelled or abandoned one leaves nothing behind. */
#include "check.h"
#include "traceview/index_cache.h"
#include "traceview/lod.h"
#include "traceview/trace.h"

#include <dirent.h>
#include <stdatomic.h>
#include <unistd.h>

static char dir[64], trace_path[128];

/* Three threads of nested X slices (enough rows for pyramids), instants and
 * a counter. */
static void write_trace(void) {
  FILE *f = fopen(trace_path, "w");
  CHECK(f != NULL);
  fputs("{\"traceEvents\": [\n", f);
  for (int t = 1; t <= 3; t++) {
    fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"w%d\"}},\n", t, t);
    for (int i = 0; i < 2000 * t; i++) {
      fprintf(f, "{\"ph\":\"X\",\"name\":\"outer%d\",\"pid\":1,\"tid\":%d,\"ts\":%d,\"dur\":%d},\n",
              i % 7, t, i * 10, 8 - i % 3);
      if (i % 3)
        fprintf(f, "{\"ph\":\"X\",\"name\":\"inner%d\",\"pid\":1,\"tid\":%d,\"ts\":%d.5,\"dur\":%d,"
                "\"args\":{\"detail\":\"d%d\"}},\n", i % 5, t, i * 10 + 1, 1 + i % 4, i % 11);
      if (i % 50 == 0) fprintf(f, "{\"ph\":\"i\",\"name\":\"mark\",\"pid\":1,\"tid\":%d,\"ts\":%d},\n", t, i * 10);
    }
  }
  for (int i = 0; i < 300; i++)
    fprintf(f, "{\"ph\":\"C\",\"name\":\"mem\",\"pid\":1,\"ts\":%d,\"args\":{\"bytes\":%d}},\n", i * 100, i * 3 % 17);
  fputs("{\"ph\":\"X\",\"name\":\"last\",\"pid\":1,\"tid\":1,\"ts\":0,\"dur\":1}\n]}\n", f);
  fclose(f);
}

static void open_trace(tv_trace_t *t, bool lods, bool defer) {
  tv_open_opts_t o = {.cache_dir = dir, .lods = lods, .defer_save = defer};
  tv_error_t err = {0};
  int rc = tv_trace_open(t, trace_path, &o, &err);
  if (rc) CHECK_FAIL_("open: %s", err.msg);
}

/* names in dir ending in suffix */
static int count_files(const char *suffix) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t a = strlen(e->d_name), b = strlen(suffix);
    n += a >= b && strcmp(e->d_name + a - b, suffix) == 0;
  }
  closedir(d);
  return n;
}

static void remove_files(void) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  char p[512];
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  closedir(d);
}

#define SAME_COLUMN(a, b, n) CHECK((n) == 0 || memcmp((a), (b), (n) * sizeof *(a)) == 0)

static void same_store(const tv_store_t *a, const tv_store_t *b) {
  CHECK_EQ(a->min_ns, b->min_ns);
  CHECK_EQ(a->max_ns, b->max_ns);
  CHECK_EQ(a->n_slices, b->n_slices);
  CHECK_EQ(a->t.n_threads, b->t.n_threads);
  CHECK_EQ(a->t.strings.n, b->t.strings.n);
  for (uint32_t i = 0; i < a->t.strings.n; i++) {
    tv_str_t x = tv_store_str(a, i), y = tv_store_str(b, i);
    CHECK(x.len == y.len && memcmp(x.p, y.p, x.len) == 0);
  }
  for (size_t i = 0; i < a->t.n_threads; i++) {
    const tv_thread_t *x = &a->t.threads[i], *y = &b->t.threads[i];
    CHECK_EQ(x->slices.n, y->slices.n);
    CHECK_EQ(x->max_depth, y->max_depth);
    SAME_COLUMN(x->depth_begin, y->depth_begin, (size_t)x->max_depth + 1);
    SAME_COLUMN(x->slices.start_ns, y->slices.start_ns, x->slices.n);
    SAME_COLUMN(x->slices.dur_ns, y->slices.dur_ns, x->slices.n);
    SAME_COLUMN(x->slices.name, y->slices.name, x->slices.n);
    SAME_COLUMN(x->slices.detail, y->slices.detail, x->slices.n);
    SAME_COLUMN(x->slices.depth, y->slices.depth, x->slices.n);
    CHECK_EQ(x->instants.n, y->instants.n);
    SAME_COLUMN(x->instants.ts_ns, y->instants.ts_ns, x->instants.n);
  }
  CHECK_EQ(a->t.n_counters, b->t.n_counters);
  for (size_t i = 0; i < a->t.n_counters; i++)
    SAME_COLUMN(a->t.counters[i].value, b->t.counters[i].value, a->t.counters[i].n);
}

static void same_lod(const tv_lod_t *a, const tv_lod_t *b) {
  CHECK_EQ(a->span_ns, b->span_ns);
  CHECK_EQ(a->first_level, b->first_level);
  CHECK_EQ(a->max_level, b->max_level);
  CHECK_EQ(a->n_depths, b->n_depths);
  CHECK_EQ(a->n_entries, b->n_entries);
  CHECK_EQ(tv_lod_n_runs(a), tv_lod_n_runs(b));
  SAME_COLUMN(a->block, b->block, a->n_entries);
  for (size_t r = 0; r < tv_lod_n_runs(a); r++) {
    CHECK_EQ(a->runs[r].n, b->runs[r].n);
    CHECK_EQ(a->runs[r].e - a->block, b->runs[r].e - b->block);
  }
}

/* A tile as text, to compare. */
typedef struct text {
  char buf[1 << 16];
  size_t len;
} text_t;

static void on_slice(void *ud, uint64_t row, int64_t start, int64_t dur, uint32_t depth) {
  text_t *t = ud;
  if (t->len < sizeof t->buf - 100)
    t->len += (size_t)snprintf(t->buf + t->len, sizeof t->buf - t->len, "s%llu,%lld,%lld,%u;",
                               (unsigned long long)row, (long long)start, (long long)dur, depth);
}

static void on_summary(void *ud, uint32_t bucket, uint32_t depth, uint32_t count, int64_t busy,
                       uint64_t longest) {
  text_t *t = ud;
  if (t->len < sizeof t->buf - 100)
    t->len += (size_t)snprintf(t->buf + t->len, sizeof t->buf - t->len, "b%u,%u,%u,%lld,%llu;",
                               bucket, depth, count, (long long)busy, (unsigned long long)longest);
}

static void same_tiles(const tv_trace_t *a, const tv_trace_t *b) {
  static text_t x, y;
  for (size_t i = 0; i < a->store.t.n_threads; i++) {
    const tv_lod_t *la = &a->lods[i];
    for (uint32_t level = 0; level <= la->max_level + 1; level += 3)
      for (int64_t index = 0; index < 3; index++) {
        x.len = y.len = 0;
        tv_tile_sink_t sa = {&x, on_slice, on_summary}, sb = {&y, on_slice, on_summary};
        tv_lod_tile(la, &a->store.t.threads[i], a->store.min_ns, level, index, &sa);
        tv_lod_tile(&b->lods[i], &b->store.t.threads[i], b->store.min_ns, level, index, &sb);
        CHECK(x.len == y.len && memcmp(x.buf, y.buf, x.len) == 0);
      }
  }
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tv-unit-cache-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(trace_path, sizeof trace_path, "%s/trace.json", dir);
  write_trace();

  /* Indexed and saved; then loaded. */
  tv_trace_t fresh, hit, info;
  open_trace(&fresh, true, false);
  CHECK(!fresh.cache_hit && fresh.cache_path && fresh.lods);
  CHECK(fresh.store.t.n_threads >= 3);
  bool pyramids = false;
  for (size_t i = 0; i < fresh.store.t.n_threads; i++) pyramids |= tv_lod_n_runs(&fresh.lods[i]) > 0;
  CHECK(pyramids);
  open_trace(&hit, true, false);
  CHECK(hit.cache_hit && hit.lods);
  same_store(&fresh.store, &hit.store);
  /* Loaded pyramids equal the ones indexing built and ones built anew. */
  tv_lod_t *rebuilt = tv_lods_build(&hit.store);
  CHECK(rebuilt != NULL);
  for (size_t i = 0; i < hit.store.t.n_threads; i++) {
    same_lod(&fresh.lods[i], &hit.lods[i]);
    same_lod(&rebuilt[i], &hit.lods[i]);
    CHECK(hit.lods[i].borrowed || !hit.lods[i].block);
  }
  tv_lods_free(rebuilt, hit.store.t.n_threads);
  same_tiles(&fresh, &hit);

  /* info and summary do not want the pyramids: checked, not loaded. */
  open_trace(&info, false, false);
  CHECK(info.cache_hit && info.lods == NULL);
  same_store(&fresh.store, &info.store);
  tv_trace_close(&info);
  tv_trace_close(&hit);

  /* Deferred: nothing on disk until tv_trace_save_cache. */
  remove_files();
  write_trace();
  tv_trace_t later;
  char why[512];
  open_trace(&later, true, true);
  CHECK(!later.cache_hit && tv_trace_save_pending(&later));
  CHECK_EQ(count_files(".tvidx"), 0);
  CHECK_EQ(tv_trace_save_cache(&later, NULL, true, why, sizeof why), 0);
  CHECK(!tv_trace_save_pending(&later) && later.cache_path);
  CHECK_EQ(tv_trace_save_cache(&later, NULL, true, why, sizeof why), 1);
  CHECK_EQ(count_files(".tvidx"), 1);
  CHECK_EQ(count_files(".tmp"), 0);
  tv_trace_close(&later);
  open_trace(&hit, true, false);
  CHECK(hit.cache_hit);
  same_store(&fresh.store, &hit.store);
  same_tiles(&fresh, &hit);
  tv_trace_close(&hit);

  /* Cancelled: no file, no temporary file. */
  remove_files();
  write_trace();
  open_trace(&later, true, true);
  _Atomic bool cancel = true;
  CHECK_EQ(tv_trace_save_cache(&later, &cancel, true, why, sizeof why), -1);
  CHECK_STREQ(why, "cancelled");
  CHECK_EQ(count_files(".tvidx"), 0);
  CHECK_EQ(count_files(".tmp"), 0);
  tv_trace_close(&later);

  /* Abandoned (shutdown): every later save gives up too. */
  open_trace(&later, true, true);
  tv_index_cache_abandon_saves();
  CHECK_EQ(tv_trace_save_cache(&later, NULL, false, why, sizeof why), -1);
  CHECK_EQ(count_files(".tvidx"), 0);
  CHECK_EQ(count_files(".tmp"), 0);
  tv_trace_close(&later);

  tv_trace_close(&fresh);
  remove_files();
  rmdir(dir);
  printf("test_index_cache: ok\n");
  return 0;
}
