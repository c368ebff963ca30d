/* chrome_samples.c: sampled stacks in Chrome traces, resolved after the scan.
 *
 * Three shapes exist in real files:
 *  - "Profile" + "ProfileChunk" P events (Chrome DevTools, V8's sampler): a
 *    profile id, a start time, then chunks adding call-tree nodes
 *    (args.data.cpuProfile.nodes, with parent ids) and samples (node ids with
 *    args.data.timeDeltas). The samples belong to the thread of the Profile
 *    event.
 *  - P events with "sf": a stack frame id into the top-level "stackFrames".
 *  - The object form's top-level "samples" array ({ts, tid, sf, weight}).
 * Chunks and frames can be anywhere in the file (stackFrames after the
 * events), so the scan only remembers where P events are (builder revisit
 * offsets) and this pass reads them again, one event at a time, in file
 * order. Samples then go through tv_builder_add_sample per thread in time
 * order, each as wide as the gap to the thread's next sample (the last: the
 * median gap), as DevTools draws them. */
#include "traceview/chrome_samples.h"
#include "traceview/json_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK 1024 /* frames per sample; deeper stacks are cut at the root end */

typedef struct node {
  uint64_t key, parent;
  uint32_t name;
} node_t;

typedef struct psample {
  int64_t pid, tid, ts, weight;
  uint64_t node, off;
  size_t seq;
} psample_t;

typedef struct profile {
  uint64_t key;
  int64_t pid, tid, t; /* the sampled thread; t: time of the last sample */
} profile_t;

typedef struct ctx {
  tv_builder_t *b;
  tv_jscan_t js;
  tv_error_t scan_err;
  node_t *nodes; size_t n_nodes, cap_nodes;
  uint64_t *slot_key; size_t *slot_val; size_t mask; /* node key -> index */
  psample_t *samples; size_t n_samples, cap_samples;
  profile_t *profiles; size_t n_profiles, cap_profiles;
  uint64_t skipped; int64_t first_skipped;
} ctx_t;

/* ---- small helpers ---- */

/* never 0: 0 means "none" */
static uint64_t hash_part(uint64_t h, const void *p, size_t n) { return tv_hash64_part(h, p, n) | 1; }

static uint64_t hash_int(uint64_t h, int64_t v) { return hash_part(h, &v, sizeof v); }

#define GROW(arr, n, cap)                                                        \
  ((n) < (cap) ? 0 : grow((void **)&(arr), &(cap), sizeof *(arr)))

