/* json_scan.h: a JSON byte scanner over mapped input, shared by the JSON
 * readers (Chrome trace events, V8 cpuprofile, Jaeger, OTLP).
 *
 * Nothing is parsed into a DOM: callers walk objects key by key, keep
 * strings as views into the input (tv_jstr_t), decode escapes only when a
 * string has them, and skip every value they do not need with a bracket
 * counter that knows about strings.
 *
 * Functions return 0, TV_SCAN_EOF when the input ends inside what they read
 * (a truncated file), or a negative TV_E* code with *err filled (file and
 * byte offset). */
#ifndef TRACEVIEW_JSON_SCAN_H
#define TRACEVIEW_JSON_SCAN_H

#include <stdbool.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "traceview/error.h"
#include "traceview/intern.h"
#include "traceview/str.h"

#define TV_SCAN_EOF 1

typedef struct tv_jscan {
  const char *p, *end; /* cursor and end of input */
  const char *base;    /* start of the file: offsets in errors count from here */
  const char *file;    /* for errors */
  tv_error_t *err;
} tv_jscan_t;

/* A string as found in the input: raw bytes between the quotes. */
typedef struct tv_jstr {
  tv_str_t s;
  bool escaped;
  bool present;
  const char *at; /* opening quote, for error offsets */
} tv_jstr_t;

typedef struct tv_jnum {
  const char *p, *e; /* token bytes; p == NULL when absent */
} tv_jnum_t;

/** 64-bit FNV-1a of one part of a key, then a separator byte, so parts never
 *  run together (Chrome async, flow and profile keys); start from
 *  TV_HASH64_START */
#define TV_HASH64_START UINT64_C(0xcbf29ce484222325)
static inline uint64_t tv_hash64_part(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
  return (h ^ 0xff) * UINT64_C(0x100000001b3);
}

#define TV_KEY_IS(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

static inline int64_t tv_js_off(const tv_jscan_t *s, const char *p) { return (int64_t)(p - s->base); }

