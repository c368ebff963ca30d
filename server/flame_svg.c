/* flame_svg.c: a flame graph as one standalone, interactive SVG file (the
 * kind flamegraph.pl made popular), written from a tv_flame_t.
 *
 * Layout. One row per depth, FRAME_H px tall; the root ("all") is the bottom
 * row (o->inverted: the top row, an icicle). The plot spans width - 2 * XPAD
 * px for the root's total; a frame's x is its parent's x plus the totals of
 * the siblings before it, its width is proportional to its total. Positions
 * are computed in nanoseconds (exact integers) and scaled once per frame, so
 * rounding never accumulates along a row. Frames narrower than MIN_PX are
 * not drawn, nor is anything below them: their time shows as the part of the
 * parent with nothing on top.
 *
 * Every frame is <g class="f" data-x data-w data-d> (offset from the root's
 * left edge and total, in ns; depth) holding a <title> ("label (12.3 ms,
 * 4.50%, self 1.20 ms)", the hover text), a <rect> and a <text> (the label
 * elided to the width). The embedded script reads only those, so the C side
 * and the JS side share no other state:
 *   - click a frame: it fills the width, its descendants scale with it, its
 *     ancestors stretch across (dimmed), everything else hides; "Reset zoom"
 *     (top left) or a click on the root undoes it;
 *   - "Search" (top right) or Ctrl+F asks for a JavaScript regular
 *     expression; matching frames turn magenta and the share of the root's
 *     total they cover (nested matches counted once) shows at the bottom
 *     right; Escape or "Reset search" clears it;
 *   - hovering shows the frame's title in the detail line at the bottom.
 *
 * Text. Labels come from tv_flame_label_text (demangled symbols with <, >,
 * &, quotes). Everything written into the document goes through put_text,
 * which decodes UTF-8 and writes only characters XML 1.0 allows: &<>"' as
 * entities, invalid sequences and control characters as U+FFFD, tab and
 * newlines as spaces. Elision counts code points, never bytes, so a cut never
 * splits a character or an entity; a character is estimated at CHAR_W px
 * (the average advance of Verdana, the first font asked for).
 *
 * Error handling: 0, TV_ENOMEM (layout arrays), or TV_EIO when writing to out
 * failed (checked once at the end with ferror, after fflush). */
#include "traceview/flame.h"
#include "traceview/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
  FRAME_H = 16,      /* row pitch; rects are FRAME_H - 1 tall */
  FONT_PX = 12,
  XPAD = 10,         /* left and right margins */
  DEFAULT_WIDTH = 1200,
  MIN_WIDTH = 100,
  LABEL_CAP = 4096,  /* bytes of label text asked of tv_flame_label_text */
};
#define CHAR_W (0.59 * FONT_PX) /* estimated average glyph advance, px */
#define MIN_PX 0.1              /* narrower frames are not drawn */
#define NOT_DRAWN UINT32_MAX

/* ------------------------------------------------------------------ text */

/* Next code point of s[*i..len), advancing *i; malformed UTF-8 (overlong,
 * surrogates, beyond U+10FFFF, truncated) gives U+FFFD and consumes one byte. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
  size_t k = *i;
  uint32_t c = s[k];
  size_t n;
  uint32_t min;
  if (c < 0x80) {
    *i = k + 1;
    return c;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 1, min = 0x80, c &= 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2, min = 0x800, c &= 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3, min = 0x10000, c &= 0x07;
  } else {
    *i = k + 1;
    return 0xFFFD;
  }
  if (len - k <= n) {
    *i = k + 1;
    return 0xFFFD;
  }
  for (size_t j = 1; j <= n; j++) {
    if ((s[k + j] & 0xC0) != 0x80) {
      *i = k + 1;
      return 0xFFFD;
    }
    c = c << 6 | (s[k + j] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    *i = k + 1;
    return 0xFFFD;
  }
  *i = k + 1 + n;
  return c;
}

/* The character XML 1.0 gets for code point c (Char production). */
static uint32_t xml_char(uint32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return ' '; /* labels are one line */
  if (c < 0x20 || c == 0xFFFE || c == 0xFFFF) return 0xFFFD;
  return c;
}

