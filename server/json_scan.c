/* json_scan.c: the shared JSON byte scanner (see json_scan.h). */
#include "traceview/json_scan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TV_MAX_NS ((INT64_C(1) << 62) - 1) /* ~146 years: beyond is absurd; B/E differences stay in int64 */

static void describe_byte(const tv_jscan_t *s, const char *p, char *out, size_t cap) {
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
int tv_js_expected(tv_jscan_t *s, const char *p, const char *what) {
  char found[32];
  describe_byte(s, p, found, sizeof found);
  return tv_error_set(s->err, TV_ESYNTAX, s->file, tv_js_off(s, p), "expected %s, found %s", what,
                      found);
}

const bool tv_js_scalar_table[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['-'] = 1, ['+'] = 1, ['.'] = 1,
#define TV__LETTER(c) [c] = 1, [c - 'a' + 'A'] = 1
    TV__LETTER('a'), TV__LETTER('b'), TV__LETTER('c'), TV__LETTER('d'), TV__LETTER('e'),
    TV__LETTER('f'), TV__LETTER('g'), TV__LETTER('h'), TV__LETTER('i'), TV__LETTER('j'),
    TV__LETTER('k'), TV__LETTER('l'), TV__LETTER('m'), TV__LETTER('n'), TV__LETTER('o'),
    TV__LETTER('p'), TV__LETTER('q'), TV__LETTER('r'), TV__LETTER('s'), TV__LETTER('t'),
    TV__LETTER('u'), TV__LETTER('v'), TV__LETTER('w'), TV__LETTER('x'), TV__LETTER('y'),
    TV__LETTER('z'),
#undef TV__LETTER
};

/* Byte classes for skipping: 1 = opens, 2 = closes, 3 = quote. */
static const unsigned char skip_class[256] = {
    ['{'] = 1, ['['] = 1, ['}'] = 2, [']'] = 2, ['"'] = 3,
};

/* Skips one JSON value of any kind. Containers are skipped by a bracket
 * counter that also checks each closing bracket matches its opener (a bit
 * per level: 1 = object), so a typo inside args is an error at its offset,
 * not a silent "truncated" trace. Scalars are not validated here: args are
 * parsed strictly on demand later. */
int tv_js_skip_value(tv_jscan_t *s) {
  if (s->p >= s->end) return TV_SCAN_EOF;
  unsigned char ch = (unsigned char)*s->p;
  if (ch == '"') return tv_js_string(s, NULL);
  if (ch == '{' || ch == '[') {
    uint64_t small[64], *bits = small; /* 4096 levels without allocating */
    size_t cap_bits = sizeof small * 8, depth = 0;
    int rc = TV_SCAN_EOF;
    const char *p = s->p;
    while (p < s->end) {
      unsigned char cls = skip_class[(unsigned char)*p];
      if (!cls) {
        p++;
        continue;
      }
      if (cls == 3) {
        s->p = p;
        if ((rc = tv_js_string(s, NULL)) != 0) goto out;
        p = s->p;
        rc = TV_SCAN_EOF;
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
          rc = tv_js_expected(s, p, is_object ? "',' or '}' to close an object"
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
  while (p < s->end && tv_js_scalar_byte((unsigned char)*p)) p++;
  if (p == s->p) return tv_js_expected(s, p, "a value");
  if (p == s->end) return TV_SCAN_EOF; /* a number cut by the end of the file */
  s->p = p;
  return 0;
}

/* Exact decimal text -> integer (value * 10^pow10), rounded to nearest with
 * halves away from zero. Rejects magnitudes beyond TV_MAX_NS. */
int tv_parse_decimal(const char *p, const char *e, int pow10, int64_t *out) {
  /* Most numbers in a trace are short plain integers (pid, tid, ts and dur
   * in whole microseconds): exact without the general path below, which
   * below 10^18 cannot overflow or reach TV_MAX_NS either. */
  if (pow10 >= 0 && e - p >= 1 && (e - p) + pow10 <= 18) {
    uint64_t v = 0;
    const char *q = p;
    for (; q < e && (unsigned)(*q - '0') <= 9; q++) v = v * 10 + (uint64_t)(*q - '0');
    if (q == e) {
      static const uint64_t scale[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull,
                                         1000000ull, 10000000ull, 100000000ull,
                                         1000000000ull, 10000000000ull, 100000000000ull,
                                         1000000000000ull, 10000000000000ull,
                                         100000000000000ull, 1000000000000000ull,
                                         10000000000000000ull, 100000000000000000ull,
                                         1000000000000000000ull};
      *out = (int64_t)(v * scale[pow10]);
      return 0;
    }
  }
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

int tv_js_number_error(tv_jscan_t *s, const tv_jnum_t *n, int rc, const char *what) {
  int len = (int)(n->e - n->p > 40 ? 40 : n->e - n->p);
  if (rc == TV_ERANGE)
    return tv_error_set(s->err, TV_ERANGE, s->file, tv_js_off(s, n->p),
                        "%s %.*s%s is out of range (expected a magnitude below 4.6e15 us, 146 years)", what, len,
                        n->p, n->e - n->p > 40 ? "..." : "");
  return tv_error_set(s->err, TV_ESYNTAX, s->file, tv_js_off(s, n->p),
                      "expected a number for %s, found '%.*s'", what, len, n->p);
}

double tv_js_double(const tv_jnum_t *n, bool *ok) {
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

bool tv_valid_utf8(const unsigned char *p, size_t n, size_t *bad) {
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
long tv_js_decode_into(const tv_jstr_t *j, char *out, const char **bad) {
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

static int bad_escape(tv_jscan_t *s, const char *at) {
  return tv_error_set(s->err, TV_ESYNTAX, s->file, tv_js_off(s, at),
                      "invalid escape sequence in a string (expected \\\" \\\\ \\/ \\b \\f "
                      "\\n \\r \\t or \\uXXXX)");
}

/* Decodes j into the builder's arena. */
static int tv_js_decode(tv_jscan_t *s, tv_intern_t *strings, const tv_jstr_t *j, tv_str_t *out) {
  char *o = tv_intern_alloc(strings, j->s.len ? j->s.len : 1);
  if (!o) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  const char *bad = j->s.p;
  long n = tv_js_decode_into(j, o, &bad);
  if (n < 0) return bad_escape(s, bad);
  *out = tv_str(o, (size_t)n);
  return 0;
}

/* A key as text: escaped keys ("n\u0061me") are decoded into buf; keys too
 * long for buf cannot be one we look for and are returned raw. */
tv_str_t tv_js_key_text(const tv_jstr_t *key, char *buf, size_t cap) {
  if (!key->escaped || key->s.len > cap) return key->s;
  const char *bad;
  long n = tv_js_decode_into(key, buf, &bad);
  return n < 0 ? key->s : tv_str(buf, (size_t)n);
}

/* Interns a string from the input (decoding escapes, validating UTF-8 the
 * first time a string is seen). */
int tv_js_intern(tv_jscan_t *s, tv_intern_t *strings, const tv_jstr_t *j, uint32_t *id) {
  if (!j->present || j->s.len == 0) {
    *id = TV_NO_STRING;
    return 0;
  }
  tv_str_t v = j->s;
  if (j->escaped) {
    int rc = tv_js_decode(s, strings, j, &v);
    if (rc) return rc;
  }
  int is_new;
  /* Decoded strings are in the arena already; views into the file are
   * copied there when new (compact, so later lookups stay in cache). */
  *id = j->escaped ? tv_intern(strings, v, &is_new) : tv_intern_copied(strings, v, &is_new);
  if (*id == UINT32_MAX) return tv_error_set(s->err, TV_ENOMEM, s->file, -1, "out of memory");
  size_t bad;
  if (is_new && !tv_valid_utf8((const unsigned char *)v.p, v.len, &bad)) {
    /* Offsets point into the file; for a decoded string, at its quote. */
    int64_t off = j->escaped ? tv_js_off(s, j->at) : tv_js_off(s, j->s.p) + (int64_t)bad;
    return tv_error_set(s->err, TV_EUTF8, s->file, off,
                        "invalid UTF-8 in a string (expected UTF-8 text)");
  }
  return 0;
}

/* ------------------------------------------------------------ events */

#define TV_KEY_IS(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

/* ---- walks ---- */

int tv_js_object(tv_jscan_t *s, const char *what, tv_js_member_fn fn, void *owner, void *ctx) {
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '{') return tv_js_expected(s, s->p, what);
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    tv_jstr_t key = {0};
    int rc = tv_js_key(s, &key);
    if (rc) return rc;
    char kbuf[32];
    tv_str_t k = tv_js_key_text(&key, kbuf, sizeof kbuf);
    if ((rc = fn(owner, k, ctx)) != 0) return rc;
    rc = tv_js_after_member(s, "',' or '}' after a member");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

int tv_js_array(tv_jscan_t *s, const char *what, tv_js_element_fn fn, void *owner, void *ctx) {
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '[') return tv_js_expected(s, s->p, what);
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == ']') {
    s->p++;
    return 0;
  }
  for (;;) {
    int rc = fn(owner, ctx);
    if (rc) return rc;
    tv_js_ws(s);
    if (s->p >= s->end) return TV_SCAN_EOF;
    if (*s->p == ']') {
      s->p++;
      return 0;
    }
    if (*s->p != ',') return tv_js_expected(s, s->p, "',' or ']' after an element");
    s->p++;
    tv_js_ws(s);
    if (s->p >= s->end) return TV_SCAN_EOF;
  }
}

size_t tv_js_skip_bom_ws(const char *p, size_t len) {
  size_t i = 0;
  if (len >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
      (unsigned char)p[2] == 0xbf)
    i = 3;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
  return i;
}