static inline void tv_js_ws(tv_jscan_t *s) {
  const char *p = s->p;
  /* Usually there is none: one compare says so (JSON's other bytes are > ' '). */
  while (p < s->end && (unsigned char)*p <= ' ' &&
         (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  s->p = p;
}

/* s->p is at the opening quote. Most strings have no escape: 16 bytes at a
 * time, the first quote or backslash decides (a quote first ends a string
 * with no escapes); a backslash first takes the general path. */
static inline int tv_js_string(tv_jscan_t *s, tv_jstr_t *out) {
  const char *start = s->p + 1, *q = start;
#ifdef __SSE2__
  {
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const char *c = start;
    for (;;) {
      unsigned mq, mb;
      if (c + 16 <= s->end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
        mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
        mb = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
        if (!(mq | mb)) {
          c += 16;
          continue;
        }
      } else {
        while (c < s->end && *c != '"' && *c != '\\') c++;
        if (c == s->end) return TV_SCAN_EOF;
        mq = *c == '"';
        mb = !mq;
      }
      if (!mq || (mb && __builtin_ctz(mb) < __builtin_ctz(mq))) break; /* escapes */
      q = c + __builtin_ctz(mq);
      if (out) {
        out->s = tv_str(start, (size_t)(q - start));
        out->escaped = false;
        out->present = true;
        out->at = s->p;
      }
      s->p = q + 1;
      return 0;
    }
  }
#endif
  for (;;) {
    q = memchr(q, '"', (size_t)(s->end - q));
    if (!q) return TV_SCAN_EOF;
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


/** syntax error at p: "expected WHAT, found X" */
int tv_js_expected(tv_jscan_t *s, const char *p, const char *what);
/** skips one value of any kind (containers bracket-matched, strings aware) */
int tv_js_skip_value(tv_jscan_t *s);
/** exact decimal text -> value * 10^pow10 as an integer, rounded half away
 *  from zero; TV_ESYNTAX or TV_ERANGE (beyond 2^62) */
int tv_parse_decimal(const char *p, const char *e, int pow10, int64_t *out);
/** the error for a number that tv_parse_decimal refused with rc */
int tv_js_number_error(tv_jscan_t *s, const tv_jnum_t *n, int rc, const char *what);
/** strtod over a number token; *ok false when absent or not finite */
double tv_js_double(const tv_jnum_t *n, bool *ok);
bool tv_valid_utf8(const unsigned char *p, size_t n, size_t *bad);
/** decodes the escapes of j into out (j->s.len bytes suffice); -1 with *bad */
long tv_js_decode_into(const tv_jstr_t *j, char *out, const char **bad);
/** a key as text, escapes decoded into buf when it fits */
tv_str_t tv_js_key_text(const tv_jstr_t *key, char *buf, size_t cap);
/** interns j into strings (decoded, UTF-8 checked once per distinct string);
 *  absent or empty strings give TV_NO_STRING */
int tv_js_intern(tv_jscan_t *s, tv_intern_t *strings, const tv_jstr_t *j, uint32_t *id);

/* ---- the scanner's inner loop: small steps, inlined into the readers ---- */

/** bytes a number (or true/false/null) token is made of: digits, letters,
 *  '-', '+', '.' (a table: the scanner asks for every byte of every number) */
extern const bool tv_js_scalar_table[256];
static inline bool tv_js_scalar_byte(unsigned char ch) { return tv_js_scalar_table[ch]; }

/** a number token (not converted) */
static inline int tv_js_number(tv_jscan_t *s, tv_jnum_t *out) {
  const char *p = s->p;
  while (p < s->end && tv_js_scalar_byte((unsigned char)*p)) p++;
  if (p == s->p) return tv_js_expected(s, p, "a number");
  if (p == s->end) return TV_SCAN_EOF;
  out->p = s->p;
  out->e = p;
  s->p = p;
  return 0;
}

/** white space, the byte ch, white space */
static inline int tv_js_expect_byte(tv_jscan_t *s, char ch, const char *what) {
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != ch) return tv_js_expected(s, s->p, what);
  s->p++;
  tv_js_ws(s);
  return 0;
}

/** after a member: ',' gives 0, '}' gives 2 */
static inline int tv_js_after_member(tv_jscan_t *s, const char *what) {
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == ',') {
    s->p++;
    tv_js_ws(s);
    return 0;
  }
  if (*s->p == '}') {
    s->p++;
    return 2;
  }
  return tv_js_expected(s, s->p, what);
}

/** "key" and ':' */
static inline int tv_js_key(tv_jscan_t *s, tv_jstr_t *key) {
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '"') return tv_js_expected(s, s->p, "a key string");
  int rc = tv_js_string(s, key);
  if (rc) return rc;
  return tv_js_expect_byte(s, ':', "':' after a key");
}

/** a string, or any other value skipped (out stays absent) */
static inline int tv_js_string_or_skip(tv_jscan_t *s, tv_jstr_t *out) {
  if (s->p < s->end && *s->p == '"') return tv_js_string(s, out);
  return tv_js_skip_value(s);
}

/** a number or a string holding one ("ts": "11550183666" occurs in real
 *  traces); anything else is skipped and the value counts as absent */
static inline int tv_js_number_or_skip(tv_jscan_t *s, tv_jnum_t *out) {
  if (s->p < s->end && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
    return tv_js_number(s, out);
  if (s->p < s->end && *s->p == '"') {
    tv_jstr_t str;
    int rc = tv_js_string(s, &str);
    if (rc == 0 && !str.escaped && str.s.len > 0) {
      out->p = str.s.p;
      out->e = str.s.p + str.s.len;
    }
    return rc;
  }
  return tv_js_skip_value(s);
}

/** bytes of a UTF-8 byte order mark and white space at the start of p[0..len):
 *  where a JSON reader's probe and scan begin */
size_t tv_js_skip_bom_ws(const char *p, size_t len);

/* Walks: the object (or array) at s->p, calling fn for each member (key and
 * s->p at its value) or element (s->p at it); fn must consume the value and
 * return 0 or an error, which stops the walk. owner and ctx are passed
 * through (the reader's state and the caller's). what names the container
 * in "expected" errors. */
typedef int (*tv_js_member_fn)(void *owner, tv_str_t key, void *ctx);
typedef int (*tv_js_element_fn)(void *owner, void *ctx);
int tv_js_object(tv_jscan_t *s, const char *what, tv_js_member_fn fn, void *owner, void *ctx);
int tv_js_array(tv_jscan_t *s, const char *what, tv_js_element_fn fn, void *owner, void *ctx);

#endif
