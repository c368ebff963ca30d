/* cpuprofile.c: reader for V8 CPU profiles (.cpuprofile, Node --cpu-prof,
 * Chrome DevTools "Save profile").
 *
 * Two shapes, keys in any order:
 *   current: {"nodes":[{"id","callFrame":{"functionName","url","lineNumber",
 *            "columnNumber","scriptId"},"hitCount","children":[ids]}...],
 *            "startTime","endTime" (us), "samples":[node ids],
 *            "timeDeltas":[us]}  (a node may name its "parent" instead)
 *   old:     {"head":{node with "functionName",... and "children":[node
 *            objects]}, "startTime","endTime" (s), "samples":[ids],
 *            "timestamps":[us]}  (Node <= 10, Chrome <= 59)
 *
 * The scanner walks the bytes once and keeps a compact node table (id,
 * parent id, interned name, byte offset) and the number arrays; the old
 * nested tree is walked with an explicit stack, so depth costs no C stack.
 *
 * Time of sample i: startTime + timeDeltas[0..i] (current) or timestamps[i]
 * (old). Samples are sorted by time (stable: real profiles have negative
 * deltas) and sample i covers [t_i, t_(i+1)); the last one gets the median of
 * those widths, as Chrome DevTools does, so flame graph totals are times.
 * All samples go to one thread (pid 1, tid 1, "main"). A stack is the chain
 * of parents of the sample's node, root first, without the "(root)" node;
 * "(program)", "(idle)" and "(garbage collector)" stay frames.
 *
 * Not handled: per-line positionTicks (skipped), several profiles in one
 * file, the url:line of a frame (the sample API carries names only; the
 * details panel shows the sampled leaf node's callFrame). */
#include "traceview/json_scan.h"
#include "traceview/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_ID INT64_MIN

typedef struct cp_node {
  int64_t id, parent; /* parent: NO_ID when none */
  uint32_t name;
  uint64_t off;       /* the node object's '{' */
} cp_node_t;

typedef struct i64_vec {
  int64_t *v;
  size_t n, cap;
} i64_vec_t;

typedef struct cp {
  tv_jscan_t js;
  tv_trace_t *trace;
  tv_builder_t *b;
  cp_node_t *nodes;
  size_t n_nodes, cap_nodes;
  i64_vec_t links;      /* (child id, parent id) pairs from "children" arrays */
  i64_vec_t samples, deltas, stamps; /* deltas and stamps in ns */
  int64_t start_ns, end_ns;
  bool has_start, has_end, has_nodes, has_head;
  const char *cut;      /* where the input ended inside a value, or NULL */
  const char *times_at; /* the timeDeltas or timestamps array, for errors */
} cp_t;

#define MAX_NS ((INT64_C(1) << 62) - 1) /* as the Chrome reader: beyond is absurd */

static int oom(cp_t *c) { return tv_error_set(c->js.err, TV_ENOMEM, c->js.file, -1, "out of memory"); }

static int vec_push(i64_vec_t *v, int64_t x) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 256;
    int64_t *g = realloc(v->v, cap * sizeof *g);
    if (!g) return TV_ENOMEM;
    v->v = g;
    v->cap = cap;
  }
  v->v[v->n++] = x;
  return 0;
}

static cp_node_t *new_node(cp_t *c, const char *at) {
  if (c->n_nodes == c->cap_nodes) {
    size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 256;
    cp_node_t *g = realloc(c->nodes, cap * sizeof *g);
    if (!g) return NULL;
    c->nodes = g;
    c->cap_nodes = cap;
  }
  cp_node_t *n = &c->nodes[c->n_nodes++];
  *n = (cp_node_t){.id = NO_ID, .parent = NO_ID, .off = (uint64_t)tv_js_off(&c->js, at)};
  return n;
}

/* '[' ... ']' of numbers, each converted with pow10 and appended to v.
 * Non-numbers are a syntax error naming what. */
static int number_array(cp_t *c, i64_vec_t *v, int pow10, const char *what) {
  tv_jscan_t *s = &c->js;
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '[') return tv_js_expected(s, s->p, "an array '['");
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == ']') {
    s->p++;
    return 0;
  }
  for (;;) {
    tv_jnum_t num = {0};
    int rc = tv_js_number(s, &num);
    if (rc) return rc;
    int64_t x;
    if ((rc = tv_parse_decimal(num.p, num.e, pow10, &x)) != 0) return tv_js_number_error(s, &num, rc, what);
    if (vec_push(v, x)) return oom(c);
    tv_js_ws(s);
    if (s->p >= s->end) return TV_SCAN_EOF;
    if (*s->p == ']') {
      s->p++;
      return 0;
    }
    if (*s->p != ',') return tv_js_expected(s, s->p, "',' or ']' in a number array");
    s->p++;
    tv_js_ws(s);
  }
}

