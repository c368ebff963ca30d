// flame_view.js: the flame graph panel: a toolbar (flame / inverted /
// sandwich, order, label), a breadcrumb of the zoomed frame's ancestors and
// the canvas. Asks /flamegraph (through the QueryCache) for the selected
// range and threads; follows the shared analysis state `an.flame`
// (model/analysis_state.js) and reports changes with onChange(push).
//
// Interaction: click a frame to zoom into it (it fills the width; its
// ancestors stay below it, pale, and in the breadcrumb); click an ancestor or
// a breadcrumb entry to zoom back out; right-click for callers and callees
// (the "sandwich"), search and highlight. Hover shows total, self, % of the
// whole graph and % of the parent.

import { fetchLatest } from "../data/latest.js";
import { FlameTree } from "../model/flame.js";
import { selectionParams } from "../model/analysis_state.js";
import { formatDuration, formatCount, formatSamples } from "../model/format.js";
import { drawFlame, depthAtY, rowTop, contentHeight, FLAME_FRAME_H } from "../render/flame.js";
import { UI } from "../render/colors.js";

const SMALL_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const SANDWICH_LABEL_H = 20;

export class FlameView {
  /**
   * els: {root, toolbar, crumbs, box, canvas, menu}
   * o:   {queries (QueryCache), tooltip, an (shared state), onChange(push),
   *       onSearch(text), onHighlightFrame(frame, label)}
   */
  constructor(els, o) {
    this.els = els;
    this.o = o;
    this.an = o.an;
    this.active = false;
    this.trees = null; // {main} or {callers, callees}
    this.loadedKey = null;
    this.wantKey = null;
    this.loading = 0;
    this.error = null;
    this.hover = null; // {band, node}
    this.scroll = { main: null, callers: null, callees: null }; // null: default position
    this.marks = null; // per band {marked, nodes, totalNs}
    this.hl = null;
    this.zoomByView = {}; // the zoom path each view had, restored when switching back
    this.minFrac = null; // finer than the server's default when zoomed deep (see detailFor)
    this.raf = 0;
    this.width = 0;
    this.height = 0;
    this.last = { frames: 0, labels: 0, others: 0, marked: 0 };
    this.destroyed = false;
    this.buildToolbar();
    this.bindCanvas();
    this.ro = new ResizeObserver(() => this.requestRedraw());
    this.ro.observe(els.box);
  }

  destroy() {
    this.destroyed = true;
    this.ro.disconnect();
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    for (const off of this.offs || []) off();
    this.hideMenu();
  }

  busy() {
    return this.raf !== 0 || this.loading > 0;
  }

  setActive(on) {
    this.active = on;
    if (on) this.refresh();
  }

  // ------------------------------------------------------------ toolbar

  buildToolbar() {
    const tb = this.els.toolbar;
    tb.textContent = "";
    this.seg = segmented(
      [
        ["normal", "Flame graph", "Merged call tree, callers below their callees (root at the bottom)"],
        ["inverted", "Inverted", "Leaf-first (icicle): each frame's self time under its reversed stack"],
        ["sandwich", "Sandwich", "Callers and callees of one frame (right-click a frame, or zoom into one first)"],
      ],
      (v) => this.setFlameView(v),
    );
    this.seg.el.setAttribute("aria-label", "Flame graph view");
    const order = select(
      [
        ["heavy", "Left-heavy"],
        ["alpha", "Alphabetical"],
      ],
      (v) => {
        this.an.flame.order = v;
        this.o.onChange(false);
        this.refresh();
      },
    );
    order.title = "Order of sibling frames: heaviest first (the server's order) or by name";
    const label = select(
      [
        ["both", "Name + detail"],
        ["detail", "Detail"],
        ["name", "Name only"],
      ],
      (v) => {
        this.an.flame.label = v;
        this.an.flame.zoom = [];
        this.an.flame.func = null;
        this.zoomByView = {};
        if (this.an.flame.view === "sandwich") this.an.flame.view = "normal";
        this.o.onChange(true);
        this.refresh();
      },
    );
    label.title = "What makes a frame: the slice name, its args.detail (demangled), or both";
    this.orderSel = order;
    this.labelSel = label;
    this.info = el("span", "an-info");
    tb.append(this.seg.el, labelled("Order", order), labelled("Frames", label), el("span", "spacer"), this.info);
  }

