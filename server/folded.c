/* folded.c: Brendan Gregg's folded stacks, one stack per line, root first:
 *
 *   main;parse;lex 42
 *
 * The count is the last space-separated token; frames may hold spaces. Lines
 * starting with '#' or '//' are comments; other lines that do not end in a
 * count are skipped with one warning (how many, and where the first is).
 * CRLF line ends are fine. UTF-16 files (LE or BE, with a byte order mark,
 * as Windows tools write them) are transcoded line by line into the string
 * arena; offsets then still refer to the UTF-16 file.
 *
 * There are no times: the stacks are laid out on one made-up thread (pid 1,
 * tid 1, named after the file), sorted frame by frame so stacks with a common
 * prefix are neighbours and merge (what flamegraph.pl does), each one `count`
 * nanoseconds wide: sample_ns is 1 and the trace has no timeline. A first
 * frame that looks like a comm stays a frame: threads are not split. */
#include "traceview/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRESS_STEP (16u << 20)
#define MAX_TOTAL (INT64_C(1) << 62) /* sum of counts: the timeline's length in ns */
#define MAX_COUNT_DIGITS 18

typedef struct fline {
  const char *p;
  size_t len;
  uint64_t off; /* in the file */
} fline_t;

/* Iterates lines of UTF-8 text or of UTF-16 (transcoded). */
typedef struct liter {
  const unsigned char *base, *p, *end;
  int utf16; /* 0, 1 little endian, 2 big endian */
  char *buf; /* UTF-16: one transcoded line */
  size_t cap;
  tv_intern_t *arena; /* where transcoded lines live on (NULL: buf is reused) */
} liter_t;

static int utf16_bom(const char *p, size_t len) {
  if (len < 2) return 0;
  unsigned char a = (unsigned char)p[0], b = (unsigned char)p[1];
  return a == 0xff && b == 0xfe ? 1 : a == 0xfe && b == 0xff ? 2 : 0;
}

static void liter_init(liter_t *it, const char *p, size_t len, tv_intern_t *arena) {
  memset(it, 0, sizeof *it);
  it->base = it->p = (const unsigned char *)p;
  it->end = it->base + len;
  it->arena = arena;
  it->utf16 = utf16_bom(p, len);
  if (it->utf16) it->p += 2;
  else if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) it->p += 3;
}

static unsigned u16_at(const liter_t *it, const unsigned char *q) {
  return it->utf16 == 1 ? (unsigned)(q[0] | q[1] << 8) : (unsigned)(q[0] << 8 | q[1]);
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) return o[0] = (char)cp, 1;
  if (cp < 0x800) return o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), 2;
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18);
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* The next line (without '\n' and a '\r' before it): 1, 0 at the end, or
 * -1 on out of memory. *terminated: it ended with a newline. */
static int liter_next(liter_t *it, fline_t *line, bool *terminated) {
  if (it->p >= it->end) return 0;
  line->off = (uint64_t)(it->p - it->base);
  if (!it->utf16) {
    const unsigned char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const unsigned char *e = nl ? nl : it->end;
    line->p = (const char *)it->p;
    line->len = (size_t)(e - it->p);
    *terminated = nl != NULL;
    it->p = nl ? nl + 1 : it->end;
  } else {
    /* find the end of the line in code units, then transcode it */
    const unsigned char *q = it->p;
    while (q + 1 < it->end && u16_at(it, q) != '\n') q += 2;
    *terminated = q + 1 < it->end;
    size_t units = (size_t)(q - it->p) / 2, need = units * 3 + 1; /* a unit: at most 3 bytes */
    char *o;
    if (it->arena) {
      o = tv_intern_alloc(it->arena, need);
    } else {
      if (need > it->cap) {
        char *g = realloc(it->buf, need);
        if (!g) return -1;
        it->buf = g;
        it->cap = need;
      }
      o = it->buf;
    }
    if (!o) return -1;
    size_t n = 0;
    for (const unsigned char *u = it->p; u < q; u += 2) {
      unsigned c = u16_at(it, u);
      if (c >= 0xd800 && c < 0xdc00 && u + 2 < q) {
        unsigned d = u16_at(it, u + 2);
        if (d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          u += 2;
        } else {
          c = 0xfffd;
        }
      } else if (c >= 0xd800 && c < 0xe000) {
        c = 0xfffd;
      }
      n += put_utf8(o + n, c);
    }
    line->p = o;
    line->len = n;
    /* past the '\n' unit; an odd last byte is dropped */
    it->p = *terminated ? q + 2 : it->end;
  }
  if (line->len && line->p[line->len - 1] == '\r') line->len--;
  return 1;
}

static void liter_free(liter_t *it) { free(it->buf); }

static bool is_space(char c) { return c == ' ' || c == '\t'; }

enum { LINE_BLANK, LINE_COMMENT, LINE_STACK, LINE_INVALID };