static int grow(void **arr, size_t *cap, size_t size) {
  size_t ncap = *cap ? *cap * 2 : 64;
  void *p = realloc(*arr, ncap * size);
  if (!p) return TV_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

static void skip(ctx_t *c, uint64_t off) {
  if (!c->skipped++) c->first_skipped = (int64_t)off;
}

/* A value's text as an id: string contents or number token; empty when absent. */
typedef struct idtok {
  tv_jstr_t str;
  tv_jnum_t num;
} idtok_t;

static int read_id(tv_jscan_t *s, idtok_t *out) {
  if (s->p < s->end && *s->p == '"') return tv_js_string(s, &out->str);
  return tv_js_number_or_skip(s, &out->num);
}

static bool id_present(const idtok_t *t) { return t->str.present || t->num.p; }

static uint64_t id_hash(uint64_t h, const idtok_t *t) {
  if (t->str.present) return hash_part(h, t->str.s.p, t->str.s.len);
  if (t->num.p) return hash_part(h, t->num.p, (size_t)(t->num.e - t->num.p));
  return 0;
}

/* pid/tid as the Chrome reader numbers them: decimal, or a hash of a string. */
static int64_t id_value(const idtok_t *t) {
  int64_t v = 0;
  if (t->str.present) {
    if (!t->str.escaped && tv_parse_decimal(t->str.s.p, t->str.s.p + t->str.s.len, 0, &v) == 0)
      return v;
    return INT64_C(0x100000000) + tv_hash_bytes(t->str.s.p, t->str.s.len);
  }
  if (t->num.p && tv_parse_decimal(t->num.p, t->num.e, 0, &v) == 0) return v;
  return 0;
}

static bool number(const tv_jnum_t *n, int pow10, int64_t *out) {
  return n->p && tv_parse_decimal(n->p, n->e, pow10, out) == 0;
}

/* The shared walks, lenient: a value of another type is skipped, not an
 * error (a sample we cannot use is skipped, not the trace). */
static int each_member(ctx_t *c, tv_js_member_fn fn, void *ud) {
  if (c->js.p >= c->js.end || *c->js.p != '{') return tv_js_skip_value(&c->js);
  return tv_js_object(&c->js, "an object", fn, c, ud);
}

static int each_element(ctx_t *c, tv_js_element_fn fn, void *ud) {
  if (c->js.p >= c->js.end || *c->js.p != '[') return tv_js_skip_value(&c->js);
  return tv_js_array(&c->js, "an array", fn, c, ud);
}

/* ---- nodes ---- */

static int add_node(ctx_t *c, uint64_t key, uint64_t parent, uint32_t name) {
  if (GROW(c->nodes, c->n_nodes, c->cap_nodes) != 0) return TV_ENOMEM;
  c->nodes[c->n_nodes++] = (node_t){key, parent, name};
  if (c->n_nodes * 2 > c->mask) { /* rehash everything */
    size_t cap = c->mask ? (c->mask + 1) * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    size_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
      free(keys);
      free(vals);
      return TV_ENOMEM;
    }
    free(c->slot_key);
    free(c->slot_val);
    c->slot_key = keys;
    c->slot_val = vals;
    c->mask = cap - 1;
    for (size_t i = 0; i < c->n_nodes; i++) {
      size_t k = (size_t)(c->nodes[i].key * UINT64_C(0x9e3779b97f4a7c15) >> 20) & c->mask;
      while (c->slot_key[k] && c->slot_key[k] != c->nodes[i].key) k = (k + 1) & c->mask;
      c->slot_key[k] = c->nodes[i].key; /* a repeated id: the later node wins */
      c->slot_val[k] = i;
    }
    return 0;
  }
  size_t k = (size_t)(key * UINT64_C(0x9e3779b97f4a7c15) >> 20) & c->mask;
  while (c->slot_key[k] && c->slot_key[k] != key) k = (k + 1) & c->mask;
  c->slot_key[k] = key;
  c->slot_val[k] = c->n_nodes - 1;
  return 0;
}

static const node_t *find_node(const ctx_t *c, uint64_t key) {
  if (!key || !c->mask) return NULL;
  for (size_t k = (size_t)(key * UINT64_C(0x9e3779b97f4a7c15) >> 20) & c->mask; c->slot_key[k];
       k = (k + 1) & c->mask)
    if (c->slot_key[k] == key) return &c->nodes[c->slot_val[k]];
  return NULL;
}

static int intern(ctx_t *c, const tv_jstr_t *j, uint32_t *id) {
  return tv_js_intern(&c->js, &c->b->strings, j, id);
}

/* ---- top-level "stackFrames": {"id": {"name", "parent"}} ---- */

typedef struct frame_fields {
  tv_jstr_t name;
  idtok_t parent;
} frame_fields_t;

static int frame_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  frame_fields_t *f = ud;
  if (TV_KEY_IS(key, "name")) return tv_js_string_or_skip(&c->js, &f->name);
  if (TV_KEY_IS(key, "parent")) return read_id(&c->js, &f->parent);
  return tv_js_skip_value(&c->js);
}

static int stack_frame(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  (void)ud;
  frame_fields_t f = {0};
  int rc = each_member(c, frame_member, &f);
  if (rc) return rc;
  uint32_t name;
  if ((rc = intern(c, &f.name, &name)) != 0) return rc;
  uint64_t parent = id_present(&f.parent) ? id_hash(hash_part(0, "sf", 2), &f.parent) : 0;
  /* keys are strings; parents are numbers or strings: hash both as text */
  idtok_t self = {.str = {.s = key, .present = true}};
  return add_node(c, id_hash(hash_part(0, "sf", 2), &self), parent, name);
}

