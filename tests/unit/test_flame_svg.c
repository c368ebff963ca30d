/* test_flame_svg.c: the flame graph SVG writer (server/flame_svg.c) on
 * hand-built trees: well-formed XML (a tag-balance check here, plus Python's
 * xml.dom.minidom when python3 is on the PATH), escaping of labels and titles,
 * which frames are drawn, geometry (widths proportional to totals, x from the
 * siblings before, rows by depth, inverted), elision, the empty graph and
 * write errors. One test also renders a tree built by tv_flame_build. */
#include "check.h"
#include "traceview/flame.h"
#include "traceview/store.h"

#include <math.h>
#include <unistd.h>

/* ------------------------------------------------------------ fixtures */

/* A store holding the strings the tests name frames with (every string
 * interned in the builder survives tv_store_build). */
static tv_store_t g_store;

static uint32_t sid(const char *s) {
  uint32_t id = tv_intern_find(&g_store.t.strings, tv_str(s, strlen(s)));
  if (id == UINT32_MAX) CHECK_FAIL_("string not interned: %s", s);
  return id;
}

static const char *const STRINGS[] = {
    "main", "parse", "lex", "eval", "emit", "tiny", "tinier", "OptFunction",
    "<alloc::vec::Vec<u8> as core::ops::Drop>::drop",
    "a & b", "say \"hi\"", "it's", "bad\xff\xfe utf8", "ctl\x01\x1f" "char", "tab\there\nnl",
    "_RNvNtNtCs1kTlP2L7aiK_6memchr6memmem4util6memcmp",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x96\xa2\xe6\x95\xb0", /* 日本語の関数 */
    "a]]>b", "over\xf0\x82\x82\xac" "long\xed\xa0\x80",
    NULL};

static void make_store(void) {
  tv_builder_t b;
  CHECK_EQ(tv_builder_init(&b), 0);
  for (size_t i = 0; STRINGS[i]; i++)
    CHECK(tv_intern(&b.strings, tv_str(STRINGS[i], strlen(STRINGS[i])), NULL) != UINT32_MAX);
  tv_error_t err;
  CHECK_EQ(tv_store_build(&g_store, &b, 1, &err), 0);
}

/* Trees are built top-down: add() appends a last child; finish() sets self
 * times (total minus the children's totals). */
static void tree_init(tv_flame_t *f, int64_t root_total) {
  f->cap = 16;
  f->n = 1;
  f->nodes = calloc(f->cap, sizeof *f->nodes);
  CHECK(f->nodes != NULL);
  f->nodes[0] = (tv_flame_node_t){.parent = TV_FLAME_NONE, .first_child = TV_FLAME_NONE,
                                  .next_sibling = TV_FLAME_NONE, .total_ns = root_total};
}

static uint32_t add(tv_flame_t *f, uint32_t parent, const char *name, const char *detail,
                    int64_t total) {
  if (f->n == f->cap) {
    f->cap *= 2;
    f->nodes = realloc(f->nodes, f->cap * sizeof *f->nodes);
    CHECK(f->nodes != NULL);
  }
  uint32_t id = (uint32_t)f->n++;
  f->nodes[id] = (tv_flame_node_t){
      .parent = parent, .first_child = TV_FLAME_NONE, .next_sibling = TV_FLAME_NONE,
      .name = name ? sid(name) : TV_FLAME_OTHER, .detail = detail ? sid(detail) : 0,
      .depth = f->nodes[parent].depth + 1, .total_ns = total};
  uint32_t *link = &f->nodes[parent].first_child;
  while (*link != TV_FLAME_NONE) link = &f->nodes[*link].next_sibling;
  *link = id;
  return id;
}

static void finish(tv_flame_t *f) {
  for (size_t i = 0; i < f->n; i++) {
    int64_t sum = 0;
    for (uint32_t c = f->nodes[i].first_child; c != TV_FLAME_NONE; c = f->nodes[c].next_sibling)
      sum += f->nodes[c].total_ns;
    f->nodes[i].self_ns = f->nodes[i].total_ns - sum;
  }
}