static int read_int(cp_t *c, int pow10, const char *what, int64_t *out, bool *has) {
  tv_jnum_t num = {0};
  int rc = tv_js_number_or_skip(&c->js, &num);
  if (rc || !num.p) return rc;
  if ((rc = tv_parse_decimal(num.p, num.e, pow10, out)) != 0) return tv_js_number_error(&c->js, &num, rc, what);
  if (has) *has = true;
  return 0;
}

/* callFrame object, or the node itself in the old format: functionName. */
static int call_frame(cp_t *c, cp_node_t *n) {
  tv_jscan_t *s = &c->js;
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '{') return tv_js_skip_value(s);
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
    if (TV_KEY_IS(k, "functionName")) {
      tv_jstr_t fn = {0};
      if ((rc = tv_js_string_or_skip(s, &fn)) != 0) return rc;
      if ((rc = tv_js_intern(s, &c->b->strings, &fn, &n->name)) != 0) return rc;
    } else if ((rc = tv_js_skip_value(s)) != 0)
      return rc;
    rc = tv_js_after_member(s, "',' or '}' in a callFrame");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

/* The members of one node object after its '{' (s->p after the '{' and white
 * space, not at '}'). Old-format "children" (node objects) are not read
 * here: *children_at is set to the '[' and the caller descends. */
static int node_member(cp_t *c, size_t ni, const char **children_at) {
  tv_jscan_t *s = &c->js;
  tv_jstr_t key = {0};
  int rc = tv_js_key(s, &key);
  if (rc) return rc;
  char kbuf[32];
  tv_str_t k = tv_js_key_text(&key, kbuf, sizeof kbuf);
  if (TV_KEY_IS(k, "id")) return read_int(c, 0, "a node id", &c->nodes[ni].id, NULL);
  if (TV_KEY_IS(k, "parent")) return read_int(c, 0, "a parent id", &c->nodes[ni].parent, NULL);
  if (TV_KEY_IS(k, "callFrame")) return call_frame(c, &c->nodes[ni]);
  if (TV_KEY_IS(k, "functionName")) {
    tv_jstr_t fn = {0};
    if ((rc = tv_js_string_or_skip(s, &fn)) != 0) return rc;
    return tv_js_intern(s, &c->b->strings, &fn, &c->nodes[ni].name);
  }
  if (TV_KEY_IS(k, "children") && s->p < s->end && *s->p == '[') {
    const char *q = s->p + 1;
    while (q < s->end && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')) q++;
    if (q < s->end && *q == '{') { /* old format: nested node objects */
      *children_at = s->p;
      return 0;
    }
    /* current format: ids of children; remembered until every node is known */
    i64_vec_t kids = {0};
    rc = number_array(c, &kids, 0, "a child id");
    for (size_t i = 0; i < kids.n && rc >= 0; i++)
      if (vec_push(&c->links, kids.v[i]) || vec_push(&c->links, (int64_t)ni)) rc = oom(c);
    free(kids.v);
    return rc;
  }
  return tv_js_skip_value(s);
}

/* One node object (current format, no nested children), s->p at '{'. */
static int flat_node(cp_t *c) {
  tv_jscan_t *s = &c->js;
  if (!new_node(c, s->p)) return oom(c);
  size_t ni = c->n_nodes - 1;
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == '}') {
    s->p++;
    return 0;
  }
  for (;;) {
    const char *children = NULL;
    int rc = node_member(c, ni, &children);
    if (rc) return rc;
    if (children && (rc = tv_js_skip_value(s)) != 0) return rc; /* objects in a flat list */
    rc = tv_js_after_member(s, "',' or '}' in a node");
    if (rc == 2) return 0;
    if (rc) return rc;
  }
}