/* ---- samples: the "samples" array and sf-style P events ---- */

typedef struct sample_fields {
  tv_jnum_t ts, weight;
  idtok_t pid, tid, sf, id;
  tv_jstr_t ph, name;
  const char *args; /* the args object, read later */
} sample_fields_t;

static int sample_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  sample_fields_t *f = ud;
  tv_jscan_t *s = &c->js;
  if (TV_KEY_IS(key, "ts")) return tv_js_number_or_skip(s, &f->ts);
  if (TV_KEY_IS(key, "weight")) return tv_js_number_or_skip(s, &f->weight);
  if (TV_KEY_IS(key, "pid")) return read_id(s, &f->pid);
  if (TV_KEY_IS(key, "tid")) return read_id(s, &f->tid);
  if (TV_KEY_IS(key, "sf")) return read_id(s, &f->sf);
  if (TV_KEY_IS(key, "id")) return read_id(s, &f->id);
  if (TV_KEY_IS(key, "ph")) return tv_js_string_or_skip(s, &f->ph);
  if (TV_KEY_IS(key, "name")) return tv_js_string_or_skip(s, &f->name);
  if (TV_KEY_IS(key, "args")) f->args = s->p;
  return tv_js_skip_value(s);
}

static int add_sample(ctx_t *c, int64_t pid, int64_t tid, int64_t ts, int64_t weight,
                      uint64_t node, uint64_t off) {
  if (GROW(c->samples, c->n_samples, c->cap_samples) != 0) return TV_ENOMEM;
  c->samples[c->n_samples] = (psample_t){pid, tid, ts, weight, node, off, c->n_samples};
  c->n_samples++;
  return 0;
}

static int sf_sample(ctx_t *c, const sample_fields_t *f, uint64_t off) {
  int64_t ts, weight = 1;
  if (!number(&f->ts, 3, &ts) || !id_present(&f->sf)) {
    skip(c, off);
    return 0;
  }
  double w;
  bool ok;
  w = tv_js_double(&f->weight, &ok);
  if (ok && w >= 1 && w < 1e15) weight = (int64_t)(w + 0.5);
  return add_sample(c, id_value(&f->pid), id_value(&f->tid), ts, weight,
                    id_hash(hash_part(0, "sf", 2), &f->sf), off);
}

static int samples_element(void *owner, void *ud) {
  ctx_t *c = owner;
  (void)ud;
  uint64_t off = (uint64_t)tv_js_off(&c->js, c->js.p);
  sample_fields_t f = {0};
  int rc = each_member(c, sample_member, &f);
  if (rc) return rc;
  return sf_sample(c, &f, off);
}

/* ---- Profile and ProfileChunk ---- */

static profile_t *find_profile(ctx_t *c, uint64_t key) {
  for (size_t i = 0; i < c->n_profiles; i++)
    if (c->profiles[i].key == key) return &c->profiles[i];
  return NULL;
}

typedef struct chunk {
  profile_t *prof;
  uint64_t off;
  int64_t start;          /* Profile: args.data.startTime, µs */
  bool has_start;
  const char *samples, *deltas; /* arrays, read once both are known */
} chunk_t;

typedef struct cpu_node {
  idtok_t id, parent;
  tv_jstr_t fn;
  const char *children;
} cpu_node_t;

static int call_frame_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  cpu_node_t *n = ud;
  if (TV_KEY_IS(key, "functionName")) return tv_js_string_or_skip(&c->js, &n->fn);
  return tv_js_skip_value(&c->js);
}

static int cpu_node_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  cpu_node_t *n = ud;
  if (TV_KEY_IS(key, "id")) return read_id(&c->js, &n->id);
  if (TV_KEY_IS(key, "parent")) return read_id(&c->js, &n->parent);
  if (TV_KEY_IS(key, "callFrame")) return each_member(c, call_frame_member, n);
  if (TV_KEY_IS(key, "children")) n->children = c->js.p;
  return tv_js_skip_value(&c->js);
}