  setFlameView(v) {
    const fl = this.an.flame;
    if (v === "sandwich") {
      const z = this.currentFrame();
      if (!fl.func && z) fl.func = z;
      if (!fl.func) {
        this.setMessage("Right-click a frame (or zoom into one) to see its callers and callees.");
        this.seg.set(fl.view);
        return;
      }
    }
    if (v !== fl.view) {
      // a zoom path means something in its own tree only: keep one per view
      this.zoomByView[fl.view] = fl.zoom;
      fl.zoom = this.zoomByView[v] || [];
    }
    fl.view = v;
    this.o.onChange(true);
    this.refresh();
  }

  /** The zoomed frame of the main tree as {name, detail}, or null at the root. */
  currentFrame() {
    const t = this.trees && this.trees.main;
    if (!t || t.zoomed === 0 || t.isOther(t.zoomed)) return null;
    return { name: t.name[t.zoomed], detail: t.detail[t.zoomed] };
  }

  // ------------------------------------------------------------ data

  queryParams() {
    const an = this.an;
    const base = { ...selectionParams(an), label: an.flame.label !== "both" ? an.flame.label : undefined };
    if (an.flame.view === "sandwich" && an.flame.func) {
      const f = an.flame.func;
      const fp = { name: f.name, detail: f.detail || undefined };
      return { callers: { ...base, view: "callers", ...fp }, callees: { ...base, view: "callees", ...fp } };
    }
    return { main: { ...base, view: an.flame.view === "inverted" ? "inverted" : undefined, min_frac: this.minFrac ?? undefined } };
  }

  /** Re-reads the shared state: fetches when the query changed, else re-applies order and zoom. */
  refresh() {
    const fl = this.an.flame;
    this.seg.set(fl.view === "sandwich" && !fl.func ? "normal" : fl.view);
    this.orderSel.value = fl.order;
    this.labelSel.value = fl.label;
    if (!this.active) return;
    if (this.an.threads && this.an.threads.length === 0) {
      this.trees = null;
      this.loadedKey = null;
      this.setMessage("No thread selected: choose threads in the bar above.");
      this.renderCrumbs();
      this.requestRedraw();
      return;
    }
    const q = this.queryParams();
    const key = JSON.stringify(q);
    if (key === this.loadedKey) {
      this.applyState();
      return;
    }
    if (key === this.wantKey) return;
    this.error = null;
    this.setMessage(this.trees ? null : "Loading the flame graph…", true);
    const names = Object.keys(q);
    fetchLatest(
      this,
      key,
      Promise.all(names.map((n) => this.o.queries.get("flamegraph", q[n]))),
      (answers) => {
        this.loadedKey = key;
        const trees = {};
        names.forEach((n, i) => {
          trees[n] = new FlameTree(answers[i], this.an.flame.order);
          if (n !== "main") trees[n].focusOnly();
        });
        this.trees = trees;
        this.scroll = { main: null, callers: null, callees: null };
        this.setMessage(null);
        this.applyState();
        this.o.onLoad && this.o.onLoad();
      },
      (err) => {
        this.error = err;
        this.setMessage("Could not load the flame graph: " + err.message);
        this.requestRedraw();
      },
    );
    this.requestRedraw();
  }

  /** Order, zoom path and highlight from the shared state onto the loaded trees. */
  applyState() {
    const fl = this.an.flame;
    if (!this.trees) return;
    for (const t of Object.values(this.trees)) if (t.order !== fl.order) t.setOrder(fl.order);
    const main = this.trees.main;
    if (main) {
      const { node, matched } = main.resolve(fl.zoom);
      if (main.zoomed !== node) main.zoomTo(node);
      if (matched < fl.zoom.length) {
        // the frame is not in this range's graph: keep the part that is
        fl.zoom = fl.zoom.slice(0, matched);
        this.o.onChange(false);
      }
      this.checkDetail();
    }
    this.computeMarks();
    this.renderCrumbs();
    this.renderInfo();
    this.requestRedraw();
  }

  setHighlight(hl) {
    this.hl = hl;
    this.computeMarks();
    this.renderInfo();
    this.requestRedraw();
  }

  computeMarks() {
    this.marks = null;
    if (!this.trees || !this.hl || !this.hl.exact || this.hl.field === "track") return;
    // with label=detail a frame's `name` is the id of its text (a detail, or
    // the name of a slice without one) and its detail is 0
    const byDetail = this.an.flame.label === "detail";
    const pred = byDetail ? (n) => this.hl.slice(n, n, -1) : (n, d) => this.hl.slice(n, d, -1);
    this.marks = {};
    for (const [k, t] of Object.entries(this.trees)) this.marks[k] = t.matches(pred);
  }

