/* flame.c: range walks and merged call trees (see flame.h).
 *
 * The walk visits one thread depth by depth. Within a depth, slices are
 * disjoint and sorted (store.h invariant 1), so the parent of each slice at
 * depth d is found by advancing one pointer through the slices of depth d-1
 * that overlap the range: the walk is linear in the slices it visits.
 *
 * Trees are built by one builder (tree_t below) that finds a node's child by
 * label with an open-addressing table, so building, inverting and focusing
 * share it. */
#include "traceview/flame.h"
#include "traceview/demangle.h"
#include "traceview/lod.h"
#include "traceview/error.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the walk */

typedef struct visit {
  uint64_t row;
  uint32_t tag;
} visit_t;

uint64_t tv_walk_range(const tv_store_t *st, const bool *threads, int64_t t0, int64_t t1,
                       tv_walk_fn fn, void *ud) {
  uint64_t visited = 0;
  for (size_t ti = 0; ti < st->t.n_threads; ti++) {
    const tv_thread_t *th = &st->t.threads[ti];
    if (!tv_thread_selected(th, threads, ti)) continue;
    const tv_slices_t *s = &th->slices;
    if (!s->n) continue;
    visit_t *prev = malloc(s->n * sizeof *prev), *cur = malloc(s->n * sizeof *cur);
    if (!prev || !cur) {
      free(prev);
      free(cur);
      return UINT64_MAX;
    }
    size_t n_prev = 0;
    for (uint32_t d = 0; d < th->max_depth; d++) {
      uint64_t e = th->depth_begin[d + 1];
      size_t n_cur = 0, pi = 0;
      for (uint64_t r = tv_slices_first_overlapping(s, th->depth_begin[d], e, t0);
           r < e && s->start_ns[r] < t1; r++) {
        int64_t start = s->start_ns[r], end = start + s->dur_ns[r];
        int64_t clipped = (end < t1 ? end : t1) - (start > t0 ? start : t0);
        if (clipped < 0) clipped = 0;
        /* The parent is the slice of depth d-1 open at this slice's start. */
        while (pi < n_prev && s->start_ns[prev[pi].row] + s->dur_ns[prev[pi].row] <= start) pi++;
        uint64_t parent = UINT64_MAX;
        uint32_t parent_tag = 0;
        if (d > 0 && pi < n_prev && s->start_ns[prev[pi].row] <= start) {
          parent = prev[pi].row;
          parent_tag = prev[pi].tag;
        }
        cur[n_cur].row = r;
        cur[n_cur++].tag = fn(ud, (uint32_t)ti, r, parent, parent_tag, clipped);
        visited++;
      }
      visit_t *tmp = prev;
      prev = cur;
      cur = tmp;
      n_prev = n_cur;
      /* No break on an empty depth: with improperly nested input a deeper
       * slice can overlap the range when its parent does not. */
    }
    free(prev);
    free(cur);
  }
  return visited;
}

/* ------------------------------------------------------ tree building */

typedef struct tree {
  tv_flame_t *f;
  uint64_t *slots; /* child lookup: hash << 32 | (node id + 1); comparing the
                      hash first keeps most probes off the node array */
  size_t mask;
  int oom;
} tree_t;

static uint32_t node_hash(uint32_t parent, uint32_t name, uint32_t detail) {
  uint64_t h = ((uint64_t)parent * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)name << 32 | detail);
  h *= 0xFF51AFD7ED558CCDull;
  return (uint32_t)(h ^ (h >> 32));
}

static int tree_grow_slots(tree_t *t) {
  size_t nslots = t->slots ? (t->mask + 1) * 2 : 4096;
  uint64_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return TV_ENOMEM;
  for (size_t i = 1; i < t->f->n; i++) {
    const tv_flame_node_t *n = &t->f->nodes[i];
    uint32_t h = node_hash(n->parent, n->name, n->detail);
    size_t k = h & (nslots - 1);
    while (slots[k]) k = (k + 1) & (nslots - 1);
    slots[k] = (uint64_t)h << 32 | ((uint32_t)i + 1);
  }
  free(t->slots);
  t->slots = slots;
  t->mask = nslots - 1;
  return 0;
}

