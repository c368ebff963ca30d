/* demangle.c: symbol demangling with libiberty, and the namespace root of a
 * demangled symbol (used to group functions by crate or namespace).
 *
 * Demangling is what cplus_demangle(sym, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO)
 * does (Rust first, because legacy Rust symbols are also valid Itanium
 * names, then Itanium C++), but through libiberty's callback entry points,
 * so that:
 *  - the output is bounded: a few hundred bytes of hostile input can make
 *    either demangler print gigabytes (backreferences and substitutions
 *    expand exponentially), so we stop once the output passes a cap;
 *  - there is no global state (cplus_demangle reads the global demangling
 *    style when no style bit is set), so it is safe from any thread;
 *  - we own the allocation: the result is plain malloc memory.
 * DMGL_VERBOSE stays off: with it, libiberty keeps the legacy Rust
 * "::h<hash>" suffix and prints v0 crate disambiguators ("core[c1f1...]"). */
#include "traceview/demangle.h"

#include <demangle.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

enum {
  /* Longer input is refused outright: no real symbol is this long. */
  TV_DEMANGLE_MAX_IN = 64 * 1024,
  /* Shorter input is copied to the stack to add the NUL libiberty needs. */
  TV_DEMANGLE_STACK_IN = 512,
  /* Demangling stops when the output would exceed this. */
  TV_DEMANGLE_MAX_OUT = 256 * 1024,
  /* libiberty refuses Itanium names over DEMANGLE_RECURSION_LIMIT / 2 =
   * 1024 bytes (it sizes stack arrays by 2 * length) unless
   * DMGL_NO_RECURSE_LIMIT is given. Up to this length we retry with the limit
   * off: parsing depth stays bounded by the length, and printing keeps its
   * own depth limit. Probed worst cases needed under 768 KiB of stack here,
   * against under 512 KiB for names within the default limit. */
  TV_DEMANGLE_DEEP_IN = 4096,
};

/* Output collector for the libiberty callbacks. `done` is where the callback
 * jumps when the output gets too long or memory runs out: the callback
 * variants keep all their state on the stack, so abandoning them is safe.
 * (One exception: libiberty's v0 printer holds a malloc'd buffer while it
 * prints a punycode identifier; abandoning it there leaks that buffer, up to
 * 8 bytes per byte of the identifier. That takes a hostile symbol that is
 * both over the output cap and made with punycode identifiers.) */
typedef struct tv_dm_sink {
  char *buf;
  size_t len, cap;
  jmp_buf done;
} tv_dm_sink_t;

static void tv_dm_put(const char *s, size_t n, void *opaque) {
  tv_dm_sink_t *k = opaque;
  if (n == 0)
    return; /* libiberty may pass (NULL, 0) */
  if (n > TV_DEMANGLE_MAX_OUT - k->len)
    longjmp(k->done, 1);
  if (k->len + n + 1 > k->cap) {
    size_t cap = k->cap ? k->cap : 256;
    while (cap < k->len + n + 1)
      cap *= 2;
    char *nb = realloc(k->buf, cap);
    if (!nb)
      longjmp(k->done, 1);
    k->buf = nb;
    k->cap = cap;
  }
  memcpy(k->buf + k->len, s, n);
  k->len += n;
  k->buf[k->len] = '\0';
}

enum { TV_DM_RUST, TV_DM_ITANIUM };

/* One demangling attempt into k; 1 on success. setjmp lives here, not in the
 * caller that owns k, so k's contents stay well defined after a longjmp. */
static int tv_dm_try(tv_dm_sink_t *k, const char *sym, int which,
                     int options) {
  k->len = 0; /* a failed attempt may have printed part of a name */
  if (setjmp(k->done))
    return 0;
  if (which == TV_DM_RUST)
    return rust_demangle_callback(sym, options, tv_dm_put, k) != 0;
  return cplus_demangle_v3_callback(sym, options, tv_dm_put, k) != 0;
}

static int tv_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int tv_is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }

int tv_looks_mangled(const char *s, size_t len) {
  if (!s)
    return 0;
  /* Mach-O prefixes every symbol with one more underscore. */
  if (len >= 4 && s[0] == '_' && s[1] == '_' && (s[2] == 'Z' || s[2] == 'R')) {
    s++;
    len--;
  }
  if (len < 3 || s[0] != '_')
    return 0;
  unsigned char c = (unsigned char)s[2];
  if (s[1] == 'Z') {
    /* <encoding> starts with a <source-name> length, N (nested), Z (local),
     * S (std / substitution), L (internal linkage), T/G (vtables, thunks,
     * guards), W (C++20 module), D (DC: structured binding) or a lowercase
     * operator name (_Znwm is operator new). */
    if (tv_is_digit(c) || tv_is_lower(c))
      return 1;
    switch (c) {
    case 'N': case 'Z': case 'S': case 'L': case 'T': case 'G': case 'W':
    case 'D':
      return 1;
    default:
      return 0;
    }
  }
  if (s[1] == 'R') {
    /* v0: optional encoding version (a decimal), then a <path>, which starts
     * with C (crate root), N (nested), M/X/Y (impls), I (generic args) or B
     * (backref). This rejects "_Rest" and MSVC's "__RTC_*". */
    if (tv_is_digit(c))
      return 1;
    switch (c) {
    case 'C': case 'N': case 'M': case 'X': case 'Y': case 'I': case 'B':
      return 1;
    default:
      return 0;
    }
  }
  return 0;
}

char *tv_demangle(const char *s, size_t len) {
  /* Bound before anything else, and refuse embedded NULs: libiberty would
   * silently demangle only the part before one. */
  if (!s || len > TV_DEMANGLE_MAX_IN || !tv_looks_mangled(s, len) ||
      memchr(s, '\0', len))
    return NULL;
  if (s[1] == '_') { /* "__Z" / "__R": drop the Mach-O underscore */
    s++;
    len--;
  }

  char small[TV_DEMANGLE_STACK_IN];
  char *sym = len < sizeof small ? small : malloc(len + 1);
  if (!sym)
    return NULL;
  memcpy(sym, s, len);
  sym[len] = '\0';

  const int opts = DMGL_PARAMS | DMGL_ANSI;
  tv_dm_sink_t k = {0};
  /* Rust first: legacy Rust names are valid Itanium names too, and the C++
   * demangler would keep their $LT$-style escapes and hash. */
  int ok = tv_dm_try(&k, sym, TV_DM_RUST, opts);
  if (!ok && sym[1] == 'Z') {
    ok = tv_dm_try(&k, sym, TV_DM_ITANIUM, opts);
    if (!ok && len > DEMANGLE_RECURSION_LIMIT / 2 && len <= TV_DEMANGLE_DEEP_IN)
      ok = tv_dm_try(&k, sym, TV_DM_ITANIUM, opts | DMGL_NO_RECURSE_LIMIT);
  }

  if (sym != small)
    free(sym);
  if (!ok || k.len == 0) {
    free(k.buf);
    return NULL;
  }
  return k.buf;
}

/* ---- symbol roots ---- */

typedef struct tv_cur {
  const char *p, *end;
} tv_cur_t;

static int tv_at(const tv_cur_t *c, const char *p, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(c->end - p) >= n && memcmp(p, lit, n) == 0;
}

static int tv_has_path_sep(const char *s, const char *end) {
  for (const char *p = s; p + 1 < end; p++)
    if (p[0] == ':' && p[1] == ':')
      return 1;
  return 0;
}

static int tv_is_ident(unsigned char c) {
  return tv_is_digit(c) || tv_is_lower(c) || (c >= 'A' && c <= 'Z') ||
         c == '_' || c == '$' || c >= 0x80;
}

/* Itanium special names that libiberty prints as "<what> for X" or
 * "<what> to X": the root is X's. */
static const char *tv_skip_special(const tv_cur_t *c, const char *p) {
  static const char *const prefixes[] = {
      "vtable for ", "VTT for ", "construction vtable for ",
      "typeinfo for ", "typeinfo name for ", "typeinfo fn for ",
      "non-virtual thunk to ", "virtual thunk to ",
      "covariant return thunk to ", "guard variable for ",
      "TLS init function for ", "TLS wrapper function for ",
      "hidden alias for ", "transaction clone for ",
      "non-transaction clone for ", "global constructors keyed to ",
      "global destructors keyed to ", "java Class for ",
  };
  for (int again = 1; again;) {
    again = 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
      if (tv_at(c, p, prefixes[i])) {
        p += strlen(prefixes[i]);
        again = 1;
      }
    if (tv_at(c, p, "reference temporary #")) { /* "... #0 for X" */
      const char *q = p;
      while (q < c->end && !tv_at(c, q, " for "))
        q++;
      if (q < c->end) {
        p = q + 5;
        again = 1;
      }
    }
  }
  return p;
}

