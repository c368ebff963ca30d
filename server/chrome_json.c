/* chrome_json.c: reader for the Chrome Trace Event Format (JSON).
 *
 * Forms: {"traceEvents":[...], ...} (keys in any order), a bare array [...]
 * (possibly unterminated, as the spec allows for crashed programs), and one
 * event object per line (JSONL).
 *
 * The scanner walks the mapped bytes once; nothing is parsed into a DOM.
 * Strings are found with memchr and kept as views into the mapping; only
 * strings that contain escapes are decoded (into the builder's arena). Only
 * the keys the index needs are looked at; every other value is skipped by a
 * bracket counter that knows about strings, so `},{` or `\"` inside a string
 * never confuses it. args are parsed on demand later (with jansson) from the
 * event's byte offset, which the store keeps.
 *
 * scan_event_list() reads a comma-separated run of event objects and can be
 * started at any event boundary, so a file can be cut into chunks at event
 * starts, scanned into separate builders and merged (see store.h).
 *
 * Scanner functions return 0, SCAN_EOF when the input ends inside what they
 * read (a truncated trace), or a negative TV_E* code with err filled. */
#include "traceview/reader.h"
#include "traceview/str.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>
#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_EOF 1
#define TV_MAX_NS ((INT64_C(1) << 62) - 1) /* ~146 years: beyond is absurd; B/E differences stay in int64 */
#define PROGRESS_STEP (64u << 20)

typedef struct scan {
  const char *p, *end, *base;
  const char *file;
  tv_error_t *err;
  tv_builder_t *b;
  tv_trace_t *trace;
  const tv_open_opts_t *opts;
  const char *next_progress;
  uint64_t n_events;
  _Atomic uint64_t *progress_bytes; /* chunk scans: shared count instead of a callback */
  const char *progress_mark;
  tv_builder_t **extra;             /* builders of later chunks, in file order */
  size_t n_extra;
} scan_t;

/* A string as found in the input: raw bytes between the quotes. */
typedef struct jstr {
  tv_str_t s;
  bool escaped;
  bool present;
  const char *at; /* opening quote, for error offsets */
} jstr_t;

typedef struct jnum {
  const char *p, *e; /* token bytes; p == NULL when absent */
} jnum_t;

typedef struct raw_event {
  const char *at; /* the '{' */
  jstr_t ph, name, cat, detail, args_name;
  jnum_t ts, dur, pid_num, tid_num, sort_index, count, avg_ms;
  jstr_t pid_str, tid_str;
  const char *args_p, *args_e; /* span of the args object, or NULL */
} raw_event_t;

static int64_t off_of(const scan_t *s, const char *p) { return (int64_t)(p - s->base); }

static void describe_byte(const scan_t *s, const char *p, char *out, size_t cap) {
  if (p >= s->end) {
    snprintf(out, cap, "the end of the file");
    return;
  }
  unsigned char ch = (unsigned char)*p;
  if (ch >= 0x20 && ch < 0x7f)
    snprintf(out, cap, "'%c'", ch);
  else
    snprintf(out, cap, "byte 0x%02x", ch);
}

/* Syntax error at p: "expected X, found Y". */
static int expected(scan_t *s, const char *p, const char *what) {
  char found[32];
  describe_byte(s, p, found, sizeof found);
  return tv_error_set(s->err, TV_ESYNTAX, s->file, off_of(s, p), "expected %s, found %s", what,
                      found);
}

static inline void skip_ws(scan_t *s) {
  const char *p = s->p;
  while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  s->p = p;
}

/* s->p is at the opening quote. */
static int scan_string(scan_t *s, jstr_t *out) {
  const char *start = s->p + 1, *q = start;
  for (;;) {
    q = memchr(q, '"', (size_t)(s->end - q));
    if (!q) return SCAN_EOF;
    const char *b = q;
    while (b > start && b[-1] == '\\') b--;
    if (((q - b) & 1) == 0) break; /* an even run of backslashes escapes nothing */
    q++;
  }
  if (out) {
    out->s = tv_str(start, (size_t)(q - start));
    out->escaped = memchr(start, '\\', (size_t)(q - start)) != NULL;
    out->present = true;
    out->at = s->p;
  }
  s->p = q + 1;
  return 0;
}

/* Byte classes for skipping: 1 = opens, 2 = closes, 3 = quote. */
static const unsigned char skip_class[256] = {
    ['{'] = 1, ['['] = 1, ['}'] = 2, [']'] = 2, ['"'] = 3,
};

static inline bool is_scalar_byte(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch == '-' || ch == '+' || ch == '.';
}

/* Skips one JSON value of any kind. Containers are skipped by a bracket
 * counter that also checks each closing bracket matches its opener (a bit
 * per level: 1 = object), so a typo inside args is an error at its offset,
 * not a silent "truncated" trace. Scalars are not validated here: args are
 * parsed strictly on demand later. */