  renderInfo() {
    const t = this.trees && (this.trees.main || this.trees.callees);
    let text = "";
    if (t) {
      text = `${formatDuration(t.total[0])} in ${formatCount(t.n)} frames`;
      if (this.o.sampleNs > 0)
        text = `${formatSamples(t.total[0], this.o.sampleNs)}` +
          (this.o.timed === false ? "" : ` (${formatDuration(t.total[0])})`) + ` in ${formatCount(t.n)} frames`;
      const m = this.marks && (this.marks.main || this.marks.callees);
      if (m && this.hl) {
        const pct = t.total[0] > 0 ? (100 * m.totalNs) / t.total[0] : 0;
        text += ` · ${this.hl.source === "search" ? "matches" : "highlighted"}: ${formatCount(m.nodes)} frames, ${pct.toFixed(pct < 10 ? 1 : 0)}% of the time`;
      }
    }
    this.info.textContent = text;
  }

  setMessage(text, soft = false) {
    const box = this.els.message;
    box.hidden = !text;
    box.textContent = text || "";
    box.classList.toggle("soft", !!soft);
  }

  // ------------------------------------------------------------ breadcrumb

  renderCrumbs() {
    const nav = this.els.crumbs;
    nav.textContent = "";
    const fl = this.an.flame;
    if (!this.trees) return;
    if (this.trees.callers) {
      const t = this.trees.callees;
      const back = el("button", "crumb", "‹ Flame graph");
      back.title = "Back to the whole flame graph";
      back.addEventListener("click", () => this.setFlameView("normal"));
      const cur = el("span", "crumb current", "Callers and callees of " + (t.n > 1 ? t.label(t.focusNode()) : "?"));
      nav.append(back, el("span", "crumb-sep", "·"), cur);
      return;
    }
    const t = this.trees.main;
    const chain = [...t.ancestors(t.zoomed), t.zoomed];
    chain.forEach((i, k) => {
      if (k > 0) nav.append(el("span", "crumb-sep", "›"));
      const last = k === chain.length - 1;
      const b = el(last ? "span" : "button", last ? "crumb current" : "crumb", i === 0 ? (fl.view === "inverted" ? "all (inverted)" : "all") : t.label(i));
      b.title = t.label(i) + (this.o.timed === false ? "" : " · " + formatDuration(t.total[i])) +
        (this.o.sampleNs > 0 ? " · " + formatSamples(t.total[i], this.o.sampleNs) : "");
      if (!last) b.addEventListener("click", () => this.zoom(i));
      nav.append(b);
    });
    if (chain.length > 1) {
      const hint = el("span", "crumb-hint", `${pct(t.fracOfTotal(t.zoomed))} of all · Backspace or click “all” to zoom out`);
      nav.append(hint);
    }
  }

  zoom(node) {
    const t = this.trees && this.trees.main;
    if (!t) return;
    t.zoomTo(node);
    this.an.flame.zoom = t.pathOf(node);
    this.scroll.main = null;
    this.renderCrumbs();
    this.renderInfo();
    this.requestRedraw();
    this.o.onChange(true);
    this.checkDetail();
  }

  /**
   * The server folds frames below min_frac of the whole graph into "other"
   * (default 0.0005). Zoomed into a frame that is a small part of the graph,
   * that would leave it mostly "other": ask again with a finer min_frac (three
   * levels, so answers repeat and stay cached; 5e-6 is about 1 MB on a 144 MB
   * trace). Returns true when a new answer was asked for.
   */
  checkDetail() {
    const t = this.trees && this.trees.main;
    if (!t) return false;
    const want = detailFor(t.fracOfTotal(t.zoomed));
    if (want === this.minFrac) return false;
    this.minFrac = want;
    this.refresh();
    return true;
  }

  /** Zooms out one level (Backspace). */
  zoomOut() {
    const t = this.trees && this.trees.main;
    if (t && t.zoomed > 0) this.zoom(t.parent[t.zoomed]);
  }

  // ------------------------------------------------------------ drawing

