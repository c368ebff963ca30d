/* perf_script.c: the text `perf script` prints after `perf record -g` (or
 * --call-graph dwarf).
 *
 * A sample is a header line, its call chain leaf first, then a blank line:
 *
 *   opt cgu.11 16548/16560 [003] 491.124020:    1001001 cpu-clock:pppH:
 *   \tffffffff821e5f76 copy_mc_enhanced_fast_string+0x6 ([kernel.kallsyms])
 *   \t           16932 [unknown] (/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1)
 *
 * The header's fields depend on perf's version and options (-F): pid/tid or
 * one number (then it is both), [cpu] or not, the time or not, the period or
 * not; the comm may hold spaces. So the header is parsed around an anchor:
 * the first token `SECONDS.FRACTION:` (or, without a time, the first token
 * ending in ':' right after the pid), with the pid before it and the period
 * and event after it. Lines starting with '#' (perf's `# ====` header block)
 * are comments.
 *
 * Reading: one pass collects the samples (thread, time, frames as interned
 * names pointing into the mapping); then each thread's samples are sorted by
 * time (perf prints them in time order, but system-wide recordings interleave
 * CPUs), the sampling interval is estimated as the median of the positive
 * gaps between a thread's consecutive samples, and every sample is given to
 * the builder with that width: a flame graph's totals are then exactly
 * samples x sample_ns. A file without times (old perf) numbers its samples
 * 1 ms apart and has no timeline.
 *
 * Damage: a header or frame line that does not parse drops that one sample
 * (a warning counts them and gives the first offset); a file with no good
 * sample at all is an error at the first bad line; a NUL byte is an error
 * (not text). A last line cut without its newline drops its sample and warns
 * that the file is truncated. */
#include "traceview/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRESS_STEP (16u << 20)
#define NO_TS_STEP_NS INT64_C(1000000)  /* files without times: samples 1 ms apart */
#define DEFAULT_SAMPLE_NS INT64_C(1000000) /* when no thread has two samples */
#define MAX_TOKENS 64
#define MAX_TS_NS (INT64_C(1) << 62)

typedef struct ptok {
  const char *p;
  size_t len;
} ptok_t;

typedef struct pheader {
  tv_str_t comm, event, time;
  int64_t pid, tid, cpu, period; /* cpu, period: -1 when absent */
  bool has_ts;
  int64_t ts_ns;
} pheader_t;

typedef struct psample {
  size_t thread;   /* index into the builder's threads */
  int64_t ts;
  uint64_t seq;    /* file order, for a stable sort */
  uint64_t off;    /* the header line */
  size_t frame0;   /* first frame in the frames array (leaf first) */
  uint32_t n;
  bool timed;      /* the header had a time */
} psample_t;

static bool is_space(char c) { return c == ' ' || c == '\t'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t tokenize(const char *p, size_t len, ptok_t *tok, size_t cap) {
  size_t n = 0, i = 0;
  while (i < len && n < cap) {
    while (i < len && is_space(p[i])) i++;
    if (i >= len) break;
    size_t s = i;
    while (i < len && !is_space(p[i])) i++;
    tok[n++] = (ptok_t){p + s, i - s};
  }
  return n;
}

/* Parses a decimal integer of at most 18 digits: 0 or -1. */
static int parse_uint(const char *p, size_t len, int64_t *out) {
  if (len == 0 || len > 18) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(p[i])) return -1;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return 0;
}

/* "PID" or "PID/TID" */
static bool parse_pidtid(ptok_t t, int64_t *pid, int64_t *tid) {
  const char *slash = memchr(t.p, '/', t.len);
  if (!slash) {
    if (parse_uint(t.p, t.len, pid) != 0) return false;
    *tid = *pid;
    return true;
  }
  size_t a = (size_t)(slash - t.p);
  return parse_uint(t.p, a, pid) == 0 && parse_uint(slash + 1, t.len - a - 1, tid) == 0;
}

/* "[003]" */
static bool parse_cpu(ptok_t t, int64_t *cpu) {
  return t.len >= 3 && t.p[0] == '[' && t.p[t.len - 1] == ']' &&
         parse_uint(t.p + 1, t.len - 2, cpu) == 0;
}

