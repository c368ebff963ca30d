/* index_cache.c: the store saved to disk, so an unchanged trace reopens
 * without being read again.
 *
 * NOTES ON THE DESIGN OF THE INDEX CACHE
 *
 * (1) One file per trace path: <cache dir>/<hash of the absolute path>.tvidx.
 *     Reindexing a changed file overwrites its entry; the directory keeps the
 *     TV_INDEX_CACHE_KEEP most recently written entries (tv_cache_trim).
 * (2) File layout, integers in this machine's byte order (the cache never
 *     leaves the machine; the layout word rejects other builds):
 *       header_t (fixed size), the absolute path (path_len bytes), the
 *       chunks' bytes, then the chunk table (n_chunks chunk_t {offset, csize,
 *       rsize, hash}, 8-aligned) that ends the file. A chunk is csize bytes
 *       at offset: rsize bytes stored as is when csize == rsize, else an lz4
 *       block that decompresses to exactly rsize bytes. Chunks are in order
 *       and never overlap; the chunks of a raw column follow each other with
 *       no gap, the first one 64-byte aligned, so the column is one range of
 *       the file.
 * (3) The key in the header (absolute path, size, mtime ns, inode, device,
 *     hash of the first and last 64 KiB) must equal the file's; anything else
 *     is stale. The edge hash catches a rewrite that keeps size and mtime
 *     (coarse timestamps, `touch -d`), at a cost of 128 KiB read.
 * (4) Integrity: every chunk carries a 64-bit hash of its stored bytes and
 *     rsize (lz4 block decoding is bounds-checked and deterministic, so equal
 *     compressed bytes give equal columns); the header holds a hash of the
 *     chunk table (offsets, sizes and hashes, in order), the chunk count, the
 *     payload size and the table's place, and a hash of itself. A flipped
 *     byte, a missing tail or extra bytes make the load fail, and the trace
 *     is indexed again and the file rewritten. Every chunk is checked on
 *     every load, the pyramids' too when the command does not use them.
 * (5) The payload is a sequence of segments: first the meta segment (every
 *     scalar and small table, serialized field by field, its size in the
 *     header), then the columns in the order columns() lists them, then each
 *     thread's LOD pyramid (lod.h: its runs' entries, one block per thread;
 *     the levels and run lengths are in the meta segment). A segment is cut
 *     into chunks of at most CHUNK raw bytes that never cross a segment
 *     boundary, so the loader places every column once at its final size
 *     (from the meta segment); chunks are independent, so threads share
 *     them. A load that does not want the pyramids (info, summary) only
 *     checks their chunks.
 * (6) Saving is bounded in memory: chunks are compressed (or only hashed)
 *     BATCH at a time by the worker threads, then written in order; string
 *     bytes, which are views scattered over the mapping and arenas, are
 *     gathered chunk by chunk. Every save writes the pyramids (trace.c
 *     builds them first when the command did not need them), so that
 *     `serve` never builds them from a cache file.
 * (7) Written under a temporary name (unique per process and save) and
 *     renamed: a reader never sees a partial file, and a crash leaves only a
 *     *.tmp that trimming removes after a day.
 * (8) Loading maps the file read-only (MAP_PRIVATE) and leaves the numeric
 *     columns and the pyramids where they are: the store points into the
 *     mapping (store.mapped), so a load is the checksums plus the page
 *     faults of a file already in the page cache, on all cores. `perf` of
 *     the earlier design, every column lz4-compressed and decompressed into
 *     malloc'd memory, put 70% of a 1.4 GB trace's reopen in the kernel
 *     (zeroing and faulting in ~350 MB of fresh anonymous pages) and 26% in
 *     lz4: 0.3-0.4 s of CPU, against ~0.07 s now, for a file 2.4x larger
 *     (numeric columns of sorted times and offsets gain little from lz4
 *     anyway). What is not mapped in place (lz4 chunks: the string bytes)
 *     goes into one anonymous mapping, the arena; the string lengths and
 *     hashes into malloc'd arrays the string table takes. Nothing is grown
 *     after a load; tv_store_free takes the columns back out of the store
 *     (arena_free) and unmaps both. The file is only ever replaced by a
 *     rename, never rewritten in place, so a mapped column never changes
 *     under the server; the hashes are checked before anything reads it.
 * (9) `serve` saves after the trace is ready, in the background (trace.h,
 *     tv_trace_save_cache): compression then runs at nice +10, and a save
 *     gives up between batches when cancelled (the trace was re-indexed
 *     meanwhile) or when tv_index_cache_abandon_saves is called (shutdown:
 *     it removes every temporary file being written, and no rename happens
 *     after it).
 *
 * Not cached: the other serve-time tables (track numbering, /meta, the
 * overview): served.c builds them from the store in a few milliseconds. */
#include "traceview/index_cache.h"
#include "traceview/lod.h"
#include "traceview/pool.h"
#include "traceview/reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lz4.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_VERSION 5u /* 2: index_seconds moved to the header; 3: LOD pyramids,
                             raw mapped columns; 4: no self_ns column; 5: 40-bit slice
                             offsets */
#define CHUNK (1u << 20)    /* raw bytes per chunk at most */
#define BATCH 16            /* chunks compressed per round when saving */
#define EDGE (64u << 10)    /* bytes hashed at each end of the trace */
/* Numeric columns and pyramids are stored raw, whole and 64-byte aligned,
 * and a load maps them in place (see (8)). The rest (the meta segment, the
 * string bytes, lengths and hashes) is lz4 chunks; a chunk whose lz4 form is
 * more than STORED of its size is kept as is (csize == rsize marks it; lz4
 * output that large is never kept). */
#define STORED 0.6
#define ALIGN 64 /* raw columns in the file, every column in the arena */
static const char MAGIC[8] = {'T', 'V', 'I', 'D', 'X', 0, '\r', '\n'};

typedef struct header {
  char magic[8];
  uint32_t version, layout;
  uint64_t size;
  int64_t mtime_ns;
  uint64_t inode, dev, edge_hash;
  uint32_t path_len, reserved;
  uint64_t n_chunks;
  uint64_t table_offset; /* of the chunk table, which ends the file */
  uint64_t meta_bytes;   /* raw bytes of the meta segment */
  uint64_t raw_bytes;    /* raw bytes of all segments */
  uint64_t payload_hash; /* over the chunk table */
  double index_seconds;  /* of the original indexing: a measurement, kept out of
                            the compressed payload so the same trace always
                            gives the same cache bytes and size */
  uint64_t header_hash;  /* of the bytes above */
} header_t;

typedef struct chunk {
  uint64_t offset;       /* in the file */
  uint32_t csize, rsize; /* csize == rsize: stored as is */
  uint64_t hash;         /* of the csize stored bytes, seeded with rsize */
} chunk_t;

/* ---- hashing ---- */

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull

static inline uint64_t rd64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Four independent lanes of multiply-rotate over 32-byte stripes (the shape
 * of xxHash64, our own constants' use): several GB/s, and every input bit
 * reaches the result. Not cryptographic: it detects damage, not forgery. */
static uint64_t hash64(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = rotl(a + rd64(p + i) * P2, 31) * P1;
    b = rotl(b + rd64(p + i + 8) * P2, 31) * P1;
    c = rotl(c + rd64(p + i + 16) * P2, 31) * P1;
    d = rotl(d + rd64(p + i + 24) * P2, 31) * P1;
  }
  uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + (uint64_t)n;
  for (; i + 8 <= n; i += 8) h = rotl(h ^ (rd64(p + i) * P2), 27) * P1 + P3;
  for (; i < n; i++) h = rotl(h ^ (p[i] * P3), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  return h ^ (h >> 32);
}

/* Struct sizes and enum counts this build writes raw: a file from a build
 * where they differ is stale. */
static uint32_t layout_word(void) {
  uint32_t v[] = {sizeof(tv_process_t), sizeof(tv_llvm_total_t), sizeof(tv_flow_t),
                  TV_DIAG_COUNT,        sizeof(tv_diag_t),       sizeof(void *),
                  sizeof(header_t),     sizeof(chunk_t),         sizeof(tv_lod_entry_t),
                  0};
  uint16_t one = 1;
  v[9] = *(unsigned char *)&one; /* byte order */
  return (uint32_t)hash64(v, sizeof v, CACHE_VERSION);
}

/* ---- directory ---- */

int tv_cache_dir(char *out, size_t cap, const char *override) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (override && *override) snprintf(out, cap, "%s", override);
  else if (xdg && *xdg) snprintf(out, cap, "%s/traceview", xdg);
  else if (home && *home) snprintf(out, cap, "%s/.cache/traceview", home);
  else snprintf(out, cap, "/tmp/traceview-%ld", (long)getuid());
  /* mkdir -p */
  for (char *p = out + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(out, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return (mkdir(out, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

typedef struct entry {
  char *name;
  int64_t mtime_ns;
} entry_t;

static int cmp_newest(const void *x, const void *y) {
  const entry_t *a = x, *b = y;
  return a->mtime_ns > b->mtime_ns ? -1 : a->mtime_ns < b->mtime_ns;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int tv_cache_trim(const char *dir, const char *suffix, size_t keep, const char *spare) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  entry_t *list = NULL;
  size_t n = 0, cap = 0;
  int removed = 0;
  time_t now = time(NULL);
  char path[PATH_MAX];
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    /* Leftovers of a writer that died: gone after a day. */
    if (ends_with(e->d_name, ".tmp") && strstr(e->d_name, suffix) &&
        now - st.st_mtime > 86400) {
      removed += unlink(path) == 0;
      continue;
    }
    if (!ends_with(e->d_name, suffix)) continue;
    if (spare && strcmp(path, spare) == 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      entry_t *l = realloc(list, cap * sizeof *l);
      if (!l) break;
      list = l;
    }
    list[n].name = strdup(e->d_name);
    list[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    if (list[n].name) n++;
  }
  closedir(d);
  if (n) qsort(list, n, sizeof *list, cmp_newest);
  size_t kept = spare ? 1 : 0;
  for (size_t i = 0; i < n; i++) {
    if (kept < keep) kept++;
    else {
      snprintf(path, sizeof path, "%s/%s", dir, list[i].name);
      removed += unlink(path) == 0;
    }
    free(list[i].name);
  }
  free(list);
  return removed;
}

/* ---- key ---- */

int tv_cache_key_make(tv_cache_key_t *key, const char *path, const char *p, size_t len) {
  memset(key, 0, sizeof *key);
  struct stat st;
  char abs[PATH_MAX];
  if (!realpath(path, abs) || stat(abs, &st) != 0) return -1;
  snprintf(key->path, sizeof key->path, "%s", abs);
  key->size = (uint64_t)st.st_size;
  key->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  key->inode = (uint64_t)st.st_ino;
  key->dev = (uint64_t)st.st_dev;
  size_t head = len < EDGE ? len : EDGE;
  size_t tail = len - head < EDGE ? len - head : EDGE;
  key->edge_hash = hash64(p, head, len) ^ rotl(hash64(p + len - tail, tail, P3), 17);
  return 0;
}

void tv_cache_file_name(char *out, size_t cap, const char *dir, const tv_cache_key_t *key) {
  snprintf(out, cap, "%s/%016llx.tvidx", dir,
           (unsigned long long)hash64(key->path, strlen(key->path), 0x7476));
}

/* ---- meta segment: a bounded buffer written and read field by field ---- */

typedef struct buf {
  unsigned char *p;
  size_t len, cap, pos;
  bool bad; /* out of memory (writing) or out of bounds (reading) */
} buf_t;

static void put(buf_t *b, const void *v, size_t n) {
  if (b->bad) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
      b->bad = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, v, n);
  b->len += n;
}

static void get(buf_t *b, void *v, size_t n) {
  if (b->bad || b->len - b->pos < n) {
    b->bad = true;
    if (n) memset(v, 0, n);
    return;
  }
  if (n) memcpy(v, b->p + b->pos, n);
  b->pos += n;
}

#define PUT(b, x) put((b), &(x), sizeof(x))
#define GET(b, x) get((b), &(x), sizeof(x))

static void put_str(buf_t *b, const char *s) {
  uint32_t n = s ? (uint32_t)strlen(s) : 0;
  PUT(b, n);
  put(b, s, n);
}

/* a NUL-terminated copy in out (cap bytes); longer strings are corrupt */
static void get_str(buf_t *b, char *out, size_t cap) {
  uint32_t n = 0;
  GET(b, n);
  if (n >= cap) {
    b->bad = true;
    n = 0;
  }
  get(b, out, n);
  out[n] = '\0';
}

/* ---- segments: the columns, in file order ---- */

/* How the loader places a segment: SEG_ARENA, in the store's arena (one
 * mapping for the whole index, see (8)); SEG_MALLOC, its own malloc (the
 * string hashes, which the intern table takes and frees; the string lengths,
 * freed after the load); SEG_STRINGS, the string bytes: in the arena when
 * loading, gathered from the table's views when saving; SEG_LOD, a thread's
 * pyramid block: in the arena, and only when the pyramids are wanted. */
enum { SEG_ARENA, SEG_MALLOC, SEG_STRINGS, SEG_LOD };

/* Called once per segment in file order, with the address of the pointer
 * that holds (saving) or receives (loading) the column. */
typedef void (*visit_fn)(void *ctx, void **slot, size_t bytes, int how);

#define COL(col, n) visit(ctx, (void **)&(col), (size_t)(n) * sizeof *(col), SEG_ARENA)

/* Every column of st in file order; the one list of them (the meta segment
 * holds the row counts that size them). lens: one length per string;
 * str_bytes: the string bytes end to end. */
static void columns(tv_store_t *st, uint32_t **lens, char **str_bytes, uint64_t n_str_bytes,
                    visit_fn visit, void *ctx) {
  tv_tables_t *t = &st->t;
  visit(ctx, (void **)lens, (size_t)t->strings.n * sizeof **lens, SEG_MALLOC);
  visit(ctx, (void **)&t->strings.hashes, (size_t)t->strings.n * sizeof *t->strings.hashes,
        SEG_MALLOC);
  visit(ctx, (void **)str_bytes, (size_t)n_str_bytes, SEG_STRINGS);
  COL(t->cats, t->n_cats);
  COL(t->procs, t->n_procs);
  COL(t->totals, t->n_totals);
  COL(t->flows, t->n_flows);
  for (size_t i = 0; i < t->n_threads; i++) {
    tv_thread_t *th = &t->threads[i];
    tv_slices_t *s = &th->slices;
    COL(th->depth_begin, (size_t)th->max_depth + 1);
    COL(s->start_ns, s->n);
    COL(s->dur_ns, s->n);
    COL(s->name, s->n);
    COL(s->detail, s->n);
    COL(s->off_lo, s->n);
    COL(s->off_hi, s->n);
    COL(s->cat, s->n);
    COL(s->depth, s->n);
    tv_instants_t *in[2] = {&th->instants, &th->samples};
    for (int k = 0; k < 2; k++) {
      COL(in[k]->ts_ns, in[k]->n);
      COL(in[k]->name, in[k]->n);
      COL(in[k]->off, in[k]->n);
    }
  }
  for (size_t i = 0; i < t->n_counters; i++) {
    tv_counter_t *c = &t->counters[i];
    COL(c->ts_ns, c->n);
    COL(c->value, c->n);
    COL(c->off, c->n);
  }
}

/* The pyramids' blocks, after the columns (none in a file without them). */
static void lod_columns(tv_lod_t *lods, size_t n, visit_fn visit, void *ctx) {
  for (size_t i = 0; lods && i < n; i++)
    visit(ctx, (void **)&lods[i].block, lods[i].n_entries * sizeof *lods[i].block, SEG_LOD);
}

typedef struct seg {
  void **slot;
  const void *p; /* saving: the column (NULL: string bytes to gather) */
  size_t bytes;
  int how;
} seg_t;

typedef struct segs {
  seg_t *v;
  size_t n, cap;
  uint64_t bytes; /* sum */
  bool bad;
} segs_t;

/* collects the non-empty segments (empty ones are not in the file; a
 * loaded empty column is NULL); never writes through slot */
static void collect(void *ctx, void **slot, size_t bytes, int how) {
  segs_t *s = ctx;
  if (bytes == 0 || s->bad) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    seg_t *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      s->bad = true;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = (seg_t){slot, *slot, bytes, how};
  s->bytes += bytes;
}

static void write_meta(buf_t *b, const tv_trace_t *tr, size_t first_warning,
                       uint64_t n_str_bytes) {
  const tv_store_t *st = &tr->store;
  const tv_tables_t *t = &st->t;
  put_str(b, tr->reader ? tr->reader->name : "");
  put_str(b, tr->format ? tr->format : "");
  put(b, tr->display_time_unit, sizeof tr->display_time_unit);
  uint8_t truncated = tr->truncated;
  PUT(b, truncated);
  uint32_t n_warn = tr->n_warnings > first_warning ? (uint32_t)(tr->n_warnings - first_warning) : 0;
  PUT(b, n_warn);
  for (size_t i = first_warning; i < tr->n_warnings; i++) {
    PUT(b, tr->warnings[i].offset);
    put_str(b, tr->warnings[i].msg);
  }
  PUT(b, st->min_ns);
  PUT(b, st->max_ns);
  PUT(b, st->n_slices);
  PUT(b, st->n_instants);
  PUT(b, st->n_counter_samples);
  PUT(b, t->n_raw_events);
  PUT(b, t->n_samples);
  PUT(b, t->sample_weight);
  PUT(b, t->sample_ns);
  PUT(b, t->n_span_events);
  uint8_t no_timeline = t->no_timeline;
  PUT(b, no_timeline);
  PUT(b, t->diag);
  PUT(b, t->phases.by_byte);
  uint64_t n_other = t->phases.n_other;
  PUT(b, n_other);
  put(b, t->phases.other_ph, n_other * sizeof *t->phases.other_ph);
  put(b, t->phases.other_n, n_other * sizeof *t->phases.other_n);
  uint32_t n_strings = t->strings.n;
  PUT(b, n_strings);
  PUT(b, n_str_bytes);
  uint64_t n[] = {t->n_cats, t->n_procs, t->n_totals, t->n_flows, t->n_threads, t->n_counters};
  PUT(b, n);
  for (size_t i = 0; i < t->n_threads; i++) {
    const tv_thread_t *th = &t->threads[i];
    PUT(b, th->pid);
    PUT(b, th->tid);
    PUT(b, th->name);
    PUT(b, th->sort_index);
    uint8_t flags[3] = {th->has_sort_index, th->listed, th->kind};
    PUT(b, flags);
    PUT(b, th->max_depth);
    PUT(b, th->n_end_events);
    uint64_t rows[3] = {th->slices.n, th->instants.n, th->samples.n};
    PUT(b, rows);
  }
  for (size_t i = 0; i < t->n_counters; i++) {
    const tv_counter_t *c = &t->counters[i];
    PUT(b, c->pid);
    PUT(b, c->name);
    PUT(b, c->series);
    uint64_t rows = c->n;
    PUT(b, rows);
  }
  /* The LOD pyramids: per thread its levels and the length of each run;
   * the entries are a segment per thread (lod_columns). */
  uint8_t has_lods = tr->lods != NULL;
  PUT(b, has_lods);
  for (size_t i = 0; has_lods && i < t->n_threads; i++) {
    const tv_lod_t *l = &tr->lods[i];
    uint32_t levels[3] = {l->first_level, l->max_level, l->n_depths};
    uint64_t n_entries = l->n_entries;
    PUT(b, levels);
    PUT(b, n_entries);
    for (size_t r = 0, nr = tv_lod_n_runs(l); r < nr; r++) {
      uint64_t rn = l->runs[r].n;
      PUT(b, rn);
    }
  }
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t cap, const char *fmt, ...) {
  if (why && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* ---- save ---- */

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

typedef struct piece {
  const char *src; /* raw bytes (NULL: string bytes from str_id/str_at) */
  uint32_t rsize;
  uint32_t str_id; /* string bytes: first string and offset in it */
  uint32_t str_at;
  bool raw;        /* a piece of a raw column: hashed, not compressed */
  bool first;      /* the first piece of a raw column: aligned in the file */
} piece_t;

typedef struct saver {
  const tv_intern_t *strings;
  piece_t *pieces;       /* the current batch */
  char *raw[BATCH];      /* gathering room for string pieces */
  char *out[BATCH];      /* compressed pieces */
  const char *data[BATCH]; /* what to write: out[j] or the column itself */
  chunk_t hdr[BATCH];
} saver_t;

static int compress_piece(void *ctx, size_t j) {
  saver_t *s = ctx;
  piece_t *pc = &s->pieces[j];
  const char *src = pc->src;
  if (!src) { /* gather string bytes */
    char *dst = s->raw[j];
    uint32_t id = pc->str_id, at = pc->str_at;
    size_t left = pc->rsize;
    while (left) {
      tv_str_t str = s->strings->strs[id];
      size_t take = str.len - at < left ? str.len - at : left;
      memcpy(dst, str.p + at, take);
      dst += take;
      left -= take;
      at += (uint32_t)take;
      if (at == str.len) {
        id++;
        at = 0;
      }
    }
    src = s->raw[j];
  }
  int c = (int)pc->rsize;
  s->data[j] = src;
  if (!pc->raw) {
    c = LZ4_compress_default(src, s->out[j], (int)pc->rsize, LZ4_compressBound(CHUNK));
    if (c <= 0) return -1;
    if ((double)c > (double)pc->rsize * STORED) c = (int)pc->rsize; /* stored as is */
    else s->data[j] = s->out[j];
  }
  s->hdr[j].csize = (uint32_t)c;
  s->hdr[j].rsize = pc->rsize;
  s->hdr[j].hash = hash64(s->data[j], (size_t)c, pc->rsize);
  return 0;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

typedef struct table {
  chunk_t *v;
  size_t n, cap;
  uint64_t pos;     /* file offset of the next byte */
  uint64_t raw;     /* rsize sum */
} table_t;

/* compresses (or hashes) the batch on the worker threads and appends it in
 * order, raw columns aligned */
static int flush(saver_t *sv, size_t np, int fd, table_t *tb, unsigned flags, const char *tmp,
                 char *why, size_t why_cap) {
  if (tv_pool_run(np, compress_piece, sv, flags) != 0)
    return fail(why, why_cap, "lz4 compression failed");
  static const char zeros[ALIGN];
  for (size_t j = 0; j < np; j++) {
    if (tb->n == tb->cap) {
      size_t cap = tb->cap ? tb->cap * 2 : 256;
      chunk_t *v = realloc(tb->v, cap * sizeof *v);
      if (!v) return fail(why, why_cap, "out of memory");
      tb->v = v;
      tb->cap = cap;
    }
    size_t pad = sv->pieces[j].first ? (ALIGN - tb->pos % ALIGN) % ALIGN : 0;
    if (write_all(fd, zeros, pad) || write_all(fd, sv->data[j], sv->hdr[j].csize))
      return fail(why, why_cap, "cannot write %s: %s", tmp, strerror(errno));
    sv->hdr[j].offset = tb->pos + pad;
    tb->v[tb->n++] = sv->hdr[j];
    tb->pos += pad + sv->hdr[j].csize;
    tb->raw += sv->hdr[j].rsize;
  }
  return 0;
}

static uint64_t table_hash(const chunk_t *v, uint64_t n, uint64_t raw) {
  return hash64(v, n * sizeof *v, n ^ raw);
}

/* Temporary files being written, so that a shutdown can remove them (9). */
typedef struct saving {
  struct saving *next;
  char tmp[PATH_MAX + 64];
} saving_t;

static pthread_mutex_t saving_lock = PTHREAD_MUTEX_INITIALIZER;
static saving_t *savings;
static _Atomic bool abandoned;
static _Atomic unsigned tmp_serial;

void tv_index_cache_abandon_saves(void) {
  pthread_mutex_lock(&saving_lock);
  atomic_store(&abandoned, true);
  for (saving_t *s = savings; s; s = s->next) unlink(s->tmp);
  pthread_mutex_unlock(&saving_lock);
}

static bool given_up(const _Atomic bool *cancel) {
  return atomic_load(&abandoned) || (cancel && atomic_load(cancel));
}

static void unregister(saving_t *me) {
  pthread_mutex_lock(&saving_lock);
  for (saving_t **p = &savings; *p; p = &(*p)->next)
    if (*p == me) {
      *p = me->next;
      break;
    }
  pthread_mutex_unlock(&saving_lock);
}

/* Tests of shutdown during a background save (tests/cache) slow the save
 * down, after the temporary file exists, by this many milliseconds. */
static void test_delay(const _Atomic bool *cancel) {
  const char *env = getenv("TRACEVIEW_TEST_SAVE_DELAY_MS");
  long ms = env && *env ? strtol(env, NULL, 10) : 0;
  for (long waited = 0; waited < ms && !given_up(cancel); waited += 10)
    nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
}

int tv_index_cache_save(const tv_trace_t *tr, size_t first_warning, const char *file,
                        const tv_cache_key_t *key, const _Atomic bool *cancel, bool background,
                        char *why, size_t why_cap) {
  tv_store_t *st = (tv_store_t *)&tr->store; /* columns() lists, never writes */
  const tv_intern_t *strings = &st->t.strings;
  unsigned flags = background ? TV_POOL_BACKGROUND : 0;
  uint64_t n_str_bytes = 0;
  uint32_t *lens = malloc(((size_t)strings->n + 1) * sizeof *lens);
  if (!lens) return fail(why, why_cap, "out of memory");
  for (uint32_t i = 0; i < strings->n; i++) {
    lens[i] = (uint32_t)strings->strs[i].len;
    n_str_bytes += lens[i];
  }
  buf_t meta = {0};
  write_meta(&meta, tr, first_warning, n_str_bytes);
  segs_t segs = {0};
  table_t tb = {0};
  char *gather = NULL; /* the string bytes: gathered piece by piece */
  columns(st, &lens, &gather, n_str_bytes, collect, &segs);
  lod_columns(tr->lods, st->t.n_threads, collect, &segs);
  int rc = segs.bad ? TV_ENOMEM : 0;
  saver_t sv = {.strings = strings};
  piece_t pieces[BATCH];
  sv.pieces = pieces;
  for (int i = 0; i < BATCH && rc == 0; i++) {
    sv.raw[i] = malloc(CHUNK);
    sv.out[i] = malloc((size_t)LZ4_compressBound(CHUNK));
    if (!sv.raw[i] || !sv.out[i]) rc = TV_ENOMEM;
  }
  saving_t *me = calloc(1, sizeof *me);
  int fd = -1;
  if (rc != 0 || meta.bad || !me) {
    rc = fail(why, why_cap, "out of memory");
    goto done;
  }
  /* Unique per process and save: two saves of one trace may overlap (a
   * re-index while the previous index is still being saved). */
  snprintf(me->tmp, sizeof me->tmp, "%s.%ld.%u.tmp", file, (long)getpid(),
           atomic_fetch_add(&tmp_serial, 1));
  const char *tmp = me->tmp;
  pthread_mutex_lock(&saving_lock);
  if (!atomic_load(&abandoned))
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  else
    errno = ECANCELED;
  if (fd >= 0) {
    me->next = savings;
    savings = me;
  }
  pthread_mutex_unlock(&saving_lock);
  if (fd < 0) {
    rc = fail(why, why_cap, "cannot write %s: %s", tmp, strerror(errno));
    free(me);
    me = NULL;
    goto done;
  }
  header_t h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, MAGIC, sizeof MAGIC);
  h.version = CACHE_VERSION;
  h.layout = layout_word();
  h.size = key->size;
  h.mtime_ns = key->mtime_ns;
  h.inode = key->inode;
  h.dev = key->dev;
  h.edge_hash = key->edge_hash;
  h.path_len = (uint32_t)strlen(key->path);
  h.meta_bytes = meta.len;
  h.index_seconds = tr->index_seconds;
  if (write_all(fd, &h, sizeof h) || write_all(fd, key->path, h.path_len)) goto io_error;
  tb.pos = sizeof h + h.path_len;
  if (background) test_delay(cancel);

  /* Segment -1 is the meta buffer; then the columns. */
  size_t np = 0;
  uint32_t str_id = 0, str_at = 0; /* cursor in the string bytes */
  for (long si = -1; si < (long)segs.n; si++) {
    const char *p = si < 0 ? (const char *)meta.p : segs.v[si].p;
    size_t bytes = si < 0 ? meta.len : segs.v[si].bytes;
    /* Columns the loader maps in place (8). */
    bool raw = si >= 0 && (segs.v[si].how == SEG_ARENA || segs.v[si].how == SEG_LOD);
    for (size_t at = 0; at < bytes; at += CHUNK) {
      uint32_t r = (uint32_t)(bytes - at < CHUNK ? bytes - at : CHUNK);
      pieces[np] = (piece_t){.src = p ? p + at : NULL, .rsize = r, .raw = raw, .first = raw && !at};
      if (!p) { /* string bytes: remember where this piece starts */
        pieces[np].str_id = str_id;
        pieces[np].str_at = str_at;
        for (size_t left = r; left;) {
          size_t in = strings->strs[str_id].len - str_at;
          if (in > left) {
            str_at += (uint32_t)left;
            left = 0;
          } else {
            left -= in;
            str_id++;
            str_at = 0;
          }
        }
      }
      if (++np == BATCH) {
        if (given_up(cancel)) {
          rc = fail(why, why_cap, "cancelled");
          goto done;
        }
        if ((rc = flush(&sv, np, fd, &tb, flags, tmp, why, why_cap)) != 0) goto done;
        np = 0;
      }
    }
  }
  if (np && (rc = flush(&sv, np, fd, &tb, flags, tmp, why, why_cap)) != 0) goto done;
  h.n_chunks = tb.n;
  h.raw_bytes = tb.raw;
  static const char zeros[8];
  h.table_offset = align_up(tb.pos, 8); /* read in place */
  if (write_all(fd, zeros, h.table_offset - tb.pos) ||
      (tb.n && write_all(fd, tb.v, tb.n * sizeof *tb.v)))
    goto io_error;
  h.payload_hash = table_hash(tb.v, tb.n, tb.raw);
  h.header_hash = hash64(&h, offsetof(header_t, header_hash), 0);
  if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) goto io_error;
  rc = 0;
  goto done;
io_error:
  rc = fail(why, why_cap, "cannot write %s: %s", me->tmp, strerror(errno));
done:
  if (fd >= 0 && close(fd) != 0 && rc == 0)
    rc = fail(why, why_cap, "cannot write %s: %s", me->tmp, strerror(errno));
  if (me) {
    /* Renamed under the lock: once abandoned, no cache file appears. */
    pthread_mutex_lock(&saving_lock);
    if (rc == 0 && given_up(cancel)) rc = fail(why, why_cap, "cancelled");
    if (rc == 0 && rename(me->tmp, file) != 0)
      rc = fail(why, why_cap, "cannot rename %s: %s", me->tmp, strerror(errno));
    if (rc != 0) unlink(me->tmp);
    pthread_mutex_unlock(&saving_lock);
    unregister(me);
    free(me);
  }
  if (rc == 0) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash) {
      *slash = '\0';
      tv_cache_trim(dir, ".tvidx", TV_INDEX_CACHE_KEEP, file);
    }
  }
  for (int i = 0; i < BATCH; i++) {
    free(sv.raw[i]);
    free(sv.out[i]);
  }
  free(tb.v);
  free(segs.v);
  free(meta.p);
  free(lens);
  return rc;
}

/* ---- load ---- */

/* t->format must outlive any trace, as the readers' string literals do: the
 * reader names and formats seen so far are kept for the process's life
 * (a handful of short strings). */
static const char *format_string(const char *name) {
  static const char *const known[] = {"chrome-json-object", "chrome-json-array", "chrome-jsonl"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(known[i], name) == 0) return known[i];
  for (size_t i = 0; tv_readers[i]; i++)
    if (strcmp(tv_readers[i]->name, name) == 0) return tv_readers[i]->name;
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static char *seen[32];
  const char *found = NULL;
  pthread_mutex_lock(&lock);
  size_t i = 0;
  for (; i < 32 && seen[i] && !found; i++)
    if (strcmp(seen[i], name) == 0) found = seen[i];
  if (!found && i < 32) found = seen[i] = strdup(name);
  pthread_mutex_unlock(&lock);
  return found;
}

typedef struct job {
  const char *src;
  char *dst; /* NULL: only checked (a column mapped in place, or pyramids
                a load does not want) */
  chunk_t hdr;
} job_t;

static int load_piece(void *ctx, size_t j) {
  job_t *jb = &((job_t *)ctx)[j];
#ifdef MADV_POPULATE_READ
  /* The stored bytes, faulted in by this thread in one call rather than a
   * fault per 64 KiB (the file is mapped without MAP_POPULATE, which would
   * read it on one thread). */
  uintptr_t a = (uintptr_t)jb->src & ~(uintptr_t)4095;
  madvise((void *)a, (uintptr_t)jb->src + jb->hdr.csize - a, MADV_POPULATE_READ);
#endif
  /* Checked even when not wanted: a damaged file is never used. */
  if (hash64(jb->src, jb->hdr.csize, jb->hdr.rsize) != jb->hdr.hash) return -1;
  if (!jb->dst) return 0;
  if (jb->hdr.csize == jb->hdr.rsize) {
    memcpy(jb->dst, jb->src, jb->hdr.rsize);
    return 0;
  }
  int n = LZ4_decompress_safe(jb->src, jb->dst, (int)jb->hdr.csize, (int)jb->hdr.rsize);
  return n == (int)jb->hdr.rsize ? 0 : -1;
}

/* ---- where loaded columns live (8) ---- */

typedef struct place_ctx {
  char *base;      /* the arena */
  size_t pos, cap;
  bool lods;       /* SEG_LOD segments are wanted */
  bool bad;        /* out of memory (SEG_MALLOC) */
  const char *map; /* the cache file's mapping */
  const uint64_t *at; /* per segment: its offset in map when mapped in place,
                         else UINT64_MAX */
  size_t i;        /* the (non-empty) segment being visited */
} place_ctx_t;

static bool wanted(int how, bool lods) { return how != SEG_LOD || lods; }

/* sums the arena: wanted segments not mapped in place, nor malloc'd */
static void measure(void *ctx, void **slot, size_t bytes, int how) {
  (void)slot;
  place_ctx_t *c = ctx;
  if (!bytes) return;
  if (how != SEG_MALLOC && wanted(how, c->lods) && c->at[c->i] == UINT64_MAX)
    c->cap += align_up(bytes, ALIGN);
  c->i++;
}

/* gives each segment its memory */
static void place(void *ctx, void **slot, size_t bytes, int how) {
  place_ctx_t *c = ctx;
  *slot = NULL;
  if (!bytes) return;
  size_t i = c->i++;
  if (!wanted(how, c->lods)) return;
  if (how == SEG_MALLOC) {
    if (!(*slot = malloc(bytes))) c->bad = true;
  } else if (c->at[i] != UINT64_MAX) {
    *slot = (char *)c->map + c->at[i];
  } else {
    *slot = c->base + c->pos;
    c->pos += align_up(bytes, ALIGN);
  }
}

/* takes a column out of the store when it lives in the arena or the map */
static void detach(void *ctx, void **slot, size_t bytes, int how) {
  (void)bytes, (void)how;
  const tv_store_t *st = ctx;
  const char *p = *slot, *a = st->arena, *m = st->mapped;
  if (p && ((a && p >= a && p < a + st->arena_bytes) || (m && p >= m && p < m + st->mapped_bytes)))
    *slot = NULL;
}

static void arena_free(tv_store_t *st) {
  uint32_t *lens = NULL;
  char *bytes = NULL;
  columns(st, &lens, &bytes, 0, detach, st);
  if (st->arena) munmap(st->arena, st->arena_bytes);
  if (st->mapped) munmap(st->mapped, st->mapped_bytes);
  st->arena = st->mapped = NULL;
  st->arena_bytes = st->mapped_bytes = 0;
  st->arena_free = NULL;
}

/* One anonymous mapping for every column not mapped in place. Columns are
 * never grown after a load, so one block does, and it is freed at once.
 * (No MADV_HUGEPAGE: on this project's VMs, fresh 2 MiB pages come from
 * blocks the hypervisor has reclaimed and cost several times more to fault
 * in than 4 KiB ones.) */
static char *arena_map(tv_store_t *st, size_t bytes) {
  if (!bytes) return NULL;
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  st->arena = m;
  st->arena_bytes = bytes;
  st->arena_free = arena_free;
  return m;
}

/* Reads the meta segment into t: the scalars and tables, every row count
 * (the columns are placed afterwards), and the pyramids' levels and run
 * lengths into *lods (NULL when the file has none). 0, or -1 with why. */
static int read_meta(buf_t *b, tv_trace_t *tr, uint64_t limit, uint64_t *n_str_bytes_out,
                     uint32_t *n_strings_out, tv_lod_t **lods, char *why, size_t cap) {
  tv_store_t *st = &tr->store;
  tv_tables_t *t = &st->t;
  char name[256], msg[1024];
  get_str(b, name, sizeof name);
  for (size_t i = 0; tv_readers[i] && !b->bad && !tr->reader; i++)
    if (strcmp(tv_readers[i]->name, name) == 0) tr->reader = tv_readers[i];
  if (!b->bad && !tr->reader) return fail(why, cap, "made by a reader this build lacks (%s)", name);
  get_str(b, name, sizeof name);
  char unit[sizeof tr->display_time_unit];
  get(b, unit, sizeof unit);
  uint8_t truncated = 0, no_timeline = 0;
  GET(b, truncated);
  uint32_t n_warn = 0;
  GET(b, n_warn);
  for (uint32_t i = 0; i < n_warn && !b->bad; i++) {
    int64_t off = 0;
    GET(b, off);
    get_str(b, msg, sizeof msg);
    if (!b->bad) tv_trace_warn(tr, off, "%s", msg);
  }
  GET(b, st->min_ns);
  GET(b, st->max_ns);
  GET(b, st->n_slices);
  GET(b, st->n_instants);
  GET(b, st->n_counter_samples);
  GET(b, t->n_raw_events);
  GET(b, t->n_samples);
  GET(b, t->sample_weight);
  GET(b, t->sample_ns);
  GET(b, t->n_span_events);
  GET(b, no_timeline);
  GET(b, t->diag);
  GET(b, t->phases.by_byte);
  uint64_t n_other = 0;
  GET(b, n_other);
  if (b->bad || n_other > limit) return fail(why, cap, "bad meta data");
  if (n_other && (!(t->phases.other_ph = malloc(n_other * sizeof *t->phases.other_ph)) ||
                  !(t->phases.other_n = malloc(n_other * sizeof *t->phases.other_n))))
    return fail(why, cap, "out of memory");
  get(b, t->phases.other_ph, n_other * sizeof *t->phases.other_ph);
  get(b, t->phases.other_n, n_other * sizeof *t->phases.other_n);
  t->phases.n_other = t->phases.cap_other = n_other;
  uint32_t n_strings = 0;
  uint64_t n_str_bytes = 0, n[6];
  GET(b, n_strings);
  GET(b, n_str_bytes);
  GET(b, n);
  if (b->bad || n_strings == 0 || n_strings > limit || n_str_bytes > limit) return fail(why, cap, "bad meta data");
  for (int i = 0; i < 6; i++)
    if (n[i] > limit) return fail(why, cap, "bad meta data");
  tr->format = format_string(name);
  memcpy(tr->display_time_unit, unit, sizeof unit);
  tr->display_time_unit[sizeof unit - 1] = '\0';
  tr->truncated = truncated;
  t->no_timeline = no_timeline;
  *n_str_bytes_out = n_str_bytes;
  *n_strings_out = n_strings;
  t->n_cats = t->cap_cats = n[0];
  t->n_procs = t->cap_procs = n[1];
  t->n_totals = t->cap_totals = n[2];
  t->n_flows = t->cap_flows = n[3];
  if (n[4] && !(t->threads = calloc(n[4], sizeof *t->threads))) return fail(why, cap, "out of memory");
  t->n_threads = t->cap_threads = n[4];
  for (size_t i = 0; i < t->n_threads && !b->bad; i++) {
    tv_thread_t *th = &t->threads[i];
    GET(b, th->pid);
    GET(b, th->tid);
    GET(b, th->name);
    GET(b, th->sort_index);
    uint8_t flags[3];
    GET(b, flags);
    th->has_sort_index = flags[0];
    th->listed = flags[1];
    th->kind = flags[2];
    GET(b, th->max_depth);
    GET(b, th->n_end_events);
    uint64_t rows[3];
    GET(b, rows);
    if (b->bad || rows[0] > limit || rows[1] > limit || rows[2] > limit || th->max_depth > limit)
      return fail(why, cap, "bad meta data");
    th->slices.n = th->slices.cap = rows[0];
    th->instants.n = th->instants.cap = rows[1];
    th->samples.n = th->samples.cap = rows[2];
  }
  if (n[5] && !(t->counters = calloc(n[5], sizeof *t->counters)))
    return fail(why, cap, "out of memory");
  t->n_counters = t->cap_counters = n[5];
  for (size_t i = 0; i < t->n_counters && !b->bad; i++) {
    tv_counter_t *c = &t->counters[i];
    uint64_t rows = 0;
    GET(b, c->pid);
    GET(b, c->name);
    GET(b, c->series);
    GET(b, rows);
    if (b->bad || rows > limit) return fail(why, cap, "bad meta data");
    c->n = c->cap = rows;
  }
  uint8_t has_lods = 0;
  GET(b, has_lods);
  if (b->bad || has_lods > 1) return fail(why, cap, "bad meta data");
  int64_t span = st->min_ns <= st->max_ns ? st->max_ns - st->min_ns : 0;
  if (has_lods && !(*lods = calloc(t->n_threads + 1, sizeof **lods)))
    return fail(why, cap, "out of memory");
  for (size_t i = 0; has_lods && i < t->n_threads && !b->bad; i++) {
    tv_lod_t *l = &(*lods)[i];
    uint32_t levels[3];
    uint64_t n_entries = 0, sum = 0;
    GET(b, levels);
    GET(b, n_entries);
    /* What tv_lod_build makes of this thread and span, or it is not ours. */
    if (b->bad || levels[1] != tv_lod_top_level(span) || levels[2] != t->threads[i].max_depth ||
        levels[0] > levels[1] + 1 || n_entries > limit)
      return fail(why, cap, "bad meta data (pyramid)");
    l->span_ns = span;
    l->first_level = levels[0];
    l->max_level = levels[1];
    l->n_depths = levels[2];
    l->n_entries = n_entries;
    l->borrowed = true;
    size_t nr = levels[0] <= levels[1] ? (size_t)(levels[1] - levels[0] + 1) * levels[2] : 0;
    if (nr > limit) return fail(why, cap, "bad meta data (pyramid)");
    if (nr && !(l->runs = calloc(nr, sizeof *l->runs))) return fail(why, cap, "out of memory");
    for (size_t r = 0; r < nr && !b->bad; r++) {
      uint64_t rn = 0;
      GET(b, rn);
      l->runs[r].n = rn;
      sum += rn;
    }
    if (b->bad || sum != n_entries || (!nr && n_entries))
      return fail(why, cap, "bad meta data (pyramid)");
    l->bytes = nr * sizeof *l->runs + n_entries * sizeof(tv_lod_entry_t);
  }
  if (b->bad || b->pos != b->len) return fail(why, cap, "bad meta data");
  return 0;
}

/* A pyramid names rows of its thread's slices: from a file, check them
 * before a tile reads through them. */
typedef struct lod_check {
  tv_lod_t *lods;
  const tv_tables_t *t;
} lod_check_t;

static int check_lod(void *ctx, size_t i) {
  lod_check_t *c = ctx;
  tv_lod_t *l = &c->lods[i];
  uint64_t rows = c->t->threads[i].slices.n;
  size_t at = 0;
  for (size_t r = 0, nr = tv_lod_n_runs(l); r < nr; r++) {
    l->runs[r].e = l->block + at;
    at += l->runs[r].n;
  }
  for (size_t k = 0; k < l->n_entries; k++) {
    const tv_lod_entry_t *e = &l->block[k];
    if (e->count == 0 || e->longest >= rows ||
        (e->second == UINT32_MAX ? e->count > 1 : e->second >= rows))
      return -1;
  }
  return 0;
}

int tv_index_cache_load(tv_trace_t *t, const char *file, const tv_cache_key_t *key,
                        bool want_lods, char *why, size_t why_cap) {
  double t0 = now_seconds();
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      fail(why, why_cap, "no cache file yet");
      return 1;
    }
    return fail(why, why_cap, "cannot open %s: %s", file, strerror(errno));
  }
  struct stat fst;
  if (fstat(fd, &fst) != 0 || (size_t)fst.st_size < sizeof(header_t)) {
    close(fd);
    return fail(why, why_cap, "the cache file is truncated");
  }
  size_t len = (size_t)fst.st_size;
  /* Read-only and private: a column mapped in place cannot be written, and
   * the file is only ever replaced by a rename, never rewritten in place.
   * The worker threads fault in what they check (load_piece). */
  char *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) return fail(why, why_cap, "cannot map %s: %s", file, strerror(errno));
  madvise(base, len, MADV_WILLNEED); /* read ahead what is not in the page cache */

  int rc = -1;
  job_t *jobs = NULL;
  buf_t meta = {0};
  uint32_t *lens = NULL;
  tv_lod_t *lods = NULL;
  segs_t segs = {0};
  uint64_t *at = NULL;
  bool keep_map = false;
  size_t n_saved_warnings = t->n_warnings;
  tv_tables_t *tb = &t->store.t;
  header_t h;
  memcpy(&h, base, sizeof h);
  if (memcmp(h.magic, MAGIC, sizeof MAGIC) != 0 || h.version != CACHE_VERSION ||
      h.layout != layout_word()) {
    fail(why, why_cap, "made by another version of traceview");
    goto out;
  }
  if (h.header_hash != hash64(&h, offsetof(header_t, header_hash), 0)) {
    fail(why, why_cap, "the cache file header is damaged");
    goto out;
  }
  if (h.size != key->size || h.mtime_ns != key->mtime_ns || h.inode != key->inode ||
      h.dev != key->dev || h.edge_hash != key->edge_hash || h.path_len != strlen(key->path) ||
      len - sizeof h < h.path_len || memcmp(base + sizeof h, key->path, h.path_len) != 0) {
    fail(why, why_cap, "the trace changed since it was cached");
    goto out;
  }
  /* The chunk table ends the file: bounds, payload hash, then every chunk
   * inside the data, in order, not overlapping. */
  uint64_t data = sizeof h + h.path_len;
  if (h.table_offset < data || h.table_offset > len ||
      h.n_chunks > (len - h.table_offset) / sizeof(chunk_t)) {
    fail(why, why_cap, "the cache file is truncated or damaged");
    goto out;
  }
  if (h.table_offset + h.n_chunks * sizeof(chunk_t) != len) {
    fail(why, why_cap, "the cache file has extra bytes");
    goto out;
  }
  const chunk_t *table = (const chunk_t *)(base + h.table_offset);
  jobs = malloc((h.n_chunks + 1) * sizeof *jobs);
  if (!jobs) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  uint64_t raw = 0, end = data;
  bool ok = h.table_offset % 8 == 0; /* chunk_t read in place */
  for (uint64_t i = 0; i < h.n_chunks && ok; i++) {
    chunk_t c;
    memcpy(&c, &table[i], sizeof c);
    ok = c.rsize && c.rsize <= CHUNK &&
         (c.csize == c.rsize || c.csize <= (uint32_t)LZ4_compressBound((int)c.rsize)) &&
         c.offset >= end && c.offset <= h.table_offset && c.csize <= h.table_offset - c.offset;
    jobs[i] = (job_t){.src = base + c.offset, .hdr = c};
    end = c.offset + c.csize;
    raw += c.rsize;
  }
  if (!ok || raw != h.raw_bytes || h.meta_bytes > h.raw_bytes ||
      table_hash(table, h.n_chunks, h.raw_bytes) != h.payload_hash) {
    fail(why, why_cap, "the cache file is truncated or damaged");
    goto out;
  }
  /* The meta segment, then the columns it describes. */
  meta.p = malloc(h.meta_bytes ? h.meta_bytes : 1);
  meta.len = h.meta_bytes;
  size_t k = 0;
  for (uint64_t a = 0; meta.p && a < h.meta_bytes; a += CHUNK, k++) {
    if (k >= h.n_chunks || jobs[k].hdr.rsize != (h.meta_bytes - a < CHUNK ? h.meta_bytes - a : CHUNK))
      break;
    jobs[k].dst = (char *)meta.p + a;
    if (load_piece(jobs, k) != 0) break;
  }
  if (!meta.p || k != (h.meta_bytes + CHUNK - 1) / CHUNK) {
    fail(why, why_cap, meta.p ? "the cache file is damaged" : "out of memory");
    goto out;
  }
  if (tv_intern_init(&tb->strings) != 0) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  free(tb->strings.hashes); /* replaced by the saved ones */
  tb->strings.hashes = NULL;
  char *str_bytes = NULL;
  uint64_t n_str_bytes = 0;
  uint32_t n_strings = 0;
  t->index_seconds = h.index_seconds;
  if (read_meta(&meta, t, h.raw_bytes, &n_str_bytes, &n_strings, &lods, why, why_cap) != 0)
    goto out;
  /* columns() sizes the string columns by strings.n (the table is rebuilt
   * over them once they are filled). */
  tb->strings.n = n_strings;
  bool lods_wanted = want_lods && lods;
  /* The segments in file order with their sizes, and their chunks: a
   * segment stored raw, in one piece, aligned, is mapped in place (at[i]);
   * any other is copied or decompressed into the arena, chunk by chunk. */
  columns(&t->store, &lens, &str_bytes, n_str_bytes, collect, &segs);
  lod_columns(lods, tb->n_threads, collect, &segs);
  if (segs.bad || !(at = malloc((segs.n + 1) * sizeof *at))) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  if (segs.bytes != h.raw_bytes - h.meta_bytes) {
    fail(why, why_cap, "the cache file is damaged (sizes disagree)");
    goto out;
  }
  size_t first = k;
  for (size_t i = 0; i < segs.n; i++) {
    size_t n = (segs.v[i].bytes + CHUNK - 1) / CHUNK;
    if (n > h.n_chunks - k) {
      k = h.n_chunks + 1;
      break;
    }
    bool in_place = segs.v[i].how != SEG_MALLOC && jobs[k].hdr.offset % ALIGN == 0;
    for (size_t c = 0; c < n; c++) {
      const chunk_t *ch = &jobs[k + c].hdr;
      if (ch->rsize != (c + 1 < n ? CHUNK : segs.v[i].bytes - c * (size_t)CHUNK)) {
        k = h.n_chunks + 1;
        break;
      }
      in_place = in_place && ch->csize == ch->rsize &&
                 ch->offset == jobs[k].hdr.offset + c * (uint64_t)CHUNK;
    }
    if (k > h.n_chunks) break;
    at[i] = in_place ? jobs[k].hdr.offset : UINT64_MAX;
    keep_map |= in_place && wanted(segs.v[i].how, lods_wanted);
    k += n;
  }
  if (k != h.n_chunks) {
    fail(why, why_cap, "the cache file is damaged (chunks disagree)");
    goto out;
  }
  /* Room for the rest at its final size; each chunk then lands in place. */
  place_ctx_t pc = {.lods = lods_wanted, .map = base, .at = at};
  columns(&t->store, &lens, &str_bytes, n_str_bytes, measure, &pc);
  lod_columns(lods, tb->n_threads, measure, &pc);
  if (pc.cap && !(pc.base = arena_map(&t->store, pc.cap))) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  if (keep_map) { /* the store unmaps it (arena_free) */
    t->store.mapped = base;
    t->store.mapped_bytes = len;
    t->store.arena_free = arena_free;
  }
  pc.i = 0;
  columns(&t->store, &lens, &str_bytes, n_str_bytes, place, &pc);
  lod_columns(lods, tb->n_threads, place, &pc);
  if (pc.bad) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  k = first;
  for (size_t i = 0; i < segs.n; i++) {
    char *dst = at[i] == UINT64_MAX ? *segs.v[i].slot : NULL;
    for (size_t a = 0; a < segs.v[i].bytes; a += CHUNK, k++) jobs[k].dst = dst ? dst + a : NULL;
  }
  if (tv_pool_run(k - first, load_piece, jobs + first, 0) != 0) {
    fail(why, why_cap, "the cache file is damaged (a checksum does not match)");
    goto out;
  }
  /* Cheap consistency checks on what the checksums cannot vouch for: our
   * own writer. */
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n_strings; i++) sum += lens[i];
  ok = sum == n_str_bytes;
  for (size_t i = 0; i < tb->n_threads && ok; i++)
    ok = tb->threads[i].depth_begin[tb->threads[i].max_depth] == tb->threads[i].slices.n;
  lod_check_t lc = {lods, tb};
  if (ok && lods_wanted) ok = tv_pool_run(tb->n_threads, check_lod, &lc, 0) == 0;
  if (!ok) {
    fail(why, why_cap, "the cache file is inconsistent");
    goto out;
  }
  uint32_t *hashes = tb->strings.hashes;
  tb->strings.hashes = NULL;
  static const char no_bytes[1] = ""; /* every string empty: views need a base */
  if (tv_intern_load(&tb->strings, n_strings, lens, str_bytes ? str_bytes : no_bytes, hashes) != 0) {
    free(hashes);
    fail(why, why_cap, "out of memory");
    goto out;
  }
  if (tv_store_rebuild_lookup(tb) != 0) {
    fail(why, why_cap, "out of memory");
    goto out;
  }
  if (lods_wanted) {
    t->lods = lods;
    lods = NULL;
  }
  rc = 0;
out:;
  bool store_maps = t->store.mapped == base; /* then the store unmaps it */
  tv_lods_free(lods, tb->n_threads); /* before the store: it may point into its arena */
  if (rc != 0) {
    tv_store_free(&t->store);
    for (size_t i = n_saved_warnings; i < t->n_warnings; i++) free(t->warnings[i].msg);
    t->n_warnings = n_saved_warnings;
    t->reader = NULL;
    t->format = NULL;
    t->truncated = false;
    t->display_time_unit[0] = '\0';
  } else {
    t->cache_load_seconds = now_seconds() - t0;
  }
  free(at);
  free(segs.v);
  free(lens);
  free(meta.p);
  free(jobs);
  if (!store_maps) munmap(base, len);
  return rc;
}