static int skip_value(scan_t *s) {
  if (s->p >= s->end) return SCAN_EOF;
  unsigned char ch = (unsigned char)*s->p;
  if (ch == '"') return scan_string(s, NULL);
  if (ch == '{' || ch == '[') {
    uint64_t small[64], *bits = small; /* 4096 levels without allocating */
    size_t cap_bits = sizeof small * 8, depth = 0;
    int rc = SCAN_EOF;
    const char *p = s->p;
    while (p < s->end) {
      unsigned char cls = skip_class[(unsigned char)*p];
      if (!cls) {
        p++;
        continue;
      }
      if (cls == 3) {
        s->p = p;
        if ((rc = scan_string(s, NULL)) != 0) goto out;
        p = s->p;
        rc = SCAN_EOF;
        continue;
      }
      if (cls == 1) {
        if (depth == cap_bits) {
          uint64_t *grown = malloc(cap_bits / 4);
          if (!grown) {
            rc = tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
            goto out;
          }
          memcpy(grown, bits, cap_bits / 8);
          if (bits != small) free(bits);
          bits = grown;
          cap_bits *= 2;
        }
        uint64_t bit = UINT64_C(1) << (depth & 63);
        if (*p == '{') bits[depth >> 6] |= bit;
        else bits[depth >> 6] &= ~bit;
        depth++;
      } else {
        bool is_object = (bits[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1;
        if ((*p == '}') != is_object) {
          rc = expected(s, p, is_object ? "',' or '}' to close an object"
                                        : "',' or ']' to close an array");
          goto out;
        }
        if (--depth == 0) {
          s->p = p + 1;
          rc = 0;
          goto out;
        }
      }
      p++;
    }
    s->p = p;
  out:
    if (bits != small) free(bits);
    return rc;
  }
  const char *p = s->p;
  while (p < s->end && is_scalar_byte((unsigned char)*p)) p++;
  if (p == s->p) return expected(s, p, "a value");
  if (p == s->end) return SCAN_EOF; /* a number cut by the end of the file */
  s->p = p;
  return 0;
}

static int scan_number(scan_t *s, jnum_t *out) {
  const char *p = s->p;
  while (p < s->end && is_scalar_byte((unsigned char)*p)) p++;
  if (p == s->p) return expected(s, p, "a number");
  if (p == s->end) return SCAN_EOF;
  out->p = s->p;
  out->e = p;
  s->p = p;
  return 0;
}

/* Exact decimal text -> integer (value * 10^pow10), rounded to nearest with
 * halves away from zero. Rejects magnitudes beyond TV_MAX_NS. */
static int parse_decimal(const char *p, const char *e, int pow10, int64_t *out) {
  bool neg = false, any = false, round_up = false;
  uint64_t mant = 0;
  int sig = 0;
  long exp10 = pow10;
  int first_dropped = -1;
  if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
  for (; p < e && *p >= '0' && *p <= '9'; p++) {
    any = true;
    if (sig < 19) {
      mant = mant * 10 + (uint64_t)(*p - '0');
      if (mant) sig++;
    } else {
      if (first_dropped < 0) first_dropped = *p - '0';
      exp10++;
    }
  }
  if (p < e && *p == '.') {
    for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
      any = true;
      if (sig < 19) {
        mant = mant * 10 + (uint64_t)(*p - '0');
        if (mant) sig++;
        exp10--;
      } else if (first_dropped < 0) {
        first_dropped = *p - '0';
      }
    }
  }
  if (!any) return TV_ESYNTAX;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    bool eneg = false;
    long ev = 0;
    if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
    if (p == e) return TV_ESYNTAX;
    for (; p < e && *p >= '0' && *p <= '9'; p++)
      if (ev < 100000) ev = ev * 10 + (*p - '0');
    exp10 += eneg ? -ev : ev;
  }
  if (p != e) return TV_ESYNTAX;
  if (first_dropped >= 5) round_up = true;
  if (mant == 0) {
    *out = 0;
    return 0;
  }
  if (exp10 >= 0) {
    if (round_up && exp10 == 0) mant++;
    for (long i = 0; i < exp10; i++) {
      if (mant > (uint64_t)TV_MAX_NS / 10) return TV_ERANGE;
      mant *= 10;
    }
  } else if (exp10 < -19) {
    mant = 0; /* below one unit: 19 significant digits cannot reach 0.5 */
  } else {
    uint64_t div = 1;
    for (long i = 0; i < -exp10; i++) div *= 10;
    uint64_t q = mant / div, r = mant % div;
    if (r >= div - r) q++;
    mant = q;
  }
  if (mant > (uint64_t)TV_MAX_NS) return TV_ERANGE;
  *out = neg ? -(int64_t)mant : (int64_t)mant;
  return 0;
}

static int number_error(scan_t *s, const jnum_t *n, int rc, const char *what) {
  int len = (int)(n->e - n->p > 40 ? 40 : n->e - n->p);
  if (rc == TV_ERANGE)
    return tv_error_set(s->err, TV_ERANGE, s->file, off_of(s, n->p),
                        "%s %.*s%s is out of range (expected a magnitude below 4.6e15 us, 146 years)", what, len,
                        n->p, n->e - n->p > 40 ? "..." : "");
  return tv_error_set(s->err, TV_ESYNTAX, s->file, off_of(s, n->p),
                      "expected a number for %s, found '%.*s'", what, len, n->p);
}

static double parse_double(const jnum_t *n, bool *ok) {
  char buf[64];
  size_t len = (size_t)(n->e - n->p);
  *ok = false;
  if (!n->p || len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, n->p, len);
  buf[len] = '\0';
  char *end;
  double v = strtod(buf, &end);
  *ok = *end == '\0' && isfinite(v);
  return v;
}