static void put_cp(FILE *out, uint32_t c) {
  switch (c) {
    case '&': fputs("&amp;", out); return;
    case '<': fputs("&lt;", out); return;
    case '>': fputs("&gt;", out); return;
    case '"': fputs("&quot;", out); return;
    case '\'': fputs("&apos;", out); return;
    default: break;
  }
  char b[4];
  int n;
  if (c < 0x80) b[0] = (char)c, n = 1;
  else if (c < 0x800) b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  else if (c < 0x10000)
    b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | (c >> 6 & 0x3F)),
    b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  else
    b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | (c >> 12 & 0x3F)),
    b[2] = (char)(0x80 | (c >> 6 & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F)), n = 4;
  fwrite(b, 1, (size_t)n, out);
}

/* Writes at most max_cps code points of s, escaped for XML text or attribute
 * values. */
static void put_text_n(FILE *out, const char *s, size_t max_cps) {
  const unsigned char *u = (const unsigned char *)s;
  size_t len = strlen(s);
  for (size_t i = 0, n = 0; i < len && n < max_cps; n++) put_cp(out, xml_char(utf8_next(u, len, &i)));
}

static void put_text(FILE *out, const char *s) {
  put_text_n(out, s, SIZE_MAX);
}

static size_t count_cps(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  size_t len = strlen(s), n = 0;
  for (size_t i = 0; i < len; n++) utf8_next(u, len, &i);
  return n;
}

/* The label elided to fit px: whole, or its first characters and "..", or
 * nothing when not even three characters fit. The script's elide() does the
 * same after a zoom. */
static void put_elided(FILE *out, const char *label, double px) {
  double fit = (px - 6) / CHAR_W;
  if (fit < 3) return;
  size_t max = (size_t)fit, n = count_cps(label);
  if (n <= max) {
    put_text(out, label);
  } else {
    put_text_n(out, label, max - 2);
    fputs("..", out);
  }
}

/* ------------------------------------------------------------ numbers */

/* "1.23 s", "45.60 ms", "789.00 us", "12 ns" (as tv_fmt_duration in cli.c). */
static void fmt_duration(int64_t ns, char *buf, size_t cap) {
  double v = (double)ns, a = v < 0 ? -v : v;
  if (a >= 1e9) snprintf(buf, cap, "%.2f s", v / 1e9);
  else if (a >= 1e6) snprintf(buf, cap, "%.2f ms", v / 1e6);
  else if (a >= 1e3) snprintf(buf, cap, "%.2f us", v / 1e3);
  else snprintf(buf, cap, "%lld ns", (long long)ns);
}

/* Two decimals, more for small shares so that a drawn frame never shows 0. */
static void fmt_pct(double pct, char *buf, size_t cap) {
  if (pct >= 0.01 || pct <= 0) snprintf(buf, cap, "%.2f%%", pct);
  else if (pct >= 0.0001) snprintf(buf, cap, "%.4f%%", pct);
  else snprintf(buf, cap, "<0.0001%%");
}

/* FNV-1a: stable across runs and builds, so a frame keeps its colour. */
static uint32_t label_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 16777619u;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  return h;
}

/* Warm colours: red high, green spread, blue low (reds, oranges, yellows). */
static void frame_fill(const tv_flame_node_t *n, const char *label, char *buf, size_t cap) {
  if (n->name == TV_FLAME_OTHER && n->parent != TV_FLAME_NONE) {
    snprintf(buf, cap, "rgb(190,190,180)");
    return;
  }
  uint32_t h = label_hash(label);
  unsigned r = 205 + (h & 0xFF) * 50 / 255;
  unsigned g = 60 + (h >> 8 & 0xFF) * 170 / 255;
  unsigned b = (h >> 16 & 0xFF) * 55 / 255;
  snprintf(buf, cap, "rgb(%u,%u,%u)", r, g, b);
}

