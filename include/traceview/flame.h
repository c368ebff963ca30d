/* flame.h: flame graphs (merged call trees) over a time range and a set of
 * threads, built from the index (tv_walk_range), never from raw events.
 *
 * A frame is identified by its slice's (name, detail) string ids; which of
 * them make the label is the caller's choice (tv_flame_label_t). Durations
 * are clipped to the range: a slice partly inside counts only its part
 * inside (docs/api.md, "Ranges"). */
#ifndef TRACEVIEW_FLAME_H
#define TRACEVIEW_FLAME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "traceview/store.h"

#define TV_FLAME_ROOT 0u
#define TV_FLAME_NONE UINT32_MAX
#define TV_FLAME_OTHER UINT32_MAX /* name id of an "other" node (pruned frames) */

typedef enum tv_flame_label {
  TV_LABEL_BOTH,   /* name, plus ": detail" when the slice has one (default) */
  TV_LABEL_DETAIL, /* the detail when present, else the name */
  TV_LABEL_NAME,   /* the name only */
} tv_flame_label_t;

typedef struct tv_flame_node {
  uint32_t parent;       /* TV_FLAME_NONE for the root */
  uint32_t first_child;  /* TV_FLAME_NONE when a leaf; children are ordered by */
  uint32_t next_sibling; /*   total descending, then label ids (left-heavy) */
  uint32_t name, detail; /* string ids; detail is 0 unless the label uses it;
                            name is TV_FLAME_OTHER for an "other" node, whose
                            detail then holds the number of frames folded */
  uint32_t depth;        /* root 0 */
  int64_t total_ns;      /* time in this frame, children included */
  int64_t self_ns;       /* total minus the children's totals */
} tv_flame_node_t;

typedef struct tv_flame {
  tv_flame_node_t *nodes; /* nodes[0] is the root ("all") */
  size_t n, cap;
} tv_flame_t;

/* ---- walking slices in a range ---- */

/** what tv_walk_range reports for each slice overlapping [t0, t1): the slice
 *  (thread, row), its parent's row (UINT64_MAX at the top) and the tag the
 *  callback returned for the parent (0 at the top), and its duration clipped
 *  to the range. The callback returns this slice's tag (e.g. a flame node or
 *  a group id), handed to its children. */
typedef uint32_t (*tv_walk_fn)(void *ud, uint32_t thread, uint64_t row, uint64_t parent_row,
                               uint32_t parent_tag, int64_t clipped_ns);

/** calls fn for every slice of the selected threads (threads[i] true, or all
 *  when threads is NULL) overlapping [t0, t1) (absolute ns), depth by depth so
 *  parents come before their children. Returns the number of slices visited,
 *  or UINT64_MAX when out of memory. */
uint64_t tv_walk_range(const tv_store_t *st, const bool *threads, int64_t t0, int64_t t1,
                       tv_walk_fn fn, void *ud);

/* ---- building ---- */

typedef struct tv_flame_opts {
  int64_t t0, t1;          /* absolute ns; t0 >= t1 means the whole trace */
  const bool *threads;     /* per store thread, or NULL for all */
  tv_flame_label_t label;
} tv_flame_opts_t;

/** the merged call tree, root first; 0 or TV_ENOMEM */
int tv_flame_build(tv_flame_t *f, const tv_store_t *st, const tv_flame_opts_t *o);
/** leaf-first (icicle) tree of f: each node's self time under its reversed stack */
int tv_flame_invert(tv_flame_t *out, const tv_flame_t *f);
/** prune(invert(f), min_frac) (see tv_flame_prune), node for node, without
 *  building the whole inverted tree, which can have several times f's nodes:
 *  only the kept nodes and one "other" per parent are made */
int tv_flame_invert_pruned(tv_flame_t *out, const tv_flame_t *f, double min_frac);
/** callees of frame (name, detail): the subtrees of its outermost occurrences
 *  merged under one root; callers (when callers is true): the inverted paths
 *  from those occurrences up to the root, weighted by their totals */
int tv_flame_focus(tv_flame_t *out, const tv_flame_t *f, uint32_t name, uint32_t detail,
                   bool callers);
/** tv_flame_focus(out, tree, name, detail, callers) of the tree that
 *  tv_flame_build(tree, st, o) would make, node for node, without making
 *  that tree: one walk, nodes only for what is under the frame's outermost
 *  occurrences (callees) or on their stacks (callers) */
int tv_flame_focus_build(tv_flame_t *out, const tv_store_t *st, const tv_flame_opts_t *o,
                         uint32_t name, uint32_t detail, bool callers);
/** folds children below min_frac of the root's total into one "other" child
 *  per parent (totals kept); returns a new tree. An "other" node of f folds
 *  again (its frames count in the new one's detail) whatever its total, so
 *  for b >= a, prune(prune(f, a), b) equals prune(f, b) node for node */
int tv_flame_prune(tv_flame_t *out, const tv_flame_t *f, double min_frac);
void tv_flame_free(tv_flame_t *f);

/** text of a node's label as the CLI shows it (demangled); NUL-terminated,
 *  written to buf (truncated to cap) */
const char *tv_flame_label_text(const tv_store_t *st, const tv_flame_node_t *n, char *buf,
                                size_t cap);

/* ---- output (CLI) ---- */

/** folded stacks ("a;b;c 1234" with self time in ns), one line per node with
 *  self time, in tree order; frame text has ';' and newlines replaced */
int tv_flame_write_folded(FILE *out, const tv_store_t *st, const tv_flame_t *f);

typedef struct tv_flame_svg_opts {
  const char *title;    /* e.g. "trace.json" */
  const char *subtitle; /* e.g. "range 1.2 s .. 3.4 s, 12 threads" or NULL */
  int width;            /* pixels, default 1200 */
  bool inverted;        /* icicle: root at the top */
} tv_flame_svg_opts_t;

/** a standalone interactive SVG (hover titles, click to zoom, search, like
 *  flamegraph.pl's); 0, TV_EIO (write error) or TV_ENOMEM */
int tv_flame_write_svg(FILE *out, const tv_store_t *st, const tv_flame_t *f,
                       const tv_flame_svg_opts_t *o);

#endif