/* After "operator", skip the operator's own punctuation ("<<", "()", "->")
 * so that it is not taken for brackets. */
static const char *tv_skip_operator(const tv_cur_t *c, const char *p) {
  if (tv_at(c, p, "()") || tv_at(c, p, "[]"))
    return p + 2;
  while (p < c->end && *p && strchr("+-*/%^&|~!=<>,", *p))
    p++;
  return p;
}

static int tv_at_word(const tv_cur_t *c, const char *start, const char *p,
                      const char *word) {
  size_t n = strlen(word);
  return tv_at(c, p, word) && (p == start || !tv_is_ident((unsigned char)p[-1])) &&
         (p + n == c->end || !tv_is_ident((unsigned char)p[n]));
}

/* The end of an operator's name starting at p ("operator"): "operator<<",
 * "operator()", "operator new", "operator unsigned long". */
static const char *tv_operator_end(const tv_cur_t *c, const char *p) {
  const char *q = p + 8;
  if (q < c->end && *q == ' ') { /* a word: runs to the parameters */
    while (q < c->end && *q != '(')
      q++;
    while (q > p + 8 && q[-1] == ' ')
      q--;
    return q;
  }
  return tv_skip_operator(c, q);
}

/* C++ template functions print their return type first:
 * "bool ns::f<int>(int)". If a space at bracket depth 0 comes before the
 * first depth-0 '(', the name starts after the last such space. Strings
 * without a depth-0 '(' are left alone. */
static const char *tv_skip_return_type(const tv_cur_t *c, const char *p) {
  const char *name = p;
  int depth = 0, frozen = 0;
  for (const char *q = p; q < c->end; q++) {
    unsigned char ch = (unsigned char)*q;
    if (depth == 0 && tv_at_word(c, p, q, "operator")) {
      /* Its punctuation is no bracket, and in "operator new" or "operator
       * unsigned long" spaces no longer split return type from name. */
      frozen = 1;
      q = tv_skip_operator(c, q + 8) - 1;
      continue;
    }
    if (depth == 0 && tv_at_word(c, p, q, "decltype")) {
      /* "decltype (expr) ns::f()": that '(' is part of the return type. */
      q += 8;
      while (q < c->end && *q == ' ')
        q++;
      if (q < c->end && *q == '(')
        depth++;
      else
        q--;
      continue;
    }
    if (ch == '-' && q + 1 < c->end && q[1] == '>') { /* Rust "-> T" */
      q++;
      continue;
    }
    if (ch == '(' && depth == 0)
      return q > name ? name : p;
    if (ch == '<' || ch == '(' || ch == '[' || ch == '{')
      depth++;
    else if (ch == '>' || ch == ')' || ch == ']' || ch == '}')
      depth -= depth > 0;
    else if (ch == ' ' && depth == 0 && !frozen && q + 1 < c->end &&
             q[1] != ' ' && q[1] != '(')
      name = q + 1;
  }
  return p;
}

/* Skips what wraps the first path: '<' of a qualified path, references,
 * pointers, "dyn"/"impl" and the like, "::" of the global scope. */
static const char *tv_skip_wrappers(const tv_cur_t *c, const char *p) {
  static const char *const words[] = {"mut ", "const ", "dyn ", "impl ",
                                      "unsafe ", "::"};
  for (;;) {
    if (p < c->end && (*p == '<' || *p == '&' || *p == '*' || *p == ' ')) {
      p++;
      continue;
    }
    if (p + 1 < c->end && *p == '\'' && tv_is_ident((unsigned char)p[1])) {
      p++; /* lifetime: "&'a T" */
      while (p < c->end && tv_is_ident((unsigned char)*p))
        p++;
      continue;
    }
    size_t i;
    for (i = 0; i < sizeof words / sizeof *words; i++)
      if (tv_at(c, p, words[i]))
        break;
    if (i == sizeof words / sizeof *words)
      return p;
    p += strlen(words[i]);
  }
}

/* The end of the bracket group opening at p, or NULL if it never closes. */
static const char *tv_group_end(const tv_cur_t *c, const char *p) {
  char open = *p, close = open == '(' ? ')' : ']';
  int depth = 0;
  for (const char *q = p; q < c->end; q++) {
    if (*q == open)
      depth++;
    else if (*q == close && --depth == 0)
      return q + 1;
  }
  return NULL;
}