/* ------------------------------------------------------- strings & UTF-8 */

static bool valid_utf8(const unsigned char *p, size_t n, size_t *bad) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) len = 3, lo = 0xa0;
    else if (c == 0xed) len = 3, hi = 0x9f; /* no UTF-16 surrogates */
    else if (c >= 0xe1 && c <= 0xef) len = 3;
    else if (c == 0xf0) len = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) len = 4, hi = 0x8f;
    else goto bad;
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) goto bad;
    for (size_t k = 2; k < len; k++)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) goto bad;
    i += len;
  }
  return true;
bad:
  *bad = i;
  return false;
}

static int hex4(const char *p, const char *e, unsigned *out) {
  if (e - p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Decodes JSON escapes of j into out (at least j->s.len bytes: decoded text
 * is never longer). Lone surrogates become U+FFFD. Returns the decoded length,
 * or -1 with *bad at the offending escape. */
static long decode_into(const jstr_t *j, char *out, const char **bad) {
  const char *p = j->s.p, *e = p + j->s.len;
  char *o = out;
  while (p < e) {
    const char *bs = memchr(p, '\\', (size_t)(e - p));
    size_t run = (size_t)((bs ? bs : e) - p);
    memcpy(o, p, run);
    o += run;
    p += run;
    if (!bs) break;
    *bad = p;
    if (p + 1 >= e) return -1;
    char c = p[1];
    p += 2;
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (hex4(p, e, &cp) != 0) return -1;
        p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hex4(p + 2, e, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          p += 6;
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        o += put_utf8(o, cp);
        break;
      }
      default:
        return -1;
    }
  }
  return (long)(o - out);
}

static int bad_escape(scan_t *s, const char *at) {
  return tv_error_set(s->err, TV_ESYNTAX, s->file, off_of(s, at),
                      "invalid escape sequence in a string (expected \\\" \\\\ \\/ \\b \\f "
                      "\\n \\r \\t or \\uXXXX)");
}

/* Decodes j into the builder's arena. */
static int decode_string(scan_t *s, const jstr_t *j, tv_str_t *out) {
  char *o = tv_intern_alloc(&s->b->strings, j->s.len ? j->s.len : 1);
  if (!o) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  const char *bad = j->s.p;
  long n = decode_into(j, o, &bad);
  if (n < 0) return bad_escape(s, bad);
  *out = tv_str(o, (size_t)n);
  return 0;
}

/* A key as text: escaped keys ("n\u0061me") are decoded into buf; keys too
 * long for buf cannot be one we look for and are returned raw. */
static tv_str_t key_text(const jstr_t *key, char *buf, size_t cap) {
  if (!key->escaped || key->s.len > cap) return key->s;
  const char *bad;
  long n = decode_into(key, buf, &bad);
  return n < 0 ? key->s : tv_str(buf, (size_t)n);
}

/* Interns a string from the input (decoding escapes, validating UTF-8 the
 * first time a string is seen). */
static int intern_jstr(scan_t *s, const jstr_t *j, uint32_t *id) {
  if (!j->present || j->s.len == 0) {
    *id = TV_NO_STRING;
    return 0;
  }
  tv_str_t v = j->s;
  if (j->escaped) {
    int rc = decode_string(s, j, &v);
    if (rc) return rc;
  }
  int is_new;
  *id = tv_intern(&s->b->strings, v, &is_new);
  if (*id == UINT32_MAX) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  size_t bad;
  if (is_new && !valid_utf8((const unsigned char *)v.p, v.len, &bad)) {
    /* Offsets point into the file; for a decoded string, at its quote. */
    int64_t off = j->escaped ? off_of(s, j->at) : off_of(s, j->s.p) + (int64_t)bad;
    return tv_error_set(s->err, TV_EUTF8, s->file, off,
                        "invalid UTF-8 in a string (expected UTF-8 text)");
  }
  return 0;
}

/* ------------------------------------------------------------ events */

#define KEY_IS(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

static int expect_byte(scan_t *s, char ch, const char *what) {
  skip_ws(s);
  if (s->p >= s->end) return SCAN_EOF;
  if (*s->p != ch) return expected(s, s->p, what);
  s->p++;
  skip_ws(s);
  return 0;
}

/* After a value inside an object: ',' (returns 0) or '}' (returns 2). */
static int after_member(scan_t *s, const char *what) {
  skip_ws(s);
  if (s->p >= s->end) return SCAN_EOF;
  if (*s->p == ',') {
    s->p++;
    skip_ws(s);
    return 0;
  }
  if (*s->p == '}') {
    s->p++;
    return 2;
  }
  return expected(s, s->p, what);
}

static int read_key(scan_t *s, jstr_t *key) {
  if (s->p >= s->end) return SCAN_EOF;
  if (*s->p != '"') return expected(s, s->p, "a key string");
  int rc = scan_string(s, key);
  if (rc) return rc;
  return expect_byte(s, ':', "':' after a key");
}

static int read_string_or_skip(scan_t *s, jstr_t *out) {
  if (s->p < s->end && *s->p == '"') return scan_string(s, out);
  return skip_value(s);
}

/* A number, or a string holding one ("ts": "11550183666" occurs in real
 * traces); anything else is skipped and the value counts as absent. */
static int read_number_or_skip(scan_t *s, jnum_t *out) {
  if (s->p < s->end && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
    return scan_number(s, out);
  if (s->p < s->end && *s->p == '"') {
    jstr_t str;
    int rc = scan_string(s, &str);
    if (rc == 0 && !str.escaped && str.s.len > 0) {
      out->p = str.s.p;
      out->e = str.s.p + str.s.len;
    }
    return rc;
  }
  return skip_value(s);
}

/* args: picks the few keys the index needs, skips the rest. */
static int parse_args(scan_t *s, raw_event_t *ev) {
  ev->args_p = s->p;
  s->p++; /* '{' */
  skip_ws(s);
  if (s->p >= s->end) return SCAN_EOF;
  if (*s->p == '}') {
    s->p++;
    ev->args_e = s->p;
    return 0;
  }
  for (;;) {
    jstr_t key = {0};
    int rc = read_key(s, &key);
    if (rc) return rc;
    char kbuf[32];
    tv_str_t k = key_text(&key, kbuf, sizeof kbuf);
    if (KEY_IS(k, "detail")) rc = read_string_or_skip(s, &ev->detail);
    else if (KEY_IS(k, "name")) rc = read_string_or_skip(s, &ev->args_name);
    else if (KEY_IS(k, "sort_index")) rc = read_number_or_skip(s, &ev->sort_index);
    else if (KEY_IS(k, "count")) rc = read_number_or_skip(s, &ev->count);
    else if (KEY_IS(k, "avg ms")) rc = read_number_or_skip(s, &ev->avg_ms);
    else rc = skip_value(s);
    if (rc) return rc;
    rc = after_member(s, "',' or '}' in args");
    if (rc == 2) break;
    if (rc) return rc;
  }
  ev->args_e = s->p;
  return 0;
}

static int read_id_value(scan_t *s, jnum_t *num, jstr_t *str) {
  if (s->p < s->end && *s->p == '"') return scan_string(s, str);
  return read_number_or_skip(s, num);
}

/* s->p at '{'. Fills ev with what the index needs. */
static int parse_event(scan_t *s, raw_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  ev->at = s->p;
  s->p++;
  skip_ws(s);
  if (s->p >= s->end) return SCAN_EOF;
  if (*s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    jstr_t key = {0};
    int rc = read_key(s, &key);
    if (rc) return rc;
    char kbuf[32];
    tv_str_t k = key_text(&key, kbuf, sizeof kbuf);
    if (k.len == 2 && k.p[0] == 'p' && k.p[1] == 'h') rc = read_string_or_skip(s, &ev->ph);
    else if (k.len == 2 && k.p[0] == 't' && k.p[1] == 's') rc = read_number_or_skip(s, &ev->ts);
    else if (KEY_IS(k, "name")) rc = read_string_or_skip(s, &ev->name);
    else if (KEY_IS(k, "dur")) rc = read_number_or_skip(s, &ev->dur);
    else if (KEY_IS(k, "pid")) rc = read_id_value(s, &ev->pid_num, &ev->pid_str);
    else if (KEY_IS(k, "tid")) rc = read_id_value(s, &ev->tid_num, &ev->tid_str);
    else if (KEY_IS(k, "cat")) rc = read_string_or_skip(s, &ev->cat);
    else if (KEY_IS(k, "args") && s->p < s->end && *s->p == '{') rc = parse_args(s, ev);
    else rc = skip_value(s);
    if (rc) return rc;
    rc = after_member(s, "',' or '}' after a value in an event");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

/* A pid or tid: a number, or a string that gets a stable number. */
static int event_id(scan_t *s, const jnum_t *num, const jstr_t *str, int64_t *out,
                    uint32_t *name) {
  *name = TV_NO_STRING;
  if (str->present) {
    /* The string names the thread or process unless metadata does. */
    int rc = intern_jstr(s, str, name);
    if (rc) return rc;
    int64_t v;
    if (!str->escaped && parse_decimal(str->s.p, str->s.p + str->s.len, 0, &v) == 0) *out = v;
    else *out = INT64_C(0x100000000) + tv_hash_bytes(str->s.p, str->s.len);
    return 0;
  }
  if (!num->p) {
    *out = 0;
    return 0;
  }
  int rc = parse_decimal(num->p, num->e, 0, out);
  if (rc) return number_error(s, num, rc, "pid/tid");
  return 0;
}

/* C events: one counter sample per numeric member of args. */
static int emit_counters(scan_t *s, const raw_event_t *ev, int64_t pid, uint32_t name,
                         int64_t ts) {
  if (!ev->args_p) return 0;
  scan_t sub = *s;
  sub.p = ev->args_p + 1;
  sub.end = ev->args_e;
  skip_ws(&sub);
  if (sub.p < sub.end && *sub.p == '}') return 0;
  for (;;) {
    jstr_t key = {0};
    int rc = read_key(&sub, &key);
    if (rc) return rc < 0 ? rc : 0;
    jnum_t num = {0};
    rc = read_number_or_skip(&sub, &num);
    if (rc < 0) return rc;
    bool ok = false;
    double v = num.p ? parse_double(&num, &ok) : 0;
    if (ok) {
      uint32_t series;
      if ((rc = intern_jstr(s, &key, &series)) != 0) return rc;
      if (tv_builder_add_counter(s->b, pid, name, series, ts, v, (uint64_t)off_of(s, ev->at)))
        return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
    }
    rc = after_member(&sub, "',' or '}' in args");
    if (rc) return rc < 0 ? rc : 0;
  }
}

static bool is_llvm_total(const raw_event_t *ev, int64_t ts) {
  return ts == 0 && ev->count.p && ev->name.s.len > 6 && memcmp(ev->name.s.p, "Total ", 6) == 0;
}

static int emit_event(scan_t *s, const raw_event_t *ev) {
  tv_builder_t *b = s->b;
  uint64_t off = (uint64_t)off_of(s, ev->at);
  s->n_events++;
  if (!ev->ph.present) {
    b->n_raw_events++;
    tv_diag_add(&b->diag, TV_DIAG_missing_phase, (int64_t)off);
    return 0;
  }
  if (tv_builder_count_phase(b, ev->ph.s.p, ev->ph.s.len) != 0)
    return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  if (ev->ph.s.len != 1) return 0;
  char ph = ev->ph.s.p[0];
  if (!strchr("XBEiICM", ph)) return 0; /* counted, skipped in this version */

  int rc;
  int64_t pid, tid, ts = 0, dur = 0;
  uint32_t pid_name, tid_name;
  if ((rc = event_id(s, &ev->pid_num, &ev->pid_str, &pid, &pid_name)) != 0) return rc;
  if ((rc = event_id(s, &ev->tid_num, &ev->tid_str, &tid, &tid_name)) != 0) return rc;
  uint32_t name;
  if ((rc = intern_jstr(s, &ev->name, &name)) != 0) return rc;

  if (ph == 'M') {
    uint32_t value;
    if ((rc = intern_jstr(s, &ev->args_name, &value)) != 0) return rc;
    int64_t sort = 0;
    bool has_sort = ev->sort_index.p &&
                    parse_decimal(ev->sort_index.p, ev->sort_index.e, 0, &sort) == 0 &&
                    sort >= INT32_MIN && sort <= INT32_MAX;
    tv_str_t n = ev->name.s;
    if (KEY_IS(n, "process_name") || KEY_IS(n, "process_sort_index")) {
      tv_process_t *p = tv_builder_process(b, pid);
      if (!p) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
      if (KEY_IS(n, "process_name") && value) p->name = value;
      if (KEY_IS(n, "process_sort_index") && has_sort) {
        p->sort_index = (int32_t)sort;
        p->has_sort_index = true;
      }
    } else if (KEY_IS(n, "thread_name") || KEY_IS(n, "thread_sort_index")) {
      tv_thread_t *th = tv_builder_thread(b, pid, tid);
      if (!th) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
      th->listed = true;
      if (KEY_IS(n, "thread_name") && value) th->name = value;
      if (KEY_IS(n, "thread_sort_index") && has_sort) {
        th->sort_index = (int32_t)sort;
        th->has_sort_index = true;
      }
    }
    return 0;
  }

  if (!ev->ts.p) {
    tv_diag_add(&b->diag, TV_DIAG_missing_ts, (int64_t)off);
    return 0;
  }
  if ((rc = parse_decimal(ev->ts.p, ev->ts.e, 3, &ts)) != 0)
    return number_error(s, &ev->ts, rc, "ts");

  if (ph == 'C') {
    if (pid_name) {
      tv_process_t *p = tv_builder_process(b, pid);
      if (p && !p->name) p->name = pid_name;
    }
    return emit_counters(s, ev, pid, name, ts);
  }

  tv_thread_t *th = tv_builder_thread(b, pid, tid);
  if (!th) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  if (tid_name && !th->name) th->name = tid_name;
  if (ph == 'i' || ph == 'I') {
    if (tv_builder_add_instant(b, th, ts, name, off))
      return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
    return 0;
  }
  uint32_t detail = TV_NO_STRING, cat_id = TV_NO_STRING;
  if (ph != 'E') {
    if ((rc = intern_jstr(s, &ev->detail, &detail)) != 0) return rc;
    if ((rc = intern_jstr(s, &ev->cat, &cat_id)) != 0) return rc;
  }
  uint16_t cat = tv_builder_cat(b, cat_id);
  if (ph == 'X') {
    if (ev->dur.p && (rc = parse_decimal(ev->dur.p, ev->dur.e, 3, &dur)) != 0)
      return number_error(s, &ev->dur, rc, "dur");
    if (is_llvm_total(ev, ts)) {
      bool ok;
      int64_t count = 0;
      parse_decimal(ev->count.p, ev->count.e, 0, &count);
      double avg = parse_double(&ev->avg_ms, &ok);
      tv_llvm_total_t t = {.name = name, .pid = pid, .tid = tid, .dur_ns = dur,
                           .count = count, .avg_ms = ok ? avg : 0, .off = off};
      if (tv_builder_add_total(b, &t))
        return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
      return 0;
    }
    if (dur < 0) {
      tv_diag_add(&b->diag, TV_DIAG_negative_duration, (int64_t)off);
      dur = 0;
    }
    if (ts > TV_MAX_NS - dur)
      return number_error(s, &ev->dur, TV_ERANGE, "ts + dur");
    if (tv_builder_add_slice(b, th, ts, dur, name, detail, cat, off))
      return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
    return 0;
  }
  /* B or E */
  if (tv_builder_add_mark(b, th, ph == 'B', ts, name, detail, cat, off))
    return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  return 0;
}

static void report_progress(scan_t *s) {
  if (s->p >= s->next_progress) {
    if (s->progress_bytes) {
      atomic_fetch_add_explicit(s->progress_bytes, (uint64_t)(s->p - s->progress_mark),
                                memory_order_relaxed);
      s->progress_mark = s->p;
    } else if (s->opts && s->opts->progress)
      s->opts->progress(s->opts->progress_ud, (uint64_t)(s->p - s->base),
                        (uint64_t)(s->end - s->base));
    s->next_progress = s->p + PROGRESS_STEP;
  }
}

/* Outcome of an event list. */
enum { LIST_CLOSED, LIST_UNTERMINATED, LIST_TRUNCATED };

/* Reads events separated by commas until ']' or the end of input. s->p is
 * just after '[' (or at any event boundary). *cut is set to the start of an
 * event cut short by the end of the input. */
static int scan_event_list(scan_t *s, int *outcome, const char **cut) {
  raw_event_t ev;
  for (;;) {
    skip_ws(s);
    if (s->p >= s->end) {
      *outcome = LIST_UNTERMINATED;
      return 0;
    }
    if (*s->p == ']') {
      s->p++;
      *outcome = LIST_CLOSED;
      return 0;
    }
    if (*s->p != '{') return expected(s, s->p, "an event object '{' or ']'");
    const char *start = s->p;
    int rc = parse_event(s, &ev);
    if (rc == SCAN_EOF) {
      *outcome = LIST_TRUNCATED;
      *cut = start;
      return 0;
    }
    if (rc) return rc;
    if ((rc = emit_event(s, &ev)) != 0) return rc;
    report_progress(s);
    skip_ws(s);
    if (s->p >= s->end) {
      *outcome = LIST_UNTERMINATED;
      return 0;
    }
    if (*s->p == ',') {
      s->p++;
      continue; /* a trailing comma before ']' is tolerated */
    }
    if (*s->p == ']') {
      s->p++;
      *outcome = LIST_CLOSED;
      return 0;
    }
    return expected(s, s->p, "',' or ']' after an event");
  }
}

/* ---- parallel scanning of the event list ----
 *
 * The list after '[' is cut into chunks at candidate event starts (a '{'
 * after a ',' and white space), each scanned into its own builder on the
 * libuv thread pool. A candidate can lie inside a string ("a},{b"), so a
 * chunk's result is used only when the chunk before it ended exactly at its
 * start on a clean event boundary; otherwise everything from the first
 * unverified chunk is scanned again serially. The builders merge in file
 * order (tv_store_build), so the index equals a serial pass. */

#define DEFAULT_CHUNK_BYTES (16u << 20)
#define MAX_CHUNKS 64

typedef struct progress_tick {
  uv_timer_t timer;
  const tv_open_opts_t *opts;
  _Atomic uint64_t bytes;
  uint64_t base, total;
  size_t pending;
} progress_tick_t;

typedef struct chunk {
  uv_work_t work;
  scan_t s;
  tv_error_t err;
  int rc, outcome;
  const char *cut;
  progress_tick_t *tick;
} chunk_t;

static void chunk_work(uv_work_t *w) {
  chunk_t *c = w->data;
  c->rc = scan_event_list(&c->s, &c->outcome, &c->cut);
}

static void chunk_done(uv_work_t *w, int status) {
  (void)status;
  chunk_t *c = w->data;
  if (--c->tick->pending == 0) uv_close((uv_handle_t *)&c->tick->timer, NULL);
}

static void on_tick(uv_timer_t *t) {
  progress_tick_t *pt = t->data;
  if (pt->opts && pt->opts->progress)
    pt->opts->progress(pt->opts->progress_ud, pt->base + atomic_load(&pt->bytes), pt->total);
}

/* A '{' after ',' and white space, at or after p. */
static const char *find_candidate(const char *p, const char *end) {
  while (p < end && (p = memchr(p, '{', (size_t)(end - p))) != NULL) {
    const char *q = p - 1;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q--;
    if (*q == ',') return p;
    p++;
  }
  return NULL;
}

static unsigned scan_threads(const tv_open_opts_t *opts) {
  if (opts && opts->threads) return opts->threads;
  const char *env = getenv("TRACEVIEW_THREADS");
  if (env && atoi(env) > 0) return (unsigned)atoi(env);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

/* Appends builder b to the later-chunk builders (taking it). */
static int push_extra(scan_t *s, tv_builder_t *b) {
  tv_builder_t **grown = realloc(s->extra, (s->n_extra + 1) * sizeof *grown);
  if (!grown) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  s->extra = grown;
  s->extra[s->n_extra++] = b;
  return 0;
}

static tv_builder_t *new_builder(void) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (b && tv_builder_init(b) != 0) {
    free(b);
    b = NULL;
  }
  return b;
}

/* scan_event_list for the whole top-level list, in parallel when it is big. */
static int scan_list_top(scan_t *s, int *outcome, const char **cut) {
  size_t min_chunk = s->opts && s->opts->chunk_bytes ? s->opts->chunk_bytes : DEFAULT_CHUNK_BYTES;
  size_t len = (size_t)(s->end - s->p);
  size_t n = len / min_chunk, threads = scan_threads(s->opts);
  if (n > threads) n = threads;
  if (n > MAX_CHUNKS) n = MAX_CHUNKS;
  const char *bounds[MAX_CHUNKS + 1];
  size_t k = 0;
  bounds[k++] = s->p;
  for (size_t i = 1; i < n; i++) {
    const char *c = find_candidate(s->p + len * i / n, s->end);
    if (c && c > bounds[k - 1]) bounds[k++] = c;
  }
  n = k;
  bounds[n] = s->end;
  if (n < 2) return scan_event_list(s, outcome, cut);

  chunk_t *chunks = calloc(n, sizeof *chunks);
  progress_tick_t tick = {.opts = s->opts, .base = (uint64_t)(s->p - s->base),
                          .total = (uint64_t)(s->end - s->base), .pending = n};
  if (!chunks) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    chunk_t *c = &chunks[i];
    c->s = *s;
    c->s.p = c->s.progress_mark = bounds[i];
    c->s.end = bounds[i + 1];
    c->s.next_progress = bounds[i] + PROGRESS_STEP;
    c->s.err = &c->err;
    c->s.n_events = 0;
    c->s.progress_bytes = &tick.bytes;
    c->s.extra = NULL;
    c->s.n_extra = 0;
    c->tick = &tick;
    c->work.data = c;
    if (i > 0 && !(c->s.b = new_builder()))
      rc = tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  }
  if (rc == 0) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &tick.timer);
    tick.timer.data = &tick;
    uv_timer_start(&tick.timer, on_tick, 100, 100);
    for (size_t i = 0; i < n; i++) uv_queue_work(&loop, &chunks[i].work, chunk_work, chunk_done);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once the last chunk closed the timer */
    uv_loop_close(&loop);
  }

  /* Chunks count in order while each one ended exactly where the next began. */
  size_t i = 0;
  for (; rc == 0 && i < n; i++) {
    chunk_t *c = &chunks[i];
    if (c->rc) {
      *s->err = c->err;
      rc = c->rc;
      break;
    }
    s->n_events += c->s.n_events;
    if (i > 0) {
      rc = push_extra(s, c->s.b);
      if (rc == 0) c->s.b = NULL;
    }
    if (i + 1 < n && c->outcome == LIST_UNTERMINATED && c->s.p == bounds[i + 1]) continue;
    if (i + 1 == n || c->outcome == LIST_CLOSED) {
      /* The list ends in this chunk (what follows was never events). */
      *outcome = c->outcome;
      *cut = c->cut;
      s->p = c->s.p;
      break;
    }
    /* The next chunk began inside an event (a "},{" in a string): scan the
     * rest serially from the event this chunk could not finish. */
    tv_builder_t *b = new_builder();
    if (!b) {
      rc = tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
      break;
    }
    scan_t rest = *s;
    rest.b = b;
    rest.p = c->outcome == LIST_TRUNCATED ? c->cut : c->s.p;
    rest.n_events = 0;
    rest.progress_bytes = NULL;
    rc = scan_event_list(&rest, outcome, cut);
    s->p = rest.p;
    s->n_events += rest.n_events;
    int prc = push_extra(s, b);
    if (prc) {
      tv_builder_free(b);
      free(b);
      rc = rc ? rc : prc;
    }
    break;
  }
  for (size_t j = 1; j < n; j++)
    if (chunks[j].s.b) {
      tv_builder_free(chunks[j].s.b);
      free(chunks[j].s.b);
    }
  free(chunks);
  return rc;
}

static void warn_truncated(scan_t *s, const char *cut) {
  s->trace->truncated = true;
  tv_trace_warn(s->trace, off_of(s, cut),
                "the trace ends inside an event (the file is truncated); loaded the %llu "
                "events before it",
                (unsigned long long)s->n_events);
}

/* One event object per line (blank lines and commas between them allowed). */
static int read_jsonl(scan_t *s) {
  raw_event_t ev;
  for (;;) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t' ||
                             *s->p == ','))
      s->p++;
    if (s->p >= s->end) return 0;
    if (*s->p != '{') return expected(s, s->p, "an event object '{' at the start of a line");
    const char *start = s->p;
    int rc = parse_event(s, &ev);
    if (rc == SCAN_EOF) {
      warn_truncated(s, start);
      return 0;
    }
    if (rc) return rc;
    if ((rc = emit_event(s, &ev)) != 0) return rc;
    report_progress(s);
  }
}