/* "491.124020:" to nanoseconds (digits beyond the ninth are dropped) */
static bool parse_time(ptok_t t, int64_t *ns) {
  if (t.len < 4 || t.p[t.len - 1] != ':') return false;
  const char *dot = memchr(t.p, '.', t.len - 1);
  if (!dot || dot == t.p) return false;
  size_t ilen = (size_t)(dot - t.p), flen = t.len - 1 - ilen - 1;
  int64_t sec;
  if (flen == 0 || ilen > 10 || parse_uint(t.p, ilen, &sec) != 0) return false;
  int64_t frac = 0;
  for (size_t i = 0; i < flen; i++) {
    if (!is_digit(dot[1 + i])) return false;
    if (i < 9) frac = frac * 10 + (dot[1 + i] - '0');
  }
  for (size_t i = flen; i < 9; i++) frac *= 10;
  *ns = sec * INT64_C(1000000000) + frac;
  return *ns < MAX_TS_NS;
}

static bool ends_with_colon(ptok_t t) { return t.len >= 2 && t.p[t.len - 1] == ':'; }

/* The pid (and [cpu]) just before token a; false when they are not there. */
static bool parse_before(const char *line, const ptok_t *tok, size_t a, pheader_t *h) {
  size_t k = a;
  if (k == 0) return false;
  k--;
  if (parse_cpu(tok[k], &h->cpu)) {
    if (k == 0) return false;
    k--;
  } else {
    h->cpu = -1;
  }
  if (k < 1 || !parse_pidtid(tok[k], &h->pid, &h->tid)) return false;
  const char *ce = tok[k - 1].p + tok[k - 1].len; /* the comm: up to the pid */
  h->comm = tv_str(line, (size_t)(ce - line));
  return true;
}

/* A sample header line (not indented, no newline): true when it parses. */
static bool parse_header(const char *line, size_t len, pheader_t *h) {
  ptok_t tok[MAX_TOKENS];
  if (len == 0 || is_space(line[0])) return false;
  size_t n = tokenize(line, len, tok, MAX_TOKENS);
  for (size_t a = 1; a < n; a++) {
    if (!ends_with_colon(tok[a])) continue;
    memset(h, 0, sizeof *h);
    h->period = -1;
    if (parse_time(tok[a], &h->ts_ns)) {
      if (!parse_before(line, tok, a, h)) continue;
      h->has_ts = true;
      h->time = tv_str(tok[a].p, tok[a].len - 1);
      size_t j = a + 1;
      int64_t period;
      if (j < n && parse_uint(tok[j].p, tok[j].len, &period) == 0) {
        h->period = period;
        j++;
      }
      if (j < n && ends_with_colon(tok[j])) h->event = tv_str(tok[j].p, tok[j].len - 1);
      return true;
    }
    /* no time: "comm pid [cpu] event:" */
    if (parse_before(line, tok, a, h)) {
      h->event = tv_str(tok[a].p, tok[a].len - 1);
      return true;
    }
  }
  return false;
}

typedef struct pframe {
  tv_str_t addr, sym, dso; /* sym without its +0x offset */
  tv_str_t text;           /* everything after the address */
} pframe_t;

/* An indented frame line "  ADDR SYMBOL[+0xOFF] (DSO)": true when it parses. */
static bool parse_frame(const char *line, size_t len, pframe_t *f) {
  size_t i = 0;
  while (i < len && is_space(line[i])) i++;
  if (i == 0) return false;
  size_t a0 = i;
  while (i < len && is_hex(line[i])) i++;
  if (i == a0 || (i < len && !is_space(line[i]))) return false;
  f->addr = tv_str(line + a0, i - a0);
  while (i < len && is_space(line[i])) i++;
  size_t e = len;
  while (e > i && is_space(line[e - 1])) e--;
  f->text = tv_str(line + i, e - i);
  f->dso = tv_str("", 0);
  size_t se = e;
  if (e > i && line[e - 1] == ')') {
    /* the dso is the last balanced (...) group, after a space or alone */
    size_t k = e - 1;
    int depth = 0;
    for (;;) {
      if (line[k] == ')') depth++;
      else if (line[k] == '(' && --depth == 0) break;
      if (k == i) break;
      k--;
    }
    if (depth == 0 && (k == i || is_space(line[k - 1]))) {
      f->dso = tv_str(line + k + 1, e - 1 - (k + 1));
      se = k;
      while (se > i && is_space(line[se - 1])) se--;
    }
  }
  /* strip a trailing "+0x1f" */
  size_t h = se;
  while (h > i && is_hex(line[h - 1])) h--;
  if (h < se && h >= i + 3 && line[h - 1] == 'x' && line[h - 2] == '0' && line[h - 3] == '+')
    se = h - 3;
  f->sym = se > i ? tv_str(line + i, se - i) : TV_STR_LIT("[unknown]");
  return true;
}

