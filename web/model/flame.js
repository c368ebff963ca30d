// flame.js: a flame graph answer (docs/api.md "flamegraph") as a tree the
// renderer can lay out: children lists in a chosen order, labels, zoom by a
// path of frames, x extents relative to the zoomed frame, hit testing and
// search matches. No DOM.
//
// Spaces: "frac" is a fraction of the zoomed frame's total (0..1 across the
// canvas width); rows are node depths (root 0). The zoomed frame spans
// [0, 1]; its ancestors span [0, 1] too (they are drawn as context), and
// everything outside its subtree is not laid out.

export const OTHER = -1; // `name` of an "other" node (folded small frames)

export class FlameTree {
  /** j: the /flamegraph JSON; order: "heavy" (server order) or "alpha". */
  constructor(j, order = "heavy") {
    const nd = j.nodes || {};
    this.view = j.view;
    this.start = j.start;
    this.end = j.end;
    this.totalNs = j.total_ns;
    this.strings = j.strings || {};
    this.parent = Int32Array.from(nd.parent || []);
    this.name = Int32Array.from(nd.name || []);
    this.detail = Float64Array.from(nd.detail || []);
    this.depth = Int32Array.from(nd.depth || []);
    this.total = Float64Array.from(nd.total || []);
    this.self = Float64Array.from(nd.self || []);
    this.n = this.parent.length;
    this.maxDepth = 0;
    for (let i = 0; i < this.n; i++) if (this.depth[i] > this.maxDepth) this.maxDepth = this.depth[i];
    this.labels = new Array(this.n);
    this.base = 0; // rows above the root not drawn (see focusOnly)
    this.setOrder(order);
    this.zoomTo(0);
  }

  /** For callers/callees answers (root "all" -> the frame -> ...): shows the
   *  frame as the root, dropping the row of "all". */
  focusOnly() {
    if (this.n > 1 && this.children(0).length === 1) {
      this.zoomTo(this.children(0)[0]);
      this.base = this.depth[this.zoomed];
    }
    return this;
  }

  /** The frame a callers/callees tree is about (node 1 under "all"). */
  focusNode() {
    return this.base > 0 ? this.zoomed : 0;
  }

  str(id) {
    return id > 0 ? this.strings[id] ?? "#" + id : "";
  }

  isOther(i) {
    return this.name[i] === OTHER;
  }

  /** "OptFunction: memchr::foo", "other (12 frames)", "all". */
  label(i) {
    let s = this.labels[i];
    if (s !== undefined) return s;
    if (i === 0 && this.parent[0] === -1 && this.name[0] === 0) s = "all";
    else if (this.isOther(i)) s = `other (${this.detail[i]} frame${this.detail[i] === 1 ? "" : "s"})`;
    else {
      const a = this.str(this.name[i]);
      const b = this.detail[i] ? this.str(this.detail[i]) : "";
      s = a && b ? a + ": " + b : a || b || "(unnamed)";
    }
    this.labels[i] = s;
    return s;
  }

  /** The name text (colours follow the name, as in the timeline). */
  nameText(i) {
    return this.isOther(i) ? "" : this.str(this.name[i]);
  }

  /** Children lists: left-heavy (the server's order) or alphabetical. */
  setOrder(order) {
    this.order = order;
    const kids = new Array(this.n);
    for (let i = 0; i < this.n; i++) kids[i] = null;
    for (let i = 1; i < this.n; i++) {
      const p = this.parent[i];
      if (p < 0) continue;
      (kids[p] || (kids[p] = [])).push(i);
    }
    if (order === "alpha") {
      for (const k of kids) {
        if (!k || k.length < 2) continue;
        // "other" last, then by label
        k.sort((a, b) => (this.isOther(a) - this.isOther(b)) || cmp(this.label(a), this.label(b)) || a - b);
      }
    }
    this.kids = kids;
    if (this.zoomed !== undefined) this.layout();
  }

  children(i) {
    return this.kids[i] || EMPTY;
  }

  /** The frames from the root's child down to i, as {name, detail} ids. */
  pathOf(i) {
    const out = [];
    for (let k = i; k > 0; k = this.parent[k]) out.push({ name: this.name[k], detail: this.detail[k] });
    return out.reverse();
  }