typedef struct child_ctx {
  uint64_t profile, parent;
} child_ctx_t;

/* "children": [ids]: sets the parent of nodes already known. */
static int child_element(void *owner, void *ud) {
  ctx_t *c = owner;
  child_ctx_t *cc = ud;
  idtok_t id = {0};
  int rc = read_id(&c->js, &id);
  if (rc) return rc;
  node_t *n = (node_t *)find_node(c, id_hash(cc->profile, &id));
  if (n && !n->parent) n->parent = cc->parent;
  return 0;
}

static int cpu_node_element(void *owner, void *ud) {
  ctx_t *c = owner;
  chunk_t *ch = ud;
  cpu_node_t n = {0};
  int rc = each_member(c, cpu_node_member, &n);
  if (rc || !id_present(&n.id)) return rc;
  static const char anon[] = "(anonymous)";
  uint32_t name;
  if (n.fn.present && n.fn.s.len) rc = intern(c, &n.fn, &name);
  else name = tv_intern(&c->b->strings, tv_str(anon, sizeof anon - 1), NULL);
  if (rc) return rc;
  if (name == UINT32_MAX) return TV_ENOMEM;
  uint64_t key = id_hash(ch->prof->key, &n.id);
  uint64_t parent = id_present(&n.parent) ? id_hash(ch->prof->key, &n.parent) : 0;
  return add_node(c, key, parent, name);
}

static int cpu_node_children(void *owner, void *ud) {
  ctx_t *c = owner;
  chunk_t *ch = ud;
  cpu_node_t n = {0};
  int rc = each_member(c, cpu_node_member, &n);
  if (rc || !id_present(&n.id) || !n.children) return rc;
  tv_jscan_t save = c->js;
  c->js.p = n.children;
  child_ctx_t cc = {ch->prof->key, id_hash(ch->prof->key, &n.id)};
  rc = each_element(c, child_element, &cc);
  c->js = save;
  return rc;
}

static int cpu_profile_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  chunk_t *ch = ud;
  if (TV_KEY_IS(key, "nodes")) {
    const char *at = c->js.p;
    int rc = each_element(c, cpu_node_element, ch);
    if (rc) return rc;
    tv_jscan_t save = c->js; /* second pass: "children" lists (older Chromes) */
    c->js.p = at;
    rc = each_element(c, cpu_node_children, ch);
    c->js = save;
    return rc;
  }
  if (TV_KEY_IS(key, "samples")) ch->samples = c->js.p;
  if (TV_KEY_IS(key, "timeDeltas")) ch->deltas = c->js.p;
  return tv_js_skip_value(&c->js);
}

static int data_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  chunk_t *ch = ud;
  if (TV_KEY_IS(key, "cpuProfile")) return each_member(c, cpu_profile_member, ch);
  if (TV_KEY_IS(key, "timeDeltas")) ch->deltas = c->js.p;
  if (TV_KEY_IS(key, "startTime")) {
    tv_jnum_t n = {0};
    int rc = tv_js_number_or_skip(&c->js, &n);
    ch->has_start = number(&n, 3, &ch->start);
    return rc;
  }
  return tv_js_skip_value(&c->js);
}

static int args_member(void *owner, tv_str_t key, void *ud) {
  ctx_t *c = owner;
  if (TV_KEY_IS(key, "data")) return each_member(c, data_member, ud);
  return tv_js_skip_value(&c->js);
}

/* The next number of an array being walked by hand. */
static int next_number(tv_jscan_t *s, bool first, tv_jnum_t *out) {
  tv_js_ws(s);
  if (s->p >= s->end) return TV_SCAN_EOF;
  if (*s->p == ']') return 2;
  if (!first) {
    if (*s->p != ',') return tv_js_expected(s, s->p, "',' or ']'");
    s->p++;
    tv_js_ws(s);
  }
  *out = (tv_jnum_t){0};
  return tv_js_number_or_skip(s, out);
}