/* The SVG as a NUL-terminated string (caller frees). */
static char *render(const tv_flame_t *f, const tv_flame_svg_opts_t *o) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  CHECK(m != NULL);
  CHECK_EQ(tv_flame_write_svg(m, &g_store, f, o), 0);
  CHECK_EQ(fclose(m), 0);
  CHECK_EQ(strlen(buf), len); /* no NUL bytes inside */
  return buf;
}

/* ------------------------------------------------ well-formedness checks */

/* Element nesting balances and every '&' starts a known entity. Skips the
 * XML declaration, comments and CDATA sections (which hold the script). */
static void check_balanced(const char *s) {
  const char *stack[256];
  size_t lens[256], depth = 0, roots = 0;
  for (const char *p = s; *p;) {
    if (*p == '&') {
      static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
      int ok = 0;
      for (size_t k = 0; k < 5; k++) ok |= strncmp(p, ents[k], strlen(ents[k])) == 0;
      if (!ok) CHECK_FAIL_("bare '&' at offset %td", p - s);
      p++;
      continue;
    }
    if (*p == '>') CHECK_FAIL_("bare '>' in text at offset %td", p - s);
    if (*p != '<') {
      p++;
      continue;
    }
    const char *end;
    if (!strncmp(p, "<?", 2)) end = strstr(p, "?>"), end = end ? end + 2 : NULL;
    else if (!strncmp(p, "<!--", 4)) end = strstr(p, "-->"), end = end ? end + 3 : NULL;
    else if (!strncmp(p, "<![CDATA[", 9)) end = strstr(p, "]]>"), end = end ? end + 3 : NULL;
    else {
      /* a tag: attribute values may not hold '<' (escaped by the writer) */
      end = p + 1;
      char q = 0;
      for (; *end && (q || *end != '>'); end++) {
        if (q && *end == '<') CHECK_FAIL_("'<' in an attribute value at offset %td", end - s);
        if (*end == '"' || *end == '\'') q = q == *end ? 0 : (q ? q : *end);
      }
      CHECK(*end == '>');
      const char *name = p[1] == '/' ? p + 2 : p + 1;
      size_t nlen = strcspn(name, " \t\n/>");
      if (p[1] == '/') {
        CHECK(depth > 0);
        depth--;
        if (lens[depth] != nlen || strncmp(stack[depth], name, nlen))
          CHECK_FAIL_("</%.*s> closes <%.*s>", (int)nlen, name, (int)lens[depth], stack[depth]);
      } else if (end[-1] != '/') {
        CHECK(depth < 256);
        if (depth == 0) roots++;
        stack[depth] = name;
        lens[depth++] = nlen;
      }
      end++;
    }
    if (!end) CHECK_FAIL_("unterminated markup at offset %td", p - s);
    p = end;
  }
  CHECK_EQ(depth, 0);
  CHECK_EQ(roots, 1);
}

/* Python's XML parser as an independent judge, when python3 exists. */
static int g_python = -1; /* unknown, 0 absent, 1 present */

static void check_python_parses(const char *svg) {
  if (g_python < 0) g_python = system("python3 -c 'pass' >/dev/null 2>&1") == 0;
  if (!g_python) return;
  char path[] = "/tmp/test_flame_svg_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  size_t len = strlen(svg);
  CHECK_EQ(write(fd, svg, len), (int64_t)len);
  close(fd);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
           "assert d.documentElement.tagName == \"svg\"' %s",
           path);
  int rc = system(cmd);
  unlink(path);
  CHECK_EQ(rc, 0);
}

static void check_xml(const char *svg) {
  check_balanced(svg);
  check_python_parses(svg);
}

/* ------------------------------------------------------ reading frames */

typedef struct frame {
  char title[512], text[512];
  double x, y, w;
  int64_t data_x, data_w;
  int depth;
  char fill[32];
} frame_t;

