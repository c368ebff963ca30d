// timeline_view.js: one open trace: the minimap, the ruler, the tracks
// canvas, the frame loop and the selection. It owns the tile cache of the
// trace, asks it each frame for the tiles in view (visible first, then one
// tile of padding each side) and redraws only when something changed
// (view moved, tile arrived, hover changed), in requestAnimationFrame.

import { TimeScale } from "../model/timescale.js";
import { formatDuration } from "../model/format.js";
import { TileCache } from "../data/tile_cache.js";
import { StringTable } from "../data/strings.js";
import { drawTimeline, hitTest } from "../render/timeline.js";
import { drawRuler } from "../render/ruler.js";
import { drawMinimap } from "../render/minimap.js";
import { drawFlows } from "../render/flows.js";
import { QueryCache } from "../data/query_cache.js";
import { UI } from "../render/colors.js";
import { TrackList, NAME_W } from "./tracks.js";
import { PanZoomInput } from "./input.js";

const FLOW_DELAY_MS = 120; // debounce: ask /flows once the view rests
const FLOW_BUDGET = 4 * 1024 * 1024;
const SMALL_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export class TimelineView {
  /**
   * els: {root, minimap, ruler, tracks (canvas), tracksBox, status}
   * o:   {traceId, meta, api, events (EventCache), tooltip, details,
   *       initial: {range, selected, rangeSel, collapsed}, onChange(),
   *       onRangeSelect([a, b] | null), budgetBytes,
   *       noTimeline (folded stacks: nothing to draw, nothing to fetch)}
   */
  constructor(els, o) {
    this.els = els;
    this.o = o;
    this.meta = o.meta;
    this.id = o.traceId;
    this.buckets = this.meta.tile_buckets || 256;
    this.maxLevel = this.meta.max_level ?? 40;
    this.scale = new TimeScale(this.meta.duration_ns, 1000);
    this.strings = new StringTable();
    this.cache = new TileCache({
      fetchTile: (track, level, index) => o.api.tile(this.id, track, level, index),
      strings: this.strings,
      onLoad: () => this.requestRedraw(),
      budgetBytes: o.budgetBytes,
    });
    this.tracks = new TrackList(this.meta, (o.initial && o.initial.collapsed) || []);
    this.rangeSel = (o.initial && o.initial.rangeSel) || null; // the selected range [a, b] ns
    this.rangeLive = null; // while dragging
    this.highlight = null; // a matcher (model/highlight.js)
    this.selected = null; // {track, id, start, dur, depth}
    this.hover = null; // a hit (render/timeline.js)
    this.hoverNs = null;
    this.overview = null;
    this.raf = 0;
    this.frameDesc = null;
    this.noTimeline = !!o.noTimeline;
    // flow arrows: the answer of /flows for a window around the visible range
    this.flowTotal = (this.meta.counts && this.meta.counts.flows) || 0;
    this.flowsOn = true;
    this.flowCache = new QueryCache((ep, params) => o.api.flows(this.id, params), FLOW_BUDGET);
    this.flows = null; // {start, end, list, truncated}
    this.flowWant = null; // the window asked for (key)
    this.flowTimer = 0;
    this.lastFlows = { drawn: 0, highlighted: 0 };
    this.last = { slices: 0, summaries: 0, instants: 0, samples: 0, placeholders: 0, fallbacks: 0, labels: 0, sample: null, level: 0, rows: 0 };
    this.frames = 0;
    this.dpr = window.devicePixelRatio || 1;
    this.width = 0;
    this.height = 0;
    this.pendingRange = o.initial && o.initial.range;
    this.destroyed = false;

    this.input = new PanZoomInput(this);
    this.input.attach(els.tracks, els.root);
    this.bindMinimap();
    this.bindRuler();
    this.ro = new ResizeObserver(() => {
      this.needResize = true;
      this.requestRedraw();
    });
    this.ro.observe(els.tracksBox);
    this.needResize = true;
    this.resize();
    if (o.initial && o.initial.selected) this.select(o.initial.selected, null, { reveal: true, keepRange: !!o.initial.range });
    if (!this.noTimeline) this.loadOverview();
    this.requestRedraw();
  }

  destroy() {
    this.destroyed = true;
    this.input.detach();
    this.ro.disconnect();
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    clearTimeout(this.flowTimer);
    this.flowTimer = 0;
    for (const off of this.minimapOff || []) off();
    for (const off of this.rulerOff || []) off();
    this.cache.clear();
  }

  // ------------------------------------------------------------ frame loop

  requestRedraw() {
    if (!this.raf && !this.destroyed) this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  /** True when a frame is queued or a held key keeps the view moving. */
  busy() {
    return this.raf !== 0 || this.input.animating || this.flowTimer !== 0 || this.flowCache.stats().pending > 0;
  }

  resize() {
    const box = this.els.tracksBox;
    const w = Math.max(NAME_W + 50, box.clientWidth);
    const h = Math.max(40, box.clientHeight);
    const dpr = window.devicePixelRatio || 1;
    this.needResize = false;
    if (w === this.width && h === this.height && dpr === this.dpr && this.els.tracks.width) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    size(this.els.tracks, w, h, dpr);
    size(this.els.minimap, w, this.els.minimap.clientHeight || 36, dpr);
    size(this.els.ruler, w, this.els.ruler.clientHeight || 26, dpr);
    const tw = w - NAME_W;
    if (this.pendingRange) {
      this.scale.setWidth(tw);
      this.scale.set(this.pendingRange[0], this.pendingRange[1]);
      this.pendingRange = null;
    } else {
      this.scale.setWidth(tw);
      this.scale.clamp();
    }
    this.tracks.clampScroll(h);
  }

  frame(now) {
    this.raf = 0;
    if (this.destroyed || this.noTimeline) return;
    const tStart = performance.now();
    const moving = this.input.step(now);
    if (this.needResize || (window.devicePixelRatio || 1) !== this.dpr) this.resize();
    const { dpr, width: W, height: H, scale } = this;
    const x0 = NAME_W;
    const tw = W - NAME_W;
    this.tracks.clampScroll(H);
    const level = scale.level(this.maxLevel);
    const rows = this.tracks.visible(H);
    this.cache.beginFrame();

    // minimap
    const mm = this.els.minimap;
    const mctx = mm.getContext("2d");
    const mh = mm.height / dpr;
    mctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    mctx.clearRect(0, 0, W, mh);
    leftLabel(mctx, mh, "Overview", this.overview ? null : "loading…");
    drawMinimap(mctx, { x0, width: tw, height: mh, overview: this.overview, duration: scale.duration, t0: scale.t0, t1: scale.t1, dpr });

    // ruler
    const ru = this.els.ruler;
    const rctx = ru.getContext("2d");
    const rh = ru.height / dpr;
    rctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    rctx.clearRect(0, 0, W, rh);
    leftLabel(rctx, rh, formatDuration(scale.span), "visible");
    const sel = this.selected;
    const range = this.rangeLive || this.rangeSel;
    const grid = drawRuler(rctx, {
      x0, width: tw, height: rh, scale, hoverNs: this.rangeLive ? null : this.hoverNs,
      highlight: sel && sel.start != null ? [sel.start, sel.start + sel.dur] : null,
      range,
    });

    // tracks
    const ctx = this.els.tracks.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const f = {
      x0, width: tw, height: H, dpr, scrollY: this.tracks.scrollY, rows, scale, level,
      buckets: this.buckets, maxLevel: this.maxLevel,
      getTile: (t, l, i) => this.cache.get(t, l, i),
      str: (id) => this.strings.get(id),
      grid, selected: sel, hover: this.hover && this.hover.kind === "slice" ? this.hover : null,
      highlight: this.highlight, range,
    };
    const st = drawTimeline(ctx, f);
    this.wantFlows();
    this.lastFlows =
      this.flowsOn && this.flows
        ? drawFlows(ctx, f, this.flows.list, (t) => this.tracks.rowOf(t), sel)
        : { drawn: 0, highlighted: 0 };
    this.tracks.drawNames(ctx, rows, H);
    if (!rows.length) {
      ctx.fillStyle = UI.textMuted;
      ctx.font = SMALL_FONT;
      ctx.fillText("This trace has no tracks.", x0 + 16, 24);
    }
    this.frameDesc = f;

    // what to fetch: visible tiles first, then one tile of padding each side
    const [a, b] = scale.tileRange(level, this.buckets, 0);
    const [pa, pb] = scale.tileRange(level, this.buckets, 1);
    for (const row of rows) {
      if (row.kind === "process") continue;
      if (row.empty) continue;
      for (let i = a; i <= b; i++) this.cache.want(row.track, level, i, 0);
      if (pa < a) this.cache.want(row.track, level, pa, 1);
      if (pb > b) this.cache.want(row.track, level, pb, 1);
    }
    this.cache.endFrame();

    this.last = { ...st, level, rows: rows.length, ms: performance.now() - tStart };
    this.frames++;
    this.updateStatus();
    if (moving) this.requestRedraw();
    const key = `${scale.t0},${scale.t1},${sel ? sel.track + ":" + sel.id : ""},${[...this.tracks.collapsed].join(".")}`;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.o.onChange && this.o.onChange();
    }
  }

  updateStatus() {
    const s = this.cache.stats();
    const el = this.els.status;
    if (!el) return;
    const npp = this.scale.nsPerPx();
    el.textContent =
      `${formatDuration(npp)}/px · level ${this.last.level} · ` +
      `${s.cached} tiles (${(s.bytes / 1048576).toFixed(1)} MB)` +
      (s.pending ? ` · loading ${s.pending}` : "") +
      ` · ${this.last.slices.toLocaleString("en-US")} slices drawn` +
      this.flowStatus();
  }

  flowStatus() {
    if (!this.flowTotal) return "";
    if (!this.flowsOn) return " · flow arrows hidden (L)";
    const fl = this.flows;
    let t = ` · ${this.lastFlows.drawn.toLocaleString("en-US")} flow arrow${this.lastFlows.drawn === 1 ? "" : "s"}`;
    if (fl && fl.truncated) t += ` (the first ${fl.list.length.toLocaleString("en-US")} in this span only: zoom in for all)`;
    return t;
  }

  // ------------------------------------------------------------ flows

  /** Asks /flows (debounced) when the loaded window no longer covers the view. */
  wantFlows() {
    if (!this.flowsOn || !this.flowTotal) return;
    const s = this.scale;
    const d = s.duration;
    const span = Math.max(1, s.t1 - s.t0);
    const vis0 = Math.max(0, s.t0);
    const vis1 = Math.min(d, s.t1);
    const have = this.flows;
    // a window covering the view, not much wider when it was truncated
    if (have && have.start <= vis0 && have.end >= vis1 && (!have.truncated || have.end - have.start <= 4 * span)) return;
    // a window of whole multiples of a power of two around the view, so
    // panning a little and coming back ask the same question
    const q = 2 ** Math.ceil(Math.log2(span));
    let a = Math.max(0, Math.floor((s.t0 - span / 2) / q) * q);
    let b = Math.min(d, Math.ceil((s.t1 + span / 2) / q) * q);
    if (a >= d) a = Math.max(0, d - 1);
    if (b <= a) b = a + 1;
    const key = a + "-" + b;
    const cached = this.flowCache.peek("flows", { start: a, end: b });
    if (cached) {
      this.setFlows(a, b, cached);
      return;
    }
    if (key === this.flowWant && (this.flowTimer || this.flowCache.pending.has(QueryCache.key("flows", { start: a, end: b })))) return;
    this.flowWant = key;
    clearTimeout(this.flowTimer);
    this.flowTimer = setTimeout(() => {
      this.flowTimer = 0;
      this.flowCache.get("flows", { start: a, end: b }).then(
        (j) => {
          if (this.destroyed || this.flowWant !== key) return;
          this.setFlows(a, b, j);
          this.requestRedraw();
        },
        () => {},
      );
    }, FLOW_DELAY_MS);
  }

  setFlows(a, b, j) {
    if (this.flows && this.flows.json === j) return;
    this.flows = { start: a, end: b, list: j.flows || [], truncated: !!j.truncated, json: j };
  }

  toggleFlows() {
    this.flowsOn = !this.flowsOn;
    this.requestRedraw();
  }

  // ------------------------------------------------------------ view changes

  viewHeight() {
    return this.height;
  }

  /** Canvas x (tracks, minimap or ruler) to time-area px, or null outside it. */
  timeX(x) {
    return x >= NAME_W ? x - NAME_W : null;
  }

  zoomAt(factor, px = undefined) {
    let at;
    if (px != null) at = this.scale.pxToNs(px);
    else if (this.mouseTimePx != null) at = this.scale.pxToNs(this.mouseTimePx);
    else at = (this.scale.t0 + this.scale.t1) / 2;
    this.scale.zoomAround(at, factor);
    this.changed();
  }

  panPx(dx) {
    this.scale.panPx(dx);
    this.changed();
  }

  scrollBy(dy) {
    if (this.tracks.scrollBy(dy, this.height)) this.changed();
  }

  fit() {
    this.scale.fit();
    this.changed();
  }

  setRange(t0, t1) {
    this.scale.set(t0, t1);
    this.changed();
  }

  zoomToSelection() {
    if (this.selected && this.selected.start != null) this.revealSlice(this.selected, true);
  }

  changed() {
    if (this.hover) {
      this.hover = null;
      this.o.tooltip.hide();
    }
    this.requestRedraw();
  }

  // ------------------------------------------------------------ mouse

  hoverAt(x, y, clientX, clientY) {
    this.mouseTimePx = x >= NAME_W ? x - NAME_W : null;
    this.hoverNs = x >= NAME_W ? this.scale.pxToNs(x - NAME_W) : null;
    if (x < NAME_W) {
      const row = this.tracks.rowAtY(y);
      this.els.tracks.style.cursor = row && row.kind === "process" ? "pointer" : "";
      this.tracks.setHover(y);
      this.setHover(null);
      if (row && row.kind !== "process") {
        const t = this.tracks.track(row.track) || {};
        this.o.tooltip.show({ kind: "track", track: row.track, row, process: t.process, pid: row.pid }, clientX, clientY);
      }
      this.requestRedraw();
      return;
    }
    if (this.tracks.setHover(null)) this.requestRedraw();
    const row = this.tracks.rowAtY(y);
    const hit = this.frameDesc && row ? hitTest(this.frameDesc, row, x, y) : null;
    this.els.tracks.style.cursor = row && row.kind === "process" ? "pointer" : "";
    this.setHover(hit);
    if (hit) this.o.tooltip.show(hit, clientX, clientY);
    else this.o.tooltip.hide();
    this.requestRedraw();
  }

  setHover(hit) {
    const same =
      (hit === null && this.hover === null) ||
      (hit && this.hover && hit.kind === this.hover.kind && hit.id === this.hover.id && hit.start === this.hover.start);
    this.hover = hit;
    if (!hit) this.o.tooltip.hide();
    return !same;
  }

  leave() {
    this.mouseTimePx = null;
    this.hoverNs = null;
    this.setHover(null);
    this.tracks.setHover(null);
    this.requestRedraw();
  }

  clickAt(x, y) {
    if (x < NAME_W) {
      if (this.tracks.click(x, y)) this.requestRedraw();
      return;
    }
    const row = this.tracks.rowAtY(y);
    if (row && row.kind === "process") {
      this.tracks.toggle(row.pid);
      this.requestRedraw();
      return;
    }
    const hit = this.frameDesc && row ? hitTest(this.frameDesc, row, x, y) : null;
    if (hit && hit.kind === "slice") this.select({ track: hit.track, id: hit.id }, hit);
    else if (hit && hit.kind === "summary") this.select({ track: hit.track, id: hit.longest }, null);
    else this.clearSelection();
  }

  // ------------------------------------------------------------ selection

  /**
   * Selects slice ref {track, id}; hint (a hit) gives its place at once.
   * opts.reveal: bring it into view once its place is known (zooming to it,
   * unless opts.keepRange: then only its row is scrolled into view).
   */
  select(ref, hint, opts = {}) {
    this.selected = { track: ref.track, id: ref.id };
    if (hint && hint.start != null) Object.assign(this.selected, { start: hint.start, dur: hint.dur, depth: hint.depth });
    this.requestRedraw();
    this.o.onChange && this.o.onChange();
    const p = this.o.details.show(ref, hint);
    p.then(
      (ev) => {
        if (!this.selected || this.selected.track !== ref.track || this.selected.id !== ref.id) return;
        Object.assign(this.selected, { start: ev.start, dur: ev.dur, depth: ev.depth, name: ev.name });
        if (opts.reveal && opts.keepRange) {
          // the range is given (a shared link): only scroll to the row
          this.tracks.reveal(ev.track, ev.depth, this.height);
          this.changed();
        } else if (opts.reveal) {
          this.revealSlice(this.selected, true);
        }
        this.requestRedraw();
      },
      () => {
        // no such event (a stale link): drop the selection, keep the panel's error
        if (this.selected && this.selected.track === ref.track && this.selected.id === ref.id) {
          this.selected = null;
          this.requestRedraw();
        }
      },
    );
    return p;
  }

  clearSelection() {
    const had = this.selected || this.o.details.open;
    this.selected = null;
    this.o.details.close();
    if (had) {
      this.requestRedraw();
      this.o.onChange && this.o.onChange();
    }
  }

  /** Brings a slice into view: scrolls to its row and, if asked or needed, zooms to it. */
  revealSlice(ev, zoom) {
    this.tracks.reveal(ev.track, ev.depth, this.height);
    const s = this.scale;
    const a = ev.start;
    const b = ev.start + ev.dur;
    if (zoom || b - a > s.span) s.reveal(a, b, 0.15);
    else if (b < s.t0 || a > s.t1) s.centerOn((a + b) / 2);
    this.changed();
  }

  // ------------------------------------------------------------ range selection

  /** Canvas x (tracks or ruler) to ns inside the trace. */
  canvasXToNs(x) {
    const t = this.scale.pxToNs(Math.max(0, Math.min(this.width - NAME_W, x - NAME_W)));
    return Math.max(0, Math.min(this.scale.duration, t));
  }

  /** A range drag from canvas x0 to x1 (Shift+drag on the tracks, drag on the ruler). */
  rangeDrag(xa, xb, done) {
    const a = this.canvasXToNs(Math.min(xa, xb));
    const b = this.canvasXToNs(Math.max(xa, xb));
    const ok = Math.abs(xb - xa) >= 3 && b > a;
    this.rangeLive = done || !ok ? null : [a, b];
    if (done && ok) {
      this.rangeSel = [Math.round(a), Math.max(Math.round(a) + 1, Math.round(b))];
      this.o.onRangeSelect && this.o.onRangeSelect(this.rangeSel);
    }
    this.requestRedraw();
  }

  /** Sets the selected range from outside (URL, clear button); no callback. */
  setRangeSelection(r) {
    this.rangeSel = r ? [r[0], r[1]] : null;
    this.rangeLive = null;
    this.requestRedraw();
  }

  zoomToRangeSelection() {
    if (!this.rangeSel) return;
    const [a, b] = this.rangeSel;
    this.scale.reveal(a, b, 0.04);
    this.changed();
  }

  /** The threads the analysis covers (null: all); the others' names are struck through. */
  setThreadFilter(list) {
    if (!list) this.tracks.excluded = null;
    else {
      const keep = new Set(list);
      this.tracks.excluded = new Set([...this.tracks.byTrack.values()].filter((t) => t.kind === "thread" && !keep.has(t.track)).map((t) => t.track));
    }
    this.requestRedraw();
  }

  setHighlight(hl) {
    this.highlight = hl;
    this.requestRedraw();
  }

  bindRuler() {
    const ru = this.els.ruler;
    let drag = null;
    const xOf = (e) => e.clientX - ru.getBoundingClientRect().left;
    const down = (e) => {
      if (e.button !== 0 || xOf(e) < NAME_W) return;
      e.preventDefault();
      drag = { x: xOf(e), moved: false };
    };
    const move = (e) => {
      if (!drag) {
        if (e.target === ru) {
          const x = xOf(e);
          ru.style.cursor = x >= NAME_W ? "col-resize" : "";
          this.hoverNs = x >= NAME_W ? this.scale.pxToNs(x - NAME_W) : null;
          this.requestRedraw();
        }
        return;
      }
      const x = xOf(e);
      if (Math.abs(x - drag.x) >= 3) drag.moved = true;
      if (drag.moved) this.rangeDrag(drag.x, x, false);
    };
    const up = (e) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.moved) this.rangeDrag(d.x, xOf(e), true);
      else if (this.rangeSel) {
        // a click on the ruler clears the range
        this.rangeSel = null;
        this.o.onRangeSelect && this.o.onRangeSelect(null);
        this.requestRedraw();
      }
    };
    const leave = () => {
      if (!drag) {
        this.hoverNs = null;
        this.requestRedraw();
      }
    };
    ru.addEventListener("mousedown", down);
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
    ru.addEventListener("mouseleave", leave);
    this.rulerOff = [
      () => ru.removeEventListener("mousedown", down),
      () => window.removeEventListener("mousemove", move),
      () => window.removeEventListener("mouseup", up),
      () => ru.removeEventListener("mouseleave", leave),
    ];
  }

  // ------------------------------------------------------------ minimap

  bindMinimap() {
    const mm = this.els.minimap;
    let drag = null;
    const timeAt = (clientX) => {
      const r = mm.getBoundingClientRect();
      return ((clientX - r.left - NAME_W) / Math.max(1, this.width - NAME_W)) * this.scale.duration;
    };
    const down = (e) => {
      if (e.button !== 0) return;
      const r = mm.getBoundingClientRect();
      if (e.clientX - r.left < NAME_W) return;
      e.preventDefault();
      const t = timeAt(e.clientX);
      const s = this.scale;
      if (t >= s.t0 && t <= s.t1) drag = t - s.t0;
      else {
        drag = s.span / 2;
        this.setRange(t - drag, t - drag + s.span);
      }
    };
    const move = (e) => {
      if (drag === null) return;
      const t = timeAt(e.clientX);
      const span = this.scale.span;
      this.setRange(t - drag, t - drag + span);
    };
    const up = () => {
      drag = null;
    };
    mm.addEventListener("mousedown", down);
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
    this.minimapOff = [
      () => mm.removeEventListener("mousedown", down),
      () => window.removeEventListener("mousemove", move),
      () => window.removeEventListener("mouseup", up),
    ];
  }

  loadOverview() {
    const n = Math.max(1, Math.min(4096, Math.round(this.width - NAME_W) || 1000));
    this.o.api.overview(this.id, n).then(
      (ov) => {
        if (this.destroyed) return;
        this.overview = ov;
        this.requestRedraw();
      },
      () => {},
    );
  }

  // ------------------------------------------------------------ state

  /** Plain view state, for the URL and for tests. */
  state() {
    const s = this.cache.stats();
    return {
      trace: this.id,
      t0: this.scale.t0,
      t1: this.scale.t1,
      duration: this.scale.duration,
      nsPerPx: this.scale.nsPerPx(),
      level: this.last.level,
      width: this.width,
      height: this.height,
      scrollY: this.tracks.scrollY,
      selected: this.selected ? { ...this.selected } : null,
      detailsOpen: this.o.details.open,
      tiles: { cached: s.cached, pending: s.pending, inflight: s.inflight, bytes: s.bytes, budget: s.budget, loaded: s.loaded, failed: s.failed },
      strings: this.strings.size,
      frames: this.frames,
      drawn: {
        slices: this.last.slices, summaries: this.last.summaries, instants: this.last.instants,
        samples: this.last.samples, flows: this.lastFlows.drawn, flowsHighlighted: this.lastFlows.highlighted,
        placeholders: this.last.placeholders, fallbacks: this.last.fallbacks, labels: this.last.labels, rows: this.last.rows,
      },
      slicesDrawn: this.last.slices,
      highlighted: this.last.highlighted,
      rangeSel: this.rangeSel ? [...this.rangeSel] : null,
      collapsed: [...this.tracks.collapsed],
      frameMs: this.last.ms,
      sample: this.last.sample ? { ...this.last.sample } : null,
      nameColumn: NAME_W,
      noTimeline: this.noTimeline,
      lanes: {
        async: this.tracks.layout.rows.filter((r) => r.lane === "async").length,
        spans: this.tracks.layout.rows.filter((r) => r.lane === "spans").length,
      },
      flows: {
        on: this.flowsOn, total: this.flowTotal,
        loaded: this.flows ? this.flows.list.length : 0,
        truncated: this.flows ? this.flows.truncated : false,
        window: this.flows ? [this.flows.start, this.flows.end] : null,
      },
    };
  }
}

function size(canvas, w, h, dpr) {
  canvas.style.width = w + "px";
  canvas.style.height = h + "px";
  const bw = Math.round(w * dpr);
  const bh = Math.round(h * dpr);
  if (canvas.width !== bw) canvas.width = bw;
  if (canvas.height !== bh) canvas.height = bh;
}

function leftLabel(ctx, h, text, sub) {
  ctx.fillStyle = "#fbfbfc";
  ctx.fillRect(0, 0, NAME_W, h);
  ctx.fillStyle = UI.separator;
  ctx.fillRect(NAME_W - 1, 0, 1, h);
  ctx.fillRect(0, h - 1, NAME_W, 1);
  ctx.font = SMALL_FONT;
  ctx.textBaseline = "middle";
  ctx.fillStyle = UI.text;
  ctx.fillText(text, 12, h / 2);
  if (sub) {
    const w = ctx.measureText(text).width;
    ctx.fillStyle = UI.textMuted;
    ctx.fillText(sub, 12 + w + 6, h / 2);
  }
}