static int tree_init(tree_t *t, tv_flame_t *f) {
  memset(t, 0, sizeof *t);
  memset(f, 0, sizeof *f);
  t->f = f;
  f->cap = 1024;
  f->nodes = malloc(f->cap * sizeof *f->nodes);
  if (!f->nodes || tree_grow_slots(t) != 0) {
    free(f->nodes);
    f->nodes = NULL;
    return TV_ENOMEM;
  }
  f->nodes[0] = (tv_flame_node_t){.parent = TV_FLAME_NONE, .first_child = TV_FLAME_NONE,
                                  .next_sibling = TV_FLAME_NONE};
  f->n = 1;
  return 0;
}

/* The child of parent labelled (name, detail), created when new. */
static uint32_t tree_child(tree_t *t, uint32_t parent, uint32_t name, uint32_t detail) {
  tv_flame_t *f = t->f;
  uint32_t h = node_hash(parent, name, detail);
  size_t k = h & t->mask;
  for (uint64_t v; (v = t->slots[k]) != 0; k = (k + 1) & t->mask) {
    if ((uint32_t)(v >> 32) != h) continue;
    const tv_flame_node_t *n = &f->nodes[(uint32_t)v - 1];
    if (n->parent == parent && n->name == name && n->detail == detail) return (uint32_t)v - 1;
  }
  if (f->n >= UINT32_MAX - 1) {
    t->oom = 1;
    return 0;
  }
  if (f->n == f->cap) {
    tv_flame_node_t *grown = realloc(f->nodes, f->cap * 2 * sizeof *grown);
    if (!grown) {
      t->oom = 1;
      return 0;
    }
    f->nodes = grown;
    f->cap *= 2;
  }
  uint32_t id = (uint32_t)f->n++;
  f->nodes[id] = (tv_flame_node_t){.parent = parent, .first_child = TV_FLAME_NONE,
                                   .next_sibling = TV_FLAME_NONE, .name = name,
                                   .detail = detail, .depth = f->nodes[parent].depth + 1};
  t->slots[k] = (uint64_t)h << 32 | (id + 1);
  if (f->n * 2 > t->mask + 1 && tree_grow_slots(t) != 0) t->oom = 1;
  return id;
}

typedef struct sibling_key {
  int64_t total;
  uint32_t name, detail, id;
} sibling_key_t;

static int cmp_sibling(const void *x, const void *y) {
  const sibling_key_t *a = x, *b = y;
  if (a->total != b->total) return a->total > b->total ? -1 : 1;
  if (a->name != b->name) return a->name < b->name ? -1 : 1;
  if (a->detail != b->detail) return a->detail < b->detail ? -1 : 1;
  return 0;
}

/* Links children left-heavy, sets self times (and the root's total when
 * sum_root), frees the lookup table. */
static int tree_finish(tree_t *t, bool sum_root) {
  tv_flame_t *f = t->f;
  free(t->slots);
  t->slots = NULL;
  if (t->oom) {
    tv_flame_free(f);
    return TV_ENOMEM;
  }
  /* Children totals, bottom-up: a child always has a larger id than its parent. */
  int64_t *child_sum = calloc(f->n, sizeof *child_sum);
  uint32_t *count = calloc(f->n + 1, sizeof *count);
  sibling_key_t *keys = malloc(f->n * sizeof *keys);
  if (!child_sum || !count || !keys) {
    free(child_sum);
    free(count);
    free(keys);
    tv_flame_free(f);
    return TV_ENOMEM;
  }
  for (size_t i = f->n; i-- > 1;) {
    tv_flame_node_t *n = &f->nodes[i];
    child_sum[n->parent] = tv_sat_add(child_sum[n->parent], n->total_ns);
    count[n->parent + 1]++;
  }
  if (sum_root) f->nodes[0].total_ns = child_sum[0];
  for (size_t i = 0; i < f->n; i++) {
    int64_t self = f->nodes[i].total_ns - child_sum[i];
    f->nodes[i].self_ns = self > 0 ? self : 0;
  }
  /* Group children by parent (counting sort), order each group, link. */
  for (size_t i = 1; i <= f->n; i++) count[i] += count[i - 1];
  for (size_t i = 1; i < f->n; i++) {
    const tv_flame_node_t *n = &f->nodes[i];
    keys[count[n->parent]++] = (sibling_key_t){n->total_ns, n->name, n->detail, (uint32_t)i};
  }
  size_t begin = 0;
  for (size_t p = 0; p < f->n; p++) {
    size_t end = count[p]; /* after the fill, count[p] is where p's group ends */
    qsort(keys + begin, end - begin, sizeof *keys, cmp_sibling);
    uint32_t prev = TV_FLAME_NONE;
    for (size_t k = end; k-- > begin;) {
      f->nodes[keys[k].id].next_sibling = prev;
      prev = keys[k].id;
    }
    f->nodes[p].first_child = prev;
    begin = end;
  }
  free(child_sum);
  free(count);
  free(keys);
  /* Give back the doubling slack: some trees live as long as the trace. */
  if (f->cap > f->n) {
    tv_flame_node_t *fit = realloc(f->nodes, f->n * sizeof *fit);
    if (fit) {
      f->nodes = fit;
      f->cap = f->n;
    }
  }
  return 0;
}