static int node_list(cp_t *c) {
  tv_jscan_t *s = &c->js;
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p != '[') return tv_js_expected(s, s->p, "an array of nodes '['");
  c->has_nodes = true;
  s->p++;
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == ']') {
    s->p++;
    return 0;
  }
  for (;;) {
    if (*s->p != '{') return tv_js_expected(s, s->p, "a node object '{'");
    const char *start = s->p;
    int rc = flat_node(c);
    if (rc == TV_SCAN_EOF) {
      c->n_nodes--; /* the node cut short */
      c->cut = start;
    }
    if (rc) return rc;
    tv_js_ws(s);
    if (s->p >= s->end) return TV_SCAN_EOF;
    if (*s->p == ']') {
      s->p++;
      return 0;
    }
    if (*s->p != ',') return tv_js_expected(s, s->p, "',' or ']' after a node");
    s->p++;
    tv_js_ws(s);
    if (s->p >= s->end) return TV_SCAN_EOF;
  }
}

/* The old format's nested "head" tree, s->p at '{'. An explicit stack of
 * open nodes replaces recursion: open[k] is the node whose members are being
 * read (k = depth), and every level below it is inside its "children". */
static int head_tree(cp_t *c) {
  tv_jscan_t *s = &c->js;
  size_t *open = NULL, depth = 0, cap = 0;
  int rc = 0;
  c->has_head = true;
  if (*s->p != '{') return tv_js_expected(s, s->p, "a node object '{' for \"head\"");
  for (;;) {
    /* s->p at the '{' of a new node, child of open[depth - 1] */
    if (depth == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      size_t *g = realloc(open, ncap * sizeof *g);
      if (!g) {
        rc = oom(c);
        goto out;
      }
      open = g;
      cap = ncap;
    }
    cp_node_t *n = new_node(c, s->p);
    if (!n) {
      rc = oom(c);
      goto out;
    }
    size_t ni = c->n_nodes - 1;
    int64_t parent_idx = depth ? (int64_t)open[depth - 1] : -1;
    open[depth++] = ni;
    s->p++;
    tv_js_ws(s);
    if (s->p >= s->end) {
      rc = TV_SCAN_EOF;
      goto out;
    }
    /* parent ids are resolved when the ids are known: remember the index */
    if (parent_idx >= 0 && (vec_push(&c->links, -1 - (int64_t)ni) || vec_push(&c->links, parent_idx))) {
      rc = oom(c);
      goto out;
    }
    bool closed = false;
    if (*s->p == '}') {
      s->p++;
      closed = true;
    }
    /* members of open[depth - 1] until a child starts or it closes, then the
     * levels it closes */
    for (;;) {
      if (!closed) {
        const char *children = NULL;
        rc = node_member(c, open[depth - 1], &children);
        if (rc) goto out;
        if (children) {
          s->p = children + 1;
          tv_js_ws(s);
          break; /* descend: s->p at the first child's '{' */
        }
        rc = tv_js_after_member(s, "',' or '}' in a node");
        if (rc == 0) continue;
        if (rc != 2) goto out;
        rc = 0;
      }
      /* open[depth - 1] is closed */
      if (--depth == 0) goto out;
      /* inside the parent's children array: another child or ']' */
      tv_js_ws(s);
      if (s->p >= s->end) {
        rc = TV_SCAN_EOF;
        goto out;
      }
      if (*s->p == ',') {
        s->p++;
        tv_js_ws(s);
        break;
      }
      if (*s->p != ']') {
        rc = tv_js_expected(s, s->p, "',' or ']' after a child node");
        goto out;
      }
      s->p++;
      rc = tv_js_after_member(s, "',' or '}' in a node");
      if (rc == 0) {
        closed = false;
        continue;
      }
      if (rc != 2) goto out;
      rc = 0;
      closed = true;
    }
    if (s->p >= s->end) {
      rc = TV_SCAN_EOF;
      goto out;
    }
    if (*s->p != '{') {
      rc = tv_js_expected(s, s->p, "a child node object '{'");
      goto out;
    }
  }
out:
  free(open);
  return rc;
}

static int read_top(cp_t *c) {
  tv_jscan_t *s = &c->js;
  if (s->p >= s->end || *s->p != '{')
    return tv_js_expected(s, s->p, "'{' at the start of a V8 CPU profile");
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
    const char *at = s->p;
    if (TV_KEY_IS(k, "timeDeltas") || TV_KEY_IS(k, "timestamps")) c->times_at = at;
    if (TV_KEY_IS(k, "nodes")) rc = node_list(c);
    else if (TV_KEY_IS(k, "head") && at < s->end && *at == '{') rc = head_tree(c);
    else if (TV_KEY_IS(k, "samples")) rc = number_array(c, &c->samples, 0, "a sample's node id");
    else if (TV_KEY_IS(k, "timeDeltas")) rc = number_array(c, &c->deltas, 3, "a time delta");
    else if (TV_KEY_IS(k, "timestamps")) rc = number_array(c, &c->stamps, 3, "a timestamp");
    else if (TV_KEY_IS(k, "startTime")) rc = read_int(c, 3, "startTime", &c->start_ns, &c->has_start);
    else if (TV_KEY_IS(k, "endTime")) rc = read_int(c, 3, "endTime", &c->end_ns, &c->has_end);
    else rc = tv_js_skip_value(s);
    if (rc == TV_SCAN_EOF && !c->cut) c->cut = at;
    if (rc) return rc;
    rc = tv_js_after_member(s, "',' or '}' after a top-level value");
    if (rc == 2) break;
    if (rc) return rc;
  }
  tv_js_ws(s);
  if (s->p < s->end)
    tv_trace_warn(c->trace, tv_js_off(s, s->p), "ignored what follows the top-level object");
  return 0;
}