/* samples[i] at profile time t += timeDeltas[i] (µs). */
static int chunk_samples(ctx_t *c, chunk_t *ch) {
  if (!ch->samples) return 0;
  tv_jscan_t sa = c->js, de = c->js;
  sa.p = ch->samples + 1;
  if (ch->deltas) de.p = ch->deltas + 1;
  for (bool first = true;; first = false) {
    tv_jnum_t id, dt = {0};
    int rc = next_number(&sa, first, &id);
    if (rc == 2) return 0;
    if (rc) return rc < 0 ? rc : 0;
    int64_t d = 0;
    if (ch->deltas && next_number(&de, first, &dt) == 0) number(&dt, 3, &d);
    ch->prof->t = tv_sat_add(ch->prof->t, d);
    idtok_t node = {.num = id};
    if (!id.p) continue;
    if ((rc = add_sample(c, ch->prof->pid, ch->prof->tid, ch->prof->t, 1,
                         id_hash(ch->prof->key, &node), ch->off)) != 0)
      return rc;
  }
}

static int revisit(ctx_t *c, uint64_t off) {
  c->js.p = c->js.base + off;
  sample_fields_t f = {0};
  int rc = each_member(c, sample_member, &f);
  if (rc) return rc;
  int64_t pid = id_value(&f.pid), tid = id_value(&f.tid);
  if (id_present(&f.sf)) return sf_sample(c, &f, off);
  bool is_profile = f.name.present && TV_KEY_IS(f.name.s, "Profile");
  bool is_chunk = f.name.present && TV_KEY_IS(f.name.s, "ProfileChunk");
  if ((!is_profile && !is_chunk) || !f.args) {
    skip(c, off);
    return 0;
  }
  uint64_t key = id_hash(hash_int(hash_part(0, "profile", 7), pid), &f.id);
  profile_t *prof = find_profile(c, key);
  if (!prof) {
    if (GROW(c->profiles, c->n_profiles, c->cap_profiles) != 0) return TV_ENOMEM;
    prof = &c->profiles[c->n_profiles++];
    int64_t ts = 0;
    number(&f.ts, 3, &ts);
    *prof = (profile_t){key, pid, tid, ts};
  } else if (is_profile) {
    prof->tid = tid; /* the Profile event names the sampled thread */
  }
  chunk_t ch = {.prof = prof, .off = off};
  c->js.p = f.args;
  if ((rc = each_member(c, args_member, &ch)) != 0) return rc;
  if (is_profile && ch.has_start) prof->t = ch.start;
  return chunk_samples(c, &ch);
}

/* ---- emit ---- */