/* ---------------------------------------------------------- the script */

/* Reads the frames from the DOM (see the header comment); no data inside. */
static const char SCRIPT[] =
    "\"use strict\";\n"
    "(function () {\n"
    "  var doc = document, framesG, details, matched, unzoomBtn, searchBtn;\n"
    "  var frames = [], total = 0, plotW = 0, xpad = 0, charW = 7, re = null;\n"
    "  var MATCH_FILL = \"rgb(230,0,230)\";\n"
    "  function num(el, k) { return +el.getAttribute(k); }\n"
    "  function init() {\n"
    "    framesG = doc.getElementById(\"frames\");\n"
    "    details = doc.getElementById(\"details\");\n"
    "    matched = doc.getElementById(\"matched\");\n"
    "    unzoomBtn = doc.getElementById(\"unzoom\");\n"
    "    searchBtn = doc.getElementById(\"search\");\n"
    "    doc.addEventListener(\"keydown\", function (e) {\n"
    "      if ((e.ctrlKey || e.metaKey) && (e.key === \"f\" || e.key === \"F\")) {\n"
    "        e.preventDefault();\n"
    "        askSearch();\n"
    "      } else if (e.key === \"Escape\") {\n"
    "        clearSearch();\n"
    "      }\n"
    "    });\n"
    "    searchBtn.addEventListener(\"click\", function () { if (re) clearSearch(); else askSearch(); });\n"
    "    if (!framesG) return;\n"
    "    total = num(framesG, \"data-total\");\n"
    "    plotW = num(framesG, \"data-plotw\");\n"
    "    xpad = num(framesG, \"data-xpad\");\n"
    "    charW = num(framesG, \"data-charw\");\n"
    "    var gs = framesG.getElementsByTagName(\"g\");\n"
    "    for (var i = 0; i < gs.length; i++) {\n"
    "      var g = gs[i], info = g.getElementsByTagName(\"title\")[0].textContent;\n"
    "      var cut = info.lastIndexOf(\" (\"), rect = g.getElementsByTagName(\"rect\")[0];\n"
    "      var f = { g: g, rect: rect, text: g.getElementsByTagName(\"text\")[0], info: info,\n"
    "                label: cut >= 0 ? info.substring(0, cut) : info, fill: rect.getAttribute(\"fill\"),\n"
    "                x: num(g, \"data-x\"), w: num(g, \"data-w\"), d: num(g, \"data-d\") };\n"
    "      g.tvFrame = f;\n"
    "      frames.push(f);\n"
    "    }\n"
    "    framesG.addEventListener(\"click\", function (e) {\n"
    "      var f = frameOf(e.target);\n"
    "      if (f) { if (f.d === 0) unzoom(); else zoom(f); }\n"
    "    });\n"
    "    framesG.addEventListener(\"mouseover\", function (e) {\n"
    "      var f = frameOf(e.target);\n"
    "      if (f) details.textContent = f.info;\n"
    "    });\n"
    "    framesG.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
    "    unzoomBtn.addEventListener(\"click\", unzoom);\n"
    "  }\n"
    "  function frameOf(el) {\n"
    "    for (; el && el !== framesG; el = el.parentNode) if (el.tvFrame) return el.tvFrame;\n"
    "    return null;\n"
    "  }\n"
    "  function elide(label, px) {\n"
    "    var fit = Math.floor((px - 6) / charW);\n"
    "    if (fit < 3) return \"\";\n"
    "    var cps = Array.from(label);\n"
    "    return cps.length <= fit ? label : cps.slice(0, fit - 2).join(\"\") + \"..\";\n"
    "  }\n"
    "  function place(f, x, w, bx, bw) {\n"
    "    var px = xpad + (x - bx) / bw * plotW, pw = w / bw * plotW;\n"
    "    f.rect.setAttribute(\"x\", px.toFixed(2));\n"
    "    f.rect.setAttribute(\"width\", pw.toFixed(2));\n"
    "    f.text.setAttribute(\"x\", (px + 3).toFixed(2));\n"
    "    f.text.textContent = elide(f.label, pw);\n"
    "  }\n"
    "  function layout(base) {\n"
    "    var bx = base ? base.x : 0, bw = base ? base.w : total, bd = base ? base.d : 0;\n"
    "    for (var i = 0; i < frames.length; i++) {\n"
    "      var f = frames[i], show, anc = false;\n"
    "      if (f.d < bd) show = anc = f.x <= bx && f.x + f.w >= bx + bw;\n"
    "      else show = f.x >= bx && f.x + f.w <= bx + bw;\n"
    "      if (show) place(f, anc ? bx : f.x, anc ? bw : f.w, bx, bw);\n"
    "      f.g.setAttribute(\"display\", show ? \"inline\" : \"none\");\n"
    "      f.g.setAttribute(\"class\", anc ? \"f anc\" : \"f\");\n"
    "    }\n"
    "  }\n"
    "  function zoom(f) {\n"
    "    layout(f);\n"
    "    unzoomBtn.setAttribute(\"class\", \"button\");\n"
    "  }\n"
    "  function unzoom() {\n"
    "    layout(null);\n"
    "    unzoomBtn.setAttribute(\"class\", \"button hide\");\n"
    "  }\n"
    "  function askSearch() {\n"
    "    var q = window.prompt(\"Search frames (regular expression):\", re ? re.source : \"\");\n"
    "    if (q === null) return;\n"
    "    if (q === \"\") { clearSearch(); return; }\n"
    "    try { search(new RegExp(q)); } catch (err) { matched.textContent = \"bad regular expression\"; }\n"
    "  }\n"
    "  function search(r) {\n"
    "    re = r;\n"
    "    var hits = [];\n"
    "    for (var i = 0; i < frames.length; i++) {\n"
    "      var f = frames[i];\n"
    "      var hit = r.test(f.label);\n"
    "      f.rect.setAttribute(\"fill\", hit ? MATCH_FILL : f.fill);\n"
    "      if (hit) hits.push(f);\n"
    "    }\n"
    "    /* nested matches count once: intervals either nest or are disjoint */\n"
    "    hits.sort(function (a, b) { return a.x - b.x || b.w - a.w; });\n"
    "    var sum = 0, end = -1;\n"
    "    for (var k = 0; k < hits.length; k++)\n"
    "      if (hits[k].x >= end) { sum += hits[k].w; end = hits[k].x + hits[k].w; }\n"
    "    var pct = total > 0 ? 100 * sum / total : 0;\n"
    "    matched.textContent = \"Matched: \" + (pct >= 0.01 || pct === 0 ? pct.toFixed(2) : pct.toPrecision(2)) +\n"
    "      \"% (\" + hits.length + \" frames)\";\n"
    "    searchBtn.textContent = \"Reset search\";\n"
    "  }\n"
    "  function clearSearch() {\n"
    "    re = null;\n"
    "    for (var i = 0; i < frames.length; i++) frames[i].rect.setAttribute(\"fill\", frames[i].fill);\n"
    "    matched.textContent = \" \";\n"
    "    searchBtn.textContent = \"Search\";\n"
    "  }\n"
    "  if (doc.readyState === \"loading\") doc.addEventListener(\"DOMContentLoaded\", init);\n"
    "  else init();\n"
    "})();\n";