/* ---- id -> node index ---- */

typedef struct id_map {
  int64_t *ids;
  uint32_t *idx; /* node index + 1; 0 = empty */
  size_t mask;
} id_map_t;

static size_t id_slot(int64_t id, size_t mask) {
  uint64_t k = (uint64_t)id;
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  return (size_t)k & mask;
}

static int id_map_build(id_map_t *m, const cp_node_t *nodes, size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  m->ids = malloc(cap * sizeof *m->ids);
  m->idx = calloc(cap, sizeof *m->idx);
  m->mask = cap - 1;
  if (!m->ids || !m->idx) return TV_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (nodes[i].id == NO_ID) continue;
    size_t k = id_slot(nodes[i].id, m->mask);
    while (m->idx[k] && m->ids[k] != nodes[i].id) k = (k + 1) & m->mask;
    if (m->idx[k]) continue; /* duplicate id: the first node wins */
    m->ids[k] = nodes[i].id;
    m->idx[k] = (uint32_t)i + 1;
  }
  return 0;
}

static bool id_map_get(const id_map_t *m, int64_t id, size_t *out) {
  if (id == NO_ID) return false;
  for (size_t k = id_slot(id, m->mask); m->idx[k]; k = (k + 1) & m->mask)
    if (m->ids[k] == id) {
      *out = m->idx[k] - 1;
      return true;
    }
  return false;
}

/* ---- samples ---- */

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