static int read_array(scan_t *s) {
  int outcome;
  const char *cut = NULL;
  s->p++; /* '[' */
  int rc = scan_list_top(s, &outcome, &cut);
  if (rc) return rc;
  if (outcome == LIST_TRUNCATED) warn_truncated(s, cut);
  if (outcome == LIST_CLOSED) {
    skip_ws(s);
    if (s->p < s->end)
      tv_trace_warn(s->trace, off_of(s, s->p), "ignored what follows the closing ']'");
  }
  return 0;
}

/* {"traceEvents": [...], other keys...}, or the first line of a JSONL file,
 * which is an event: then *is_event is set and nothing is emitted. */
static int read_object(scan_t *s, bool *is_event) {
  bool seen_events = false, seen_ph = false;
  *is_event = false;
  s->p++; /* '{' */
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    goto closed;
  }
  for (;;) {
    jstr_t key = {0};
    int rc = read_key(s, &key);
    if (rc == SCAN_EOF) goto eof;
    if (rc) return rc;
    char kbuf[32];
    key.s = key_text(&key, kbuf, sizeof kbuf);
    if (KEY_IS(key.s, "traceEvents") && s->p < s->end && *s->p == '[' && !seen_events) {
      seen_events = true;
      s->trace->format = "chrome-json-object";
      int outcome;
      const char *cut = NULL;
      s->p++;
      if ((rc = scan_list_top(s, &outcome, &cut)) != 0) return rc;
      if (outcome == LIST_TRUNCATED) {
        warn_truncated(s, cut);
        return 0;
      }
      if (outcome == LIST_UNTERMINATED) {
        tv_trace_warn(s->trace, off_of(s, s->p),
                      "the traceEvents array is not closed (the file is truncated)");
        s->trace->truncated = true;
        return 0;
      }
    } else if (KEY_IS(key.s, "displayTimeUnit") && s->p < s->end && *s->p == '"') {
      jstr_t unit;
      if ((rc = scan_string(s, &unit)) != 0) goto eof_or_rc;
      if (unit.s.len < sizeof s->trace->display_time_unit) {
        memcpy(s->trace->display_time_unit, unit.s.p, unit.s.len);
        s->trace->display_time_unit[unit.s.len] = '\0';
      }
    } else {
      if (KEY_IS(key.s, "ph")) seen_ph = true;
      if ((rc = skip_value(s)) != 0) goto eof_or_rc;
    }
    rc = after_member(s, "',' or '}' after a top-level value");
    if (rc == 2) break;
    if (rc == SCAN_EOF) goto eof;
    if (rc) return rc;
    continue;
  eof_or_rc:
    if (rc != SCAN_EOF) return rc;
    goto eof;
  }