static const char STYLE[] =
    "text { font-family: Verdana, \"DejaVu Sans\", sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
    "#title { font-size: 17px; text-anchor: middle; }\n"
    "#subtitle { text-anchor: middle; fill: rgb(90,90,90); }\n"
    "#matched { text-anchor: end; }\n"
    ".button { cursor: pointer; fill: rgb(30,60,160); }\n"
    ".button:hover { text-decoration: underline; }\n"
    ".hide { display: none; }\n"
    ".f { cursor: pointer; }\n"
    ".f text { pointer-events: none; }\n"
    ".f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
    ".anc { opacity: 0.6; }\n"
    "#empty { font-size: 14px; text-anchor: middle; fill: rgb(110,110,110); }\n";

/* ------------------------------------------------------------ document */

typedef struct layout {
  int width, height;
  double plot_w;
  int top, bottom; /* px above the first row and below the last */
  uint32_t levels;
  bool inverted;
} layout_t;

/* Preamble up to and including the buttons (everything but the frames). */
static void put_head(FILE *out, const layout_t *L, const tv_flame_svg_opts_t *o) {
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
          "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\">\n",
          L->width, L->height, L->width, L->height);
  fputs("<!-- flame graph written by traceview: click a frame to zoom, Ctrl+F to search -->\n",
        out);
  fprintf(out,
          "<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
          "<stop stop-color=\"rgb(250,250,247)\" offset=\"5%%\"/>"
          "<stop stop-color=\"rgb(242,236,214)\" offset=\"95%%\"/>"
          "</linearGradient></defs>\n");
  fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", STYLE);
  fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", SCRIPT);
  fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"url(#bg)\"/>\n", L->width,
          L->height);
  fprintf(out, "<text id=\"title\" x=\"%.1f\" y=\"24\">", L->width / 2.0);
  put_text(out, o->title && *o->title ? o->title : "Flame graph");
  fputs("</text>\n", out);
  if (o->subtitle && *o->subtitle) {
    fprintf(out, "<text id=\"subtitle\" x=\"%.1f\" y=\"42\">", L->width / 2.0);
    put_text(out, o->subtitle);
    fputs("</text>\n", out);
  }
  fprintf(out, "<text id=\"unzoom\" class=\"button hide\" x=\"%d\" y=\"24\">Reset zoom</text>\n",
          XPAD);
  fprintf(out,
          "<text id=\"search\" class=\"button\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n",
          L->width - XPAD);
  fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", XPAD, L->height - 10);
  fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%d\"> </text>\n", L->width - XPAD,
          L->height - 10);
}