static const char *attr(const char *tag, const char *tag_end, const char *name, char *out,
                        size_t cap) {
  char key[64];
  snprintf(key, sizeof key, " %s=\"", name);
  const char *p = strstr(tag, key);
  if (!p || p > tag_end) CHECK_FAIL_("no %s in %.60s", name, tag);
  p += strlen(key);
  const char *q = strchr(p, '"');
  size_t n = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

static void inner(const char *from, const char *open, const char *close, char *out, size_t cap) {
  const char *p = strstr(from, open);
  CHECK(p != NULL);
  p = strchr(p, '>') + 1;
  const char *q = strstr(p, close);
  CHECK(q != NULL);
  size_t n = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
}

/* Every <g class="f"> in order; returns the count (at most cap). */
static size_t read_frames(const char *svg, frame_t *fr, size_t cap) {
  size_t n = 0;
  char v[64];
  for (const char *p = svg; (p = strstr(p, "<g class=\"f\"")) != NULL; p++) {
    CHECK(n < cap);
    frame_t *f = &fr[n++];
    const char *gend = strchr(p, '>');
    f->data_x = strtoll(attr(p, gend, "data-x", v, sizeof v), NULL, 10);
    f->data_w = strtoll(attr(p, gend, "data-w", v, sizeof v), NULL, 10);
    f->depth = atoi(attr(p, gend, "data-d", v, sizeof v));
    inner(p, "<title", "</title>", f->title, sizeof f->title);
    const char *r = strstr(p, "<rect");
    const char *rend = strchr(r, '>');
    f->x = atof(attr(r, rend, "x", v, sizeof v));
    f->y = atof(attr(r, rend, "y", v, sizeof v));
    f->w = atof(attr(r, rend, "width", v, sizeof v));
    attr(r, rend, "fill", f->fill, sizeof f->fill);
    inner(rend, "<text", "</text>", f->text, sizeof f->text);
  }
  return n;
}

static const frame_t *find(const frame_t *fr, size_t n, const char *title_prefix) {
  for (size_t i = 0; i < n; i++)
    if (!strncmp(fr[i].title, title_prefix, strlen(title_prefix))) return &fr[i];
  CHECK_FAIL_("no frame titled %s...", title_prefix);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

#define NEAR(a, b, eps)                                                         \
  do {                                                                          \
    double a_ = (a), b_ = (b);                                                  \
    if (!(fabs(a_ - b_) <= (eps))) CHECK_FAIL_("%s ~ %s (%g vs %g)", #a, #b, a_, b_); \
  } while (0)

/* ---------------------------------------------------------------- tests */

/* all 1000 = main 900 (parse 500 (lex 300), eval 300, emit 50), self 100 */
static void sample_tree(tv_flame_t *f) {
  tree_init(f, 1000000);
  uint32_t m = add(f, 0, "main", NULL, 900000);
  uint32_t p = add(f, m, "parse", NULL, 500000);
  add(f, p, "lex", NULL, 300000);
  add(f, m, "eval", NULL, 300000);
  add(f, m, "emit", NULL, 50000);
  finish(f);
}

static void test_geometry(void) {
  tv_flame_t f;
  sample_tree(&f);
  tv_flame_svg_opts_t o = {.title = "sample", .subtitle = "all threads", .width = 1200};
  char *svg = render(&f, &o);
  check_xml(svg);
  CHECK(strstr(svg, "<script") != NULL);
  CHECK(strstr(svg, "width=\"1200\"") != NULL);
  CHECK(strstr(svg, ">sample</text>") != NULL);
  CHECK(strstr(svg, ">all threads</text>") != NULL);
  frame_t fr[16];
  size_t n = read_frames(svg, fr, 16);
  CHECK_EQ(n, 6);
  CHECK_EQ(count(svg, "<rect"), 6 + 1); /* + the background */
  const frame_t *all = find(fr, n, "all ("), *main_ = find(fr, n, "main ("),
                *parse = find(fr, n, "parse ("), *lex = find(fr, n, "lex ("),
                *eval = find(fr, n, "eval ("), *emit = find(fr, n, "emit (");
  /* the plot is width - 2 * 10 px; widths proportional to totals */
  NEAR(all->x, 10, 0.001);
  NEAR(all->w, 1180, 0.001);
  NEAR(main_->w, 1180 * 0.9, 0.001);
  NEAR(parse->w, 1180 * 0.5, 0.001);
  NEAR(lex->w, 1180 * 0.3, 0.001);
  NEAR(emit->w, 1180 * 0.05, 0.001);
  /* x: the parent's x plus the totals of the siblings before */
  NEAR(main_->x, all->x, 0.001);
  NEAR(parse->x, main_->x, 0.001);
  NEAR(lex->x, parse->x, 0.001);
  NEAR(eval->x, parse->x + parse->w, 0.001);
  NEAR(emit->x, eval->x + eval->w, 0.001);
  CHECK_EQ(eval->data_x, 500000);
  CHECK_EQ(emit->data_x, 800000);
  CHECK_EQ(emit->data_w, 50000);
  /* rows: root at the bottom, 16 px per level */
  CHECK_EQ(all->depth, 0);
  CHECK_EQ(lex->depth, 3);
  NEAR(main_->y, all->y - 16, 0);
  NEAR(parse->y, all->y - 32, 0);
  NEAR(eval->y, parse->y, 0);
  NEAR(lex->y, all->y - 48, 0);
  /* hover text */
  CHECK_STREQ(main_->title, "main (900.00 us, 90.00%, self 50.00 us)");
  CHECK_STREQ(all->title, "all (1.00 ms, 100.00%, self 100.00 us)");
  CHECK_STREQ(emit->text, "emit");
  /* a stable warm colour per label: red high, blue low */
  unsigned r, g, b;
  CHECK_EQ(sscanf(parse->fill, "rgb(%u,%u,%u)", &r, &g, &b), 3);
  CHECK(r >= 205 && b <= 55);
  char *again = render(&f, &o);
  CHECK_STREQ(svg, again);
  free(again);
  free(svg);
  tv_flame_free(&f);
}

static void test_inverted(void) {
  tv_flame_t f;
  sample_tree(&f);
  tv_flame_svg_opts_t o = {.title = "t", .inverted = true};
  char *svg = render(&f, &o);
  check_xml(svg);
  frame_t fr[16];
  size_t n = read_frames(svg, fr, 16);
  CHECK_EQ(n, 6);
  const frame_t *all = find(fr, n, "all ("), *main_ = find(fr, n, "main ("),
                *lex = find(fr, n, "lex (");
  for (size_t i = 0; i < n; i++) CHECK(fr[i].y >= all->y); /* root on top */
  NEAR(main_->y, all->y + 16, 0);
  NEAR(lex->y, all->y + 48, 0);
  NEAR(all->w, 1180, 0.001); /* default width 1200 */
  CHECK(strstr(svg, "width=\"1200\"") != NULL);
  free(svg);
  tv_flame_free(&f);
}

#define FFFD "\xef\xbf\xbd"

static void test_escaping(void) {
  tv_flame_t f;
  tree_init(&f, 800);
  const char *names[] = {"<alloc::vec::Vec<u8> as core::ops::Drop>::drop", "a & b", "say \"hi\"",
                         "it's", "bad\xff\xfe utf8", "ctl\x01\x1f" "char", "a]]>b",
                         "over\xf0\x82\x82\xac" "long\xed\xa0\x80"};
  for (size_t i = 0; i < 8; i++) add(&f, 0, names[i], NULL, 100);
  finish(&f);
  tv_flame_svg_opts_t o = {.title = "<trace> & \"x\" 'y'", .subtitle = "t\x02\xc3"};
  char *svg = render(&f, &o);
  check_xml(svg);
  CHECK(strstr(svg, "&lt;alloc::vec::Vec&lt;u8&gt; as core::ops::Drop&gt;::drop (") != NULL);
  CHECK(strstr(svg, "a &amp; b (") != NULL);
  CHECK(strstr(svg, "say &quot;hi&quot; (") != NULL);
  CHECK(strstr(svg, "it&apos;s (") != NULL);
  CHECK(strstr(svg, "a]]&gt;b (") != NULL);
  CHECK(strstr(svg, ">&lt;trace&gt; &amp; &quot;x&quot; &apos;y&apos;</text>") != NULL);
  /* invalid UTF-8 and control characters become U+FFFD, one per byte */
  CHECK(strstr(svg, "bad\xef\xbf\xbd\xef\xbf\xbd utf8 (") != NULL);
  CHECK(strstr(svg, "ctl\xef\xbf\xbd\xef\xbf\xbd" "char (") != NULL);
  CHECK(strstr(svg, ">t\xef\xbf\xbd\xef\xbf\xbd</text>") != NULL);
  /* overlong forms and encoded surrogates are not characters either */
  CHECK(strstr(svg, "over" FFFD FFFD FFFD FFFD "long" FFFD FFFD FFFD " (") != NULL);
  for (const unsigned char *p = (const unsigned char *)svg; *p; p++)
    CHECK(*p >= 0x20 || *p == '\n');
  frame_t fr[16];
  CHECK_EQ(read_frames(svg, fr, 16), 9);
  free(svg);
  tv_flame_free(&f);
}

static void test_labels(void) {
  /* tv_flame_label_text makes the text: "name: detail" (demangled), the
   * root's "all", and "other (N frames)" (grey) */
  tv_flame_t f;
  tree_init(&f, 1000);
  add(&f, 0, "OptFunction", "_RNvNtNtCs1kTlP2L7aiK_6memchr6memmem4util6memcmp", 500);
  add(&f, 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x96\xa2\xe6\x95\xb0", NULL,
      300);
  uint32_t other = add(&f, 0, NULL, NULL, 200);
  f.nodes[other].detail = 7;
  finish(&f);
  char *svg = render(&f, NULL); /* NULL options: defaults */
  check_xml(svg);
  frame_t fr[8];
  size_t n = read_frames(svg, fr, 8);
  CHECK_EQ(n, 4);
  const frame_t *fn = find(fr, n, "OptFunction: memchr::memmem::util::memcmp (");
  CHECK_STREQ(fn->text, "OptFunction: memchr::memmem::util::memcmp");
  find(fr, n, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x96\xa2\xe6\x95\xb0 (");
  const frame_t *o = find(fr, n, "other (7 frames) (");
  CHECK_STREQ(o->fill, "rgb(190,190,180)");
  CHECK(strstr(svg, ">Flame graph</text>") != NULL); /* default title */
  free(svg);
  tv_flame_free(&f);
}

static void test_elision(void) {
  /* 1180 px * 4% = 47.2 px: (47.2 - 6) / 7.08 = 5.8 -> 5 characters fit */
  tv_flame_t f;
  tree_init(&f, 10000);
  uint32_t a = add(&f, 0, "<alloc::vec::Vec<u8> as core::ops::Drop>::drop", NULL, 400);
  add(&f, 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x96\xa2\xe6\x95\xb0", NULL,
      400);
  add(&f, 0, "main", NULL, 150); /* 17.7 px: not even three characters */
  add(&f, a, "a & b", NULL, 400);   /* "a & b" is 5 characters: fits whole */
  finish(&f);
  char *svg = render(&f, NULL);
  check_xml(svg);
  frame_t fr[8];
  size_t n = read_frames(svg, fr, 8);
  CHECK_EQ(n, 5);
  CHECK_STREQ(find(fr, n, "&lt;alloc")->text, "&lt;al..");
  /* code points, not bytes: three CJK characters and ".." */
  CHECK_STREQ(find(fr, n, "\xe6\x97\xa5")->text, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e..");
  CHECK_STREQ(find(fr, n, "main (")->text, "");
  CHECK_STREQ(find(fr, n, "a &amp; b (")->text, "a &amp; b");
  free(svg);
  tv_flame_free(&f);
}

static void test_narrow_frames_skipped(void) {
  /* At 1180 px for 1 s, 0.1 px is about 84.7 us. */
  tv_flame_t f;
  tree_init(&f, 1000000000);
  uint32_t m = add(&f, 0, "main", NULL, 999800000);
  uint32_t big = add(&f, m, "parse", NULL, 500000);    /* 0.59 px: drawn */
  add(&f, big, "lex", NULL, 90000);                     /* 0.106 px: drawn */
  add(&f, big, "emit", NULL, 80000);                    /* 0.094 px: skipped */
  uint32_t t = add(&f, m, "tiny", NULL, 50000);         /* skipped, with its child */
  add(&f, t, "tinier", NULL, 50000);
  add(&f, 0, "eval", NULL, 100000);                     /* after skipped ones: drawn */
  /* not left-heavy (hand-built): a skipped frame before a drawn sibling
   * still moves the sibling's x */
  add(&f, big, "tiny", NULL, 1000);
  add(&f, big, "eval", NULL, 200000);
  finish(&f);
  char *svg = render(&f, NULL);
  check_xml(svg);
  frame_t fr[16];
  size_t n = read_frames(svg, fr, 16);
  CHECK_EQ(n, 6);
  CHECK(strstr(svg, "emit (") == NULL);
  CHECK(strstr(svg, "tiny") == NULL);
  const frame_t *eval = find(fr, n, "eval (");
  CHECK_EQ(eval->data_x, 999800000);
  NEAR(eval->x, 10 + 1180 * 0.9998, 0.001);
  const frame_t *eval2 = find(fr, n, "eval (200");
  CHECK_EQ(eval2->data_x, 90000 + 80000 + 1000);
  NEAR(eval2->x, 10 + 1180 * 171000e-9, 0.001);
  free(svg);
  tv_flame_free(&f);
}

static void test_width_and_depth(void) {
  /* a 3000-deep chain: no recursion, the height follows the depth */
  tv_flame_t f;
  tree_init(&f, 3000);
  uint32_t v = 0;
  for (int i = 0; i < 3000; i++) v = add(&f, v, i % 2 ? "parse" : "lex", NULL, 3000 - i);
  finish(&f);
  tv_flame_svg_opts_t o = {.title = "deep", .width = 600};
  char *svg = render(&f, &o);
  check_balanced(svg);
  frame_t *fr = malloc(3100 * sizeof *fr);
  size_t n = read_frames(svg, fr, 3100);
  CHECK_EQ(n, 3001);
  NEAR(fr[0].w, 580, 0.001);
  int height = 0;
  CHECK_EQ(sscanf(strstr(svg, "height=\""), "height=\"%d\"", &height), 1);
  CHECK(height >= 3001 * 16);
  CHECK_EQ(fr[3000].depth, 3000);
  NEAR(fr[3000].y, fr[0].y - 3000 * 16, 0);
  CHECK(fr[3000].y >= 0);
  free(fr);
  free(svg);
  tv_flame_free(&f);
}

static void test_empty(void) {
  tv_flame_t f;
  tree_init(&f, 0);
  finish(&f);
  tv_flame_svg_opts_t o = {.title = "empty.json", .subtitle = "range 1s..2s"};
  char *svg = render(&f, &o);
  check_xml(svg);
  CHECK(strstr(svg, "no samples in the selection") != NULL);
  CHECK(strstr(svg, "<g class=\"f\"") == NULL);
  free(svg);
  tv_flame_free(&f);
  tv_flame_t none = {0}; /* no nodes at all */
  svg = render(&none, &o);
  check_xml(svg);
  CHECK(strstr(svg, "no samples in the selection") != NULL);
  free(svg);
}

static void test_write_error(void) {
  tv_flame_t f;
  sample_tree(&f);
  FILE *ro = fopen("/dev/null", "r");
  CHECK(ro != NULL);
  CHECK_EQ(tv_flame_write_svg(ro, &g_store, &f, NULL), TV_EIO);
  fclose(ro);
  tv_flame_free(&f);
}

static void test_built_tree(void) {
  /* a real tree from tv_flame_build: two threads, nesting, a shared label */
  tv_builder_t b;
  CHECK_EQ(tv_builder_init(&b), 0);
  uint32_t main_ = tv_intern(&b.strings, TV_STR_LIT("main"), NULL);
  uint32_t work = tv_intern(&b.strings, TV_STR_LIT("work<T>"), NULL);
  uint32_t io = tv_intern(&b.strings, TV_STR_LIT("io & wait"), NULL);
  tv_thread_t *t1 = tv_builder_thread(&b, 1, 1);
  CHECK_EQ(tv_builder_add_slice(&b, t1, 0, 1000, main_, 0, 0, 0), 0);
  CHECK_EQ(tv_builder_add_slice(&b, t1, 100, 600, work, 0, 0, 10), 0);
  CHECK_EQ(tv_builder_add_slice(&b, t1, 200, 100, io, 0, 0, 20), 0);
  tv_thread_t *t2 = tv_builder_thread(&b, 1, 2);
  CHECK_EQ(tv_builder_add_slice(&b, t2, 0, 500, main_, 0, 0, 30), 0);
  CHECK_EQ(tv_builder_add_slice(&b, t2, 0, 400, work, 0, 0, 40), 0);
  tv_store_t st;
  tv_error_t err;
  CHECK_EQ(tv_store_build(&st, &b, 1, &err), 0);
  tv_flame_t f;
  tv_flame_opts_t fo = {.label = TV_LABEL_BOTH};
  CHECK_EQ(tv_flame_build(&f, &st, &fo), 0);
  CHECK_EQ(f.nodes[0].total_ns, 1500);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  CHECK_EQ(tv_flame_write_svg(m, &st, &f, NULL), 0);
  fclose(m);
  check_xml(buf);
  frame_t fr[8];
  size_t n = read_frames(buf, fr, 8);
  CHECK_EQ(n, f.n); /* all, main, work<T>, io & wait */
  CHECK_EQ(n, 4);
  NEAR(find(fr, n, "work&lt;T&gt; (")->w, 1180.0 * 1000 / 1500, 0.001);
  NEAR(find(fr, n, "io &amp; wait (")->w, 1180.0 * 100 / 1500, 0.001);
  free(buf);
  /* inverted: leaf-first, same root total, root drawn on top */
  tv_flame_t inv;
  CHECK_EQ(tv_flame_invert(&inv, &f), 0);
  CHECK_EQ(inv.nodes[0].total_ns, 1500);
  m = open_memstream(&buf, &len);
  tv_flame_svg_opts_t o = {.inverted = true};
  CHECK_EQ(tv_flame_write_svg(m, &st, &inv, &o), 0);
  fclose(m);
  check_xml(buf);
  n = read_frames(buf, fr, 8);
  CHECK_EQ(n, inv.n);
  const frame_t *all = find(fr, n, "all (");
  for (size_t i = 0; i < n; i++) CHECK(fr[i].y >= all->y);
  free(buf);
  tv_flame_free(&inv);
  tv_flame_free(&f);
  tv_store_free(&st);
}

int main(void) {
  make_store();
  static const check_case_t cases[] = {
      {"geometry", test_geometry},
      {"inverted", test_inverted},
      {"escaping", test_escaping},
      {"labels", test_labels},
      {"elision", test_elision},
      {"narrow_frames_skipped", test_narrow_frames_skipped},
      {"width_and_depth", test_width_and_depth},
      {"empty", test_empty},
      {"write_error", test_write_error},
      {"built_tree", test_built_tree},
      {NULL, NULL},
  };
  int rc = check_run(cases);
  tv_store_free(&g_store);
  return rc;
}