/* ------------------------------------------------------------------ probe */

/* One line from p (up to '\n', without a '\r' before it). */
static const char *line_end(const char *p, const char *end, size_t *len) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  const char *e = nl ? nl : end;
  *len = (size_t)(e - p);
  if (*len && p[*len - 1] == '\r') (*len)--;
  return nl ? nl + 1 : end;
}

static bool blank(const char *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!is_space(p[i])) return false;
  return true;
}

/* A header line followed by an indented hex address line, after comments. */
static int perf_probe(const char *p, size_t len) {
  const char *end = p + (len < 65536 ? len : 65536);
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  while (p < end) {
    size_t n;
    const char *next = line_end(p, end, &n);
    if (memchr(p, '\0', n)) return 0;
    if (blank(p, n) || p[0] == '#') {
      p = next;
      continue;
    }
    if (p[0] == '{' || p[0] == '[') return 0; /* JSON, never ours */
    pheader_t h;
    if (!parse_header(p, n, &h)) return 0;
    if (next >= end) return 0;
    size_t n2;
    line_end(next, end, &n2);
    pframe_t f;
    return parse_frame(next, n2, &f) ? 90 : 0;
  }
  return 0;
}

/* ------------------------------------------------------------------ read */

typedef struct pread {
  tv_trace_t *t;
  tv_builder_t *b;
  tv_error_t *err;
  psample_t *samples;
  size_t n_samples, cap_samples;
  uint32_t *frames;
  size_t n_frames, cap_frames;
  uint64_t n_bad, n_with_ts, n_without_ts;
  int64_t first_bad;
  const char *first_bad_why;
} pread_t;