/* Splits "STACK COUNT": the stack (trimmed) and the count. */
static int classify(const char *p, size_t len, tv_str_t *stack, int64_t *count) {
  while (len && is_space(p[len - 1])) len--;
  size_t s = 0;
  while (s < len && is_space(p[s])) s++;
  if (s == len) return LINE_BLANK;
  if (p[s] == '#' || (len - s >= 2 && p[s] == '/' && p[s + 1] == '/')) return LINE_COMMENT;
  if (memchr(p + s, '\0', len - s)) return LINE_INVALID;
  size_t d = len;
  while (d > s && p[d - 1] >= '0' && p[d - 1] <= '9') d--;
  if (d == len || d == s || !is_space(p[d - 1]) || len - d > MAX_COUNT_DIGITS) return LINE_INVALID;
  int64_t v = 0;
  for (size_t i = d; i < len; i++) v = v * 10 + (p[i] - '0');
  size_t e = d;
  while (e > s && is_space(p[e - 1])) e--;
  if (e == s) return LINE_INVALID;
  *stack = tv_str(p + s, e - s);
  *count = v;
  return LINE_STACK;
}

/* --------------------------------------------------------------- probe */

static int folded_probe(const char *p, size_t len) {
  size_t i = 0;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) i = 3;
  if (!utf16_bom(p, len)) {
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i < len && (p[i] == '{' || p[i] == '[')) return 0; /* JSON */
  }
  size_t window = len < 65536 ? len : 65536;
  liter_t it;
  liter_init(&it, p, window, NULL);
  fline_t l;
  bool term;
  int valid = 0, invalid = 0, with_semicolon = 0, r;
  while (valid + invalid < 20 && (r = liter_next(&it, &l, &term)) == 1) {
    if (!term && window < len) break; /* cut by the window */
    tv_str_t stack;
    int64_t count;
    switch (classify(l.p, l.len, &stack, &count)) {
      case LINE_STACK:
        valid++;
        with_semicolon += memchr(stack.p, ';', stack.len) != NULL;
        break;
      case LINE_INVALID: invalid++; break;
      default: break;
    }
  }
  liter_free(&it);
  if (valid == 0 || invalid * 2 > valid) return 0;
  if (!with_semicolon) return 20; /* one-frame stacks: plausible, weakly */
  return invalid ? 50 : 70;
}

/* --------------------------------------------------------------- read */

typedef struct fstack {
  size_t frame0;
  uint32_t n;
  int64_t count;
  uint64_t off;
} fstack_t;

typedef struct fsort {
  const tv_intern_t *strings;
  const uint32_t *frames;
} fsort_t;

static _Thread_local fsort_t *sort_ctx; /* qsort has no user pointer in C11 */

static int cmp_stack(const void *pa, const void *pb) {
  const fstack_t *a = pa, *b = pb;
  const uint32_t *fa = sort_ctx->frames + a->frame0, *fb = sort_ctx->frames + b->frame0;
  uint32_t n = a->n < b->n ? a->n : b->n;
  for (uint32_t i = 0; i < n; i++) {
    if (fa[i] == fb[i]) continue;
    tv_str_t x = tv_intern_str(sort_ctx->strings, fa[i]), y = tv_intern_str(sort_ctx->strings, fb[i]);
    size_t m = x.len < y.len ? x.len : y.len;
    int c = m ? memcmp(x.p, y.p, m) : 0;
    if (c) return c;
    return x.len < y.len ? -1 : 1; /* different ids: different strings */
  }
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  return a->off < b->off ? -1 : a->off > b->off;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap * 2 : 1024;
  while (c < need) c *= 2;
  void *g = realloc(*arr, c * size);
  if (!g) return -1;
  *arr = g;
  *cap = c;
  return 0;
}

static tv_str_t file_label(const tv_trace_t *t) {
  const char *path = t->source_path ? t->source_path : t->map.path;
  if (!path || !*path) return TV_STR_LIT("stacks");
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  return *name ? tv_str(name, strlen(name)) : TV_STR_LIT("stacks");
}