closed:
  if (!seen_events) {
    if (seen_ph) {
      *is_event = true;
      return 0;
    }
    return tv_error_set(s->err, TV_EFORMAT, s->file, 0,
                        "no \"traceEvents\" array in the top-level object; expected a Chrome "
                        "trace ({\"traceEvents\": [...]}, [...], or one event per line)");
  }
  skip_ws(s);
  if (s->p < s->end)
    tv_trace_warn(s->trace, off_of(s, s->p), "ignored what follows the top-level object");
  return 0;
eof:
  if (!seen_events)
    return tv_error_set(s->err, TV_ESYNTAX, s->file, off_of(s, s->end),
                        "the file ends before a \"traceEvents\" array was found (truncated?)");
  tv_trace_warn(s->trace, off_of(s, s->end),
                "the file ends inside the top-level object after the events (truncated?)");
  s->trace->truncated = true;
  return 0;
}

static size_t skip_bom_ws(const char *p, size_t len) {
  size_t i = 0;
  if (len >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
      (unsigned char)p[2] == 0xbf)
    i = 3;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
  return i;
}

static int chrome_probe(const char *p, size_t len) {
  size_t i = skip_bom_ws(p, len);
  if (i >= len) return 0;
  if (p[i] == '[') return 80;
  if (p[i] != '{') return 0;
  /* Other JSON formats start with '{' too: look for Chrome's keys. */
  size_t window = len - i < 65536 ? len - i : 65536;
  if (memmem(p + i, window, "\"traceEvents\"", 13) || memmem(p + i, window, "\"ph\"", 4))
    return 90;
  return 10;
}