static int finish(FILE *out) {
  fputs("</svg>\n", out);
  if (fflush(out) != 0 || ferror(out)) return TV_EIO;
  return 0;
}

static int write_empty(FILE *out, const tv_flame_svg_opts_t *o, int width) {
  layout_t L = {.width = width, .height = 140};
  put_head(out, &L, o);
  fprintf(out, "<text id=\"empty\" x=\"%.1f\" y=\"%d\">no samples in the selection</text>\n",
          width / 2.0, L.height / 2 + 6);
  return finish(out);
}

static bool valid(const tv_flame_t *f, uint32_t v) {
  return v != TV_FLAME_NONE && v < f->n;
}

int tv_flame_write_svg(FILE *out, const tv_store_t *st, const tv_flame_t *f,
                       const tv_flame_svg_opts_t *o) {
  static const tv_flame_svg_opts_t defaults = {0};
  if (!o) o = &defaults;
  int width = o->width > 0 ? o->width : DEFAULT_WIDTH;
  if (width < MIN_WIDTH) width = MIN_WIDTH;
  int64_t root_total = f && f->n ? f->nodes[0].total_ns : 0;
  if (root_total <= 0) return write_empty(out, o, width);

  /* Pass 1: x offsets (ns) and rows of the frames wide enough to draw, in
   * preorder over first_child / next_sibling. A frame's x is known when it
   * is reached: its parent's x for a first child, else the previous
   * sibling's x plus that sibling's total. */
  layout_t L = {.width = width, .plot_w = width - 2.0 * XPAD, .inverted = o->inverted};
  double px_per_ns = L.plot_w / (double)root_total;
  int64_t *x = malloc(f->n * sizeof *x);
  uint32_t *row = malloc(f->n * sizeof *row);
  char *label = malloc(LABEL_CAP);
  if (!x || !row || !label) {
    free(x);
    free(row);
    free(label);
    return TV_ENOMEM;
  }
  for (size_t i = 0; i < f->n; i++) row[i] = NOT_DRAWN;
  x[0] = 0;
  row[0] = 0;
  uint32_t max_row = 0, v = TV_FLAME_ROOT;
  size_t steps = 0; /* a malformed (cyclic) tree cannot loop forever */
  while (v != TV_FLAME_NONE && steps++ < f->n) {
    const tv_flame_node_t *n = &f->nodes[v];
    if (row[v] > max_row) max_row = row[v];
    /* Descend into the first child when it is wide enough; children are
     * left-heavy, but do not rely on it: check each sibling. */
    uint32_t c = n->first_child, next = TV_FLAME_NONE;
    int64_t cx = x[v];
    for (; valid(f, c); c = f->nodes[c].next_sibling) {
      x[c] = cx;
      cx = tv_sat_add(cx, f->nodes[c].total_ns);
      if ((double)f->nodes[c].total_ns * px_per_ns >= MIN_PX) {
        row[c] = row[v] + 1;
        next = c;
        break;
      }
    }
    if (next == TV_FLAME_NONE) {
      /* climb until a later sibling is wide enough */
      for (uint32_t u = v; u != TV_FLAME_ROOT && next == TV_FLAME_NONE; u = f->nodes[u].parent) {
        int64_t sx = tv_sat_add(x[u], f->nodes[u].total_ns);
        for (uint32_t s = f->nodes[u].next_sibling; valid(f, s); s = f->nodes[s].next_sibling) {
          x[s] = sx;
          sx = tv_sat_add(sx, f->nodes[s].total_ns);
          if ((double)f->nodes[s].total_ns * px_per_ns >= MIN_PX) {
            row[s] = row[u];
            next = s;
            break;
          }
        }
        if (!valid(f, f->nodes[u].parent)) break;
      }
    }
    v = next;
  }
  L.levels = max_row + 1;
  L.top = o->subtitle && *o->subtitle ? 56 : 40;
  L.bottom = 30;
  L.height = L.top + (int)L.levels * FRAME_H + L.bottom;

  put_head(out, &L, o);
  fprintf(out,
          "<g id=\"frames\" data-total=\"%" PRId64 "\" data-plotw=\"%.2f\" data-xpad=\"%d\" "
          "data-charw=\"%.3f\">\n",
          root_total, L.plot_w, XPAD, CHAR_W);
  /* Pass 2: the drawn frames, in node order. */
  for (size_t i = 0; i < f->n; i++) {
    if (row[i] == NOT_DRAWN) continue;
    const tv_flame_node_t *n = &f->nodes[i];
    tv_flame_label_text(st, n, label, LABEL_CAP);
    if (!label[0]) snprintf(label, LABEL_CAP, "%s", i == 0 ? "all" : "(no name)");
    double px = XPAD + (double)x[i] * px_per_ns, pw = (double)n->total_ns * px_per_ns;
    if (pw > L.plot_w) pw = L.plot_w; /* a child larger than the root (bad input) */
    int y = L.inverted ? L.top + (int)row[i] * FRAME_H
                       : L.height - L.bottom - ((int)row[i] + 1) * FRAME_H;
    char total[32], self[32], pct[32], fill[32];
    fmt_duration(n->total_ns, total, sizeof total);
    fmt_duration(n->self_ns, self, sizeof self);
    fmt_pct(100.0 * (double)n->total_ns / (double)root_total, pct, sizeof pct);
    frame_fill(n, label, fill, sizeof fill);
    fprintf(out, "<g class=\"f\" data-x=\"%" PRId64 "\" data-w=\"%" PRId64 "\" data-d=\"%u\"><title>",
            x[i], n->total_ns, row[i]);
    put_text(out, label);
    fprintf(out, " (%s, %s, self %s)</title>", total, pct, self);
    fprintf(out,
            "<rect x=\"%.3f\" y=\"%d\" width=\"%.3f\" height=\"%d\" fill=\"%s\" rx=\"2\" "
            "ry=\"2\"/>",
            px, y, pw, FRAME_H - 1, fill);
    fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", px + 3, y + 11.5);
    put_elided(out, label, pw);
    fputs("</text></g>\n", out);
  }
  fputs("</g>\n", out);
  free(x);
  free(row);
  free(label);
  return finish(out);
}