static int cmp_sample(const void *x, const void *y) {
  const psample_t *a = x, *b = y;
  if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
  if (a->tid != b->tid) return a->tid < b->tid ? -1 : 1;
  if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

static int64_t median_gap(const psample_t *s, size_t n) {
  int64_t *gaps = malloc((n + 1) * sizeof *gaps);
  size_t k = 0;
  if (!gaps) return 0;
  for (size_t i = 1; i < n; i++)
    if (s[i].pid == s[i - 1].pid && s[i].tid == s[i - 1].tid && s[i].ts > s[i - 1].ts)
      gaps[k++] = s[i].ts - s[i - 1].ts;
  int64_t m = 0;
  if (k) {
    qsort(gaps, k, sizeof *gaps, cmp_i64);
    m = gaps[(k - 1) / 2];
  }
  free(gaps);
  return m;
}

static int emit(ctx_t *c) {
  if (!c->n_samples) return 0;
  qsort(c->samples, c->n_samples, sizeof *c->samples, cmp_sample);
  int64_t median = median_gap(c->samples, c->n_samples);
  if (median <= 0) median = 1000000; /* one sample per thread: draw it 1 ms wide */
  if (median > c->b->sample_ns) c->b->sample_ns = median;
  uint32_t *frames = malloc(MAX_STACK * sizeof *frames);
  if (!frames) return TV_ENOMEM;
  for (size_t i = 0; i < c->n_samples; i++) {
    const psample_t *s = &c->samples[i];
    bool last = i + 1 == c->n_samples || c->samples[i + 1].pid != s->pid ||
                c->samples[i + 1].tid != s->tid;
    int64_t width = last ? median : c->samples[i + 1].ts - s->ts;
    /* leaf to root, then reversed; "(root)" is V8's, not a function */
    size_t n = 0;
    for (const node_t *nd = find_node(c, s->node); nd && n < MAX_STACK;
         nd = find_node(c, nd->parent)) {
      tv_str_t nm = tv_intern_str(&c->b->strings, nd->name);
      if (nd->parent || !TV_KEY_IS(nm, "(root)")) frames[n++] = nd->name;
    }
    if (n == 0) {
      skip(c, s->off);
      continue;
    }
    for (size_t a = 0, b = n - 1; a < b; a++, b--) {
      uint32_t t = frames[a];
      frames[a] = frames[b];
      frames[b] = t;
    }
    tv_thread_t *th = tv_builder_thread(
        c->b, s->pid, tv_lane_tid(TV_THREAD_SAMPLES, s->tid & ((INT64_C(1) << 40) - 1)));
    if (th && !th->kind) {
      static const char label[] = "CPU samples";
      th->kind = TV_THREAD_SAMPLES;
      th->name = tv_intern(&c->b->strings, tv_str(label, sizeof label - 1), NULL);
    }
    if (!th || tv_builder_add_sample(c->b, th, s->ts, width, frames, n, s->weight, s->off) != 0) {
      free(frames);
      return TV_ENOMEM;
    }
  }
  free(frames);
  return 0;
}

int tv_chrome_samples(tv_trace_t *t, tv_builder_t *builders, size_t n, const char *stack_frames,
                      const char *samples, tv_error_t *err) {
  size_t revisits = 0;
  for (size_t i = 0; i < n; i++) revisits += builders[i].n_revisit;
  if (!revisits && !samples) return 0;
  ctx_t c = {.b = &builders[n - 1]};
  c.js = (tv_jscan_t){.base = t->map.base, .end = t->map.base + t->map.len,
                      .file = t->map.path, .err = &c.scan_err};
  int rc = 0;
  if (stack_frames) {
    c.js.p = stack_frames;
    rc = each_member(&c, stack_frame, NULL);
  }
  for (size_t i = 0; i < n && rc == 0; i++)
    for (size_t k = 0; k < builders[i].n_revisit && rc == 0; k++)
      rc = revisit(&c, builders[i].revisit[k]);
  if (rc == 0 && samples) {
    c.js.p = samples;
    rc = each_element(&c, samples_element, NULL);
  }
  if (rc == TV_ENOMEM || (rc == 0 && (rc = emit(&c)) == TV_ENOMEM))
    rc = tv_error_set(err, TV_ENOMEM, t->map.path, -1, "out of memory");
  else if (rc != 0) { /* a sample we cannot read is not worth the whole trace */
    if (rc == TV_SCAN_EOF)
      tv_trace_warn(t, (int64_t)t->map.len, "stopped reading CPU samples: the file ends inside them");
    else
      tv_trace_warn(t, c.scan_err.offset, "stopped reading CPU samples: %s", c.scan_err.msg);
    rc = 0;
  }
  if (c.skipped)
    tv_trace_warn(t, c.first_skipped, "skipped %llu CPU samples or P events that name no stack",
                  (unsigned long long)c.skipped);
  for (size_t i = 0; i < n; i++) {
    free(builders[i].revisit);
    builders[i].revisit = NULL;
    builders[i].n_revisit = builders[i].cap_revisit = 0;
  }
  free(c.nodes);
  free(c.slot_key);
  free(c.slot_val);
  free(c.samples);
  free(c.profiles);
  return rc;
}