void tv_flame_free(tv_flame_t *f) {
  if (!f) return;
  free(f->nodes);
  memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------- build */

typedef struct build_ctx {
  tree_t tree;
  const tv_store_t *st;
  tv_flame_label_t label;
} build_ctx_t;

/* The frame label of a slice: (name, detail) string ids as the label kind says. */
static void slice_label(tv_flame_label_t label, const tv_slices_t *s, uint64_t row,
                        uint32_t *name, uint32_t *detail) {
  *name = s->name[row];
  *detail = s->detail[row];
  switch (label) {
    case TV_LABEL_NAME: *detail = 0; break;
    case TV_LABEL_DETAIL:
      if (*detail) *name = *detail;
      *detail = 0;
      break;
    case TV_LABEL_BOTH: break;
  }
}

static uint32_t on_slice(void *ud, uint32_t thread, uint64_t row, uint64_t parent_row,
                         uint32_t parent_tag, int64_t clipped) {
  build_ctx_t *c = ud;
  (void)parent_row;
  uint32_t name, detail;
  slice_label(c->label, &c->st->t.threads[thread].slices, row, &name, &detail);
  uint32_t node = tree_child(&c->tree, parent_tag, name, detail);
  if (c->tree.oom) return 0;
  tv_flame_node_t *n = &c->tree.f->nodes[node];
  n->total_ns = tv_sat_add(n->total_ns, clipped);
  return node;
}

int tv_flame_build(tv_flame_t *f, const tv_store_t *st, const tv_flame_opts_t *o) {
  build_ctx_t c = {.st = st, .label = o->label};
  if (tree_init(&c.tree, f) != 0) return TV_ENOMEM;
  int64_t t0 = o->t0, t1 = o->t1;
  if (t0 >= t1) {
    t0 = INT64_MIN;
    t1 = INT64_MAX;
  }
  if (tv_walk_range(st, o->threads, t0, t1, on_slice, &c) == UINT64_MAX) c.tree.oom = 1;
  return tree_finish(&c.tree, true);
}

/* Callers and callees of one frame straight from the walk, without the
 * whole tree: a slice's tag is 0 outside the frame's outermost occurrences.
 * Callees: inside one, the tag is the slice's node in out + 1, so each slice
 * adds its time under its parent's node. Callers: the tag is 1 inside; at an
 * outermost occurrence the slice's stack is climbed through the parent rows
 * the walk gave (ancestors are visited first: the walk goes depth by depth),
 * adding the occurrence's time along the reversed stack. */
typedef struct focus_ctx {
  tree_t tree;
  const tv_store_t *st;
  tv_flame_label_t label;
  uint32_t name, detail; /* the frame */
  bool callers;
  uint32_t thread;   /* callers: the thread `parents` is for */
  uint64_t *parents; /* callers: per row of that thread, its parent row */
  size_t cap;
} focus_ctx_t;

static uint32_t on_focus_slice(void *ud, uint32_t thread, uint64_t row, uint64_t parent_row,
                               uint32_t parent_tag, int64_t clipped) {
  focus_ctx_t *c = ud;
  if (c->tree.oom) return 0;
  const tv_slices_t *s = &c->st->t.threads[thread].slices;
  uint32_t name, detail;
  if (c->callers) {
    if (thread != c->thread) {
      if (s->n > c->cap) {
        free(c->parents);
        if (!(c->parents = malloc(s->n * sizeof *c->parents))) {
          c->cap = 0;
          c->tree.oom = 1;
          return 0;
        }
        c->cap = s->n;
      }
      c->thread = thread;
    }
    c->parents[row] = parent_row;
    if (parent_tag) return 1;
    slice_label(c->label, s, row, &name, &detail);
    if (name != c->name || detail != c->detail) return 0;
    uint32_t at = TV_FLAME_ROOT;
    for (uint64_t r = row; r != UINT64_MAX; r = c->parents[r]) {
      slice_label(c->label, s, r, &name, &detail);
      at = tree_child(&c->tree, at, name, detail);
      if (c->tree.oom) return 0;
      tv_flame_node_t *n = &c->tree.f->nodes[at];
      n->total_ns = tv_sat_add(n->total_ns, clipped);
    }
    return 1;
  }
  slice_label(c->label, s, row, &name, &detail);
  uint32_t at;
  if (parent_tag) at = parent_tag - 1;
  else if (name == c->name && detail == c->detail) at = TV_FLAME_ROOT;
  else return 0;
  uint32_t node = tree_child(&c->tree, at, name, detail);
  if (c->tree.oom) return 0;
  tv_flame_node_t *n = &c->tree.f->nodes[node];
  n->total_ns = tv_sat_add(n->total_ns, clipped);
  return node + 1;
}

int tv_flame_focus_build(tv_flame_t *out, const tv_store_t *st, const tv_flame_opts_t *o,
                         uint32_t name, uint32_t detail, bool callers) {
  focus_ctx_t c = {.st = st, .label = o->label, .name = name, .detail = detail,
                   .callers = callers, .thread = UINT32_MAX};
  if (tree_init(&c.tree, out) != 0) return TV_ENOMEM;
  int64_t t0 = o->t0, t1 = o->t1;
  if (t0 >= t1) {
    t0 = INT64_MIN;
    t1 = INT64_MAX;
  }
  if (tv_walk_range(st, o->threads, t0, t1, on_focus_slice, &c) == UINT64_MAX) c.tree.oom = 1;
  free(c.parents);
  return tree_finish(&c.tree, true);
}

/* ------------------------------------------------- invert, focus, prune */

static bool same_label(const tv_flame_node_t *a, uint32_t name, uint32_t detail) {
  return a->name == name && a->detail == detail;
}

/* Ends a pruned tree whose root total is set and whose "other" nodes count
 * their folded frames in self_ns: the counts move to detail (tree_child keyed
 * the nodes by detail 0), then the usual finish. */
static int finish_pruned(tree_t *t) {
  tv_flame_t *out = t->f;
  for (size_t i = 1; i < out->n && !t->oom; i++)
    if (out->nodes[i].name == TV_FLAME_OTHER) {
      int64_t folded = out->nodes[i].self_ns;
      out->nodes[i].detail = folded < UINT32_MAX ? (uint32_t)folded : UINT32_MAX;
      out->nodes[i].self_ns = 0;
    }
  return tree_finish(t, false);
}

int tv_flame_invert(tv_flame_t *out, const tv_flame_t *f) {
  tree_t t;
  if (tree_init(&t, out) != 0) return TV_ENOMEM;
  for (size_t i = 1; i < f->n && !t.oom; i++) {
    int64_t self = f->nodes[i].self_ns;
    if (self <= 0) continue;
    /* The reversed stack: this frame first, then its callers. */
    uint32_t at = TV_FLAME_ROOT;
    for (uint32_t v = (uint32_t)i; v != TV_FLAME_ROOT && !t.oom; v = f->nodes[v].parent) {
      at = tree_child(&t, at, f->nodes[v].name, f->nodes[v].detail);
      if (!t.oom) out->nodes[at].total_ns = tv_sat_add(out->nodes[at].total_ns, self);
    }
  }
  return tree_finish(&t, true);
}

/* tv_flame_invert_pruned builds the inverted tree level by level and only
 * below kept nodes: each frame of f with self time walks up its stack one
 * caller per level while its reversed stack so far is a kept node. Frames
 * of one level are grouped into candidate nodes (parent, label) by a table
 * that lives for the level, so the nodes pruning would fold are never made. */
typedef struct inv_walk {
  int64_t self;  /* the self time of the frame of f this walk started from */
  uint32_t anc;  /* the next caller to add (a node of f) */
  uint32_t at;   /* the node of out so far, then the candidate of the level */
} inv_walk_t;

typedef struct inv_cand {
  uint32_t parent, name, detail; /* parent: a node of out */
  uint32_t node;                 /* its node in out, TV_FLAME_NONE when folded */
  int64_t total;
} inv_cand_t;

int tv_flame_invert_pruned(tv_flame_t *out, const tv_flame_t *f, double min_frac) {
  tree_t t;
  if (tree_init(&t, out) != 0) return TV_ENOMEM;
  size_t n_walks = 0, cap_cands = 0;
  inv_walk_t *walks = NULL;
  inv_cand_t *cands = NULL;
  uint32_t *slots = NULL;
  for (size_t i = 1; i < f->n; i++) n_walks += f->nodes[i].self_ns > 0;
  if (n_walks && !(walks = malloc(n_walks * sizeof *walks))) t.oom = 1;
  /* The root's total is the sum of the self times (as tv_flame_invert's). */
  int64_t root = 0;
  for (size_t i = 1, k = 0; i < f->n && !t.oom; i++) {
    int64_t self = f->nodes[i].self_ns;
    if (self <= 0) continue;
    walks[k++] = (inv_walk_t){.self = self, .anc = (uint32_t)i, .at = TV_FLAME_ROOT};
    root = tv_sat_add(root, self);
  }
  out->nodes[0].total_ns = root;
  double threshold = min_frac * (double)root;
  while (n_walks && !t.oom) {
    /* Group the walks by (node so far, next caller's label). */
    size_t nslots = 16;
    while (nslots < n_walks * 2) nslots *= 2;
    free(slots);
    if (!(slots = calloc(nslots, sizeof *slots))) {
      t.oom = 1;
      break;
    }
    size_t n_cands = 0;
    for (size_t w = 0; w < n_walks && !t.oom; w++) {
      const tv_flame_node_t *a = &f->nodes[walks[w].anc];
      uint32_t h = node_hash(walks[w].at, a->name, a->detail);
      size_t k = h & (nslots - 1);
      uint32_t c = UINT32_MAX;
      for (; slots[k]; k = (k + 1) & (nslots - 1)) {
        const inv_cand_t *x = &cands[slots[k] - 1];
        if (x->parent == walks[w].at && x->name == a->name && x->detail == a->detail) {
          c = slots[k] - 1;
          break;
        }
      }
      if (c == UINT32_MAX) {
        if (n_cands == cap_cands) {
          size_t grown_cap = cap_cands ? cap_cands * 2 : 1024;
          inv_cand_t *grown = realloc(cands, grown_cap * sizeof *grown);
          if (!grown) {
            t.oom = 1;
            break;
          }
          cands = grown;
          cap_cands = grown_cap;
        }
        c = (uint32_t)n_cands++;
        cands[c] = (inv_cand_t){walks[w].at, a->name, a->detail, TV_FLAME_NONE, 0};
        slots[k] = c + 1;
      }
      cands[c].total = tv_sat_add(cands[c].total, walks[w].self);
      walks[w].at = c;
    }
    /* Keep or fold each candidate, as tv_flame_prune would. */
    for (size_t c = 0; c < n_cands && !t.oom; c++) {
      inv_cand_t *x = &cands[c];
      if (!((double)x->total < threshold)) {
        x->node = tree_child(&t, x->parent, x->name, x->detail);
        if (!t.oom) out->nodes[x->node].total_ns = x->total;
      } else {
        uint32_t other = tree_child(&t, x->parent, TV_FLAME_OTHER, 0);
        if (t.oom) break;
        tv_flame_node_t *o = &out->nodes[other];
        o->total_ns = tv_sat_add(o->total_ns, x->total);
        o->self_ns++; /* folded frames, moved to detail by finish_pruned */
      }
    }
    /* Walks under kept nodes go on to the next caller; the others end. */
    size_t kept = 0;
    for (size_t w = 0; w < n_walks && !t.oom; w++) {
      uint32_t node = cands[walks[w].at].node;
      uint32_t next = f->nodes[walks[w].anc].parent;
      if (node == TV_FLAME_NONE || next == TV_FLAME_ROOT) continue;
      walks[kept++] = (inv_walk_t){walks[w].self, next, node};
    }
    n_walks = kept;
  }
  free(walks);
  free(cands);
  free(slots);
  return finish_pruned(&t);
}

/* Copies the subtree of f under v into t below `at` (merging by label). */
static void merge_subtree(tree_t *t, uint32_t at, const tv_flame_t *f, uint32_t v) {
  /* Iterative DFS: (source node, destination parent) pairs. */
  size_t cap = 64, n = 0;
  uint32_t (*stack)[2] = malloc(cap * sizeof *stack);
  if (!stack) {
    t->oom = 1;
    return;
  }
  stack[n][0] = v;
  stack[n++][1] = at;
  while (n > 0 && !t->oom) {
    uint32_t src = stack[--n][0], dst_parent = stack[n][1];
    const tv_flame_node_t *sn = &f->nodes[src];
    uint32_t dst = tree_child(t, dst_parent, sn->name, sn->detail);
    if (t->oom) break;
    t->f->nodes[dst].total_ns = tv_sat_add(t->f->nodes[dst].total_ns, sn->total_ns);
    for (uint32_t c = sn->first_child; c != TV_FLAME_NONE; c = f->nodes[c].next_sibling) {
      if (n == cap) {
        void *grown = realloc(stack, (cap *= 2) * sizeof *stack);
        if (!grown) {
          t->oom = 1;
          break;
        }
        stack = grown;
      }
      stack[n][0] = c;
      stack[n++][1] = dst;
    }
  }
  free(stack);
}

int tv_flame_focus(tv_flame_t *out, const tv_flame_t *f, uint32_t name, uint32_t detail,
                   bool callers) {
  tree_t t;
  if (tree_init(&t, out) != 0) return TV_ENOMEM;
  /* Outermost occurrences only, so recursion does not count twice. */
  uint8_t *inside = calloc(f->n ? f->n : 1, 1);
  if (!inside) {
    free(t.slots);
    tv_flame_free(out);
    return TV_ENOMEM;
  }
  for (size_t i = 1; i < f->n && !t.oom; i++) {
    const tv_flame_node_t *n = &f->nodes[i];
    inside[i] = inside[n->parent];
    if (inside[i] || !same_label(n, name, detail)) continue;
    inside[i] = 1;
    if (!callers) {
      merge_subtree(&t, TV_FLAME_ROOT, f, (uint32_t)i);
      continue;
    }
    uint32_t at = TV_FLAME_ROOT;
    for (uint32_t v = (uint32_t)i; v != TV_FLAME_ROOT && !t.oom; v = f->nodes[v].parent) {
      at = tree_child(&t, at, f->nodes[v].name, f->nodes[v].detail);
      if (!t.oom) out->nodes[at].total_ns = tv_sat_add(out->nodes[at].total_ns, n->total_ns);
    }
  }
  free(inside);
  return tree_finish(&t, true);
}

int tv_flame_prune(tv_flame_t *out, const tv_flame_t *f, double min_frac) {
  tree_t t;
  if (tree_init(&t, out) != 0) return TV_ENOMEM;
  if (f->n == 0) return tree_finish(&t, true);
  double threshold = min_frac * (double)f->nodes[0].total_ns;
  uint32_t *map = malloc(f->n * sizeof *map); /* source node -> copy */
  if (!map) {
    t.oom = 1;
    return tree_finish(&t, true);
  }
  map[0] = TV_FLAME_ROOT;
  out->nodes[0].total_ns = f->nodes[0].total_ns;
  /* Parents have smaller ids than children, so one pass in id order works. */
  uint8_t *dropped = calloc(f->n, 1);
  if (!dropped) t.oom = 1;
  for (size_t i = 1; i < f->n && !t.oom; i++) {
    const tv_flame_node_t *n = &f->nodes[i];
    if (dropped[n->parent]) {
      dropped[i] = 1;
      continue;
    }
    uint32_t dst_parent = map[n->parent];
    bool is_other = n->name == TV_FLAME_OTHER;
    if (!is_other && !((double)n->total_ns < threshold)) { /* min_frac 0 keeps everything */
      map[i] = tree_child(&t, dst_parent, n->name, n->detail);
      if (!t.oom) out->nodes[map[i]].total_ns = n->total_ns;
    } else {
      dropped[i] = 1;
      /* "other" keeps the total of what it folds; its detail counts them. An
       * "other" of f (f already pruned) holds frames below a smaller
       * fraction: they fold again, whatever their sum, and count as many
       * frames as before, so pruning a pruned tree at a fraction at least
       * as large answers exactly what pruning the full tree would. */
      uint32_t other = tree_child(&t, dst_parent, TV_FLAME_OTHER, 0);
      if (t.oom) break;
      tv_flame_node_t *o = &out->nodes[other];
      o->total_ns = tv_sat_add(o->total_ns, n->total_ns);
      o->self_ns += is_other ? n->detail : 1; /* moved to detail below */
    }
  }
  free(map);
  free(dropped);
  return finish_pruned(&t);
}

/* --------------------------------------------------------------- text */

static size_t append_text(const tv_store_t *st, uint32_t id, char *buf, size_t at, size_t cap) {
  tv_str_t s = tv_store_str(st, id);
  char *dem = tv_demangle_text(s.p, s.len);
  const char *p = dem ? dem : s.p;
  size_t len = dem ? strlen(dem) : s.len;
  if (at + 1 < cap) {
    size_t n = len < cap - 1 - at ? len : cap - 1 - at;
    memcpy(buf + at, p, n);
    at += n;
  }
  free(dem);
  return at;
}

const char *tv_flame_label_text(const tv_store_t *st, const tv_flame_node_t *n, char *buf,
                                size_t cap) {
  if (cap == 0) return buf;
  if (n->parent == TV_FLAME_NONE) {
    snprintf(buf, cap, "all");
    return buf;
  }
  if (n->name == TV_FLAME_OTHER) {
    snprintf(buf, cap, "other (%u frames)", n->detail);
    return buf;
  }
  size_t at = append_text(st, n->name, buf, 0, cap);
  if (n->name == 0 && at < cap) at += (size_t)snprintf(buf + at, cap - at, "(no name)");
  if (n->detail && at + 2 < cap) {
    memcpy(buf + at, ": ", 2);
    at = append_text(st, n->detail, buf, at + 2, cap);
  }
  buf[at < cap ? at : cap - 1] = '\0';
  return buf;
}

int tv_flame_write_folded(FILE *out, const tv_store_t *st, const tv_flame_t *f) {
  enum { LABEL_CAP = 2048 };
  char *label = malloc(LABEL_CAP);
  uint32_t *path = malloc((f->n ? f->n : 1) * sizeof *path);
  char **text = calloc(f->n ? f->n : 1, sizeof *text); /* each label made once */
  int rc = 0;
  if (!label || !path || !text) {
    rc = TV_ENOMEM;
    goto out;
  }
  /* Depth-first, children in order, so the output follows the tree. */
  uint32_t v = f->n > 1 ? f->nodes[0].first_child : TV_FLAME_NONE;
  while (v != TV_FLAME_NONE) {
    const tv_flame_node_t *n = &f->nodes[v];
    if (!text[v]) {
      tv_flame_label_text(st, n, label, LABEL_CAP);
      /* ';' separates frames and the last space the count: keep both unambiguous. */
      for (char *c = label; *c; c++)
        if (*c == ';') *c = ',';
        else if (*c == '\n' || *c == '\r') *c = ' ';
      if (!(text[v] = strdup(label))) {
        rc = TV_ENOMEM;
        goto out;
      }
    }
    if (n->self_ns > 0) {
      size_t depth = 0;
      for (uint32_t u = v; u != TV_FLAME_ROOT; u = f->nodes[u].parent) path[depth++] = u;
      for (size_t k = depth; k-- > 0;) {
        fputs(text[path[k]], out);
        if (k) fputc(';', out);
      }
      fprintf(out, " %lld\n", (long long)n->self_ns);
    }
    /* next in preorder */
    if (n->first_child != TV_FLAME_NONE) {
      v = n->first_child;
      continue;
    }
    while (v != TV_FLAME_NONE && v != TV_FLAME_ROOT && f->nodes[v].next_sibling == TV_FLAME_NONE)
      v = f->nodes[v].parent;
    v = (v == TV_FLAME_NONE || v == TV_FLAME_ROOT) ? TV_FLAME_NONE : f->nodes[v].next_sibling;
  }
out:
  if (text)
    for (size_t i = 0; i < f->n; i++) free(text[i]);
  free(text);
  free(label);
  free(path);
  if (rc) return rc;
  return ferror(out) ? TV_EIO : 0;
}