static int folded_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
                       size_t *n_builders, tv_error_t *err) {
  const char *file = t->map.path;
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, file, -1, "out of memory");
  }
  t->format = "folded";
  fstack_t *stacks = NULL;
  size_t n_stacks = 0, cap_stacks = 0;
  uint32_t *frames = NULL;
  size_t n_frames = 0, cap_frames = 0;
  uint64_t n_invalid = 0, n_zero = 0;
  int64_t first_invalid = -1, total = 0;
  int rc = 0;
  liter_t it;
  liter_init(&it, t->map.base, t->map.len, &b->strings);
  uint64_t next_progress = PROGRESS_STEP;
  fline_t l;
  bool term;
  int r;
  while ((r = liter_next(&it, &l, &term)) == 1) {
    tv_str_t stack;
    int64_t count;
    int kind = classify(l.p, l.len, &stack, &count);
    if (kind == LINE_INVALID) {
      if (!term) { /* the last line, cut: the file is truncated */
        t->truncated = true;
        tv_trace_warn(t, (int64_t)l.off, "the last line has no count and no newline (the file "
                      "is truncated?); loaded the %zu stacks before it", n_stacks);
        break;
      }
      if (n_invalid++ == 0) first_invalid = (int64_t)l.off;
      continue;
    }
    if (kind != LINE_STACK) continue;
    if (count == 0) {
      n_zero++;
      continue;
    }
    if (count > MAX_TOTAL - total) {
      rc = tv_error_set(err, TV_ERANGE, file, (int64_t)l.off,
                        "the counts add up to more than 2^62; expected sample counts");
      goto out;
    }
    total += count;
    if (grow((void **)&stacks, &cap_stacks, n_stacks + 1, sizeof *stacks)) goto oom;
    fstack_t *s = &stacks[n_stacks++];
    *s = (fstack_t){.frame0 = n_frames, .n = 0, .count = count, .off = l.off};
    const char *f = stack.p, *end = stack.p + stack.len;
    for (;;) {
      const char *semi = memchr(f, ';', (size_t)(end - f));
      const char *fe = semi ? semi : end;
      uint32_t id = tv_intern(&b->strings, tv_str(f, (size_t)(fe - f)), NULL);
      if (id == UINT32_MAX) goto oom;
      if (grow((void **)&frames, &cap_frames, n_frames + 1, sizeof *frames)) goto oom;
      frames[n_frames++] = id;
      s->n++;
      if (!semi) break;
      f = semi + 1;
    }
    if (l.off >= next_progress) {
      if (opts && opts->progress) opts->progress(opts->progress_ud, l.off, t->map.len);
      next_progress = l.off + PROGRESS_STEP;
    }
  }
  if (r < 0) goto oom;
  if (n_stacks == 0) {
    if (n_invalid)
      rc = tv_error_set(err, TV_ESYNTAX, file, first_invalid,
                        "expected a folded stack line 'frame;frame;frame COUNT'");
    else
      rc = tv_error_set(err, TV_EFORMAT, file, (int64_t)t->map.len,
                        "no stacks in the file (only comments, blank lines or zero counts)");
    goto out;
  }
  if (n_invalid)
    tv_trace_warn(t, first_invalid,
                  "skipped %llu line%s not of the form 'frame;frame;frame COUNT' (the first "
                  "is here)", (unsigned long long)n_invalid, n_invalid == 1 ? "" : "s");
  fsort_t ctx = {&b->strings, frames};
  sort_ctx = &ctx;
  qsort(stacks, n_stacks, sizeof *stacks, cmp_stack);
  sort_ctx = NULL;
  tv_str_t label = file_label(t);
  char *copy = tv_intern_copy(&b->strings, label.p, label.len);
  uint32_t name = copy ? tv_intern(&b->strings, tv_str(copy, label.len), NULL) : UINT32_MAX;
  tv_thread_t *th = tv_builder_thread(b, 1, 1);
  tv_process_t *pr = tv_builder_process(b, 1);
  if (name == UINT32_MAX || !th || !pr) goto oom;
  th->name = pr->name = name;
  b->sample_ns = 1;
  b->no_timeline = true;
  int64_t ts = 0;
  for (size_t i = 0; i < n_stacks; i++) {
    const fstack_t *s = &stacks[i];
    if (tv_builder_add_sample(b, th, ts, s->count, frames + s->frame0, s->n, s->count, s->off))
      goto oom;
    ts += s->count;
  }
  b->n_raw_events = n_stacks;
  if (n_zero)
    tv_trace_warn(t, -1, "ignored %llu stack%s with a count of 0", (unsigned long long)n_zero,
                  n_zero == 1 ? "" : "s");
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
  goto out;
oom:
  rc = tv_error_set(err, TV_ENOMEM, file, -1, "out of memory");
out:
  liter_free(&it);
  free(stacks);
  free(frames);
  if (rc) {
    tv_builder_free(b);
    free(b);
    return rc;
  }
  *builders = b;
  *n_builders = 1;
  return 0;
}

/* --------------------------------------------------------------- args */

/* p is the line's bytes (and what follows); a UTF-16 file's lines have no
 * byte order mark of their own, so they get no args (the stack is the name). */
static json_t *folded_event_args(const char *p, size_t len) {
  if (memchr(p, '\0', len < 64 ? len : 64)) return NULL;
  liter_t it;
  liter_init(&it, p, len, NULL);
  fline_t l;
  bool term;
  json_t *o = NULL;
  if (liter_next(&it, &l, &term) == 1) {
    tv_str_t stack;
    int64_t count;
    if (classify(l.p, l.len, &stack, &count) == LINE_STACK) {
      json_t *s = json_stringn(stack.p, stack.len);
      if (!s) { /* not UTF-8: show it with '?' */
        char *c = malloc(stack.len ? stack.len : 1);
        if (c) {
          for (size_t i = 0; i < stack.len; i++)
            c[i] = (unsigned char)stack.p[i] < 0x80 ? stack.p[i] : '?';
          s = json_stringn(c, stack.len);
          free(c);
        }
      }
      o = json_pack("{s:o?,s:I}", "stack", s, "count", (json_int_t)count);
    }
  }
  liter_free(&it);
  return o;
}

const tv_reader_t tv_folded_reader = {
    .name = "folded",
    .description = "folded stacks (frame;frame;frame COUNT)",
    .probe = folded_probe,
    .read = folded_read,
    .event_args = folded_event_args,
};