/* If p starts a C-style signature, "name(" or "operator...(", the end of
 * the name; else NULL. */
static const char *tv_func_name_end(const tv_cur_t *c, const char *p) {
  const char *q = p;
  if (tv_at_word(c, p, p, "operator"))
    q = tv_operator_end(c, p);
  else
    while (q < c->end && tv_is_ident((unsigned char)*q))
      q++;
  return q > p && q < c->end && *q == '(' ? q : NULL;
}

tv_str_t tv_symbol_root(const char *s, size_t len) {
  tv_str_t whole = tv_str(s, len);
  if (!s || len == 0)
    return whole;

  tv_cur_t c = {s, s + len};
  const char *q;
  if (!tv_has_path_sep(s, c.end)) {
    /* A file name, "[module]", "main": its own root. Only a plain function
     * signature is cut to its name, to agree with "f(std::string)". */
    q = tv_func_name_end(&c, s);
    return q ? tv_str(s, (size_t)(q - s)) : whole;
  }

  const char *p = tv_skip_special(&c, s);
  p = tv_skip_return_type(&c, p);
  p = tv_skip_wrappers(&c, p);

  if (p < c.end && (*p == '[' || *p == '(')) {
    /* A slice, array or tuple ("<[T]>::len", "<(A, B) as Tr>::f") or C++'s
     * "(anonymous namespace)": the whole group is the root. */
    q = tv_group_end(&c, p);
  } else if (tv_at_word(&c, p, p, "operator")) {
    q = tv_operator_end(&c, p); /* a global operator is its own root */
  } else {
    q = p;
    while (q < c.end && *q && !tv_at(&c, q, "::") &&
           !strchr("<>()[],; {}", *q))
      q++;
  }
  if (!q || q == p)
    return whole; /* nothing sensible: never return an empty view */
  return tv_str(p, (size_t)(q - p));
}

/* ---- symbols inside longer text ---- */

static int is_symbol_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '.';
}

/* Finds the next token that looks mangled in s[*pos..len); returns its start
 * and sets *tok_len, or returns len when there is none. */
static size_t next_mangled_token(const char *s, size_t len, size_t *pos, size_t *tok_len) {
  for (size_t i = *pos; i + 2 <= len; i++) {
    if (s[i] != '_' || (i > 0 && is_symbol_char((unsigned char)s[i - 1]))) continue;
    size_t e = i;
    while (e < len && is_symbol_char((unsigned char)s[e])) e++;
    *pos = e;
    if (tv_looks_mangled(s + i, e - i)) {
      *tok_len = e - i;
      return i;
    }
    i = e;
  }
  *pos = len;
  return len;
}

char *tv_demangle_text(const char *s, size_t len) {
  if (tv_looks_mangled(s, len)) {
    char *whole = tv_demangle(s, len);
    if (whole) return whole;
  }
  /* LLVM details wrap symbols: "(_RNv...)", "loop %x in function _ZN...". */
  size_t pos = 0, tok_len = 0, copied = 0, cap = 0, n = 0;
  char *out = NULL;
  for (;;) {
    size_t at = next_mangled_token(s, len, &pos, &tok_len);
    if (at == len) break;
    char *dem = tv_demangle(s + at, tok_len);
    if (!dem) continue;
    size_t dlen = strlen(dem), need = n + (at - copied) + dlen + (len - at) + 1;
    if (need > cap) {
      cap = need * 2;
      char *grown = realloc(out, cap);
      if (!grown) {
        free(dem);
        free(out);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + n, s + copied, at - copied);
    n += at - copied;
    memcpy(out + n, dem, dlen);
    n += dlen;
    copied = at + tok_len;
    free(dem);
  }
  if (!out) return NULL;
  memcpy(out + n, s + copied, len - copied);
  n += len - copied;
  out[n] = '\0';
  return out;
}

tv_str_t tv_text_root(const char *s, size_t len, char **owned) {
  *owned = NULL;
  size_t pos = 0, tok_len = 0;
  size_t at = next_mangled_token(s, len, &pos, &tok_len);
  if (at < len && (*owned = tv_demangle(s + at, tok_len)) != NULL)
    return tv_symbol_root(*owned, strlen(*owned));
  return tv_symbol_root(s, len);
}