static int chrome_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
                       size_t *n_builders, tv_error_t *err) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  }
  scan_t s = {.base = t->map.base, .end = t->map.base + t->map.len, .file = t->map.path,
              .err = err, .b = b, .trace = t, .opts = opts};
  s.p = s.base + skip_bom_ws(s.base, t->map.len);
  s.next_progress = s.p + PROGRESS_STEP;
  int rc;
  if (*s.p == '[') {
    t->format = "chrome-json-array";
    rc = read_array(&s);
  } else {
    bool is_event;
    const char *start = s.p;
    rc = read_object(&s, &is_event);
    if (rc == 0 && is_event) {
      /* Start again: the first object was the first event of a JSONL file. */
      tv_builder_free(b);
      if (tv_builder_init(b) != 0) {
        free(b);
        return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
      }
      t->format = "chrome-jsonl";
      s.p = start;
      s.n_events = 0;
      rc = read_jsonl(&s);
    }
  }
  if (rc == SCAN_EOF) rc = tv_error_set(err, TV_ESYNTAX, t->map.path, (int64_t)t->map.len,
                                        "unexpected end of file");
  tv_builder_t *all = rc ? NULL : malloc((1 + s.n_extra) * sizeof *all);
  if (!rc && !all) rc = tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  if (rc) {
    for (size_t i = 0; i < s.n_extra; i++) {
      tv_builder_free(s.extra[i]);
      free(s.extra[i]);
    }
    free(s.extra);
    tv_builder_free(b);
    free(b);
    return rc;
  }
  /* The first chunk's builder, then the later chunks', in file order. */
  all[0] = *b;
  free(b);
  for (size_t i = 0; i < s.n_extra; i++) {
    all[1 + i] = *s.extra[i];
    free(s.extra[i]);
  }
  free(s.extra);
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
  *builders = all;
  *n_builders = 1 + s.n_extra;
  return 0;
}

const tv_reader_t tv_chrome_json_reader = {
    .name = "chrome-json",
    .description = "Chrome trace event JSON",
    .probe = chrome_probe,
    .read = chrome_read,
};