  bands() {
    const W = this.width;
    const H = this.height;
    if (!this.trees) return [];
    if (this.trees.main) {
      return [{ key: "main", tree: this.trees.main, x0: 0, width: W, top: 0, height: H, rootAtTop: this.an.flame.view === "inverted" }];
    }
    const half = Math.floor((H - 2 * SANDWICH_LABEL_H) / 2);
    return [
      { key: "callers", tree: this.trees.callers, x0: 0, width: W, top: SANDWICH_LABEL_H, height: half, rootAtTop: false, title: "Callers (who calls it; the frame at the bottom)" },
      { key: "callees", tree: this.trees.callees, x0: 0, width: W, top: 2 * SANDWICH_LABEL_H + half, height: H - 2 * SANDWICH_LABEL_H - half, rootAtTop: true, title: "Callees (what it calls; the frame at the top)" },
    ];
  }

  scrollOf(b) {
    const ch = contentHeight(b.tree, b.height);
    const max = Math.max(0, ch - b.height);
    let s = this.scroll[b.key];
    if (s === null || s === undefined) s = b.rootAtTop ? 0 : max; // root in view by default
    return Math.max(0, Math.min(max, s));
  }

  requestRedraw() {
    if (!this.raf && !this.destroyed) this.raf = requestAnimationFrame(() => this.frame());
  }

  frame() {
    this.raf = 0;
    if (this.destroyed) return;
    const box = this.els.box;
    const W = Math.max(50, box.clientWidth);
    const H = Math.max(40, box.clientHeight);
    const dpr = window.devicePixelRatio || 1;
    this.width = W;
    this.height = H;
    const cv = this.els.canvas;
    cv.style.width = W + "px";
    cv.style.height = H + "px";
    if (cv.width !== Math.round(W * dpr)) cv.width = Math.round(W * dpr);
    if (cv.height !== Math.round(H * dpr)) cv.height = Math.round(H * dpr);
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = UI.background;
    ctx.fillRect(0, 0, W, H);
    const st = { frames: 0, labels: 0, others: 0, marked: 0 };
    for (const b of this.bands()) {
      if (b.title) {
        ctx.fillStyle = UI.header;
        ctx.fillRect(0, b.top - SANDWICH_LABEL_H, W, SANDWICH_LABEL_H);
        ctx.fillStyle = UI.separator;
        ctx.fillRect(0, b.top - 1, W, 1);
        ctx.font = SMALL_FONT;
        ctx.textBaseline = "middle";
        ctx.fillStyle = UI.textMuted;
        ctx.fillText(b.title, 8, b.top - SANDWICH_LABEL_H / 2);
      }
      const s = drawFlame(ctx, {
        tree: b.tree, x0: b.x0, width: b.width, top: b.top, height: b.height, dpr,
        scrollTop: this.scrollOf(b), rootAtTop: b.rootAtTop,
        hover: this.hover && this.hover.band === b.key ? this.hover.node : -1,
        marked: this.marks ? this.marks[b.key].marked : null,
        dimAncestors: true,
      });
      for (const k in st) st[k] += s[k];
    }
    this.last = st;
  }

  // ------------------------------------------------------------ mouse

  /** {band, node} under canvas (x, y), or null. */
  hitAt(x, y) {
    for (const b of this.bands()) {
      if (y < b.top || y >= b.top + b.height) continue;
      const cy = y - b.top + this.scrollOf(b);
      const d = depthAtY(b.tree, cy, b.height, b.rootAtTop);
      if (d < 0) return null;
      const node = b.tree.hit((x - b.x0) / b.width, d);
      return node >= 0 ? { band: b.key, node, tree: b.tree } : null;
    }
    return null;
  }