/* stable sort of sample indexes by time (merge sort) */
static void sort_by_time(size_t *idx, size_t *tmp, size_t n, const int64_t *time) {
  if (n < 2) return;
  size_t h = n / 2;
  sort_by_time(idx, tmp, h, time);
  sort_by_time(idx + h, tmp, n - h, time);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = time[idx[j]] < time[idx[i]] ? idx[j++] : idx[i++];
  while (i < h) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

static int emit_samples(cp_t *c) {
  tv_builder_t *b = c->b;
  bool old = c->stamps.n > 0 && c->deltas.n == 0;
  size_t n = c->samples.n, nt = old ? c->stamps.n : c->deltas.n;
  if (n > nt) {
    if (!c->cut)
      tv_trace_warn(c->trace, -1, "%zu samples but %zu %s: the samples without a time are ignored", n, nt,
                    old ? "timestamps" : "timeDeltas");
    n = nt;
  }
  id_map_t map = {0};
  int64_t *time = malloc((n + 1) * sizeof *time), *width = malloc((n + 1) * sizeof *width);
  int64_t *sorted = malloc((n + 1) * sizeof *sorted);
  size_t *idx = malloc((n + 1) * sizeof *idx), *tmp = malloc((n + 1) * sizeof *tmp);
  uint32_t *frames = malloc((c->n_nodes + 1) * sizeof *frames);
  size_t *up = malloc((c->n_nodes + 1) * sizeof *up); /* parent index, SIZE_MAX: none */
  int rc = TV_ENOMEM;
  if (!up || !time || !width || !sorted || !idx || !tmp || !frames || id_map_build(&map, c->nodes, c->n_nodes)) goto out;

  /* parents: child id -> parent index pairs, or (-1 - child index) for the old tree */
  for (size_t i = 0; i + 1 < c->links.n; i += 2) {
    int64_t child = c->links.v[i];
    size_t ci, pi = (size_t)c->links.v[i + 1];
    if (pi >= c->n_nodes) continue; /* a node cut short by the end of the input */
    if (child < 0 && c->has_head && (uint64_t)(-1 - child) < c->n_nodes) ci = (size_t)(-1 - child);
    else if (!id_map_get(&map, child, &ci)) continue;
    c->nodes[ci].parent = c->nodes[pi].id;
  }

  for (size_t i = 0; i < c->n_nodes; i++)
    if (!id_map_get(&map, c->nodes[i].parent, &up[i])) up[i] = SIZE_MAX;

  int64_t t = c->start_ns;
  for (size_t i = 0; i < n; i++) {
    if (old) t = c->stamps.v[i];
    else t = tv_sat_add(t, c->deltas.v[i]);
    if (t > MAX_NS || t < -MAX_NS) {
      rc = tv_error_set(c->js.err, TV_ERANGE, c->js.file, c->times_at ? tv_js_off(&c->js, c->times_at) : -1,
                        "the time of sample %zu is out of range (expected a magnitude below 4.6e15 us, "
                        "146 years)", i);
      goto out;
    }
    time[i] = t;
    idx[i] = i;
  }
  sort_by_time(idx, tmp, n, time);
  for (size_t k = 0; k + 1 < n; k++) width[k] = time[idx[k + 1]] - time[idx[k]];
  /* the median of the widths: the sampling interval */
  int64_t median = 0;
  if (n >= 2) {
    memcpy(sorted, width, (n - 1) * sizeof *width);
    qsort(sorted, n - 1, sizeof *sorted, cmp_i64);
    median = sorted[(n - 1) / 2];
  } else if (n == 1 && c->has_end && !old && c->end_ns > time[0]) {
    median = c->end_ns - time[0];
  }
  if (n) width[n - 1] = median < MAX_NS - time[idx[n - 1]] ? median : MAX_NS - time[idx[n - 1]];
  b->sample_ns = median > 0 ? median : 0;

  tv_thread_t *th = tv_builder_thread(b, 1, 1);
  if (!th) goto out;
  th->listed = true;
  tv_process_t *proc = tv_builder_process(b, 1);
  if (!proc) goto out;
  proc->name = tv_intern(&b->strings, tv_str("V8 CPU profile", 14), NULL);
  th->name = tv_intern(&b->strings, tv_str("main", 4), NULL);
  if (th->name == UINT32_MAX) goto out;
  uint32_t anon = tv_intern(&b->strings, tv_str("(anonymous)", 11), NULL);
  uint32_t root = tv_intern(&b->strings, tv_str("(root)", 6), NULL);
  if (anon == UINT32_MAX || root == UINT32_MAX) goto out;
  uint64_t unknown = 0;
  int64_t unknown_off = -1;
  for (size_t k = 0; k < n; k++) {
    size_t i = idx[k], ni;
    if (!id_map_get(&map, c->samples.v[i], &ni)) {
      if (!unknown++) unknown_off = (int64_t)i;
      continue;
    }
    /* leaf to root; a cycle of parents stops after n_nodes steps */
    size_t depth = 0, cur = ni;
    for (;;) {
      const cp_node_t *nd = &c->nodes[cur];
      bool has_up = up[cur] != SIZE_MAX;
      if (!(has_up == false && nd->name == root)) frames[depth++] = nd->name ? nd->name : anon;
      if (!has_up || depth >= c->n_nodes) break;
      cur = up[cur];
    }
    for (size_t a = 0, z = depth; a + 1 < z; a++, z--) {
      uint32_t x = frames[a];
      frames[a] = frames[z - 1];
      frames[z - 1] = x;
    }
    if (tv_builder_add_sample(b, th, time[i], width[k], frames, depth, 1, c->nodes[ni].off)) goto out;
  }
  if (unknown)
    tv_trace_warn(c->trace, -1, "%llu samples name a node id that is not in \"nodes\" (ignored; the first is sample %lld)",
                  (unsigned long long)unknown, (long long)unknown_off);
  b->n_raw_events = b->n_samples;
  rc = 0;
out:
  free(time);
  free(width);
  free(sorted);
  free(idx);
  free(tmp);
  free(frames);
  free(up);
  free(map.ids);
  free(map.idx);
  if (rc == TV_ENOMEM) return oom(c);
  return rc;
}

/* Above the Chrome reader's 10 for any '{', below its 90 for "traceEvents" or
 * "ph" (a Chrome trace's ProfileChunk events hold "nodes" and "timeDeltas"
 * too, and must stay Chrome's). */
static int cpuprofile_probe(const char *p, size_t len) {
  size_t i = tv_js_skip_bom_ws(p, len);
  if (i >= len || p[i] != '{') return 0;
  size_t w = len - i < 65536 ? len - i : 65536;
  const char *q = p + i;
  if (memmem(q, w, "\"nodes\"", 7) &&
      (memmem(q, w, "\"callFrame\"", 11) || memmem(q, w, "\"timeDeltas\"", 12)))
    return 60;
  if (memmem(q, w, "\"head\"", 6) && memmem(q, w, "\"functionName\"", 14) &&
      (memmem(q, w, "\"timestamps\"", 12) || memmem(q, w, "\"samples\"", 9)) &&
      !memmem(q, w, "\"selfSize\"", 10)) /* not a heap profile */
    return 60;
  return 0;
}

static int cpuprofile_read(tv_trace_t *t, const tv_open_opts_t *opts, tv_builder_t **builders,
                           size_t *n_builders, tv_error_t *err) {
  tv_builder_t *b = calloc(1, sizeof *b);
  if (!b || tv_builder_init(b) != 0) {
    free(b);
    return tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  }
  cp_t c = {.js = {.base = t->map.base, .end = t->map.base + t->map.len, .file = t->map.path, .err = err},
            .trace = t, .b = b};
  c.js.p = c.js.base + tv_js_skip_bom_ws(c.js.base, t->map.len);
  t->format = "cpuprofile";
  int rc = read_top(&c);
  if (rc == TV_SCAN_EOF) {
    if (!c.has_nodes && !c.has_head) {
      rc = tv_error_set(err, TV_ESYNTAX, t->map.path, (int64_t)t->map.len,
                        "unexpected end of file before a \"nodes\" array (truncated?)");
    } else {
      t->truncated = true;
      tv_trace_warn(t, c.cut ? tv_js_off(&c.js, c.cut) : (int64_t)t->map.len,
                    "the profile ends inside a value (the file is truncated); loaded the %zu nodes "
                    "and %zu samples before it",
                    c.n_nodes, c.samples.n);
      rc = 0;
    }
  } else if (rc == 0 && !c.has_nodes && !c.has_head) {
    rc = tv_error_set(err, TV_EFORMAT, t->map.path, 0,
                      "no \"nodes\" array (or old-format \"head\" tree) in the top-level object; "
                      "expected a V8 CPU profile");
  }
  if (rc == 0) rc = emit_samples(&c);
  if (rc == 0) rc = tv_builder_flush_samples(b) ? oom(&c) : 0;
  free(c.nodes);
  free(c.links.v);
  free(c.samples.v);
  free(c.deltas.v);
  free(c.stamps.v);
  if (rc) {
    tv_builder_free(b);
    free(b);
    return rc;
  }
  if (opts && opts->progress) opts->progress(opts->progress_ud, t->map.len, t->map.len);
  *builders = b;
  *n_builders = 1;
  return 0;
}

/* The node at off: its callFrame's members, hitCount, id and the other
 * scalar members (children skipped: in the old format they hold the whole
 * subtree). Each member value is parsed alone with jansson. */
static json_t *cpuprofile_args(const char *p, size_t len) {
  tv_error_t err;
  tv_jscan_t s = {.base = p, .p = p, .end = p + len, .file = "event", .err = &err};
  if (!len || *s.p != '{') return NULL;
  json_t *out = json_object();
  s.p++;
  tv_js_ws(&s);
  if (s.p < s.end && *s.p == '}') return out;
  for (;;) {
    tv_jstr_t key = {0};
    if (tv_js_key(&s, &key) != 0) break;
    char kbuf[64];
    tv_str_t k = tv_js_key_text(&key, kbuf, sizeof kbuf);
    char name[64];
    bool keep = k.len < sizeof name && !memchr(k.p, '\0', k.len) && !TV_KEY_IS(k, "children") &&
                !TV_KEY_IS(k, "positionTicks");
    if (keep) {
      memcpy(name, k.p, k.len);
      name[k.len] = '\0';
      json_t *v = tv_json_parse(s.p, (size_t)(s.end - s.p));
      if (TV_KEY_IS(k, "callFrame") && json_is_object(v)) {
        json_object_update(out, v);
        json_decref(v);
      } else if (v) {
        json_object_set_new(out, name, v);
      }
    }
    if (tv_js_skip_value(&s) != 0) break;
    if (tv_js_after_member(&s, "',' or '}'") != 0) break;
  }
  return out;
}

const tv_reader_t tv_cpuprofile_reader = {
    .name = "cpuprofile",
    .description = "V8 CPU profile (.cpuprofile)",
    .probe = cpuprofile_probe,
    .read = cpuprofile_read,
    .event_args = cpuprofile_args,
};