static int oom(pread_t *r) {
  return tv_error_set(r->err, TV_ENOMEM, r->t->map.path, -1, "out of memory");
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

static void bad_sample(pread_t *r, int64_t off, const char *why) {
  if (r->n_bad++ == 0) {
    r->first_bad = off;
    r->first_bad_why = why;
  }
}

static uint32_t intern(pread_t *r, tv_str_t s) { return tv_intern(&r->b->strings, s, NULL); }

/* Starts a sample for header h at off: thread, names. */
static int begin_sample(pread_t *r, const pheader_t *h, uint64_t off) {
  tv_builder_t *b = r->b;
  tv_thread_t *th = tv_builder_thread(b, h->pid, h->tid);
  if (!th) return oom(r);
  size_t thread = (size_t)(th - b->threads);
  uint32_t comm = intern(r, h->comm);
  if (comm == UINT32_MAX) return oom(r);
  if (th->name == TV_NO_STRING) th->name = comm;
  tv_process_t *pr = tv_builder_process(b, h->pid);
  if (!pr) return oom(r);
  if (pr->name == TV_NO_STRING || h->pid == h->tid) pr->name = comm;
  if (grow((void **)&r->samples, &r->cap_samples, r->n_samples + 1, sizeof *r->samples))
    return oom(r);
  r->samples[r->n_samples] = (psample_t){.thread = thread, .ts = h->has_ts ? h->ts_ns : 0,
                                         .seq = r->n_samples, .off = off,
                                         .frame0 = r->n_frames, .n = 0,
                                         .timed = h->has_ts};
  if (h->has_ts) r->n_with_ts++;
  else r->n_without_ts++;
  r->n_samples++;
  return 0;
}

/* Forgets the last sample (bad or cut). */
static void drop_sample(pread_t *r) {
  psample_t *s = &r->samples[--r->n_samples];
  r->n_frames = s->frame0;
  if (s->timed) r->n_with_ts--;
  else r->n_without_ts--;
}

static int cmp_sample(const void *pa, const void *pb) {
  const psample_t *a = pa, *b = pb;
  if (a->thread != b->thread) return a->thread < b->thread ? -1 : 1;
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_i64(const void *pa, const void *pb) {
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  return a < b ? -1 : a > b;
}

/* Median of the positive gaps between a thread's consecutive samples
 * (samples sorted by thread then time). */
static int64_t median_gap(const psample_t *s, size_t n) {
  int64_t *gaps = malloc((n ? n : 1) * sizeof *gaps);
  if (!gaps) return -1;
  size_t m = 0;
  for (size_t i = 1; i < n; i++)
    if (s[i].thread == s[i - 1].thread && s[i].ts > s[i - 1].ts) gaps[m++] = s[i].ts - s[i - 1].ts;
  int64_t med = DEFAULT_SAMPLE_NS;
  if (m) {
    qsort(gaps, m, sizeof *gaps, cmp_i64);
    med = gaps[(m - 1) / 2]; /* lower median: always one of the gaps */
  }
  free(gaps);
  return med;
}

static int scan(pread_t *r, const tv_open_opts_t *opts) {
  const char *base = r->t->map.base, *end = base + r->t->map.len, *p = base;
  const char *file = r->t->map.path;
  const char *next_progress = p + PROGRESS_STEP;
  enum { OUTSIDE, IN_SAMPLE, SKIPPING } state = OUTSIDE;
  bool sample_bad = false;
  if (r->t->map.len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  while (p < end) {
    size_t n;
    const char *next = line_end(p, end, &n);
    bool terminated = next <= end && next[-1] == '\n';
    const char *nul = memchr(p, '\0', n);
    if (nul)
      return tv_error_set(r->err, TV_ESYNTAX, file, nul - base,
                          "a NUL byte: binary data where perf script text was expected");
    uint64_t off = (uint64_t)(p - base);
    if (!terminated && state == IN_SAMPLE && !sample_bad && n &&
        !(is_space(p[0]) && p[n - 1] == ')')) {
      /* the last line is cut (a complete frame line ends with its "(dso)") */
      drop_sample(r);
      r->t->truncated = true;
      tv_trace_warn(r->t, (int64_t)r->samples[r->n_samples].off,
                    "the file ends inside a sample (truncated?); loaded the %zu complete "
                    "samples before it", r->n_samples);
      return 0;
    }
    if (blank(p, n)) {
      if (state == IN_SAMPLE && sample_bad) drop_sample(r);
      state = OUTSIDE;
      sample_bad = false;
    } else if (p[0] == '#') {
      /* perf's header block and comments */
    } else if (is_space(p[0])) {
      pframe_t f;
      if (state == IN_SAMPLE && !sample_bad) {
        if (!parse_frame(p, n, &f)) {
          bad_sample(r, (int64_t)off, "expected a call chain line 'ADDRESS SYMBOL (DSO)'");
          sample_bad = true;
        } else {
          uint32_t id = intern(r, f.sym);
          if (id == UINT32_MAX) return oom(r);
          if (grow((void **)&r->frames, &r->cap_frames, r->n_frames + 1, sizeof *r->frames))
            return oom(r);
          r->frames[r->n_frames++] = id;
          r->samples[r->n_samples - 1].n++;
        }
      } else if (state == OUTSIDE) {
        bad_sample(r, (int64_t)off, "a call chain line outside a sample (no header line before it)");
        state = SKIPPING;
      }
    } else {
      if (state == IN_SAMPLE && sample_bad) drop_sample(r);
      sample_bad = false;
      pheader_t h;
      if (!terminated) {
        r->t->truncated = true;
        tv_trace_warn(r->t, (int64_t)off,
                      "the file ends inside a sample header (truncated?); loaded the %zu "
                      "complete samples before it", r->n_samples);
        return 0;
      }
      if (parse_header(p, n, &h)) {
        int rc = begin_sample(r, &h, off);
        if (rc) return rc;
        state = IN_SAMPLE;
      } else {
        bad_sample(r, (int64_t)off,
                   "expected a sample header 'COMM PID[/TID] [CPU] TIME: [PERIOD] EVENT:'");
        state = SKIPPING;
      }
    }
    p = next;
    if (p >= next_progress) {
      if (opts && opts->progress) opts->progress(opts->progress_ud, (uint64_t)(p - base), r->t->map.len);
      next_progress = p + PROGRESS_STEP;
    }
  }
  if (state == IN_SAMPLE && sample_bad) drop_sample(r);
  return 0;
}

static int perf_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
                     size_t *n_builders, tv_error_t *err) {
  const char *file = t->map.path;
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, file, -1, "out of memory");
  }
  t->format = "perf-script";
  pread_t r = {.t = t, .b = b, .err = err, .first_bad = -1};
  uint32_t *stack = NULL;
  int rc = scan(&r, opts);
  if (rc) goto out;
  if (r.n_samples == 0) {
    if (r.n_bad)
      rc = tv_error_set(err, TV_ESYNTAX, file, r.first_bad, "%s; no perf script sample found",
                        r.first_bad_why);
    else
      rc = tv_error_set(err, TV_EFORMAT, file, (int64_t)t->map.len,
                        "no perf script samples in the file (only comments or blank lines)");
    goto out;
  }
  if (r.n_bad)
    tv_trace_warn(t, r.first_bad, "skipped %llu malformed sample%s; the first: %s",
                  (unsigned long long)r.n_bad, r.n_bad == 1 ? "" : "s", r.first_bad_why);
  bool no_times = r.n_with_ts == 0;
  if (no_times) {
    for (size_t i = 0; i < r.n_samples; i++) r.samples[i].ts = (int64_t)i * NO_TS_STEP_NS;
    b->no_timeline = true;
  } else if (r.n_without_ts) {
    /* mixed: the samples without a time cannot be placed; drop them */
    size_t k = 0;
    int64_t first = -1;
    for (size_t i = 0; i < r.n_samples; i++) {
      if (r.samples[i].timed) r.samples[k++] = r.samples[i];
      else if (first < 0) first = (int64_t)r.samples[i].off;
    }
    tv_trace_warn(t, first, "skipped %llu samples without a time in a file whose other "
                  "samples have one", (unsigned long long)r.n_without_ts);
    r.n_samples = k;
  }
  qsort(r.samples, r.n_samples, sizeof *r.samples, cmp_sample);
  int64_t width = no_times ? NO_TS_STEP_NS : median_gap(r.samples, r.n_samples);
  if (width < 0) {
    rc = oom(&r);
    goto out;
  }
  b->sample_ns = width;
  size_t max_n = 1;
  for (size_t i = 0; i < r.n_samples; i++)
    if (r.samples[i].n > max_n) max_n = r.samples[i].n;
  stack = malloc(max_n * sizeof *stack);
  if (!stack) {
    rc = oom(&r);
    goto out;
  }
  for (size_t i = 0; i < r.n_samples; i++) {
    const psample_t *s = &r.samples[i];
    for (uint32_t k = 0; k < s->n; k++) stack[k] = r.frames[s->frame0 + s->n - 1 - k];
    if (tv_builder_add_sample(b, &b->threads[s->thread], s->ts, width, stack, s->n, 1, s->off)) {
      rc = oom(&r);
      goto out;
    }
  }
  b->n_raw_events = r.n_samples;
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
out:
  free(stack);
  free(r.samples);
  free(r.frames);
  if (rc) {
    tv_builder_free(b);
    free(b);
    return rc;
  }
  *builders = b;
  *n_builders = 1;
  return 0;
}