  bindCanvas() {
    const cv = this.els.canvas;
    const offs = (this.offs = []);
    const on = (t, type, fn, opts) => {
      t.addEventListener(type, fn, opts);
      offs.push(() => t.removeEventListener(type, fn, opts));
    };
    const pos = (e) => {
      const r = cv.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    on(cv, "mousemove", (e) => {
      const [x, y] = pos(e);
      const hit = this.hitAt(x, y);
      const same = (hit && this.hover && hit.band === this.hover.band && hit.node === this.hover.node) || (!hit && !this.hover);
      this.hover = hit ? { band: hit.band, node: hit.node } : null;
      cv.style.cursor = hit ? "pointer" : "";
      if (hit) this.o.tooltip.show(this.tooltipFor(hit), e.clientX, e.clientY);
      else this.o.tooltip.hide();
      if (!same) this.requestRedraw();
    });
    on(cv, "mouseleave", () => {
      this.hover = null;
      this.o.tooltip.hide();
      this.requestRedraw();
    });
    on(cv, "click", (e) => {
      this.hideMenu();
      const [x, y] = pos(e);
      const hit = this.hitAt(x, y);
      if (!hit) return;
      const t = hit.tree;
      if (hit.band === "main") {
        if (!t.isOther(hit.node) || hit.node === 0) this.zoom(hit.node);
      } else if (!t.isOther(hit.node)) {
        // sandwich: the clicked frame becomes the one in the middle
        this.an.flame.func = { name: t.name[hit.node], detail: t.detail[hit.node] };
        this.o.onChange(true);
        this.refresh();
      }
    });
    on(cv, "contextmenu", (e) => {
      const [x, y] = pos(e);
      const hit = this.hitAt(x, y);
      if (!hit || hit.tree.isOther(hit.node) || (hit.band === "main" && hit.node === 0 && hit.tree.name[0] === 0)) return;
      e.preventDefault();
      this.o.tooltip.hide();
      this.showMenu(hit, e.clientX, e.clientY);
    });
    on(cv, "wheel", (e) => {
      const b = this.bands().find((bb) => {
        const [, y] = pos(e);
        return y >= bb.top && y < bb.top + bb.height;
      });
      if (!b) return;
      const ch = contentHeight(b.tree, b.height);
      if (ch <= b.height) return;
      e.preventDefault();
      this.scroll[b.key] = Math.max(0, Math.min(ch - b.height, this.scrollOf(b) + e.deltaY));
      this.requestRedraw();
    }, { passive: false });
    on(window, "mousedown", (e) => {
      if (this.els.menu && !this.els.menu.hidden && !this.els.menu.contains(e.target)) this.hideMenu();
    });
  }

  tooltipFor(hit) {
    const t = hit.tree;
    const i = hit.node;
    const rows = [
      ["Total", `${formatDuration(t.total[i])} (${pct(t.fracOfTotal(i))} of all)`],
      ["Self", formatDuration(t.self[i])],
    ];
    const sn = this.o.sampleNs;
    if (sn > 0) {
      // a sampled profile: time is samples x sample_ns
      rows.unshift(["Samples", `${formatSamples(t.total[i], sn)} (${pct(t.fracOfTotal(i))})`]);
      rows.push(["Self samples", formatSamples(t.self[i], sn)]);
    }
    if (i > 0) rows.push(["Of parent", pct(t.fracOfParent(i))]);
    const nm = t.str(t.name[i]);
    const dt = t.detail[i] && !t.isOther(i) ? t.str(t.detail[i]) : "";
    return {
      kind: "info",
      key: "frame:" + hit.band + ":" + i,
      title: t.isOther(i) ? t.label(i) : i === 0 && t.name[0] === 0 ? "all" : nm || dt || "(unnamed)",
      detail: nm ? dt : "",
      rows,
      hint: t.isOther(i)
        ? "frames below the size limit, folded into one"
        : hit.band === "main"
          ? "click to zoom · right-click for callers and callees"
          : "click to centre the sandwich on this frame",
    };
  }

  // ------------------------------------------------------------ context menu

  showMenu(hit, clientX, clientY) {
    const menu = this.els.menu;
    menu.textContent = "";
    const t = hit.tree;
    const i = hit.node;
    const frame = { name: t.name[i], detail: t.detail[i] };
    const text = t.detail[i] ? t.str(t.detail[i]) : t.str(t.name[i]);
    const item = (label, fn) => {
      const b = el("button", "menu-item", label);
      b.addEventListener("click", () => {
        this.hideMenu();
        fn();
      });
      menu.appendChild(b);
    };
    const title = el("div", "menu-title", t.label(i));
    menu.appendChild(title);
    if (hit.band === "main") item("Zoom into this frame", () => this.zoom(i));
    item("Callers and callees (sandwich)", () => {
      this.an.flame.func = frame;
      if (this.an.flame.view === "sandwich") {
        this.o.onChange(true);
        this.refresh();
      } else this.setFlameView("sandwich");
    });
    item("Highlight on the timeline", () => this.o.onHighlightFrame && this.o.onHighlightFrame(frame, t.label(i)));
    if (text) item(`Search for “${text.length > 40 ? text.slice(0, 40) + "…" : text}”`, () => this.o.onSearch && this.o.onSearch(text));
    menu.hidden = false;
    const w = menu.offsetWidth;
    const h = menu.offsetHeight;
    const x = Math.min(clientX, window.innerWidth - w - 4);
    const y = Math.min(clientY, window.innerHeight - h - 4);
    menu.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  hideMenu() {
    if (this.els.menu) this.els.menu.hidden = true;
  }

  // ------------------------------------------------------------ state (tests)

  state() {
    const trees = this.trees;
    const out = {
      active: this.active,
      view: this.an.flame.view,
      order: this.an.flame.order,
      label: this.an.flame.label,
      loading: this.loading > 0,
      error: this.error ? this.error.message : null,
      loaded: !!trees,
      drawn: { ...this.last },
    };
    if (!trees) return out;
    const t = trees.main || trees.callees;
    out.nodes = t.n;
    out.totalNs = t.total[0];
    out.samples = this.o.sampleNs > 0 ? Math.round(t.total[0] / this.o.sampleNs) : null;
    out.info = this.info ? this.info.textContent : "";
    out.start = t.start;
    out.end = t.end;
    if (trees.main) {
      const z = t.zoomed;
      out.zoom = { node: z, depth: t.depth[z], label: z === 0 ? "all" : t.label(z), total: t.total[z], path: t.pathOf(z) };
      out.minFrac = this.minFrac;
      out.breadcrumb = [...this.els.crumbs.querySelectorAll(".crumb")].map((b) => b.textContent);
      const b = this.bands()[0];
      if (b) {
        const zy = b.top + rowTop(t, t.depth[z], b.height, b.rootAtTop) - this.scrollOf(b);
        out.zoomRect = { x: b.x0 + t.x0[z] * b.width, y: zy, w: (t.x1[z] - t.x0[z]) * b.width, h: FLAME_FRAME_H };
        out.width = b.width;
        out.sample = this.sampleFrame(t, b);
      }
    } else {
      out.func = trees.callees.n > 1 ? trees.callees.label(trees.callees.focusNode()) : null;
      out.callers = { nodes: trees.callers.n, totalNs: trees.callers.total[0] };
      out.callees = { nodes: trees.callees.n, totalNs: trees.callees.total[0] };
    }
    if (this.marks) {
      const m = this.marks.main || this.marks.callees;
      out.marked = { nodes: m.nodes, totalNs: m.totalNs };
    }
    return out;
  }

  /** A frame to click (for tests): the widest child of the zoomed frame that has children. */
  sampleFrame(t, b) {
    let best = -1;
    const z = t.zoomed;
    const stack = [...t.children(z)];
    while (stack.length) {
      const i = stack.pop();
      if (t.isOther(i)) continue;
      if (best < 0 || (t.x1[i] - t.x0[i] > t.x1[best] - t.x0[best] && t.total[i] < t.total[z])) best = i;
    }
    if (best < 0) return null;
    const y = b.top + rowTop(t, t.depth[best], b.height, b.rootAtTop) - this.scrollOf(b) + FLAME_FRAME_H / 2;
    return {
      node: best, label: t.label(best), total: t.total[best], depth: t.depth[best],
      x: b.x0 + ((t.x0[best] + t.x1[best]) / 2) * b.width, y,
      frame: { name: t.name[best], detail: t.detail[best] },
    };
  }
}

/** The min_frac to ask for when the zoomed frame is `frac` of the whole graph. */
export function detailFor(frac) {
  return frac >= 0.1 ? null : frac >= 0.01 ? 5e-5 : 5e-6;
}

// ------------------------------------------------------------ small DOM helpers

function el(tag, cls = "", text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function pct(f) {
  const p = 100 * f;
  return (p >= 99.95 ? "100" : p >= 10 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p > 0 ? "<0.1" : "0") + "%";
}

/** A segmented control: [[value, label, title]]; returns {el, set(value)}. */
export function segmented(items, onPick) {
  const box = el("div", "seg");
  box.setAttribute("role", "group");
  const buttons = new Map();
  for (const [v, label, title] of items) {
    const b = el("button", "seg-btn", label);
    b.type = "button";
    b.dataset.value = v;
    if (title) b.title = title;
    b.addEventListener("click", () => onPick(v));
    buttons.set(v, b);
    box.appendChild(b);
  }
  return {
    el: box,
    set(v) {
      for (const [k, b] of buttons) {
        b.classList.toggle("on", k === v);
        b.setAttribute("aria-pressed", k === v ? "true" : "false");
      }
    },
  };
}

export function select(items, onPick) {
  const s = el("select", "sel");
  for (const [v, label] of items) {
    const o = el("option", "", label);
    o.value = v;
    s.appendChild(o);
  }
  s.addEventListener("change", () => onPick(s.value));
  return s;
}

export function labelled(text, control) {
  const l = el("label", "lbl");
  l.append(el("span", "lbl-text", text), control);
  return l;
}