  /** Follows a path of {name, detail}; returns {node, matched} (deepest found). */
  resolve(path) {
    let node = 0;
    let matched = 0;
    for (const f of path || []) {
      const next = this.children(node).find((c) => this.name[c] === f.name && this.detail[c] === (f.detail || 0));
      if (next === undefined) break;
      node = next;
      matched++;
    }
    return { node, matched };
  }

  /** Ancestors of i from the root down (not including i). */
  ancestors(i) {
    const out = [];
    for (let k = this.parent[i]; k >= 0; k = this.parent[k]) out.push(k);
    return out.reverse();
  }

  /** Zooms to node i (0: the root) and lays out its subtree. */
  zoomTo(i) {
    this.zoomed = i >= 0 && i < this.n ? i : 0;
    this.layout();
  }

  /** x0/x1 (fractions) for the zoomed subtree and its ancestors; rows by depth. */
  layout() {
    const n = this.n;
    const x0 = (this.x0 = new Float64Array(n).fill(NaN));
    const x1 = (this.x1 = new Float64Array(n).fill(NaN));
    const z = this.zoomed;
    for (const a of this.ancestors(z)) {
      x0[a] = 0;
      x1[a] = 1;
    }
    const zt = this.total[z] > 0 ? this.total[z] : 1;
    x0[z] = 0;
    x1[z] = 1;
    const stack = [z];
    let maxRow = this.depth[z];
    while (stack.length) {
      const p = stack.pop();
      let x = x0[p];
      for (const c of this.children(p)) {
        x0[c] = x;
        x += this.total[c] / zt;
        x1[c] = x;
        if (this.depth[c] > maxRow) maxRow = this.depth[c];
        if (this.kids[c]) stack.push(c);
      }
    }
    this.rows = maxRow + 1;
    // per depth, the laid-out nodes sorted by x0 (for hit tests)
    const byDepth = [];
    for (let d = 0; d < this.rows; d++) byDepth.push([]);
    for (let i = 0; i < n; i++) if (!Number.isNaN(x0[i])) byDepth[this.depth[i]].push(i);
    for (const row of byDepth) row.sort((a, b) => x0[a] - x0[b] || this.depth[a] - this.depth[b]);
    this.byDepth = byDepth;
  }

  /** The laid-out node at fraction x in row `depth`, or -1. */
  hit(x, depth) {
    const row = this.byDepth[depth];
    if (!row || !row.length) return -1;
    let lo = 0;
    let hi = row.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.x0[row[mid]] <= x) lo = mid;
      else hi = mid - 1;
    }
    const i = row[lo];
    return x >= this.x0[i] && x < this.x1[i] ? i : x === 1 && this.x1[i] === 1 ? i : -1;
  }

  /** Fraction of the whole tree (the root's total). */
  fracOfTotal(i) {
    return this.total[0] > 0 ? this.total[i] / this.total[0] : 0;
  }

  fracOfParent(i) {
    const p = this.parent[i];
    return p >= 0 && this.total[p] > 0 ? this.total[i] / this.total[p] : 1;
  }

  /**
   * Marks the frames for which pred(nameId, detailId) is true (a Set of ids
   * also works: name or detail in it); returns {marked: Uint8Array, nodes,
   * totalNs}: totalNs sums the outermost marked frames (a marked frame inside
   * another marked one is not counted twice).
   */
  matches(pred) {
    const marked = new Uint8Array(this.n);
    let nodes = 0;
    let totalNs = 0;
    if (!pred) return { marked, nodes, totalNs };
    if (pred instanceof Set) {
      const ids = pred;
      pred = (n, d) => ids.has(n) || (d !== 0 && ids.has(d));
    }
    const inside = new Uint8Array(this.n); // a marked ancestor exists
    for (let i = 1; i < this.n; i++) {
      const p = this.parent[i];
      if (p > 0 && (marked[p] || inside[p])) inside[i] = 1;
      if (this.isOther(i)) continue;
      if (pred(this.name[i], this.detail[i])) {
        marked[i] = 1;
        nodes++;
        if (!inside[i]) totalNs += this.total[i];
      }
    }
    return { marked, nodes, totalNs };
  }
}

const EMPTY = Object.freeze([]);

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