/* ------------------------------------------------------------------ args */

/* A JSON string of file text; bytes that are not UTF-8 become '?'. */
static json_t *str_json(tv_str_t s) {
  json_t *j = json_stringn(s.p, s.len);
  if (j) return j;
  char *c = malloc(s.len ? s.len : 1);
  if (!c) return NULL;
  for (size_t i = 0; i < s.len; i++) c[i] = (unsigned char)s.p[i] < 0x80 && s.p[i] ? s.p[i] : '?';
  j = json_stringn(c, s.len);
  free(c);
  return j;
}

#define MAX_ARGS_FRAMES 4096

static json_t *perf_event_args(const char *p, size_t len) {
  const char *end = p + len;
  size_t n;
  const char *next = line_end(p, end, &n);
  pheader_t h;
  if (!parse_header(p, n, &h)) return NULL;
  json_t *o = json_object();
  json_t *stack = json_array();
  if (!o || !stack) {
    json_decref(o);
    json_decref(stack);
    return NULL;
  }
  /* comm and frames come from the file: they may not be UTF-8 */
  json_object_set_new(o, "comm", str_json(h.comm));
  json_object_set_new(o, "pid", json_integer(h.pid));
  json_object_set_new(o, "tid", json_integer(h.tid));
  if (h.cpu >= 0) json_object_set_new(o, "cpu", json_integer(h.cpu));
  if (h.has_ts) json_object_set_new(o, "time", str_json(h.time));
  if (h.period >= 0) json_object_set_new(o, "period", json_integer(h.period));
  if (h.event.len) json_object_set_new(o, "event", str_json(h.event));
  for (p = next; p < end && json_array_size(stack) < MAX_ARGS_FRAMES; p = next) {
    next = line_end(p, end, &n);
    pframe_t f;
    if (blank(p, n) || !parse_frame(p, n, &f)) break;
    json_array_append_new(stack, str_json(f.text));
  }
  json_object_set_new(o, "stack", stack);
  return o;
}

const tv_reader_t tv_perf_script_reader = {
    .name = "perf-script",
    .description = "perf script text with call chains",
    .probe = perf_probe,
    .read = perf_read,
    .event_args = perf_event_args,
};
